//! The CodeDeploy ECS blue/green state machine, one tick at a time.
//!
//! Status: Created → InProgress → (Ready) → Succeeded | Failed | Stopped. Timing (simulated):
//! - `Created` lasts until the next tick;
//! - each Before/After event (with or without a Lambda hook, which is treated as succeeding)
//!   and AllowTestTraffic take one second;
//! - Install creates the replacement (Green) task set, ACTIVE at 100 % scale with 0 % traffic,
//!   and lasts until that set is stable (every task RUNNING and healthy). It fails once as many
//!   green tasks have failed as the set wants (`computedDesiredCount`, at least 1): tasks that
//!   never started (`crash`, `pullfail`) give `ECS_UPDATE_ERROR`, tasks stopped for failing health
//!   checks (`unhealthy`) give `HEALTH_CONSTRAINTS`;
//! - with `deploymentReadyOption.actionOnTimeout = STOP_DEPLOYMENT` the deployment then sits in
//!   `Ready` (test traffic only) until `ContinueDeployment(READY_WAIT)`, or is `Stopped`
//!   (`TIMEOUT`) after `waitTimeInMinutes`; `CONTINUE_DEPLOYMENT` does not wait (AWS ignores
//!   the wait time then);
//! - AllowTraffic shifts production traffic as the deployment config says (AllAtOnce; Linear:
//!   +N % every interval starting at N %; Canary: N %, then 100 % after the interval) and ends
//!   one second after green reached 100 %, when green becomes the PRIMARY task set and the
//!   service's task definition the new one;
//! - after AfterAllowTraffic the original (Blue) set is kept for
//!   `terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes` (status still
//!   InProgress, `instanceTerminationWaitTimeStarted: true`; `ContinueDeployment(TERMINATION_WAIT)`
//!   ends it early), then deleted and the deployment is `Succeeded`. `KEEP_ALIVE` keeps blue.
//!
//! Failure and stop: the running event becomes Failed (failure) or Skipped (stop), later events
//! Skipped. With auto-rollback (`DEPLOYMENT_FAILURE`, `DEPLOYMENT_STOP_ON_ALARM`,
//! `DEPLOYMENT_STOP_ON_REQUEST`, or `StopDeployment.autoRollbackEnabled`) a rollback deployment
//! (`creator: codeDeployRollback`) is created: it skips the install events, reroutes all traffic
//! back to blue (PRIMARY again, service task definition restored) and deletes green. Without
//! rollback, traffic stays where it was; a green set that never received production traffic
//! is deleted, one that did is left in place (the next deployment's Install replaces it).

use serde_json::Value;

use super::super::world::{TICK_MS, World};
use super::task_sets::{self, service_index, task_set, task_set_info};
use super::{CdDeployment, LIFECYCLE_EVENTS, LifecycleEvent, Routing, Stage};

const INSTALL: usize = 1;
const AFTER_ALLOW_TEST_TRAFFIC: usize = 4;
const BEFORE_ALLOW_TRAFFIC: usize = 5;
const ALLOW_TRAFFIC: usize = 6;
const AFTER_ALLOW_TRAFFIC: usize = 7;

/// One second per hook event.
const HOOK_MS: i64 = TICK_MS;

/// Fresh lifecycle events, all Pending.
pub(crate) fn pending_events() -> Vec<LifecycleEvent> {
    LIFECYCLE_EVENTS
        .iter()
        .map(|n| LifecycleEvent {
            name: (*n).to_owned(),
            status: "Pending".into(),
            start_ms: None,
            end_ms: None,
        })
        .collect()
}

/// Move every unfinished deployment along (called once per tick).
pub(crate) fn step(world: &mut World) {
    let ids: Vec<String> = world
        .codedeploy
        .deployments
        .iter()
        .filter(|d| d.stage != Stage::Done)
        .map(|d| d.id.clone())
        .collect();
    for id in ids {
        // Zero-length transitions (e.g. a 0-minute termination wait) chain within the tick.
        for _ in 0..LIFECYCLE_EVENTS.len() + 4 {
            if !progress(world, &id) {
                break;
            }
        }
        refresh_target(world, &id);
    }
}

fn dep<'a>(world: &'a World, id: &str) -> Option<&'a CdDeployment> {
    world.codedeploy.deployment(id)
}

fn with<R>(world: &mut World, id: &str, f: impl FnOnce(&mut CdDeployment, i64) -> R) -> Option<R> {
    let now = world.now_ms;
    world.codedeploy.deployment_mut(id).map(|d| {
        d.target_updated_ms = now;
        f(d, now)
    })
}

fn is_rollback(d: &CdDeployment) -> bool {
    d.creator == "codeDeployRollback"
}

fn minutes(v: &Value, path: &[&str]) -> i64 {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0)
        * 60_000
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
}

/// Whether the deployment's effective auto-rollback configuration covers `event`.
pub(crate) fn rolls_back_on(d: &CdDeployment, event: &str) -> bool {
    d.auto_rollback.get("enabled").and_then(Value::as_bool) == Some(true)
        && d.auto_rollback
            .get("events")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().any(|x| x.as_str() == Some(event)))
}

/// One transition if one is due; true when something changed (another may follow at once).
fn progress(world: &mut World, id: &str) -> bool {
    let now = world.now_ms;
    let Some(d) = dep(world, id) else {
        return false;
    };
    if !is_rollback(d)
        && matches!(
            d.stage,
            Stage::Event(_) | Stage::ReadyWait | Stage::TerminationWait
        )
    {
        let firing = firing_alarms(world, d);
        if !firing.is_empty() {
            let rollback = rolls_back_on(d, "DEPLOYMENT_STOP_ON_ALARM");
            let message = format!(
                "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: {}",
                firing.join(", ")
            );
            stop(world, id, "ALARM_ACTIVE", &message, rollback);
            return false;
        }
    }
    let Some(d) = dep(world, id) else {
        return false;
    };
    // The service was deleted under a running deployment.
    if !is_rollback(d)
        && matches!(
            d.stage,
            Stage::Event(_) | Stage::ReadyWait | Stage::TerminationWait
        )
        && service_index(world, &d.service_arn)
            .is_none_or(|si| world.ecs.services[si].status != "ACTIVE")
    {
        let message = format!("The ECS service {} is no longer ACTIVE.", d.service_arn);
        fail(world, id, "INVALID_ECS_SERVICE", &message);
        return false;
    }
    let Some(d) = dep(world, id) else {
        return false;
    };
    match d.stage {
        Stage::Created => {
            if now < d.created_ms + TICK_MS {
                return false;
            }
            start(world, id);
            true
        }
        Stage::Event(i) => {
            let started = d.events[i].start_ms.unwrap_or(now);
            match i {
                INSTALL => install_progress(world, id, started),
                ALLOW_TRAFFIC => allow_traffic_progress(world, id, started),
                _ => {
                    if now >= started + HOOK_MS {
                        finish_event(world, id, i);
                        true
                    } else {
                        false
                    }
                }
            }
        }
        Stage::ReadyWait => {
            let wait = minutes(
                &d.blue_green,
                &["deploymentReadyOption", "waitTimeInMinutes"],
            );
            if now >= d.ready_since_ms.unwrap_or(now) + wait {
                stop(
                    world,
                    id,
                    "TIMEOUT",
                    "The deployment timed out while waiting for traffic to be rerouted (ContinueDeployment with READY_WAIT was not called within waitTimeInMinutes).",
                    false,
                );
            }
            false
        }
        Stage::TerminationWait => {
            let wait = minutes(
                &d.blue_green,
                &[
                    "terminateBlueInstancesOnDeploymentSuccess",
                    "terminationWaitTimeInMinutes",
                ],
            );
            if now >= d.termination_started_ms.unwrap_or(now) + wait {
                succeed(world, id);
                true
            } else {
                false
            }
        }
        Stage::Done => false,
    }
}

fn firing_alarms(world: &World, d: &CdDeployment) -> Vec<String> {
    if d.alarm_configuration
        .get("enabled")
        .and_then(Value::as_bool)
        != Some(true)
    {
        return Vec::new();
    }
    let names: Vec<String> = d
        .alarm_configuration
        .get("alarms")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    world.alarms_firing(&names)
}

/// Created → InProgress: find the original (Blue) task set and run the first event.
fn start(world: &mut World, id: &str) {
    let Some(d) = dep(world, id) else { return };
    let service_arn = d.service_arn.clone();
    let rollback = is_rollback(d);
    let primary = service_index(world, &service_arn).and_then(|si| {
        world.ecs.services[si]
            .task_sets
            .iter()
            .find(|t| t.status == "PRIMARY")
            .map(|t| t.id.clone())
    });
    let service_ok = service_index(world, &service_arn)
        .is_some_and(|si| world.ecs.services[si].status == "ACTIVE");
    with(world, id, |d, now| {
        d.status = "InProgress".into();
        d.started_ms = Some(now);
        d.target_status = "InProgress".into();
        if d.blue_task_set.is_none() {
            d.blue_task_set = primary.clone();
        }
    });
    if !rollback && (!service_ok || primary.is_none()) {
        begin_event(world, id, 0);
        fail(
            world,
            id,
            "INVALID_ECS_SERVICE",
            &format!(
                "The ECS service {service_arn} is not ACTIVE or has no PRIMARY task set, so it cannot be deployed by CodeDeploy."
            ),
        );
        return;
    }
    if rollback {
        with(world, id, |d, _| {
            for e in &mut d.events[..BEFORE_ALLOW_TRAFFIC] {
                e.status = "Skipped".into();
            }
        });
        begin_event(world, id, BEFORE_ALLOW_TRAFFIC);
    } else {
        begin_event(world, id, 0);
    }
}

fn begin_event(world: &mut World, id: &str, i: usize) {
    with(world, id, |d, now| {
        d.stage = Stage::Event(i);
        d.events[i].status = "InProgress".into();
        d.events[i].start_ms = Some(now);
    });
    match i {
        INSTALL => create_green(world, id),
        ALLOW_TRAFFIC => {
            let Some(d) = dep(world, id) else { return };
            let first = if is_rollback(d) {
                0.0
            } else {
                match d.routing {
                    Routing::AllAtOnce => 100.0,
                    Routing::Linear { percent, .. } | Routing::Canary { percent, .. } => percent,
                }
            };
            shift(world, id, first);
        }
        _ => {}
    }
}

/// Move production traffic: green gets `weight` %, blue the rest.
fn shift(world: &mut World, id: &str, weight: f64) {
    let Some(d) = dep(world, id) else { return };
    let (service_arn, blue, green) = (
        d.service_arn.clone(),
        d.blue_task_set.clone().unwrap_or_default(),
        d.green_task_set.clone().unwrap_or_default(),
    );
    if let Some(si) = service_index(world, &service_arn) {
        task_sets::set_weights(world, si, &blue, &green, weight);
    }
    with(world, id, |d, now| {
        d.green_weight = weight;
        d.last_shift_ms = now;
    });
}

/// Install: create the replacement task set (and remove a leftover one from a stopped deployment).
fn create_green(world: &mut World, id: &str) {
    let Some(d) = dep(world, id) else { return };
    let (service_arn, blue, td, appspec) = (
        d.service_arn.clone(),
        d.blue_task_set.clone().unwrap_or_default(),
        d.task_definition.clone(),
        d.appspec.clone(),
    );
    let pair = target_group_pair(d);
    let Some(si) = service_index(world, &service_arn) else {
        return;
    };
    let leftovers: Vec<String> = world.ecs.services[si]
        .task_sets
        .iter()
        .filter(|t| t.id != blue && t.status != "DRAINING")
        .map(|t| t.id.clone())
        .collect();
    for l in leftovers {
        task_sets::drain(world, si, &l);
    }
    if let Some(b) = task_set(world, si, &blue).map(|t| t.id.clone()) {
        task_sets::set_weights(world, si, &b, "", 0.0);
    }
    let mut spec = task_sets::launch_spec(&world.ecs.services[si].spec);
    if let Some(a) = &appspec {
        if let Some(nc) = &a.network_configuration {
            spec.insert("networkConfiguration".into(), nc.clone());
        }
        if let Some(pv) = &a.platform_version {
            spec.insert("platformVersion".into(), Value::String(pv.clone()));
        }
        if let Some(cps) = &a.capacity_provider_strategy {
            spec.remove("launchType");
            spec.insert("capacityProviderStrategy".into(), cps.clone());
        }
    }
    // The replacement registers with the other target group of the pair.
    let blue_tg = task_set(world, si, &blue).and_then(task_sets::target_group);
    let green_tg = match (&blue_tg, &pair) {
        (Some((blue_name, _)), Some((a, b))) if blue_name == a => Some(b.clone()),
        (Some((blue_name, _)), Some((a, b))) if blue_name == b => Some(a.clone()),
        (None, Some((a, _))) => Some(a.clone()),
        _ => None,
    };
    if let Some(Value::Array(lbs)) = spec.get_mut("loadBalancers") {
        for lb in lbs.iter_mut() {
            if let Some(name) = &green_tg {
                lb["targetGroupArn"] = Value::String(task_sets::target_group_arn(world, name));
            }
            if let Some(a) = &appspec {
                if let Some(c) = &a.container_name {
                    lb["containerName"] = Value::String(c.clone());
                }
                if let Some(p) = a.container_port {
                    lb["containerPort"] = p.into();
                }
            }
        }
    }
    let green = task_sets::create_task_set(
        world,
        si,
        &td,
        spec,
        "ACTIVE",
        Some(id.to_owned()),
        Some("CODE_DEPLOY".to_owned()),
        0.0,
    );
    with(world, id, |d, _| d.green_task_set = Some(green));
}

/// The deployment group's target group names (first pair).
fn target_group_pair(d: &CdDeployment) -> Option<(String, String)> {
    let tgs = d
        .load_balancer_info
        .as_ref()?
        .get("targetGroupPairInfoList")?
        .get(0)?
        .get("targetGroups")?
        .as_array()?;
    let name = |i: usize| tgs.get(i)?.get("name")?.as_str().map(str::to_owned);
    Some((name(0)?, name(1)?))
}

/// Green task failures → the deployment fails.
fn check_green(world: &mut World, id: &str) -> bool {
    let Some(d) = dep(world, id) else {
        return false;
    };
    let (Some(green), Some(si)) = (
        d.green_task_set.clone(),
        service_index(world, &d.service_arn),
    ) else {
        return false;
    };
    let Some(ts) = task_set(world, si, &green) else {
        fail(
            world,
            id,
            "ECS_UPDATE_ERROR",
            &format!("The replacement task set {green} was deleted."),
        );
        return true;
    };
    let threshold = ts.computed_desired_count.max(1) as usize;
    let (failed, stop_code, reason) = task_sets::failures(world, si, &green);
    if failed < threshold {
        return false;
    }
    let (code, message) = if stop_code == "ServiceSchedulerInitiated" {
        (
            "HEALTH_CONSTRAINTS",
            format!(
                "The replacement task set {green} failed health checks: {failed} tasks were stopped ({reason})."
            ),
        )
    } else {
        (
            "ECS_UPDATE_ERROR",
            format!(
                "The ECS service cannot reach a steady state: {failed} tasks of the replacement task set {green} failed to start ({reason})."
            ),
        )
    };
    fail(world, id, code, &message);
    true
}

fn install_progress(world: &mut World, id: &str, started: i64) -> bool {
    if check_green(world, id) {
        return false;
    }
    let now = world.now_ms;
    let Some(d) = dep(world, id) else {
        return false;
    };
    let stable = d
        .green_task_set
        .as_deref()
        .zip(service_index(world, &d.service_arn))
        .and_then(|(g, si)| task_set(world, si, g))
        .is_some_and(|t| t.stability_status == "STEADY_STATE");
    if stable && now > started {
        finish_event(world, id, INSTALL);
        true
    } else {
        false
    }
}

fn allow_traffic_progress(world: &mut World, id: &str, started: i64) -> bool {
    let now = world.now_ms;
    let Some(d) = dep(world, id) else {
        return false;
    };
    if !is_rollback(d) && check_green(world, id) {
        return false;
    }
    let Some(d) = dep(world, id) else {
        return false;
    };
    let target = if is_rollback(d) { 0.0 } else { 100.0 };
    if d.green_weight == target {
        if now >= d.last_shift_ms.max(started) + TICK_MS {
            finish_event(world, id, ALLOW_TRAFFIC);
            return true;
        }
        return false;
    }
    let next = match d.routing {
        Routing::Linear {
            percent,
            interval_ms,
        } if now >= d.last_shift_ms + interval_ms => Some((d.green_weight + percent).min(100.0)),
        Routing::Canary { interval_ms, .. } if now >= d.last_shift_ms + interval_ms => Some(100.0),
        Routing::AllAtOnce => Some(target),
        _ => None,
    };
    match next {
        Some(w) => {
            shift(world, id, w);
            false
        }
        None => false,
    }
}

fn finish_event(world: &mut World, id: &str, i: usize) {
    with(world, id, |d, now| {
        d.events[i].status = "Succeeded".into();
        d.events[i].end_ms = Some(now);
    });
    let Some(d) = dep(world, id) else { return };
    let rollback = is_rollback(d);
    match i {
        AFTER_ALLOW_TEST_TRAFFIC
            if !rollback
                && str_at(&d.blue_green, &["deploymentReadyOption", "actionOnTimeout"])
                    == Some("STOP_DEPLOYMENT") =>
        {
            with(world, id, |d, now| {
                d.stage = Stage::ReadyWait;
                d.status = "Ready".into();
                d.target_status = "Ready".into();
                d.ready_since_ms = Some(now);
            });
        }
        ALLOW_TRAFFIC => {
            // UpdateServicePrimaryTaskSet: whichever set now takes all traffic.
            let new_primary = if rollback {
                d.blue_task_set.clone()
            } else {
                d.green_task_set.clone()
            };
            if let (Some(p), Some(si)) = (new_primary, service_index(world, &d.service_arn)) {
                task_sets::make_primary(world, si, &p);
            }
            begin_event(world, id, AFTER_ALLOW_TRAFFIC);
        }
        AFTER_ALLOW_TRAFFIC => {
            // Rollbacks have nothing to keep; KEEP_ALIVE keeps blue without a wait.
            let keep_alive = str_at(
                &d.blue_green,
                &["terminateBlueInstancesOnDeploymentSuccess", "action"],
            ) == Some("KEEP_ALIVE");
            if rollback || keep_alive {
                succeed(world, id);
            } else {
                with(world, id, |d, now| {
                    d.stage = Stage::TerminationWait;
                    d.termination_started_ms = Some(now);
                });
            }
        }
        _ => begin_event(world, id, i + 1),
    }
}

/// The deployment succeeded: delete the set that no longer serves (blue; green for a rollback).
fn succeed(world: &mut World, id: &str) {
    let Some(d) = dep(world, id) else { return };
    let rollback = is_rollback(d);
    let keep_blue = !rollback
        && str_at(
            &d.blue_green,
            &["terminateBlueInstancesOnDeploymentSuccess", "action"],
        ) == Some("KEEP_ALIVE");
    let retire = if rollback {
        d.green_task_set.clone()
    } else if keep_blue {
        None
    } else {
        d.blue_task_set.clone()
    };
    let triggering = d.rollback_triggering_deployment_id.clone();
    let group = (d.application.clone(), d.group.clone());
    let own_id = d.id.clone();
    if let (Some(r), Some(si)) = (retire, service_index(world, &d.service_arn)) {
        task_sets::drain(world, si, &r);
    }
    with(world, id, |d, now| {
        d.stage = Stage::Done;
        d.status = "Succeeded".into();
        d.completed_ms = Some(now);
        d.target_status = "Succeeded".into();
    });
    if let Some(g) = world.codedeploy.groups.get_mut(&group) {
        g.last_successful = Some(own_id.clone());
    }
    if let Some(t) = triggering {
        with(world, &t, |d, _| {
            d.rollback_message = Some(format!(
                "Rollback deployment {own_id} succeeded: traffic is back on the original task set."
            ));
        });
    }
    refresh_target(world, id);
}

/// Mark the running event (Failed or Skipped) and the pending ones (Skipped).
fn close_events(d: &mut CdDeployment, now: i64, running_status: &str) {
    for e in &mut d.events {
        match e.status.as_str() {
            "InProgress" => {
                e.status = running_status.into();
                e.end_ms = Some(now);
            }
            "Pending" => e.status = "Skipped".into(),
            _ => {}
        }
    }
}

/// The deployment failed (`errorInformation {code, message}`), then rolls back if configured.
pub(crate) fn fail(world: &mut World, id: &str, code: &str, message: &str) {
    refresh_target(world, id);
    with(world, id, |d, now| {
        close_events(d, now, "Failed");
        d.stage = Stage::Done;
        d.status = "Failed".into();
        d.completed_ms = Some(now);
        d.target_status = "Failed".into();
        d.error = Some((code.to_owned(), message.to_owned()));
    });
    let rollback =
        dep(world, id).is_some_and(|d| !is_rollback(d) && rolls_back_on(d, "DEPLOYMENT_FAILURE"));
    after_end(world, id, rollback, "failed");
}

/// The deployment stopped (StopDeployment, alarm, Ready timeout), then rolls back if asked.
pub(crate) fn stop(world: &mut World, id: &str, code: &str, message: &str, rollback: bool) {
    refresh_target(world, id);
    with(world, id, |d, now| {
        close_events(d, now, "Skipped");
        d.stage = Stage::Done;
        d.status = "Stopped".into();
        d.completed_ms = Some(now);
        d.target_status = "Skipped".into();
        d.error = Some((code.to_owned(), message.to_owned()));
    });
    let rollback = rollback && dep(world, id).is_some_and(|d| !is_rollback(d));
    after_end(world, id, rollback, "stopped");
}

fn after_end(world: &mut World, id: &str, rollback: bool, how: &str) {
    if rollback {
        create_rollback(world, id, how);
        return;
    }
    // No rollback: traffic stays where it is. A replacement set that never served production
    // traffic is removed; one that did stays for the next deployment to replace.
    let Some(d) = dep(world, id) else { return };
    if let (Some(g), Some(si)) = (
        d.green_task_set.clone(),
        service_index(world, &d.service_arn),
    ) && task_set(world, si, &g)
        .is_some_and(|t| t.traffic_weight == 0.0 && t.status != "PRIMARY")
    {
        task_sets::drain(world, si, &g);
    }
}

/// Create the rollback deployment of `orig` (creator `codeDeployRollback`).
fn create_rollback(world: &mut World, orig: &str, how: &str) {
    let Some(o) = dep(world, orig).cloned() else {
        return;
    };
    let new_id = super::api::new_deployment_id(world);
    let now = world.now_ms;
    let group_key = (o.application.clone(), o.group.clone());
    let blue_td = service_index(world, &o.service_arn)
        .and_then(|si| {
            let svc = &world.ecs.services[si];
            o.blue_task_set
                .as_deref()
                .and_then(|b| svc.task_sets.iter().find(|t| t.id == b))
                .map(|t| t.task_definition.clone())
                .or_else(|| Some(svc.task_definition.clone()))
        })
        .unwrap_or_default();
    let r = CdDeployment {
        id: new_id.clone(),
        creator: "codeDeployRollback".into(),
        status: "Created".into(),
        stage: Stage::Created,
        created_ms: now,
        started_ms: None,
        completed_ms: None,
        description: None,
        revision: o.previous_revision.clone(),
        previous_revision: o.revision.clone(),
        appspec: None,
        task_definition: blue_td,
        events: pending_events(),
        error: None,
        rollback_deployment_id: None,
        rollback_triggering_deployment_id: Some(orig.to_owned()),
        rollback_message: None,
        ready_since_ms: None,
        termination_started_ms: None,
        target_status: "Pending".into(),
        target_updated_ms: now,
        last_shift_ms: now,
        ..o
    };
    world.codedeploy.deployments.push(r);
    if let Some(g) = world.codedeploy.groups.get_mut(&group_key) {
        g.last_attempted = Some(new_id.clone());
    }
    with(world, orig, |d, _| {
        d.rollback_deployment_id = Some(new_id.clone());
        d.rollback_message = Some(format!(
            "The deployment {how}; rollback deployment {new_id} reroutes traffic to the original task set."
        ));
    });
}

/// ContinueDeployment(READY_WAIT): reroute traffic now.
pub(crate) fn continue_ready(world: &mut World, id: &str) {
    with(world, id, |d, _| {
        d.status = "InProgress".into();
        d.target_status = "InProgress".into();
    });
    begin_event(world, id, BEFORE_ALLOW_TRAFFIC);
    refresh_target(world, id);
}

/// ContinueDeployment(TERMINATION_WAIT): delete the original task set now.
pub(crate) fn end_termination_wait(world: &mut World, id: &str) {
    succeed(world, id);
}

/// Refresh the deployment target's `taskSetsInfo` from the live task sets (kept once they
/// are gone, so a finished deployment still shows what it ended with).
pub(crate) fn refresh_target(world: &mut World, id: &str) {
    let Some(d) = dep(world, id) else { return };
    let Some(si) = service_index(world, &d.service_arn) else {
        return;
    };
    let mut info: Vec<Value> = Vec::new();
    for (set, label) in [(&d.blue_task_set, "Blue"), (&d.green_task_set, "Green")] {
        if let Some(ts) = set.as_deref().and_then(|s| task_set(world, si, s)) {
            info.push(task_set_info(ts, label));
        } else if let Some(old) = d
            .task_sets_info
            .iter()
            .find(|v| v.get("taskSetLabel").and_then(Value::as_str) == Some(label))
        {
            info.push(old.clone());
        }
    }
    if info != d.task_sets_info {
        with(world, id, |d, _| d.task_sets_info = info);
    }
}
