#!/usr/bin/env bash
# End-to-end benchmarks of the ecspress binary (issue #9 items 1-3): detection latency and API
# budget against `ecspress sim`, throttling at scale (50 services in one run), own overhead against
# moto. Items 4 and 5 are `cargo bench --bench tfstate` and `cargo bench --bench render`. Prints Markdown tables (docs/performance.md was made from them); asserts nothing.
#
#     bash bench/run.sh                 # all items, dev profile (target/debug/ecspress)
#     PROFILE=release bash bench/run.sh # the release binary (cargo build --release first)
#     ITEMS="latency overhead" bash bench/run.sh
#
# The driver is bench/e2e.py (python3 stdlib only; `--help` for every knob). Item 3 needs the
# test virtualenv with moto + awscli (target/tmp/moto-venv, made by `cargo test --test it moto`,
# or set MOTO_VENV) and installs fabfuel's ecs-deploy into target/tmp/fabfuel-venv on first use.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile="${PROFILE:-debug}"
items="${ITEMS:-latency throttle overhead}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
ecspress="$target_dir/$profile/ecspress"
if [ "$profile" = debug ]; then
    (cd "$root" && cargo build --quiet --bin ecspress)
fi
[ -x "$ecspress" ] || { echo "no binary at $ecspress (cargo build --profile $profile --bin ecspress)" >&2; exit 2; }
e2e=(python3 "$root/bench/e2e.py" --ecspress "$ecspress")

echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); binary: $ecspress"

for item in $items; do
    case "$item" in
    latency)
        # ECS-like durations in real time (time scale 1): `slow` images (40 s pull, 50 s to
        # healthy), a 300 s deregistration delay that ecspress reads from moto's ELBv2; 50 deploys
        # per strategy on 50 services, first deploys spread over 60 s. Each strategy has its own
        # simulator; docs/performance.md ran the three at the same time (~9 min).
        venv="${MOTO_VENV:-$target_dir/tmp/moto-venv}"
        [ -x "$venv/bin/aws" ] || { echo "no moto venv at $venv (run: cargo test --test it moto)" >&2; exit 2; }
        for mode in rolling bluegreen codedeploy; do
            "${e2e[@]}" latency --modes "$mode" --deploys 50 --parallel 50 --stagger 60 --realistic 300 \
                --aws "$venv/bin/aws" --moto "$venv/bin/python"
        done
        # Before: the fixed cadence (the old default), same runs.
        "${e2e[@]}" latency --modes rolling --deploys 50 --parallel 50 --stagger 60 --realistic 300 \
            --max-poll-interval 1s --aws "$venv/bin/aws" --moto "$venv/bin/python"
        # Compressed time (the simulator 10x fast), 10 services at once.
        "${e2e[@]}" latency --deploys 50 --parallel 10 --time-scale 0.1
        ;;
    throttle)
        venv="${MOTO_VENV:-$target_dir/tmp/moto-venv}"
        # ECS-like durations (as above): 50 services in one run vs 3 single deploys.
        "${e2e[@]}" throttle --services 50 --tps 20 --time-scale 1 --realistic 300 --singles 3 \
            --max-api-rps 19 --no-sequential --aws "$venv/bin/aws" --moto "$venv/bin/python"
        # Compressed time: where the setup calls of 50 services set the floor.
        "${e2e[@]}" throttle --services 50 --tps 20 --time-scale 0.25 --singles 3 --concurrent-processes
        ;;
    overhead)
        venv="${MOTO_VENV:-$target_dir/tmp/moto-venv}"
        [ -x "$venv/bin/aws" ] || { echo "no moto venv at $venv (run: cargo test --test it moto)" >&2; exit 2; }
        fab="$target_dir/tmp/fabfuel-venv"
        if [ ! -x "$fab/bin/ecs" ]; then
            python3 -m venv "$fab"
            "$fab/bin/pip" install --quiet --disable-pip-version-check ecs-deploy
        fi
        "${e2e[@]}" overhead --runs 10 --aws "$venv/bin/aws" --moto "$venv/bin/python" --ecs-deploy "$fab/bin/ecs"
        ;;
    *) echo "unknown item $item" >&2; exit 2 ;;
    esac
done
