//! CodeDeploy control plane of the simulator: ECS blue/green deployments (deployment controller
//! `CODE_DEPLOY`) that really move.
//!
//! Why: moto accepts `CreateDeployment` and leaves it `Created` forever, with no link to ECS
//! (../shared/reference/moto.md §3), so nothing that waits on a CodeDeploy deployment can be
//! tested against it. Here a deployment walks the ECS lifecycle events in order
//! (BeforeInstall → Install → AfterInstall → AllowTestTraffic → AfterAllowTestTraffic →
//! [Ready] → BeforeAllowTraffic → AllowTraffic → AfterAllowTraffic → termination wait), creates
//! the replacement (green) task set on the ECS service, shifts `trafficWeight` following the
//! deployment config, fails on tasks that fail, rolls back, and finally removes the original
//! (blue) task set.
//!
//! - [`appspec`]: the inline AppSpec (YAML or JSON, keys case-insensitive).
//! - `api`: the operations (validation, AWS error codes, response shapes, pagination).
//! - `engine`: the per-tick deployment state machine, stop/continue/rollback.
//! - `task_sets`: ECS task sets of CODE_DEPLOY services (initial set, scale, reconcile, JSON);
//!   the ECS API calls [`create_initial_task_set`], [`scale`] and [`task_sets_json`].
//!
//! Input members that the CodeDeploy API model does not define are refused with a 400
//! `SerializationException` (never ignored silently, never a crash).

mod api;
pub(crate) mod appspec;
mod engine;
mod task_sets;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::world::World;

pub(crate) use task_sets::{create_initial_task_set, scale, task_sets_json};

/// The ECS lifecycle events of a CodeDeploy deployment, in order.
pub(crate) const LIFECYCLE_EVENTS: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];

/// All CodeDeploy state.
#[derive(Debug, Default)]
pub(crate) struct CodeDeployState {
    /// By application name.
    pub applications: BTreeMap<String, Application>,
    /// By (application name, group name).
    pub groups: BTreeMap<(String, String), DeploymentGroup>,
    /// In creation order.
    pub deployments: Vec<CdDeployment>,
    /// Task set ARN → when its `stabilityStatus` last changed (DescribeTaskSets `stabilityStatusAt`).
    pub stability_at: BTreeMap<String, i64>,
    /// Service ARN → whether it was in a steady state at the last tick (to write the
    /// "has reached a steady state" event once per transition, as ECS does).
    pub steady: BTreeMap<String, bool>,
}

/// A CodeDeploy application.
#[derive(Debug, Clone)]
pub(crate) struct Application {
    pub id: String,
    pub name: String,
    /// Server | Lambda | ECS.
    pub compute_platform: String,
    pub created_ms: i64,
    pub tags: Vec<Value>,
}

/// A deployment group. `info` is the DeploymentGroupInfo as created (defaults filled in, the
/// `deploymentGroupId` included);
/// `lastAttemptedDeployment`/`lastSuccessfulDeployment`/`targetRevision` are rendered live.
#[derive(Debug, Clone)]
pub(crate) struct DeploymentGroup {
    pub application: String,
    pub name: String,
    pub info: Map<String, Value>,
    pub last_attempted: Option<String>,
    pub last_successful: Option<String>,
}

/// One lifecycle event of the ECS deployment target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LifecycleEvent {
    pub name: String,
    /// Pending | InProgress | Succeeded | Failed | Skipped.
    pub status: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// Where a deployment is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Status `Created`; starts at the next tick.
    Created,
    /// Running `LIFECYCLE_EVENTS[i]`.
    Event(usize),
    /// Status `Ready`: waiting for `ContinueDeployment(READY_WAIT)` before rerouting traffic.
    ReadyWait,
    /// All events done; the original task set is kept until the termination wait ends.
    TerminationWait,
    /// Succeeded, Failed or Stopped.
    Done,
}

/// Traffic routing of a deployment config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Routing {
    AllAtOnce,
    /// `percent` every `interval_ms`.
    Linear {
        percent: f64,
        interval_ms: i64,
    },
    /// `percent` first, the rest after `interval_ms`.
    Canary {
        percent: f64,
        interval_ms: i64,
    },
}

/// The predefined ECS deployment configs (`CodeDeployDefault.ECS*`).
pub(crate) fn ecs_deployment_config(name: &str) -> Option<Routing> {
    const MIN: i64 = 60_000;
    Some(match name {
        "CodeDeployDefault.ECSAllAtOnce" => Routing::AllAtOnce,
        "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" => Routing::Linear {
            percent: 10.0,
            interval_ms: MIN,
        },
        "CodeDeployDefault.ECSLinear10PercentEvery3Minutes" => Routing::Linear {
            percent: 10.0,
            interval_ms: 3 * MIN,
        },
        "CodeDeployDefault.ECSCanary10Percent5Minutes" => Routing::Canary {
            percent: 10.0,
            interval_ms: 5 * MIN,
        },
        "CodeDeployDefault.ECSCanary10Percent15Minutes" => Routing::Canary {
            percent: 10.0,
            interval_ms: 15 * MIN,
        },
        _ => return None,
    })
}

/// The predefined configs of the other compute platforms (refused for ECS groups).
pub(crate) fn is_other_platform_config(name: &str) -> bool {
    matches!(
        name,
        "CodeDeployDefault.OneAtATime"
            | "CodeDeployDefault.HalfAtATime"
            | "CodeDeployDefault.AllAtOnce"
            | "CodeDeployDefault.LambdaAllAtOnce"
            | "CodeDeployDefault.LambdaCanary10Percent5Minutes"
            | "CodeDeployDefault.LambdaCanary10Percent10Minutes"
            | "CodeDeployDefault.LambdaCanary10Percent15Minutes"
            | "CodeDeployDefault.LambdaCanary10Percent30Minutes"
            | "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
            | "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes"
            | "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes"
            | "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"
    )
}

/// A CodeDeploy deployment (ECS compute platform).
#[derive(Debug, Clone)]
pub(crate) struct CdDeployment {
    /// `d-` + 9 characters.
    pub id: String,
    pub application: String,
    pub group: String,
    pub config_name: String,
    pub routing: Routing,
    pub description: Option<String>,
    /// `user` | `codeDeployRollback`.
    pub creator: String,
    /// Created | InProgress | Ready | Succeeded | Failed | Stopped.
    pub status: String,
    pub stage: Stage,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub completed_ms: Option<i64>,
    /// `revision` as given (AppSpecContent); rollbacks carry the previous revision.
    pub revision: Option<Value>,
    pub previous_revision: Option<Value>,
    /// None for rollback deployments (they reroute traffic back, nothing to install).
    pub appspec: Option<appspec::AppSpec>,
    /// Task definition the deployment makes PRIMARY (green's; blue's for a rollback).
    pub task_definition: String,
    pub cluster_name: String,
    pub service_name: String,
    pub service_arn: String,
    pub events: Vec<LifecycleEvent>,
    /// `errorInformation {code, message}`.
    pub error: Option<(String, String)>,
    pub rollback_deployment_id: Option<String>,
    pub rollback_triggering_deployment_id: Option<String>,
    pub rollback_message: Option<String>,
    /// Effective `autoRollbackConfiguration` (deployment override or the group's).
    pub auto_rollback: Value,
    /// The group's settings at creation (echoed in `deploymentInfo`).
    pub deployment_style: Value,
    pub blue_green: Value,
    pub load_balancer_info: Option<Value>,
    pub alarm_configuration: Value,
    /// Original (Blue) and replacement (Green) task set ids.
    pub blue_task_set: Option<String>,
    pub green_task_set: Option<String>,
    /// Production traffic on green (0–100) and when it last moved.
    pub green_weight: f64,
    pub last_shift_ms: i64,
    pub ready_since_ms: Option<i64>,
    pub termination_started_ms: Option<i64>,
    /// ECS target status: Pending | InProgress | Ready | Succeeded | Failed | Skipped.
    pub target_status: String,
    pub target_updated_ms: i64,
    /// Last rendered `taskSetsInfo` (kept once the task sets are gone).
    pub task_sets_info: Vec<Value>,
}

impl CdDeployment {
    /// Not finished (blocks another deployment in the group: DeploymentLimitExceededException).
    pub fn is_active(&self) -> bool {
        matches!(
            self.status.as_str(),
            "Created" | "Queued" | "InProgress" | "Ready" | "Baking"
        )
    }

    /// `<cluster>:<service>`, the ECS deployment target id.
    pub fn target_id(&self) -> String {
        format!("{}:{}", self.cluster_name, self.service_name)
    }
}

impl CodeDeployState {
    /// Find a deployment by id.
    pub fn deployment(&self, id: &str) -> Option<&CdDeployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    /// Find a deployment by id, mutably.
    pub fn deployment_mut(&mut self, id: &str) -> Option<&mut CdDeployment> {
        self.deployments.iter_mut().find(|d| d.id == id)
    }

    /// The whole CodeDeploy state as JSON (`GET /_sim/state`).
    ///
    /// Each deployment carries `terminalAt`: the wall-clock epoch ms at which it ended
    /// (Succeeded, Failed, Stopped; its `completeTime`), null while it runs.
    pub fn dump(&self, wall_ms: &dyn Fn(i64) -> i64) -> Value {
        json!({
            "applications": self.applications.values().map(|a| {
                let mut v = api::application_json(a);
                v["tags"] = Value::Array(a.tags.clone());
                v
            }).collect::<Vec<_>>(),
            "deploymentGroups": self.groups.values().map(|g| api::group_json(self, g)).collect::<Vec<_>>(),
            "deployments": self.deployments.iter().map(|d| json!({
                "deploymentInfo": api::deployment_json(d),
                "deploymentTarget": api::target_json(d),
                "terminalAt": d.completed_ms.map(wall_ms),
                // Lambda hooks of the AppSpec (simulated as succeeding).
                "appSpecHooks": d.appspec.as_ref().map(|a| {
                    a.hooks.iter().map(|(event, function)| json!({"event": event, "function": function})).collect::<Vec<_>>()
                }),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Handle one CodeDeploy operation (`op` without the `CodeDeploy_20141006.` prefix).
pub(crate) fn handle(world: &mut World, op: &str, body: &Value) -> Result<Value, ApiError> {
    api::handle(world, op, body)
}

/// One tick: keep task sets of CODE_DEPLOY services at their computed desired count (counts,
/// stability, events), then move every active deployment along.
pub(crate) fn step(world: &mut World) {
    task_sets::reconcile(world);
    engine::step(world);
}

/// A random UUID (application and deployment group ids, service event ids).
pub(crate) fn uuid(world: &mut World) -> String {
    let a = world.next_u64();
    let b = world.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Epoch ms → wire timestamp (epoch seconds).
pub(crate) fn secs(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}
