//! `ecspress scale` and `ecspress refresh`: the real binary against a real `ecspress sim`
//! process; both are the deploy path with the task definition and service attributes kept.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::sim::{self, SimProcess};
use crate::support::{command_at, describe, example, expect_exit};

fn ecspress(sim: &SimProcess, dir: &Path, args: &[&str]) -> Output {
    let args: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--poll-interval", "50ms"])
        .collect();
    command_at(&sim.url, dir, &[], &args)
        .output()
        .expect("run ecspress")
}

/// A simulator with `examples/hello` deployed (revision hello:1, 2 tasks).
async fn deployed() -> (SimProcess, tempfile::TempDir) {
    let sim = sim::start(0.005);
    sim.create_cluster("hello").await;
    let dir = example("hello", |_| {});
    let o = ecspress(&sim, dir.path(), &["deploy"]);
    expect_exit(&o, 0);
    (sim, dir)
}

/// (task definition, desiredCount, runningCount) of the service.
async fn service(sim: &SimProcess) -> (String, i32, i32) {
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
    let td = svc.task_definition().unwrap_or_default();
    (
        td.rsplit('/').next().unwrap_or_default().to_owned(),
        svc.desired_count(),
        svc.running_count(),
    )
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

#[tokio::test(flavor = "multi_thread")]
async fn scale_changes_only_the_desired_count() {
    let (sim, dir) = deployed().await;
    let o = ecspress(&sim, dir.path(), &["scale", "--tasks", "3"]);
    expect_exit(&o, 0);
    assert_eq!(
        sim.calls("RegisterTaskDefinition").await,
        1,
        "{}",
        describe(&o)
    );
    assert_eq!(sim.calls("UpdateService").await, 1, "{}", describe(&o));
    let (td, desired, _) = service(&sim).await;
    assert_eq!((td.as_str(), desired), ("hello:1", 3), "{}", describe(&o));
    // A count change is no new deployment (ECS keeps the PRIMARY one): nothing to watch.
    assert_eq!(service_deployments(&sim).await, 1, "{}", describe(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn scale_dry_run_changes_nothing_and_negative_counts_are_refused() {
    let (sim, dir) = deployed().await;
    let o = ecspress(&sim, dir.path(), &["scale", "--tasks", "0", "--dry-run"]);
    expect_exit(&o, 0);
    assert_eq!(sim.calls("UpdateService").await, 0, "{}", describe(&o));
    assert_eq!(service(&sim).await.1, 2);
    let o = ecspress(&sim, dir.path(), &["scale", "--tasks=-2"]);
    expect_exit(&o, 2);
    assert_eq!(sim.calls("UpdateService").await, 0, "{}", describe(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_starts_a_new_deployment_of_the_same_revision() {
    let (sim, dir) = deployed().await;
    assert_eq!(service_deployments(&sim).await, 1);
    let o = ecspress(&sim, dir.path(), &["--output", "json", "refresh"]);
    expect_exit(&o, 0);
    assert_eq!(
        sim.calls("RegisterTaskDefinition").await,
        1,
        "{}",
        describe(&o)
    );
    assert_eq!(sim.calls("UpdateService").await, 1, "{}", describe(&o));
    assert_eq!(
        service_deployments(&sim).await,
        2,
        "a forced new deployment: {}",
        describe(&o)
    );
    assert_eq!(service(&sim).await, ("hello:1".to_owned(), 2, 2));
    let last: Value = crate::support::json_lines(&o)
        .pop()
        .expect("a verdict record");
    assert_eq!(last["type"], "verdict", "{}", describe(&o));
}
