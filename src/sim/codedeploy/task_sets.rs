//! ECS task sets of CODE_DEPLOY services: what the ECS scheduler does for them.
//!
//! A CODE_DEPLOY service runs its tasks in task sets, never in `deployments[]`: CreateService
//! creates the first (PRIMARY) set, CodeDeploy adds the replacement (ACTIVE) set at Install,
//! makes it PRIMARY once production traffic is rerouted, and deletes the original after the
//! termination wait. Each tick every set is kept at `computedDesiredCount` live tasks
//! (failed tasks are replaced, as the ECS scheduler does), its counts and `stabilityStatus`
//! are refreshed, and the service's `runningCount`/`pendingCount` are the sums over its sets.
//! A DRAINING set stops its tasks and disappears from the service once they are STOPPED.
//!
//! Events use ECS's task-set wording, e.g.
//! `(service web, taskSet ecs-svc/123) has started 2 tasks: (task a) (task b).`

use serde_json::{Map, Value, json};

use super::super::ecs::model::{Service, TaskDefinition, TaskSet};
use super::super::error::ApiError;
use super::super::tasks::{self, Launch, Owner};
use super::super::world::World;
use super::{secs, uuid};

/// Deregistration delay of task-set tasks behind a load balancer (simulated; ELB's default is
/// 300 s, shortened so rehearsals stay quick).
pub(crate) const DRAIN_MS: i64 = 5_000;

/// Launch settings a task set copies from its service (ECS API member names).
const LAUNCH_KEYS: [&str; 6] = [
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "networkConfiguration",
    "loadBalancers",
    "serviceRegistries",
];

/// Index of the service with this ARN (the newest one: a re-created service reuses its ARN).
pub(crate) fn service_index(world: &World, service_arn: &str) -> Option<usize> {
    world.ecs.service_index(service_arn)
}

/// A task definition by ARN (or `family:revision`).
pub(crate) fn find_task_definition<'a>(world: &'a World, id: &str) -> Option<&'a TaskDefinition> {
    world.ecs.task_definition(id.trim())
}

/// Container names of a task definition.
pub(crate) fn container_names(td: &TaskDefinition) -> Vec<String> {
    td.body
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn owned(service_arn: &str, task_set_id: &str) -> impl Fn(&Owner) -> bool + 'static {
    let (s, t) = (service_arn.to_owned(), task_set_id.to_owned());
    move |o| matches!(o, Owner::TaskSet { service_arn, task_set_id } if *service_arn == s && *task_set_id == t)
}

/// CreateService with deploymentController CODE_DEPLOY: the initial PRIMARY task set runs
/// `service.task_definition` at 100 % scale and takes all production traffic.
pub(crate) fn create_initial_task_set(
    world: &mut World,
    service_arn: &str,
) -> Result<(), ApiError> {
    let si = service_index(world, service_arn)
        .ok_or_else(|| ApiError::server(format!("service {service_arn} not found")))?;
    let svc = &world.ecs.services[si];
    let spec = launch_spec(&svc.spec);
    let td = svc.task_definition.clone();
    create_task_set(world, si, &td, spec, "PRIMARY", None, None, 100.0);
    Ok(())
}

/// The launch settings of a new task set, from the service's (API shape).
pub(crate) fn launch_spec(service_spec: &Map<String, Value>) -> Map<String, Value> {
    let mut spec: Map<String, Value> = LAUNCH_KEYS
        .iter()
        .filter_map(|k| service_spec.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    if spec.get("launchType").and_then(Value::as_str) == Some("FARGATE")
        && !spec.contains_key("platformVersion")
    {
        spec.insert("platformVersion".into(), json!("LATEST"));
    }
    spec
}

/// Create a task set at 100 % scale on service `si` and launch its tasks; returns its id.
#[allow(clippy::too_many_arguments)] // one call site per kind of set; a struct would only rename them
pub(crate) fn create_task_set(
    world: &mut World,
    si: usize,
    task_definition: &str,
    spec: Map<String, Value>,
    status: &str,
    external_id: Option<String>,
    started_by: Option<String>,
    traffic_weight: f64,
) -> String {
    let id = format!("ecs-svc/{}", world.numeric_id());
    let now = world.now_ms;
    let svc = &world.ecs.services[si];
    let cluster = svc.cluster_arn.rsplit('/').next().unwrap_or_default();
    let arn = world.arn("ecs", &format!("task-set/{cluster}/{}/{id}", svc.name));
    let computed = svc.desired_count.max(0);
    let ts = TaskSet {
        id: id.clone(),
        arn: arn.clone(),
        service_arn: svc.arn.clone(),
        cluster_arn: svc.cluster_arn.clone(),
        status: status.to_owned(),
        task_definition: task_definition.to_owned(),
        external_id,
        started_by,
        scale_value: 100.0,
        scale_unit: "PERCENT".into(),
        computed_desired_count: computed,
        pending_count: 0,
        running_count: 0,
        stability_status: if computed == 0 {
            "STEADY_STATE"
        } else {
            "STABILIZING"
        }
        .into(),
        created_ms: now,
        updated_ms: now,
        spec,
        traffic_weight,
    };
    world.ecs.services[si].task_sets.push(ts);
    world.codedeploy.stability_at.insert(arn, now);
    world
        .codedeploy
        .steady
        .insert(world.ecs.services[si].arn.clone(), false);
    sync_set(world, si, &id, false);
    id
}

/// desiredCount changed on a CODE_DEPLOY/EXTERNAL service: every (non-draining) task set
/// follows, `computedDesiredCount = ceil(desiredCount × scale %)`.
pub(crate) fn scale(world: &mut World, service_arn: &str) {
    let Some(si) = service_index(world, service_arn) else {
        return;
    };
    let now = world.now_ms;
    let svc = &mut world.ecs.services[si];
    let desired = svc.desired_count.max(0);
    let mut ids = Vec::new();
    for ts in svc.task_sets.iter_mut().filter(|t| t.status != "DRAINING") {
        let computed = computed_count(desired, ts.scale_value, &ts.scale_unit);
        if computed != ts.computed_desired_count {
            ts.computed_desired_count = computed;
            ts.updated_ms = now;
        }
        ids.push(ts.id.clone());
    }
    for id in ids {
        sync_set(world, si, &id, false);
    }
}

fn computed_count(desired: i64, value: f64, unit: &str) -> i64 {
    if unit == "PERCENT" {
        (desired as f64 * value / 100.0).ceil() as i64
    } else {
        desired
    }
}

/// Render `taskSets[]` (DescribeServices / DescribeTaskSets shape).
pub(crate) fn task_sets_json(world: &World, service: &Service) -> Vec<Value> {
    service
        .task_sets
        .iter()
        .map(|ts| task_set_json(world, ts))
        .collect()
}

fn task_set_json(world: &World, ts: &TaskSet) -> Value {
    let mut v = json!({
        "id": ts.id,
        "taskSetArn": ts.arn,
        "serviceArn": ts.service_arn,
        "clusterArn": ts.cluster_arn,
        "status": ts.status,
        "taskDefinition": ts.task_definition,
        "computedDesiredCount": ts.computed_desired_count,
        "pendingCount": ts.pending_count,
        "runningCount": ts.running_count,
        "createdAt": secs(ts.created_ms),
        "updatedAt": secs(ts.updated_ms),
        "loadBalancers": ts.spec.get("loadBalancers").cloned().unwrap_or_else(|| json!([])),
        "serviceRegistries": ts.spec.get("serviceRegistries").cloned().unwrap_or_else(|| json!([])),
        "scale": {"value": ts.scale_value, "unit": ts.scale_unit},
        "stabilityStatus": ts.stability_status,
        "stabilityStatusAt": secs(*world.codedeploy.stability_at.get(&ts.arn).unwrap_or(&ts.created_ms)),
        "tags": [],
    });
    if let Value::Object(m) = &mut v {
        if let Some(s) = &ts.started_by {
            m.insert("startedBy".into(), json!(s));
        }
        if let Some(e) = &ts.external_id {
            m.insert("externalId".into(), json!(e));
        }
        for k in [
            "launchType",
            "capacityProviderStrategy",
            "platformVersion",
            "networkConfiguration",
        ] {
            if let Some(x) = ts.spec.get(k) {
                m.insert(k.into(), x.clone());
            }
        }
        if ts.spec.get("launchType").and_then(Value::as_str) == Some("FARGATE") {
            m.insert("platformFamily".into(), json!("Linux"));
        }
    }
    v
}

/// The target group a task set is registered with (first load balancer), as `(name, arn)`.
pub(crate) fn target_group(ts: &TaskSet) -> Option<(String, String)> {
    let arn = ts
        .spec
        .get("loadBalancers")?
        .as_array()?
        .first()?
        .get("targetGroupArn")?
        .as_str()?
        .to_owned();
    Some((target_group_name(&arn), arn))
}

/// `arn:...:targetgroup/<name>/<id>` → `<name>` (a bare name stays as is).
pub(crate) fn target_group_name(arn: &str) -> String {
    arn.split_once("targetgroup/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        .unwrap_or(arn)
        .to_owned()
}

/// A stable ARN for a target group known only by name (deployment groups name them).
pub(crate) fn target_group_arn(world: &World, name: &str) -> String {
    // FNV-1a: the same name always gets the same ARN.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    world.arn(
        "elasticloadbalancing",
        &format!("targetgroup/{name}/{:016x}", hash),
    )
}

/// Find a task set of service `si`.
pub(crate) fn task_set<'a>(world: &'a World, si: usize, id: &str) -> Option<&'a TaskSet> {
    world
        .ecs
        .services
        .get(si)?
        .task_sets
        .iter()
        .find(|t| t.id == id)
}

fn task_set_mut<'a>(world: &'a mut World, si: usize, id: &str) -> Option<&'a mut TaskSet> {
    world
        .ecs
        .services
        .get_mut(si)?
        .task_sets
        .iter_mut()
        .find(|t| t.id == id)
}

/// Production traffic weights: `green` gets `green_weight`, `blue` the rest.
pub(crate) fn set_weights(
    world: &mut World,
    si: usize,
    blue: &str,
    green: &str,
    green_weight: f64,
) {
    let now = world.now_ms;
    for (id, w) in [(blue, 100.0 - green_weight), (green, green_weight)] {
        if let Some(ts) = task_set_mut(world, si, id)
            && ts.traffic_weight != w
        {
            ts.traffic_weight = w;
            ts.updated_ms = now;
        }
    }
}

/// UpdateServicePrimaryTaskSet: `id` becomes PRIMARY (the service runs its task definition),
/// the previous PRIMARY becomes ACTIVE.
pub(crate) fn make_primary(world: &mut World, si: usize, id: &str) {
    let now = world.now_ms;
    let svc = &mut world.ecs.services[si];
    let Some(td) = svc
        .task_sets
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.task_definition.clone())
    else {
        return;
    };
    for ts in svc.task_sets.iter_mut() {
        let want = if ts.id == id {
            "PRIMARY"
        } else if ts.status == "PRIMARY" {
            "ACTIVE"
        } else {
            continue;
        };
        if ts.status != want {
            ts.status = want.into();
            ts.updated_ms = now;
        }
    }
    svc.task_definition = td;
}

/// DeleteTaskSet: the set stops serving traffic and its tasks are stopped; it leaves the
/// service once they are all STOPPED.
pub(crate) fn drain(world: &mut World, si: usize, id: &str) {
    let now = world.now_ms;
    if let Some(ts) = task_set_mut(world, si, id) {
        if ts.status == "DRAINING" {
            return;
        }
        ts.status = "DRAINING".into();
        ts.traffic_weight = 0.0;
        ts.computed_desired_count = 0;
        ts.updated_ms = now;
        sync_set(world, si, id, false);
    }
}

/// Tasks of a task set that failed (stopped before ever being healthy): `(count, last
/// stopCode, last stoppedReason)`.
pub(crate) fn failures(world: &World, si: usize, id: &str) -> (usize, String, String) {
    let Some(svc) = world.ecs.services.get(si) else {
        return (0, String::new(), String::new());
    };
    let failed: Vec<_> = world
        .tasks
        .owned_by(owned(&svc.arn, id))
        .filter(|t| t.failed_to_start())
        .collect();
    let last = failed.iter().max_by_key(|t| t.stopped_ms);
    (
        failed.len(),
        last.and_then(|t| t.stop_code.clone()).unwrap_or_default(),
        last.and_then(|t| t.stopped_reason.clone())
            .unwrap_or_default(),
    )
}

/// Keep every task set of every service at its computed desired count; refresh counts,
/// stability and the service's counts; write the events ECS writes.
pub(crate) fn reconcile(world: &mut World) {
    for si in 0..world.ecs.services.len() {
        if world.ecs.services[si].task_sets.is_empty() {
            continue;
        }
        let ids: Vec<String> = world.ecs.services[si]
            .task_sets
            .iter()
            .map(|t| t.id.clone())
            .collect();
        for id in &ids {
            sync_set(world, si, id, true);
        }
        // Drained sets leave the service.
        let svc_arn = world.ecs.services[si].arn.clone();
        let gone: Vec<String> = world.ecs.services[si]
            .task_sets
            .iter()
            .filter(|t| t.status == "DRAINING")
            .filter(|t| {
                !world
                    .tasks
                    .owned_by(owned(&svc_arn, &t.id))
                    .any(|task| task.last_status != "STOPPED")
            })
            .map(|t| t.arn.clone())
            .collect();
        if !gone.is_empty() {
            world.ecs.services[si]
                .task_sets
                .retain(|t| !gone.contains(&t.arn));
            for arn in &gone {
                world.codedeploy.stability_at.remove(arn);
            }
        }
        let svc = &mut world.ecs.services[si];
        svc.running_count = svc.task_sets.iter().map(|t| t.running_count).sum();
        svc.pending_count = svc.task_sets.iter().map(|t| t.pending_count).sum();
        let steady = svc.status == "ACTIVE"
            && !svc.task_sets.is_empty()
            && svc
                .task_sets
                .iter()
                .all(|t| t.stability_status == "STEADY_STATE");
        let was = world
            .codedeploy
            .steady
            .insert(svc_arn.clone(), steady)
            .unwrap_or(false);
        if steady && !was {
            let eid = uuid(world);
            let now = world.now_ms;
            let svc = &mut world.ecs.services[si];
            let msg = format!("(service {}) has reached a steady state.", svc.name);
            svc.push_event(eid, now, msg);
        }
    }
}

/// Bring one task set to its desired count and refresh its counters. `periodic` = called
/// from the tick (reports what the task engine did this tick: health-check stops, targets
/// registered).
fn sync_set(world: &mut World, si: usize, id: &str, periodic: bool) {
    let now = world.now_ms;
    let Some(ts) = task_set(world, si, id) else {
        return;
    };
    let svc = &world.ecs.services[si];
    let svc_arn = svc.arn.clone();
    let svc_name = svc.name.clone();
    let serving = svc.status == "ACTIVE" && ts.status != "DRAINING";
    let desired = if serving {
        ts.computed_desired_count
    } else {
        0
    };
    let tg_arn = target_group(ts).map(|(_, arn)| arn);
    let live: Vec<String> = world
        .tasks
        .owned_by(owned(&svc_arn, id))
        .filter(|t| t.is_live())
        .map(|t| t.arn.clone())
        .collect();
    let prefix = format!("(service {svc_name}, taskSet {id})");

    // Scale in (newest first) or drain.
    let mut stopped_running = Vec::new();
    if live.len() as i64 > desired {
        let excess = live.len() - desired.max(0) as usize;
        for arn in live.iter().rev().take(excess) {
            let was_running = world.tasks.get(arn).is_some_and(|t| t.is_running());
            tasks::stop(
                world,
                arn,
                "ServiceSchedulerInitiated",
                &format!("Scaling activity initiated by (deployment {id})"),
            );
            if was_running && let Some(t) = world.tasks.get(arn) {
                stopped_running.push(t.id().to_owned());
            }
        }
    }
    if periodic {
        // Tasks the task engine stopped this tick for failing health checks.
        stopped_running.extend(
            world
                .tasks
                .owned_by(owned(&svc_arn, id))
                .filter(|t| {
                    t.stopping_ms == Some(now)
                        && t.started_ms.is_some()
                        && t.stop_code.as_deref() == Some("ServiceSchedulerInitiated")
                        && t.stopped_reason
                            .as_deref()
                            .is_some_and(|r| r.contains("health checks"))
                })
                .map(|t| t.id().to_owned()),
        );
    }
    let mut events = Vec::new();
    if !stopped_running.is_empty() {
        events.push(format!(
            "{prefix} has stopped {} running tasks: {}.",
            stopped_running.len(),
            task_list(&stopped_running)
        ));
    }

    // Scale out / replace failed tasks.
    let live_now = world
        .tasks
        .owned_by(owned(&svc_arn, id))
        .filter(|t| t.is_live())
        .count() as i64;
    if live_now < desired
        && let Some(launch) = task_set(world, si, id).and_then(|ts| launch_for(world, si, ts))
    {
        let mut started = Vec::new();
        for _ in live_now..desired {
            let arn = tasks::launch(
                world,
                Owner::TaskSet {
                    service_arn: svc_arn.clone(),
                    task_set_id: id.to_owned(),
                },
                launch.clone(),
            );
            if let Some(t) = world.tasks.get(&arn) {
                started.push(t.id().to_owned());
            }
        }
        events.push(format!(
            "{prefix} has started {} tasks: {}.",
            started.len(),
            task_list(&started)
        ));
    }
    if periodic && let Some(tg) = &tg_arn {
        let registered = world
            .tasks
            .owned_by(owned(&svc_arn, id))
            .filter(|t| t.started_ms == Some(now) && t.is_running())
            .count();
        if registered > 0 {
            events.push(format!(
                "{prefix} registered {registered} targets in (target-group {tg})"
            ));
        }
    }
    for msg in events {
        let eid = uuid(world);
        world.ecs.services[si].push_event(eid, now, msg);
    }

    // Counters and stability.
    let (mut running, mut pending, mut healthy, mut live_n, mut transient) = (0, 0, 0, 0, 0);
    for t in world.tasks.owned_by(owned(&svc_arn, id)) {
        running += i64::from(t.is_running());
        pending += i64::from(t.is_pending());
        healthy += i64::from(t.is_healthy());
        live_n += i64::from(t.is_live());
        transient += i64::from(!t.is_live() && t.last_status != "STOPPED");
    }
    let Some(ts) = task_set_mut(world, si, id) else {
        return;
    };
    let stable = ts.status != "DRAINING"
        && live_n == ts.computed_desired_count
        && healthy == ts.computed_desired_count
        && pending == 0
        && transient == 0;
    let stability = if stable {
        "STEADY_STATE"
    } else {
        "STABILIZING"
    };
    let mut changed = false;
    if ts.running_count != running || ts.pending_count != pending {
        ts.running_count = running;
        ts.pending_count = pending;
        ts.updated_ms = now;
    }
    if ts.stability_status != stability {
        ts.stability_status = stability.into();
        changed = true;
    }
    let arn = ts.arn.clone();
    if changed {
        world.codedeploy.stability_at.insert(arn, now);
    }
}

fn task_list(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("(task {i})"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Launch parameters for a task of task set `ts` on service `si`.
fn launch_for(world: &World, si: usize, ts: &TaskSet) -> Option<Launch> {
    let svc = world.ecs.services.get(si)?;
    let td = find_task_definition(world, &ts.task_definition)?;
    let containers = td
        .body
        .get("containerDefinitions")?
        .as_array()?
        .iter()
        .filter_map(|c| {
            Some((
                c.get("name")?.as_str()?.to_owned(),
                c.get("image")?.as_str()?.to_owned(),
                c.get("essential").and_then(Value::as_bool).unwrap_or(true),
            ))
        })
        .collect();
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let capacity_provider = ts
        .spec
        .get("capacityProviderStrategy")
        .and_then(|s| s.get(0))
        .and_then(|s| s.get("capacityProvider"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let launch_type = match (
        ts.spec.get("launchType").and_then(Value::as_str),
        &capacity_provider,
    ) {
        (Some(l), _) => Some(l.to_owned()),
        (None, Some(cp)) if cp.starts_with("FARGATE") => Some("FARGATE".to_owned()),
        (None, Some(_)) => None,
        // AWS's default launch type when neither is given (and no cluster default strategy).
        (None, None) => Some("EC2".to_owned()),
    };
    let behind_load_balancer = ts
        .spec
        .get("loadBalancers")
        .and_then(Value::as_array)
        .is_some_and(|l| !l.is_empty());
    let grace_ms = svc
        .spec
        .get("healthCheckGracePeriodSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        * 1000;
    let tags = if svc.spec.get("propagateTags").and_then(Value::as_str) == Some("SERVICE") {
        world.ecs.tags.get(&svc.arn).cloned().unwrap_or_default()
    } else {
        Vec::new()
    };
    Some(Launch {
        cluster_arn: svc.cluster_arn.clone(),
        task_definition_arn: td.arn.clone(),
        containers,
        started_by: Some(ts.id.clone()),
        group: format!("service:{}", svc.name),
        launch_type,
        capacity_provider,
        cpu: text(td.body.get("cpu")),
        memory: text(td.body.get("memory")),
        behind_load_balancer,
        grace_ms,
        drain_ms: if behind_load_balancer { DRAIN_MS } else { 0 },
        overrides: None,
        tags,
        enable_execute_command: svc
            .spec
            .get("enableExecuteCommand")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// `taskSetsInfo[]` entry of an ECS deployment target.
pub(crate) fn task_set_info(ts: &TaskSet, label: &str) -> Value {
    let mut v = json!({
        "identifer": ts.id,
        "desiredCount": ts.computed_desired_count,
        "pendingCount": ts.pending_count,
        "runningCount": ts.running_count,
        "status": ts.status,
        "trafficWeight": ts.traffic_weight,
        "taskSetLabel": label,
    });
    if let Some((name, _)) = target_group(ts) {
        v["targetGroup"] = json!({ "name": name });
    }
    v
}
