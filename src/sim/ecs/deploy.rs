//! The ECS deployment engine (deploymentController `ECS`): what happens to a service between
//! `CreateService`/`UpdateService` and "deployment completed".
//!
//! Why it exists: moto never moves a deployment (../shared/reference/moto.md §7), and a deploy
//! watcher is only as good as the states it was proven against. This engine reproduces what a
//! watcher reads from `DescribeServices` (`deployments[]`, counts, `events[]`) and from the
//! service-deployment API (ecs-platform-and-peers.md §6.1–6.5), tick by tick.
//!
//! How it works:
//! - [`start_deployment`] creates a `Deployment` (PRIMARY, `ecs-svc/<19 digits>`; the previous
//!   PRIMARY turns ACTIVE), a service revision (task definition + launch settings snapshot) and a
//!   service deployment whose `status` is the authoritative verdict: PENDING → IN_PROGRESS →
//!   SUCCESSFUL; or ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL |
//!   ROLLBACK_FAILED; or STOP_REQUESTED → STOPPED (also: rollback off, superseded).
//! - Each tick ([`step`]) the service's `currentServiceDeployment` drives it: pending requests are
//!   applied, failure detectors run (circuit breaker, CloudWatch alarms), then either the rolling
//!   scheduler or, for BLUE_GREEN/LINEAR/CANARY, the lifecycle-stage machine in
//!   [`super::strategy`] moves tasks; finally counts are refreshed from the tasks.
//! - The rolling scheduler doubles as the steady-state scheduler: it replaces tasks that stopped,
//!   follows `desiredCount`, and drains older deployments within `maximumPercent` (live tasks ≤
//!   ⌊desired × max / 100⌋) and `minimumHealthyPercent` (healthy tasks ≥ ⌈desired × min / 100⌉).
//! - Tasks belong to a deployment through `Owner::Service { deployment_id }` (AWS: `startedBy`).
//!
//! Simplifications (README "what it does not model"): unlimited capacity and no placement, no
//! launch back-off after repeated failures, a fixed 60 s alarm bake for rolling deployments, a
//! fixed 5 s deregistration delay behind load balancers, Lambda lifecycle hooks that succeed after
//! 2 s (or fail when the function ARN contains `fail`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::model::{Deployment, Service, ServiceDeployment, TaskDefinition};
use super::strategy;
use crate::sim::error::ApiError;
use crate::sim::tasks::{self, Launch, Owner, Task};
use crate::sim::world::World;

/// Simulated durations of the engine (ms).
pub(crate) mod timing {
    /// Rolling deployments with alarms: ECS computes a bake period that follows scale-out
    /// (ecs-platform-and-peers.md §6.3); the simulator uses a fixed one.
    pub const ALARM_BAKE_MS: i64 = 60_000;
    /// Default deregistration delay of tasks behind a load balancer (ELB's default is 300 s;
    /// `ecspress sim --deregistration-delay` sets it).
    pub const LB_DRAIN_MS: i64 = 5_000;
    /// An AWS_LAMBDA lifecycle hook answers SUCCEEDED after this.
    pub const LAMBDA_HOOK_MS: i64 = 2_000;
}

/// Service-deployment statuses that end a deployment (ecs-platform-and-peers.md §6.5).
const TERMINAL: [&str; 4] = [
    "SUCCESSFUL",
    "STOPPED",
    "ROLLBACK_SUCCESSFUL",
    "ROLLBACK_FAILED",
];

/// Every `ServiceDeploymentStatus` value (ListServiceDeployments `status[]` filter).
const STATUSES: [&str; 9] = [
    "PENDING",
    "IN_PROGRESS",
    "STOP_REQUESTED",
    "ROLLBACK_REQUESTED",
    "ROLLBACK_IN_PROGRESS",
    "SUCCESSFUL",
    "STOPPED",
    "ROLLBACK_SUCCESSFUL",
    "ROLLBACK_FAILED",
];

/// Service keys snapshotted into each deployment (what a new deployment "freezes").
const DEPLOYMENT_SPEC_KEYS: [&str; 15] = [
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "platformFamily",
    "networkConfiguration",
    "loadBalancers",
    "serviceRegistries",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "fargateEphemeralStorage",
    "vpcLatticeConfigurations",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
    "propagateTags",
    "enableECSManagedTags",
];

/// Keys of a service revision that come from the service (DescribeServiceRevisions shape).
const REVISION_KEYS: [&str; 11] = [
    "capacityProviderStrategy",
    "launchType",
    "platformVersion",
    "platformFamily",
    "loadBalancers",
    "serviceRegistries",
    "networkConfiguration",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "fargateEphemeralStorage",
    "vpcLatticeConfigurations",
];

/// Engine bookkeeping kept on each service deployment (`ServiceDeployment::progress`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// Creation order among all service deployments (stable "newest first" sorting).
    pub seq: u64,
    /// BLUE_GREEN / LINEAR / CANARY (the stage machine drives the forward rollout).
    pub native: bool,
    /// When the current phase began: lifecycle stage, traffic step or step bake.
    pub phase_started_ms: i64,
    /// Rolling deployments with alarms: the bake ends then (set once scale-up completed).
    pub bake_until_ms: Option<i64>,
    /// Native production shift: steps taken so far.
    pub shift_step: u32,
    /// Native production shift: 0 = pre-shift hooks, 1 = shifted + shift hooks, 2 = step bake.
    pub shift_phase: u8,
    /// Index in `hooks` of the first hook of the batch the current phase waits for.
    pub hook_batch: usize,
    /// Revision summaries frozen when the deployment ended (target, sources).
    pub frozen: Option<(Value, Vec<Value>)>,
}

// ---- small helpers ------------------------------------------------------------------------

/// Whether a service-deployment status is final.
pub(crate) fn is_terminal(status: &str) -> bool {
    TERMINAL.contains(&status)
}

/// Index of a service in `world.ecs.services`.
pub(crate) fn service_index(world: &World, arn: &str) -> Option<usize> {
    world.ecs.service_index(arn)
}

fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

fn secs(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

fn ceil_div(a: i64, b: i64) -> i64 {
    if b <= 0 { a } else { (a + b - 1).div_euclid(b) }
}

/// Tasks of one deployment of one service, in creation order.
pub(super) fn owned<'a>(
    world: &'a World,
    service_arn: &'a str,
    deployment_id: &'a str,
) -> impl Iterator<Item = &'a Task> + 'a {
    world.tasks.owned_by(move |o| {
        matches!(o, Owner::Service { service_arn: s, deployment_id: d }
            if s == service_arn && d == deployment_id)
    })
}

/// Task counts of one deployment.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Counts {
    /// desiredStatus RUNNING.
    pub live: i64,
    /// RUNNING and health checks passed.
    pub healthy: i64,
    /// RUNNING (runningCount).
    pub running: i64,
    /// PROVISIONING/PENDING/ACTIVATING (pendingCount).
    pub pending: i64,
    /// Not STOPPED yet (includes tasks draining or deprovisioning).
    pub unstopped: i64,
}

pub(super) fn counts(world: &World, service_arn: &str, deployment_id: &str) -> Counts {
    let mut c = Counts::default();
    for t in owned(world, service_arn, deployment_id) {
        if t.is_live() {
            c.live += 1;
        }
        if t.is_healthy() {
            c.healthy += 1;
        }
        if t.is_running() {
            c.running += 1;
        }
        if t.is_pending() {
            c.pending += 1;
        }
        if t.last_status != "STOPPED" {
            c.unstopped += 1;
        }
    }
    c
}

/// A task that is stopping before it was ever healthy, for a reason the circuit breaker counts
/// (failed to start, essential container exited, or replaced after failing health checks);
/// tasks the scheduler stops on purpose (scale-in, rollback) are not failures. Counted when
/// the task stops being live, i.e. when the scheduler also decides to replace it.
fn is_failure(t: &Task) -> bool {
    t.desired_status == "STOPPED"
        && t.healthy_ms.is_none()
        && match t.stop_code.as_deref() {
            Some("TaskFailedToStart" | "EssentialContainerExited") => true,
            Some("ServiceSchedulerInitiated") => health_stop(t),
            _ => false,
        }
}

/// Stopped by the scheduler because health checks failed (set by `tasks::step`).
fn health_stop(t: &Task) -> bool {
    t.stop_code.as_deref() == Some("ServiceSchedulerInitiated")
        && t.stopped_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("Task failed"))
}

/// Append a service event (AWS wording, uuid-shaped id).
pub(super) fn event(world: &mut World, idx: usize, message: String) {
    let h = world.hex_id();
    let id = format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    );
    let now = world.now_ms;
    if let Some(s) = world.ecs.services.get_mut(idx) {
        s.push_event(id, now, message);
    }
}

/// A 21-character id like the ones AWS puts in service-deployment ARNs.
fn short_id(world: &mut World) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(21);
    let mut n = world.next_u64();
    for i in 0..21 {
        if i == 10 {
            n = world.next_u64();
        }
        out.push(ALPHABET[(n % 62) as usize] as char);
        n /= 62;
    }
    out
}

/// A fake but stable `sha256:` digest for an image reference (service revisions report
/// resolved digests).
fn image_digest(image: &str) -> String {
    let mut out = String::from("sha256:");
    for seed in 0..4u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for b in image.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// Resolve `family:rev`, a task-definition ARN, or a bare family (latest ACTIVE).
pub(crate) fn find_task_definition<'a>(
    world: &'a World,
    reference: &str,
) -> Option<&'a TaskDefinition> {
    world.ecs.task_definition(reference)
}

/// (name, image, essential) of a task definition's containers.
fn containers(td: &TaskDefinition) -> Vec<(String, String, bool)> {
    td.body
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or_default().to_owned(),
                        c["image"].as_str().unwrap_or_default().to_owned(),
                        c.get("essential").and_then(Value::as_bool).unwrap_or(true),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn scalar_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn snapshot(spec: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| spec.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .filter(|(_, v)| !v.is_null())
        .collect()
}

/// `deploymentConfiguration` with the defaults AWS reports (max 200, min 100, breaker off).
pub(crate) fn deployment_configuration(spec: &Map<String, Value>) -> Value {
    let mut dc = spec
        .get("deploymentConfiguration")
        .filter(|v| v.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    if let Some(m) = dc.as_object_mut() {
        m.entry("maximumPercent").or_insert(json!(200));
        m.entry("minimumHealthyPercent").or_insert(json!(100));
        m.entry("deploymentCircuitBreaker")
            .or_insert(json!({"enable": false, "rollback": false}));
    }
    dc
}

fn pct(dc: &Value, key: &str, default: i64) -> i64 {
    dc.get(key).and_then(Value::as_i64).unwrap_or(default)
}

/// `strategy` is one of the ECS-native traffic-shifting strategies.
pub(crate) fn is_native(dc: &Value) -> bool {
    matches!(
        dc.get("strategy").and_then(Value::as_str),
        Some("BLUE_GREEN" | "LINEAR" | "CANARY")
    )
}

fn breaker(dc: &Value) -> (bool, bool) {
    let cb = dc.get("deploymentCircuitBreaker");
    let flag = |k: &str| {
        cb.and_then(|c| c.get(k))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    (flag("enable"), flag("rollback"))
}

/// `alarms` when enabled: (alarm names, rollback).
fn alarms_config(dc: &Value) -> Option<(Vec<String>, bool)> {
    let a = dc.get("alarms")?;
    if !a.get("enable").and_then(Value::as_bool).unwrap_or(false) {
        return None;
    }
    let names = a
        .get("alarmNames")
        .and_then(Value::as_array)
        .map(|n| {
            n.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some((
        names,
        a.get("rollback").and_then(Value::as_bool).unwrap_or(false),
    ))
}

/// Circuit-breaker threshold: `thresholdConfiguration` (COUNT | BOUNDED_PERCENT |
/// UNBOUNDED_PERCENT, default BOUNDED_PERCENT 50); the historic rule BOUNDED_PERCENT 50 is
/// ⌈0.5 × desired⌉ clamped to 3..=200 (ecs-platform-and-peers.md §6.2).
pub(crate) fn breaker_threshold(dc: &Value, desired: i64) -> i64 {
    let tc = dc.pointer("/deploymentCircuitBreaker/thresholdConfiguration");
    let kind = tc
        .and_then(|t| t.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("BOUNDED_PERCENT");
    let value = tc
        .and_then(|t| t.get("value"))
        .and_then(Value::as_i64)
        .unwrap_or(50);
    match kind {
        "COUNT" => value.max(1),
        "UNBOUNDED_PERCENT" => ceil_div(desired * value, 100).max(1),
        _ => ceil_div(desired * value, 100).clamp(3, 200),
    }
}

fn reset_on_healthy(dc: &Value) -> bool {
    dc.pointer("/deploymentCircuitBreaker/resetOnHealthyTask")
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

fn breaker_json(dc: &Value, desired: i64) -> Value {
    if breaker(dc).0 {
        json!({"status": "MONITORING", "failureCount": 0, "threshold": breaker_threshold(dc, desired)})
    } else {
        json!({"status": "DISABLED", "failureCount": 0, "threshold": 0})
    }
}

fn alarms_json(dc: &Value) -> Value {
    match alarms_config(dc) {
        Some((names, _)) => {
            json!({"status": "MONITORING", "alarmNames": names, "triggeredAlarmNames": []})
        }
        None => json!({"status": "DISABLED"}),
    }
}

/// Target groups a deployment's tasks register in: the revision's resolved target groups
/// (native blue/green alternates between the two) or the load balancers' target groups.
fn target_groups(world: &World, d: &Deployment) -> Vec<String> {
    let resolved = world
        .ecs
        .service_revisions
        .get(&d.service_revision_arn)
        .and_then(|r| r.pointer("/resolvedConfiguration/loadBalancers"))
        .and_then(Value::as_array);
    let lbs = resolved.or_else(|| d.spec.get("loadBalancers").and_then(Value::as_array));
    lbs.map(|l| {
        l.iter()
            .filter_map(|lb| lb.get("targetGroupArn").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

fn behind_lb(spec: &Map<String, Value>) -> bool {
    spec.get("loadBalancers")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty())
}

/// Launch parameters for one task of deployment `d` of `svc`.
fn build_launch(world: &World, svc: &Service, d: &Deployment) -> Option<Launch> {
    let td = find_task_definition(world, &d.task_definition)?;
    let spec = &d.spec;
    let strategy = spec
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let capacity_provider = strategy.and_then(|items| {
        items
            .iter()
            .max_by_key(|i| {
                (
                    i.get("base").and_then(Value::as_i64).unwrap_or(0),
                    i.get("weight").and_then(Value::as_i64).unwrap_or(0),
                )
            })
            .and_then(|i| i.get("capacityProvider"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let launch_type = match spec.get("launchType").and_then(Value::as_str) {
        Some(l) => Some(l.to_owned()),
        // AWS default without a launch type or capacity provider strategy: EC2.
        None if capacity_provider.is_none() => Some("EC2".to_owned()),
        None => None,
    };
    let lb = behind_lb(spec);
    let tags = match spec.get("propagateTags").and_then(Value::as_str) {
        Some("SERVICE") => world.ecs.tags.get(&svc.arn).cloned().unwrap_or_default(),
        Some("TASK_DEFINITION") => world.ecs.tags.get(&td.arn).cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    let grace_s = svc
        .spec
        .get("healthCheckGracePeriodSeconds")
        .or_else(|| spec.get("healthCheckGracePeriodSeconds"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Some(Launch {
        cluster_arn: svc.cluster_arn.clone(),
        task_definition_arn: td.arn.clone(),
        containers: containers(td),
        started_by: Some(d.id.clone()),
        group: format!("service:{}", svc.name),
        launch_type,
        capacity_provider,
        cpu: scalar_string(td.body.get("cpu")),
        memory: scalar_string(td.body.get("memory")),
        behind_load_balancer: lb,
        grace_ms: grace_s.max(0) * 1000,
        drain_ms: if lb { world.lb_drain_ms } else { 0 },
        overrides: None,
        tags,
        enable_execute_command: spec
            .get("enableExecuteCommand")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// Launch `n` tasks for deployment `dep` of service `idx`; writes the "has started" event.
pub(super) fn launch_tasks(world: &mut World, idx: usize, dep: usize, n: i64) {
    if n <= 0 {
        return;
    }
    let Some(svc) = world.ecs.services.get(idx) else {
        return;
    };
    let Some(d) = svc.deployments.get(dep) else {
        return;
    };
    let Some(launch) = build_launch(world, svc, d) else {
        return;
    };
    let owner = Owner::Service {
        service_arn: svc.arn.clone(),
        deployment_id: d.id.clone(),
    };
    let name = svc.name.clone();
    let ids: Vec<String> = (0..n)
        .map(|_| {
            let arn = tasks::launch(world, owner.clone(), launch.clone());
            last_segment(&arn).to_owned()
        })
        .collect();
    let list: Vec<String> = ids.iter().map(|id| format!("(task {id})")).collect();
    event(
        world,
        idx,
        format!(
            "(service {name}) has started {} tasks: {}.",
            ids.len(),
            list.join(" ")
        ),
    );
}

/// Stop tasks on purpose (scale-in, draining an older deployment, rollback, clean-up):
/// stopCode `ServiceSchedulerInitiated`, reason "Scaling activity initiated by (deployment …)".
/// Running tasks behind a load balancer are drained and deregistered first, as AWS reports.
pub(super) fn stop_tasks(world: &mut World, idx: usize, arns: &[String], by_deployment: &str) {
    if arns.is_empty() {
        return;
    }
    let Some(svc) = world.ecs.services.get(idx) else {
        return;
    };
    let name = svc.name.clone();
    let mut deregister: BTreeMap<String, i64> = BTreeMap::new();
    let mut draining = 0;
    for arn in arns {
        let Some(t) = world.tasks.get(arn) else {
            continue;
        };
        if !(t.is_running() && t.launch.behind_load_balancer) {
            continue;
        }
        draining += 1;
        if let Owner::Service { deployment_id, .. } = &t.owner
            && let Some(d) = svc.deployments.iter().find(|d| &d.id == deployment_id)
        {
            for tg in target_groups(world, d) {
                *deregister.entry(tg).or_default() += 1;
            }
        }
    }
    if draining > 0 {
        event(
            world,
            idx,
            format!("(service {name}) has begun draining connections on {draining} tasks."),
        );
        for (tg, n) in deregister {
            event(
                world,
                idx,
                format!("(service {name}) deregistered {n} targets in (target-group {tg})"),
            );
        }
    }
    let reason = format!("Scaling activity initiated by (deployment {by_deployment})");
    for arn in arns {
        tasks::stop(world, arn, "ServiceSchedulerInitiated", &reason);
    }
    let list: Vec<String> = arns
        .iter()
        .map(|a| format!("(task {})", last_segment(a)))
        .collect();
    event(
        world,
        idx,
        format!(
            "(service {name}) has stopped {} running tasks: {}.",
            arns.len(),
            list.join(" ")
        ),
    );
}

// ---- the interface ------------------------------------------------------------------------

/// ECS controller: start a new deployment of the service's current `task_definition` + `spec`
/// (CreateService, and UpdateService when a change needs a deployment). Creates the PRIMARY
/// `Deployment`, the service revision and the `ServiceDeployment` (PENDING until the next tick),
/// sets `currentServiceDeployment`, and supersedes an unfinished service deployment.
pub(crate) fn start_deployment(
    world: &mut World,
    service_arn: &str,
    is_create: bool,
) -> Result<(), ApiError> {
    let idx = service_index(world, service_arn)
        .ok_or_else(|| ApiError::client("ServiceNotFoundException", "Service not found."))?;
    let now = world.now_ms;
    let svc = &world.ecs.services[idx];
    let td = find_task_definition(world, &svc.task_definition).ok_or_else(|| {
        ApiError::client_exception(format!(
            "Unable to describe task definition {}.",
            svc.task_definition
        ))
    })?;
    let td_arn = td.arn.clone();
    let images = containers(td);
    let name = svc.name.clone();
    let cluster_arn = svc.cluster_arn.clone();
    let cluster_name = last_segment(&cluster_arn).to_owned();
    let spec = snapshot(&svc.spec, &DEPLOYMENT_SPEC_KEYS);
    let dc = deployment_configuration(&svc.spec);
    let native = is_native(&dc);
    let desired = svc.desired_count;
    let prev_primary_rev = svc
        .deployments
        .first()
        .map(|d| d.service_revision_arn.clone());
    // "The currently deployed workload configuration": every revision that still has tasks.
    let mut sources: Vec<String> = Vec::new();
    if !is_create {
        for d in &svc.deployments {
            if counts(world, service_arn, &d.id).unstopped > 0
                && !sources.contains(&d.service_revision_arn)
            {
                sources.push(d.service_revision_arn.clone());
            }
        }
    }
    // Which source revision serves production now: the one a superseded native deployment
    // gave the most production traffic, else the previous PRIMARY's.
    let prev_holder = svc
        .current_service_deployment
        .as_ref()
        .and_then(|a| world.ecs.service_deployments.get(a))
        .filter(|sd| sd.progress.native && !is_terminal(&sd.status))
        .and_then(|sd| {
            sd.traffic
                .iter()
                .filter(|(r, ..)| sources.contains(r))
                .max_by(|a, b| a.2.total_cmp(&b.2))
                .map(|(r, ..)| r.clone())
        });
    let prev_resolved = prev_primary_rev
        .as_ref()
        .and_then(|r| world.ecs.service_revisions.get(r))
        .and_then(|v| v.pointer("/resolvedConfiguration/loadBalancers"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();

    let dep_id = format!("ecs-svc/{}", world.numeric_id());
    let rev_id = world.numeric_id();
    let rev_arn = world.arn(
        "ecs",
        &format!("service-revision/{cluster_name}/{name}/{rev_id}"),
    );
    let sd_id = short_id(world);
    let sd_arn = world.arn(
        "ecs",
        &format!("service-deployment/{cluster_name}/{name}/{sd_id}"),
    );

    // The service revision: an immutable snapshot (DescribeServiceRevisions).
    let mut rev = Map::new();
    rev.insert("serviceRevisionArn".into(), json!(rev_arn));
    rev.insert("serviceArn".into(), json!(service_arn));
    rev.insert("clusterArn".into(), json!(cluster_arn));
    rev.insert("taskDefinition".into(), json!(td_arn));
    for (k, v) in snapshot(&spec, &REVISION_KEYS) {
        rev.insert(k, v);
    }
    rev.insert(
        "containerImages".into(),
        Value::Array(
            images
                .iter()
                .map(|(n, image, _)| {
                    json!({"containerName": n, "imageDigest": image_digest(image), "image": image})
                })
                .collect(),
        ),
    );
    rev.insert("guardDutyEnabled".into(), json!(false));
    rev.insert("createdAt".into(), secs(now));
    if let Some(lbs) = spec.get("loadBalancers").and_then(Value::as_array)
        && !lbs.is_empty()
    {
        // Which target group serves this revision: native blue/green alternates between the
        // primary and the alternate target group of `advancedConfiguration`.
        let resolved: Vec<Value> = lbs
            .iter()
            .enumerate()
            .map(|(i, lb)| {
                let primary_tg = lb.get("targetGroupArn").cloned().unwrap_or(Value::Null);
                let alternate = lb.pointer("/advancedConfiguration/alternateTargetGroupArn");
                let previous = prev_resolved.get(i).and_then(|p| p.get("targetGroupArn"));
                let tg = match alternate {
                    Some(alt) if native && previous == Some(&primary_tg) => alt.clone(),
                    _ => primary_tg,
                };
                let mut r = json!({"targetGroupArn": tg});
                if let Some(rule) = lb.pointer("/advancedConfiguration/productionListenerRule") {
                    r["productionListenerRule"] = rule.clone();
                }
                r
            })
            .collect();
        rev.insert(
            "resolvedConfiguration".into(),
            json!({"loadBalancers": resolved}),
        );
    }
    world
        .ecs
        .service_revisions
        .insert(rev_arn.clone(), Value::Object(rev));

    if let Some(prev) = world.ecs.services[idx].current_service_deployment.clone() {
        supersede(world, &prev, &sd_arn);
    }

    let svc = &mut world.ecs.services[idx];
    for d in &mut svc.deployments {
        if d.status == "PRIMARY" {
            d.status = "ACTIVE".into();
            d.updated_ms = now;
        }
    }
    svc.deployments.insert(
        0,
        Deployment {
            id: dep_id.clone(),
            status: "PRIMARY".into(),
            task_definition: td_arn,
            desired_count: desired,
            pending_count: 0,
            running_count: 0,
            failed_tasks: 0,
            rollout_state: "IN_PROGRESS".into(),
            rollout_state_reason: format!("ECS deployment {dep_id} in progress."),
            created_ms: now,
            updated_ms: now,
            service_revision_arn: rev_arn.clone(),
            spec,
        },
    );
    svc.current_service_deployment = Some(sd_arn.clone());

    // Native strategies: green starts with no traffic; the previous PRIMARY's revision holds
    // 100 % of production (listed right after the target, see `strategy`).
    let mut traffic = Vec::new();
    if native {
        traffic.push((rev_arn.clone(), 0.0, 0.0));
        let holder = prev_holder
            .or_else(|| prev_primary_rev.filter(|p| sources.contains(p)))
            .or_else(|| sources.first().cloned());
        if let Some(h) = &holder {
            traffic.push((h.clone(), 0.0, 100.0));
        }
        for s in &sources {
            if Some(s) != holder.as_ref() {
                traffic.push((s.clone(), 0.0, 0.0));
            }
        }
    }
    let seq = world.ecs.service_deployments.len() as u64;
    let sd = ServiceDeployment {
        arn: sd_arn.clone(),
        service_arn: service_arn.to_owned(),
        cluster_arn,
        deployment_id: dep_id,
        status: "PENDING".into(),
        status_reason: None,
        created_ms: now,
        started_ms: None,
        finished_ms: None,
        stopped_ms: None,
        updated_ms: now,
        target_revision_arn: rev_arn,
        source_revision_arns: sources,
        lifecycle_stage: None,
        hooks: Vec::new(),
        circuit_breaker: Some(breaker_json(&dc, desired)),
        alarms: Some(alarms_json(&dc)),
        deployment_configuration: dc,
        rollback: None,
        traffic,
        progress: Progress {
            seq,
            native,
            phase_started_ms: now,
            ..Progress::default()
        },
    };
    world.ecs.service_deployments.insert(sd_arn, sd);
    Ok(())
}

/// ECS controller: desiredCount changed without a new deployment: the PRIMARY deployment
/// follows; the scheduler starts or stops tasks on the next tick.
pub(crate) fn scale(world: &mut World, service_arn: &str) {
    let now = world.now_ms;
    if let Some(idx) = service_index(world, service_arn) {
        let svc = &mut world.ecs.services[idx];
        let desired = svc.desired_count;
        if let Some(p) = svc.deployments.first_mut()
            && p.desired_count != desired
        {
            p.desired_count = desired;
            p.updated_ms = now;
        }
    }
}

/// One tick of every ACTIVE/DRAINING ECS-controller service.
pub(crate) fn step(world: &mut World) {
    let arns: Vec<String> = world
        .ecs
        .services
        .iter()
        .filter(|s| s.controller() == "ECS" && matches!(s.status.as_str(), "ACTIVE" | "DRAINING"))
        .map(|s| s.arn.clone())
        .collect();
    for arn in arns {
        step_service(world, &arn);
    }
}

/// Render `deployments[]` for DescribeServices (PRIMARY first).
pub(crate) fn deployments_json(_world: &World, service: &Service) -> Vec<Value> {
    service.deployments.iter().map(deployment_json).collect()
}

/// Render `currentServiceRevisions[]` for DescribeServices: every revision with tasks.
pub(crate) fn current_service_revisions_json(_world: &World, service: &Service) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for d in &service.deployments {
        if let Some(v) = out
            .iter_mut()
            .find(|v| v["arn"].as_str() == Some(d.service_revision_arn.as_str()))
        {
            v["requestedTaskCount"] =
                json!(v["requestedTaskCount"].as_i64().unwrap_or(0) + d.desired_count);
            v["runningTaskCount"] =
                json!(v["runningTaskCount"].as_i64().unwrap_or(0) + d.running_count);
            v["pendingTaskCount"] =
                json!(v["pendingTaskCount"].as_i64().unwrap_or(0) + d.pending_count);
        } else {
            out.push(json!({
                "arn": d.service_revision_arn,
                "requestedTaskCount": d.desired_count,
                "runningTaskCount": d.running_count,
                "pendingTaskCount": d.pending_count,
            }));
        }
    }
    out
}

/// The service-deployment operations: ListServiceDeployments, DescribeServiceDeployments,
/// DescribeServiceRevisions, StopServiceDeployment, ContinueServiceDeployment.
/// `None` = not one of them.
pub(crate) fn handle(world: &mut World, op: &str, body: &Value) -> Option<Result<Value, ApiError>> {
    Some(match op {
        "ListServiceDeployments" => ops::list_service_deployments(world, body),
        "DescribeServiceDeployments" => ops::describe_service_deployments(world, body),
        "DescribeServiceRevisions" => ops::describe_service_revisions(world, body),
        "StopServiceDeployment" => ops::stop_service_deployment(world, body),
        "ContinueServiceDeployment" => ops::continue_service_deployment(world, body),
        _ => return None,
    })
}

// ---- rendering ------------------------------------------------------------------------------

fn deployment_json(d: &Deployment) -> Value {
    let mut v = json!({
        "id": d.id,
        "status": d.status,
        "taskDefinition": d.task_definition,
        "desiredCount": d.desired_count,
        "pendingCount": d.pending_count,
        "runningCount": d.running_count,
        "failedTasks": d.failed_tasks,
        "createdAt": secs(d.created_ms),
        "updatedAt": secs(d.updated_ms),
    });
    for k in [
        "capacityProviderStrategy",
        "launchType",
        "networkConfiguration",
        "serviceConnectConfiguration",
        "volumeConfigurations",
        "fargateEphemeralStorage",
        "vpcLatticeConfigurations",
    ] {
        if let Some(x) = d.spec.get(k) {
            v[k] = x.clone();
        }
    }
    let fargate = d.spec.get("launchType").and_then(Value::as_str) == Some("FARGATE")
        || d.spec
            .get("capacityProviderStrategy")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter().any(|i| {
                    i.get("capacityProvider")
                        .and_then(Value::as_str)
                        .is_some_and(|c| c.starts_with("FARGATE"))
                })
            });
    if fargate {
        // Deployments report the resolved platform (the service keeps "LATEST").
        let pv = match d.spec.get("platformVersion").and_then(Value::as_str) {
            None | Some("LATEST") => "1.4.0".to_owned(),
            Some(p) => p.to_owned(),
        };
        v["platformVersion"] = json!(pv);
        v["platformFamily"] = d
            .spec
            .get("platformFamily")
            .cloned()
            .unwrap_or_else(|| json!("Linux"));
    } else if let Some(p) = d.spec.get("platformVersion") {
        v["platformVersion"] = p.clone();
    }
    // rolloutState is not returned for services behind a Classic Load Balancer (§6.1).
    let classic = d
        .spec
        .get("loadBalancers")
        .and_then(Value::as_array)
        .is_some_and(|l| {
            l.iter().any(|lb| {
                lb.get("loadBalancerName").is_some() && lb.get("targetGroupArn").is_none()
            })
        });
    if !classic {
        v["rolloutState"] = json!(d.rollout_state);
        v["rolloutStateReason"] = json!(d.rollout_state_reason);
    }
    v
}

/// Revision summary (`targetServiceRevision` / `sourceServiceRevisions[]` entry).
fn revision_summary(svc: Option<&Service>, sd: &ServiceDeployment, rev: &str) -> Value {
    let (mut requested, mut running, mut pending) = (0, 0, 0);
    for d in svc.map(|s| s.deployments.as_slice()).unwrap_or_default() {
        if d.service_revision_arn == rev {
            requested += d.desired_count;
            running += d.running_count;
            pending += d.pending_count;
        }
    }
    let mut v = json!({
        "arn": rev,
        "requestedTaskCount": requested,
        "runningTaskCount": running,
        "pendingTaskCount": pending,
    });
    if sd.progress.native {
        let (test, prod) = sd
            .traffic
            .iter()
            .find(|(r, ..)| r == rev)
            .map_or((0.0, 0.0), |(_, t, p)| (*t, *p));
        v["requestedTestTrafficWeight"] = json!(test);
        v["requestedProductionTrafficWeight"] = json!(prod);
    }
    v
}

fn summaries(world: &World, sd: &ServiceDeployment) -> (Value, Vec<Value>) {
    if let Some(f) = &sd.progress.frozen {
        return f.clone();
    }
    let svc = world.ecs.services.iter().find(|s| s.arn == sd.service_arn);
    (
        revision_summary(svc, sd, &sd.target_revision_arn),
        sd.source_revision_arns
            .iter()
            .map(|r| revision_summary(svc, sd, r))
            .collect(),
    )
}

/// DescribeServiceDeployments shape of one service deployment.
pub(crate) fn service_deployment_json(world: &World, sd: &ServiceDeployment) -> Value {
    let (target, sources) = summaries(world, sd);
    let mut v = json!({
        "serviceDeploymentArn": sd.arn,
        "serviceArn": sd.service_arn,
        "clusterArn": sd.cluster_arn,
        "createdAt": secs(sd.created_ms),
        "updatedAt": secs(sd.updated_ms),
        "sourceServiceRevisions": sources,
        "targetServiceRevision": target,
        "status": sd.status,
        "deploymentConfiguration": sd.deployment_configuration,
    });
    let opt = |ms: Option<i64>| ms.map(secs);
    for (k, x) in [
        ("startedAt", opt(sd.started_ms)),
        ("finishedAt", opt(sd.finished_ms)),
        ("stoppedAt", opt(sd.stopped_ms)),
        ("statusReason", sd.status_reason.clone().map(Value::String)),
        (
            "lifecycleStage",
            sd.lifecycle_stage.clone().map(Value::String),
        ),
        ("rollback", sd.rollback.clone()),
        ("deploymentCircuitBreaker", sd.circuit_breaker.clone()),
        ("alarms", sd.alarms.clone()),
    ] {
        if let Some(x) = x {
            v[k] = x;
        }
    }
    if sd.progress.native {
        v["lifecycleHookDetails"] = Value::Array(
            sd.hooks
                .iter()
                .map(|h| {
                    let mut d = json!({
                        "hookId": h.hook_id,
                        "targetType": h.target_type,
                        "status": h.status,
                        "expiresAt": secs(h.expires_ms),
                        "timeoutAction": h.timeout_action,
                    });
                    if let Some(a) = &h.target_arn {
                        d["targetArn"] = json!(a);
                    }
                    d
                })
                .collect(),
        );
    }
    v
}

/// ListServiceDeployments brief.
fn brief_json(sd: &ServiceDeployment) -> Value {
    let mut v = json!({
        "serviceDeploymentArn": sd.arn,
        "serviceArn": sd.service_arn,
        "clusterArn": sd.cluster_arn,
        "createdAt": secs(sd.created_ms),
        "targetServiceRevisionArn": sd.target_revision_arn,
        "status": sd.status,
    });
    if let Some(s) = sd.started_ms {
        v["startedAt"] = secs(s);
    }
    if let Some(f) = sd.finished_ms {
        v["finishedAt"] = secs(f);
    }
    if let Some(r) = &sd.status_reason {
        v["statusReason"] = json!(r);
    }
    v
}

// ---- the tick -------------------------------------------------------------------------------

/// One tick of one service. `idx` stays valid for the whole tick (`world.ecs.services` only
/// changes shape in API calls — CreateService appends, or drops an INACTIVE predecessor —
/// never during a tick), which is why the helpers below index `world.ecs.services[idx]`.
fn step_service(world: &mut World, arn: &str) {
    let Some(idx) = service_index(world, arn) else {
        return;
    };
    let mut changed = observe(world, idx);
    if world.ecs.services[idx].status == "DRAINING" {
        drain_service(world, idx);
        refresh_counts(world, idx);
        return;
    }
    let mut completed = false;
    let sd_arn = world.ecs.services[idx].current_service_deployment.clone();
    if let Some(sd_arn) = sd_arn.as_deref() {
        apply_requests(world, idx, sd_arn);
        check_failures(world, idx, sd_arn);
        let (status, native) = world
            .ecs
            .service_deployments
            .get(sd_arn)
            .map(|sd| (sd.status.clone(), sd.progress.native))
            .unwrap_or_default();
        if status == "IN_PROGRESS" && native {
            completed = strategy::step(world, idx, sd_arn);
        } else {
            changed |= rolling_step(world, idx);
            completed = check_completion(world, idx, sd_arn);
        }
    } else {
        changed |= rolling_step(world, idx);
    }
    refresh_counts(world, idx);
    if let Some(sd_arn) = sd_arn.as_deref() {
        refresh_monitors(world, idx, sd_arn);
    }
    if changed && !completed && is_settled(world, idx) {
        let name = world.ecs.services[idx].name.clone();
        event(
            world,
            idx,
            format!("(service {name}) has reached a steady state."),
        );
    }
}

/// Watch what the tasks did this tick: circuit-breaker accounting, target registration and
/// health-check replacement events. Returns whether any task of the service changed state.
fn observe(world: &mut World, idx: usize) -> bool {
    let now = world.now_ms;
    let svc = &world.ecs.services[idx];
    let reset = svc
        .current_service_deployment
        .as_ref()
        .and_then(|a| world.ecs.service_deployments.get(a))
        .is_none_or(|sd| reset_on_healthy(&sd.deployment_configuration));
    let port = svc
        .spec
        .get("loadBalancers")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .and_then(|lb| lb.get("containerPort"))
        .and_then(Value::as_i64);
    let mut changed = false;
    let mut per_deployment = Vec::new();
    let mut registered: BTreeMap<String, i64> = BTreeMap::new();
    let mut health_events = Vec::new();
    let mut health_stopped = Vec::new();
    for d in &svc.deployments {
        let tgs = target_groups(world, d);
        let (mut failures, mut healthy) = (0, false);
        for t in owned(world, &svc.arn, &d.id) {
            if t.stopped_ms == Some(now) {
                changed = true;
            }
            if t.stopping_ms == Some(now) && is_failure(t) {
                failures += 1;
            }
            if t.healthy_ms == Some(now) {
                changed = true;
                healthy = true;
            }
            if t.started_ms == Some(now) && t.launch.behind_load_balancer {
                for tg in &tgs {
                    *registered.entry(tg.clone()).or_default() += 1;
                }
            }
            if t.stopping_ms == Some(now) && health_stop(t) {
                changed = true;
                let id = t.id().to_owned();
                match (t.launch.behind_load_balancer, tgs.first()) {
                    (true, Some(tg)) => health_events.push(format!(
                        "(service {}) (task {id}) (port {}) is unhealthy in (target-group {tg}) due to (reason Health checks failed).",
                        svc.name,
                        port.unwrap_or(80)
                    )),
                    _ => health_events.push(format!(
                        "(service {}) (task {id}) failed container health checks.",
                        svc.name
                    )),
                }
                health_stopped.push(id);
            }
        }
        per_deployment.push((failures, healthy));
    }
    let name = svc.name.clone();
    let svc = &mut world.ecs.services[idx];
    for (d, (failures, healthy)) in svc.deployments.iter_mut().zip(per_deployment) {
        if d.rollout_state != "IN_PROGRESS" {
            continue;
        }
        if healthy && reset && d.failed_tasks != 0 {
            d.failed_tasks = 0;
            d.updated_ms = now;
        }
        if failures > 0 {
            d.failed_tasks += failures;
            d.updated_ms = now;
        }
    }
    for (tg, n) in registered {
        event(
            world,
            idx,
            format!("(service {name}) registered {n} targets in (target-group {tg})"),
        );
    }
    for e in health_events {
        event(world, idx, e);
    }
    if !health_stopped.is_empty() {
        let list: Vec<String> = health_stopped
            .iter()
            .map(|id| format!("(task {id})"))
            .collect();
        event(
            world,
            idx,
            format!(
                "(service {name}) has stopped {} running tasks: {}.",
                health_stopped.len(),
                list.join(" ")
            ),
        );
    }
    changed
}

/// A deleted (DRAINING) service: no launches, every task stopped; INACTIVE once all stopped.
fn drain_service(world: &mut World, idx: usize) {
    let now = world.now_ms;
    let svc = &world.ecs.services[idx];
    let arn = svc.arn.clone();
    let mut live = Vec::new();
    let mut unstopped = 0;
    for d in &svc.deployments {
        for t in owned(world, &arn, &d.id) {
            if t.is_live() {
                live.push(t.arn.clone());
            }
            if t.last_status != "STOPPED" {
                unstopped += 1;
            }
        }
    }
    for t in &live {
        tasks::stop(
            world,
            t,
            "ServiceSchedulerInitiated",
            "Service is being deleted",
        );
    }
    if let Some(sd_arn) = world.ecs.services[idx].current_service_deployment.clone()
        && let Some(sd) = world.ecs.service_deployments.get_mut(&sd_arn)
        && !is_terminal(&sd.status)
    {
        sd.status = "STOPPED".into();
        sd.status_reason = Some("The service was deleted.".into());
        sd.stopped_ms = Some(now);
        sd.finished_ms = Some(now);
        sd.updated_ms = now;
    }
    if unstopped == 0 && live.is_empty() {
        let svc = &mut world.ecs.services[idx];
        svc.status = "INACTIVE".into();
        svc.desired_count = 0;
    }
}

/// Apply what was requested since the last tick: start (PENDING), rollback, stop.
fn apply_requests(world: &mut World, idx: usize, sd_arn: &str) {
    let now = world.now_ms;
    let Some(status) = world
        .ecs
        .service_deployments
        .get(sd_arn)
        .map(|sd| sd.status.clone())
    else {
        return;
    };
    match status.as_str() {
        "PENDING" => {
            if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
                sd.status = "IN_PROGRESS".into();
                sd.started_ms = Some(now);
                sd.updated_ms = now;
                sd.progress.phase_started_ms = now;
            }
        }
        "ROLLBACK_REQUESTED" => begin_rollback(world, idx, sd_arn),
        "STOP_REQUESTED" => {
            if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
                sd.status = "STOPPED".into();
                sd.stopped_ms = Some(now);
                sd.finished_ms = Some(now);
                sd.updated_ms = now;
            }
            freeze(world, sd_arn);
        }
        _ => {}
    }
}

/// Why a deployment failed.
pub(super) enum Failure {
    /// The circuit breaker's failure count reached its threshold.
    CircuitBreaker,
    /// Listed CloudWatch alarms are in ALARM.
    Alarms(Vec<String>),
    /// A lifecycle hook failed, timed out with ROLLBACK, or was told to roll back.
    Hook(String),
}

/// Circuit breaker and alarms, for the deployment the current service deployment drives.
fn check_failures(world: &mut World, idx: usize, sd_arn: &str) {
    let Some(sd) = world.ecs.service_deployments.get(sd_arn) else {
        return;
    };
    let Some(primary) = world.ecs.services[idx].deployments.first() else {
        return;
    };
    if primary.rollout_state != "IN_PROGRESS" {
        return;
    }
    let dc = sd.deployment_configuration.clone();
    let (status, native) = (sd.status.clone(), sd.progress.native);
    let threshold = breaker_threshold(&dc, primary.desired_count);
    let over = primary.failed_tasks >= threshold;
    match status.as_str() {
        "IN_PROGRESS" => {
            let (cb_enabled, cb_rollback) = breaker(&dc);
            // Native strategies always roll back a green revision that cannot become healthy.
            if over && (cb_enabled || native) {
                fail(
                    world,
                    idx,
                    sd_arn,
                    Failure::CircuitBreaker,
                    cb_rollback || native,
                );
                return;
            }
            if let Some((names, rollback)) = alarms_config(&dc) {
                let firing = world.alarms_firing(&names);
                if !firing.is_empty() {
                    fail(world, idx, sd_arn, Failure::Alarms(firing), rollback);
                }
            }
        }
        // The rollback itself cannot start its tasks: ROLLBACK_FAILED, nothing more to try.
        "ROLLBACK_IN_PROGRESS" if over => {
            let now = world.now_ms;
            let svc = &mut world.ecs.services[idx];
            let name = svc.name.clone();
            let Some(p) = svc.deployments.first_mut() else {
                return;
            };
            let id = p.id.clone();
            p.rollout_state = "FAILED".into();
            p.rollout_state_reason =
                "ECS deployment circuit breaker: tasks failed to start.".into();
            p.updated_ms = now;
            if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
                sd.status = "ROLLBACK_FAILED".into();
                sd.status_reason = Some(
                    "The rollback failed: the rollback's tasks failed to start (circuit breaker)."
                        .into(),
                );
                sd.finished_ms = Some(now);
                sd.updated_ms = now;
            }
            freeze(world, sd_arn);
            event(
                world,
                idx,
                format!(
                    "(service {name}) (deployment {id}) deployment failed: tasks failed to start."
                ),
            );
        }
        _ => {}
    }
}

/// The PRIMARY deployment failed: rolloutState FAILED, event, then rollback (if configured and
/// possible) or STOPPED.
pub(super) fn fail(world: &mut World, idx: usize, sd_arn: &str, why: Failure, rollback: bool) {
    let now = world.now_ms;
    let svc = &mut world.ecs.services[idx];
    let name = svc.name.clone();
    let Some(p) = svc.deployments.first_mut() else {
        return;
    };
    let id = p.id.clone();
    let (rollout_reason, event_tail, status_reason) = match &why {
        Failure::CircuitBreaker => (
            "ECS deployment circuit breaker: tasks failed to start.".to_owned(),
            "tasks failed to start.".to_owned(),
            "ECS deployment circuit breaker: tasks failed to start.".to_owned(),
        ),
        Failure::Alarms(names) => (
            format!(
                "ECS deployment failed: alarm(s) detected: {}.",
                names.join(", ")
            ),
            "alarm(s) detected.".to_owned(),
            format!("CloudWatch alarm(s) in ALARM state: {}.", names.join(", ")),
        ),
        Failure::Hook(reason) => (
            format!("ECS deployment failed: {reason}"),
            "lifecycle hook failed.".to_owned(),
            reason.clone(),
        ),
    };
    p.rollout_state = "FAILED".into();
    p.rollout_state_reason = rollout_reason;
    p.updated_ms = now;
    let failed_tasks = p.failed_tasks;
    if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
        match &why {
            Failure::CircuitBreaker => {
                if let Some(cb) = sd.circuit_breaker.as_mut()
                    && cb["status"] == "MONITORING"
                {
                    cb["status"] = json!("TRIGGERED");
                    cb["failureCount"] = json!(failed_tasks);
                }
            }
            Failure::Alarms(names) => {
                if let Some(a) = sd.alarms.as_mut() {
                    a["status"] = json!("TRIGGERED");
                    a["triggeredAlarmNames"] = json!(names);
                }
            }
            Failure::Hook(_) => {}
        }
        sd.updated_ms = now;
    }
    event(
        world,
        idx,
        format!("(service {name}) (deployment {id}) deployment failed: {event_tail}"),
    );
    if rollback {
        request_rollback(world, sd_arn, &status_reason);
    } else if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
        sd.status = "STOPPED".into();
        sd.status_reason = Some(status_reason);
        sd.stopped_ms = Some(now);
        sd.finished_ms = Some(now);
        sd.updated_ms = now;
        freeze(world, sd_arn);
    }
}

/// The revision a rollback returns to: the last one that completed (SUCCESSFUL target or
/// ROLLBACK_SUCCESSFUL rollback revision), else the previous PRIMARY's revision.
pub(super) fn rollback_revision(world: &World, sd: &ServiceDeployment) -> Option<String> {
    world
        .ecs
        .service_deployments
        .values()
        .filter(|o| o.service_arn == sd.service_arn && o.arn != sd.arn)
        .filter_map(|o| match o.status.as_str() {
            "SUCCESSFUL" => Some((o.finished_ms, o.progress.seq, o.target_revision_arn.clone())),
            "ROLLBACK_SUCCESSFUL" => o
                .rollback
                .as_ref()
                .and_then(|r| r["serviceRevisionArn"].as_str())
                .map(|r| (o.finished_ms, o.progress.seq, r.to_owned())),
            _ => None,
        })
        .max()
        .map(|(_, _, r)| r)
        .or_else(|| sd.source_revision_arns.first().cloned())
}

/// ROLLBACK_REQUESTED with `rollback {reason, startedAt, serviceRevisionArn}`; ROLLBACK_FAILED
/// at once when there is nothing to roll back to (e.g. the service's first deployment).
pub(super) fn request_rollback(world: &mut World, sd_arn: &str, reason: &str) {
    let now = world.now_ms;
    let Some(sd) = world.ecs.service_deployments.get(sd_arn) else {
        return;
    };
    let target = rollback_revision(world, sd);
    let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) else {
        return;
    };
    sd.updated_ms = now;
    match target {
        Some(rev) => {
            sd.status = "ROLLBACK_REQUESTED".into();
            sd.status_reason = Some(reason.to_owned());
            sd.rollback = Some(json!({
                "reason": reason,
                "startedAt": secs(now),
                "serviceRevisionArn": rev,
            }));
        }
        None => {
            sd.status = "ROLLBACK_FAILED".into();
            sd.status_reason = Some(format!(
                "{reason} No previous service revision to roll back to."
            ));
            sd.finished_ms = Some(now);
            freeze(world, sd_arn);
        }
    }
}

/// ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS: a native deployment flips back to its blue
/// deployment (still running); otherwise a new PRIMARY deployment of the rollback revision
/// starts and the failed one turns ACTIVE and drains.
fn begin_rollback(world: &mut World, idx: usize, sd_arn: &str) {
    let now = world.now_ms;
    let Some(sd) = world.ecs.service_deployments.get(sd_arn) else {
        return;
    };
    let Some(rev_arn) = sd
        .rollback
        .as_ref()
        .and_then(|r| r["serviceRevisionArn"].as_str())
        .map(str::to_owned)
    else {
        return;
    };
    let native = sd.progress.native;
    let svc = &world.ecs.services[idx];
    let svc_arn = svc.arn.clone();
    let name = svc.name.clone();
    let blue = if native {
        svc.deployments
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, d)| {
                d.service_revision_arn == rev_arn && counts(world, &svc_arn, &d.id).live > 0
            })
            .map(|(i, _)| i)
    } else {
        None
    };
    let revision = world
        .ecs
        .service_revisions
        .get(&rev_arn)
        .cloned()
        .unwrap_or(Value::Null);
    let td_arn = revision["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rollback_id = match blue {
        Some(pos) => {
            let svc = &mut world.ecs.services[idx];
            let mut d = svc.deployments.remove(pos);
            d.status = "PRIMARY".into();
            d.rollout_state = "IN_PROGRESS".into();
            d.rollout_state_reason = format!("ECS deployment {} in progress.", d.id);
            d.desired_count = svc.desired_count;
            d.updated_ms = now;
            let id = d.id.clone();
            for o in &mut svc.deployments {
                o.status = "ACTIVE".into();
            }
            svc.deployments.insert(0, d);
            id
        }
        None => {
            let id = format!("ecs-svc/{}", world.numeric_id());
            let svc = &mut world.ecs.services[idx];
            let mut spec = svc
                .deployments
                .first()
                .map(|d| d.spec.clone())
                .unwrap_or_default();
            for k in REVISION_KEYS {
                match revision.get(k) {
                    Some(v) => spec.insert(k.to_owned(), v.clone()),
                    None => spec.remove(k),
                };
            }
            for o in &mut svc.deployments {
                o.status = "ACTIVE".into();
            }
            let desired = svc.desired_count;
            svc.deployments.insert(
                0,
                Deployment {
                    id: id.clone(),
                    status: "PRIMARY".into(),
                    task_definition: td_arn.clone(),
                    desired_count: desired,
                    pending_count: 0,
                    running_count: 0,
                    failed_tasks: 0,
                    rollout_state: "IN_PROGRESS".into(),
                    rollout_state_reason: format!("ECS deployment {id} in progress."),
                    created_ms: now,
                    updated_ms: now,
                    service_revision_arn: rev_arn.clone(),
                    spec,
                },
            );
            id
        }
    };
    // The service's configuration returns to the revision rolled back to.
    let svc = &mut world.ecs.services[idx];
    if !td_arn.is_empty() {
        svc.task_definition = td_arn;
    }
    for k in REVISION_KEYS {
        if let Some(v) = revision.get(k) {
            svc.spec.insert(k.to_owned(), v.clone());
        }
    }
    if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
        sd.status = "ROLLBACK_IN_PROGRESS".into();
        sd.updated_ms = now;
        sd.progress.bake_until_ms = None;
        sd.progress.phase_started_ms = now;
        if sd.progress.native {
            // Production traffic flips back to the revision rolled back to.
            for (r, test, prod) in &mut sd.traffic {
                *test = 0.0;
                *prod = if *r == rev_arn { 100.0 } else { 0.0 };
            }
            if !sd.traffic.iter().any(|(r, ..)| *r == rev_arn) {
                sd.traffic.push((rev_arn.clone(), 0.0, 100.0));
            }
        }
        if !sd.source_revision_arns.contains(&rev_arn) {
            sd.source_revision_arns.push(rev_arn);
        }
    }
    event(
        world,
        idx,
        format!("(service {name}) rolling back to deployment {rollback_id}."),
    );
}

/// The rolling scheduler: scale the PRIMARY to desiredCount and drain older deployments within
/// maximumPercent / minimumHealthyPercent. Also the steady-state scheduler (replacements,
/// desiredCount changes). Does nothing while the PRIMARY is FAILED ("stop launching new tasks").
/// Returns whether it started or stopped anything.
fn rolling_step(world: &mut World, idx: usize) -> bool {
    struct T {
        arn: String,
        healthy: bool,
        created: i64,
    }
    let svc = &world.ecs.services[idx];
    let Some(primary) = svc.deployments.first() else {
        return false;
    };
    if primary.rollout_state == "FAILED" {
        return false;
    }
    let dc = deployment_configuration(&svc.spec);
    let desired = primary.desired_count.max(0);
    let max_total = desired * pct(&dc, "maximumPercent", 200) / 100;
    let min_healthy = ceil_div(desired * pct(&dc, "minimumHealthyPercent", 100), 100);
    let primary_id = primary.id.clone();
    let to_t = |t: &Task| T {
        arn: t.arn.clone(),
        healthy: t.is_healthy(),
        created: t.created_ms,
    };
    let mut primary_live: Vec<T> = owned(world, &svc.arn, &primary.id)
        .filter(|t| t.is_live())
        .map(to_t)
        .collect();
    let mut old_live: Vec<T> = svc.deployments[1..]
        .iter()
        .flat_map(|d| owned(world, &svc.arn, &d.id))
        .filter(|t| t.is_live())
        .map(to_t)
        .collect();
    let mut healthy_all = primary_live
        .iter()
        .chain(old_live.iter())
        .filter(|t| t.healthy)
        .count() as i64;
    let mut live_all = (primary_live.len() + old_live.len()) as i64;
    let mut stop = Vec::new();
    // Scale-in of the PRIMARY: tasks that are not healthy first, then the newest.
    let excess = primary_live.len() as i64 - desired;
    if excess > 0 {
        primary_live.sort_by_key(|t| (t.healthy, std::cmp::Reverse(t.created)));
        for t in primary_live.iter().take(excess as usize) {
            stop.push(t.arn.clone());
            live_all -= 1;
            if t.healthy {
                healthy_all -= 1;
            }
        }
    }
    let primary_kept = primary_live.len() as i64 - excess.max(0);
    // Older deployments: tasks that are not healthy can always go; healthy ones only while
    // the service keeps minimumHealthyPercent.
    old_live.sort_by_key(|t| t.healthy);
    for t in &old_live {
        if !t.healthy {
            stop.push(t.arn.clone());
            live_all -= 1;
        } else if healthy_all > min_healthy {
            stop.push(t.arn.clone());
            healthy_all -= 1;
            live_all -= 1;
        } else {
            break;
        }
    }
    let launch = (desired - primary_kept).min(max_total - live_all);
    stop_tasks(world, idx, &stop, &primary_id);
    launch_tasks(world, idx, 0, launch);
    !stop.is_empty() || launch > 0
}

/// PRIMARY at desiredCount, all healthy, and no other deployment has a task left.
fn is_settled(world: &World, idx: usize) -> bool {
    let svc = &world.ecs.services[idx];
    let Some(p) = svc.deployments.first() else {
        return false;
    };
    if p.rollout_state != "COMPLETED" {
        return false;
    }
    let c = counts(world, &svc.arn, &p.id);
    c.healthy == p.desired_count
        && c.unstopped == p.desired_count
        && svc.deployments[1..]
            .iter()
            .all(|d| counts(world, &svc.arn, &d.id).unstopped == 0)
}

/// Rolling (and rollback) completion: the PRIMARY is at desiredCount and healthy and nothing
/// else runs; with alarms, a bake period follows first. Returns whether it completed now.
fn check_completion(world: &mut World, idx: usize, sd_arn: &str) -> bool {
    let now = world.now_ms;
    let Some(sd) = world.ecs.service_deployments.get(sd_arn) else {
        return false;
    };
    let status = sd.status.clone();
    let forward = status == "IN_PROGRESS" && !sd.progress.native;
    if !(forward || status == "ROLLBACK_IN_PROGRESS") {
        return false;
    }
    // A rollback is visible as ROLLBACK_IN_PROGRESS for at least one tick, even when the
    // revision rolled back to is already running (native blue/green).
    if status == "ROLLBACK_IN_PROGRESS" && now <= sd.progress.phase_started_ms {
        return false;
    }
    if let Some(until) = sd.progress.bake_until_ms {
        if now >= until {
            finalize(world, idx, sd_arn);
            return true;
        }
        return false;
    }
    let alarms = forward && alarms_config(&sd.deployment_configuration).is_some();
    let svc = &world.ecs.services[idx];
    let Some(p) = svc.deployments.first() else {
        return false;
    };
    if p.rollout_state != "IN_PROGRESS" {
        return false;
    }
    let c = counts(world, &svc.arn, &p.id);
    let others_done = svc.deployments[1..]
        .iter()
        .all(|d| counts(world, &svc.arn, &d.id).unstopped == 0);
    if !(c.healthy == p.desired_count && c.unstopped == p.desired_count && others_done) {
        return false;
    }
    if alarms {
        // Scale-up is done and the old tasks are gone (a services-stable waiter returns here),
        // but rolloutState stays IN_PROGRESS until the alarm bake ends (§6.3).
        world.ecs.services[idx].deployments.truncate(1);
        if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
            sd.progress.bake_until_ms = Some(now + timing::ALARM_BAKE_MS);
            sd.updated_ms = now;
        }
        return false;
    }
    finalize(world, idx, sd_arn);
    true
}

/// The deployment succeeded (or the rollback did): PRIMARY COMPLETED, older deployments gone,
/// service deployment SUCCESSFUL / ROLLBACK_SUCCESSFUL, "deployment completed" and "has reached a
/// steady state." events.
pub(super) fn finalize(world: &mut World, idx: usize, sd_arn: &str) {
    let now = world.now_ms;
    let svc = &mut world.ecs.services[idx];
    svc.deployments.truncate(1);
    let name = svc.name.clone();
    let Some(p) = svc.deployments.first_mut() else {
        return;
    };
    p.rollout_state = "COMPLETED".into();
    p.rollout_state_reason = format!("ECS deployment {} completed.", p.id);
    p.updated_ms = now;
    let id = p.id.clone();
    if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
        sd.status = if sd.status == "ROLLBACK_IN_PROGRESS" {
            "ROLLBACK_SUCCESSFUL".into()
        } else {
            "SUCCESSFUL".into()
        };
        sd.finished_ms = Some(now);
        sd.updated_ms = now;
        for m in [sd.circuit_breaker.as_mut(), sd.alarms.as_mut()]
            .into_iter()
            .flatten()
        {
            if m["status"] == "MONITORING" {
                m["status"] = json!("MONITORING_COMPLETE");
            }
        }
    }
    refresh_counts(world, idx);
    freeze(world, sd_arn);
    event(
        world,
        idx,
        format!("(service {name}) (deployment {id}) deployment completed."),
    );
    event(
        world,
        idx,
        format!("(service {name}) has reached a steady state."),
    );
}

/// Freeze the revision summaries of a service deployment that ended.
fn freeze(world: &mut World, sd_arn: &str) {
    let Some(sd) = world.ecs.service_deployments.get(sd_arn) else {
        return;
    };
    if sd.progress.frozen.is_some() {
        return;
    }
    let frozen = summaries(world, sd);
    if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
        sd.progress.frozen = Some(frozen);
    }
}

/// A newer deployment replaces an unfinished one: the older service deployment ends STOPPED.
fn supersede(world: &mut World, old_arn: &str, new_arn: &str) {
    let now = world.now_ms;
    let Some(sd) = world.ecs.service_deployments.get(old_arn) else {
        return;
    };
    if is_terminal(&sd.status) {
        return;
    }
    freeze(world, old_arn);
    if let Some(sd) = world.ecs.service_deployments.get_mut(old_arn) {
        sd.status = "STOPPED".into();
        sd.status_reason = Some(format!(
            "The service deployment was superseded by a newer service deployment ({new_arn})."
        ));
        sd.stopped_ms = Some(now);
        sd.finished_ms = Some(now);
        sd.updated_ms = now;
    }
}

/// Counts from the tasks: per deployment (running/pending; ACTIVE deployments' desiredCount is
/// what they still run, as AWS scales them down) and for the service.
fn refresh_counts(world: &mut World, idx: usize) {
    let now = world.now_ms;
    let svc = &world.ecs.services[idx];
    let stats: Vec<Counts> = svc
        .deployments
        .iter()
        .map(|d| counts(world, &svc.arn, &d.id))
        .collect();
    let svc = &mut world.ecs.services[idx];
    let desired = svc.desired_count;
    let (mut running, mut pending) = (0, 0);
    for (d, c) in svc.deployments.iter_mut().zip(stats) {
        let want = if d.status == "PRIMARY" {
            desired
        } else {
            c.live
        };
        if (d.desired_count, d.running_count, d.pending_count) != (want, c.running, c.pending) {
            d.desired_count = want;
            d.running_count = c.running;
            d.pending_count = c.pending;
            d.updated_ms = now;
        }
        running += c.running;
        pending += c.pending;
    }
    svc.running_count = running;
    svc.pending_count = pending;
}

/// Keep `deploymentCircuitBreaker.failureCount/threshold` current while monitoring.
fn refresh_monitors(world: &mut World, idx: usize, sd_arn: &str) {
    let Some(p) = world.ecs.services[idx].deployments.first() else {
        return;
    };
    let (failed, desired) = (p.failed_tasks, p.desired_count);
    if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn)
        && sd.status == "IN_PROGRESS"
    {
        let threshold = breaker_threshold(&sd.deployment_configuration, desired);
        if let Some(cb) = sd.circuit_breaker.as_mut()
            && cb["status"] == "MONITORING"
        {
            cb["failureCount"] = json!(failed);
            cb["threshold"] = json!(threshold);
        }
    }
}

// ---- the service-deployment operations ------------------------------------------------------

mod ops {
    use serde_json::{Map, Value, json};

    use super::{
        STATUSES, brief_json, is_terminal, request_rollback, rollback_revision,
        service_deployment_json,
    };
    use crate::sim::error::ApiError;
    use crate::sim::world::World;

    fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::client("SerializationException", message)
    }

    /// The request object, refusing members the operation does not have (AWS's JSON front end
    /// answers SerializationException; AWS clients refuse them client-side).
    fn members<'a>(
        body: &'a Value,
        shape: &str,
        allowed: &[&str],
    ) -> Result<&'a Map<String, Value>, ApiError> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let m = match body {
            Value::Object(m) => m,
            Value::Null => EMPTY.get_or_init(Map::new),
            _ => return Err(serialization("Start of structure or map expected.")),
        };
        if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(serialization(format!(
                "Unrecognized field \"{k}\" in {shape}: it is not a member of this structure"
            )));
        }
        Ok(m)
    }

    fn opt_str<'a>(m: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>, ApiError> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(serialization(format!("{k}: expected a String"))),
        }
    }

    fn req_str<'a>(m: &'a Map<String, Value>, k: &str) -> Result<&'a str, ApiError> {
        opt_str(m, k)?.ok_or_else(|| ApiError::invalid_parameter(format!("{k} is required.")))
    }

    fn str_list(m: &Map<String, Value>, k: &str) -> Result<Option<Vec<String>>, ApiError> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| serialization(format!("{k}: expected a list of String")))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(serialization(format!("{k}: expected a list"))),
        }
    }

    fn timestamp(v: &Value, k: &str) -> Result<Option<f64>, ApiError> {
        match v {
            Value::Null => Ok(None),
            Value::Number(n) => Ok(n.as_f64()),
            _ => Err(serialization(format!("{k}: expected a Timestamp"))),
        }
    }

    /// Resolve `cluster` (name or ARN, default `default`) and `service` (name or ARN).
    fn find_service(
        world: &World,
        cluster: Option<&str>,
        service: &str,
    ) -> Result<String, ApiError> {
        let cluster = cluster.unwrap_or("default");
        let cluster_name = cluster.rsplit_once(":cluster/").map_or(cluster, |(_, n)| n);
        let Some(c) = world.ecs.clusters.get(cluster_name) else {
            return Err(ApiError::client(
                "ClusterNotFoundException",
                "Cluster not found.",
            ));
        };
        let matches = |s: &&crate::sim::ecs::model::Service| {
            s.cluster_arn == c.arn && (s.arn == service || s.name == service)
        };
        world
            .ecs
            .services
            .iter()
            .filter(matches)
            .max_by_key(|s| (s.status != "INACTIVE", s.created_ms))
            .map(|s| s.arn.clone())
            .ok_or_else(|| ApiError::client("ServiceNotFoundException", "Service not found."))
    }

    const TOKEN_PREFIX: &str = "ecspress-sim-sd-";

    pub(super) fn list_service_deployments(
        world: &mut World,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let m = members(
            body,
            "ListServiceDeploymentsRequest",
            &[
                "service",
                "cluster",
                "status",
                "createdAt",
                "nextToken",
                "maxResults",
            ],
        )?;
        let service = req_str(m, "service")?;
        let service_arn = find_service(world, opt_str(m, "cluster")?, service)?;
        let statuses = str_list(m, "status")?;
        if let Some(bad) = statuses
            .iter()
            .flatten()
            .find(|s| !STATUSES.contains(&s.as_str()))
        {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid status '{bad}'. Valid values: {}.",
                STATUSES.join(", ")
            )));
        }
        let (mut before, mut after) = (None, None);
        match m.get("createdAt") {
            None | Some(Value::Null) => {}
            Some(Value::Object(c)) => {
                if let Some(k) = c.keys().find(|k| *k != "before" && *k != "after") {
                    return Err(serialization(format!(
                        "Unrecognized field \"{k}\" in CreatedAt: it is not a member of this structure"
                    )));
                }
                before = timestamp(c.get("before").unwrap_or(&Value::Null), "before")?;
                after = timestamp(c.get("after").unwrap_or(&Value::Null), "after")?;
            }
            Some(_) => return Err(serialization("createdAt: expected a structure")),
        }
        let max_results = match m.get("maxResults") {
            None | Some(Value::Null) => 20,
            Some(v) => match v.as_i64() {
                Some(n) if (1..=100).contains(&n) => n as usize,
                Some(n) => {
                    return Err(ApiError::invalid_parameter(format!(
                        "maxResults must be between 1 and 100, not {n}."
                    )));
                }
                None => return Err(serialization("maxResults: expected an Integer")),
            },
        };
        let start = match opt_str(m, "nextToken")? {
            None => 0,
            Some(t) => t
                .strip_prefix(TOKEN_PREFIX)
                .and_then(|n| usize::from_str_radix(n, 16).ok())
                .ok_or_else(|| ApiError::invalid_parameter("Invalid nextToken."))?,
        };
        let mut items: Vec<_> = world
            .ecs
            .service_deployments
            .values()
            .filter(|sd| sd.service_arn == service_arn)
            .filter(|sd| statuses.as_ref().is_none_or(|s| s.contains(&sd.status)))
            .filter(|sd| {
                let created = sd.created_ms as f64 / 1000.0;
                before.is_none_or(|b| created <= b) && after.is_none_or(|a| created >= a)
            })
            .collect();
        // Newest first.
        items.sort_by(|a, b| {
            b.created_ms
                .cmp(&a.created_ms)
                .then(b.progress.seq.cmp(&a.progress.seq))
        });
        let page: Vec<Value> = items
            .iter()
            .skip(start)
            .take(max_results)
            .map(|sd| brief_json(sd))
            .collect();
        let mut out = json!({ "serviceDeployments": page });
        if start + max_results < items.len() {
            out["nextToken"] = json!(format!("{TOKEN_PREFIX}{:x}", start + max_results));
        }
        Ok(out)
    }

    fn arns_1_to_20(m: &Map<String, Value>, k: &str) -> Result<Vec<String>, ApiError> {
        let arns = str_list(m, k)?.unwrap_or_default();
        if arns.is_empty() || arns.len() > 20 {
            return Err(ApiError::invalid_parameter(format!(
                "{k} must contain between 1 and 20 ARNs."
            )));
        }
        Ok(arns)
    }

    pub(super) fn describe_service_deployments(
        world: &mut World,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let m = members(
            body,
            "DescribeServiceDeploymentsRequest",
            &["serviceDeploymentArns"],
        )?;
        let arns = arns_1_to_20(m, "serviceDeploymentArns")?;
        let (mut found, mut failures) = (Vec::new(), Vec::new());
        for arn in arns {
            match world.ecs.service_deployments.get(&arn) {
                Some(sd) => found.push(service_deployment_json(world, sd)),
                None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
            }
        }
        Ok(json!({"serviceDeployments": found, "failures": failures}))
    }

    pub(super) fn describe_service_revisions(
        world: &mut World,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let m = members(
            body,
            "DescribeServiceRevisionsRequest",
            &["serviceRevisionArns"],
        )?;
        let arns = arns_1_to_20(m, "serviceRevisionArns")?;
        let (mut found, mut failures) = (Vec::new(), Vec::new());
        for arn in arns {
            match world.ecs.service_revisions.get(&arn) {
                Some(r) => found.push(r.clone()),
                None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
            }
        }
        Ok(json!({"serviceRevisions": found, "failures": failures}))
    }

    fn not_found() -> ApiError {
        ApiError::client(
            "ServiceDeploymentNotFoundException",
            "The service deployment does not exist.",
        )
    }

    /// StopServiceDeployment: ROLLBACK (default; works without rollback configured) or ABORT,
    /// from PENDING/IN_PROGRESS; a no-op while a stop or rollback is already under way.
    pub(super) fn stop_service_deployment(
        world: &mut World,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let m = members(
            body,
            "StopServiceDeploymentRequest",
            &["serviceDeploymentArn", "stopType"],
        )?;
        let arn = req_str(m, "serviceDeploymentArn")?.to_owned();
        let stop_type = opt_str(m, "stopType")?.unwrap_or("ROLLBACK");
        if !matches!(stop_type, "ROLLBACK" | "ABORT") {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid stopType '{stop_type}'. Valid values: ABORT, ROLLBACK."
            )));
        }
        let sd = world
            .ecs
            .service_deployments
            .get(&arn)
            .ok_or_else(not_found)?;
        let ok = json!({ "serviceDeploymentArn": arn });
        match sd.status.as_str() {
            "PENDING" | "IN_PROGRESS" => {}
            "STOP_REQUESTED" | "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS" => return Ok(ok),
            s => {
                debug_assert!(is_terminal(s));
                return Err(ApiError::client(
                    "ConflictException",
                    format!("The service deployment is {s} and can no longer be stopped."),
                ));
            }
        }
        let now = world.now_ms;
        let service_arn = sd.service_arn.clone();
        let deployment_id = sd.deployment_id.clone();
        if stop_type == "ROLLBACK" && rollback_revision(world, sd).is_none() {
            return Err(ApiError::invalid_parameter(
                "The service deployment has no previous service revision to roll back to; use stopType ABORT.",
            ));
        }
        // Halt the rollout: the PRIMARY stops launching tasks.
        if let Some(svc) = world.ecs.services.iter_mut().find(|s| s.arn == service_arn)
            && let Some(p) = svc.deployments.first_mut()
            && p.id == deployment_id
            && p.rollout_state == "IN_PROGRESS"
        {
            p.rollout_state = "FAILED".into();
            p.rollout_state_reason = format!(
                "ECS deployment {} stopped by StopServiceDeployment ({stop_type}).",
                p.id
            );
            p.updated_ms = now;
        }
        if stop_type == "ROLLBACK" {
            request_rollback(
                world,
                &arn,
                "Service deployment rolled back by StopServiceDeployment.",
            );
        } else if let Some(sd) = world.ecs.service_deployments.get_mut(&arn) {
            sd.status = "STOP_REQUESTED".into();
            sd.status_reason = Some("Service deployment stopped by StopServiceDeployment.".into());
            sd.updated_ms = now;
        }
        Ok(ok)
    }

    /// ContinueServiceDeployment: resolve a PAUSE hook that is AWAITING_ACTION while the
    /// deployment is IN_PROGRESS (CONTINUE, the default, or ROLLBACK).
    pub(super) fn continue_service_deployment(
        world: &mut World,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let m = members(
            body,
            "ContinueServiceDeploymentRequest",
            &["serviceDeploymentArn", "hookId", "action"],
        )?;
        let arn = req_str(m, "serviceDeploymentArn")?.to_owned();
        let hook_id = req_str(m, "hookId")?;
        let action = opt_str(m, "action")?.unwrap_or("CONTINUE");
        if !matches!(action, "CONTINUE" | "ROLLBACK") {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid action '{action}'. Valid values: CONTINUE, ROLLBACK."
            )));
        }
        let now = world.now_ms;
        let sd = world
            .ecs
            .service_deployments
            .get_mut(&arn)
            .ok_or_else(not_found)?;
        if sd.status != "IN_PROGRESS" {
            return Err(ApiError::invalid_parameter(format!(
                "The service deployment is {}; only an IN_PROGRESS deployment can be continued.",
                sd.status
            )));
        }
        let Some(hook) = sd.hooks.iter_mut().find(|h| h.hook_id == hook_id) else {
            return Err(ApiError::invalid_parameter(format!(
                "The service deployment has no lifecycle hook {hook_id}."
            )));
        };
        if hook.status != "AWAITING_ACTION" {
            return Err(ApiError::invalid_parameter(format!(
                "The lifecycle hook {hook_id} is {}, not AWAITING_ACTION.",
                hook.status
            )));
        }
        sd.updated_ms = now;
        if action == "CONTINUE" {
            hook.status = "SUCCEEDED".into();
        } else {
            hook.status = "FAILED".into();
            let service_arn = sd.service_arn.clone();
            let reason =
                format!("Lifecycle hook {hook_id} was rolled back by ContinueServiceDeployment.");
            if let Some(idx) = super::service_index(world, &service_arn) {
                super::fail(world, idx, &arn, super::Failure::Hook(reason), true);
            }
        }
        Ok(json!({ "serviceDeploymentArn": arn }))
    }
}
