#!/usr/bin/env bash
# The ecspress quickstart: one command on a fresh machine (Rust toolchain and gcc; no AWS account,
# no aws CLI):
#
#     bash examples/hello/demo.sh
#
# It builds ecspress, starts `ecspress sim` (a local ECS control plane) on a free port with a fast
# clock, and walks the example service through diff → deploy → a changed deploy → a deploy of a
# crashing image that the circuit breaker rolls back (exit 3) → status → rollback. Every exit code
# is checked; the script stops loudly at the first surprise.
#
# Environment: DEMO_TIME_SCALE (default 0.1: one simulated second lasts 100 ms).

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
time_scale="${DEMO_TIME_SCALE:-0.1}"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\n\033[1;31mdemo failed: %s\033[0m\n' "$*" >&2; exit 1; }

say "Building ecspress (cargo build)"
(cd "$root" && cargo build --quiet --bin ecspress) || die "cargo build failed"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
ecspress="$target_dir/debug/ecspress"
[ -x "$ecspress" ] || die "no binary at $ecspress"

work="$(mktemp -d)"
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Starting the simulator: ecspress sim --listen 127.0.0.1:0 --time-scale $time_scale"
"$ecspress" sim --listen 127.0.0.1:0 --time-scale "$time_scale" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
url=""
for _ in $(seq 1 100); do
    url="$(sed -n 's/^ecspress sim listening on //p' "$work/sim.out" 2>/dev/null || true)"
    [ -n "$url" ] && break
    kill -0 "$sim_pid" 2>/dev/null || die "the simulator exited: $(cat "$work/sim.err")"
    sleep 0.1
done
[ -n "$url" ] || die "the simulator did not report its address"
echo "simulator at $url" >&2

# Talk to the simulator like to AWS: endpoint override and dummy credentials. The developer's own
# AWS profile and config must not leak in.
export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE ECSPRESS_CONFIG || true

# POST one awsJson1_1 call (ECS CreateCluster) without the aws CLI: curl, else bash's /dev/tcp.
ecs_call() {
    local target="AmazonEC2ContainerServiceV20141113.$1" body="$2"
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -X POST "$url/" -H "X-Amz-Target: $target" \
            -H 'Content-Type: application/x-amz-json-1.1' --data "$body"
    else
        local hostport="${url#http://}"
        exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"
        printf 'POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: %s\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
            "$hostport" "$target" "${#body}" "$body" >&3
        local status
        status="$(head -n 1 <&3)"
        cat <&3 >/dev/null
        exec 3<&-
        case "$status" in *" 200 "*) ;; *) echo "$status" >&2; return 1 ;; esac
    fi
}

# Run ecspress with the example config and check its exit code.
#   expect CODE [VAR=value ...] -- ecspress-args...
expect() {
    local want="$1"; shift
    local env=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do env+=("$1"); shift; done
    shift
    local got=0
    env ${env[@]+"${env[@]}"} "$ecspress" --config "$here/ecspress.yml" "$@" || got=$?
    if [ "$got" -ne "$want" ]; then
        die "ecspress $* exited $got, expected $want"
    fi
    echo "(exit $got, as expected)" >&2
}

say "Creating the ECS cluster 'hello' (CreateCluster)"
ecs_call CreateCluster '{"clusterName": "hello"}' >/dev/null || die "CreateCluster failed"

say "ecspress diff: the service does not exist yet, so everything is added"
expect 0 -- diff

say "ecspress deploy: register the task definition, create the service, watch the rollout"
expect 0 -- deploy

say "ecspress diff, then deploy a change (GREETING=bonjour): a new revision rolls out"
expect 0 GREETING=bonjour -- diff
expect 0 GREETING=bonjour -- deploy

say "ecspress deploy of a crashing image (IMAGE_TAG=crash): the circuit breaker rolls back → exit 3"
expect 3 GREETING=bonjour IMAGE_TAG=crash -- deploy

say "ecspress status"
expect 0 -- status --events 5

say "ecspress rollback: back to the previous revision (hello:2 → hello:1)"
expect 0 -- rollback

say "Demo complete: every command exited as expected"
