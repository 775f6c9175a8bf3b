//! CodeDeploy orchestration against the simulator in-process (real SDK adapters over HTTP),
//! with a manual sim clock that moves one simulated second per GetDeployment (once per poll):
//! deterministic, no wall-clock dependence.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::aws::codedeploy::CodeDeployApi;
use crate::aws::codedeploy::SdkCodeDeploy;
use crate::aws::{AwsResult, Clients};
use crate::exit::ExitStatus;
use crate::ops::deploy::{DeployOptions, ServiceRef};
use crate::ops::render::Project;
use crate::ops::render::{ProjectOptions, load_project_with_env};
use crate::ops::watch::WatchOptions;
use crate::output::Event;
use crate::output::RecordingSink;
use crate::settings::WaitUntil;
use crate::sim::{CODEDEPLOY_TARGET_PREFIX, Clock, ECS_TARGET_PREFIX, Sim, SimOptions, server};

const T0_MS: i64 = 1_800_000_000_000;

/// A [`CodeDeployApi`] that advances the manual clock by one second before every
/// GetDeployment.
struct Stepping {
    inner: SdkCodeDeploy,
    sim: Sim,
}

#[async_trait::async_trait]
impl CodeDeployApi for Stepping {
    async fn list_applications(&self) -> AwsResult<Vec<String>> {
        self.inner.list_applications().await
    }
    async fn batch_get_applications(&self, names: &[String]) -> AwsResult<Vec<Value>> {
        self.inner.batch_get_applications(names).await
    }
    async fn list_deployment_groups(&self, app: &str) -> AwsResult<Vec<String>> {
        self.inner.list_deployment_groups(app).await
    }
    async fn batch_get_deployment_groups(
        &self,
        app: &str,
        groups: &[String],
    ) -> AwsResult<Vec<Value>> {
        self.inner.batch_get_deployment_groups(app, groups).await
    }
    async fn create_deployment(&self, input: &Value) -> AwsResult<String> {
        self.inner.create_deployment(input).await
    }
    async fn get_deployment(&self, id: &str) -> AwsResult<Value> {
        self.sim.advance(Duration::from_secs(1));
        self.inner.get_deployment(id).await
    }
    async fn list_deployments(&self, a: &str, g: &str, st: &[&str]) -> AwsResult<Vec<String>> {
        self.inner.list_deployments(a, g, st).await
    }
    async fn get_deployment_target(&self, id: &str, t: &str) -> AwsResult<Option<Value>> {
        self.inner.get_deployment_target(id, t).await
    }
    async fn continue_deployment(&self, id: &str, w: &str) -> AwsResult<()> {
        self.inner.continue_deployment(id, w).await
    }
    async fn stop_deployment(&self, id: &str, rb: bool) -> AwsResult<String> {
        self.inner.stop_deployment(id, rb).await
    }
}

fn ecs(sim: &Sim, op: &str, body: Value) -> Value {
    sim.call(&format!("{ECS_TARGET_PREFIX}{op}"), &body)
        .unwrap_or_else(|e| panic!("{op} {body}: {e:?}"))
}

fn cdc(sim: &Sim, op: &str, body: Value) -> Value {
    sim.call(&format!("{CODEDEPLOY_TARGET_PREFIX}{op}"), &body)
        .unwrap_or_else(|e| panic!("{op} {body}: {e:?}"))
}

const TG: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef";

/// Cluster `bluegreen`, CODE_DEPLOY service `web` (web:1, 1 task) at steady state, application
/// `app` with group `dg` (`group_extra` merged in).
fn setup(group_extra: Value) -> Sim {
    let sim = Sim::new(SimOptions::default(), Clock::manual(T0_MS));
    ecs(&sim, "CreateCluster", json!({"clusterName": "bluegreen"}));
    let td = ecs(
        &sim,
        "RegisterTaskDefinition",
        json!({"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "public.ecr.aws/nginx/nginx:1.27", "essential": true,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}]}),
    );
    ecs(
        &sim,
        "CreateService",
        json!({"cluster": "bluegreen", "serviceName": "web",
            "taskDefinition": td["taskDefinition"]["taskDefinitionArn"], "desiredCount": 1,
            "launchType": "FARGATE", "deploymentController": {"type": "CODE_DEPLOY"},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-0a1b2c3d"], "securityGroups": ["sg-0a1b2c3d"], "assignPublicIp": "DISABLED"}},
            "loadBalancers": [{"targetGroupArn": TG, "containerName": "app", "containerPort": 80}]}),
    );
    cdc(
        &sim,
        "CreateApplication",
        json!({"applicationName": "app", "computePlatform": "ECS"}),
    );
    let mut group = json!({
        "applicationName": "app", "deploymentGroupName": "dg",
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
    cdc(&sim, "CreateDeploymentGroup", group);
    sim.advance(Duration::from_secs(30));
    sim
}

async fn project(sim: &Sim, image_tag: &str) -> Project {
    project_at(
        sim,
        image_tag,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/codedeploy/ecspress.yml"),
    )
    .await
}

/// `examples/codedeploy` copied to a temporary directory, `extra` appended to its config.
fn example_copy(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/codedeploy");
    for f in ["ecspress.yml", "ecs-service-def.json", "ecs-task-def.json"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let cfg = dir.path().join("ecspress.yml");
    let text = std::fs::read_to_string(&cfg).unwrap() + extra;
    std::fs::write(&cfg, text).unwrap();
    dir
}

async fn project_at(sim: &Sim, image_tag: &str, config: &Path) -> Project {
    let (addr, serve) = server::bind(sim.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    tokio::spawn(serve);
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(aws_types::region::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "t", "t", None, None, "t",
        ))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    let clients = Clients {
        codedeploy: Arc::new(Stepping {
            inner: SdkCodeDeploy::new(&cfg),
            sim: sim.clone(),
        }),
        ..Clients::from_sdk(&cfg)
    };
    let env: HashMap<String, String> = [("IMAGE_TAG".to_owned(), image_tag.to_owned())].into();
    let opts = ProjectOptions {
        config_path: Some(config.to_path_buf()),
        ..ProjectOptions::default()
    };
    let cwd = std::env::current_dir().unwrap();
    load_project_with_env(&opts, clients, Arc::new(env), &cwd)
        .await
        .expect("load examples/codedeploy")
}

fn watch_opts(wait_until: WaitUntil) -> WatchOptions {
    WatchOptions {
        timeout: Duration::from_secs(60),
        poll_interval: Duration::from_millis(1),
        max_poll_interval: None,
        wait_until,
    }
}

fn deploy_opts(wait_until: WaitUntil) -> DeployOptions {
    DeployOptions {
        dry_run: false,
        tasks: None,
        skip_task_definition: false,
        revision: None,
        latest_task_definition: false,
        force_new_deployment: false,
        update_service: true,
        wait: true,
        strict: false,
        watch: watch_opts(wait_until),
        codedeploy_config: None,
        rollback_events: None,
        auto_scaling: Default::default(),
    }
}

fn verdicts(sink: &RecordingSink) -> Vec<crate::model::rollout::Verdict> {
    sink.events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Verdict(v) => Some(v),
            _ => None,
        })
        .collect()
}

fn status_of(sim: &Sim, id: &str) -> String {
    cdc(sim, "GetDeployment", json!({"deploymentId": id}))["deploymentInfo"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn newest_deployment(sim: &Sim) -> String {
    cdc(
        sim,
        "ListDeployments",
        json!({"applicationName": "app", "deploymentGroupName": "dg"}),
    )["deployments"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_walks_lifecycle_events_in_order_to_success() {
    let sim = setup(json!({}));
    let p = project(&sim, "1.28").await;
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &deploy_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success, "{:#?}", sink.events());
    // Budget: GetDeployment + at most one GetDeploymentTarget per poll, nothing else per poll.
    let polls = calls(&sim, "GetDeployment");
    assert!(polls >= 10, "{polls}");
    assert!(calls(&sim, "GetDeploymentTarget") <= polls);
    assert_eq!(
        calls(&sim, "DescribeServices"),
        1,
        "the read before the writes"
    );
    let events = sink.events();
    let succeeded: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::CodeDeployLifecycleEvent { event, status, .. } if status == "Succeeded" => {
                Some(event.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(succeeded, crate::model::stages::CODEDEPLOY_EVENTS);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::CodeDeployGroup { discovered: true, application, .. } if application == "app"))
    );
    // No config named: the group's default is reported.
    assert!(events.iter().any(|e| matches!(
        e,
        Event::CodeDeployDeploymentCreated { deployment_config: Some(c), .. } if c == "CodeDeployDefault.ECSAllAtOnce"
    )));
    let v = verdicts(&sink);
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("web:2"), "{}", v[0].message);
    // `wait`: nothing in flight; `deployed` says so, `stable` waits for the single task set.
    let sink = RecordingSink::new();
    let status = attach(&p, &watch_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success);
    assert!(sink.events().iter().any(
        |e| matches!(e, Event::Info { message } if message.contains("no CodeDeploy deployment in progress"))
    ));
    sim.advance(Duration::from_secs(15));
    let sink = RecordingSink::new();
    let status = attach(&p, &watch_opts(WaitUntil::Stable), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success);
    assert_eq!(verdicts(&sink).len(), 1);
    let svc = ecs(
        &sim,
        "DescribeServices",
        json!({"cluster": "bluegreen", "services": ["web"]}),
    );
    assert!(crate::model::codedeploy::task_sets_stable(
        &svc["services"][0]
    ));
    // The same file again: nothing to deploy, nothing to update.
    let updates = calls(&sim, "UpdateService");
    assert_eq!(updates, 1, "desiredCount 1 → 2 from the file");
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &deploy_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success);
    assert!(verdicts(&sink).is_empty());
    assert_eq!(calls(&sim, "UpdateService"), updates);
    assert_eq!(
        cdc(
            &sim,
            "ListDeployments",
            json!({"applicationName": "app", "deploymentGroupName": "dg"})
        )["deployments"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_wait_pauses_then_continue_reroutes_and_succeeds() {
    let sim = setup(json!({"blueGreenDeploymentConfiguration": {
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
    }}));
    let p = project(&sim, "1.28").await;
    // Nothing in flight yet: a clear error.
    let sink = RecordingSink::new();
    let e = continue_deployment(&p, false, true, &watch_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nothing to continue"), "{e}");

    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &deploy_opts(WaitUntil::Paused), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success, "{:#?}", sink.events());
    let id = newest_deployment(&sim);
    assert_eq!(status_of(&sim, &id), "Ready");

    let sink = RecordingSink::new();
    let status = continue_deployment(&p, false, true, &watch_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success, "{:#?}", sink.events());
    assert_eq!(status_of(&sim, &id), "Succeeded");
    // Finished: nothing to continue any more.
    assert!(
        continue_deployment(&p, false, true, &watch_opts(WaitUntil::Deployed), &sink)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ready_is_reported_once_while_waiting_for_a_later_event() {
    let sim = setup(json!({"blueGreenDeploymentConfiguration": {
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 1},
    }}));
    let p = project(&sim, "1.28").await;
    let sink = RecordingSink::new();
    // Nobody continues: the ready wait times out and CodeDeploy stops the deployment (4).
    let status = crate::ops::deploy::deploy(
        &p,
        &deploy_opts(WaitUntil::CodeDeployEvent("AllowTraffic")),
        &sink,
    )
    .await
    .unwrap();
    assert_eq!(status, ExitStatus::FailedNotRolledBack);
    let paused: Vec<_> = sink
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Paused { .. }))
        .collect();
    assert_eq!(paused.len(), 1, "{paused:#?}");
    match &paused[0] {
        Event::Paused {
            controller,
            stage,
            timeout_action,
            continue_command,
            expires_at,
            ..
        } => {
            assert_eq!(
                (
                    controller.as_str(),
                    stage.as_str(),
                    continue_command.as_str()
                ),
                ("CODE_DEPLOY", "Ready", "ecspress continue")
            );
            assert_eq!(timeout_action.as_deref(), Some("STOP_DEPLOYMENT"));
            // Ready began when AfterAllowTestTraffic ended (simulated second 46 here: 30 s of
            // setup, then the lifecycle events); the group waits one minute.
            assert_eq!(expires_at.as_deref(), Some("2027-01-15T08:01:46Z"));
        }
        _ => unreachable!(),
    }
    assert!(verdicts(&sink)[0].message.contains("TIMEOUT"));
}

#[tokio::test(flavor = "multi_thread")]
async fn finish_ends_the_termination_wait() {
    let sim = setup(json!({"blueGreenDeploymentConfiguration": {
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 60},
    }}));
    let p = project(&sim, "1.28").await;
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(
        &p,
        &deploy_opts(WaitUntil::CodeDeployEvent("AfterAllowTraffic")),
        &sink,
    )
    .await
    .unwrap();
    assert_eq!(status, ExitStatus::Success, "{:#?}", sink.events());
    assert!(sink.events().iter().any(|e| matches!(
        e,
        Event::Info { message } if message.contains("termination wait") && message.contains("--finish")
    )));
    let id = newest_deployment(&sim);
    assert_eq!(status_of(&sim, &id), "InProgress");
    // Not Ready: plain continue says what to do instead.
    let e = continue_deployment(&p, false, false, &watch_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("--finish"), "{e}");
    let status = continue_deployment(&p, true, true, &watch_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success);
    assert_eq!(status_of(&sim, &id), "Succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn unhealthy_green_with_auto_rollback_is_rolled_back() {
    let sim = setup(json!({}));
    let p = project(&sim, "unhealthy").await;
    let mut opts = deploy_opts(WaitUntil::Deployed);
    opts.rollback_events = Some(vec!["DEPLOYMENT_FAILURE".into()]);
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &opts, &sink).await.unwrap();
    assert_eq!(status, ExitStatus::RolledBack, "{:#?}", sink.events());
    let v = verdicts(&sink);
    assert_eq!(v.len(), 1);
    assert!(
        v[0].message.contains("HEALTH_CONSTRAINTS"),
        "{}",
        v[0].message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stage_goals_are_refused_for_code_deploy() {
    let sim = setup(json!({}));
    let p = project(&sim, "1.28").await;
    let sink = RecordingSink::new();
    let e = crate::ops::deploy::deploy(&p, &deploy_opts(WaitUntil::Stage("BAKE_TIME")), &sink)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("codedeploy:<Event>"), "{e}");
    assert_eq!(
        cdc(
            &sim,
            "ListDeployments",
            json!({"applicationName": "app", "deploymentGroupName": "dg"})
        )["deployments"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_scaling_flags_are_refused_for_code_deploy() {
    let sim = setup(json!({}));
    let p = project(&sim, "1.28").await;
    let sink = RecordingSink::new();
    let mut opts = deploy_opts(WaitUntil::Deployed);
    opts.auto_scaling.suspend = Some(true);
    let e = crate::ops::deploy::deploy(&p, &opts, &sink)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("CODE_DEPLOY"), "{e}");
    assert_eq!(
        cdc(
            &sim,
            "ListDeployments",
            json!({"applicationName": "app", "deploymentGroupName": "dg"})
        )["deployments"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_watch_emits_an_interrupted_verdict() {
    let sim = setup(json!({"blueGreenDeploymentConfiguration": {
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
    }}));
    let p = project(&sim, "1.28").await;
    let sink = RecordingSink::new();
    {
        let opts = deploy_opts(WaitUntil::Deployed);
        let fut = crate::ops::deploy::deploy(&p, &opts, &sink);
        // Ready holds forever: the watch cannot end by itself in 300 ms.
        let r = tokio::time::timeout(Duration::from_millis(300), fut).await;
        assert!(r.is_err());
    }
    let v = verdicts(&sink);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].status, ExitStatus::Interrupted);
}

fn calls(sim: &Sim, op: &str) -> u64 {
    sim.state()["counters"]["calls"][op].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn pinned_group_skips_discovery_and_is_verified() {
    let sim = setup(json!({}));
    let dir = example_copy(
        "codedeploy:\n  application_name: app\n  deployment_group_name: dg\n  deployment_config_name: CodeDeployDefault.ECSAllAtOnce\n",
    );
    let p = project_at(&sim, "1.28", &dir.path().join("ecspress.yml")).await;
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &deploy_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success, "{:#?}", sink.events());
    assert_eq!(calls(&sim, "ListApplications"), 0);
    assert_eq!(calls(&sim, "ListDeploymentGroups"), 0);
    assert_eq!(calls(&sim, "BatchGetApplications"), 1);
    assert_eq!(calls(&sim, "BatchGetDeploymentGroups"), 1);
    assert!(sink.events().iter().any(|e| matches!(
        e,
        Event::CodeDeployDeploymentCreated { deployment_config: Some(c), .. } if c == "CodeDeployDefault.ECSAllAtOnce"
    )));
    let id = newest_deployment(&sim);
    let d = cdc(&sim, "GetDeployment", json!({"deploymentId": id}));
    assert_eq!(
        d["deploymentInfo"]["deploymentConfigName"],
        "CodeDeployDefault.ECSAllAtOnce"
    );

    // A pinned application that is not an ECS one is refused before any change.
    cdc(
        &sim,
        "CreateApplication",
        json!({"applicationName": "servers", "computePlatform": "Server"}),
    );
    let dir =
        example_copy("codedeploy:\n  application_name: servers\n  deployment_group_name: dg\n");
    let p = project_at(&sim, "1.29", &dir.path().join("ecspress.yml")).await;
    let before = calls(&sim, "RegisterTaskDefinition");
    let e = crate::ops::deploy::deploy(&p, &deploy_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("not an ECS CodeDeploy application"),
        "{e}"
    );
    assert_eq!(calls(&sim, "RegisterTaskDefinition"), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_slow_the_watch_down_but_do_not_end_it() {
    let sim = setup(json!({}));
    let p = project(&sim, "1.28").await;
    sim.set_faults(
        serde_json::from_value(json!({"error_rate": 0.5,
            "operations": ["GetDeployment", "GetDeploymentTarget"]}))
        .unwrap(),
    );
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &deploy_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success, "{:#?}", sink.events());
    assert!(sim.state()["counters"]["errors"]["GetDeployment"].as_u64() > Some(0));
    assert_eq!(verdicts(&sink).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_is_exit_5_with_the_resume_hint() {
    let sim = setup(json!({"blueGreenDeploymentConfiguration": {
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 600},
    }}));
    let p = project(&sim, "1.28").await;
    let mut opts = deploy_opts(WaitUntil::Deployed);
    opts.watch.timeout = Duration::from_millis(300);
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &opts, &sink).await.unwrap();
    assert_eq!(status, ExitStatus::TimedOut);
    let v = verdicts(&sink);
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("still Ready"), "{}", v[0].message);
    assert!(
        v[0].hint
            .as_deref()
            .is_some_and(|h| h.contains("ecspress wait")),
        "{v:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_in_progress_is_refused_before_any_change() {
    let sim = setup(json!({}));
    let p = project(&sim, "1.28").await;
    let mut opts = deploy_opts(WaitUntil::Deployed);
    opts.wait = false;
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &opts, &sink).await.unwrap();
    assert_eq!(status, ExitStatus::Success);
    assert!(verdicts(&sink).is_empty(), "--no-wait: no watch");
    let id = newest_deployment(&sim);
    let p = project(&sim, "1.29").await;
    let registered = calls(&sim, "RegisterTaskDefinition");
    let e = crate::ops::deploy::deploy(&p, &opts, &sink)
        .await
        .unwrap_err();
    assert!(e.to_string().contains(&id), "{e}");
    assert!(e.to_string().contains("nothing was changed"), "{e}");
    assert_eq!(calls(&sim, "RegisterTaskDefinition"), registered);
    assert_eq!(calls(&sim, "CreateDeployment"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn service_changes_go_through_update_service_or_are_named() {
    let sim = setup(json!({}));
    let dir = example_copy("");
    let svc = dir.path().join("ecs-service-def.json");
    let text = std::fs::read_to_string(&svc)
        .unwrap()
        .replace(
            r#""desiredCount": 2,"#,
            r#""desiredCount": 3, "healthCheckGracePeriodSeconds": 30,"#,
        )
        .replace("targetgroup/web-blue/", "targetgroup/web-other/");
    std::fs::write(&svc, text).unwrap();
    let p = project_at(&sim, "1.27", &dir.path().join("ecspress.yml")).await;
    let sink = RecordingSink::new();
    let status = crate::ops::deploy::deploy(&p, &deploy_opts(WaitUntil::Deployed), &sink)
        .await
        .unwrap();
    assert_eq!(status, ExitStatus::Success, "{:#?}", sink.events());
    let events = sink.events();
    let updated = events
        .iter()
        .find_map(|e| match e {
            Event::ServiceUpdated {
                desired_count,
                attributes,
                task_definition,
                ..
            } => Some((*desired_count, attributes.clone(), task_definition.clone())),
            _ => None,
        })
        .expect("an UpdateService");
    assert_eq!(updated.0, Some(3));
    assert!(
        updated
            .1
            .contains(&"healthCheckGracePeriodSeconds".to_owned()),
        "{updated:?}"
    );
    assert!(
        !updated.1.contains(&"loadBalancers".to_owned()),
        "{updated:?}"
    );
    assert_eq!(
        updated.2, None,
        "the task definition goes through CodeDeploy"
    );
    assert!(events.iter().any(
        |e| matches!(e, Event::Warning { message } if message.contains("loadBalancers cannot be changed"))
    ));
    // Same revision, same container: no CodeDeploy deployment.
    assert_eq!(calls(&sim, "CreateDeployment"), 0);
    let live = ecs(
        &sim,
        "DescribeServices",
        json!({"cluster": "bluegreen", "services": ["web"]}),
    );
    assert_eq!(live["services"][0]["desiredCount"], 3);
    assert_eq!(live["services"][0]["healthCheckGracePeriodSeconds"], 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_application_alone_limits_the_search_to_its_groups() {
    let sim = setup(json!({}));
    let dir = example_copy("codedeploy:\n  application_name: app\n");
    let p = project_at(&sim, "1.28", &dir.path().join("ecspress.yml")).await;
    let sink = RecordingSink::new();
    let g = resolve_group(&p, &ServiceRef::of(&p).unwrap(), &sink)
        .await
        .unwrap();
    assert_eq!((g.application.as_str(), g.name.as_str()), ("app", "dg"));
    assert_eq!(calls(&sim, "ListApplications"), 0);
    assert_eq!(calls(&sim, "ListDeploymentGroups"), 1);
}

/// The adaptive cadence (issue #9): quiet polls skip GetDeploymentTarget, yet every lifecycle
/// event is still reported once, in order, and the verdict is right.
#[tokio::test(flavor = "multi_thread")]
async fn adaptive_cadence_skips_unchanged_targets_and_misses_no_event() {
    let sim = setup(json!({}));
    let p = project(&sim, "1.28").await;
    let sink = RecordingSink::new();
    let mut opts = deploy_opts(WaitUntil::Deployed);
    opts.watch.max_poll_interval = Some(Duration::from_millis(10));
    let status = crate::ops::deploy::deploy(&p, &opts, &sink).await.unwrap();
    assert_eq!(status, ExitStatus::Success, "{:#?}", sink.events());
    let polls = calls(&sim, "GetDeployment");
    let targets = calls(&sim, "GetDeploymentTarget");
    assert!(
        targets < polls - 1,
        "light polls: {targets} targets in {polls} polls"
    );
    let succeeded: Vec<String> = sink
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::CodeDeployLifecycleEvent { event, status, .. } if status == "Succeeded" => {
                Some(event.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(succeeded, crate::model::stages::CODEDEPLOY_EVENTS);
}
