//! `ecspress deploy`, `rollback` and `status`: the real binary over HTTP against a real
//! `ecspress sim` process (one per test, fast time scale), with the example project copied into
//! a temporary directory per test (tests run in parallel).
//!
//! Side actions (an alarm, a StopServiceDeployment, a competing deploy) are made while the
//! binary runs, through the simulator's control endpoints and the AWS SDK.

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::sim::{self, SimProcess, command, ecspress};
use crate::support::{describe, example, expect_exit, rewrite, stderr, stdout};

/// Operations that change nothing (everything else counts as mutating).
fn is_read_only(op: &str) -> bool {
    op.starts_with("Describe") || op.starts_with("List")
}

/// A copy of `examples/hello` in a temporary directory; `edit` may rewrite its files.
fn project(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    example("hello", edit)
}

const BREAKER: &str = r#""deploymentCircuitBreaker": { "enable": true, "rollback": true }"#;

fn spawn(sim: &SimProcess, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Child {
    command(sim, dir, env, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ecspress")
}

/// Deploy flags that keep a test fast: poll often.
const FAST: &[&str] = &["--poll-interval", "50ms"];

fn args<'a>(base: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(FAST).copied().collect()
}

async fn create_cluster(sim: &SimProcess) {
    sim.create_cluster("hello").await;
}

/// A simulator with the `hello` cluster.
async fn start(time_scale: f64) -> SimProcess {
    let sim = sim::start(time_scale);
    create_cluster(&sim).await;
    sim
}

async fn service(sim: &SimProcess) -> Value {
    let out = sim
        .ecs()
        .await
        .describe_services()
        .cluster("hello")
        .services("hello")
        .send()
        .await
        .expect("DescribeServices");
    let svc = &out.services()[0];
    json!({
        "taskDefinition": svc.task_definition().unwrap_or_default(),
        "desiredCount": svc.desired_count(),
        "runningCount": svc.running_count(),
        "deployments": svc.deployments().len(),
    })
}

async fn running_revision(sim: &SimProcess) -> String {
    let td = service(sim).await["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    td.rsplit('/').next().unwrap_or_default().to_owned()
}

/// Every call counter of the simulator.
async fn counters(sim: &SimProcess) -> std::collections::BTreeMap<String, u64> {
    serde_json::from_value(sim.state().await["counters"]["calls"].clone()).unwrap_or_default()
}

/// Wait until the simulator has seen `n` calls of `op` (the binary reached that step).
async fn wait_for_calls(sim: &SimProcess, op: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.calls(op).await < n {
        assert!(Instant::now() < deadline, "no {op} call #{n} within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The ARN of the service deployment in progress.
async fn in_progress_deployment(sim: &SimProcess) -> String {
    let ecs = sim.ecs().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = ecs
            .list_service_deployments()
            .cluster("hello")
            .service("hello")
            .status(aws_sdk_ecs::types::ServiceDeploymentStatus::InProgress)
            .status(aws_sdk_ecs::types::ServiceDeploymentStatus::Pending)
            .send()
            .await
            .expect("ListServiceDeployments");
        if let Some(d) = out.service_deployments().first() {
            return d.service_deployment_arn().unwrap_or_default().to_owned();
        }
        assert!(Instant::now() < deadline, "no deployment in progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn finish(child: Child) -> Output {
    child.wait_with_output().expect("wait ecspress")
}

/// The hello project, created and healthy (revision 1).
async fn deployed(time_scale: f64, edit: impl FnOnce(&Path)) -> (SimProcess, tempfile::TempDir) {
    let sim = start(time_scale).await;
    let dir = project(edit);
    let o = ecspress(&sim, dir.path(), &[], &args(&["deploy"]));
    expect_exit(&o, 0);
    (sim, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_creates_the_service() {
    let sim = start(0.005).await;
    let dir = project(|_| {});
    let o = ecspress(&sim, dir.path(), &[], &args(&["deploy"]));
    expect_exit(&o, 0);
    let err = stderr(&o);
    assert!(err.contains("Registered"), "{err}");
    assert!(err.contains("Created"), "{err}");
    assert_eq!(sim.calls("CreateService").await, 1);
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 1);
    assert_eq!(sim.calls("UpdateService").await, 0);
    let svc = service(&sim).await;
    assert_eq!(running_revision(&sim).await, "hello:1");
    assert_eq!(svc["desiredCount"], 2, "desiredCount from the file: {svc}");
    assert_eq!(
        svc["runningCount"], 2,
        "the verdict waited for the rollout: {svc}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_registers_only_when_the_task_definition_changed() {
    let (sim, dir) = deployed(0.005, |_| {}).await;
    // Unchanged: no RegisterTaskDefinition, the running revision is reused.
    let o = ecspress(&sim, dir.path(), &[], &args(&["deploy"]));
    expect_exit(&o, 0);
    assert_eq!(
        sim.calls("RegisterTaskDefinition").await,
        1,
        "{}",
        describe(&o)
    );
    assert!(stderr(&o).contains("unchanged"), "{}", describe(&o));
    assert_eq!(running_revision(&sim).await, "hello:1");
    // Changed (image tag): registered and rolled out.
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &args(&["deploy"]),
    );
    expect_exit(&o, 0);
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 2);
    assert_eq!(sim.calls("UpdateService").await, 2);
    assert_eq!(running_revision(&sim).await, "hello:2");
    let svc = service(&sim).await;
    assert_eq!(
        (svc["runningCount"].clone(), svc["deployments"].clone()),
        (json!(2), json!(1)),
        "{svc}"
    );
    // --tasks overrides the file's desiredCount.
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &args(&["deploy", "--tasks", "3"]),
    );
    expect_exit(&o, 0);
    assert_eq!(service(&sim).await["desiredCount"], 3);
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_makes_no_mutating_call() {
    let sim = start(0.005).await;
    let dir = project(|_| {});
    // Service missing: the CreateService input is printed, nothing is created.
    let before = counters(&sim).await;
    let o = ecspress(&sim, dir.path(), &[], &["deploy", "--dry-run"]);
    expect_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("\"serviceName\": \"hello\""),
        "{}",
        describe(&o)
    );
    assert!(out.contains("\"containerDefinitions\""), "{}", describe(&o));
    let after = counters(&sim).await;
    assert_mutations_unchanged(&before, &after);
    assert!(
        after.get("DescribeServices") > before.get("DescribeServices"),
        "reads happen"
    );

    // Service running, task definition and tags changed: UpdateService/TagResource printed only.
    let o = ecspress(&sim, dir.path(), &[], &args(&["deploy"]));
    expect_exit(&o, 0);
    rewrite(
        dir.path(),
        "ecs-service-def.json",
        r#""desiredCount": 2,"#,
        r#""desiredCount": 2, "tags": [{"key": "team", "value": "web"}],"#,
    );
    let before = counters(&sim).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &["--output", "json", "deploy", "--dry-run"],
    );
    expect_exit(&o, 0);
    let ops: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["type"] == "dry_run_call")
        .map(|r| {
            r["data"]["operation"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        ops,
        ["RegisterTaskDefinition", "UpdateService", "TagResource"],
        "{}",
        describe(&o)
    );
    assert_mutations_unchanged(&before, &counters(&sim).await);
    assert_eq!(running_revision(&sim).await, "hello:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_goal_the_service_cannot_reach_is_refused_before_any_change() {
    // A ROLLING service has no lifecycle stages or hooks, and no CodeDeploy events: the
    // goal is checked against the service before anything is registered or updated.
    let (sim, dir) = deployed(0.005, |_| {}).await;
    for goal in ["stage:BAKE_TIME", "paused", "codedeploy:AllowTraffic"] {
        let before = counters(&sim).await;
        let o = ecspress(
            &sim,
            dir.path(),
            &[("IMAGE_TAG", "1.29")],
            &["deploy", "--wait-until", goal],
        );
        expect_exit(&o, 2);
        let err = stderr(&o);
        assert!(
            err.contains("nothing was changed"),
            "{goal}: {}",
            describe(&o)
        );
        assert!(
            err.contains("ROLLING") || err.contains("ECS deployment controller"),
            "{goal}: {err}"
        );
        assert_mutations_unchanged(&before, &counters(&sim).await);
    }
    assert_eq!(running_revision(&sim).await, "hello:1");
}

#[track_caller]
fn assert_mutations_unchanged(
    before: &std::collections::BTreeMap<String, u64>,
    after: &std::collections::BTreeMap<String, u64>,
) {
    for (op, n) in after {
        if !is_read_only(op) {
            assert_eq!(before.get(op), Some(n), "{op} was called during a dry run");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn circuit_breaker_rollback_exits_3() {
    let (sim, dir) = deployed(0.005, |_| {}).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "crash")],
        &args(&["deploy"]),
    );
    expect_exit(&o, 3);
    assert_eq!(running_revision(&sim).await, "hello:1", "ECS rolled back");
    assert!(stderr(&o).contains("rolled back"), "{}", describe(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn alarm_rollback_exits_3() {
    let (sim, dir) = deployed(0.02, |d| {
        rewrite(
            d,
            "ecs-service-def.json",
            BREAKER,
            &format!(
                r#"{BREAKER}, "alarms": {{ "alarmNames": ["api-5xx"], "enable": true, "rollback": true }}"#
            ),
        )
    })
    .await;
    let child = spawn(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &args(&["deploy"]),
    );
    wait_for_calls(&sim, "UpdateService", 1).await;
    in_progress_deployment(&sim).await;
    sim.control("/_sim/alarms", json!({"name": "api-5xx", "state": "ALARM"}))
        .await;
    let o = finish(child);
    expect_exit(&o, 3);
    assert_eq!(running_revision(&sim).await, "hello:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_service_deployment_abort_exits_4() {
    let (sim, dir) = deployed(0.02, |_| {}).await;
    let child = spawn(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "slow")],
        &args(&["deploy"]),
    );
    wait_for_calls(&sim, "UpdateService", 1).await;
    let arn = in_progress_deployment(&sim).await;
    sim.ecs()
        .await
        .stop_service_deployment()
        .service_deployment_arn(&arn)
        .stop_type(aws_sdk_ecs::types::StopServiceDeploymentStopType::Abort)
        .send()
        .await
        .expect("StopServiceDeployment");
    let o = finish(child);
    expect_exit(&o, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_exits_5_with_the_wait_hint() {
    let (sim, dir) = deployed(0.05, |_| {}).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "slow")],
        &args(&["deploy", "--timeout", "1s"]),
    );
    expect_exit(&o, 5);
    assert!(stderr(&o).contains("ecspress wait"), "{}", describe(&o));
    // The deployment goes on.
    assert_eq!(running_revision(&sim).await, "hello:2");
}

#[tokio::test(flavor = "multi_thread")]
async fn superseded_exits_6() {
    let (sim, dir) = deployed(0.02, |_| {}).await;
    let child = spawn(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "slow")],
        &args(&["deploy"]),
    );
    wait_for_calls(&sim, "UpdateService", 1).await;
    in_progress_deployment(&sim).await;
    sim.ecs()
        .await
        .update_service()
        .cluster("hello")
        .service("hello")
        .force_new_deployment(true)
        .send()
        .await
        .expect("UpdateService from the side");
    let o = finish(child);
    expect_exit(&o, 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_storm_still_succeeds() {
    let sim = start(0.005).await;
    let dir = project(|_| {});
    sim.control("/_sim/faults", json!({"throttle_tps": 3}))
        .await;
    let o = ecspress(&sim, dir.path(), &[], &args(&["deploy"]));
    expect_exit(&o, 0);
    let throttled: u64 = sim.state().await["counters"]["throttled"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert!(throttled > 0, "the storm happened");
    sim.control("/_sim/faults", json!({})).await;
    assert_eq!(running_revision(&sim).await, "hello:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_error_bursts_still_succeed() {
    let sim = start(0.005).await;
    let dir = project(|_| {});
    sim.control("/_sim/faults", json!({"error_rate": 0.3}))
        .await;
    let o = ecspress(&sim, dir.path(), &[], &args(&["deploy"]));
    expect_exit(&o, 0);
    let errors: u64 = sim.state().await["counters"]["errors"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert!(errors > 0, "the faults happened");
}

#[tokio::test(flavor = "multi_thread")]
async fn service_deployment_api_denied_falls_back() {
    let sim = start(0.005).await;
    let dir = project(|_| {});
    sim.control(
        "/_sim/faults",
        json!({"deny": ["ListServiceDeployments", "DescribeServiceDeployments"]}),
    )
    .await;
    let o = ecspress(&sim, dir.path(), &[], &args(&["deploy"]));
    expect_exit(&o, 0);
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "crash")],
        &args(&["deploy"]),
    );
    expect_exit(&o, 3);
    assert_eq!(running_revision(&sim).await, "hello:1");
    assert!(
        sim.calls("DescribeServiceDeployments").await > 0,
        "it was tried"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_to_previous_and_to_a_revision() {
    let (sim, dir) = deployed(0.005, |_| {}).await;
    for tag in ["1.28", "1.29"] {
        let o = ecspress(&sim, dir.path(), &[("IMAGE_TAG", tag)], &args(&["deploy"]));
        expect_exit(&o, 0);
    }
    assert_eq!(running_revision(&sim).await, "hello:3");
    // Dry run: nothing changes.
    let before = counters(&sim).await;
    let o = ecspress(&sim, dir.path(), &[], &["rollback", "--dry-run"]);
    expect_exit(&o, 0);
    assert_mutations_unchanged(&before, &counters(&sim).await);
    // Previous: 3 → 2, and 3 is deregistered (nothing uses it any more).
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &args(&["rollback", "--deregister-task-definition"]),
    );
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "hello:2");
    assert_eq!(
        sim.calls("DeregisterTaskDefinition").await,
        1,
        "{}",
        describe(&o)
    );
    assert!(stderr(&o).contains("Deregistered"), "{}", describe(&o));
    // --revision: any revision.
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &args(&["rollback", "--revision", "1"]),
    );
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "hello:1");
    // Nothing older than 1.
    let o = ecspress(&sim, dir.path(), &[], &args(&["rollback"]));
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("no rollback target"),
        "{}",
        describe(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_stops_a_deployment_in_progress() {
    let (sim, dir) = deployed(0.02, |_| {}).await;
    let deploy = spawn(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "slow")],
        &args(&["deploy"]),
    );
    wait_for_calls(&sim, "UpdateService", 1).await;
    in_progress_deployment(&sim).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &args(&[
            "--output",
            "json",
            "rollback",
            "--deregister-task-definition",
        ]),
    );
    expect_exit(&o, 0);
    assert_eq!(sim.calls("StopServiceDeployment").await, 1);
    assert_eq!(running_revision(&sim).await, "hello:1");
    // The verdict record agrees with the exit code (ROLLBACK_SUCCESSFUL is this command's
    // success), and the revision rolled back from is deregistered once nothing uses it.
    let records: Vec<Value> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let verdict = records
        .iter()
        .find(|r| r["type"] == "verdict")
        .expect("a verdict record");
    assert_eq!(verdict["data"]["exit_code"], 0, "{verdict}");
    let deregistered = records
        .iter()
        .find(|r| r["type"] == "task_definition_deregistered")
        .unwrap_or_else(|| panic!("{}", describe(&o)));
    assert!(
        deregistered["data"]["arn"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/hello:2"),
        "{deregistered}"
    );
    let d = finish(deploy);
    expect_exit(&d, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn template_errors_and_strict_unknown_fields_stop_before_any_aws_call() {
    let sim = start(0.005).await;
    // A template error: not a single AWS call (not even a read).
    let dir = project(|d| {
        rewrite(
            d,
            "ecs-task-def.json",
            r#""family": "hello","#,
            r#""family": "{{ must_env(name="NO_SUCH_VAR") }}","#,
        )
    });
    let before = counters(&sim).await;
    let o = ecspress(&sim, dir.path(), &[], &["deploy"]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("NO_SUCH_VAR"), "{}", describe(&o));
    assert_eq!(before, counters(&sim).await, "no call at all");
    // A field the AWS model does not know: a warning by default, an error with --strict.
    let dir = project(|d| {
        rewrite(
            d,
            "ecs-task-def.json",
            r#""cpu": "256","#,
            r#""cpu": "256", "futureField": 1,"#,
        )
    });
    let o = ecspress(&sim, dir.path(), &[], &["deploy", "--strict"]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("futureField"), "{}", describe(&o));
    assert_eq!(before, counters(&sim).await, "no call at all");
    let o = ecspress(&sim, dir.path(), &[], &args(&["deploy", "--no-wait"]));
    expect_exit(&o, 0);
    assert!(stderr(&o).contains("warning"), "{}", describe(&o));
    assert_eq!(
        stderr(&o).matches("futureField").count(),
        1,
        "warned once: {}",
        describe(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn task_definition_flags() {
    let (sim, dir) = deployed(0.005, |_| {}).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &args(&["deploy"]),
    );
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "hello:2");
    // --skip-task-definition --revision N: family:N, nothing registered (the file changed).
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.29")],
        &args(&["deploy", "--skip-task-definition", "--revision", "1"]),
    );
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "hello:1");
    // --skip-task-definition: keep the running one.
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.29")],
        &args(&["deploy", "--skip-task-definition", "--force-new-deployment"]),
    );
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "hello:1");
    // --latest-task-definition: the family's newest.
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.29")],
        &args(&["deploy", "--latest-task-definition"]),
    );
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "hello:2");
    assert_eq!(
        sim.calls("RegisterTaskDefinition").await,
        2,
        "none of the flags registered"
    );
    // --no-update-service: the file's attributes are not sent.
    rewrite(
        dir.path(),
        "ecs-service-def.json",
        r#""desiredCount": 2,"#,
        r#""desiredCount": 2, "healthCheckGracePeriodSeconds": 42,"#,
    );
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &args(&["deploy", "--no-update-service", "--skip-task-definition"]),
    );
    expect_exit(&o, 0);
    let grace = || async {
        sim.ecs()
            .await
            .describe_services()
            .cluster("hello")
            .services("hello")
            .send()
            .await
            .unwrap()
            .services()[0]
            .health_check_grace_period_seconds()
    };
    assert_ne!(grace().await, Some(42));
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &args(&["deploy", "--skip-task-definition"]),
    );
    expect_exit(&o, 0);
    assert_eq!(grace().await, Some(42), "{}", describe(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_service() {
    let (sim, dir) = deployed(0.005, |_| {}).await;
    let o = ecspress(&sim, dir.path(), &[], &["status", "--events", "3"]);
    expect_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("Service: hello\n"), "{out}");
    assert!(
        out.contains("PRIMARY hello:1 desired:2 pending:0 running:2 COMPLETED("),
        "{out}"
    );
    assert!(out.contains("ServiceDeployment: "), "{out}");
    assert!(out.contains("AutoScaling: "), "{out}");
    let events = out.split("Events:\n").nth(1).unwrap_or_default();
    assert_eq!(events.lines().count(), 3, "{out}");

    let o = ecspress(&sim, dir.path(), &[], &["--output", "json", "status"]);
    expect_exit(&o, 0);
    let records: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(records.len(), 2, "{}", describe(&o));
    assert_eq!(records[0]["type"], "status");
    assert_eq!(records[1]["type"], "verdict", "the closing verdict");
    assert_eq!(records[1]["data"]["outcome"], "completed");
    assert_eq!(records[1]["data"]["exit_code"], 0);
    let data = &records[0]["data"];
    assert_eq!(data["service"], "hello");
    assert_eq!(data["task_definition"], "hello:1");
    assert_eq!(data["deployments"][0]["rollout_state"], "COMPLETED");
    assert_eq!(data["service_deployment"]["status"], "SUCCESSFUL");
}

/// ARNs, ids and times vary per run; the structure of the stream does not.
fn stable(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("time" | "created_at", Value::String(_)) => json!("[time]"),
                        _ => stable(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(stable).collect()),
        Value::String(s) => {
            let mut s = s.clone();
            for (marker, end) in [("service-deployment/", ' '), ("ecs-svc/", ' ')] {
                if let Some(i) = s.find(marker) {
                    let start = i + marker.len();
                    let stop = s[start..]
                        .find([end, ')', '"', ','])
                        .map_or(s.len(), |e| start + e);
                    s.replace_range(start..stop, "[id]");
                }
            }
            Value::String(s)
        }
        other => other.clone(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_event_stream_of_a_successful_deploy() {
    let sim = start(0.005).await;
    let dir = project(|_| {});
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &args(&["--output", "json", "deploy"]),
    );
    expect_exit(&o, 0);
    let records: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is a JSON record"))
        .collect();
    for r in &records {
        let keys: Vec<&String> = r.as_object().expect("object").keys().collect();
        assert_eq!(keys.len(), 3, "{{type, time, data}}: {r}");
    }
    // Progress, service events and stopped tasks depend on poll timing; the rest is stable.
    let skeleton: Vec<Value> = records
        .iter()
        .filter(|r| {
            !matches!(
                r["type"].as_str(),
                Some("progress" | "service_event" | "task_stopped")
            )
        })
        .map(stable)
        .collect();
    insta::assert_json_snapshot!(skeleton);
}

/// `status` reads auto scaling from Application Auto Scaling: ECS from the simulator, App Auto
/// Scaling from moto (per-service endpoint variables, as a CI job would mix them).
#[tokio::test(flavor = "multi_thread")]
async fn status_shows_auto_scaling_from_application_auto_scaling() {
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    let (sim, dir) = deployed(0.005, |_| {}).await;
    let cfg = crate::support::moto::sdk_config().await;
    // moto checks the ECS service exists on its side before it takes a scalable target.
    let moto_ecs = aws_sdk_ecs::Client::new(&cfg);
    let _ = moto_ecs.create_cluster().cluster_name("hello").send().await;
    moto_ecs
        .register_task_definition()
        .family("hello")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("nginx")
                .memory(128)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let _ = moto_ecs
        .create_service()
        .cluster("hello")
        .service_name("hello")
        .task_definition("hello")
        .desired_count(2)
        .send()
        .await;
    let aas = aws_sdk_applicationautoscaling::Client::new(&cfg);
    aas.register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/hello/hello")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(2)
        .max_capacity(6)
        .send()
        .await
        .unwrap();
    let moto = crate::support::moto::endpoint();
    let env = [("AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING", moto)];
    let o = ecspress(&sim, dir.path(), &env, &["--output", "json", "status"]);
    expect_exit(&o, 0);
    let record: Value = serde_json::from_str(stdout(&o).lines().next().unwrap_or_default())
        .expect("a status JSON line");
    let scaling = &record["data"]["auto_scaling"];
    assert_eq!(
        (scaling["min"].as_i64(), scaling["max"].as_i64()),
        (Some(2), Some(6)),
        "{record}"
    );
    assert_eq!(scaling["suspended_in"], false, "{record}");
    let o = ecspress(&sim, dir.path(), &env, &["status"]);
    expect_exit(&o, 0);
    assert!(!stdout(&o).contains("unavailable"), "{}", stdout(&o));
}
