//! CodeDeploy blue/green through the real binary against a real `ecspress sim` process:
//! `examples/codedeploy` copied into a temporary directory, the service created by
//! `ecspress deploy` (CODE_DEPLOY controller), the CodeDeploy application and deployment group
//! created in the test over the simulator's AWS JSON API.

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::sim::{self, SimProcess, ecspress};
use crate::support::{describe, example, expect_exit, stderr, stdout};

const FAST: &[&str] = &["--poll-interval", "50ms"];
const STAGES: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];

fn with_fast<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().chain(FAST).copied().collect()
}

/// One AWS JSON call to the simulator (`prefix` = X-Amz-Target service prefix).
async fn raw(sim: &SimProcess, target: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(&sim.url)
        .header("X-Amz-Target", target)
        .header("Content-Type", "application/x-amz-json-1.1")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let v: Value = serde_json::from_str(&resp.text().await.expect("body")).unwrap_or(Value::Null);
    assert!(status.is_success(), "{target}: {status} {v}");
    v
}

async fn cd(sim: &SimProcess, op: &str, body: Value) -> Value {
    raw(sim, &format!("CodeDeploy_20141006.{op}"), body).await
}

async fn service(sim: &SimProcess) -> Value {
    raw(
        sim,
        "AmazonEC2ContainerServiceV20141113.DescribeServices",
        json!({"cluster": "bluegreen", "services": ["web"]}),
    )
    .await["services"][0]
        .clone()
}

async fn running_revision(sim: &SimProcess) -> String {
    service(sim).await["taskDefinition"]
        .as_str()
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or_default()
        .to_owned()
}

/// A copy of `examples/codedeploy` in a temporary directory.
fn project() -> tempfile::TempDir {
    example("codedeploy", |_| {})
}

/// Simulator + cluster, the service created by `ecspress deploy` (web:1 at steady state), and
/// application `AppECS-bluegreen-web` with group `DgpECS-bluegreen-web` (`group_extra` merged
/// in).
async fn setup(time_scale: f64, group_extra: Value) -> (SimProcess, tempfile::TempDir) {
    let sim = sim::start(time_scale);
    raw(
        &sim,
        "AmazonEC2ContainerServiceV20141113.CreateCluster",
        json!({"clusterName": "bluegreen"}),
    )
    .await;
    let dir = project();
    let o = ecspress(&sim, dir.path(), &[], &with_fast(&["deploy"]));
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "web:1");
    cd(
        &sim,
        "CreateApplication",
        json!({"applicationName": "AppECS-bluegreen-web", "computePlatform": "ECS"}),
    )
    .await;
    // A second ECS application whose group deploys another service: discovery must skip it.
    cd(
        &sim,
        "CreateApplication",
        json!({"applicationName": "other", "computePlatform": "ECS"}),
    )
    .await;
    let mut group = json!({
        "applicationName": "AppECS-bluegreen-web", "deploymentGroupName": "DgpECS-bluegreen-web",
        "serviceRoleArn": "arn:aws:iam::123456789012:role/codedeploy",
        "ecsServices": [{"clusterName": "bluegreen", "serviceName": "web"}],
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "loadBalancerInfo": {"targetGroupPairInfoList": [{
            "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
            "prodTrafficRoute": {"listenerArns": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/prod"]},
        }]},
    });
    if let (Some(g), Value::Object(e)) = (group.as_object_mut(), group_extra) {
        g.extend(e);
    }
    cd(&sim, "CreateDeploymentGroup", group).await;
    (sim, dir)
}

fn records(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Every call counter of the simulator.
async fn counters(sim: &SimProcess) -> std::collections::BTreeMap<String, u64> {
    serde_json::from_value(sim.state().await["counters"]["calls"].clone()).unwrap_or_default()
}

fn is_read_only(op: &str) -> bool {
    ["Describe", "List", "Get", "BatchGet"]
        .iter()
        .any(|p| op.starts_with(p))
}

#[tokio::test(flavor = "multi_thread")]
async fn codedeploy_deploy_prints_lifecycle_events_in_order_and_discovers_once() {
    let (sim, dir) = setup(0.005, json!({})).await;
    let (apps, groups) = (
        sim.calls("ListApplications").await,
        sim.calls("ListDeploymentGroups").await,
    );
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &with_fast(&["deploy", "--output", "json"]),
    );
    expect_exit(&o, 0);
    // Discovery ran once for deploy + watch.
    assert_eq!(sim.calls("ListApplications").await - apps, 1);
    assert_eq!(
        sim.calls("ListDeploymentGroups").await - groups,
        2,
        "one per ECS application"
    );
    let recs = records(&o);
    let kinds: Vec<&str> = recs.iter().filter_map(|r| r["type"].as_str()).collect();
    assert!(kinds.contains(&"code_deploy_group"), "{kinds:?}");
    assert!(
        kinds.contains(&"code_deploy_deployment_created"),
        "{kinds:?}"
    );
    let succeeded: Vec<&str> = recs
        .iter()
        .filter(|r| {
            r["type"] == "code_deploy_lifecycle_event" && r["data"]["status"] == "Succeeded"
        })
        .filter_map(|r| r["data"]["event"].as_str())
        .collect();
    assert_eq!(succeeded, STAGES, "{}", describe(&o));
    let verdict = recs.last().expect("records");
    assert_eq!(verdict["type"], "verdict");
    assert_eq!(verdict["data"]["exit_code"], 0);
    assert_eq!(running_revision(&sim).await, "web:2");
    // Human form: the lifecycle lines in order on stderr.
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.29")],
        &with_fast(&["deploy"]),
    );
    expect_exit(&o, 0);
    let err = stderr(&o);
    let positions: Vec<usize> = STAGES
        .iter()
        .map(|s| {
            err.find(&format!(" {s} Succeeded"))
                .unwrap_or_else(|| panic!("{s} Succeeded missing:\n{err}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{err}");
    assert!(err.contains("pin it in the config"), "{err}");
    // The same files again: no deployment.
    let before = sim.calls("CreateDeployment").await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.29")],
        &with_fast(&["deploy"]),
    );
    expect_exit(&o, 0);
    assert_eq!(
        sim.calls("CreateDeployment").await,
        before,
        "{}",
        describe(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn codedeploy_unhealthy_green_with_auto_rollback_exits_3() {
    let (sim, dir) = setup(
        0.005,
        json!({"autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]}}),
    )
    .await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "unhealthy")],
        &with_fast(&["deploy"]),
    );
    expect_exit(&o, 3);
    assert!(
        stderr(&o).contains("HEALTH_CONSTRAINTS"),
        "{}",
        describe(&o)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(running_revision(&sim).await, "web:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn codedeploy_ready_wait_paused_then_wait_after_continue() {
    let (sim, dir) = setup(
        0.005,
        json!({"blueGreenDeploymentConfiguration": {
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        }}),
    )
    .await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &with_fast(&["deploy", "--wait-until", "paused"]),
    );
    expect_exit(&o, 0);
    let err = stderr(&o);
    assert!(err.contains("Paused"), "{err}");
    assert!(err.contains("ecspress continue"), "{err}");
    assert_eq!(
        running_revision(&sim).await,
        "web:1",
        "not rerouted before continue"
    );
    // `continue` ends the Ready wait (ContinueDeployment READY_WAIT) and watches to the end.
    let before = sim.calls("ContinueDeployment").await;
    let o = ecspress(&sim, dir.path(), &[], &with_fast(&["continue"]));
    expect_exit(&o, 0);
    assert_eq!(sim.calls("ContinueDeployment").await, before + 1);
    assert_eq!(running_revision(&sim).await, "web:2");
    // Nothing waits any more: continue refuses (exit 2, no call).
    let o = ecspress(&sim, dir.path(), &[], &with_fast(&["continue"]));
    expect_exit(&o, 2);
    assert_eq!(sim.calls("ContinueDeployment").await, before + 1);
    // Nothing in flight any more: wait says so and exits 0.
    let o = ecspress(&sim, dir.path(), &[], &with_fast(&["wait"]));
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("no CodeDeploy deployment in progress"),
        "{}",
        describe(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn codedeploy_rollback_mid_deployment_exits_0() {
    let (sim, dir) = setup(
        0.005,
        json!({"deploymentConfigName": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"}),
    )
    .await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &with_fast(&["deploy", "--no-wait"]),
    );
    expect_exit(&o, 0);
    // Wait until traffic starts moving (AllowTraffic in progress).
    let deadline = Instant::now() + Duration::from_secs(30);
    let id = loop {
        let ids = cd(
            &sim,
            "ListDeployments",
            json!({"applicationName": "AppECS-bluegreen-web", "deploymentGroupName": "DgpECS-bluegreen-web",
                "includeOnlyStatuses": ["InProgress"]}),
        )
        .await;
        if let Some(id) = ids["deployments"][0].as_str() {
            let t = cd(
                &sim,
                "GetDeploymentTarget",
                json!({"deploymentId": id, "targetId": "bluegreen:web"}),
            )
            .await;
            let events = &t["deploymentTarget"]["ecsTarget"]["lifecycleEvents"];
            if events[6]["status"] == "InProgress" {
                break id.to_owned();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the deployment did not reach AllowTraffic"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let o = ecspress(&sim, dir.path(), &[], &with_fast(&["rollback"]));
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("rolled back as requested"),
        "{}",
        describe(&o)
    );
    let d = cd(&sim, "GetDeployment", json!({"deploymentId": id})).await;
    assert_eq!(d["deploymentInfo"]["status"], "Stopped");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(running_revision(&sim).await, "web:1");
    // Finished: rollback now deploys the previous revision... which is web:1 already running,
    // so --revision picks one explicitly.
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &with_fast(&["rollback", "--revision", "2", "--dry-run"]),
    );
    expect_exit(&o, 0);
    assert!(
        stdout(&o).contains("\"deploymentGroupName\""),
        "{}",
        describe(&o)
    );
    assert!(stdout(&o).contains("web:2"), "{}", describe(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn codedeploy_dry_run_makes_no_mutating_call() {
    let (sim, dir) = setup(0.005, json!({})).await;
    let before = counters(&sim).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &with_fast(&[
            "deploy",
            "--dry-run",
            "--codedeploy-config",
            "CodeDeployDefault.ECSCanary10Percent5Minutes",
            "--rollback-events",
            "DEPLOYMENT_FAILURE,deployment_stop_on_alarm",
        ]),
    );
    expect_exit(&o, 0);
    let after = counters(&sim).await;
    for (op, n) in &after {
        if !is_read_only(op) {
            assert_eq!(before.get(op), Some(n), "{op} was called during a dry run");
        }
    }
    let out = stdout(&o);
    assert!(
        out.contains("\"CodeDeployDefault.ECSCanary10Percent5Minutes\""),
        "{out}"
    );
    assert!(out.contains("\"DEPLOYMENT_STOP_ON_ALARM\""), "{out}");
    assert!(out.contains("\"sha256\""), "{out}");
    assert!(out.contains("task-definition/web:2"), "{out}");
    assert!(stderr(&o).contains("CreateDeployment"), "{}", describe(&o));
    // Bad flags and ECS-only goals are refused before any change.
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &["deploy", "--rollback-events", "ON_FAILURE"],
    );
    expect_exit(&o, 2);
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &["deploy", "--wait-until", "stage:BAKE_TIME"],
    );
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("codedeploy:<Event>"),
        "{}",
        describe(&o)
    );
    let after2 = counters(&sim).await;
    for (op, n) in &after2 {
        if !is_read_only(op) {
            assert_eq!(
                after.get(op),
                Some(n),
                "{op} was called by a refused deploy"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn appspec_prints_what_deploy_would_send() {
    let (sim, dir) = setup(0.005, json!({})).await;
    std::fs::write(
        dir.path().join("ecspress.yml"),
        std::fs::read_to_string(dir.path().join("ecspress.yml")).expect("read")
            + "appspec:\n  Hooks:\n    - AfterAllowTestTraffic: smoke-test\n",
    )
    .expect("write");
    // Unchanged file: the running revision.
    let o = ecspress(&sim, dir.path(), &[], &["appspec"]);
    expect_exit(&o, 0);
    insta::assert_snapshot!("appspec_current", stdout(&o));
    // Changed file: the next revision, said so.
    let o = ecspress(&sim, dir.path(), &[("IMAGE_TAG", "1.28")], &["appspec"]);
    expect_exit(&o, 0);
    assert!(
        stdout(&o).contains("task-definition/web:2"),
        "{}",
        describe(&o)
    );
    assert!(
        stderr(&o).contains("would register a new one"),
        "{}",
        describe(&o)
    );
    // JSON: one record with the document.
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &["appspec", "--output", "json", "--task-definition", "web:1"],
    );
    expect_exit(&o, 0);
    let recs = records(&o);
    let spec = recs
        .iter()
        .find(|r| r["type"] == "app_spec")
        .unwrap_or_else(|| panic!("{}", describe(&o)));
    assert_eq!(
        spec["data"]["appspec"]["Hooks"],
        json!([{"AfterAllowTestTraffic": "smoke-test"}])
    );
    let _ = Stdio::null();
}

/// `s` with CodeDeploy deployment ids (`d-` + 9 upper-case letters/digits) replaced by `d-*`.
fn redact_ids(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let id = b[i..].starts_with(b"d-")
            && b.len() >= i + 11
            && b[i + 2..i + 11]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if id {
            out.push_str("d-*");
            i += 11;
        } else {
            let ch = s[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn redacted(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(redact_ids(s)),
        Value::Array(a) => Value::Array(a.iter().map(redacted).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), redacted(v))).collect())
        }
        other => other.clone(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn codedeploy_json_event_stream() {
    let (sim, dir) = setup(0.005, json!({})).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &with_fast(&["--output", "json", "deploy"]),
    );
    expect_exit(&o, 0);
    let recs: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is a JSON record"))
        .collect();
    // Progress and in-between lifecycle states depend on poll timing; the rest is stable.
    let skeleton: Vec<Value> = recs
        .iter()
        .filter(|r| r["type"] != "code_deploy_progress")
        .filter(|r| {
            r["type"] != "code_deploy_lifecycle_event" || r["data"]["status"] == "Succeeded"
        })
        .map(|r| json!({"type": r["type"], "data": redacted(&r["data"])}))
        .collect();
    insta::assert_json_snapshot!(skeleton);
}

#[tokio::test(flavor = "multi_thread")]
async fn codedeploy_rollback_to_the_previous_revision_and_deregister() {
    let (sim, dir) = setup(0.005, json!({})).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &with_fast(&["deploy"]),
    );
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "web:2");
    // Dry run first: says what it would do, changes nothing.
    let before = counters(&sim).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &with_fast(&["rollback", "--deregister-task-definition", "--dry-run"]),
    );
    expect_exit(&o, 0);
    assert!(
        stdout(&o).contains("task-definition/web:1"),
        "{}",
        describe(&o)
    );
    assert!(
        stderr(&o).contains("DeregisterTaskDefinition"),
        "{}",
        describe(&o)
    );
    let after = counters(&sim).await;
    for (op, n) in &after {
        if !is_read_only(op) {
            assert_eq!(before.get(op), Some(n), "{op} was called during a dry run");
        }
    }
    let o = ecspress(
        &sim,
        dir.path(),
        &[],
        &with_fast(&[
            "rollback",
            "--deregister-task-definition",
            "--output",
            "json",
        ]),
    );
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "web:1");
    let recs = records(&o);
    let dereg = recs
        .iter()
        .find(|r| r["type"] == "task_definition_deregistered")
        .unwrap_or_else(|| panic!("{}", describe(&o)));
    assert!(
        dereg["data"]["arn"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/web:2"),
        "{dereg}"
    );
    assert_eq!(sim.calls("DeregisterTaskDefinition").await, 1);
}
