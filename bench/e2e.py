#!/usr/bin/env python3
"""End-to-end benchmarks of the built `ecspress` binary (issue #9 items 1-3). Prints figures.

Why a Python driver and not `benches/*.rs`: every figure here is a child process (ecspress, the
AWS CLI, fabfuel's `ecs`) timed from outside, with its peak RSS from wait4(2), against servers
(`ecspress sim`, moto) that run for the whole bench. Python's subprocess + os.wait4 does that in
a few lines and needs no new crate; `bench/run.sh` builds the binary and calls this file.

Usage (see bench/run.sh, docs/performance.md):
    bench/e2e.py --ecspress target/debug/ecspress latency --deploys 50 --poll-interval 1s
    bench/e2e.py --ecspress ... throttle --services 50 --tps 20
    bench/e2e.py --ecspress ... overhead --runs 10 --aws VENV/bin/aws --moto VENV/bin/python \
        --ecs-deploy VENV2/bin/ecs

Nothing here asserts a time: it measures and prints (Markdown tables + one JSON line per item).
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

# Environment for every AWS client: the endpoint is set per server; nothing of the developer's own
# AWS configuration leaks in.
BASE_ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith("AWS_") and k not in ("ECSPRESS_CONFIG", "IMAGE_TAG", "GREETING")
}
BASE_ENV.update(
    AWS_ACCESS_KEY_ID="test",
    AWS_SECRET_ACCESS_KEY="test",
    AWS_REGION="us-east-1",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    NO_COLOR="1",
)


def now_ms():
    return int(time.time() * 1000)


def pct(values, p):
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv, env, cwd=None):
    """Run a child; return (exit code, wall seconds, peak RSS KiB, stdout, stderr, exit epoch ms)."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=fo, stderr=fe)
        # wait4 (not Popen.wait) to get the child's own peak RSS.
        try:
            _, status, rusage = os.wait4(p.pid, 0)
        except BaseException:
            p.kill()  # Ctrl-C: take the child along
            raise
        t_exit = now_ms()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    return p.returncode, wall, rusage.ru_maxrss, out.decode(errors="replace"), err.decode(errors="replace"), t_exit


class Sim:
    """`ecspress sim` on a free port."""

    def __init__(self, ecspress, time_scale, deregistration_delay=None):
        argv = [ecspress, "sim", "--listen", "127.0.0.1:0", "--time-scale", str(time_scale)]
        if deregistration_delay:
            argv += ["--deregistration-delay", deregistration_delay]
        self.proc = subprocess.Popen(
            argv,
            env=BASE_ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        line = self.proc.stdout.readline().decode()
        m = re.search(r"listening on (\S+)", line)
        if not m:
            raise SystemExit(f"ecspress sim did not start: {line!r}")
        self.url = m.group(1)

    def env(self, **extra):
        e = dict(BASE_ENV, AWS_ENDPOINT_URL=self.url)
        e.update(extra)
        return e

    def call(self, target, body):
        req = urllib.request.Request(
            self.url + "/",
            data=json.dumps(body).encode(),
            headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        )
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read() or b"{}")

    def ecs(self, op, body):
        return self.call("AmazonEC2ContainerServiceV20141113." + op, body)

    def codedeploy(self, op, body):
        return self.call("CodeDeploy_20141006." + op, body)

    def state(self):
        with urllib.request.urlopen(self.url + "/_sim/state") as r:
            return json.loads(r.read())

    def faults(self, body):
        req = urllib.request.Request(
            self.url + "/_sim/faults", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(req).read()

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def total_calls(state):
    return sum(state["counters"]["calls"].values())


def calls_by_op(state):
    return dict(state["counters"]["calls"])


# ---------------------------------------------------------------------------------------------
# Item 1: detection latency and API budget
# ---------------------------------------------------------------------------------------------


def terminal_deployments(state):
    """{id: terminalAt} of every finished ECS service deployment and CodeDeploy deployment."""
    out = {}
    for d in state["ecs"]["serviceDeployments"]:
        out[d["serviceDeploymentArn"]] = d.get("terminalAt")
    for d in state["codedeploy"]["deployments"]:
        out[d["deploymentInfo"]["deploymentId"]] = d.get("terminalAt")
    return out


def prepare_mode(mode, sim, ecspress, tmp, k=0, before_create=None):
    """Create the cluster (and CodeDeploy app/group), copy the example, deploy once to create the
    service. Copy k > 0 is the same example as service `<name>-k`. Returns the config path."""
    if mode == "rolling":
        src, cluster, service = "hello", "hello", "hello"
    else:
        src, cluster, service = ("bluegreen" if mode == "bluegreen" else "codedeploy"), "bluegreen", "web"
    d = os.path.join(tmp, f"{mode}-{k}")
    shutil.copytree(os.path.join(EXAMPLES, src), d)
    if k > 0:
        p = os.path.join(d, "ecspress.yml")
        text = open(p).read()
        open(p, "w").write(text.replace(f"service: {service}\n", f"service: {service}-{k}\n", 1))
        service = f"{service}-{k}"
    if mode == "bluegreen":
        # The example pauses at a PAUSE hook after test traffic (for `ecspress continue`); a
        # latency benchmark of `deploy --wait-until deployed` needs a deployment that finishes
        # by itself, so the copy drops the hook. Bake time (1 min) and traffic shifts stay.
        p = os.path.join(d, "ecs-service-def.json")
        text = open(p).read()
        new, n = re.subn(r',\s*"lifecycleHooks"\s*:\s*\[\s*\{[^{}]*\}\s*\]', "", text)
        if n != 1:
            raise SystemExit("could not drop the PAUSE hook from examples/bluegreen")
        open(p, "w").write(new)
    if k == 0:
        sim.ecs("CreateCluster", {"clusterName": cluster})
    if before_create:
        before_create(d)
    cfg = os.path.join(d, "ecspress.yml")
    code, _, _, out, err, _ = run([ecspress, "--config", cfg, "deploy"], sim.env(IMAGE_TAG="v0"))
    if code != 0:
        raise SystemExit(f"{mode}: creating the service failed ({code}): {out}\n{err}")
    if mode == "codedeploy":
        if k == 0:
            sim.codedeploy("CreateApplication", {"applicationName": "AppECS-bluegreen-web", "computePlatform": "ECS"})
        sim.codedeploy(
            "CreateDeploymentGroup",
            {
                "applicationName": "AppECS-bluegreen-web",
                "deploymentGroupName": f"DgpECS-bluegreen-{service}",
                "serviceRoleArn": "arn:aws:iam::123456789012:role/codedeploy",
                "ecsServices": [{"clusterName": "bluegreen", "serviceName": service}],
                "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
                "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
                "loadBalancerInfo": {
                    "targetGroupPairInfoList": [
                        {
                            "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
                            "prodTrafficRoute": {
                                "listenerArns": [
                                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/prod"
                                ]
                            },
                        }
                    ]
                },
            },
        )
    return cfg


def first_record_time_ms(stdout, rtype):
    """Epoch ms of the first JSON Lines record of type `rtype` (its `time`, RFC 3339)."""
    from datetime import datetime

    for line in stdout.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("type") == rtype:
            t = rec["time"].replace("Z", "+00:00")
            return int(datetime.fromisoformat(t).timestamp() * 1000)
    return None


def own_deployment(stdout):
    """The deployment this process started: the service deployment ARN of `deployment_started`
    (ECS), else the CodeDeploy deployment id of `code_deploy_deployment_created`."""
    for line in stdout.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        data = rec.get("data") or {}
        if rec.get("type") == "deployment_started" and data.get("service_deployment_arn"):
            return data["service_deployment_arn"]
        did = data.get("deployment_id")
        if isinstance(did, str) and did.startswith("d-"):
            return did
    return None


POLL_OPS = {"DescribeServices", "DescribeServiceDeployments", "GetDeployment", "GetDeploymentTarget"}


class MotoElb:
    """moto serving ELBv2 for the realistic runs: the example's two target groups with a real
    deregistration delay, so ecspress can read it (DescribeTargetGroupAttributes) as against AWS."""

    def __init__(self, python, aws, delay_s):
        port = free_port()
        self.proc = subprocess.Popen(
            [python, "-c", MOTO_LAUNCHER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        if self.proc.stdout.readline().strip() != b"ready":
            raise SystemExit("moto did not start")
        self.url = f"http://127.0.0.1:{port}"
        env = dict(BASE_ENV, AWS_ENDPOINT_URL=self.url)
        base = [aws, "--endpoint-url", self.url, "--region", "us-east-1", "--output", "json"]

        def aws_json(*a):
            return json.loads(subprocess.run(base + list(a), env=env, check=True, capture_output=True).stdout or b"{}")

        vpc = aws_json("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
        self.arns = {}
        import threading

        self.lock = threading.Lock()

        def target_group(name):
            with self.lock:
                if name not in self.arns:
                    tg = aws_json("elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port",
                                  "80", "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]["TargetGroupArn"]
                    aws_json("elbv2", "modify-target-group-attributes", "--target-group-arn", tg, "--attributes",
                             f"Key=deregistration_delay.timeout_seconds,Value={delay_s}")
                    self.arns[name] = tg
                return self.arns[name]

        self.target_group = target_group

    def point_at(self, config_dir):
        """Rewrite the example's target group ARNs (tfstate and definition files) to moto's."""
        for f in os.listdir(config_dir):
            if not f.endswith((".tfstate", ".json")):
                continue
            p = os.path.join(config_dir, f)
            st = open(p).read()
            for old in set(re.findall(r'(arn:aws:elasticloadbalancing:[^"]*:targetgroup/([a-z0-9-]+)/[0-9a-f]+)', st)):
                st = st.replace(old[0], self.target_group(old[1]))
            open(p, "w").write(st)

    def close(self):
        self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait()


def latency(args):
    """Deploys `args.deploys` times per strategy, `args.parallel` services at once (each its own
    ecspress process, deploying one after another on its service). The simulator runs at
    `args.time_scale`; at 1 it runs in real time, so ECS's durations (and the cadence's idea of
    time) are real ones."""
    import threading

    results = {}
    for mode in args.modes.split(","):
        tmp = tempfile.mkdtemp(prefix=f"ecspress-bench-{mode}-")
        sim = Sim(args.ecspress, args.time_scale, f"{args.realistic}s" if args.realistic else None)
        elb = None
        extra_env = {}
        tag = "slow-" if args.realistic else ""
        try:
            if args.realistic and mode != "codedeploy":  # the CodeDeploy watcher reads no drain
                elb = MotoElb(args.moto, args.aws, args.realistic)
                extra_env["AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"] = elb.url
            hook = elb.point_at if elb else None
            cfgs = [prepare_mode(mode, sim, args.ecspress, tmp, 0, hook)]
            # The other services are created at once (each creation waits for its tasks).
            rest = [None] * (args.parallel - 1)

            def create(k):
                rest[k - 1] = prepare_mode(mode, sim, args.ecspress, tmp, k, hook)

            creators = [threading.Thread(target=create, args=(k,)) for k in range(1, args.parallel)]
            for t in creators:
                t.start()
            for t in creators:
                t.join()
            if any(c is None for c in rest):
                raise SystemExit(f"{mode}: creating a service failed")
            cfgs += rest
            lat, watch_secs, failures = [], [], []
            lock = threading.Lock()
            todo = list(range(args.deploys))
            before_all = sim.state()
            t_all = time.time()

            def worker(k):
                # Spread the first deploys over --stagger seconds: deployments started in the
                # same second would also end in the same second, and 50 processes (and the
                # simulator) waking at once measure the machine, not the watcher.
                time.sleep(args.stagger * k / max(1, args.parallel))
                while True:
                    with lock:
                        if not todo:
                            return
                        i = todo.pop(0)
                    argv = [args.ecspress, "--config", cfgs[k], "deploy", "--output", "json",
                            "--poll-interval", args.poll_interval]
                    if args.max_poll_interval:
                        argv += ["--max-poll-interval", args.max_poll_interval]
                    if mode == "bluegreen":
                        argv += ["--wait-until", "deployed"]
                    code, wall, _, out, err, t_exit = run(argv, sim.env(IMAGE_TAG=f"{tag}w{k}v{i + 1}", **extra_env))
                    ours = own_deployment(out)
                    terminal = terminal_deployments(sim.state()).get(ours) if ours else None
                    with lock:
                        if code != 0 or terminal is None:
                            failures.append((i, code, ours, err[-500:]))
                            continue
                        lat.append((t_exit - terminal) / 1000.0)
                        started = first_record_time_ms(out, "deployment_started") or (t_exit - int(wall * 1000))
                        watch_secs.append((t_exit - started) / 1000.0)
                        print(f"  {mode} #{i + 1} (service {k}): latency {lat[-1]:.3f}s, "
                              f"watch {watch_secs[-1]:.1f}s", file=sys.stderr)

            threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.parallel)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            after_all = sim.state()
            b, a = calls_by_op(before_all), calls_by_op(after_all)
            delta = {op: a.get(op, 0) - b.get(op, 0) for op in a}
            polls = sum(v for op, v in delta.items() if op in POLL_OPS)
            total = sum(delta.values())
            minutes = sum(watch_secs) / 60.0
            r = {
                "mode": mode,
                "poll_interval": args.poll_interval,
                "max_poll_interval": args.max_poll_interval or "default",
                "time_scale": args.time_scale,
                "parallel": args.parallel,
                "deploys": len(lat),
                "failures": len(failures),
                "p50_s": statistics.median(lat) if lat else None,
                "p95_s": pct(lat, 95),
                "max_s": max(lat) if lat else None,
                # Calls per minute of watching, per service: every call of the run (setup calls
                # included) / the summed watch time; and the polling calls alone.
                "calls_per_min_all": total / minutes if minutes else None,
                "calls_per_min_polling": polls / minutes if minutes else None,
                "calls_per_deploy": total / len(lat) if lat else None,
                "watch_s_median": statistics.median(watch_secs) if watch_secs else None,
                "run_s": time.time() - t_all,
                "calls_by_op": delta,
            }
            for f in failures[:3]:
                print(f"  {mode} failure: {f}", file=sys.stderr)
            results[mode] = r
        finally:
            sim.close()
            if elb:
                elb.close()
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n### Detection latency and API budget (poll {args.poll_interval}, max poll "
          f"{args.max_poll_interval or 'default'}, time scale {args.time_scale}, {args.parallel} services at once)\n")
    print("| strategy | deploys | p50 latency | p95 latency | max | API calls/min/service: all; polling only | calls per deploy | watch time (median) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results.values():
        if not r["deploys"]:
            print(f"| {r['mode']} | 0 (failed {r['failures']}) | | | | | | |")
            continue
        print(
            f"| {r['mode']} | {r['deploys']} (failed {r['failures']}) | {r['p50_s']:.3f} s | {r['p95_s']:.3f} s | "
            f"{r['max_s']:.3f} s | {r['calls_per_min_all']:.1f}; {r['calls_per_min_polling']:.1f} | "
            f"{r['calls_per_deploy']:.1f} | {r['watch_s_median']:.1f} s |"
        )
    print("JSON " + json.dumps({"item": "latency", "results": list(results.values())}))


# ---------------------------------------------------------------------------------------------
# Item 2: throttling at scale
# ---------------------------------------------------------------------------------------------


def make_services(tmp, n, hook=None):
    cfgs = []
    for i in range(n):
        d = os.path.join(tmp, f"svc{i:02d}")
        os.makedirs(d)
        for f in ("ecs-service-def.json", "ecs-task-def.json", "terraform.tfstate"):
            shutil.copy(os.path.join(EXAMPLES, "hello", f), d)
        text = open(os.path.join(EXAMPLES, "hello", "ecspress.yml")).read()
        text = re.sub(r"(?m)^service: hello$", f"service: svc{i:02d}", text)
        open(os.path.join(d, "ecspress.yml"), "w").write(text)
        if hook:
            hook(d)
        cfgs.append(os.path.join(d, "ecspress.yml"))
    return cfgs


def throttle(args):
    tmp = tempfile.mkdtemp(prefix="ecspress-bench-throttle-")
    sim = Sim(args.ecspress, args.time_scale, f"{args.realistic}s" if args.realistic else None)
    rows = []
    elb = None
    base_env = sim.env
    pre = "slow-" if args.realistic else ""
    try:
        if args.realistic:
            elb = MotoElb(args.moto, args.aws, args.realistic)
            sim.env = lambda **extra: base_env(AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=elb.url, **extra)
        cfgs = make_services(tmp, args.services, elb.point_at if elb else None)
        sim.ecs("CreateCluster", {"clusterName": "hello"})
        glob = os.path.join(tmp, "svc*", "ecspress.yml")
        fleet = [args.ecspress, "--config", glob, "deploy", "--concurrency", str(args.services)]
        code, wall, _, out, err, _ = run(fleet, sim.env(IMAGE_TAG="v0"))
        if code != 0:
            raise SystemExit(f"creating {args.services} services failed ({code}): {err[-2000:]}")
        sim.faults({"throttle_tps": args.tps})

        def measure(label, fn):
            before = sim.state()["counters"]
            t0 = time.perf_counter()
            codes, text = fn()
            wall = time.perf_counter() - t0
            after = sim.state()["counters"]
            throttled = sum(after["throttled"].values()) - sum(before["throttled"].values())
            calls = sum(after["calls"].values()) - sum(before["calls"].values())
            surfaced = text.count("ThrottlingException")
            ok = sum(1 for c in codes if c == 0)
            rows.append(
                {
                    "run": label,
                    "wall_s": wall,
                    "exit_codes_ok": f"{ok}/{len(codes)}",
                    "surfaced_throttling": surfaced,
                    "server_throttled": throttled,
                    "calls": calls,
                }
            )
            print(f"  {label}: {wall:.1f}s, ok {ok}/{len(codes)}, surfaced {surfaced}, throttled {throttled}", file=sys.stderr)

        def one_run(rps, tag):
            code, _, _, out, err, _ = run(fleet + ["--max-api-rps", rps, "--output", "json"], sim.env(IMAGE_TAG=tag))
            # Per-service verdicts: the run's fleet_summary record.
            codes = [code]
            for line in out.splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("type") == "fleet_summary":
                    codes = [s["exit_code"] for s in rec["data"]["services"]]
            return codes, out + err

        def singles(tag, which):
            def go():
                codes, text = [], ""
                for c in which:
                    code, _, _, out, err, _ = run([args.ecspress, "--config", c, "deploy"], sim.env(IMAGE_TAG=tag))
                    codes.append(code)
                    text += out + err
                return codes, text

            return go

        def concurrent_processes():
            procs = [
                subprocess.Popen(
                    [args.ecspress, "--config", c, "deploy"],
                    env=sim.env(IMAGE_TAG="v4"),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                for c in cfgs
            ]
            outs = [p.communicate()[0].decode(errors="replace") for p in procs]
            return [p.returncode for p in procs], "".join(outs)

        for k, rps in enumerate(args.max_api_rps.split(",")):
            measure(
                f"one run: deploy --config x{args.services} --concurrency {args.services} --max-api-rps {rps}",
                lambda rps=rps, k=k: one_run(rps, f"{pre}v1-{k}"),
            )
        if args.realistic:
            # Minutes per deploy: the single deploys run at the same time, each alone on its
            # service (a few calls per second in all, far below the throttle).
            import threading

            def single_at_once(k, c):
                measure(f"single deploy ({os.path.basename(os.path.dirname(c))}, {args.singles} at once)",
                        singles(f"{pre}v2-{k}", [c]))

            ts = [threading.Thread(target=single_at_once, args=(k, c)) for k, c in enumerate(cfgs[: args.singles])]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        # The slowest single deploy: a few services deployed alone, one at a time.
        for k, c in enumerate(cfgs[: args.singles] if not args.realistic else []):
            measure(f"single deploy alone ({os.path.basename(os.path.dirname(c))})", singles(f"v2-{k}", [c]))
        if not args.no_sequential:
            measure(f"{args.services} sequential separate processes", singles("v3", cfgs))
        if args.concurrent_processes:
            measure(f"{args.services} concurrent separate processes", concurrent_processes)
    finally:
        sim.close()
        if elb:
            elb.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n### Throttling at scale ({args.services} services, simulator throttling at {args.tps} TPS, time scale {args.time_scale})\n")
    print("| run | wall time | exit 0 | ThrottlingException surfaced in output | throttled by the server (retried) | API calls |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['wall_s']:.1f} s | {r['exit_codes_ok']} | {r['surfaced_throttling']} | {r['server_throttled']} | {r['calls']} |")
    print("JSON " + json.dumps({"item": "throttle", "rows": rows}))


# ---------------------------------------------------------------------------------------------
# Item 3: own overhead against moto
# ---------------------------------------------------------------------------------------------

MOTO_LAUNCHER = r"""
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("ready", flush=True)
sys.stdin.read()
server.stop()
"""


def overhead(args):
    port = free_port()
    moto = subprocess.Popen(
        [args.moto, "-c", MOTO_LAUNCHER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    if moto.stdout.readline().strip() != b"ready":
        raise SystemExit("moto did not start")
    url = f"http://127.0.0.1:{port}"
    env = dict(BASE_ENV, AWS_ENDPOINT_URL=url)
    tmp = tempfile.mkdtemp(prefix="ecspress-bench-moto-")
    rows = []
    try:
        aws = [args.aws, "--endpoint-url", url, "--region", "us-east-1", "--output", "json"]

        def aws_json(*a):
            return json.loads(subprocess.run(aws + list(a), env=env, check=True, capture_output=True).stdout or b"{}")

        # moto checks a service's subnets and security groups against EC2: create real ones and
        # point a copy of the example's terraform.tfstate at them.
        vpc = aws_json("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            aws_json("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", f"10.0.{i}.0/24")["Subnet"]["SubnetId"]
            for i in (1, 2)
        ]
        sg = aws_json("ec2", "create-security-group", "--group-name", "app", "--description", "app", "--vpc-id", vpc)["GroupId"]
        d = os.path.join(tmp, "hello")
        shutil.copytree(os.path.join(EXAMPLES, "hello"), d)
        st = open(os.path.join(d, "terraform.tfstate")).read()
        for old_id, new_id in (
            ("subnet-0a1b2c3d4e5f60001", subnets[0]),
            ("subnet-0a1b2c3d4e5f60002", subnets[1]),
            ("sg-0123456789abcdef0", sg),
            ("vpc-0abc", vpc),
        ):
            st = st.replace(f'"{old_id}"', f'"{new_id}"')
        open(os.path.join(d, "terraform.tfstate"), "w").write(st)
        cfg = os.path.join(d, "ecspress.yml")
        aws_json("ecs", "create-cluster", "--cluster-name", "hello")
        # Register + create the service with ecspress itself (moto has no service-deployment
        # API and never moves a deployment, so --no-wait).
        code, _, _, out, err, _ = run([args.ecspress, "--config", cfg, "deploy", "--no-wait"], env)
        if code != 0:
            raise SystemExit(f"creating the service on moto failed ({code}): {out}\n{err}")

        cases = [
            ("ecspress diff", [args.ecspress, "--config", cfg, "diff"]),
            ("ecspress deploy --dry-run", [args.ecspress, "--config", cfg, "deploy", "--dry-run"]),
            ("aws ecs describe-services", aws + ["ecs", "describe-services", "--cluster", "hello", "--services", "hello"]),
        ]
        if args.ecs_deploy:
            # fabfuel ecs-deploy has no dry run: the nearest is a deploy that prints its diff and
            # does not wait (`--timeout -1`): it describes, registers a revision and updates the
            # service, i.e. two more calls than a dry run.
            cases.append(
                (
                    "ecs deploy hello hello --timeout -1 (fabfuel, diff printed)",
                    [args.ecs_deploy, "deploy", "hello", "hello", "--timeout", "-1", "--region", "us-east-1"],
                )
            )
        for label, argv in cases:
            walls, rss, codes, last = [], [], [], ""
            run(argv, env)  # warm-up (page cache, Python bytecode)
            for _ in range(args.runs):
                code, wall, maxrss, out, err, _ = run(argv, env)
                walls.append(wall)
                rss.append(maxrss)
                codes.append(code)
                last = err[-300:]
            rows.append(
                {
                    "command": label,
                    "argv": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv)),
                    "runs": args.runs,
                    "exit_codes": sorted(set(codes)),
                    "median_wall_s": statistics.median(walls),
                    "peak_rss_mib": max(rss) / 1024.0,
                }
            )
            print(f"  {label}: median {rows[-1]['median_wall_s']:.3f}s, rss {rows[-1]['peak_rss_mib']:.1f} MiB, exits {sorted(set(codes))} {last if set(codes) - {0} else ''}", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        moto.stdin.close()
        moto.terminate()
        moto.wait()
    base = rows[0]
    print(f"\n### Own overhead against moto ({args.runs} runs each, after one warm-up)\n")
    print("| command | exit codes | median wall | peak RSS | wall ÷ ecspress diff | RSS ÷ ecspress diff |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['command']} | {r['exit_codes']} | {r['median_wall_s'] * 1000:.0f} ms | {r['peak_rss_mib']:.1f} MiB | "
            f"{r['median_wall_s'] / base['median_wall_s']:.2f} | {r['peak_rss_mib'] / base['peak_rss_mib']:.2f} |"
        )
    print("JSON " + json.dumps({"item": "overhead", "rows": rows}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ecspress", required=True, help="the built ecspress binary")
    sub = ap.add_subparsers(dest="item", required=True)
    p = sub.add_parser("latency")
    p.add_argument("--deploys", type=int, default=50)
    p.add_argument("--poll-interval", default="1s")
    p.add_argument("--max-poll-interval", default=None, help="default: ecspress's own default")
    p.add_argument("--parallel", type=int, default=1, help="services deployed at once")
    p.add_argument("--stagger", type=float, default=0.0, help="spread the first deploys over this many seconds")
    p.add_argument("--realistic", type=int, default=0, metavar="SECONDS",
                   help="ECS-like durations: `slow` images (40 s pull, 50 s to healthy) and this "
                        "deregistration delay (ELB default 300), read from moto's ELBv2 (rolling)")
    p.add_argument("--aws", default=os.path.join(ROOT, "target/tmp/moto-venv/bin/aws"))
    p.add_argument("--moto", default=os.path.join(ROOT, "target/tmp/moto-venv/bin/python"))
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument("--modes", default="rolling,bluegreen,codedeploy")
    p.set_defaults(fn=latency)
    p = sub.add_parser("throttle")
    p.add_argument("--services", type=int, default=50)
    p.add_argument("--tps", type=float, default=20)
    p.add_argument("--max-api-rps", default="10", help="comma-separated: one fleet run per value")
    p.add_argument("--no-sequential", action="store_true")
    p.add_argument("--singles", type=int, default=3)
    p.add_argument("--time-scale", type=float, default=0.05)
    p.add_argument("--concurrent-processes", action="store_true")
    p.add_argument("--realistic", type=int, default=0, metavar="SECONDS",
                   help="as for latency: `slow` images and this deregistration delay (moto ELBv2)")
    p.add_argument("--aws", default=os.path.join(ROOT, "target/tmp/moto-venv/bin/aws"))
    p.add_argument("--moto", default=os.path.join(ROOT, "target/tmp/moto-venv/bin/python"))
    p.set_defaults(fn=throttle)
    p = sub.add_parser("overhead")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--aws", required=True)
    p.add_argument("--moto", required=True, help="a python that has moto[server]")
    p.add_argument("--ecs-deploy", help="fabfuel's `ecs` script (pip install ecs-deploy)")
    p.set_defaults(fn=overhead)
    args = ap.parse_args()
    args.ecspress = os.path.abspath(args.ecspress)
    args.fn(args)


if __name__ == "__main__":
    main()
