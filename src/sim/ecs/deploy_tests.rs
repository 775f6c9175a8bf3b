//! Scenario tests of the deployment engine, driven through `Sim::call` with a manual clock as a
//! watcher drives the real thing: after every simulated second the watcher samples
//! DescribeServices (deployments, counts, new events) and DescribeServiceDeployments (status,
//! stage, weights, monitors); the transcript (consecutive duplicates collapsed, task ids and
//! deployment ids normalised) is compared with the exact expected sequence.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::{Value, json};

use crate::sim::{ApiError, Clock, ECS_TARGET_PREFIX, Sim, SimOptions};

const T0_MS: i64 = 1_800_000_000_000;

fn sim() -> Sim {
    Sim::new(SimOptions::default(), Clock::manual(T0_MS))
}

fn call(sim: &Sim, op: &str, body: Value) -> Result<Value, ApiError> {
    sim.call(&format!("{ECS_TARGET_PREFIX}{op}"), &body)
}

fn ok(sim: &Sim, op: &str, body: Value) -> Value {
    call(sim, op, body.clone()).unwrap_or_else(|e| panic!("{op} {body}: {e}"))
}

fn err(sim: &Sim, op: &str, body: Value) -> ApiError {
    match call(sim, op, body.clone()) {
        Ok(v) => panic!("{op} {body}: expected an error, got {v}"),
        Err(e) => e,
    }
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// Register revision N of family `web` with one container running `image`.
fn register(sim: &Sim, image: &str) {
    ok(
        sim,
        "RegisterTaskDefinition",
        json!({
            "family": "web",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{
                "name": "app",
                "image": image,
                "portMappings": [{"containerPort": 8080}],
            }],
        }),
    );
}

/// Cluster `main`, `web:1` = `v1_image`, service `web` (FARGATE) with `extra` members.
fn create(sim: &Sim, v1_image: &str, desired: i64, extra: Value) {
    ok(sim, "CreateCluster", json!({"clusterName": "main"}));
    register(sim, v1_image);
    let body = merge(
        json!({
            "cluster": "main",
            "serviceName": "web",
            "taskDefinition": "web:1",
            "desiredCount": desired,
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}},
        }),
        extra,
    );
    ok(sim, "CreateService", body);
}

fn update(sim: &Sim, extra: Value) {
    ok(
        sim,
        "UpdateService",
        merge(json!({"cluster": "main", "service": "web"}), extra),
    );
}

fn describe(sim: &Sim) -> Value {
    ok(
        sim,
        "DescribeServices",
        json!({"cluster": "main", "services": ["web"]}),
    )["services"][0]
        .clone()
}

fn describe_sd(sim: &Sim, arn: &str) -> Value {
    ok(
        sim,
        "DescribeServiceDeployments",
        json!({"serviceDeploymentArns": [arn]}),
    )["serviceDeployments"][0]
        .clone()
}

/// Advance until `service` is stable (one deployment, running == desired, rollout COMPLETED).
fn settle(sim: &Sim) {
    for _ in 0..600 {
        let s = describe(sim);
        let deps = s["deployments"].as_array().cloned().unwrap_or_default();
        if deps.len() == 1
            && deps[0]["rolloutState"] == "COMPLETED"
            && s["runningCount"] == s["desiredCount"]
        {
            return;
        }
        sim.advance(Duration::from_secs(1));
    }
    panic!("service did not settle: {}", describe(sim));
}

/// Replace 32-hex task ids with `*` and deployment ids with D1, D2, ... (first-seen order).
struct Normaliser {
    ids: BTreeMap<String, String>,
}

impl Normaliser {
    fn deployment(&mut self, id: &str) -> String {
        let n = self.ids.len() + 1;
        self.ids
            .entry(id.to_owned())
            .or_insert_with(|| format!("D{n}"))
            .clone()
    }

    fn text(&mut self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("ecs-svc/") {
            out.push_str(&rest[..i]);
            let tail = &rest[i + 8..];
            let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
            out.push_str(&self.deployment(&format!("ecs-svc/{digits}")));
            rest = &tail[digits.len()..];
        }
        out.push_str(rest);
        // (task <32 hex>) → (task *)
        let mut res = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find("(task ") {
            res.push_str(&rest[..i + 6]);
            let tail = &rest[i + 6..];
            let hex: String = tail.chars().take_while(char::is_ascii_hexdigit).collect();
            if hex.len() == 32 {
                res.push('*');
                rest = &tail[32..];
            } else {
                rest = tail;
            }
        }
        res.push_str(rest);
        res
    }
}

/// What a watcher sees, one line per distinct state plus one line per new event.
struct Watcher {
    sim: Sim,
    /// The service deployment being watched (None: the current one).
    sd: Option<String>,
    seen: HashSet<String>,
    norm: Normaliser,
    lines: Vec<String>,
    last_state: String,
    /// Every sample (not deduplicated).
    samples: Vec<Sample>,
    /// Every new event with the second it was first seen.
    event_times: Vec<(i64, String)>,
}

/// One sample: simulated second, state line, and task facts DescribeServices does not show.
#[derive(Debug, Clone)]
struct Sample {
    t: i64,
    state: String,
    /// Tasks of the service that are RUNNING with health checks passed (and not stopping).
    healthy: i64,
    /// Tasks of the service whose desiredStatus is RUNNING.
    live: i64,
}

fn family_rev(td: &Value) -> String {
    td.as_str()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

impl Watcher {
    /// Start watching now: events already written are not part of the transcript.
    fn new(sim: &Sim) -> Watcher {
        let mut w = Watcher {
            sim: sim.clone(),
            sd: None,
            seen: HashSet::new(),
            norm: Normaliser {
                ids: BTreeMap::new(),
            },
            lines: Vec::new(),
            last_state: String::new(),
            samples: Vec::new(),
            event_times: Vec::new(),
        };
        for e in describe(sim)["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            w.seen
                .insert(e["id"].as_str().unwrap_or_default().to_owned());
        }
        w.sample();
        w
    }

    /// Watch the current service deployment from now on.
    fn track_current(&mut self) {
        self.sd = describe(&self.sim)["currentServiceDeployment"]
            .as_str()
            .map(str::to_owned);
    }

    fn state_line(&mut self) -> String {
        let s = describe(&self.sim);
        let sd_arn = self
            .sd
            .clone()
            .or_else(|| s["currentServiceDeployment"].as_str().map(str::to_owned));
        let mut parts = Vec::new();
        if let Some(arn) = sd_arn {
            let sd = describe_sd(&self.sim, &arn);
            let mut p = sd["status"].as_str().unwrap_or("?").to_owned();
            if let Some(stage) = sd["lifecycleStage"].as_str() {
                p.push(' ');
                p.push_str(stage);
            }
            if let Some(w) =
                sd["targetServiceRevision"]["requestedProductionTrafficWeight"].as_f64()
            {
                let t = sd["targetServiceRevision"]["requestedTestTrafficWeight"]
                    .as_f64()
                    .unwrap_or(0.0);
                p.push_str(&format!(" green test {t} prod {w}"));
            }
            let hooks: Vec<&str> = sd["lifecycleHookDetails"]
                .as_array()
                .map(|hs| hs.iter().filter_map(|h| h["status"].as_str()).collect())
                .unwrap_or_default();
            if !hooks.is_empty() {
                p.push_str(&format!(" hooks {}", hooks.join(",")));
            }
            parts.push(p);
        }
        for d in s["deployments"].as_array().cloned().unwrap_or_default() {
            let id = self.norm.deployment(d["id"].as_str().unwrap_or_default());
            parts.push(format!(
                "{id} {} {} {} r{} p{} d{}",
                d["status"].as_str().unwrap_or_default(),
                family_rev(&d["taskDefinition"]),
                d["rolloutState"].as_str().unwrap_or_default(),
                d["runningCount"],
                d["pendingCount"],
                d["desiredCount"]
            ));
        }
        parts.push(format!(
            "svc {} r{} p{}",
            family_rev(&s["taskDefinition"]),
            s["runningCount"],
            s["pendingCount"]
        ));
        parts.join(" | ")
    }

    fn sample(&mut self) {
        let t = (self.sim.clock().now() - T0_MS) / 1000;
        let s = describe(&self.sim);
        let mut events: Vec<Value> = s["events"].as_array().cloned().unwrap_or_default();
        events.reverse();
        for e in events {
            let id = e["id"].as_str().unwrap_or_default().to_owned();
            if self.seen.insert(id) {
                let msg = self.norm.text(e["message"].as_str().unwrap_or_default());
                self.event_times.push((t, msg.clone()));
                self.lines.push(format!("event: {msg}"));
            }
        }
        let state = self.state_line();
        let (healthy, live) = {
            let inner = self.sim.lock();
            let tasks = inner
                .world
                .tasks
                .iter()
                .filter(|t| t.launch.group == "service:web");
            tasks.fold((0, 0), |(h, l), t| {
                (h + i64::from(t.is_healthy()), l + i64::from(t.is_live()))
            })
        };
        self.samples.push(Sample {
            t,
            state: state.clone(),
            healthy,
            live,
        });
        if state != self.last_state {
            self.lines.push(state.clone());
            self.last_state = state;
        }
    }

    /// Advance one second at a time, sampling after each.
    fn run(&mut self, seconds: i64) {
        for _ in 0..seconds {
            self.sim.advance(Duration::from_secs(1));
            self.sample();
        }
    }

    /// Advance until the watched service deployment reaches a terminal status (+ `extra` s).
    fn run_until_done(&mut self, limit: i64) {
        for _ in 0..limit {
            self.sim.advance(Duration::from_secs(1));
            self.sample();
            let arn = self.sd.clone().or_else(|| {
                describe(&self.sim)["currentServiceDeployment"]
                    .as_str()
                    .map(str::to_owned)
            });
            if let Some(arn) = arn {
                let st = describe_sd(&self.sim, &arn)["status"].clone();
                if matches!(
                    st.as_str(),
                    Some("SUCCESSFUL" | "STOPPED" | "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED")
                ) {
                    return;
                }
            }
        }
        panic!("not done after {limit} s:\n{}", self.lines.join("\n"));
    }

    /// Simulated second at which the first event containing `needle` was seen.
    fn event_time(&self, needle: &str) -> Option<i64> {
        self.event_times
            .iter()
            .find(|(_, m)| m.contains(needle))
            .map(|(t, _)| *t)
    }

    fn transcript(&self) -> Vec<String> {
        self.lines.clone()
    }
}

fn assert_transcript(w: &Watcher, want: &[&str]) {
    let got = w.transcript();
    if got != want {
        let quoted: Vec<String> = got.iter().map(|l| format!("        {l:?},")).collect();
        panic!(
            "transcript mismatch\n--- got ---\n{}\n--- want ---\n{}",
            quoted.join("\n"),
            want.join("\n")
        );
    }
}

fn circuit_breaker(rollback: bool) -> Value {
    json!({"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": rollback}}})
}

/// Settled service on `web:1` (`v1`), then `web:2` (`v2`) deployed; the watcher starts right
/// before UpdateService and tracks the new service deployment.
fn deploy_v2(v1: &str, v2: &str, desired: i64, extra: Value) -> (Sim, Watcher) {
    deploy_v2_with(v1, v2, desired, extra, json!({}))
}

/// `deploy_v2` where UpdateService also sends `update_extra` (e.g. lifecycle hooks that the
/// first deployment must not run).
fn deploy_v2_with(
    v1: &str,
    v2: &str,
    desired: i64,
    extra: Value,
    update_extra: Value,
) -> (Sim, Watcher) {
    let sim = sim();
    create(&sim, v1, desired, extra);
    settle(&sim);
    register(&sim, v2);
    let mut w = Watcher::new(&sim);
    update(
        &sim,
        merge(json!({"taskDefinition": "web:2"}), update_extra),
    );
    w.track_current();
    w.sample();
    (sim, w)
}

#[test]
fn rolling_update_succeeds_with_min_100_max_200() {
    let (sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, json!({}));
    w.run_until_done(300);
    w.run(2);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r2 p0",
            "event: (service web) (deployment D2) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL | D2 PRIMARY web:2 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
        ],
    );
    // minimumHealthyPercent 100: never fewer than 2 healthy tasks; maximumPercent 200: ≤ 4 live.
    for s in &w.samples {
        assert!(s.healthy >= 2 && s.live <= 4, "{s:?}");
    }
    let _ = sim;
}
#[test]
fn rolling_update_with_min_50_max_100_stops_old_tasks_first() {
    let (_sim, mut w) = deploy_v2(
        "nginx:1",
        "nginx:2",
        2,
        json!({"deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 100}}),
    );
    w.run_until_done(300);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has stopped 1 running tasks: (task *).",
            "event: (service web) has started 1 tasks: (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p1 d2 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p1",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d2 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "event: (service web) has stopped 1 running tasks: (task *).",
            "event: (service web) has started 1 tasks: (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r1 p1 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r1 p1",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r2 p0",
            "event: (service web) (deployment D2) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL | D2 PRIMARY web:2 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
        ],
    );
    // maximumPercent 100: never more than 2 live tasks; minimumHealthyPercent 50: ≥ 1 healthy.
    for s in &w.samples {
        assert!(s.healthy >= 1 && s.live <= 2, "{s:?}");
    }
}

#[test]
fn circuit_breaker_rolls_back_a_crashing_revision() {
    let (sim, mut w) = deploy_v2("nginx:1", "app:crash", 2, circuit_breaker(true));
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run_until_done(600);
    w.run(2);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) (deployment D2) deployment failed: tasks failed to start.",
            "ROLLBACK_REQUESTED | D2 PRIMARY web:2 FAILED r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) rolling back to deployment D3.",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p2 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p2",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:1 r4 p0",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:1 r2 p0",
            "event: (service web) (deployment D3) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL | D3 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
        ],
    );
    let svc = describe(&sim);
    assert_eq!(family_rev(&svc["taskDefinition"]), "web:1");
    let sd = describe_sd(&sim, &sd_arn);
    assert_eq!(
        sd["deploymentCircuitBreaker"],
        json!({"status": "TRIGGERED", "failureCount": 4, "threshold": 3})
    );
    assert_eq!(
        sd["rollback"]["serviceRevisionArn"],
        sd["sourceServiceRevisions"][0]["arn"]
    );
    assert_eq!(
        sd["rollback"]["reason"],
        "ECS deployment circuit breaker: tasks failed to start."
    );
    assert_eq!(sd["statusReason"], sd["rollback"]["reason"]);
}

#[test]
fn circuit_breaker_without_rollback_stops_the_deployment() {
    let (sim, mut w) = deploy_v2("nginx:1", "app:crash", 2, circuit_breaker(false));
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run_until_done(600);
    // The failed deployment stops launching; the old tasks keep serving.
    w.run(60);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) (deployment D2) deployment failed: tasks failed to start.",
            "STOPPED | D2 PRIMARY web:2 FAILED r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
        ],
    );
    let sd = describe_sd(&sim, &sd_arn);
    assert_eq!(sd["deploymentCircuitBreaker"]["status"], "TRIGGERED");
    assert!(sd.get("rollback").is_none(), "{sd}");
    assert!(
        sd["stoppedAt"].is_number() && sd["finishedAt"].is_number(),
        "{sd}"
    );
}

#[test]
fn image_pull_failures_trip_the_circuit_breaker() {
    let (sim, mut w) = deploy_v2("nginx:1", "app:pullfail", 3, circuit_breaker(true));
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r3 p0 d3 | svc web:1 r3 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d3 | D1 ACTIVE web:1 COMPLETED r3 p0 d3 | svc web:2 r3 p0",
            "event: (service web) has started 3 tasks: (task *) (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p3 d3 | D1 ACTIVE web:1 COMPLETED r3 p0 d3 | svc web:2 r3 p3",
            "event: (service web) (deployment D2) deployment failed: tasks failed to start.",
            "ROLLBACK_REQUESTED | D2 PRIMARY web:2 FAILED r0 p0 d3 | D1 ACTIVE web:1 COMPLETED r3 p0 d3 | svc web:2 r3 p0",
            "event: (service web) rolling back to deployment D3.",
            "event: (service web) has started 3 tasks: (task *) (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p3 d3 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r3 p0 d3 | svc web:1 r3 p3",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r3 p0 d3 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r3 p0 d3 | svc web:1 r6 p0",
            "event: (service web) has stopped 3 running tasks: (task *) (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r3 p0 d3 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:1 r3 p0",
            "event: (service web) (deployment D3) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL | D3 PRIMARY web:1 COMPLETED r3 p0 d3 | svc web:1 r3 p0",
        ],
    );
    let inner = sim.lock();
    let failed: Vec<_> = inner
        .world
        .tasks
        .iter()
        .filter(|t| t.launch.task_definition_arn.ends_with("web:2"))
        .map(|t| (t.stop_code.clone(), t.last_status.clone()))
        .collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(
            |(code, status)| code.as_deref() == Some("TaskFailedToStart") && status == "STOPPED"
        ),
        "{failed:?}"
    );
}

#[test]
fn unhealthy_tasks_are_replaced_only_after_the_grace_period() {
    let lb = json!({
        "loadBalancers": [{"targetGroupArn": TG_BLUE, "containerName": "app", "containerPort": 8080}],
        "healthCheckGracePeriodSeconds": 30,
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}},
    });
    let (_sim, mut w) = deploy_v2("nginx:1", "app:unhealthy", 2, lb);
    w.run_until_done(900);
    w.run(10);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) (task *) (port 8080) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef) due to (reason Health checks failed).",
            "event: (service web) (task *) (port 8080) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef) due to (reason Health checks failed).",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) (task *) (port 8080) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef) due to (reason Health checks failed).",
            "event: (service web) (task *) (port 8080) is unhealthy in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef) due to (reason Health checks failed).",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "event: (service web) (deployment D2) deployment failed: tasks failed to start.",
            "ROLLBACK_REQUESTED | D2 PRIMARY web:2 FAILED r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) rolling back to deployment D3.",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p2 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:1 r4 p0",
            "event: (service web) has begun draining connections on 2 tasks.",
            "event: (service web) deregistered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:1 r2 p0",
            "event: (service web) (deployment D3) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL | D3 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
        ],
    );
    // Tasks start RUNNING 6 s after launch; the first replacement comes 30 s after that.
    let started = w.event_time("has started 2 tasks").unwrap_or_default();
    let unhealthy = w.event_time("is unhealthy").unwrap_or_default();
    assert!(
        unhealthy - started >= 36,
        "started {started}, unhealthy {unhealthy}"
    );
}

#[test]
fn slow_tasks_still_succeed_later() {
    let (_sim, mut w) = deploy_v2("nginx:1", "app:slow", 1, circuit_breaker(true));
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r1 p0 d1 | svc web:1 r1 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p0",
            "event: (service web) has started 1 tasks: (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p1 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p1",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "event: (service web) has stopped 1 running tasks: (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r1 p0",
            "event: (service web) (deployment D2) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL | D2 PRIMARY web:2 COMPLETED r1 p0 d1 | svc web:2 r1 p0",
        ],
    );
    let done = w.samples.last().map_or(0, |s| s.t) - w.samples[0].t;
    assert!(
        done >= 90,
        "slow tasks take ≥ 90 s to be healthy, done after {done} s"
    );
}

const TG_BLUE: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef";
const TG_GREEN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210";

fn alarms(rollback: bool) -> Value {
    json!({"deploymentConfiguration": {"alarms": {"alarmNames": ["web-5xx", "web-latency"], "enable": true, "rollback": rollback}}})
}

#[test]
fn alarm_in_alarm_state_mid_deployment_rolls_back() {
    let (sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, alarms(true));
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run(4);
    sim.set_alarm("web-latency", "ALARM")
        .unwrap_or_else(|e| panic!("{e}"));
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) (deployment D2) deployment failed: alarm(s) detected.",
            "ROLLBACK_REQUESTED | D2 PRIMARY web:2 FAILED r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) rolling back to deployment D3.",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p2 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p2",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:1 r4 p0",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:1 r2 p0",
            "event: (service web) (deployment D3) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL | D3 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
        ],
    );
    let sd = describe_sd(&sim, &sd_arn);
    assert_eq!(
        sd["alarms"],
        json!({"status": "TRIGGERED", "alarmNames": ["web-5xx", "web-latency"], "triggeredAlarmNames": ["web-latency"]})
    );
    assert_eq!(sd["deploymentCircuitBreaker"]["status"], "DISABLED");
    assert_eq!(family_rev(&describe(&sim)["taskDefinition"]), "web:1");
}

#[test]
fn alarm_bake_keeps_the_rollout_in_progress_after_the_old_tasks_are_gone() {
    let (sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, alarms(true));
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r2 p0",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) (deployment D2) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL | D2 PRIMARY web:2 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
        ],
    );
    // A services-stable waiter (one deployment, running == desired) is satisfied during the
    // bake; rolloutState and the service deployment are not.
    let bake: Vec<&Sample> = w
        .samples
        .iter()
        .filter(|s| {
            s.state.starts_with("IN_PROGRESS")
                && !s.state.contains("ACTIVE")
                && s.state.contains("r2 p0 d2")
        })
        .collect();
    let span = bake.last().map_or(0, |s| s.t) - bake.first().map_or(0, |s| s.t);
    assert!((59..=60).contains(&span), "bake lasted {span} s");
    assert_eq!(
        describe_sd(&sim, &sd_arn)["alarms"]["status"],
        "MONITORING_COMPLETE"
    );
}

#[test]
fn alarm_during_the_bake_rolls_back() {
    let (sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, alarms(true));
    // Scale-up done and the old tasks gone after ~16 s; the bake lasts 60 s.
    w.run(40);
    sim.set_alarm("web-5xx", "ALARM")
        .unwrap_or_else(|e| panic!("{e}"));
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r2 p0",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) (deployment D2) deployment failed: alarm(s) detected.",
            "ROLLBACK_REQUESTED | D2 PRIMARY web:2 FAILED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) rolling back to deployment D3.",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p2 d2 | D2 ACTIVE web:2 FAILED r2 p0 d2 | svc web:1 r2 p2",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r2 p0 d2 | svc web:1 r4 p0",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | svc web:1 r2 p0",
            "event: (service web) (deployment D3) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL | D3 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
        ],
    );
}

#[test]
fn alarm_without_rollback_stops_the_deployment() {
    let (sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, alarms(false));
    w.run(3);
    sim.set_alarm("web-5xx", "ALARM")
        .unwrap_or_else(|e| panic!("{e}"));
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) (deployment D2) deployment failed: alarm(s) detected.",
            "STOPPED | D2 PRIMARY web:2 FAILED r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
        ],
    );
}

#[test]
fn stop_service_deployment_rollback_returns_to_the_previous_revision() {
    let (sim, mut w) = deploy_v2("nginx:1", "app:slow", 2, json!({}));
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run(10);
    let stop = json!({"serviceDeploymentArn": sd_arn, "stopType": "ROLLBACK"});
    assert_eq!(
        ok(&sim, "StopServiceDeployment", stop.clone()),
        json!({"serviceDeploymentArn": sd_arn})
    );
    w.sample();
    // Idempotent while the rollback is under way.
    assert_eq!(
        ok(&sim, "StopServiceDeployment", stop.clone()),
        json!({"serviceDeploymentArn": sd_arn})
    );
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "ROLLBACK_REQUESTED | D2 PRIMARY web:2 FAILED r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) rolling back to deployment D3.",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p2 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p2",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:1 r4 p0",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:1 r2 p0",
            "event: (service web) (deployment D3) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL | D3 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
        ],
    );
    let sd = describe_sd(&sim, &sd_arn);
    assert_eq!(
        sd["rollback"]["reason"],
        "Service deployment rolled back by StopServiceDeployment."
    );
    // Once finished, it can no longer be stopped.
    let e = err(&sim, "StopServiceDeployment", stop);
    assert_eq!(
        (e.code.as_str(), e.status),
        ("ConflictException", 400),
        "{e}"
    );
}

#[test]
fn stop_service_deployment_abort_stops_without_rollback() {
    let (sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, json!({}));
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run(3);
    ok(
        &sim,
        "StopServiceDeployment",
        json!({"serviceDeploymentArn": sd_arn, "stopType": "ABORT"}),
    );
    w.sample();
    w.run_until_done(60);
    // The target's tasks keep whatever they were doing; nothing is started or stopped.
    w.run(30);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "STOP_REQUESTED | D2 PRIMARY web:2 FAILED r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "STOPPED | D2 PRIMARY web:2 FAILED r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "STOPPED | D2 PRIMARY web:2 FAILED r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
        ],
    );
    let sd = describe_sd(&sim, &sd_arn);
    assert!(sd.get("rollback").is_none(), "{sd}");
    assert_eq!(family_rev(&describe(&sim)["taskDefinition"]), "web:2");
}

#[test]
fn stop_service_deployment_rollback_needs_a_previous_revision() {
    let sim = sim();
    create(&sim, "app:slow", 1, json!({}));
    let sd_arn = describe(&sim)["currentServiceDeployment"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let e = err(
        &sim,
        "StopServiceDeployment",
        json!({"serviceDeploymentArn": sd_arn, "stopType": "ROLLBACK"}),
    );
    assert_eq!(e.code, "InvalidParameterException", "{e}");
    // ABORT works.
    ok(
        &sim,
        "StopServiceDeployment",
        json!({"serviceDeploymentArn": sd_arn, "stopType": "ABORT"}),
    );
    sim.advance(Duration::from_secs(1));
    assert_eq!(describe_sd(&sim, &sd_arn)["status"], "STOPPED");
}

#[test]
fn a_newer_deployment_supersedes_an_unfinished_one() {
    let (sim, mut w) = deploy_v2("nginx:1", "app:slow", 2, json!({}));
    let first = w.sd.clone().unwrap_or_default();
    w.run(10);
    register(&sim, "nginx:3");
    update(&sim, json!({"taskDefinition": "web:3"}));
    w.sample();
    let second = describe(&sim)["currentServiceDeployment"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(first, second);
    w.sd = Some(second.clone());
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "STOPPED | D3 PRIMARY web:3 IN_PROGRESS r0 p0 d2 | D2 ACTIVE web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:3 r2 p2",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS | D3 PRIMARY web:3 IN_PROGRESS r0 p2 d2 | D2 ACTIVE web:2 IN_PROGRESS r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:3 r2 p2",
            "IN_PROGRESS | D3 PRIMARY web:3 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 IN_PROGRESS r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:3 r4 p0",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS | D3 PRIMARY web:3 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 IN_PROGRESS r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:3 r2 p0",
            "event: (service web) (deployment D3) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL | D3 PRIMARY web:3 COMPLETED r2 p0 d2 | svc web:3 r2 p0",
        ],
    );
    let old = describe_sd(&sim, &first);
    assert_eq!(old["status"], "STOPPED");
    assert_eq!(
        old["statusReason"],
        json!(format!(
            "The service deployment was superseded by a newer service deployment ({second})."
        ))
    );
    let new = describe_sd(&sim, &second);
    let sources: Vec<&str> = new["sourceServiceRevisions"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["arn"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(sources.len(), 2, "web:1 and web:2 were both running: {new}");
}

#[test]
fn desired_count_changes_scale_the_primary_without_a_new_deployment() {
    let sim = sim();
    create(&sim, "nginx:1", 2, json!({}));
    settle(&sim);
    let mut w = Watcher::new(&sim);
    let sd_before = describe(&sim)["currentServiceDeployment"].clone();
    update(&sim, json!({"desiredCount": 4}));
    w.sample();
    w.run(20);
    update(&sim, json!({"desiredCount": 1}));
    w.sample();
    w.run(10);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d4 | svc web:1 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p2 d4 | svc web:1 r2 p2",
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r4 p0 d4 | svc web:1 r4 p0",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r4 p0 d1 | svc web:1 r4 p0",
            "event: (service web) has stopped 3 running tasks: (task *) (task *) (task *).",
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r1 p0 d1 | svc web:1 r1 p0",
            "event: (service web) has reached a steady state.",
        ],
    );
    assert_eq!(describe(&sim)["currentServiceDeployment"], sd_before);
}

#[test]
fn a_service_with_desired_count_zero_completes_at_once() {
    let sim = sim();
    create(&sim, "nginx:1", 0, json!({}));
    let mut w = Watcher::new(&sim);
    w.run(2);
    assert_transcript(
        &w,
        &[
            "PENDING | D1 PRIMARY web:1 IN_PROGRESS r0 p0 d0 | svc web:1 r0 p0",
            "event: (service web) (deployment D1) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r0 p0 d0 | svc web:1 r0 p0",
        ],
    );
}

#[test]
fn replaced_tasks_after_completion_bring_the_service_back_to_steady_state() {
    let sim = sim();
    create(&sim, "nginx:1", 2, json!({}));
    settle(&sim);
    let mut w = Watcher::new(&sim);
    let task = ok(
        &sim,
        "ListTasks",
        json!({"cluster": "main", "serviceName": "web"}),
    )["taskArns"][0]
        .clone();
    ok(
        &sim,
        "StopTask",
        json!({"cluster": "main", "task": task, "reason": "test"}),
    );
    w.run(15);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "event: (service web) has started 1 tasks: (task *).",
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r1 p1 d2 | svc web:1 r1 p1",
            "SUCCESSFUL | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "event: (service web) has reached a steady state.",
        ],
    );
}

// ---- native BLUE_GREEN / LINEAR / CANARY ----------------------------------------------------

const RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef";
const ROLE: &str = "arn:aws:iam::123456789012:role/ecs-infrastructure";

/// Service members for a native strategy behind an ALB with an alternate target group.
fn native(strategy: &str, dc: Value) -> Value {
    json!({
        "deploymentConfiguration": merge(json!({"strategy": strategy, "bakeTimeInMinutes": 1}), dc),
        "loadBalancers": [{
            "targetGroupArn": TG_BLUE,
            "containerName": "app",
            "containerPort": 8080,
            "advancedConfiguration": {
                "alternateTargetGroupArn": TG_GREEN,
                "productionListenerRule": RULE,
                "roleArn": ROLE,
            },
        }],
    })
}

/// Simulated second of the first sample whose state contains `needle`.
fn first_seen(w: &Watcher, needle: &str) -> i64 {
    w.samples
        .iter()
        .find(|s| s.state.contains(needle))
        .map_or(-1, |s| s.t)
}

#[test]
fn blue_green_walks_the_lifecycle_stages_in_order() {
    let (sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, native("BLUE_GREEN", json!({})));
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS TEST_TRAFFIC_SHIFT green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT green test 100 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS BAKE_TIME green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has begun draining connections on 2 tasks.",
            "event: (service web) deregistered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r2 p0",
            "event: (service web) (deployment D2) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
        ],
    );
    // bakeTimeInMinutes 1: both revisions run a full minute after production shifted.
    let bake = first_seen(&w, "IN_PROGRESS CLEAN_UP") - first_seen(&w, "IN_PROGRESS BAKE_TIME");
    assert!((60..=61).contains(&bake), "bake {bake} s");
    // Green serves from the alternate target group; blue from the primary one.
    let sd = describe_sd(&sim, &sd_arn);
    let revisions = ok(
        &sim,
        "DescribeServiceRevisions",
        json!({"serviceRevisionArns": [sd["targetServiceRevision"]["arn"], sd["sourceServiceRevisions"][0]["arn"]]}),
    );
    let tg = |i: usize| {
        revisions["serviceRevisions"][i]["resolvedConfiguration"]["loadBalancers"][0]
            ["targetGroupArn"]
            .clone()
    };
    assert_eq!((tg(0), tg(1)), (json!(TG_GREEN), json!(TG_BLUE)));
    assert_eq!(
        sd["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"],
        json!(0.0)
    );
}

/// (second, green production weight) at every change of the weight.
fn production_steps(w: &Watcher) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = Vec::new();
    // The first sample is the previous (finished) deployment.
    for s in w.samples.iter().skip(1) {
        let Some(i) = s.state.find(" prod ") else {
            continue;
        };
        let weight = s.state[i + 6..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        if out.last().is_none_or(|(_, last)| *last != weight) {
            out.push((s.t, weight));
        }
    }
    out
}

#[test]
fn linear_shifts_production_in_steps_with_a_bake_between_them() {
    let dc = json!({"linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 1}});
    let (_sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, native("LINEAR", dc));
    w.run_until_done(900);
    let steps = production_steps(&w);
    let weights: Vec<&str> = steps.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(weights, ["0", "25", "50", "75", "100"], "{steps:?}");
    for pair in steps[1..].windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!((60..=63).contains(&gap), "step gap {gap} s in {steps:?}");
    }
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS TEST_TRAFFIC_SHIFT green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT green test 100 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 25 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 50 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 75 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS BAKE_TIME green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has begun draining connections on 2 tasks.",
            "event: (service web) deregistered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r2 p0",
            "event: (service web) (deployment D2) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
        ],
    );
}

#[test]
fn canary_shifts_a_canary_then_the_rest_after_its_bake() {
    let dc = json!({"canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2}});
    let (_sim, mut w) = deploy_v2("nginx:1", "nginx:2", 2, native("CANARY", dc));
    w.run_until_done(900);
    let steps = production_steps(&w);
    let weights: Vec<&str> = steps.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(weights, ["0", "10", "100"], "{steps:?}");
    let gap = steps[2].0 - steps[1].0;
    assert!((120..=123).contains(&gap), "canary bake {gap} s");
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS TEST_TRAFFIC_SHIFT green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT green test 100 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 10 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS BAKE_TIME green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has begun draining connections on 2 tasks.",
            "event: (service web) deregistered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r2 p0",
            "event: (service web) (deployment D2) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D2 PRIMARY web:2 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
        ],
    );
}

fn pause_hook(timeout: Value) -> Value {
    let mut hook = json!({"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]});
    if !timeout.is_null() {
        hook["timeoutConfiguration"] = timeout;
    }
    json!({"lifecycleHooks": [hook]})
}

/// Run until the watched deployment has a hook AWAITING_ACTION; returns its id.
fn until_paused(w: &mut Watcher, sim: &Sim, sd_arn: &str) -> String {
    for _ in 0..300 {
        w.run(1);
        let sd = describe_sd(sim, sd_arn);
        if let Some(h) = sd["lifecycleHookDetails"]
            .as_array()
            .and_then(|hs| hs.iter().find(|h| h["status"] == "AWAITING_ACTION"))
        {
            return h["hookId"].as_str().unwrap_or_default().to_owned();
        }
    }
    panic!("never paused");
}

#[test]
fn pause_hook_waits_for_continue_service_deployment() {
    let (sim, mut w) = deploy_v2_with(
        "nginx:1",
        "nginx:2",
        2,
        native("BLUE_GREEN", json!({})),
        native("BLUE_GREEN", pause_hook(Value::Null)),
    );
    let sd_arn = w.sd.clone().unwrap_or_default();
    let hook_id = until_paused(&mut w, &sim, &sd_arn);
    let sd = describe_sd(&sim, &sd_arn);
    let paused_at = sd["lifecycleHookDetails"][0]["expiresAt"]
        .as_f64()
        .unwrap_or(0.0)
        - 1440.0 * 60.0;
    assert_eq!(
        sd["lifecycleHookDetails"],
        json!([{
            "hookId": hook_id,
            "targetType": "PAUSE",
            "status": "AWAITING_ACTION",
            "expiresAt": paused_at + 1440.0 * 60.0,
            "timeoutAction": "ROLLBACK",
        }])
    );
    // It stays paused (an hour later still AWAITING_ACTION at the same stage).
    w.run(3600);
    assert_eq!(
        describe_sd(&sim, &sd_arn)["lifecycleStage"],
        "POST_TEST_TRAFFIC_SHIFT"
    );
    // Errors: unknown hook, bad action.
    for (body, code) in [
        (
            json!({"serviceDeploymentArn": sd_arn, "hookId": "nope"}),
            "InvalidParameterException",
        ),
        (
            json!({"serviceDeploymentArn": sd_arn, "hookId": hook_id, "action": "SKIP"}),
            "InvalidParameterException",
        ),
        (
            json!({"serviceDeploymentArn": format!("{sd_arn}x"), "hookId": hook_id}),
            "ServiceDeploymentNotFoundException",
        ),
    ] {
        let e = err(&sim, "ContinueServiceDeployment", body.clone());
        assert_eq!(e.code, code, "{body}: {e}");
    }
    assert_eq!(
        ok(
            &sim,
            "ContinueServiceDeployment",
            json!({"serviceDeploymentArn": sd_arn, "hookId": hook_id, "action": "CONTINUE"}),
        ),
        json!({"serviceDeploymentArn": sd_arn})
    );
    // A hook can be continued once.
    let e = err(
        &sim,
        "ContinueServiceDeployment",
        json!({"serviceDeploymentArn": sd_arn, "hookId": hook_id}),
    );
    assert_eq!(e.code, "InvalidParameterException", "{e}");
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS TEST_TRAFFIC_SHIFT green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT green test 100 prod 0 hooks AWAITING_ACTION | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 0 hooks SUCCEEDED | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 hooks SUCCEEDED | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 hooks SUCCEEDED | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS BAKE_TIME green test 100 prod 100 hooks SUCCEEDED | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 hooks SUCCEEDED | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has begun draining connections on 2 tasks.",
            "event: (service web) deregistered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 hooks SUCCEEDED | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:2 r2 p0",
            "event: (service web) (deployment D2) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 hooks SUCCEEDED | D2 PRIMARY web:2 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
        ],
    );
    assert_eq!(
        describe_sd(&sim, &sd_arn)["lifecycleHookDetails"][0]["status"],
        "SUCCEEDED"
    );
}

#[test]
fn pause_hook_rollback_flips_production_back_to_blue() {
    let (sim, mut w) = deploy_v2_with(
        "nginx:1",
        "nginx:2",
        2,
        native("BLUE_GREEN", json!({})),
        native("BLUE_GREEN", pause_hook(Value::Null)),
    );
    let sd_arn = w.sd.clone().unwrap_or_default();
    let hook_id = until_paused(&mut w, &sim, &sd_arn);
    ok(
        &sim,
        "ContinueServiceDeployment",
        json!({"serviceDeploymentArn": sd_arn, "hookId": hook_id, "action": "ROLLBACK"}),
    );
    w.sample();
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS TEST_TRAFFIC_SHIFT green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT green test 100 prod 0 hooks AWAITING_ACTION | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) (deployment D2) deployment failed: lifecycle hook failed.",
            "ROLLBACK_REQUESTED POST_TEST_TRAFFIC_SHIFT green test 100 prod 0 hooks FAILED | D2 PRIMARY web:2 FAILED r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) rolling back to deployment D1.",
            "event: (service web) has begun draining connections on 2 tasks.",
            "event: (service web) deregistered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "ROLLBACK_IN_PROGRESS POST_TEST_TRAFFIC_SHIFT green test 0 prod 0 hooks FAILED | D1 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | svc web:1 r2 p0",
            "event: (service web) (deployment D1) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL POST_TEST_TRAFFIC_SHIFT green test 0 prod 0 hooks FAILED | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
        ],
    );
    let sd = describe_sd(&sim, &sd_arn);
    assert_eq!(
        sd["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"],
        json!(100.0)
    );
    assert_eq!(sd["lifecycleHookDetails"][0]["status"], "FAILED");
    // Continue is only valid while IN_PROGRESS.
    let e = err(
        &sim,
        "ContinueServiceDeployment",
        json!({"serviceDeploymentArn": sd_arn, "hookId": hook_id}),
    );
    assert_eq!(e.code, "InvalidParameterException", "{e}");
}

#[test]
fn pause_hook_timeout_takes_the_timeout_action() {
    for (action, want) in [
        (json!("CONTINUE"), "SUCCESSFUL"),
        (json!("ROLLBACK"), "ROLLBACK_SUCCESSFUL"),
        (Value::Null, "ROLLBACK_SUCCESSFUL"),
    ] {
        let mut timeout = json!({"timeoutInMinutes": 2});
        if !action.is_null() {
            timeout["action"] = action.clone();
        }
        let (sim, mut w) = deploy_v2_with(
            "nginx:1",
            "nginx:2",
            2,
            native("BLUE_GREEN", json!({})),
            native("BLUE_GREEN", pause_hook(timeout)),
        );
        let sd_arn = w.sd.clone().unwrap_or_default();
        until_paused(&mut w, &sim, &sd_arn);
        let paused = w.samples.last().map_or(0, |s| s.t);
        w.run(119);
        assert_eq!(
            describe_sd(&sim, &sd_arn)["lifecycleHookDetails"][0]["status"],
            "AWAITING_ACTION",
            "{action}"
        );
        w.run(1);
        assert_eq!(
            describe_sd(&sim, &sd_arn)["lifecycleHookDetails"][0]["status"],
            "TIMED_OUT",
            "{action} after {} s",
            w.samples.last().map_or(0, |s| s.t) - paused
        );
        w.run_until_done(600);
        assert_eq!(describe_sd(&sim, &sd_arn)["status"], want, "{action}");
    }
}

#[test]
fn lambda_hooks_succeed_and_a_failing_one_rolls_back() {
    let hooks = |arn: &str| {
        json!({"lifecycleHooks": [{
            "targetType": "AWS_LAMBDA",
            "hookTargetArn": arn,
            "roleArn": ROLE,
            "lifecycleStages": ["PRE_SCALE_UP", "POST_PRODUCTION_TRAFFIC_SHIFT"],
        }]})
    };
    let ok_fn = "arn:aws:lambda:us-east-1:123456789012:function:smoke-test";
    let plain = native("BLUE_GREEN", json!({}));
    let (sim, mut w) = deploy_v2_with(
        "nginx:1",
        "nginx:2",
        1,
        plain.clone(),
        native("BLUE_GREEN", hooks(ok_fn)),
    );
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run_until_done(600);
    let sd = describe_sd(&sim, &sd_arn);
    assert_eq!(sd["status"], "SUCCESSFUL");
    let statuses: Vec<&Value> = sd["lifecycleHookDetails"]
        .as_array()
        .map(|a| a.iter().map(|h| &h["status"]).collect())
        .unwrap_or_default();
    assert_eq!(statuses, [&json!("SUCCEEDED"), &json!("SUCCEEDED")]);
    assert_eq!(sd["lifecycleHookDetails"][0]["targetArn"], ok_fn);

    let bad_fn = "arn:aws:lambda:us-east-1:123456789012:function:fail-smoke-test";
    let (sim, mut w) = deploy_v2_with(
        "nginx:1",
        "nginx:2",
        1,
        plain,
        native("BLUE_GREEN", hooks(bad_fn)),
    );
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D1 PRIMARY web:1 COMPLETED r1 p0 d1 | svc web:1 r1 p0",
            "PENDING green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 hooks IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p0",
            "event: (service web) (deployment D2) deployment failed: lifecycle hook failed.",
            "ROLLBACK_REQUESTED PRE_SCALE_UP green test 0 prod 0 hooks FAILED | D2 PRIMARY web:2 FAILED r0 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p0",
            "event: (service web) rolling back to deployment D1.",
            "ROLLBACK_IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 hooks FAILED | D1 PRIMARY web:1 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 FAILED r0 p0 d0 | svc web:1 r1 p0",
            "event: (service web) (deployment D1) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL PRE_SCALE_UP green test 0 prod 0 hooks FAILED | D1 PRIMARY web:1 COMPLETED r1 p0 d1 | svc web:1 r1 p0",
        ],
    );
    let sd = describe_sd(&sim, &sd_arn);
    assert_eq!(sd["lifecycleHookDetails"][0]["status"], "FAILED");
}

#[test]
fn a_crashing_green_revision_rolls_back_with_blue_keeping_production() {
    let (sim, mut w) = deploy_v2("nginx:1", "app:crash", 2, native("BLUE_GREEN", json!({})));
    let sd_arn = w.sd.clone().unwrap_or_default();
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
            "PENDING green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) has started 2 tasks: (task *) (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p2 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p2",
            "event: (service web) registered 2 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r2 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r4 p0",
            "event: (service web) (deployment D2) deployment failed: tasks failed to start.",
            "ROLLBACK_REQUESTED SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 FAILED r0 p0 d2 | D1 ACTIVE web:1 COMPLETED r2 p0 d2 | svc web:2 r2 p0",
            "event: (service web) rolling back to deployment D1.",
            "ROLLBACK_IN_PROGRESS SCALE_UP green test 0 prod 0 | D1 PRIMARY web:1 IN_PROGRESS r2 p0 d2 | D2 ACTIVE web:2 FAILED r0 p0 d0 | svc web:1 r2 p0",
            "event: (service web) (deployment D1) deployment completed.",
            "event: (service web) has reached a steady state.",
            "ROLLBACK_SUCCESSFUL SCALE_UP green test 0 prod 0 | D1 PRIMARY web:1 COMPLETED r2 p0 d2 | svc web:1 r2 p0",
        ],
    );
    let sd = describe_sd(&sim, &sd_arn);
    assert_eq!(
        sd["rollback"]["reason"],
        "ECS deployment circuit breaker: tasks failed to start."
    );
    assert_eq!(family_rev(&describe(&sim)["taskDefinition"]), "web:1");
}

// ---- the service-deployment API -------------------------------------------------------------

/// Service `web` with three finished service deployments (create, web:2, web:3) plus one in
/// progress (web:4), one simulated minute apart; returns their ARNs oldest first.
fn history(sim: &Sim) -> Vec<String> {
    create(sim, "nginx:1", 1, json!({}));
    let mut arns = vec![];
    for v in 2..=4 {
        settle(sim);
        arns.push(
            describe(sim)["currentServiceDeployment"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        sim.advance(Duration::from_secs(60));
        register(sim, &format!("nginx:{v}"));
        update(sim, json!({"taskDefinition": format!("web:{v}")}));
    }
    arns.push(
        describe(sim)["currentServiceDeployment"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );
    sim.advance(Duration::from_secs(1));
    arns
}

fn listed(out: &Value) -> Vec<String> {
    out["serviceDeployments"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|b| b["serviceDeploymentArn"].as_str())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn list_service_deployments_newest_first_with_filters_and_pages() {
    let sim = sim();
    let arns = history(&sim);
    let newest_first: Vec<String> = arns.iter().rev().cloned().collect();
    let all = ok(
        &sim,
        "ListServiceDeployments",
        json!({"cluster": "main", "service": "web"}),
    );
    assert_eq!(listed(&all), newest_first);
    assert!(all.get("nextToken").is_none());
    // The brief of the running one.
    let brief = &all["serviceDeployments"][0];
    let keys: Vec<&String> = brief
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "clusterArn",
            "createdAt",
            "serviceArn",
            "serviceDeploymentArn",
            "startedAt",
            "status",
            "targetServiceRevisionArn"
        ]
    );
    assert_eq!(brief["status"], "IN_PROGRESS");
    assert!(all["serviceDeployments"][1]["finishedAt"].is_number());

    // Pages of 3 then 1, by service ARN and cluster ARN.
    let by_arn = json!({
        "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/main",
        "service": "arn:aws:ecs:us-east-1:123456789012:service/main/web",
        "maxResults": 3,
    });
    let page1 = ok(&sim, "ListServiceDeployments", by_arn.clone());
    assert_eq!(listed(&page1), newest_first[..3]);
    let page2 = ok(
        &sim,
        "ListServiceDeployments",
        merge(by_arn, json!({"nextToken": page1["nextToken"]})),
    );
    assert_eq!(listed(&page2), newest_first[3..]);
    assert!(page2.get("nextToken").is_none());

    // status[] filter.
    let done = ok(
        &sim,
        "ListServiceDeployments",
        json!({"cluster": "main", "service": "web", "status": ["SUCCESSFUL"]}),
    );
    assert_eq!(listed(&done), newest_first[1..]);
    // createdAt {after}: deployments created at or after the third one.
    let third = describe_sd(&sim, &arns[2])["createdAt"].clone();
    let after = ok(
        &sim,
        "ListServiceDeployments",
        json!({"cluster": "main", "service": "web", "createdAt": {"after": third}}),
    );
    assert_eq!(listed(&after), newest_first[..2]);
    let before = ok(
        &sim,
        "ListServiceDeployments",
        json!({"cluster": "main", "service": "web", "createdAt": {"before": third}}),
    );
    assert_eq!(listed(&before), newest_first[1..]);
}

#[test]
fn service_deployment_api_validation() {
    let sim = sim();
    history(&sim);
    let cases = [
        (
            "ListServiceDeployments",
            json!({"cluster": "main"}),
            "InvalidParameterException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "main", "service": "web", "Service": "web"}),
            "SerializationException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "nope", "service": "web"}),
            "ClusterNotFoundException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "main", "service": "nope"}),
            "ServiceNotFoundException",
        ),
        (
            "ListServiceDeployments",
            json!({"service": "web"}),
            "ClusterNotFoundException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "main", "service": "web", "maxResults": 0}),
            "InvalidParameterException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "main", "service": "web", "maxResults": 101}),
            "InvalidParameterException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "main", "service": "web", "maxResults": "2"}),
            "SerializationException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "main", "service": "web", "status": ["DONE"]}),
            "InvalidParameterException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "main", "service": "web", "nextToken": "garbage"}),
            "InvalidParameterException",
        ),
        (
            "ListServiceDeployments",
            json!({"cluster": "main", "service": "web", "createdAt": {"after": 1, "since": 2}}),
            "SerializationException",
        ),
        (
            "DescribeServiceDeployments",
            json!({"serviceDeploymentArns": []}),
            "InvalidParameterException",
        ),
        (
            "DescribeServiceDeployments",
            json!({"serviceDeploymentArns": vec!["x"; 21]}),
            "InvalidParameterException",
        ),
        (
            "DescribeServiceDeployments",
            json!({"serviceDeploymentArn": "x"}),
            "SerializationException",
        ),
        (
            "DescribeServiceRevisions",
            json!({}),
            "InvalidParameterException",
        ),
        (
            "StopServiceDeployment",
            json!({"serviceDeploymentArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/nope"}),
            "ServiceDeploymentNotFoundException",
        ),
        (
            "StopServiceDeployment",
            json!({}),
            "InvalidParameterException",
        ),
        (
            "ContinueServiceDeployment",
            json!({"serviceDeploymentArn": "x"}),
            "InvalidParameterException",
        ),
    ];
    for (op, body, code) in cases {
        let e = err(&sim, op, body.clone());
        assert_eq!(e.code, code, "{op} {body}: {e}");
        assert_eq!(e.status, 400, "{op} {body}");
    }
    let current = describe(&sim)["currentServiceDeployment"].clone();
    let e = err(
        &sim,
        "StopServiceDeployment",
        json!({"serviceDeploymentArn": current, "stopType": "PAUSE"}),
    );
    assert_eq!(e.code, "InvalidParameterException", "{e}");
}

#[test]
fn describe_service_deployments_and_revisions() {
    let sim = sim();
    let arns = history(&sim);
    let missing = "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/missing";
    let out = ok(
        &sim,
        "DescribeServiceDeployments",
        json!({"serviceDeploymentArns": [arns[1], missing]}),
    );
    assert_eq!(
        out["failures"],
        json!([{"arn": missing, "reason": "MISSING"}])
    );
    let sd = &out["serviceDeployments"][0];
    let keys: Vec<&String> = sd
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "alarms",
            "clusterArn",
            "createdAt",
            "deploymentCircuitBreaker",
            "deploymentConfiguration",
            "finishedAt",
            "serviceArn",
            "serviceDeploymentArn",
            "sourceServiceRevisions",
            "startedAt",
            "status",
            "targetServiceRevision",
            "updatedAt"
        ]
    );
    assert_eq!(sd["status"], "SUCCESSFUL");
    assert_eq!(sd["alarms"], json!({"status": "DISABLED"}));
    assert_eq!(
        sd["deploymentCircuitBreaker"],
        json!({"status": "DISABLED", "failureCount": 0, "threshold": 0})
    );
    assert_eq!(sd["deploymentConfiguration"]["maximumPercent"], json!(200));
    // Frozen at the end: web:2 ran 1 task, web:1 (the source) none any more.
    assert_eq!(sd["targetServiceRevision"]["requestedTaskCount"], json!(1));
    assert_eq!(sd["targetServiceRevision"]["runningTaskCount"], json!(1));
    assert_eq!(
        sd["sourceServiceRevisions"][0]["runningTaskCount"],
        json!(0)
    );
    // Timestamps are epoch seconds, in order.
    let t = |k: &str| sd[k].as_f64().unwrap_or(0.0);
    assert!(t("createdAt") <= t("startedAt") && t("startedAt") < t("finishedAt"));

    let target = sd["targetServiceRevision"]["arn"].clone();
    let revs = ok(
        &sim,
        "DescribeServiceRevisions",
        json!({"serviceRevisionArns": [target, "arn:aws:ecs:us-east-1:123456789012:service-revision/main/web/1"]}),
    );
    let rev = &revs["serviceRevisions"][0];
    assert_eq!(
        rev["taskDefinition"],
        "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
    );
    assert_eq!(rev["launchType"], "FARGATE");
    assert_eq!(rev["containerImages"][0]["containerName"], "app");
    assert_eq!(rev["containerImages"][0]["image"], "nginx:2");
    let digest = rev["containerImages"][0]["imageDigest"]
        .as_str()
        .unwrap_or_default();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    assert_eq!(
        rev["serviceArn"],
        "arn:aws:ecs:us-east-1:123456789012:service/main/web"
    );
    assert!(rev["networkConfiguration"]["awsvpcConfiguration"].is_object());
    assert_eq!(revs["failures"][0]["reason"], "MISSING");
    // ARN shapes.
    assert!(
        arns[1].starts_with("arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/"),
        "{}",
        arns[1]
    );
    assert!(
        target
            .as_str()
            .unwrap_or_default()
            .starts_with("arn:aws:ecs:us-east-1:123456789012:service-revision/main/web/")
    );
    // deployments[] ids: ecs-svc/ + 19 digits.
    let id = describe(&sim)["deployments"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        id.len() == 27 && id[8..].chars().all(|c| c.is_ascii_digit()),
        "{id}"
    );
}

#[test]
fn deleting_a_service_drains_it_to_inactive() {
    let sim = sim();
    create(&sim, "nginx:1", 2, json!({}));
    settle(&sim);
    ok(
        &sim,
        "DeleteService",
        json!({"cluster": "main", "service": "web", "force": true}),
    );
    assert_eq!(describe(&sim)["status"], "DRAINING");
    for _ in 0..10 {
        sim.advance(Duration::from_secs(1));
    }
    let s = describe(&sim);
    assert_eq!(s["status"], "INACTIVE");
    assert_eq!(s["runningCount"], 0);
}

#[test]
fn a_rollback_that_cannot_start_ends_rollback_failed() {
    // web:1 never became healthy (its deployment never completed), so the rollback of web:2
    // returns to the revision that was running: web:1, which fails too.
    let sim = sim();
    create(&sim, "app:unhealthy", 1, json!({}));
    sim.advance(Duration::from_secs(30));
    register(&sim, "app:crash");
    let mut w = Watcher::new(&sim);
    update(
        &sim,
        merge(json!({"taskDefinition": "web:2"}), circuit_breaker(true)),
    );
    w.track_current();
    w.sample();
    w.run_until_done(900);
    assert_transcript(
        &w,
        &[
            "IN_PROGRESS | D1 PRIMARY web:1 IN_PROGRESS r1 p0 d1 | svc web:1 r1 p0",
            "PENDING | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d1 | D1 ACTIVE web:1 IN_PROGRESS r1 p0 d1 | svc web:2 r1 p0",
            "event: (service web) has stopped 1 running tasks: (task *).",
            "event: (service web) has started 1 tasks: (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p1 d1 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:2 r0 p1",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:2 r1 p0",
            "event: (service web) has started 1 tasks: (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p1 d1 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:2 r0 p1",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:2 r1 p0",
            "event: (service web) has started 1 tasks: (task *).",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r0 p1 d1 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:2 r0 p1",
            "IN_PROGRESS | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:2 r1 p0",
            "event: (service web) (deployment D2) deployment failed: tasks failed to start.",
            "ROLLBACK_REQUESTED | D2 PRIMARY web:2 FAILED r0 p0 d1 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:2 r0 p0",
            "event: (service web) rolling back to deployment D3.",
            "event: (service web) has started 1 tasks: (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p1 d1 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:1 r0 p1",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:1 r1 p0",
            "event: (service web) (task *) failed container health checks.",
            "event: (service web) has stopped 1 running tasks: (task *).",
            "event: (service web) has started 1 tasks: (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p1 d1 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:1 r0 p1",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:1 r1 p0",
            "event: (service web) (task *) failed container health checks.",
            "event: (service web) has stopped 1 running tasks: (task *).",
            "event: (service web) has started 1 tasks: (task *).",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r0 p1 d1 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:1 r0 p1",
            "ROLLBACK_IN_PROGRESS | D3 PRIMARY web:1 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:1 r1 p0",
            "event: (service web) (task *) failed container health checks.",
            "event: (service web) has stopped 1 running tasks: (task *).",
            "event: (service web) (deployment D3) deployment failed: tasks failed to start.",
            "ROLLBACK_FAILED | D3 PRIMARY web:1 FAILED r0 p0 d1 | D2 ACTIVE web:2 FAILED r0 p0 d0 | D1 ACTIVE web:1 IN_PROGRESS r0 p0 d0 | svc web:1 r0 p0",
        ],
    );
    let sd = describe_sd(&sim, w.sd.as_deref().unwrap_or_default());
    assert_eq!(
        sd["statusReason"],
        "The rollback failed: the rollback's tasks failed to start (circuit breaker)."
    );
}

#[test]
fn circuit_breaker_threshold() {
    use super::deploy::breaker_threshold;
    let default = json!({});
    for (desired, want) in [
        (0, 3),
        (1, 3),
        (2, 3),
        (6, 3),
        (7, 4),
        (10, 5),
        (399, 200),
        (1000, 200),
    ] {
        assert_eq!(
            breaker_threshold(&default, desired),
            want,
            "desired {desired}"
        );
    }
    for (tc, desired, want) in [
        (json!({"type": "COUNT", "value": 5}), 100, 5),
        (json!({"type": "UNBOUNDED_PERCENT", "value": 50}), 1000, 500),
        (json!({"type": "UNBOUNDED_PERCENT", "value": 50}), 1, 1),
        (json!({"type": "BOUNDED_PERCENT", "value": 20}), 100, 20),
        (json!({"type": "BOUNDED_PERCENT", "value": 20}), 5, 3),
    ] {
        let dc = json!({"deploymentCircuitBreaker": {"enable": true, "rollback": true, "thresholdConfiguration": tc}});
        assert_eq!(breaker_threshold(&dc, desired), want, "{tc} × {desired}");
    }
}

#[test]
fn superseding_a_blue_green_deployment_reconciles_both_revisions() {
    let (sim, mut w) = deploy_v2("nginx:1", "nginx:2", 1, native("BLUE_GREEN", json!({})));
    let first = w.sd.clone().unwrap_or_default();
    while describe_sd(&sim, &first)["lifecycleStage"] != "BAKE_TIME" {
        w.run(1);
    }
    register(&sim, "nginx:3");
    update(&sim, json!({"taskDefinition": "web:3"}));
    let second = describe(&sim)["currentServiceDeployment"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    w.sd = Some(second.clone());
    w.sample();
    // web:2 took production during the first deployment: it is blue now.
    let sd = describe_sd(&sim, &second);
    let weights: Vec<(String, Value)> = sd["sourceServiceRevisions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let rev = sim.lock().world.ecs.service_revisions
                        [r["arn"].as_str().unwrap_or_default()]["taskDefinition"]
                        .clone();
                    (
                        family_rev(&rev),
                        r["requestedProductionTrafficWeight"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        weights,
        [
            ("web:2".to_owned(), json!(100.0)),
            ("web:1".to_owned(), json!(0.0))
        ]
    );
    w.run_until_done(600);
    assert_transcript(
        &w,
        &[
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D1 PRIMARY web:1 COMPLETED r1 p0 d1 | svc web:1 r1 p0",
            "PENDING green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p0",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p0",
            "event: (service web) has started 1 tasks: (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r0 p1 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r1 p1",
            "event: (service web) registered 1 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "IN_PROGRESS POST_SCALE_UP green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "IN_PROGRESS TEST_TRAFFIC_SHIFT green test 0 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT green test 100 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 0 | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "IN_PROGRESS BAKE_TIME green test 100 prod 100 | D2 PRIMARY web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:2 r2 p0",
            "PENDING green test 0 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r0 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r2 p0",
            "IN_PROGRESS RECONCILE_SERVICE green test 0 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r0 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r2 p0",
            "IN_PROGRESS PRE_SCALE_UP green test 0 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r0 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r2 p0",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r0 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r2 p0",
            "event: (service web) has started 1 tasks: (task *).",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r0 p1 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r2 p1",
            "event: (service web) registered 1 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "IN_PROGRESS SCALE_UP green test 0 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "IN_PROGRESS POST_SCALE_UP green test 0 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "IN_PROGRESS TEST_TRAFFIC_SHIFT green test 0 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "IN_PROGRESS POST_TEST_TRAFFIC_SHIFT green test 100 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 0 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "IN_PROGRESS POST_PRODUCTION_TRAFFIC_SHIFT green test 100 prod 100 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "IN_PROGRESS BAKE_TIME green test 100 prod 100 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r1 p0 d1 | D1 ACTIVE web:1 COMPLETED r1 p0 d1 | svc web:3 r3 p0",
            "event: (service web) has begun draining connections on 2 tasks.",
            "event: (service web) deregistered 1 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef)",
            "event: (service web) deregistered 1 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210)",
            "event: (service web) has stopped 2 running tasks: (task *) (task *).",
            "IN_PROGRESS CLEAN_UP green test 100 prod 100 | D3 PRIMARY web:3 IN_PROGRESS r1 p0 d1 | D2 ACTIVE web:2 IN_PROGRESS r0 p0 d0 | D1 ACTIVE web:1 COMPLETED r0 p0 d0 | svc web:3 r1 p0",
            "event: (service web) (deployment D3) deployment completed.",
            "event: (service web) has reached a steady state.",
            "SUCCESSFUL CLEAN_UP green test 100 prod 100 | D3 PRIMARY web:3 COMPLETED r1 p0 d1 | svc web:3 r1 p0",
        ],
    );
    assert_eq!(describe_sd(&sim, &first)["status"], "STOPPED");
}

/// `--deregistration-delay` (SimOptions::lb_drain_ms): old tasks behind a load balancer drain
/// that long after "has begun draining", and the deployment completes only then.
#[test]
fn the_deregistration_delay_is_configurable() {
    let lb = json!({
        "loadBalancers": [{"targetGroupArn": TG_BLUE, "containerName": "app", "containerPort": 8080}],
    });
    let mut drains = Vec::new();
    for drain_ms in [5_000, 30_000] {
        let sim = Sim::new(
            SimOptions {
                lb_drain_ms: drain_ms,
                ..SimOptions::default()
            },
            Clock::manual(T0_MS),
        );
        create(&sim, "nginx:1", 2, lb.clone());
        settle(&sim);
        register(&sim, "nginx:2");
        let mut w = Watcher::new(&sim);
        update(&sim, json!({"taskDefinition": "web:2"}));
        w.track_current();
        w.sample();
        w.run_until_done(900);
        let began = w.event_time("has begun draining").expect("drained");
        let done = w.event_time("deployment completed").expect("completed");
        drains.push(done - began);
    }
    // Seconds: the delay, plus the stop step and the tick that sees it.
    assert!((5..10).contains(&drains[0]), "{drains:?}");
    assert!((30..35).contains(&drains[1]), "{drains:?}");
}
