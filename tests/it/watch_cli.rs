//! `ecspress wait`: the real binary attached to deployments in a real `ecspress sim` process.
//!
//! The service `hello` in cluster `hello` (what `examples/hello/ecspress.yml` names) is created
//! and updated with the AWS SDK; `ecspress wait` must report each deployment's true verdict
//! through its exit code, its stderr lines (no TTY: plain timestamped lines) and, with
//! `--output json`, its JSON Lines on stdout.

use std::process::Output;

use aws_sdk_ecs::types::{
    AwsVpcConfiguration, ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration,
    NetworkConfiguration,
};
use serde_json::{Value, json};

use crate::support::sim::{self, SimProcess};
use crate::support::{bin, code, repo, run, stderr, stdout};

async fn register(ecs: &aws_sdk_ecs::Client, image: &str) -> String {
    ecs.register_task_definition()
        .family("hello")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .build(),
        )
        .send()
        .await
        .expect("register")
        .task_definition
        .and_then(|t| t.task_definition_arn)
        .expect("arn")
}

/// Cluster and service `hello` (2 × nginx, circuit breaker with rollback).
async fn create_hello(sim: &SimProcess) -> aws_sdk_ecs::Client {
    let ecs = sim.ecs().await;
    ecs.create_cluster()
        .cluster_name("hello")
        .send()
        .await
        .expect("cluster");
    let td = register(&ecs, "nginx:1").await;
    ecs.create_service()
        .cluster("hello")
        .service_name("hello")
        .task_definition(td)
        .desired_count(2)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .subnets("subnet-1")
                        .build()
                        .expect("vpc"),
                )
                .build(),
        )
        .send()
        .await
        .expect("create service");
    ecs
}

async fn update(ecs: &aws_sdk_ecs::Client, image: &str) {
    let td = register(ecs, image).await;
    ecs.update_service()
        .cluster("hello")
        .service("hello")
        .task_definition(td)
        .send()
        .await
        .expect("update");
}

fn wait(sim: &SimProcess, extra: &[&str]) -> Output {
    let config = repo().join("examples/hello/ecspress.yml");
    run(bin()
        .env("AWS_ENDPOINT_URL", &sim.url)
        .arg("--config")
        .arg(config)
        .args(extra)
        .args(["wait", "--poll-interval", "50ms"]))
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_reports_success_then_a_circuit_breaker_rollback() {
    let sim = sim::start(0.02);
    let ecs = create_hello(&sim).await;
    // The service's first deployment.
    let o = wait(&sim, &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 0, "{err}");
    assert!(err.contains("Watching hello/hello"), "{err}");
    assert!(
        err.contains("Verdict deployment ecs-svc/")
            && err.contains("(hello:1) succeeded: 2/2 tasks running hello:1"),
        "{err}"
    );
    // No TTY: every line is timestamped (CodeBuild logs).
    for line in err.lines() {
        assert!(
            line.len() > 20 && humantime::parse_rfc3339(&line[..20]).is_ok(),
            "timestamped: {line:?}"
        );
    }
    assert!(stdout(&o).is_empty(), "text mode writes nothing to stdout");

    update(&ecs, "app:crash").await;
    let o = wait(&sim, &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    assert!(err.contains("failed and was rolled back"), "{err}");
    assert!(err.contains("circuit breaker"), "{err}");
    assert!(
        err.contains("EssentialContainerExited") && err.contains("container app exit 1"),
        "stopped tasks say why: {err}"
    );

    // Attaching afterwards reports the same verdict at once.
    let o = wait(&sim, &["--output", "json"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let records = json_lines(&o);
    let last = records.last().expect("records");
    assert_eq!(last["type"], "verdict");
    assert_eq!(last["data"]["exit_code"], 3);
    assert_eq!(last["data"]["status"], "rolled_back");
    assert_eq!(
        records.iter().filter(|r| r["type"] == "verdict").count(),
        1,
        "{records:#?}"
    );
    for r in &records {
        assert!(r["time"].is_string() && r["data"].is_object(), "{r}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_times_out_with_the_resume_hint_and_json_stream() {
    let sim = sim::start(0.02);
    let ecs = create_hello(&sim).await;
    assert_eq!(code(&wait(&sim, &[])), 0);
    update(&ecs, "app:slow").await;
    let o = run(bin()
        .env("AWS_ENDPOINT_URL", &sim.url)
        .arg("--config")
        .arg(repo().join("examples/hello/ecspress.yml"))
        .args(["--output", "json", "wait", "--timeout", "1s"]));
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    let records = json_lines(&o);
    let kinds: Vec<&str> = records.iter().filter_map(|r| r["type"].as_str()).collect();
    assert_eq!(
        kinds.get(..2),
        Some(&["deployment_metadata", "deployment_started"][..]),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"progress"), "{kinds:?}");
    let last = records.last().unwrap();
    assert_eq!(last["data"]["status"], "timed_out");
    assert!(
        last["data"]["hint"]
            .as_str()
            .unwrap()
            .contains("ecspress wait"),
        "{last}"
    );
    // Resuming follows it to the end.
    let o = wait(&sim, &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_falls_back_when_the_service_deployment_api_is_denied() {
    // A slower clock than elsewhere: `wait` must attach while the crashing deployment is still
    // PRIMARY (in fallback mode, once ECS has started the rollback deployment, that is the
    // PRIMARY `wait` would follow); at 0.02 a loaded machine can start `wait` too late.
    let sim = sim::start(0.05);
    let ecs = create_hello(&sim).await;
    assert_eq!(code(&wait(&sim, &[])), 0);
    sim.control(
        "/_sim/faults",
        json!({"deny": ["ListServiceDeployments", "DescribeServiceDeployments"]}),
    )
    .await;
    update(&ecs, "app:crash").await;
    let o = wait(&sim, &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    assert_eq!(
        err.matches("service-deployment API is unavailable").count(),
        1,
        "said once: {err}"
    );
    assert!(err.contains("rolled back to hello:1"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_on_a_missing_service_is_an_error() {
    let sim = sim::start(0.02);
    let ecs = sim.ecs().await;
    ecs.create_cluster()
        .cluster_name("hello")
        .send()
        .await
        .expect("cluster");
    let o = wait(&sim, &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
    let o = run(bin()
        .env("AWS_ENDPOINT_URL", &sim.url)
        .arg("--config")
        .arg(repo().join("examples/hello/ecspress.yml"))
        .args(["wait", "--wait-until", "soon"]));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--wait-until soon"), "{}", stderr(&o));
}
