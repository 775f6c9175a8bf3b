#!/usr/bin/env bash
# End-to-end benchmarks of the ecspress binary (issue #9 items 1-3): detection latency and API
# budget against `ecspress sim`, throttling at scale (50 services in one run), own overhead against
# moto. Prints Markdown tables (docs/performance.md was made from them); asserts nothing.
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
        # Latency over 50 deploys per strategy, default 1 s poll; each strategy its own simulator
        # (docs/performance.md ran the three at the same time).
        for mode in rolling bluegreen codedeploy; do
            "${e2e[@]}" latency --modes "$mode" --deploys 50 --poll-interval 1s --time-scale 0.1
        done
        # API budget: a slower clock, so each watch spans many polls and setup calls are amortised.
        "${e2e[@]}" latency --deploys 2 --poll-interval 1s --time-scale 0.5
        # ecspresso's cadence with ecspress: --poll-interval 10s (a real-time clock for rolling, so a
        # rollout spans several polls).
        "${e2e[@]}" latency --modes rolling --deploys 10 --poll-interval 10s --time-scale 1
        ;;
    throttle)
        "${e2e[@]}" throttle --services 50 --tps 20 --time-scale 0.25 --singles 3 --concurrent-processes
        "${e2e[@]}" throttle --services 50 --tps 20 --time-scale 0.25 --singles 1 --max-api-rps 19,10 --no-sequential
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
