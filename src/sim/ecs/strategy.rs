//! ECS-native BLUE_GREEN, LINEAR and CANARY deployments (`deploymentConfiguration.strategy`,
//! ecs-platform-and-peers.md §6.4): the lifecycle-stage machine that drives the forward rollout
//! of such a service deployment. Rollbacks, completion and failure detection are shared with the
//! rolling engine in `deploy`.
//!
//! Why a fixed table: watchers compare stages by position ("wait until stage X") and the SDK's
//! enum order is not guaranteed (ecspresso.md §5.1), so the order lives in [`STAGES`], not in an
//! enum. Each stage is visible for at least one tick so a poller can observe it.
//!
//! What each stage does here:
//! - RECONCILE_SERVICE: only when more than one source revision still runs;
//! - SCALE_UP: green (the PRIMARY) is scaled to 100 % alongside blue, replacements included;
//! - TEST_TRAFFIC_SHIFT: green receives 100 % of test traffic;
//! - PRODUCTION_TRAFFIC_SHIFT: BLUE_GREEN shifts production 0 → 100 in one step; LINEAR in
//!   `stepPercent` steps with `stepBakeTimeInMinutes` between them (none after 100 %); CANARY
//!   shifts `canaryPercent`, waits `canaryBakeTimeInMinutes`, then shifts the rest.
//!   PRE_PRODUCTION_TRAFFIC_SHIFT hooks run before every step and PRODUCTION_TRAFFIC_SHIFT hooks
//!   after it (the response enum has no PRE_PRODUCTION_TRAFFIC_SHIFT stage, so it is reported as
//!   PRODUCTION_TRAFFIC_SHIFT);
//! - BAKE_TIME: `bakeTimeInMinutes` with both revisions running;
//! - CLEAN_UP: blue's tasks are stopped; the deployment succeeds once they are gone.
//!
//! Lifecycle hooks (`lifecycleHooks[]`) start when their stage starts and the stage waits for
//! them: AWS_LAMBDA hooks are IN_PROGRESS then SUCCEEDED after 2 s (FAILED, and a rollback, when
//! the function ARN contains `fail`); PAUSE hooks sit AWAITING_ACTION until
//! ContinueServiceDeployment or their timeout (`timeoutConfiguration`, default 1440 min, action
//! ROLLBACK by default).

use serde_json::Value;

use super::deploy::{self, Failure, counts, launch_tasks, owned, stop_tasks, timing};
use super::model::{HookState, ServiceDeployment};
use crate::sim::world::{TICK_MS, World};

/// The service-deployment lifecycle stages, in order (`ServiceDeploymentLifecycleStage`).
pub(crate) const STAGES: [&str; 10] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
];

const PRE_PRODUCTION: &str = "PRE_PRODUCTION_TRAFFIC_SHIFT";
const PRODUCTION: &str = "PRODUCTION_TRAFFIC_SHIFT";

/// One tick of a native deployment that is IN_PROGRESS. Returns whether it completed now.
pub(super) fn step(world: &mut World, idx: usize, sd_arn: &str) -> bool {
    let now = world.now_ms;
    let Some(sd) = world.ecs.service_deployments.get(sd_arn) else {
        return false;
    };
    let stage = match sd.lifecycle_stage.clone() {
        Some(s) => s,
        None => {
            // RECONCILE_SERVICE "only happens when you start a new service deployment with more
            // than 1 service revision in an ACTIVE state".
            let first = if sd.source_revision_arns.len() > 1 {
                STAGES[0]
            } else {
                STAGES[1]
            };
            enter(world, sd_arn, first);
            first.to_owned()
        }
    };
    if let Some(reason) = resolve_hooks(world, sd_arn) {
        deploy::fail(world, idx, sd_arn, Failure::Hook(reason), true);
        return false;
    }
    let pos = STAGES.iter().position(|s| *s == stage).unwrap_or(0);
    if pos >= 2 {
        ensure_green(world, idx);
    }
    let work_done = match stage.as_str() {
        "SCALE_UP" => green_ready(world, idx),
        "TEST_TRAFFIC_SHIFT" => {
            shift_test_traffic(world, sd_arn);
            true
        }
        PRODUCTION => production_shift(world, sd_arn),
        "BAKE_TIME" => world.ecs.service_deployments.get(sd_arn).is_some_and(|sd| {
            let minutes = minutes(&sd.deployment_configuration, "/bakeTimeInMinutes", 0);
            now >= sd.progress.phase_started_ms + minutes * 60_000
        }),
        "CLEAN_UP" => clean_up(world, idx),
        _ => true,
    };
    let Some(sd) = world.ecs.service_deployments.get(sd_arn) else {
        return false;
    };
    if !(work_done && !batch_pending(sd) && now >= sd.progress.phase_started_ms + TICK_MS) {
        return false;
    }
    match STAGES.get(pos + 1) {
        Some(next) if stage != "CLEAN_UP" => {
            enter(world, sd_arn, next);
            false
        }
        _ => {
            deploy::finalize(world, idx, sd_arn);
            true
        }
    }
}

fn minutes(dc: &Value, pointer: &str, default: i64) -> i64 {
    dc.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or(default)
        .max(0)
}

/// Enter a stage: its clock starts and its hooks are invoked.
fn enter(world: &mut World, sd_arn: &str, stage: &str) {
    let now = world.now_ms;
    if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
        sd.lifecycle_stage = Some(stage.to_owned());
        sd.progress.phase_started_ms = now;
        sd.progress.shift_step = 0;
        sd.progress.shift_phase = 0;
        sd.updated_ms = now;
    }
    let hook_stage = if stage == PRODUCTION {
        PRE_PRODUCTION
    } else {
        stage
    };
    start_batch(world, sd_arn, hook_stage);
}

/// Invoke the hooks configured for `hook_stage`; the current phase waits for this batch.
fn start_batch(world: &mut World, sd_arn: &str, hook_stage: &str) {
    let now = world.now_ms;
    let Some(sd) = world.ecs.service_deployments.get(sd_arn) else {
        return;
    };
    let configs: Vec<Value> = sd
        .deployment_configuration
        .get("lifecycleHooks")
        .and_then(Value::as_array)
        .map(|hooks| {
            hooks
                .iter()
                .filter(|h| {
                    h.get("lifecycleStages")
                        .and_then(Value::as_array)
                        .is_some_and(|s| s.iter().any(|x| x.as_str() == Some(hook_stage)))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<String> = configs.iter().map(|_| world.hex_id()).collect();
    let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) else {
        return;
    };
    sd.progress.hook_batch = sd.hooks.len();
    for (h, hook_id) in configs.iter().zip(ids) {
        let target_type = h
            .get("targetType")
            .and_then(Value::as_str)
            .unwrap_or("AWS_LAMBDA")
            .to_owned();
        let timeout = minutes(h, "/timeoutConfiguration/timeoutInMinutes", 1440);
        let action = h
            .pointer("/timeoutConfiguration/action")
            .and_then(Value::as_str)
            .unwrap_or("ROLLBACK");
        sd.hooks.push(HookState {
            hook_id,
            status: if target_type == "PAUSE" {
                "AWAITING_ACTION".into()
            } else {
                "IN_PROGRESS".into()
            },
            target_type,
            target_arn: h
                .get("hookTargetArn")
                .and_then(Value::as_str)
                .map(str::to_owned),
            stage: hook_stage.to_owned(),
            started_ms: now,
            expires_ms: now + timeout * 60_000,
            timeout_action: action.to_owned(),
        });
        sd.updated_ms = now;
    }
}

/// Hooks of the current batch still running.
fn batch_pending(sd: &ServiceDeployment) -> bool {
    sd.hooks
        .iter()
        .skip(sd.progress.hook_batch)
        .any(|h| matches!(h.status.as_str(), "IN_PROGRESS" | "AWAITING_ACTION"))
}

/// Lambda hooks answer, timeouts fire. Returns a rollback reason when the batch failed.
fn resolve_hooks(world: &mut World, sd_arn: &str) -> Option<String> {
    let now = world.now_ms;
    let sd = world.ecs.service_deployments.get_mut(sd_arn)?;
    let batch = sd.progress.hook_batch;
    let mut rollback = None;
    let mut changed = false;
    for h in sd.hooks.iter_mut().skip(batch) {
        let status = h.status.clone();
        let lambda_done = h.target_type != "PAUSE" && now >= h.started_ms + timing::LAMBDA_HOOK_MS;
        match status.as_str() {
            "IN_PROGRESS" if lambda_done => {
                changed = true;
                let fails = h
                    .target_arn
                    .as_deref()
                    .is_some_and(|a| a.to_ascii_lowercase().contains("fail"));
                if fails {
                    h.status = "FAILED".into();
                    rollback.get_or_insert_with(|| {
                        format!(
                            "Lifecycle hook {} ({}) returned FAILED at {}.",
                            h.hook_id,
                            h.target_arn.as_deref().unwrap_or_default(),
                            h.stage
                        )
                    });
                } else {
                    h.status = "SUCCEEDED".into();
                }
            }
            "IN_PROGRESS" | "AWAITING_ACTION" if now >= h.expires_ms => {
                changed = true;
                h.status = "TIMED_OUT".into();
                if h.timeout_action == "ROLLBACK" {
                    rollback.get_or_insert_with(|| {
                        format!("Lifecycle hook {} timed out at {}.", h.hook_id, h.stage)
                    });
                }
            }
            _ => {}
        }
    }
    if changed {
        sd.updated_ms = now;
    }
    rollback
}

/// Keep green (the PRIMARY) at desiredCount from SCALE_UP on: launch and replace its tasks.
fn ensure_green(world: &mut World, idx: usize) {
    let svc = &world.ecs.services[idx];
    let Some(g) = svc.deployments.first() else {
        return;
    };
    if g.rollout_state != "IN_PROGRESS" {
        return;
    }
    let missing = g.desired_count - counts(world, &svc.arn, &g.id).live;
    launch_tasks(world, idx, 0, missing);
}

fn green_ready(world: &World, idx: usize) -> bool {
    let svc = &world.ecs.services[idx];
    svc.deployments.first().is_some_and(|g| {
        let c = counts(world, &svc.arn, &g.id);
        c.healthy == g.desired_count && c.unstopped == g.desired_count
    })
}

/// Green (the target, first in `traffic`) gets all test traffic.
fn shift_test_traffic(world: &mut World, sd_arn: &str) {
    let now = world.now_ms;
    if let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) {
        for (i, (_, test, _)) in sd.traffic.iter_mut().enumerate() {
            *test = if i == 0 { 100.0 } else { 0.0 };
        }
        sd.updated_ms = now;
    }
}

/// Production weight of green after `step` shifts.
fn production_weight(dc: &Value, step: u32) -> f64 {
    match dc.get("strategy").and_then(Value::as_str) {
        Some("LINEAR") => {
            let p = dc
                .pointer("/linearConfiguration/stepPercent")
                .and_then(Value::as_f64)
                .unwrap_or(10.0);
            ((f64::from(step) * p * 10.0).round() / 10.0).min(100.0)
        }
        Some("CANARY") if step <= 1 => dc
            .pointer("/canaryConfiguration/canaryPercent")
            .and_then(Value::as_f64)
            .unwrap_or(5.0)
            .min(100.0),
        _ => 100.0,
    }
}

/// Wait between production shifts (LINEAR / CANARY); none for BLUE_GREEN.
fn step_bake_ms(dc: &Value) -> i64 {
    match dc.get("strategy").and_then(Value::as_str) {
        Some("LINEAR") => minutes(dc, "/linearConfiguration/stepBakeTimeInMinutes", 6) * 60_000,
        Some("CANARY") => minutes(dc, "/canaryConfiguration/canaryBakeTimeInMinutes", 10) * 60_000,
        _ => 0,
    }
}

/// PRODUCTION_TRAFFIC_SHIFT: pre-shift hooks → shift one step (+ shift hooks) → step bake →
/// … until green has 100 %. Returns true once the last step and its hooks are done.
fn production_shift(world: &mut World, sd_arn: &str) -> bool {
    let now = world.now_ms;
    let Some(sd) = world.ecs.service_deployments.get_mut(sd_arn) else {
        return false;
    };
    if batch_pending(sd) {
        return false;
    }
    match sd.progress.shift_phase {
        0 => {
            sd.progress.shift_step += 1;
            let w = production_weight(&sd.deployment_configuration, sd.progress.shift_step);
            // traffic[0] is green; traffic[1] the blue revision that held production.
            for (i, (_, _, prod)) in sd.traffic.iter_mut().enumerate() {
                *prod = match i {
                    0 => w,
                    1 => ((100.0 - w) * 10.0).round() / 10.0,
                    _ => 0.0,
                };
            }
            sd.progress.shift_phase = 1;
            sd.updated_ms = now;
            start_batch(world, sd_arn, PRODUCTION);
            false
        }
        1 => {
            if sd.traffic.first().is_some_and(|t| t.2 >= 100.0) {
                return true;
            }
            sd.progress.shift_phase = 2;
            sd.progress.phase_started_ms = now;
            false
        }
        _ => {
            if now >= sd.progress.phase_started_ms + step_bake_ms(&sd.deployment_configuration) {
                sd.progress.shift_phase = 0;
                start_batch(world, sd_arn, PRE_PRODUCTION);
            }
            false
        }
    }
}

/// CLEAN_UP: stop blue's tasks; done once none is left.
fn clean_up(world: &mut World, idx: usize) -> bool {
    let svc = &world.ecs.services[idx];
    let Some(green) = svc.deployments.first() else {
        return false;
    };
    let green_id = green.id.clone();
    let (mut live, mut unstopped) = (Vec::new(), 0);
    for d in &svc.deployments[1..] {
        for t in owned(world, &svc.arn, &d.id) {
            if t.is_live() {
                live.push(t.arn.clone());
            }
            if t.last_status != "STOPPED" {
                unstopped += 1;
            }
        }
    }
    stop_tasks(world, idx, &live, &green_id);
    unstopped == 0
}
