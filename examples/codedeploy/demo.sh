#!/usr/bin/env bash
# CodeDeploy blue/green with ecspress against the local simulator (Rust toolchain and gcc; no AWS
# account, no aws CLI):
#
#     bash examples/codedeploy/demo.sh
#
# It builds ecspress, starts `ecspress sim` (ECS + CodeDeploy) on a free port with a fast clock,
# creates the cluster, lets `ecspress deploy` create the CODE_DEPLOY service, creates the
# CodeDeploy application and deployment group (what Terraform would do), then: appspec → deploy
# (discovered group, lifecycle events in order) → an unhealthy image rolled back by CodeDeploy
# (exit 3) → rollback. Every exit code is checked; the script stops loudly at the first surprise.
#
# Environment: DEMO_TIME_SCALE (default 0.05: one simulated second lasts 50 ms).

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
time_scale="${DEMO_TIME_SCALE:-0.05}"
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
# POST one awsJson1_1 call (`Service.Operation`) to the simulator.
aws_call() {
    curl -fsS -X POST "$url/" -H "X-Amz-Target: $1" \
        -H 'Content-Type: application/x-amz-json-1.1' --data "$2"
}
command -v curl >/dev/null 2>&1 || die "this demo needs curl"

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

say "Creating the ECS cluster 'bluegreen'"
aws_call AmazonEC2ContainerServiceV20141113.CreateCluster '{"clusterName": "bluegreen"}' >/dev/null \
    || die "CreateCluster failed"

say "ecspress deploy: register web:1 and create the CODE_DEPLOY service (one task set)"
expect 0 -- deploy

say "Creating the CodeDeploy application and deployment group (Terraform's job in real life)"
aws_call CodeDeploy_20141006.CreateApplication \
    '{"applicationName": "AppECS-bluegreen-web", "computePlatform": "ECS"}' >/dev/null \
    || die "CreateApplication failed"
aws_call CodeDeploy_20141006.CreateDeploymentGroup '{
  "applicationName": "AppECS-bluegreen-web", "deploymentGroupName": "DgpECS-bluegreen-web",
  "serviceRoleArn": "arn:aws:iam::123456789012:role/codedeploy",
  "ecsServices": [{"clusterName": "bluegreen", "serviceName": "web"}],
  "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
  "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]},
  "loadBalancerInfo": {"targetGroupPairInfoList": [{
    "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
    "prodTrafficRoute": {"listenerArns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/prod"]}}]}
}' >/dev/null || die "CreateDeploymentGroup failed"

say "ecspress appspec: what a deploy of IMAGE_TAG=1.28 would send"
expect 0 IMAGE_TAG=1.28 -- appspec

say "ecspress deploy (IMAGE_TAG=1.28): group discovered, lifecycle events in order → exit 0"
expect 0 IMAGE_TAG=1.28 -- deploy

say "ecspress deploy of an unhealthy image: CodeDeploy rolls back → exit 3"
expect 3 IMAGE_TAG=unhealthy -- deploy

say "ecspress rollback: a new deployment of the previous revision (web:2 → web:1)"
expect 0 IMAGE_TAG=1.28 -- rollback

say "Demo complete: every command exited as expected"
