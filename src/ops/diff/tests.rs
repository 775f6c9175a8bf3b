//! `diff_project` against the in-process simulator (through the real SDK adapter, so the
//! SDK's JSON codec is on the path exactly as in production) and against a small fake.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::*;
use crate::aws::ecs::{EcsApi, SdkEcs, TaskFilter};
use crate::aws::{AwsResult, Clients};
use crate::model::diff::ChangeOp;
use crate::ops::render::{ProjectOptions, load_project_with_env};
use crate::sim::{Clock, ECS_TARGET_PREFIX, Sim, SimOptions, server};
use crate::template::testing::Fakes;

fn example_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello/ecspress.yml")
}

async fn project(ecs: Arc<dyn EcsApi>, env: &[(&str, &str)]) -> Project {
    let fakes = Fakes::standard();
    let clients = Clients {
        ecs,
        ..fakes.clients()
    };
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let opts = ProjectOptions {
        config_path: Some(example_config()),
        ..ProjectOptions::default()
    };
    let cwd = std::env::current_dir().expect("cwd");
    load_project_with_env(&opts, clients, Arc::new(env), &cwd)
        .await
        .expect("load examples/hello")
}

/// A simulator served over HTTP in this process, and the SDK adapter pointed at it.
async fn sim_ecs() -> (Sim, Arc<dyn EcsApi>) {
    let sim = Sim::new(SimOptions::default(), Clock::scaled(0.005));
    let (addr, serve) = server::bind(sim.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind the simulator");
    tokio::spawn(serve);
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(aws_types::region::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "t", "t", None, None, "t",
        ))
        .load()
        .await;
    sim.call(
        &format!("{ECS_TARGET_PREFIX}CreateCluster"),
        &json!({"clusterName": "hello"}),
    )
    .expect("create cluster");
    (sim, Arc::new(SdkEcs::new(&cfg)))
}

/// Deploy the rendered example the way `deploy` will: RegisterTaskDefinition with the file,
/// CreateService with the service file plus identity.
async fn deploy_example(ecs: &Arc<dyn EcsApi>, p: &Project) {
    let td = p.render_task_definition().await.expect("render td");
    let registered = ecs.register_task_definition(&td).await.expect("register");
    let mut svc = p.render_service_definition().await.expect("render svc");
    svc["cluster"] = json!("hello");
    svc["serviceName"] = json!("hello");
    svc["taskDefinition"] = registered["taskDefinitionArn"].clone();
    ecs.create_service(&svc).await.expect("create service");
}

fn calls(sim: &Sim, op: &str) -> u64 {
    sim.state()["counters"]["calls"][op].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn freshly_deployed_example_diffs_empty() {
    let (sim, ecs) = sim_ecs().await;
    let p = project(ecs.clone(), &[]).await;
    deploy_example(&ecs, &p).await;
    let report = diff_project(&p, DiffOptions::default())
        .await
        .expect("diff");
    assert_eq!(report.sides.len(), 2);
    for side in &report.sides {
        assert!(
            !side.diff.has_changes(),
            "{} must diff empty right after deploy, got:\n{}\nchanges: {:?}",
            side.kind.as_str(),
            side.diff.unified,
            side.diff.changes
        );
        assert!(side.live.is_some());
    }
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(!report.has_changes());
    assert_eq!(
        report.sides[0].diff.remote,
        "arn:aws:ecs:us-east-1:123456789012:service/hello/hello"
    );
    assert_eq!(
        report.sides[1].diff.remote,
        "arn:aws:ecs:us-east-1:123456789012:task-definition/hello:1"
    );
    // Also after the rollout has progressed (deployments, events, counts change).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let again = diff_project(&p, DiffOptions::default())
        .await
        .expect("diff");
    assert!(!again.has_changes(), "{:?}", again.sides[0].diff.unified);
    assert_eq!(calls(&sim, "DescribeServices"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_image_is_exactly_one_line() {
    let (_sim, ecs) = sim_ecs().await;
    deploy_example(&ecs, &project(ecs.clone(), &[]).await).await;
    let p = project(ecs.clone(), &[("IMAGE_TAG", "1.28")]).await;
    let report = diff_project(&p, DiffOptions::default())
        .await
        .expect("diff");
    assert!(!report.sides[0].diff.has_changes());
    let td = &report.sides[1].diff;
    assert_eq!(td.changes.len(), 1);
    assert_eq!(td.changes[0].path, "containerDefinitions[name=app].image");
    assert_eq!(td.changes[0].op, ChangeOp::Change);
    let minus: Vec<&str> = td
        .unified
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    let plus: Vec<&str> = td
        .unified
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(
        minus,
        ["-      \"image\": \"public.ecr.aws/nginx/nginx:1.27\","]
    );
    assert_eq!(
        plus,
        ["+      \"image\": \"public.ecr.aws/nginx/nginx:1.28\","]
    );
    insta::assert_snapshot!("changed_image_unified", td.unified);
    let event = crate::output::Event::Diff {
        kind: "taskdef".into(),
        changed: td.has_changes(),
        diff: td.clone(),
    };
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    let line = crate::output::json_line(&event, at);
    let record: Value = serde_json::from_str(&line).expect("one JSON record");
    insta::assert_json_snapshot!("changed_image_json_record", record);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_deployed_diffs_as_all_added() {
    let (sim, ecs) = sim_ecs().await;
    let p = project(ecs.clone(), &[]).await;
    let report = diff_project(&p, DiffOptions::default())
        .await
        .expect("diff");
    assert!(report.has_changes());
    let [svc, td] = &report.sides[..] else {
        panic!("two sides")
    };
    assert_eq!(
        svc.diff.remote,
        "/dev/null (service hello not found in cluster hello)"
    );
    assert_eq!(
        td.diff.remote,
        "/dev/null (no ACTIVE task definition in family hello)"
    );
    for side in [svc, td] {
        assert!(side.live.is_none());
        assert!(side.diff.changes.iter().all(|c| c.op == ChangeOp::Add));
        assert!(
            side.diff
                .unified
                .lines()
                .skip(3)
                .all(|l| l.starts_with('+')),
            "{}",
            side.diff.unified
        );
    }
    insta::assert_snapshot!("all_added_service_unified", svc.diff.unified);
    // Read-only: nothing was registered or created (the counters do count: one describe).
    assert_eq!(calls(&sim, "DescribeServices"), 1);
    assert_eq!(calls(&sim, "RegisterTaskDefinition"), 0);
    assert_eq!(calls(&sim, "CreateService"), 0);
}

// ---- a small fake -----------------------------------------------------------------------

/// Answers describe/list from fixed values; counts calls; any mutation fails the test.
#[derive(Default)]
struct FakeEcs {
    service: Option<Value>,
    task_definitions: Vec<Value>,
    calls: AtomicUsize,
    described: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl EcsApi for FakeEcs {
    async fn describe_service(&self, _: &str, _: &str) -> AwsResult<Option<Value>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(self.service.clone())
    }
    async fn describe_task_definition(&self, td: &str) -> AwsResult<Value> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut d) = self.described.lock() {
            d.push(td.to_owned());
        }
        Ok(self
            .task_definitions
            .iter()
            .find(|t| t["taskDefinitionArn"] == td)
            .cloned()
            .unwrap_or(Value::Null))
    }
    async fn list_task_definitions(&self, family: &str) -> AwsResult<Vec<String>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut arns: Vec<String> = self
            .task_definitions
            .iter()
            .filter(|t| t["family"] == family)
            .filter_map(|t| t["taskDefinitionArn"].as_str().map(str::to_owned))
            .collect();
        arns.reverse();
        Ok(arns)
    }
    async fn register_task_definition(&self, _: &Value) -> AwsResult<Value> {
        panic!("diff must not register")
    }
    async fn deregister_task_definition(&self, _: &str) -> AwsResult<()> {
        panic!("diff must not deregister")
    }
    async fn create_service(&self, _: &Value) -> AwsResult<Value> {
        panic!("diff must not create")
    }
    async fn update_service(&self, _: &Value) -> AwsResult<Value> {
        panic!("diff must not update")
    }
    async fn tag_resource(&self, _: &str, _: &[(String, String)]) -> AwsResult<()> {
        panic!("diff must not tag")
    }
    async fn untag_resource(&self, _: &str, _: &[String]) -> AwsResult<()> {
        panic!("diff must not untag")
    }
    async fn list_service_deployments(
        &self,
        _: &str,
        _: &str,
        _: Option<f64>,
        _: &[&str],
    ) -> AwsResult<Vec<Value>> {
        panic!("diff does not read deployments")
    }
    async fn describe_service_deployments(&self, _: &[String]) -> AwsResult<Vec<Value>> {
        panic!("diff does not read deployments")
    }
    async fn stop_service_deployment(&self, _: &str, _: &str) -> AwsResult<()> {
        panic!("diff must not stop deployments")
    }
    async fn continue_service_deployment(&self, _: &str, _: &str, _: &str) -> AwsResult<()> {
        panic!("diff must not continue deployments")
    }
    async fn list_tasks(&self, _: &str, _: &TaskFilter) -> AwsResult<Vec<String>> {
        panic!("diff does not read tasks")
    }
    async fn describe_tasks(&self, _: &str, _: &[String]) -> AwsResult<Vec<Value>> {
        panic!("diff does not read tasks")
    }
}

fn td_rev(rev: u32, image: &str) -> Value {
    json!({
        "taskDefinitionArn": format!("arn:aws:ecs:us-east-1:1:task-definition/hello:{rev}"),
        "family": "hello", "revision": rev, "status": "ACTIVE",
        "containerDefinitions": [{"name": "app", "image": image}]
    })
}

#[tokio::test]
async fn live_task_definition_is_the_services_else_the_newest_of_the_family() {
    // No service: the newest revision of the family.
    let fake = Arc::new(FakeEcs {
        task_definitions: vec![td_rev(1, "a"), td_rev(2, "b")],
        ..FakeEcs::default()
    });
    let p = project(fake.clone(), &[]).await;
    let report = diff_project(&p, DiffOptions::default())
        .await
        .expect("diff");
    assert_eq!(
        report.sides[1].diff.remote,
        "arn:aws:ecs:us-east-1:1:task-definition/hello:2"
    );
    // A service running revision 1: that one, not the newest.
    let fake = Arc::new(FakeEcs {
        service: Some(
            json!({"serviceArn": "arn:svc", "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/hello:1"}),
        ),
        task_definitions: vec![td_rev(1, "a"), td_rev(2, "b")],
        ..FakeEcs::default()
    });
    let p = project(fake.clone(), &[]).await;
    let report = diff_project(&p, DiffOptions::default())
        .await
        .expect("diff");
    assert_eq!(report.sides[0].diff.remote, "arn:svc");
    assert_eq!(
        report.sides[1].diff.remote,
        "arn:aws:ecs:us-east-1:1:task-definition/hello:1"
    );
    assert_eq!(
        fake.described.lock().map(|d| d.clone()).unwrap_or_default(),
        ["arn:aws:ecs:us-east-1:1:task-definition/hello:1"]
    );
}

#[tokio::test]
async fn ignore_tags_and_desired_count_rules_apply_to_the_live_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("ecspress.yml"),
        "cluster: c\nservice: s\nservice_definition: svc.json\ntask_definition: td.json\nignore:\n  tags: [LastDeployedBy]\n",
    )
    .expect("write config");
    std::fs::write(
        dir.path().join("svc.json"),
        r#"{"launchType": "EC2", "tags": [{"key": "team", "value": "a"}]}"#,
    )
    .expect("write svc");
    std::fs::write(
        dir.path().join("td.json"),
        r#"{"family": "hello", "containerDefinitions": [{"name": "app", "image": "a"}]}"#,
    )
    .expect("write td");
    let live = json!({
        "serviceArn": "arn:svc", "launchType": "EC2", "desiredCount": 7, "runningCount": 7,
        "tags": [{"key": "LastDeployedBy", "value": "ci"}, {"key": "team", "value": "a"}],
        "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/hello:1"
    });
    let fake = Arc::new(FakeEcs {
        service: Some(live),
        task_definitions: vec![td_rev(1, "a")],
        ..FakeEcs::default()
    });
    let clients = Clients {
        ecs: fake,
        ..Fakes::standard().clients()
    };
    let opts = ProjectOptions {
        config_path: Some(dir.path().join("ecspress.yml")),
        ..ProjectOptions::default()
    };
    let p = load_project_with_env(
        &opts,
        clients,
        Arc::new(HashMap::<String, String>::new()),
        dir.path(),
    )
    .await
    .expect("load");
    let report = diff_project(&p, DiffOptions::default())
        .await
        .expect("diff");
    assert!(
        !report.has_changes(),
        "{:?}",
        report
            .sides
            .iter()
            .map(|s| &s.diff.unified)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn unknown_fields_warn_or_fail_before_any_aws_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("ecspress.yml"),
        "cluster: c\nservice: s\nservice_definition: svc.json\ntask_definition: td.json\n",
    )
    .expect("write config");
    std::fs::write(
        dir.path().join("svc.json"),
        r#"{"launchType": "EC2", "futureServiceField": 1}"#,
    )
    .expect("write svc");
    std::fs::write(
        dir.path().join("td.json"),
        r#"{"family": "hello", "containerDefinitions": [{"name": "app", "image": "a", "futureField": true}]}"#,
    )
    .expect("write td");
    let load = |fake: Arc<FakeEcs>| {
        let opts = ProjectOptions {
            config_path: Some(dir.path().join("ecspress.yml")),
            ..ProjectOptions::default()
        };
        let clients = Clients {
            ecs: fake,
            ..Fakes::standard().clients()
        };
        let root = dir.path().to_path_buf();
        async move {
            load_project_with_env(
                &opts,
                clients,
                Arc::new(HashMap::<String, String>::new()),
                &root,
            )
            .await
            .expect("load")
        }
    };
    let fake = Arc::new(FakeEcs::default());
    let p = load(fake.clone()).await;
    let err = diff_project(&p, DiffOptions { strict: true })
        .await
        .expect_err("--strict fails");
    let unknown = err
        .downcast_ref::<UnknownFieldsError>()
        .expect("typed error");
    assert_eq!(unknown.fields, ["futureServiceField"]);
    assert!(unknown.file.ends_with("svc.json"), "{}", unknown.file);
    assert_eq!(fake.calls.load(Ordering::SeqCst), 0, "no AWS call");

    let fake = Arc::new(FakeEcs::default());
    let p = load(fake.clone()).await;
    let report = diff_project(&p, DiffOptions::default())
        .await
        .expect("warnings only");
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("futureServiceField"));
    assert!(
        report.warnings[1].contains("containerDefinitions[0].futureField"),
        "{}",
        report.warnings[1]
    );
    assert!(fake.calls.load(Ordering::SeqCst) > 0);
}

#[tokio::test]
async fn external_command_gets_remote_and_local_files() {
    let report = DiffReport {
        sides: vec![SideDiff {
            kind: DiffKind::Service,
            live: None,
            local: json!({"a": 1}),
            diff: crate::model::diff::diff(None, &json!({"a": 1}), "x", "y"),
        }],
        warnings: Vec::new(),
    };
    let out = tempfile::tempdir().expect("tempdir");
    let log = out.path().join("log");
    // The command sees remote/service.json (empty: no live side) and local/service.json.
    let cmd = format!(
        "sh -c 'echo \"$0 $1\" >> {log}; wc -c < \"$0\" >> {log}; cat \"$1\" >> {log}; exit 1'",
        log = log.display()
    );
    run_external(&cmd, &report).await.expect("exit 1 is fine");
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "remote/service.json local/service.json");
    assert_eq!(lines[1].trim(), "0");
    assert_eq!(lines[2..].join("\n"), "{\n  \"a\": 1\n}");
    let err = run_external("exit 2;", &report)
        .await
        .expect_err("exit 2 is an error");
    assert!(err.to_string().contains("exit status 2"), "{err}");
}
