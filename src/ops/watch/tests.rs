//! The watcher against the simulator (in-process HTTP, the real `SdkEcs` adapter).
//!
//! Most scenarios use a manual sim clock that moves a fixed step on every DescribeServices
//! (once per poll): runs are deterministic and take milliseconds, and a hook can act at a
//! given poll (start a newer deployment, stop ours, raise an alarm). One scenario runs on a
//! scaled clock, as `ecspress sim` does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::*;
use crate::aws::ecs::SdkEcs;
use crate::aws::{AwsResult, ecs::TaskFilter as Filter};
use crate::model::rollout::Verdict;
use crate::output::{Event, RecordingSink};
use crate::sim::{Clock, ECS_TARGET_PREFIX, Faults, Sim, SimOptions, server};

const T0_MS: i64 = 1_800_000_000_000;

type Hook = Arc<dyn Fn(u64, &Sim) + Send + Sync>;

/// An [`EcsApi`] that advances the simulator's manual clock by `step` before every
/// DescribeServices, and runs `hook(poll number)` then.
struct Stepping {
    inner: SdkEcs,
    sim: Sim,
    step: Duration,
    polls: AtomicU64,
    hook: Option<Hook>,
}

#[async_trait::async_trait]
impl EcsApi for Stepping {
    async fn describe_service(&self, cluster: &str, service: &str) -> AwsResult<Option<Value>> {
        let n = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
        self.sim.advance(self.step);
        if let Some(h) = &self.hook {
            h(n, &self.sim);
        }
        self.inner.describe_service(cluster, service).await
    }
    async fn describe_task_definition(&self, td: &str) -> AwsResult<Value> {
        self.inner.describe_task_definition(td).await
    }
    async fn list_task_definitions(&self, family: &str) -> AwsResult<Vec<String>> {
        self.inner.list_task_definitions(family).await
    }
    async fn register_task_definition(&self, input: &Value) -> AwsResult<Value> {
        self.inner.register_task_definition(input).await
    }
    async fn deregister_task_definition(&self, td: &str) -> AwsResult<()> {
        self.inner.deregister_task_definition(td).await
    }
    async fn create_service(&self, input: &Value) -> AwsResult<Value> {
        self.inner.create_service(input).await
    }
    async fn update_service(&self, input: &Value) -> AwsResult<Value> {
        self.inner.update_service(input).await
    }
    async fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> AwsResult<()> {
        self.inner.tag_resource(arn, tags).await
    }
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> AwsResult<()> {
        self.inner.untag_resource(arn, keys).await
    }
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        created_after: Option<f64>,
        statuses: &[&str],
    ) -> AwsResult<Vec<Value>> {
        self.inner
            .list_service_deployments(cluster, service, created_after, statuses)
            .await
    }
    async fn describe_service_deployments(&self, arns: &[String]) -> AwsResult<Vec<Value>> {
        self.inner.describe_service_deployments(arns).await
    }
    async fn stop_service_deployment(&self, arn: &str, stop_type: &str) -> AwsResult<()> {
        self.inner.stop_service_deployment(arn, stop_type).await
    }
    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: &str,
    ) -> AwsResult<()> {
        self.inner
            .continue_service_deployment(arn, hook_id, action)
            .await
    }
    async fn list_tasks(&self, cluster: &str, filter: &Filter) -> AwsResult<Vec<String>> {
        self.inner.list_tasks(cluster, filter).await
    }
    async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> AwsResult<Vec<Value>> {
        self.inner.describe_tasks(cluster, arns).await
    }
}

async fn sdk_ecs(sim: &Sim) -> SdkEcs {
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
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .load()
        .await;
    SdkEcs::new(&cfg)
}

fn call(sim: &Sim, op: &str, body: Value) -> Value {
    sim.call(&format!("{ECS_TARGET_PREFIX}{op}"), &body)
        .unwrap_or_else(|e| panic!("{op} {body}: {e:?}"))
}

fn register(sim: &Sim, image: &str) -> String {
    let td = call(
        sim,
        "RegisterTaskDefinition",
        json!({"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": image, "portMappings": [{"containerPort": 80}]}]}),
    );
    td["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn faults(sim: &Sim, v: Value) {
    sim.set_faults(serde_json::from_value::<Faults>(v).unwrap());
}

/// Circuit breaker with rollback, and alarm `web-5xx` with rollback.
fn rollback_config() -> Value {
    json!({"deploymentCircuitBreaker": {"enable": true, "rollback": true},
           "alarms": {"alarmNames": ["web-5xx"], "enable": true, "rollback": true}})
}

/// A simulator with cluster `c` and service `web` (2 × `nginx:1`) whose first deployment has
/// completed. Manual clock.
fn steady_service(deployment_configuration: Value) -> Sim {
    let sim = Sim::new(SimOptions::default(), Clock::manual(T0_MS));
    call(&sim, "CreateCluster", json!({"clusterName": "c"}));
    register(&sim, "nginx:1");
    call(
        &sim,
        "CreateService",
        json!({"cluster": "c", "serviceName": "web", "taskDefinition": "web:1", "desiredCount": 2,
            "launchType": "FARGATE", "deploymentConfiguration": deployment_configuration,
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "securityGroups": ["g-1"]}}}),
    );
    sim.advance(Duration::from_secs(120));
    let svc = describe(&sim);
    assert_eq!(svc["deployments"].as_array().unwrap().len(), 1, "{svc}");
    assert_eq!(svc["deployments"][0]["rolloutState"], "COMPLETED");
    sim
}

fn describe(sim: &Sim) -> Value {
    call(
        sim,
        "DescribeServices",
        json!({"cluster": "c", "services": ["web"]}),
    )["services"][0]
        .clone()
}

/// Deploy `image` as a new revision the way `deploy` does; the target to watch.
fn deploy(sim: &Sim, image: &str) -> WatchTarget {
    let td = register(sim, image);
    let started_after = sim.clock().now() as f64 / 1000.0;
    call(
        sim,
        "UpdateService",
        json!({"cluster": "c", "service": "web", "taskDefinition": td}),
    );
    let svc = describe(sim);
    WatchTarget {
        cluster: "c".into(),
        service: "web".into(),
        service_deployment_arn: svc["currentServiceDeployment"].as_str().map(str::to_owned),
        deployment_id: svc["deployments"][0]["id"].as_str().map(str::to_owned),
        started_after: Some(started_after),
        task_definition: Some(td),
        drain: None,
    }
}

fn opts() -> WatchOptions {
    WatchOptions {
        timeout: Duration::from_secs(30),
        poll_interval: Duration::from_millis(1),
        max_poll_interval: None,
        wait_until: WaitUntil::Deployed,
    }
}

async fn stepping(sim: &Sim, step_secs: u64, hook: Option<Hook>) -> Stepping {
    Stepping {
        inner: sdk_ecs(sim).await,
        sim: sim.clone(),
        step: Duration::from_secs(step_secs),
        polls: AtomicU64::new(0),
        hook,
    }
}

/// The one verdict, checked to be the last event and the only one.
fn the_verdict(events: &[Event]) -> Verdict {
    let verdicts: Vec<&Verdict> = events
        .iter()
        .filter_map(|e| match e {
            Event::Verdict(v) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(verdicts.len(), 1, "exactly one verdict: {events:#?}");
    assert!(
        matches!(events.last(), Some(Event::Verdict(_))),
        "the verdict is the last event: {events:#?}"
    );
    verdicts[0].clone()
}

fn warnings(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Warning { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn stopped_tasks(events: &[Event]) -> Vec<StoppedTask> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::TaskStopped(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn service_events(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ServiceEvent { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

async fn run_watch(
    ecs: &dyn EcsApi,
    target: &WatchTarget,
    o: &WatchOptions,
) -> (ExitStatus, Vec<Event>) {
    let sink = RecordingSink::new();
    let status = watch(ecs, target, o, &sink).await.expect("watch");
    (status, sink.events())
}

#[tokio::test]
async fn a_healthy_deploy_succeeds() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "nginx:2");
    let ecs = stepping(&sim, 2, None).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::Success, "{v:?}");
    assert_eq!(v.outcome, Outcome::Succeeded);
    assert!(v.message.contains("web:2"), "{v:?}");
    let Some(Event::DeploymentStarted {
        service_deployment_arn,
        deployment_id,
        tracking,
        ..
    }) = events.first()
    else {
        panic!("starts with deployment_started: {events:#?}")
    };
    assert_eq!(service_deployment_arn, &target.service_deployment_arn);
    assert_eq!(deployment_id, &target.deployment_id);
    assert_eq!(tracking, "service_deployment");
    let messages = service_events(&events);
    assert!(
        messages.iter().any(|m| m.contains("has started 2 tasks")),
        "{messages:#?}"
    );
    // Only events of our deployment, each once.
    let mut dedup = messages.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), messages.len(), "{messages:#?}");
    assert!(warnings(&events).is_empty(), "{events:#?}");
    assert!(stopped_tasks(&events).is_empty(), "{events:#?}");
    // At most DescribeServices + DescribeServiceDeployments per poll; no ListTasks.
    let state = sim.state();
    let calls = &state["counters"]["calls"];
    let polls = ecs.polls.load(Ordering::SeqCst);
    assert_eq!(calls["DescribeServiceDeployments"], polls, "{calls}");
    assert!(calls.get("ListTasks").is_none(), "{calls}");
}

#[tokio::test]
async fn events_before_our_deployment_are_not_replayed() {
    let sim = steady_service(rollback_config());
    let before: Vec<String> = describe(&sim)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!before.is_empty());
    let target = deploy(&sim, "nginx:2");
    let ecs = stepping(&sim, 2, None).await;
    let (_, events) = run_watch(&ecs, &target, &opts()).await;
    for e in &events {
        if let Event::ServiceEvent { id, .. } = e {
            assert!(!before.contains(id), "old event {id} replayed");
        }
    }
}

#[tokio::test]
async fn circuit_breaker_rollback_is_3_with_the_reasons() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "app:crash");
    let ecs = stepping(&sim, 2, None).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::RolledBack, "{v:?}");
    assert!(v.message.contains("circuit breaker"), "{v:?}");
    let tasks = stopped_tasks(&events);
    assert!(!tasks.is_empty(), "stopped tasks are reported: {events:#?}");
    for t in &tasks {
        assert_eq!(
            t.started_by, target.deployment_id,
            "only our deployment's tasks"
        );
        assert_eq!(
            t.stop_code.as_deref(),
            Some("EssentialContainerExited"),
            "{t:?}"
        );
        assert_eq!(t.containers[0].exit_code, Some(1), "{t:?}");
    }
    let mut arns: Vec<&str> = tasks.iter().map(|t| t.task_arn.as_str()).collect();
    arns.sort();
    arns.dedup();
    assert_eq!(arns.len(), tasks.len(), "each stopped task once");
    let messages = service_events(&events);
    assert!(
        messages.iter().any(|m| m.contains("rolling back")),
        "{messages:#?}"
    );
    let primary = describe(&sim)["deployments"][0]["taskDefinition"].clone();
    assert!(
        primary.as_str().unwrap().ends_with("web:1"),
        "rolled back: {primary}"
    );
}

#[tokio::test]
async fn alarm_rollback_is_3() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "nginx:2");
    let hook: Hook = Arc::new(|n, sim: &Sim| {
        if n == 4 {
            sim.set_alarm("web-5xx", "ALARM").unwrap();
        }
    });
    let ecs = stepping(&sim, 2, Some(hook)).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::RolledBack, "{v:?}");
    assert!(v.message.contains("web-5xx"), "names the alarm: {v:?}");
    let alarmed = events.iter().any(|e| {
        matches!(e, Event::Progress(r) if r.alarms.as_ref().is_some_and(|a| a.triggered == ["web-5xx"]))
    });
    assert!(alarmed, "progress shows the alarm: {events:#?}");
}

#[tokio::test]
async fn stop_service_deployment_abort_is_4() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "app:slow");
    let arn = target.service_deployment_arn.clone().unwrap();
    let hook: Hook = Arc::new(move |n, sim: &Sim| {
        if n == 3 {
            call(
                sim,
                "StopServiceDeployment",
                json!({"serviceDeploymentArn": arn, "stopType": "ABORT"}),
            );
        }
    });
    let ecs = stepping(&sim, 2, Some(hook)).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::FailedNotRolledBack, "{v:?}");
    assert_eq!(v.outcome, Outcome::Stopped);
}

#[tokio::test]
async fn still_running_at_the_timeout_is_5_with_the_resume_hint() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "app:slow");
    let ecs = stepping(&sim, 1, None).await;
    let o = WatchOptions {
        timeout: Duration::from_millis(150),
        poll_interval: Duration::from_millis(20),
        max_poll_interval: None,
        wait_until: WaitUntil::Deployed,
    };
    let started = std::time::Instant::now();
    let (status, events) = run_watch(&ecs, &target, &o).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::TimedOut, "{v:?}");
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(
        v.hint.as_deref().unwrap().contains("ecspress wait"),
        "{v:?}"
    );
    assert!(
        v.message.contains("IN_PROGRESS"),
        "says where it stood: {v:?}"
    );
    // The deployment goes on.
    let sd = call(
        &sim,
        "DescribeServiceDeployments",
        json!({"serviceDeploymentArns": [target.service_deployment_arn.unwrap()]}),
    );
    assert_eq!(sd["serviceDeployments"][0]["status"], "IN_PROGRESS");
}

#[tokio::test]
async fn a_newer_deployment_supersedes_ours_6() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "app:slow");
    let hook: Hook = Arc::new(|n, sim: &Sim| {
        if n == 3 {
            let td = register(sim, "nginx:3");
            call(
                sim,
                "UpdateService",
                json!({"cluster": "c", "service": "web", "taskDefinition": td}),
            );
        }
    });
    let ecs = stepping(&sim, 2, Some(hook)).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::Superseded, "{v:?}");
    assert!(ecs.polls.load(Ordering::SeqCst) < 10, "detected at once");
}

/// Scales the service to 3 tasks at the first poll that sees our deployment SUCCESSFUL (a
/// desiredCount change starts no deployment): `deployed` is done then, `stable` is not.
fn scale_after_success(arn: String) -> Hook {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    Arc::new(move |_, sim: &Sim| {
        let sd = call(
            sim,
            "DescribeServiceDeployments",
            json!({"serviceDeploymentArns": [arn]}),
        );
        if sd["serviceDeployments"][0]["status"] == "SUCCESSFUL"
            && !done.swap(true, Ordering::SeqCst)
        {
            call(
                sim,
                "UpdateService",
                json!({"cluster": "c", "service": "web", "desiredCount": 3}),
            );
        }
    })
}

#[tokio::test]
async fn wait_until_stable_also_waits_for_running_to_reach_desired() {
    for (wait_until, running_at_verdict) in [(WaitUntil::Deployed, 2), (WaitUntil::Stable, 3)] {
        let sim = steady_service(rollback_config());
        let target = deploy(&sim, "nginx:2");
        let hook = scale_after_success(target.service_deployment_arn.clone().unwrap());
        let ecs = stepping(&sim, 2, Some(hook)).await;
        let o = WatchOptions {
            wait_until,
            ..opts()
        };
        let (status, events) = run_watch(&ecs, &target, &o).await;
        let v = the_verdict(&events);
        assert_eq!(status, ExitStatus::Success, "{v:?}");
        let svc = describe(&sim);
        assert_eq!(svc["desiredCount"], 3);
        assert_eq!(
            svc["runningCount"], running_at_verdict,
            "{wait_until:?}: {svc}"
        );
        assert_eq!(
            v.message.contains("stable"),
            wait_until == WaitUntil::Stable,
            "{v:?}"
        );
    }
}

#[tokio::test]
async fn a_throttling_storm_slows_the_watch_but_never_fails_it() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "nginx:2");
    faults(&sim, json!({"throttle_tps": 4.0}));
    let ecs = stepping(&sim, 2, None).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    assert_eq!(status, ExitStatus::Success, "{:?}", the_verdict(&events));
    let state = sim.state();
    let throttled = state["counters"]["throttled"]
        .as_object()
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum::<u64>());
    assert!(throttled > 0, "the storm happened: {}", state["counters"]);
    assert!(
        warnings(&events).is_empty(),
        "no fallback for throttling: {events:#?}"
    );
}

#[tokio::test]
async fn server_error_bursts_do_not_change_the_verdict() {
    for (image, want) in [
        ("nginx:2", ExitStatus::Success),
        ("app:crash", ExitStatus::RolledBack),
    ] {
        let sim = steady_service(rollback_config());
        let target = deploy(&sim, image);
        faults(&sim, json!({"error_rate": 0.4}));
        let ecs = stepping(&sim, 2, None).await;
        let (status, events) = run_watch(&ecs, &target, &opts()).await;
        assert_eq!(status, want, "{image}: {:?}", the_verdict(&events));
        let errors = sim.state()["counters"]["errors"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum::<u64>());
        assert!(errors > 0, "errors were injected");
    }
}

#[tokio::test]
async fn denied_service_deployment_api_falls_back_to_deployments() {
    for (image, want) in [
        ("nginx:2", ExitStatus::Success),
        ("app:crash", ExitStatus::RolledBack),
    ] {
        let sim = steady_service(rollback_config());
        let target = deploy(&sim, image);
        faults(
            &sim,
            json!({"deny": ["ListServiceDeployments", "DescribeServiceDeployments"]}),
        );
        let ecs = stepping(&sim, 2, None).await;
        let (status, events) = run_watch(&ecs, &target, &opts()).await;
        let v = the_verdict(&events);
        assert_eq!(status, want, "{image}: {v:?}");
        let w = warnings(&events);
        assert_eq!(w.len(), 1, "said once: {w:#?}");
        assert!(w[0].contains("AccessDeniedException"), "{w:#?}");
        let tracking = events.iter().find_map(|e| match e {
            Event::DeploymentStarted { tracking, .. } => Some(tracking.clone()),
            _ => None,
        });
        assert_eq!(tracking.as_deref(), Some("deployments"));
        if want == ExitStatus::RolledBack {
            assert!(!stopped_tasks(&events).is_empty(), "{events:#?}");
            assert!(v.message.contains("rolled back to web:1"), "{v:?}");
        }
    }
}

#[tokio::test]
async fn denied_listing_without_an_arn_falls_back_too() {
    let sim = steady_service(rollback_config());
    let mut target = deploy(&sim, "app:crash");
    target.service_deployment_arn = None;
    faults(&sim, json!({"deny": ["ListServiceDeployments"]}));
    let ecs = stepping(&sim, 2, None).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    assert_eq!(status, ExitStatus::RolledBack, "{:?}", the_verdict(&events));
    assert_eq!(warnings(&events).len(), 1);
}

#[tokio::test]
async fn without_an_arn_the_newest_deployment_after_our_call_is_found() {
    let sim = steady_service(rollback_config());
    let mut target = deploy(&sim, "nginx:2");
    let arn = target.service_deployment_arn.take();
    target.deployment_id = None;
    let ecs = stepping(&sim, 2, None).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    assert_eq!(status, ExitStatus::Success);
    let Some(Event::DeploymentStarted {
        service_deployment_arn,
        deployment_id,
        ..
    }) = events.first()
    else {
        panic!("{events:#?}")
    };
    assert_eq!(service_deployment_arn, &arn);
    assert_eq!(
        deployment_id.as_deref(),
        describe(&sim)["deployments"][0]["id"].as_str(),
        "mapped to its deployments[] entry"
    );
}

#[tokio::test]
async fn success_on_another_task_definition_is_not_success() {
    let sim = steady_service(rollback_config());
    let mut target = deploy(&sim, "nginx:2");
    // As if we had deployed web:1 but ECS ended up running web:2.
    target.task_definition = Some("web:1".into());
    let ecs = stepping(&sim, 2, None).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::RolledBack, "{v:?}");
    assert!(v.message.contains("runs web:2, not web:1"), "{v:?}");
}

#[tokio::test]
async fn attach_follows_the_running_deployment_or_reports_the_last_one() {
    // In progress: followed to its verdict.
    let sim = steady_service(rollback_config());
    deploy(&sim, "app:crash");
    sim.advance(Duration::from_secs(4));
    let ecs = stepping(&sim, 2, None).await;
    let sink = RecordingSink::new();
    let status = attach(&ecs, "c", "web", &opts(), &sink).await.unwrap();
    assert_eq!(status, ExitStatus::RolledBack);
    let events = sink.events();
    assert!(!service_events(&events).is_empty(), "{events:#?}");
    // Finished: its verdict at once, without replaying its story.
    let sink = RecordingSink::new();
    let before = ecs.polls.load(Ordering::SeqCst);
    let status = attach(&ecs, "c", "web", &opts(), &sink).await.unwrap();
    assert_eq!(
        status,
        ExitStatus::RolledBack,
        "the last deployment rolled back"
    );
    assert_eq!(ecs.polls.load(Ordering::SeqCst) - before, 1, "one poll");
    let events = sink.events();
    assert!(service_events(&events).is_empty(), "{events:#?}");
    the_verdict(&events);
    // Denied API: the PRIMARY deployment (the rollback, completed) is reported.
    faults(
        &sim,
        json!({"deny": ["ListServiceDeployments", "DescribeServiceDeployments"]}),
    );
    let sink = RecordingSink::new();
    let status = attach(&ecs, "c", "web", &opts(), &sink).await.unwrap();
    assert_eq!(status, ExitStatus::Success, "{:?}", sink.events());
}

#[tokio::test]
async fn a_missing_service_is_an_error() {
    let sim = steady_service(rollback_config());
    let ecs = stepping(&sim, 1, None).await;
    let sink = RecordingSink::new();
    let err = attach(&ecs, "c", "nope", &opts(), &sink).await.unwrap_err();
    assert!(format!("{err:#}").contains("nope"), "{err:#}");
    assert_eq!(ecs.polls.load(Ordering::SeqCst), 1, "attach fails at once");
    assert!(sink.events().is_empty(), "no verdict after an error");
    // A persistent non-transient error ends a watch after three polls.
    let target = deploy(&sim, "nginx:2");
    faults(&sim, json!({"deny": ["DescribeServices"]}));
    let ecs = stepping(&sim, 1, None).await;
    let sink = RecordingSink::new();
    let err = watch(&ecs, &target, &opts(), &sink).await.unwrap_err();
    assert!(format!("{err:#}").contains("AccessDenied"), "{err:#}");
    assert_eq!(ecs.polls.load(Ordering::SeqCst), 3);
    assert!(sink.events().is_empty());
}

#[tokio::test]
async fn cancelling_the_watch_emits_an_interrupted_verdict() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "app:slow");
    let ecs = stepping(&sim, 1, None).await;
    let sink = RecordingSink::new();
    let o = WatchOptions {
        poll_interval: Duration::from_millis(10),
        max_poll_interval: None,
        ..opts()
    };
    let r = tokio::time::timeout(Duration::from_millis(100), watch(&ecs, &target, &o, &sink)).await;
    assert!(r.is_err(), "still watching when cancelled");
    let v = the_verdict(&sink.events());
    assert_eq!(v.status, ExitStatus::Interrupted);
    assert!(v.hint.unwrap().contains("ecspress wait"));
}

/// Real time: the simulator on a scaled clock, as `ecspress sim` runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaled_clock_circuit_breaker() {
    let sim = Sim::new(SimOptions::default(), Clock::scaled(0.005));
    let ecs = sdk_ecs(&sim).await;
    call(&sim, "CreateCluster", json!({"clusterName": "c"}));
    let v1 = register(&sim, "nginx:1");
    ecs.create_service(
        &json!({"cluster": "c", "serviceName": "web", "taskDefinition": v1,
        "desiredCount": 2, "launchType": "FARGATE", "deploymentConfiguration": rollback_config(),
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"]}}}),
    )
    .await
    .unwrap();
    let o = WatchOptions {
        poll_interval: Duration::from_millis(20),
        max_poll_interval: None,
        ..opts()
    };
    let sink = RecordingSink::new();
    assert_eq!(
        attach(&ecs, "c", "web", &o, &sink).await.unwrap(),
        ExitStatus::Success,
        "{:?}",
        sink.events()
    );
    let target = deploy(&sim, "app:crash");
    let (status, events) = run_watch(&ecs, &target, &o).await;
    assert_eq!(status, ExitStatus::RolledBack, "{:?}", the_verdict(&events));
}

/// The `--output json` event stream of one deploy (ids and times normalised).
#[tokio::test]
async fn json_event_stream_snapshot() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "app:crash");
    let ecs = stepping(&sim, 2, None).await;
    let (_, events) = run_watch(&ecs, &target, &opts()).await;
    let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let lines: Vec<String> = events
        .iter()
        .map(|e| normalise(&crate::output::json_line(e, at)))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

/// Replace ids, ARNs and timestamps with placeholders (stable across simulator changes).
fn normalise(line: &str) -> String {
    let v: Value = serde_json::from_str(line).unwrap();
    let mut data = v["data"].clone();
    fn walk(v: &mut Value, key: &str) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    walk(x, k);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, key)),
            Value::String(s) => {
                if matches!(key, "created_at" | "time") {
                    *s = "[time]".into();
                } else if key == "id" && !s.starts_with("ecs-svc/") {
                    *s = "[event-id]".into();
                } else {
                    *s = scrub(s);
                }
            }
            _ => {}
        }
    }
    walk(&mut data, "");
    // The record's own key order (type, time, data), as `json_line` writes it.
    format!(
        "{{\"type\":{},\"time\":\"[time]\",\"data\":{data}}}",
        v["type"]
    )
}

/// `ecs-svc/123…` → `ecs-svc/[id]`, task/service-deployment/revision ids → `[id]`.
fn scrub(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let digits = word.chars().filter(char::is_ascii_digit).count();
        // Generated ids: long, with digits (hex task ids, numeric deployment ids, the
        // 21-character service-deployment ids).
        if word.len() >= 16 && digits > 0 && word != "123456789012" {
            out.push_str("[id]");
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn cadence_backs_off_and_jitters() {
    let mut c = Cadence::new(Duration::from_secs(1), 42);
    for want in [2, 4, 8, 16, 30, 30] {
        c.back_off();
        assert_eq!(c.interval(), Duration::from_secs(want));
    }
    c.reset_to(Duration::from_secs(5));
    c.back_off();
    assert_eq!(
        c.interval(),
        Duration::from_secs(10),
        "backs off from the adaptive interval"
    );
    c.reset_to(Duration::from_secs(1));
    assert_eq!(c.interval(), Duration::from_secs(1));
    let waits: Vec<Duration> = (0..200).map(|_| c.next_wait()).collect();
    assert!(
        waits
            .iter()
            .all(|w| *w >= Duration::from_millis(800) && *w <= Duration::from_millis(1200))
    );
    let spread = waits.iter().max().unwrap().as_millis() - waits.iter().min().unwrap().as_millis();
    assert!(spread > 200, "jittered: {spread} ms");
    // A poll interval above the cap is never shortened.
    let mut slow = Cadence::new(Duration::from_secs(60), 1);
    slow.back_off();
    assert_eq!(slow.interval(), Duration::from_secs(60));
}

#[test]
fn error_classes() {
    let e = |kind, code: &str| AwsError {
        kind,
        operation: "DescribeServices",
        target: "c/s".into(),
        code: Some(code.into()),
        message: "m".into(),
        request_id: None,
    };
    use AwsErrorKind::*;
    for (err, want) in [
        (e(Throttled, "ThrottlingException"), ErrorClass::Transient),
        (e(Transport, "timeout"), ErrorClass::Transient),
        (e(Service, "ServerException"), ErrorClass::Transient),
        (e(Service, "HTTP 503"), ErrorClass::Transient),
        (
            e(AccessDenied, "AccessDeniedException"),
            ErrorClass::Unavailable,
        ),
        (
            e(Service, "UnknownOperationException"),
            ErrorClass::Unavailable,
        ),
        (e(Service, "ClusterNotFoundException"), ErrorClass::Fatal),
        (e(Service, "InvalidParameterException"), ErrorClass::Fatal),
    ] {
        assert_eq!(classify(&err), want, "{err}");
    }
}

// ---- ECS-native BLUE_GREEN / LINEAR / CANARY ------------------------------------------------

const TG_BLUE: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef";
const TG_GREEN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/fedcba9876543210";

/// `deploymentConfiguration` + `loadBalancers` of a native-strategy service behind an ALB.
fn native_members(deployment_configuration: Value) -> Value {
    json!({
        "deploymentConfiguration": deployment_configuration,
        "loadBalancers": [{"targetGroupArn": TG_BLUE, "containerName": "app", "containerPort": 80,
            "advancedConfiguration": {"alternateTargetGroupArn": TG_GREEN,
                "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3",
                "roleArn": "arn:aws:iam::123456789012:role/ecs-infrastructure"}}],
    })
}

/// A settled BLUE_GREEN service `web` (bake 1 min) on `nginx:1`. Manual clock.
fn steady_native(deployment_configuration: Value) -> Sim {
    let sim = Sim::new(SimOptions::default(), Clock::manual(T0_MS));
    call(&sim, "CreateCluster", json!({"clusterName": "c"}));
    register(&sim, "nginx:1");
    let mut body = json!({"cluster": "c", "serviceName": "web", "taskDefinition": "web:1",
        "desiredCount": 2, "launchType": "FARGATE",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "securityGroups": ["g-1"]}}});
    let members = native_members(deployment_configuration);
    for (k, v) in members.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(&sim, "CreateService", body);
    sim.advance(Duration::from_secs(600));
    let svc = describe(&sim);
    assert_eq!(svc["deployments"][0]["rolloutState"], "COMPLETED", "{svc}");
    sim
}

fn blue_green() -> Value {
    json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})
}

/// Like [`deploy`], with extra UpdateService members (e.g. lifecycle hooks).
fn deploy_with(sim: &Sim, image: &str, extra: Value) -> WatchTarget {
    let td = register(sim, image);
    let started_after = sim.clock().now() as f64 / 1000.0;
    let mut body = json!({"cluster": "c", "service": "web", "taskDefinition": td});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(sim, "UpdateService", body);
    let svc = describe(sim);
    WatchTarget {
        cluster: "c".into(),
        service: "web".into(),
        service_deployment_arn: svc["currentServiceDeployment"].as_str().map(str::to_owned),
        deployment_id: svc["deployments"][0]["id"].as_str().map(str::to_owned),
        started_after: Some(started_after),
        task_definition: Some(td),
        drain: None,
    }
}

/// A BLUE_GREEN config with a PAUSE hook at POST_TEST_TRAFFIC_SHIFT.
fn with_pause() -> Value {
    json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1,
        "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}})
}

fn stages_seen(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::StageChanged { stage, .. } => Some(stage.clone()),
            _ => None,
        })
        .collect()
}

fn progress(events: &[Event]) -> Vec<ProgressReport> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Progress(r) => Some((**r).clone()),
            _ => None,
        })
        .collect()
}

fn sd_status(sim: &Sim, arn: &str) -> Value {
    call(
        sim,
        "DescribeServiceDeployments",
        json!({"serviceDeploymentArns": [arn]}),
    )["serviceDeployments"][0]
        .clone()
}

#[tokio::test]
async fn blue_green_reports_stages_weights_bake_and_succeeds() {
    let sim = steady_native(blue_green());
    let target = deploy(&sim, "nginx:2");
    let ecs = stepping(&sim, 1, None).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::Success, "{v:?}");
    assert_eq!(
        stages_seen(&events),
        [
            "PRE_SCALE_UP",
            "SCALE_UP",
            "POST_SCALE_UP",
            "TEST_TRAFFIC_SHIFT",
            "POST_TEST_TRAFFIC_SHIFT",
            "PRODUCTION_TRAFFIC_SHIFT",
            "POST_PRODUCTION_TRAFFIC_SHIFT",
            "BAKE_TIME",
            "CLEAN_UP"
        ]
    );
    let Some(Event::StageChanged { from, position, .. }) = events.iter().find(
        |e| matches!(e, Event::StageChanged { stage, .. } if stage == "PRODUCTION_TRAFFIC_SHIFT"),
    ) else {
        unreachable!()
    };
    assert_eq!(from.as_deref(), Some("POST_TEST_TRAFFIC_SHIFT"));
    assert_eq!(position.as_deref(), Some("7/10"));
    let reports = progress(&events);
    let summaries: Vec<String> = reports.iter().map(ProgressReport::summary).collect();
    assert!(
        summaries.iter().any(|s| s.contains(
            "stage 7/10 PRODUCTION_TRAFFIC_SHIFT · green 100% prod / 100% test · 2/2 running"
        )),
        "{summaries:#?}"
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("stage 9/10 BAKE_TIME") && s.contains("bake ≈1 min left")),
        "{summaries:#?}"
    );
    // Blue loses production traffic as green gains it.
    let blue_prod: Vec<f64> = reports
        .iter()
        .filter_map(|r| r.source_revisions.first()?.production_weight)
        .collect();
    assert_eq!(blue_prod.first(), Some(&100.0), "{blue_prod:?}");
    assert_eq!(blue_prod.last(), Some(&0.0), "{blue_prod:?}");
    // Still two calls per poll.
    let state = sim.state();
    let calls = &state["counters"]["calls"];
    assert_eq!(
        calls["DescribeServiceDeployments"],
        ecs.polls.load(Ordering::SeqCst),
        "{calls}"
    );
}

#[tokio::test]
async fn wait_until_stage_returns_early_and_the_deployment_goes_on() {
    let sim = steady_native(blue_green());
    let target = deploy(&sim, "nginx:2");
    let ecs = stepping(&sim, 5, None).await;
    let o = WatchOptions {
        wait_until: WaitUntil::Stage("BAKE_TIME"),
        ..opts()
    };
    let (status, events) = run_watch(&ecs, &target, &o).await;
    let v = the_verdict(&events);
    assert_eq!(
        (status, v.outcome),
        (ExitStatus::Success, Outcome::Succeeded)
    );
    assert!(v.message.contains("reached stage BAKE_TIME"), "{v:?}");
    assert!(v.message.contains("still in progress"), "{v:?}");
    let arn = target.service_deployment_arn.unwrap();
    let sd = sd_status(&sim, &arn);
    assert_eq!(sd["status"], "IN_PROGRESS", "{sd}");
    assert_eq!(sd["lifecycleStage"], "BAKE_TIME", "{sd}");
}

#[tokio::test]
async fn a_rollback_before_the_target_stage_is_3() {
    let sim = steady_native(blue_green());
    let target = deploy(&sim, "app:crash");
    let ecs = stepping(&sim, 5, None).await;
    let o = WatchOptions {
        wait_until: WaitUntil::Stage("BAKE_TIME"),
        ..opts()
    };
    let (status, events) = run_watch(&ecs, &target, &o).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::RolledBack, "{v:?}");
    assert!(
        !stages_seen(&events).contains(&"BAKE_TIME".to_owned()),
        "{events:#?}"
    );
}

#[tokio::test]
async fn wait_until_paused_returns_with_the_hook_and_the_commands() {
    let sim = steady_native(blue_green());
    let target = deploy_with(&sim, "nginx:2", with_pause());
    let ecs = stepping(&sim, 5, None).await;
    let o = WatchOptions {
        wait_until: WaitUntil::Paused,
        ..opts()
    };
    let (status, events) = run_watch(&ecs, &target, &o).await;
    let v = the_verdict(&events);
    assert_eq!(status, ExitStatus::Success, "{v:?}");
    let arn = target.service_deployment_arn.clone().unwrap();
    let sd = sd_status(&sim, &arn);
    let hook_id = sd["lifecycleHookDetails"][0]["hookId"].as_str().unwrap();
    assert_eq!(sd["lifecycleHookDetails"][0]["status"], "AWAITING_ACTION");
    assert!(
        v.message.contains(&format!(
            "paused at POST_TEST_TRAFFIC_SHIFT (hook {hook_id})"
        )),
        "{v:?}"
    );
    assert!(
        v.hint
            .as_deref()
            .unwrap()
            .contains("ecspress continue --rollback"),
        "{v:?}"
    );
    let paused: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::Paused { .. }))
        .collect();
    let [
        Event::Paused {
            controller,
            deployment,
            stage,
            hook_id: Some(id),
            expires_at: Some(expires),
            timeout_action,
            continue_command,
            rollback_command,
        },
    ] = paused.as_slice()
    else {
        panic!("one paused event: {events:#?}")
    };
    assert_eq!(
        (controller.as_str(), deployment, stage.as_str(), id.as_str()),
        ("ECS", &arn, "POST_TEST_TRAFFIC_SHIFT", hook_id)
    );
    assert!(humantime::parse_rfc3339(expires).is_ok(), "{expires}");
    assert_eq!(timeout_action.as_deref(), Some("ROLLBACK"));
    assert_eq!(
        (continue_command.as_str(), rollback_command.as_str()),
        ("ecspress continue", "ecspress continue --rollback")
    );
}

#[tokio::test]
async fn a_pause_is_reported_once_while_waiting_for_the_end() {
    let sim = steady_native(blue_green());
    let target = deploy_with(&sim, "nginx:2", with_pause());
    let arn = target.service_deployment_arn.clone().unwrap();
    // Somebody continues the deployment 20 polls after it paused.
    let paused_at = Arc::new(AtomicU64::new(0));
    let hook: Hook = Arc::new(move |n, sim: &Sim| {
        let sd = sd_status(sim, &arn);
        let Some(h) = sd["lifecycleHookDetails"]
            .as_array()
            .and_then(|hs| hs.iter().find(|h| h["status"] == "AWAITING_ACTION"))
        else {
            return;
        };
        let first = paused_at.load(Ordering::SeqCst);
        if first == 0 {
            paused_at.store(n, Ordering::SeqCst);
        } else if n >= first + 20 {
            call(
                sim,
                "ContinueServiceDeployment",
                json!({"serviceDeploymentArn": arn, "hookId": h["hookId"], "action": "CONTINUE"}),
            );
        }
    });
    let ecs = stepping(&sim, 5, Some(hook)).await;
    let (status, events) = run_watch(&ecs, &target, &opts()).await;
    assert_eq!(status, ExitStatus::Success, "{:?}", the_verdict(&events));
    let paused = events
        .iter()
        .filter(|e| matches!(e, Event::Paused { .. }))
        .count();
    assert_eq!(paused, 1, "{events:#?}");
    assert!(ecs.polls.load(Ordering::SeqCst) > 20);
}

#[tokio::test]
async fn a_released_hook_is_not_reported_again() {
    let sim = steady_native(blue_green());
    let target = deploy_with(&sim, "nginx:2", with_pause());
    let arn = target.service_deployment_arn.clone().unwrap();
    sim.advance(Duration::from_secs(300));
    let sd = sd_status(&sim, &arn);
    let hook_id = sd["lifecycleHookDetails"][0]["hookId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sd["lifecycleHookDetails"][0]["status"], "AWAITING_ACTION");
    // As if ContinueServiceDeployment was accepted but a poll still sees the hook waiting:
    // the hook is released only after a few polls.
    let release: Hook = {
        let (arn, hook_id) = (arn.clone(), hook_id.clone());
        Arc::new(move |n, sim: &Sim| {
            if n == 3 {
                call(
                    sim,
                    "ContinueServiceDeployment",
                    json!({"serviceDeploymentArn": arn, "hookId": hook_id}),
                );
            }
        })
    };
    let ecs = stepping(&sim, 5, Some(release)).await;
    let sink = RecordingSink::new();
    let o = WatchOptions {
        wait_until: WaitUntil::Paused,
        ..opts()
    };
    let status = watch_continued(&ecs, &target, &o, &sink, &hook_id)
        .await
        .unwrap();
    let events = sink.events();
    let v = the_verdict(&events);
    // No other pause: the deployment ends with its normal verdict.
    assert_eq!(
        (status, v.outcome),
        (ExitStatus::Success, Outcome::Succeeded)
    );
    assert!(
        !events.iter().any(|e| matches!(e, Event::Paused { .. })),
        "{events:#?}"
    );
}

#[tokio::test]
async fn stage_and_paused_waits_need_a_native_strategy() {
    let sim = steady_service(rollback_config());
    let target = deploy(&sim, "nginx:2");
    let ecs = stepping(&sim, 2, None).await;
    for (wait_until, needle) in [
        (
            WaitUntil::Stage("BAKE_TIME"),
            "--wait-until stage:BAKE_TIME",
        ),
        (WaitUntil::Paused, "--wait-until paused"),
    ] {
        let o = WatchOptions {
            wait_until,
            ..opts()
        };
        let sink = RecordingSink::new();
        let e = watch(&ecs, &target, &o, &sink).await.unwrap_err();
        let text = format!("{e:#}");
        assert!(text.contains(needle), "{text}");
        assert!(text.contains("ROLLING strategy"), "{text}");
        assert!(text.contains("BLUE_GREEN, LINEAR or CANARY"), "{text}");
        assert!(
            !sink.events().iter().any(|e| matches!(e, Event::Verdict(_))),
            "an error is the last word"
        );
    }
    let o = WatchOptions {
        wait_until: WaitUntil::CodeDeployEvent("AllowTraffic"),
        ..opts()
    };
    let e = watch(&ecs, &target, &o, &RecordingSink::new())
        .await
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("only for CODE_DEPLOY services"),
        "{e:#}"
    );
}

/// The `--output json` event stream of one BLUE_GREEN deploy that pauses at its PAUSE hook
/// (`--wait-until paused`): stage changes, weights, the paused event and the early verdict.
#[tokio::test]
async fn blue_green_json_event_stream_snapshot() {
    let sim = steady_native(blue_green());
    let target = deploy_with(&sim, "nginx:2", with_pause());
    let ecs = stepping(&sim, 3, None).await;
    let o = WatchOptions {
        wait_until: WaitUntil::Paused,
        ..opts()
    };
    let (status, events) = run_watch(&ecs, &target, &o).await;
    assert_eq!(status, ExitStatus::Success);
    let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let lines: Vec<String> = events
        .iter()
        .map(|e| normalise(&crate::output::json_line(e, at)))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

/// Calls of `op` the simulator answered so far.
fn sim_calls(sim: &Sim, op: &str) -> u64 {
    sim.state()["counters"]["calls"][op].as_u64().unwrap_or(0)
}

/// The adaptive cadence (issue #9) on a real (scaled) clock: a deployment with a long quiet
/// stretch (`slow` tasks: 40 s image pull, 50 s to healthy) costs far fewer calls than the
/// fixed cadence at the same fastest interval, skips DescribeServices on polls where the
/// service deployment did not change, and still ends with the right verdict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_cadence_saves_calls_in_quiet_stretches() {
    // 1 simulated second = 50 ms; fastest poll = 1 simulated second, slowest = 10. (Coarse
    // enough that a loaded machine does not stretch the fixed cadence's polls much.)
    let fastest = Duration::from_millis(50);
    let mut totals = Vec::new();
    for max in [None, Some(fastest * 10)] {
        let sim = Sim::new(SimOptions::default(), Clock::scaled(0.05));
        let ecs = sdk_ecs(&sim).await;
        call(&sim, "CreateCluster", json!({"clusterName": "c"}));
        let v1 = register(&sim, "nginx:1");
        ecs.create_service(
            &json!({"cluster": "c", "serviceName": "web", "taskDefinition": v1,
            "desiredCount": 2, "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"]}}}),
        )
        .await
        .unwrap();
        let o = WatchOptions {
            poll_interval: fastest,
            max_poll_interval: max,
            timeout: Duration::from_secs(60),
            ..opts()
        };
        let first = attach(&ecs, "c", "web", &o, &RecordingSink::new()).await;
        assert_eq!(first.unwrap(), ExitStatus::Success);
        let before = (
            sim_calls(&sim, "DescribeServices"),
            sim_calls(&sim, "DescribeServiceDeployments"),
        );
        let target = deploy(&sim, "app:slow");
        let (status, events) = run_watch(&ecs, &target, &o).await;
        assert_eq!(status, ExitStatus::Success, "{:?}", the_verdict(&events));
        // `deploy` itself made one DescribeServices.
        let ds = sim_calls(&sim, "DescribeServices") - before.0 - 1;
        let dsd = sim_calls(&sim, "DescribeServiceDeployments") - before.1;
        totals.push((ds, dsd));
    }
    let (fixed, adaptive) = (totals[0], totals[1]);
    assert!(
        fixed.0.abs_diff(fixed.1) <= 1,
        "fixed cadence: both calls on every poll: {fixed:?}"
    );
    assert!(
        adaptive.0 < adaptive.1,
        "light polls skipped DescribeServices: {adaptive:?}"
    );
    assert!(
        (adaptive.0 + adaptive.1) * 3 < (fixed.0 + fixed.1) * 2,
        "adaptive {adaptive:?} vs fixed {fixed:?}"
    );
}
