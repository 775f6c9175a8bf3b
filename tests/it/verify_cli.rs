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
        &[("AWS_ENDPOINT_URL_SSM", crate::support::moto::endpoint())],
        &full,
    )
    .output()
    .expect("run ecspress")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_verifies_ok_with_unchecked_resources_skipped() {
    let sim = sim::start(1.0);
    sim.create_cluster("hello").await;
    let dir = example("hello", |_| {});
    let out = verify(&sim, dir.path(), &[]);
    expect_exit(&out, 0);
    insta::assert_snapshot!(stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_cluster_parameter_and_wrong_container_port_are_ng() {
    let sim = sim::start(1.0);
    let dir = example("hello", |d| {
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
