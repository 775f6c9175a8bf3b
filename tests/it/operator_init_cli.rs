//! `ecspress revisions` and `ecspress deregister`: the real binary over HTTP against a real
//! `ecspress sim` (examples/hello deployed, then extra revisions registered through the SDK).

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::sim::{self, SimProcess};
use crate::support::{command_at, example, expect_exit, json_lines, stdout};

fn ecspress(sim: &SimProcess, dir: &Path, args: &[&str]) -> Output {
    command_at(&sim.url, dir, &[], args)
        .output()
        .expect("run ecspress")
}

/// `hello` deployed (it runs hello:1), then hello:2..=5 and hello-worker:1 registered
/// (the latter shares the `hello` prefix ListTaskDefinitions matches on).
async fn deployed() -> (SimProcess, tempfile::TempDir) {
    let sim = sim::start(0.005);
    sim.create_cluster("hello").await;
    let dir = example("hello", |_| {});
    let o = ecspress(&sim, dir.path(), &["deploy", "--poll-interval", "50ms"]);
    expect_exit(&o, 0);
    let ecs = sim.ecs().await;
    for family in ["hello", "hello", "hello", "hello", "hello-worker"] {
        let container = aws_sdk_ecs::types::ContainerDefinition::builder()
            .name("app")
            .image("nginx:latest")
            .memory(128)
            .build();
        ecs.register_task_definition()
            .family(family)
            .container_definitions(container)
            .send()
            .await
            .expect("RegisterTaskDefinition");
    }
    (sim, dir)
}

/// The `revisions` record's rows as `(revision, current, in use)`.
fn rows(o: &Output) -> Vec<(u64, bool, bool)> {
    let records = json_lines(o);
    let rec = records
        .iter()
        .find(|r| r["type"] == "revisions")
        .unwrap_or_else(|| panic!("no revisions record: {records:?}"));
    assert_eq!(rec["data"]["family"], "hello");
    rec["data"]["revisions"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r: &Value| {
            (
                r["revision"].as_u64().expect("revision"),
                r["current"] == true,
                r.get("in_use").is_some(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn revisions_lists_the_family_newest_first_with_usage() {
    let (sim, dir) = deployed().await;
    let o = ecspress(&sim, dir.path(), &["--output", "json", "revisions"]);
    expect_exit(&o, 0);
    assert_eq!(
        rows(&o),
        [
            (5, false, false),
            (4, false, false),
            (3, false, false),
            (2, false, false),
            (1, true, true)
        ]
    );
    let o = ecspress(
        &sim,
        dir.path(),
        &["--output", "json", "revisions", "--limit", "2"],
    );
    expect_exit(&o, 0);
    assert_eq!(rows(&o), [(5, false, false), (4, false, false)]);
    let o = ecspress(&sim, dir.path(), &["revisions"]);
    expect_exit(&o, 0);
    let table = stdout(&o);
    let line = table
        .lines()
        .find(|l| l.starts_with("hello:1 "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains("current"), "{table}");
    assert!(line.contains("PRIMARY deployment"), "{table}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deregister_keeps_the_newest_and_what_is_in_use() {
    let (sim, dir) = deployed().await;
    // Dry run: read calls only.
    let o = ecspress(
        &sim,
        dir.path(),
        &["deregister", "--keeps", "2", "--delete", "--dry-run"],
    );
    expect_exit(&o, 0);
    assert_eq!(sim.calls("DeregisterTaskDefinition").await, 0);
    assert_eq!(sim.calls("DeleteTaskDefinitions").await, 0);
    // The revision the service runs is refused: exit 1, nothing changed.
    let o = ecspress(&sim, dir.path(), &["deregister", "--revision", "1"]);
    expect_exit(&o, 1);
    assert_eq!(sim.calls("DeregisterTaskDefinition").await, 0);
    // Keep 5 and 4, keep 1 (in use), deregister and delete 3 and 2.
    let o = ecspress(
        &sim,
        dir.path(),
        &["deregister", "--keeps", "2", "--delete"],
    );
    expect_exit(&o, 0);
    assert_eq!(sim.calls("DeregisterTaskDefinition").await, 2);
    assert_eq!(sim.calls("DeleteTaskDefinitions").await, 1);
    let o = ecspress(&sim, dir.path(), &["--output", "json", "revisions"]);
    expect_exit(&o, 0);
    assert_eq!(
        rows(&o),
        [(5, false, false), (4, false, false), (1, true, true)]
    );
    // hello-worker (same prefix, other family) was never touched.
    let ecs = sim.ecs().await;
    let td = ecs
        .describe_task_definition()
        .task_definition("hello-worker:1")
        .send()
        .await
        .expect("DescribeTaskDefinition");
    let status = td
        .task_definition()
        .and_then(|t| t.status())
        .map(|s| s.as_str().to_owned());
    assert_eq!(status.as_deref(), Some("ACTIVE"));
}

/// Deploy `examples/<name>` into a fresh sim, then `init` from the live service in an empty
/// directory (`extra` flags, e.g. `--yaml`): `diff --exit-code` there must exit 0. Returns the
/// written files' texts (config, service, task definition).
async fn init_then_diff_is_clean(
    name: &str,
    cluster: &str,
    service: &str,
    extra: &[&str],
) -> [String; 3] {
    let sim = sim::start(0.005);
    sim.create_cluster(cluster).await;
    let dir = example(name, |_| {});
    // No wait: the bluegreen example pauses at a PAUSE hook; init only needs the service.
    let o = ecspress(&sim, dir.path(), &["deploy", "--no-wait"]);
    expect_exit(&o, 0);
    if name == "codedeploy" {
        code_deploy_group(&sim).await;
    }
    let fresh = tempfile::tempdir().expect("tempdir");
    let mut init = vec!["init", "--cluster", cluster, "--service", service];
    init.extend_from_slice(extra);
    let o = ecspress(&sim, fresh.path(), &init);
    expect_exit(&o, 0);
    let (config, ext) = if extra.contains(&"--yaml") {
        ("ecspress.yml", "yml")
    } else if extra.contains(&"--jsonnet") {
        ("ecspress.jsonnet", "jsonnet")
    } else {
        ("ecspress.yml", "json")
    };
    let files = [
        config.to_owned(),
        format!("ecs-service-def.{ext}"),
        format!("ecs-task-def.{ext}"),
    ];
    let texts = files.clone().map(|file| {
        std::fs::read_to_string(fresh.path().join(&file))
            .unwrap_or_else(|e| panic!("{name}: cannot read {file}: {e}"))
    });
    assert!(
        !texts[2].contains("taskDefinitionArn"),
        "{name}: read-only key kept: {}",
        texts[2]
    );
    // AWS defaults are not written back (examples write `essential: true`, `protocol: tcp`).
    for default in [
        "essential",
        "protocol",
        "platformVersion",
        "schedulingStrategy",
    ] {
        assert!(
            !texts[1].contains(default) && !texts[2].contains(default),
            "{name}: default {default} kept: {texts:?}"
        );
    }
    let o = ecspress(&sim, fresh.path(), &["diff", "--exit-code"]);
    expect_exit(&o, 0);
    // Existing files are never overwritten without --force.
    let o = ecspress(&sim, fresh.path(), &init);
    expect_exit(&o, 2);
    init.push("--force");
    let o = ecspress(&sim, fresh.path(), &init);
    expect_exit(&o, 0);
    texts
}

/// The CodeDeploy application and group that deploy bluegreen/web, next to an ECS application
/// without groups (the search must skip it).
async fn code_deploy_group(sim: &SimProcess) {
    use aws_sdk_codedeploy::types::{
        ComputePlatform, DeploymentOption, DeploymentStyle, DeploymentType, EcsService,
    };
    let cd = sim.codedeploy().await;
    for app in ["other", "AppECS-bluegreen-web"] {
        cd.create_application()
            .application_name(app)
            .compute_platform(ComputePlatform::Ecs)
            .send()
            .await
            .expect("CreateApplication");
    }
    cd.create_deployment_group()
        .application_name("AppECS-bluegreen-web")
        .deployment_group_name("DgpECS-bluegreen-web")
        .service_role_arn("arn:aws:iam::123456789012:role/codedeploy")
        .ecs_services(
            EcsService::builder()
                .cluster_name("bluegreen")
                .service_name("web")
                .build(),
        )
        .deployment_style(
            DeploymentStyle::builder()
                .deployment_type(DeploymentType::BlueGreen)
                .deployment_option(DeploymentOption::WithTrafficControl)
                .build(),
        )
        .send()
        .await
        .expect("CreateDeploymentGroup");
}

#[tokio::test(flavor = "multi_thread")]
async fn init_rolling_service_then_diff_is_clean() {
    let [config, service, task] = init_then_diff_is_clean("hello", "hello", "hello", &[]).await;
    insta::assert_snapshot!("init_hello_config", config);
    insta::assert_snapshot!("init_hello_service", service);
    insta::assert_snapshot!("init_hello_task_definition", task);
}

#[tokio::test(flavor = "multi_thread")]
async fn init_yaml_files_then_diff_is_clean() {
    let [config, service, task] =
        init_then_diff_is_clean("hello", "hello", "hello", &["--yaml"]).await;
    assert!(
        config.contains("service_definition: ecs-service-def.yml\n"),
        "{config}"
    );
    assert!(
        config.contains("task_definition: ecs-task-def.yml\n"),
        "{config}"
    );
    insta::assert_snapshot!("init_hello_task_definition_yaml", task);
    let service: serde_json::Value = serde_yaml_ng::from_str(&service).expect("yaml");
    assert_eq!(service["desiredCount"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn init_jsonnet_files_then_diff_is_clean() {
    let [config, service, task] =
        init_then_diff_is_clean("hello", "hello", "hello", &["--jsonnet"]).await;
    let config: serde_json::Value = serde_json::from_str(&config).expect("JSON is Jsonnet");
    assert_eq!(config["task_definition"], "ecs-task-def.jsonnet");
    assert_eq!(config["service_definition"], "ecs-service-def.jsonnet");
    let service: serde_json::Value = serde_json::from_str(&service).expect("JSON");
    assert_eq!(service["desiredCount"], 2);
    let task: serde_json::Value = serde_json::from_str(&task).expect("JSON");
    assert!(task["containerDefinitions"].is_array(), "{task}");
}

#[tokio::test(flavor = "multi_thread")]
async fn init_blue_green_service_then_diff_is_clean() {
    init_then_diff_is_clean("bluegreen", "bluegreen", "web", &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn init_code_deploy_service_then_diff_is_clean() {
    let [config, service, _] = init_then_diff_is_clean("codedeploy", "bluegreen", "web", &[]).await;
    // The group is pinned (ecspresso.md §1.18 step 6), so later deploys skip the search.
    assert!(
        config.contains(
            "codedeploy:\n  application_name: AppECS-bluegreen-web\n  deployment_group_name: DgpECS-bluegreen-web\n"
        ),
        "{config}"
    );
    assert!(service.contains("CODE_DEPLOY"), "{service}");
    assert!(
        service.contains("targetGroupArn"),
        "CreateService needs it: {service}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn init_task_definition_only_writes_no_service_file() {
    let (sim, _dir) = deployed().await;
    let fresh = tempfile::tempdir().expect("tempdir");
    let o = ecspress(
        &sim,
        fresh.path(),
        &["init", "--cluster", "hello", "--task-definition", "hello:3"],
    );
    expect_exit(&o, 0);
    assert!(!fresh.path().join("ecs-service-def.json").exists());
    let config = std::fs::read_to_string(fresh.path().join("ecspress.yml")).expect("read");
    assert!(!config.contains("service"), "{config}");
}
