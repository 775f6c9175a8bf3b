//! ECS-native BLUE_GREEN, LINEAR and CANARY through the real binary against a real
//! `ecspress sim` process: `deploy` with stage-aware waits, `continue [--rollback]`,
//! `rollback` (StopServiceDeployment, or ContinueServiceDeployment at a paused hook) and an
//! empty `diff` right after a deploy.
//!
//! Each test copies `examples/bluegreen` into a temporary directory and edits its service
//! definition (strategy, bake time, hooks). Time scale 0.005: one simulated minute (the bake
//! time) lasts 0.3 s.

use std::path::Path;
use std::process::Output;

use crate::support::sim::{self, SimProcess};
use crate::support::{bin, describe, example, expect_exit, json_lines, rewrite, stderr};

const SCALE: f64 = 0.005;

/// A copy of `examples/bluegreen`; `edit` may rewrite its files.
fn project(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    example("bluegreen", edit)
}

const HOOKS: &str = r#""lifecycleHooks": [
      { "targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"] }
    ]"#;

/// The service definition's `deploymentConfiguration` members other than the hooks.
fn strategy(dir: &Path, members: &str, hooks: &str) {
    rewrite(
        dir,
        "ecs-service-def.json",
        r#""strategy": "BLUE_GREEN",
    "bakeTimeInMinutes": 1,"#,
        members,
    );
    rewrite(dir, "ecs-service-def.json", HOOKS, hooks);
}

/// Without the PAUSE hook (a bake of `bake` minutes).
fn no_pause(bake: u32) -> impl FnOnce(&Path) {
    move |dir| {
        strategy(
            dir,
            &format!(r#""strategy": "BLUE_GREEN", "bakeTimeInMinutes": {bake},"#),
            r#""lifecycleHooks": []"#,
        )
    }
}

async fn start() -> SimProcess {
    let sim = sim::start(SCALE);
    sim.create_cluster("bluegreen").await;
    sim
}

fn ecspress(sim: &SimProcess, dir: &Path, tag: &str, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", &sim.url)
        .env("IMAGE_TAG", tag)
        .args(args)
        .args(if args.contains(&"diff") {
            &[][..]
        } else {
            &["--poll-interval", "50ms"][..]
        })
        .output()
        .expect("run ecspress")
}

/// Statuses of the service's deployments, newest first.
async fn deployment_statuses(sim: &SimProcess) -> Vec<String> {
    let ecs = sim.ecs().await;
    let out = ecs
        .list_service_deployments()
        .cluster("bluegreen")
        .service("web")
        .send()
        .await
        .expect("ListServiceDeployments");
    out.service_deployments()
        .iter()
        .map(|d| {
            d.status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default()
        })
        .collect()
}

async fn running_revision(sim: &SimProcess) -> String {
    let out = sim
        .ecs()
        .await
        .describe_services()
        .cluster("bluegreen")
        .services("web")
        .send()
        .await
        .expect("DescribeServices");
    let td = out.services()[0].task_definition().unwrap_or_default();
    td.rsplit('/').next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn blue_green_deploy_succeeds_with_stages_and_diff_is_empty_after() {
    let sim = start().await;
    let dir = project(no_pause(1));
    expect_exit(&ecspress(&sim, dir.path(), "1", &["deploy"]), 0);
    let o = ecspress(&sim, dir.path(), "2", &["deploy"]);
    expect_exit(&o, 0);
    let err = stderr(&o);
    for needle in [
        // Most stages last one simulated second (5 ms here): polls see some; the bake lasts.
        "Stage BAKE_TIME (9/10)",
        "stage 9/10 BAKE_TIME",
        "· green 100% prod / 100% test ·",
        "Verdict deployment ecs-svc/",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert_eq!(running_revision(&sim).await, "web:2");
    // The live service (with advancedConfiguration and AWS's defaults) equals the file.
    let o = ecspress(&sim, dir.path(), "2", &["diff", "--exit-code"]);
    expect_exit(&o, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unhealthy_green_revision_is_rolled_back_3() {
    let sim = start().await;
    let dir = project(no_pause(1));
    expect_exit(&ecspress(&sim, dir.path(), "1", &["deploy"]), 0);
    let o = ecspress(&sim, dir.path(), "unhealthy", &["deploy"]);
    expect_exit(&o, 3);
    assert!(stderr(&o).contains("rolled back"), "{}", describe(&o));
    assert_eq!(running_revision(&sim).await, "web:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_until_bake_time_returns_early_then_rollback_stops_the_deployment() {
    let sim = start().await;
    // A 30-minute bake lasts 9 s here: long enough to look and roll back.
    let dir = project(no_pause(30));
    expect_exit(&ecspress(&sim, dir.path(), "1", &["deploy"]), 0);
    let o = ecspress(
        &sim,
        dir.path(),
        "2",
        &["deploy", "--wait-until", "stage:bake_time"],
    );
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("reached stage BAKE_TIME; it is still in progress"),
        "{}",
        describe(&o)
    );
    assert_eq!(deployment_statuses(&sim).await[0], "IN_PROGRESS");
    // Mid-deployment rollback: StopServiceDeployment(ROLLBACK), exit 0 once rolled back.
    let o = ecspress(&sim, dir.path(), "2", &["rollback"]);
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("StopServiceDeployment ROLLBACK"),
        "{}",
        describe(&o)
    );
    assert_eq!(sim.calls("StopServiceDeployment").await, 1);
    assert_eq!(sim.calls("ContinueServiceDeployment").await, 0);
    assert_eq!(deployment_statuses(&sim).await[0], "ROLLBACK_SUCCESSFUL");
    assert_eq!(running_revision(&sim).await, "web:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn paused_then_continue_then_diff_is_empty() {
    let sim = start().await;
    let dir = project(|_| {});
    // The first deployment runs the hook too.
    let o = ecspress(&sim, dir.path(), "1", &["deploy", "--wait-until", "paused"]);
    expect_exit(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains("Paused waiting for action at POST_TEST_TRAFFIC_SHIFT (hook "),
        "{err}"
    );
    assert!(err.contains("continue: ecspress continue"), "{err}");
    assert!(
        err.contains("roll back: ecspress continue --rollback"),
        "{err}"
    );
    assert!(err.contains("paused at POST_TEST_TRAFFIC_SHIFT"), "{err}");
    assert_eq!(deployment_statuses(&sim).await[0], "IN_PROGRESS");
    // `wait` attaches to the paused deployment: `paused` and an earlier stage are met now.
    for goal in ["paused", "stage:TEST_TRAFFIC_SHIFT"] {
        let o = ecspress(&sim, dir.path(), "1", &["wait", "--wait-until", goal]);
        expect_exit(&o, 0);
    }
    // A CodeDeploy event on an ECS service: a clear error that names what works.
    let o = ecspress(
        &sim,
        dir.path(),
        "1",
        &["wait", "--wait-until", "codedeploy:AllowTraffic"],
    );
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("only for CODE_DEPLOY services")
            && stderr(&o).contains("stage:<STAGE>"),
        "{}",
        describe(&o)
    );
    let o = ecspress(&sim, dir.path(), "1", &["continue"]);
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("released with CONTINUE"),
        "{}",
        describe(&o)
    );
    assert_eq!(sim.calls("ContinueServiceDeployment").await, 1);
    assert_eq!(deployment_statuses(&sim).await[0], "SUCCESSFUL");
    // Nothing paused any more: a clear error, nothing changed.
    let o = ecspress(&sim, dir.path(), "1", &["continue"]);
    expect_exit(&o, 2);
    assert!(
        stderr(&o).contains("no deployment in progress"),
        "{}",
        describe(&o)
    );
    // PAUSE hook with AWS's timeoutConfiguration defaults, advancedConfiguration: no diff.
    let o = ecspress(&sim, dir.path(), "1", &["diff", "--exit-code"]);
    expect_exit(&o, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn continue_rollback_is_3_and_rollback_while_paused_releases_the_hook() {
    let sim = start().await;
    let dir = project(|_| {});
    expect_exit(
        &ecspress(&sim, dir.path(), "1", &["deploy", "--wait-until", "paused"]),
        0,
    );
    expect_exit(&ecspress(&sim, dir.path(), "1", &["continue"]), 0);
    // web:2 paused, then rolled back at the hook: the watcher's "rolled back", 3.
    expect_exit(
        &ecspress(&sim, dir.path(), "2", &["deploy", "--wait-until", "paused"]),
        0,
    );
    let o = ecspress(&sim, dir.path(), "2", &["continue", "--rollback"]);
    expect_exit(&o, 3);
    assert!(
        stderr(&o).contains("released with ROLLBACK"),
        "{}",
        describe(&o)
    );
    assert!(
        stderr(&o).contains("was rolled back at its paused hook, as requested"),
        "{}",
        describe(&o)
    );
    assert_eq!(running_revision(&sim).await, "web:1");
    // web:3 paused, then `rollback`: ContinueServiceDeployment(ROLLBACK), not a stop; 0.
    expect_exit(
        &ecspress(&sim, dir.path(), "3", &["deploy", "--wait-until", "paused"]),
        0,
    );
    let o = ecspress(&sim, dir.path(), "3", &["rollback"]);
    expect_exit(&o, 0);
    assert!(
        stderr(&o).contains("(ContinueServiceDeployment ROLLBACK)"),
        "{}",
        describe(&o)
    );
    assert!(
        stderr(&o).contains("rolled back as requested"),
        "{}",
        describe(&o)
    );
    assert_eq!(sim.calls("ContinueServiceDeployment").await, 3);
    assert_eq!(sim.calls("StopServiceDeployment").await, 0);
    assert_eq!(deployment_statuses(&sim).await[0], "ROLLBACK_SUCCESSFUL");
    assert_eq!(running_revision(&sim).await, "web:1");
    // --finish is for CodeDeploy only.
    let o = ecspress(&sim, dir.path(), "3", &["continue", "--finish"]);
    expect_exit(&o, 2);
    assert!(stderr(&o).contains("CodeDeploy"), "{}", describe(&o));
}

/// Green's production weight at every `progress` record of a `--output json` deploy.
fn production_weights(o: &Output) -> Vec<f64> {
    let mut out: Vec<f64> = json_lines(o)
        .iter()
        .filter(|r| r["type"] == "progress" && r["data"]["status"] == "IN_PROGRESS")
        .filter_map(|r| r["data"]["target_revision"]["production_weight"].as_f64())
        .collect();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn linear_and_canary_shift_production_in_steps() {
    // Step bakes of 3 simulated minutes (0.9 s): every step outlasts many 50 ms polls.
    for (members, want) in [
        (
            r#""strategy": "LINEAR", "bakeTimeInMinutes": 1,
    "linearConfiguration": { "stepPercent": 25.0, "stepBakeTimeInMinutes": 3 },"#,
            vec![0.0, 25.0, 50.0, 75.0, 100.0],
        ),
        (
            r#""strategy": "CANARY", "bakeTimeInMinutes": 1,
    "canaryConfiguration": { "canaryPercent": 10.0, "canaryBakeTimeInMinutes": 3 },"#,
            vec![0.0, 10.0, 100.0],
        ),
    ] {
        let sim = start().await;
        let dir = project(|d| strategy(d, members, r#""lifecycleHooks": []"#));
        expect_exit(&ecspress(&sim, dir.path(), "1", &["deploy"]), 0);
        let o = ecspress(&sim, dir.path(), "2", &["--output", "json", "deploy"]);
        expect_exit(&o, 0);
        assert_eq!(production_weights(&o), want, "{members}: {}", describe(&o));
        let stages: Vec<String> = json_lines(&o)
            .iter()
            .filter(|r| r["type"] == "stage_changed")
            .filter_map(|r| r["data"]["stage"].as_str().map(str::to_owned))
            .collect();
        assert!(
            stages.contains(&"PRODUCTION_TRAFFIC_SHIFT".to_owned()),
            "{stages:?}"
        );
        // A diff right after: the strategy settings as the file has them.
        expect_exit(
            &ecspress(&sim, dir.path(), "2", &["diff", "--exit-code"]),
            0,
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn linear_with_a_pause_per_step_is_walked_with_continue_wait_until_paused() {
    let sim = start().await;
    let linear = r#""strategy": "LINEAR", "bakeTimeInMinutes": 1,
    "linearConfiguration": { "stepPercent": 50.0, "stepBakeTimeInMinutes": 1 },"#;
    let dir = project(|d| strategy(d, linear, r#""lifecycleHooks": []"#));
    expect_exit(&ecspress(&sim, dir.path(), "1", &["deploy"]), 0);
    // Now with a PAUSE hook before every production traffic step.
    rewrite(
        dir.path(),
        "ecs-service-def.json",
        r#""lifecycleHooks": []"#,
        r#""lifecycleHooks": [{ "targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"] }]"#,
    );
    let paused_hook = |o: &Output| -> String {
        let rec = json_lines(o)
            .into_iter()
            .find(|r| r["type"] == "paused")
            .unwrap_or_else(|| panic!("a paused record: {}", describe(o)));
        rec["data"]["hook_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let o = ecspress(
        &sim,
        dir.path(),
        "2",
        &["--output", "json", "deploy", "--wait-until", "paused"],
    );
    expect_exit(&o, 0);
    let mut hooks = vec![paused_hook(&o)];
    // One `continue --wait-until paused` per step, each stopping at the next step's hook.
    let o = ecspress(
        &sim,
        dir.path(),
        "2",
        &["--output", "json", "continue", "--wait-until", "paused"],
    );
    expect_exit(&o, 0);
    hooks.push(paused_hook(&o));
    assert_ne!(hooks[0], hooks[1], "each step has its own hook");
    let weights = production_weights(&o);
    assert!(weights.contains(&50.0), "{weights:?}: {}", describe(&o));
    // The last step, then bake and clean-up: the normal verdict.
    let o = ecspress(&sim, dir.path(), "2", &["continue"]);
    expect_exit(&o, 0);
    assert_eq!(sim.calls("ContinueServiceDeployment").await, 2);
    assert_eq!(running_revision(&sim).await, "web:2");
    assert_eq!(deployment_statuses(&sim).await[0], "SUCCESSFUL");
}
