//! `ecspress scale` and `ecspress refresh`: the real binary against a real `ecspress sim`
//! process; both are the deploy path with the task definition and service attributes kept.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::sim::{self, SimProcess};
use crate::support::{command_at, describe, example, expect_exit, rewrite};

fn ecspress(sim: &SimProcess, dir: &Path, args: &[&str]) -> Output {
    ecspress_env(sim, dir, &[], args)
}

fn ecspress_env(sim: &SimProcess, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let args: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--poll-interval", "50ms"])
        .collect();
    command_at(&sim.url, dir, env, &args)
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
    // A count change is no new deployment (ECS resizes the PRIMARY one in place); scale
    // waits for the count itself: the third task runs when it exits.
    let (td, desired, running) = service(&sim).await;
    assert_eq!(
        (td.as_str(), desired, running),
        ("hello:1", 3, 3),
        "{}",
        describe(&o)
    );
    assert_eq!(service_deployments(&sim).await, 1, "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the service is stable: 3 tasks running"),
        "{}",
        describe(&o)
    );
    // Scaling in waits too; --no-wait returns at once.
    let o = ecspress(&sim, dir.path(), &["scale", "--tasks", "1"]);
    expect_exit(&o, 0);
    assert_eq!(service(&sim).await.2, 1, "{}", describe(&o));
    let o = ecspress(&sim, dir.path(), &["scale", "--tasks", "2", "--no-wait"]);
    expect_exit(&o, 0);
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("stable"),
        "{}",
        describe(&o)
    );
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

/// The scalable target of `service/<cluster>/hello` in moto: (min, max, all suspended).
async fn scalable_target(cluster: &str) -> (i32, i32, bool) {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let cfg = crate::support::moto::sdk_config().await;
    let out = aws_sdk_applicationautoscaling::Client::new(&cfg)
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(format!("service/{cluster}/hello"))
        .send()
        .await
        .expect("DescribeScalableTargets");
    let t = &out.scalable_targets()[0];
    let s = t.suspended_state();
    let all = s.is_some_and(|s| {
        s.dynamic_scaling_in_suspended() == Some(true)
            && s.dynamic_scaling_out_suspended() == Some(true)
            && s.scheduled_scaling_suspended() == Some(true)
    });
    (t.min_capacity(), t.max_capacity(), all)
}

#[tokio::test(flavor = "multi_thread")]
async fn scale_auto_scaling_flags_register_the_scalable_target() {
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    // Its own cluster name: moto is shared by the tests that use it.
    let cluster = "scale-autoscaling";
    let sim = sim::start(0.005);
    sim.create_cluster(cluster).await;
    let dir = example("hello", |d| {
        rewrite(
            d,
            "ecspress.yml",
            "cluster: hello",
            &format!("cluster: {cluster}"),
        )
    });
    expect_exit(&ecspress(&sim, dir.path(), &["deploy"]), 0);
    // moto checks the ECS service exists on its side before it takes a scalable target.
    let cfg = crate::support::moto::sdk_config().await;
    let moto_ecs = aws_sdk_ecs::Client::new(&cfg);
    let _ = moto_ecs.create_cluster().cluster_name(cluster).send().await;
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
        .expect("RegisterTaskDefinition in moto");
    let _ = moto_ecs
        .create_service()
        .cluster(cluster)
        .service_name("hello")
        .task_definition("hello")
        .desired_count(2)
        .send()
        .await;
    aws_sdk_applicationautoscaling::Client::new(&cfg)
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(format!("service/{cluster}/hello"))
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(2)
        .max_capacity(6)
        .send()
        .await
        .expect("RegisterScalableTarget in moto");
    let env = [(
        "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
        crate::support::moto::endpoint(),
    )];
    // Dry run: nothing changes.
    let o = ecspress_env(
        &sim,
        dir.path(),
        &env,
        &[
            "scale",
            "--suspend-auto-scaling",
            "--auto-scaling-min",
            "1",
            "--dry-run",
        ],
    );
    expect_exit(&o, 0);
    assert!(
        describe(&o).contains("would change the auto scaling"),
        "{}",
        describe(&o)
    );
    assert_eq!(
        scalable_target(cluster).await,
        (2, 6, false),
        "{}",
        describe(&o)
    );
    // Without --tasks: only auto scaling changes.
    let o = ecspress_env(
        &sim,
        dir.path(),
        &env,
        &[
            "scale",
            "--suspend-auto-scaling",
            "--auto-scaling-min",
            "1",
            "--auto-scaling-max",
            "4",
        ],
    );
    expect_exit(&o, 0);
    assert_eq!(
        scalable_target(cluster).await,
        (1, 4, true),
        "{}",
        describe(&o)
    );
    // Invalid bounds are refused before any call.
    let o = ecspress_env(
        &sim,
        dir.path(),
        &env,
        &[
            "scale",
            "--auto-scaling-min",
            "5",
            "--auto-scaling-max",
            "3",
        ],
    );
    expect_exit(&o, 2);
    assert_eq!(
        scalable_target(cluster).await,
        (1, 4, true),
        "{}",
        describe(&o)
    );
}
