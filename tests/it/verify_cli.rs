//! `ecspress verify` end to end: the example project against the simulator (ECS) and moto
//! (SSM), printing the OK / NG / SKIP tree.

use crate::support::{command_at, example, expect_exit, json_lines, rewrite, sim, stdout};

/// `ecspress verify ARGS` in `dir`, ECS at the simulator and SSM at moto.
fn verify(sim: &sim::SimProcess, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut full = vec!["verify"];
    full.extend_from_slice(args);
    command_at(
        &sim.url,
        dir,
        &[
            ("AWS_ENDPOINT_URL_SSM", crate::support::moto::endpoint()),
            ("AWS_ENDPOINT_URL_IAM", crate::support::moto::endpoint()),
            (
                "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
                crate::support::moto::endpoint(),
            ),
        ],
        &full,
    )
    .output()
    .expect("run ecspress")
}

const ECS_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Create an IAM role in moto (already existing is fine: moto is shared by the test binary).
async fn create_role(name: &str, trust: &str) {
    let iam = aws_sdk_iam::Client::new(&crate::support::moto::sdk_config().await);
    let _ = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_verifies_ok_with_roles_trusting_ecs_tasks() {
    let sim = sim::start(1.0);
    sim.create_cluster("hello").await;
    create_role("hello-execution", ECS_TRUST).await;
    create_role("hello-task", ECS_TRUST).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&crate::support::moto::sdk_config().await);
    let _ = logs
        .create_log_group()
        .log_group_name("/ecs/hello")
        .send()
        .await;
    let dir = example("hello", |_| {});
    let out = verify(&sim, dir.path(), &[]);
    expect_exit(&out, 0);
    insta::assert_snapshot!(stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_cluster_role_parameter_wrong_trust_and_port_are_ng() {
    let sim = sim::start(1.0);
    create_role("ecspress-verify-lambda-trust", LAMBDA_TRUST).await;
    let dir = example("hello", |d| {
        rewrite(
            d,
            "terraform.tfstate",
            "role/hello-execution",
            "role/ecspress-verify-missing",
        );
        rewrite(
            d,
            "terraform.tfstate",
            "/ecs/hello",
            "/ecs/ecspress-verify-missing",
        );
        rewrite(
            d,
            "terraform.tfstate",
            "role/hello-task",
            "role/ecspress-verify-lambda-trust",
        );
        rewrite(
            d,
            "ecs-task-def.json",
            r#""essential": true,"#,
            r#""essential": true, "secrets": [{"name": "DB", "valueFrom": "/ecspress-verify-test/missing"}],"#,
        );
        rewrite(
            d,
            "ecs-service-def.json",
            r#""containerPort": 80"#,
            r#""containerPort": 8080"#,
        );
    });
    let out = verify(&sim, dir.path(), &[]);
    expect_exit(&out, 1);
    insta::assert_snapshot!(stdout(&out));

    let json = verify(&sim, dir.path(), &["--output", "json"]);
    expect_exit(&json, 1);
    let records = json_lines(&json);
    let tree = records
        .iter()
        .find(|r| r["type"] == "verify")
        .expect("a verify record");
    assert_eq!(tree["data"]["ok"], false);
    assert_eq!(tree["data"]["checks"][0]["status"], "NG");
}
