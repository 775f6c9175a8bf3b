//! The fault matrix (issue #10, docs/reliability.md): the real binary deploying through a real
//! `ecspress sim` over HTTP while the simulator (`/_sim/faults`), a TCP proxy, the credential
//! chain or a signal injects one fault at a time. Each test proves the verdict (exit code),
//! what the user is told, and that nothing was lost or done twice (simulator counters: one
//! RegisterTaskDefinition per deploy, one deployment per UpdateService).
//!
//! Timeouts are shortened with `ECSPRESS_AWS_ATTEMPT_TIMEOUT` / `_OPERATION_TIMEOUT` so a slow
//! answer costs seconds; no assertion depends on wall-clock time.

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::sim::{self, SimProcess, command, ecspress};
use crate::support::{describe, example, expect_exit, proxy, stderr};

const FAST: &[&str] = &["--poll-interval", "50ms"];

fn deploy_args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = vec!["deploy"];
    v.extend_from_slice(FAST);
    v.extend_from_slice(extra);
    v
}

/// Short SDK timeouts: one attempt 1 s; one operation 10 s (room for the SDK's retry
/// backoff of up to 1 s, 2 s, ... between timed-out attempts on a loaded machine).
const SHORT_TIMEOUTS: &[(&str, &str)] = &[
    ("ECSPRESS_AWS_ATTEMPT_TIMEOUT", "1s"),
    ("ECSPRESS_AWS_OPERATION_TIMEOUT", "10s"),
];

/// A simulator with the `hello` cluster, and the hello project deployed (hello:1, healthy).
async fn deployed(time_scale: f64) -> (SimProcess, tempfile::TempDir) {
    let sim = sim::start(time_scale);
    sim.create_cluster("hello").await;
    let dir = example("hello", |_| {});
    let o = ecspress(&sim, dir.path(), &[], &deploy_args(&[]));
    expect_exit(&o, 0);
    (sim, dir)
}

async fn faults(sim: &SimProcess, f: Value) {
    sim.control("/_sim/faults", f).await;
}

/// The ACTIVE revisions of family `hello`, oldest first (`hello:1`, ...).
async fn revisions(sim: &SimProcess) -> Vec<String> {
    let out = sim
        .ecs()
        .await
        .list_task_definitions()
        .family_prefix("hello")
        .send()
        .await
        .expect("ListTaskDefinitions");
    out.task_definition_arns()
        .iter()
        .map(|a| a.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}

async fn running_revision(sim: &SimProcess) -> String {
    let out = sim
        .ecs()
        .await
        .describe_services()
        .cluster("hello")
        .services("hello")
        .send()
        .await
        .expect("DescribeServices");
    let td = out.services()[0].task_definition().unwrap_or_default();
    td.rsplit('/').next().unwrap_or_default().to_owned()
}

/// Every service deployment of hello/hello (any status).
/// The proof that nothing was lost or done twice after `deploys` deploys (the first one
/// created the service): the service runs `hello:<deploys>`, the family holds exactly
/// `hello:1..=deploys` (one revision per deploy) and there was one deployment per deploy.
async fn assert_one_each_per_deploy(sim: &SimProcess, deploys: usize) {
    let want: Vec<String> = (1..=deploys).map(|n| format!("hello:{n}")).collect();
    assert_eq!(running_revision(sim).await, want[deploys - 1]);
    assert_eq!(revisions(sim).await, want, "one revision per deploy");
    assert_eq!(
        service_deployments(sim).await,
        deploys,
        "one deployment per deploy"
    );
}

async fn service_deployments(sim: &SimProcess) -> usize {
    sim.ecs()
        .await
        .list_service_deployments()
        .cluster("hello")
        .service("hello")
        .send()
        .await
        .expect("ListServiceDeployments")
        .service_deployments()
        .len()
}

async fn counter(sim: &SimProcess, kind: &str) -> u64 {
    sim.state().await["counters"][kind]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

async fn wait_for_calls(sim: &SimProcess, op: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.calls(op).await < n {
        assert!(Instant::now() < deadline, "no {op} call #{n} within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn spawn(sim: &SimProcess, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Child {
    command(sim, dir, env, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ecspress")
}

/// Ctrl-C: SIGINT to the child, then its output.
fn interrupt(child: Child) -> Output {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    child.wait_with_output().expect("wait ecspress")
}

// Row 1: throttling storm.

#[tokio::test(flavor = "multi_thread")]
async fn throttling_storm_during_deploy_and_watch_still_succeeds() {
    let (sim, dir) = deployed(0.02).await;
    faults(&sim, json!({"throttle_tps": 2})).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &deploy_args(&[]),
    );
    expect_exit(&o, 0);
    assert!(counter(&sim, "throttled").await > 0, "the storm happened");
    let err = stderr(&o);
    assert!(!err.contains("ThrottlingException"), "{}", describe(&o));
    faults(&sim, json!({})).await;
    assert_one_each_per_deploy(&sim, 2).await;
}

// Row 2: ServerException bursts on each step.

#[tokio::test(flavor = "multi_thread")]
async fn server_error_bursts_on_register_update_and_watch_still_succeed() {
    let (sim, dir) = deployed(0.02).await;
    // RegisterTaskDefinition answers 500 once: nothing was registered, so it is sent again.
    faults(
        &sim,
        json!({"error_rate": 1.0, "max_faulted_calls": 1, "operations": ["RegisterTaskDefinition"]}),
    )
    .await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &deploy_args(&[]),
    );
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("so it was not registered: retrying (1 of 4)"),
        "{}",
        describe(&o)
    );
    assert_eq!(
        sim.calls("RegisterTaskDefinition").await,
        3,
        "1 + 500 + retry"
    );
    assert_eq!(revisions(&sim).await, ["hello:1", "hello:2"]);
    // UpdateService answers 500 twice: the SDK retries it (idempotent).
    faults(
        &sim,
        json!({"error_rate": 1.0, "max_faulted_calls": 2, "operations": ["UpdateService"]}),
    )
    .await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.29")],
        &deploy_args(&[]),
    );
    expect_exit(&o, 0);
    assert_eq!(
        sim.state().await["counters"]["errors"]["UpdateService"],
        2,
        "the burst happened"
    );
    assert_eq!(
        sim.calls("UpdateService").await,
        4,
        "the first deploy's, then 500, 500 and the SDK's third attempt"
    );
    assert_eq!(running_revision(&sim).await, "hello:3");
    // Every watcher read answers 500 for a while: the watch backs off and rides through.
    faults(
        &sim,
        json!({"error_rate": 1.0, "max_faulted_calls": 8,
               "operations": ["ListServiceDeployments", "DescribeServiceDeployments"]}),
    )
    .await;
    let before = counter(&sim, "errors").await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.30")],
        &deploy_args(&[]),
    );
    expect_exit(&o, 0);
    assert_eq!(
        counter(&sim, "errors").await - before,
        8,
        "the burst happened"
    );
    assert_one_each_per_deploy(&sim, 4).await;
}

// Row 3: slow responses beyond the SDK attempt timeout.

#[tokio::test(flavor = "multi_thread")]
async fn slow_reads_beyond_the_attempt_timeout_are_retried() {
    let (sim, dir) = deployed(0.02).await;
    faults(
        &sim,
        json!({"latency_ms": 2000, "max_faulted_calls": 2, "operations": ["DescribeServices"]}),
    )
    .await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[SHORT_TIMEOUTS, &[("IMAGE_TAG", "1.28")]].concat(),
        &deploy_args(&[]),
    );
    expect_exit(&o, 0);
    assert_eq!(
        sim.state().await["counters"]["delayed"]["DescribeServices"],
        2,
        "two attempts were abandoned"
    );
    assert_eq!(running_revision(&sim).await, "hello:2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_register_answer_never_registers_twice() {
    let (sim, dir) = deployed(0.02).await;
    // Processed at once, answered after 2 s: every attempt times out after 1 s.
    faults(
        &sim,
        json!({"delay_response_ms": 2000, "operations": ["RegisterTaskDefinition"]}),
    )
    .await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[SHORT_TIMEOUTS, &[("IMAGE_TAG", "1.28")]].concat(),
        &deploy_args(&[]),
    );
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("not registering twice")
            && stderr(&o).contains("no answer in time: ")
            && stderr(&o).contains("ECSPRESS_AWS_ATTEMPT_TIMEOUT"),
        "{}",
        describe(&o)
    );
    assert_eq!(
        sim.calls("RegisterTaskDefinition").await,
        2,
        "1 + this deploy's one"
    );
    assert_eq!(revisions(&sim).await, ["hello:1", "hello:2"]);
    assert_eq!(running_revision(&sim).await, "hello:2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_update_answer_starts_one_deployment() {
    let (sim, dir) = deployed(0.02).await;
    faults(
        &sim,
        json!({"delay_response_ms": 2000, "max_faulted_calls": 1, "operations": ["UpdateService"]}),
    )
    .await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[SHORT_TIMEOUTS, &[("IMAGE_TAG", "1.28")]].concat(),
        &deploy_args(&[]),
    );
    expect_exit(&o, 0);
    assert_eq!(sim.calls("UpdateService").await, 2, "the SDK sent it again");
    // ... but one deployment started.
    assert_one_each_per_deploy(&sim, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_create_answer_continues_with_the_created_service() {
    let sim = sim::start(0.02);
    sim.create_cluster("hello").await;
    let dir = example("hello", |_| {});
    faults(
        &sim,
        json!({"delay_response_ms": 2000, "operations": ["CreateService"]}),
    )
    .await;
    let o = ecspress(&sim, dir.path(), SHORT_TIMEOUTS, &deploy_args(&[]));
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("exists now: the call was processed; continuing"),
        "{}",
        describe(&o)
    );
    assert_eq!(sim.calls("CreateService").await, 1);
    assert_eq!(running_revision(&sim).await, "hello:1");
}

// Row 4: connection resets and refusals mid-watch.

#[tokio::test(flavor = "multi_thread")]
async fn connections_reset_and_refused_mid_watch_ride_through() {
    let (sim, dir) = deployed(0.05).await;
    let proxy = proxy::start(&sim.url);
    let child = crate::support::command_at(
        &proxy.url,
        dir.path(),
        &[("IMAGE_TAG", "slow")],
        &deploy_args(&[]),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    wait_for_calls(&sim, "UpdateService", 1).await;
    let polls = sim.calls("DescribeServiceDeployments").await;
    wait_for_calls(&sim, "DescribeServiceDeployments", polls + 2).await;
    proxy.down();
    // Let a request forwarded just before the reset reach the simulator's counters.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let polls = sim.calls("DescribeServiceDeployments").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        sim.calls("DescribeServiceDeployments").await,
        polls,
        "nothing got through while down"
    );
    let accepted = proxy.accepted();
    proxy.up();
    let o = child.wait_with_output().expect("wait");
    expect_exit(&o, 0);
    assert!(proxy.accepted() > accepted, "it reconnected");
    assert!(sim.calls("DescribeServiceDeployments").await > polls);
    assert_eq!(running_revision(&sim).await, "hello:2");
    assert_eq!(revisions(&sim).await, ["hello:1", "hello:2"]);
}

// Row 5: credentials expiring mid-watch, refreshed through the chain.

#[tokio::test(flavor = "multi_thread")]
async fn expiring_credentials_are_refreshed_mid_watch() {
    // Slow enough (a `slow` rollout of several seconds) for the SDK to refresh: its identity
    // cache reloads 10 s (minus up to 5 s of jitter) before the Expiration, so 8 s keys are
    // replaced within 3 s of being issued.
    let (sim, dir) = deployed(0.1).await;
    // credential_process: a new key per call, valid 8 s, its expiry in its id so the
    // simulator rejects it afterwards (reject_expired_keys).
    let creds = tempfile::tempdir().expect("tempdir");
    let script = creds.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
n=$(cat "{d}/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "{d}/n"
exp=$(( $(date +%s) + 8 ))
printf '{{"Version":1,"AccessKeyId":"ASIATEST%sEXP%s","SecretAccessKey":"s","SessionToken":"t%s","Expiration":"%s"}}' \
  "$n" "$exp" "$n" "$(date -u -d @$exp +%Y-%m-%dT%H:%M:%SZ)"
"#,
            d = creds.path().display()
        ),
    )
    .expect("script");
    std::process::Command::new("chmod")
        .args(["+x", &script.display().to_string()])
        .status()
        .expect("chmod");
    let config = creds.path().join("config");
    std::fs::write(
        &config,
        format!("[default]\ncredential_process = {}\n", script.display()),
    )
    .expect("config");
    faults(&sim, json!({"reject_expired_keys": true})).await;
    let mut cmd = command(
        &sim,
        dir.path(),
        &[
            ("IMAGE_TAG", "slow"),
            ("AWS_CONFIG_FILE", &config.display().to_string()),
        ],
        &deploy_args(&[]),
    );
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let o = cmd.output().expect("run");
    expect_exit(&o, 0);
    let state = sim.state().await;
    let keys: Vec<&String> = state["counters"]["access_keys"]
        .as_object()
        .expect("keys")
        .keys()
        .filter(|k| k.starts_with("ASIATEST"))
        .collect();
    assert!(keys.len() >= 2, "refreshed during the run: {keys:?}");
    assert_eq!(
        counter(&sim, "expired_keys").await,
        0,
        "no call went out with an expired key"
    );
    assert_eq!(running_revision(&sim).await, "hello:2");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_static_key_is_a_clear_error() {
    let (sim, dir) = deployed(0.02).await;
    faults(&sim, json!({"reject_expired_keys": true})).await;
    let o = ecspress(
        &sim,
        dir.path(),
        &[
            ("AWS_ACCESS_KEY_ID", "ASIAOLDEXP1000"),
            ("IMAGE_TAG", "1.28"),
        ],
        &deploy_args(&[]),
    );
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("ExpiredTokenException"),
        "{}",
        describe(&o)
    );
    assert_eq!(revisions(&sim).await, ["hello:1"], "nothing was changed");
}

// Row 6: Ctrl-C during register, update and watch.

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_register_says_a_revision_may_exist_and_redeploy_reuses_it() {
    let (sim, dir) = deployed(0.02).await;
    faults(
        &sim,
        json!({"delay_response_ms": 30000, "operations": ["RegisterTaskDefinition"]}),
    )
    .await;
    let env = [("IMAGE_TAG", "1.28")];
    let child = spawn(&sim, dir.path(), &env, &deploy_args(&[]));
    wait_for_calls(&sim, "RegisterTaskDefinition", 2).await;
    let o = interrupt(child);
    expect_exit(&o, 130);
    let err = stderr(&o);
    assert!(
        err.contains("interrupted during RegisterTaskDefinition")
            && err.contains("may have been registered")
            && err.contains("the service still runs hello:1")
            && err.contains("`ecspress deploy` again reuses"),
        "{}",
        describe(&o)
    );
    assert_eq!(running_revision(&sim).await, "hello:1");
    // It had been registered; deploying again uses it.
    faults(&sim, json!({})).await;
    let o = ecspress(&sim, dir.path(), &env, &deploy_args(&[]));
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("identical to the newest revision"),
        "{}",
        describe(&o)
    );
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 2);
    assert_eq!(revisions(&sim).await, ["hello:1", "hello:2"]);
    assert_eq!(running_revision(&sim).await, "hello:2");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_json_stream_has_the_note_then_one_interrupted_verdict() {
    let (sim, dir) = deployed(0.02).await;
    faults(
        &sim,
        json!({"delay_response_ms": 30000, "operations": ["UpdateService"]}),
    )
    .await;
    let mut args = vec!["--output", "json"];
    args.extend(deploy_args(&[]));
    let child = spawn(&sim, dir.path(), &[("IMAGE_TAG", "1.28")], &args);
    wait_for_calls(&sim, "UpdateService", 1).await;
    let o = interrupt(child);
    expect_exit(&o, 130);
    let records = crate::support::json_lines(&o);
    let kinds: Vec<&str> = records.iter().filter_map(|r| r["type"].as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "verdict").count(),
        1,
        "{kinds:?}"
    );
    let last = records.last().expect("records");
    assert_eq!(
        (last["type"].as_str(), last["data"]["exit_code"].as_i64()),
        (Some("verdict"), Some(130))
    );
    let note = records
        .iter()
        .find(|r| r["type"] == "warning")
        .unwrap_or_else(|| panic!("{kinds:?}"));
    assert!(
        note["data"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("interrupted during UpdateService")),
        "{note}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_update_says_how_to_follow_or_revert() {
    let (sim, dir) = deployed(0.02).await;
    faults(
        &sim,
        json!({"delay_response_ms": 30000, "operations": ["UpdateService"]}),
    )
    .await;
    let child = spawn(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &deploy_args(&[]),
    );
    wait_for_calls(&sim, "UpdateService", 1).await;
    let o = interrupt(child);
    expect_exit(&o, 130);
    let err = stderr(&o);
    assert!(
        err.contains("interrupted during UpdateService")
            && err.contains("may have been updated to hello:2")
            && err.contains("`ecspress wait` follows it")
            && err.contains("`ecspress rollback` reverts it"),
        "{}",
        describe(&o)
    );
    // The update had been applied: `wait` follows it to its verdict.
    faults(&sim, json!({})).await;
    let o = ecspress(&sim, dir.path(), &[], &["wait", "--poll-interval", "50ms"]);
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "hello:2");
    assert_eq!(service_deployments(&sim).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_create_says_the_service_may_exist_and_deploy_continues() {
    let sim = sim::start(0.02);
    sim.create_cluster("hello").await;
    let dir = example("hello", |_| {});
    faults(
        &sim,
        json!({"delay_response_ms": 30000, "operations": ["CreateService"]}),
    )
    .await;
    let child = spawn(&sim, dir.path(), &[], &deploy_args(&[]));
    wait_for_calls(&sim, "CreateService", 1).await;
    let o = interrupt(child);
    expect_exit(&o, 130);
    let err = stderr(&o);
    assert!(
        err.contains("interrupted during CreateService")
            && err.contains("may have been created with hello:1")
            && err.contains("`ecspress deploy` again continues"),
        "{}",
        describe(&o)
    );
    faults(&sim, json!({})).await;
    let o = ecspress(&sim, dir.path(), &[], &deploy_args(&[]));
    expect_exit(&o, 0);
    assert_eq!(sim.calls("CreateService").await, 1, "created once");
    let o = ecspress(&sim, dir.path(), &[], &["wait", "--poll-interval", "50ms"]);
    expect_exit(&o, 0);
    assert_eq!(revisions(&sim).await, ["hello:1"]);
    assert_eq!(running_revision(&sim).await, "hello:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_watch_leaves_the_deployment_going_and_says_so() {
    let (sim, dir) = deployed(0.05).await;
    let child = spawn(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "slow")],
        &deploy_args(&[]),
    );
    wait_for_calls(&sim, "UpdateService", 1).await;
    let polls = sim.calls("DescribeServiceDeployments").await;
    wait_for_calls(&sim, "DescribeServiceDeployments", polls + 2).await;
    let o = interrupt(child);
    expect_exit(&o, 130);
    let err = stderr(&o);
    assert!(
        err.contains("interrupted while waiting for deployment")
            && err.contains("the deployment goes on in ECS")
            && err.contains("`ecspress wait`"),
        "{}",
        describe(&o)
    );
    assert!(
        !err.contains("interrupted during") && !err.contains("interrupted after"),
        "only the watcher's message: {err}"
    );
    let o = ecspress(&sim, dir.path(), &[], &["wait", "--poll-interval", "50ms"]);
    expect_exit(&o, 0);
    assert_eq!(running_revision(&sim).await, "hello:2");
}

// Row 7: a concurrent deploy supersedes ours (exit 6 itself: deploy_cli::superseded_exits_6).

#[tokio::test(flavor = "multi_thread")]
async fn a_concurrent_deploy_supersedes_ours_and_is_named() {
    let (sim, dir) = deployed(0.05).await;
    let ours = spawn(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "slow")],
        &deploy_args(&[]),
    );
    wait_for_calls(&sim, "UpdateService", 1).await;
    let polls = sim.calls("DescribeServiceDeployments").await;
    wait_for_calls(&sim, "DescribeServiceDeployments", polls + 1).await;
    let theirs = ecspress(
        &sim,
        dir.path(),
        &[("IMAGE_TAG", "1.28")],
        &deploy_args(&[]),
    );
    expect_exit(&theirs, 0);
    let o = ours.wait_with_output().expect("wait");
    expect_exit(&o, 6);
    let err = stderr(&o);
    assert!(err.contains("superseded"), "{}", describe(&o));
    assert!(
        err.contains("hello:3"),
        "names the deployment that took over: {err}"
    );
    assert_eq!(running_revision(&sim).await, "hello:3");
}
