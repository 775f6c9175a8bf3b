//! Rollout verdicts: what the state ECS reports means for the deployment we are watching.
//!
//! Pure: small snapshot structs parsed from the AWS API JSON (DescribeServices,
//! DescribeServiceDeployments, DescribeTasks), and table-tested functions over them. The
//! watcher (`ops::watch`) does the polling; every decision lives here.
//!
//! Two ways to follow a deployment (ecs-platform-and-peers.md §6.13):
//!
//! - **service deployment** (the Oct 2024 API, §6.5): its `status` is the authoritative verdict.
//!   `SUCCESSFUL` → 0; `ROLLBACK_SUCCESSFUL` (circuit breaker, alarm, or a requested rollback)
//!   → 3; `ROLLBACK_FAILED` or `STOPPED` → 4, except a `STOPPED` deployment that a newer one
//!   replaced (the service's `currentServiceDeployment` moved on) → 6. Everything else
//!   (`PENDING`, `IN_PROGRESS`, `STOP_REQUESTED`, `ROLLBACK_REQUESTED`, `ROLLBACK_IN_PROGRESS`)
//!   is still moving.
//! - **`deployments[]` fallback** (no IAM permission for that API, or an endpoint that lacks it):
//!   our deployment is tracked by its `ecs-svc/...` id and its `rolloutState` (§6.1, §6.2).
//!   `COMPLETED` → 0. `FAILED` while a newer PRIMARY on another task definition appears is the
//!   circuit breaker / alarm rollback: 3 once that PRIMARY completes, 4 if it fails too. `FAILED`
//!   with nothing replacing it → 4 (after a grace period when the service has rollback
//!   configured: ECS starts the rollback deployment a moment after marking ours FAILED). Ours
//!   not PRIMARY any more while still `IN_PROGRESS` → superseded, 6.
//!
//! ECS-native BLUE_GREEN / LINEAR / CANARY deployments (§6.4) are service deployments with a
//! `lifecycleStage`, traffic weights per revision and `lifecycleHookDetails`: the verdict is the
//! same, and the stage-aware goals (`stage:<STAGE>`, `paused`) are decided here too — stages
//! compared by the fixed order of [`crate::model::stages`], never while rolling back.
//!
//! After success the PRIMARY deployment must run the task definition we deployed (ecspresso's
//! "confirm PRIMARY", ecspresso.md §5.1): anything else means ECS put another one back.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::exit::ExitStatus;
use crate::model::stages;

/// In fallback mode, how long a FAILED PRIMARY may wait for ECS to start the rollback
/// deployment (when the service has circuit-breaker or alarm rollback configured) before we
/// call it "failed, not rolled back".
pub const ROLLBACK_GRACE: Duration = Duration::from_secs(30);

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn int_of(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// A timestamp as the SDK codec writes it (epoch seconds) or as the AWS CLI prints it
/// (RFC 3339), in epoch seconds.
pub fn timestamp(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => humantime::parse_rfc3339_weak(s.trim_end_matches('Z'))
            .ok()
            .or_else(|| humantime::parse_rfc3339(s).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64()),
        _ => None,
    }
}

/// `family:revision` of a task definition ARN (or the reference unchanged).
pub fn task_definition_name(reference: &str) -> &str {
    reference
        .rsplit_once(":task-definition/")
        .map_or(reference, |(_, name)| name)
}

/// One `deployments[]` entry of DescribeServices (ECS controller only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentLine {
    /// `ecs-svc/...`.
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    /// Task definition ARN.
    pub task_definition: String,
    /// desiredCount.
    pub desired: i64,
    /// pendingCount.
    pub pending: i64,
    /// runningCount.
    pub running: i64,
    /// failedTasks (consecutive failures; a healthy task resets it).
    pub failed_tasks: i64,
    /// IN_PROGRESS, COMPLETED or FAILED; absent behind a Classic Load Balancer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// createdAt (epoch seconds).
    #[serde(skip)]
    pub created_at: Option<f64>,
}

impl DeploymentLine {
    /// From a `deployments[]` entry.
    pub fn from_json(v: &Value) -> Self {
        DeploymentLine {
            id: str_of(v, "id").unwrap_or_default(),
            status: str_of(v, "status").unwrap_or_default(),
            task_definition: str_of(v, "taskDefinition").unwrap_or_default(),
            desired: int_of(v, "desiredCount"),
            pending: int_of(v, "pendingCount"),
            running: int_of(v, "runningCount"),
            failed_tasks: int_of(v, "failedTasks"),
            rollout_state: str_of(v, "rolloutState"),
            rollout_state_reason: str_of(v, "rolloutStateReason"),
            created_at: timestamp(v.get("createdAt")),
        }
    }

    fn rollout(&self) -> Option<&str> {
        self.rollout_state.as_deref()
    }
}

/// One `events[]` entry of DescribeServices.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceEventEntry {
    /// Event id (what deduplication keys on).
    pub id: String,
    /// createdAt (epoch seconds).
    pub created_at: f64,
    /// The message.
    pub message: String,
}

/// What the watcher reads from DescribeServices.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceSnapshot {
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: String,
    /// desiredCount.
    pub desired: i64,
    /// runningCount.
    pub running: i64,
    /// pendingCount.
    pub pending: i64,
    /// The service's task definition.
    pub task_definition: String,
    /// `deployments[]`, as returned (PRIMARY first).
    pub deployments: Vec<DeploymentLine>,
    /// `currentServiceDeployment` ARN.
    pub current_service_deployment: Option<String>,
    /// `events[]`, as returned (newest first).
    pub events: Vec<ServiceEventEntry>,
    /// The circuit breaker or the alarms are set to roll back a failed deployment.
    pub rollback_configured: bool,
    /// `deploymentController.type` (ECS when unset).
    pub controller: String,
    /// `deploymentConfiguration.strategy` (ROLLING when unset).
    pub strategy: String,
}

impl ServiceSnapshot {
    /// From a DescribeServices `services[]` entry.
    pub fn from_json(v: &Value) -> Self {
        let dc = v.get("deploymentConfiguration");
        let rolls_back = |key: &str| {
            dc.and_then(|d| d.get(key)).is_some_and(|x| {
                x.get("enable").and_then(Value::as_bool) == Some(true)
                    && x.get("rollback").and_then(Value::as_bool) == Some(true)
            })
        };
        ServiceSnapshot {
            status: str_of(v, "status").unwrap_or_default(),
            desired: int_of(v, "desiredCount"),
            running: int_of(v, "runningCount"),
            pending: int_of(v, "pendingCount"),
            task_definition: str_of(v, "taskDefinition").unwrap_or_default(),
            deployments: v
                .get("deployments")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(DeploymentLine::from_json).collect())
                .unwrap_or_default(),
            current_service_deployment: str_of(v, "currentServiceDeployment"),
            events: v
                .get("events")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|e| ServiceEventEntry {
                            id: str_of(e, "id").unwrap_or_default(),
                            created_at: timestamp(e.get("createdAt")).unwrap_or(0.0),
                            message: str_of(e, "message").unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            rollback_configured: rolls_back("deploymentCircuitBreaker") || rolls_back("alarms"),
            controller: v
                .pointer("/deploymentController/type")
                .and_then(Value::as_str)
                .unwrap_or("ECS")
                .to_owned(),
            strategy: dc
                .and_then(|d| d.get("strategy"))
                .and_then(Value::as_str)
                .unwrap_or("ROLLING")
                .to_owned(),
        }
    }

    /// The PRIMARY deployment.
    pub fn primary(&self) -> Option<&DeploymentLine> {
        self.deployments.iter().find(|d| d.status == "PRIMARY")
    }

    /// A deployment by id.
    pub fn deployment(&self, id: &str) -> Option<&DeploymentLine> {
        self.deployments.iter().find(|d| d.id == id)
    }

    /// The deployment created closest to `created_at` (within `window` seconds): how a service
    /// deployment is matched to its `deployments[]` entry, since neither API names the other
    /// (both are created by the same UpdateService/CreateService call).
    pub fn deployment_created_near(&self, created_at: f64, window: f64) -> Option<&DeploymentLine> {
        self.deployments
            .iter()
            .filter_map(|d| d.created_at.map(|c| ((c - created_at).abs(), d)))
            .filter(|(gap, _)| *gap <= window)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, d)| d)
    }

    /// Events not in `seen` and created at or after `since`, oldest first.
    pub fn new_events<'a>(
        &'a self,
        seen: &std::collections::HashSet<String>,
        since: Option<f64>,
    ) -> Vec<&'a ServiceEventEntry> {
        // ECS lists newest first; reversed, a stable sort keeps same-second events in order.
        let mut out: Vec<&ServiceEventEntry> = self
            .events
            .iter()
            .rev()
            .filter(|e| !seen.contains(&e.id))
            .filter(|e| since.is_none_or(|s| e.created_at >= s))
            .collect();
        out.sort_by(|a, b| a.created_at.total_cmp(&b.created_at));
        out
    }
}

/// `deploymentCircuitBreaker` of a service deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CircuitBreaker {
    /// MONITORING, TRIGGERED, DISABLED.
    pub status: String,
    /// Failed tasks counted so far.
    pub failure_count: i64,
    /// Failures that trip it.
    pub threshold: i64,
}

/// `alarms` of a service deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarms {
    /// MONITORING, TRIGGERED, MONITORING_COMPLETE, DISABLED.
    pub status: String,
    /// The alarms in ALARM that failed the deployment.
    pub triggered: Vec<String>,
}

/// What the watcher reads from DescribeServiceDeployments (or a ListServiceDeployments brief).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceDeploymentSnapshot {
    /// The ARN.
    pub arn: String,
    /// PENDING, IN_PROGRESS, ... (see the module docs).
    pub status: String,
    /// statusReason.
    pub status_reason: Option<String>,
    /// createdAt (epoch seconds).
    pub created_at: Option<f64>,
    /// targetServiceRevision.arn (or targetServiceRevisionArn of a brief).
    pub target_revision: Option<String>,
    /// targetServiceRevision `(requested, running, pending)` task counts.
    pub target_counts: Option<(i64, i64, i64)>,
    /// rollback.reason.
    pub rollback_reason: Option<String>,
    /// deploymentCircuitBreaker.
    pub circuit_breaker: Option<CircuitBreaker>,
    /// alarms.
    pub alarms: Option<Alarms>,
    /// lifecycleStage (native blue/green, linear, canary).
    pub lifecycle_stage: Option<String>,
    /// targetServiceRevision with its traffic weights (DescribeServiceDeployments only).
    pub target: Option<RevisionSummary>,
    /// sourceServiceRevisions[].
    pub sources: Vec<RevisionSummary>,
    /// lifecycleHookDetails[].
    pub hooks: Vec<HookDetail>,
    /// deploymentConfiguration (strategy, bake times).
    pub config: Option<StrategyConfig>,
}

impl ServiceDeploymentSnapshot {
    /// From a DescribeServiceDeployments entry or a ListServiceDeployments brief.
    pub fn from_json(v: &Value) -> Self {
        let target = v.get("targetServiceRevision");
        ServiceDeploymentSnapshot {
            arn: str_of(v, "serviceDeploymentArn").unwrap_or_default(),
            status: str_of(v, "status").unwrap_or_default(),
            status_reason: str_of(v, "statusReason"),
            created_at: timestamp(v.get("createdAt")),
            target_revision: target
                .and_then(|t| str_of(t, "arn"))
                .or_else(|| str_of(v, "targetServiceRevisionArn")),
            target_counts: target.map(|t| {
                (
                    int_of(t, "requestedTaskCount"),
                    int_of(t, "runningTaskCount"),
                    int_of(t, "pendingTaskCount"),
                )
            }),
            rollback_reason: v.get("rollback").and_then(|r| str_of(r, "reason")),
            circuit_breaker: v.get("deploymentCircuitBreaker").map(|c| CircuitBreaker {
                status: str_of(c, "status").unwrap_or_default(),
                failure_count: int_of(c, "failureCount"),
                threshold: int_of(c, "threshold"),
            }),
            alarms: v.get("alarms").map(|a| Alarms {
                status: str_of(a, "status").unwrap_or_default(),
                triggered: a
                    .get("triggeredAlarmNames")
                    .and_then(Value::as_array)
                    .map(|n| {
                        n.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
            lifecycle_stage: str_of(v, "lifecycleStage"),
            target: target.map(RevisionSummary::from_json),
            sources: v
                .get("sourceServiceRevisions")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(RevisionSummary::from_json).collect())
                .unwrap_or_default(),
            hooks: v
                .get("lifecycleHookDetails")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(HookDetail::from_json).collect())
                .unwrap_or_default(),
            config: v
                .get("deploymentConfiguration")
                .filter(|c| c.is_object())
                .map(StrategyConfig::from_json),
        }
    }

    /// Whether the status is final (ecs-platform-and-peers.md §6.5).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.status.as_str(),
            "SUCCESSFUL" | "STOPPED" | "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED"
        )
    }
}

// ---- ECS-native BLUE_GREEN / LINEAR / CANARY (ecs-platform-and-peers.md §6.4) ---------------

/// The strategies whose deployments move through lifecycle stages and can run lifecycle
/// hooks (ROLLING, CODE_DEPLOY and EXTERNAL deployments have neither).
pub const STAGED_STRATEGIES: [&str; 3] = ["BLUE_GREEN", "LINEAR", "CANARY"];

/// Whether `strategy` is one of [`STAGED_STRATEGIES`].
pub fn is_staged(strategy: &str) -> bool {
    STAGED_STRATEGIES.contains(&strategy)
}

/// A percentage as people write it: `30`, `2.5`.
pub fn percent(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.1}")
    }
}

/// `expiresAt` and other timestamps, as RFC 3339 (seconds).
pub fn rfc3339(epoch: f64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::try_from_secs_f64(epoch.max(0.0)).unwrap_or_default();
    humantime::format_rfc3339_seconds(t).to_string()
}

/// `targetServiceRevision` / `sourceServiceRevisions[]` of a service deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionSummary {
    /// The service revision ARN.
    pub arn: String,
    /// requestedTaskCount.
    pub requested: i64,
    /// runningTaskCount.
    pub running: i64,
    /// pendingTaskCount.
    pub pending: i64,
    /// requestedTestTrafficWeight (0–100; native strategies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_weight: Option<f64>,
    /// requestedProductionTrafficWeight (0–100; native strategies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_weight: Option<f64>,
}

impl RevisionSummary {
    /// From a revision summary object.
    pub fn from_json(v: &Value) -> Self {
        RevisionSummary {
            arn: str_of(v, "arn").unwrap_or_default(),
            requested: int_of(v, "requestedTaskCount"),
            running: int_of(v, "runningTaskCount"),
            pending: int_of(v, "pendingTaskCount"),
            test_weight: v.get("requestedTestTrafficWeight").and_then(Value::as_f64),
            production_weight: v
                .get("requestedProductionTrafficWeight")
                .and_then(Value::as_f64),
        }
    }
}

/// One `lifecycleHookDetails[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookDetail {
    /// The id ContinueServiceDeployment takes.
    pub hook_id: String,
    /// AWS_LAMBDA or PAUSE.
    pub target_type: String,
    /// The Lambda function (AWS_LAMBDA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_arn: Option<String>,
    /// AWAITING_ACTION, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT.
    pub status: String,
    /// When the hook times out (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// What happens then: ROLLBACK or CONTINUE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_action: Option<String>,
    /// The stage the hook belongs to, when the API names it (the 2025 API does not; the
    /// deployment's `lifecycleStage` stands in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

impl HookDetail {
    /// From a `lifecycleHookDetails[]` entry.
    pub fn from_json(v: &Value) -> Self {
        HookDetail {
            hook_id: str_of(v, "hookId").unwrap_or_default(),
            target_type: str_of(v, "targetType").unwrap_or_else(|| "AWS_LAMBDA".into()),
            target_arn: str_of(v, "targetArn"),
            status: str_of(v, "status").unwrap_or_default(),
            expires_at: timestamp(v.get("expiresAt")).map(rfc3339),
            timeout_action: str_of(v, "timeoutAction"),
            stage: str_of(v, "lifecycleStage").or_else(|| str_of(v, "stage")),
        }
    }

    /// A PAUSE hook waiting for ContinueServiceDeployment.
    pub fn is_awaiting_pause(&self) -> bool {
        self.target_type == "PAUSE" && self.status == "AWAITING_ACTION"
    }
}

/// The strategy part of a service deployment's `deploymentConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyConfig {
    /// ROLLING, BLUE_GREEN, LINEAR, CANARY.
    pub strategy: String,
    /// bakeTimeInMinutes (after the last production shift).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bake_time_minutes: Option<f64>,
    /// linearConfiguration.stepPercent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linear_step_percent: Option<f64>,
    /// linearConfiguration.stepBakeTimeInMinutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linear_step_bake_minutes: Option<f64>,
    /// canaryConfiguration.canaryPercent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_percent: Option<f64>,
    /// canaryConfiguration.canaryBakeTimeInMinutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_bake_minutes: Option<f64>,
}

impl StrategyConfig {
    /// From a `deploymentConfiguration` object.
    pub fn from_json(v: &Value) -> Self {
        let f = |path: &str| v.pointer(path).and_then(Value::as_f64);
        StrategyConfig {
            strategy: str_of(v, "strategy").unwrap_or_else(|| "ROLLING".into()),
            bake_time_minutes: f("/bakeTimeInMinutes"),
            linear_step_percent: f("/linearConfiguration/stepPercent"),
            linear_step_bake_minutes: f("/linearConfiguration/stepBakeTimeInMinutes"),
            canary_percent: f("/canaryConfiguration/canaryPercent"),
            canary_bake_minutes: f("/canaryConfiguration/canaryBakeTimeInMinutes"),
        }
    }
}

/// The stages a deployment reports (`lifecycleStage`): [`stages::ECS_STAGES`] without the
/// hook-only PRE_PRODUCTION_TRAFFIC_SHIFT, which the response enum lacks (§6.4). "N/M" counts
/// these ten: every native strategy visits all of them except RECONCILE_SERVICE (only with
/// more than one source revision), so one fixed M reads the same for every deployment.
fn reported_stages() -> impl Iterator<Item = &'static str> {
    stages::ECS_STAGES
        .iter()
        .copied()
        .filter(|s| *s != "PRE_PRODUCTION_TRAFFIC_SHIFT")
}

/// `(N, M)` of a reported stage: its 1-based position among the ten reported stages.
pub fn stage_position(stage: &str) -> Option<(usize, usize)> {
    let pos = reported_stages().position(|s| s == stage)?;
    Some((pos + 1, reported_stages().count()))
}

/// Why `--wait-until stage:`/`paused` cannot work on this service (`Err`), from its
/// deployment controller and strategy. `what` is the flag as given.
pub fn check_staged_wait(what: &str, controller: &str, strategy: &str) -> Result<(), String> {
    if controller == "ECS" && is_staged(strategy) {
        return Ok(());
    }
    let has = if controller == "ECS" {
        format!("the {strategy} strategy")
    } else {
        format!("the {controller} deployment controller")
    };
    let codedeploy = if controller == "CODE_DEPLOY" {
        "; for CodeDeploy wait for a lifecycle event with --wait-until codedeploy:<Event>"
    } else {
        ""
    };
    Err(format!(
        "--wait-until {what}: the service uses {has}, which has no lifecycle stages or hooks; \
         only ECS-controller services with deploymentConfiguration.strategy BLUE_GREEN, LINEAR \
         or CANARY have them{codedeploy}"
    ))
}

/// Why `--wait-until codedeploy:<Event>` cannot work on an ECS-controller service.
pub fn check_codedeploy_wait(what: &str, controller: &str, strategy: &str) -> Result<(), String> {
    if controller == "CODE_DEPLOY" {
        return Ok(());
    }
    let alternative = if controller == "ECS" && is_staged(strategy) {
        format!(
            " (this {strategy} service has ECS lifecycle stages: use --wait-until stage:<STAGE> or paused)"
        )
    } else {
        String::new()
    };
    Err(format!(
        "--wait-until {what}: the service uses the {controller} deployment controller; CodeDeploy \
         lifecycle events exist only for CODE_DEPLOY services{alternative}"
    ))
}

/// The PAUSE hook of `sd` that awaits ContinueServiceDeployment, if any (only while the
/// deployment is IN_PROGRESS: ContinueServiceDeployment is refused otherwise).
pub fn awaiting_pause(sd: &ServiceDeploymentSnapshot) -> Option<&HookDetail> {
    if sd.status != "IN_PROGRESS" {
        return None;
    }
    sd.hooks.iter().find(|h| h.is_awaiting_pause())
}

/// The stage a hook waits in: its own when the API says, else the deployment's.
pub fn hook_stage(sd: &ServiceDeploymentSnapshot, hook: &HookDetail) -> String {
    hook.stage
        .clone()
        .or_else(|| sd.lifecycle_stage.clone())
        .unwrap_or_else(|| "an unknown stage".into())
}

/// `--wait-until stage:<target>`: the deployment is IN_PROGRESS at or past `target` (stages
/// compared by [`stages::ECS_STAGES`] order). SUCCESSFUL goes through the normal verdict, and
/// a rolling-back deployment has not reached anything: `ROLLBACK_*` statuses never count.
pub fn stage_reached(sd: &ServiceDeploymentSnapshot, target: &str) -> bool {
    sd.status == "IN_PROGRESS"
        && sd
            .lifecycle_stage
            .as_deref()
            .is_some_and(|s| stages::ecs_stage_reached(s, target))
}

/// For `continue`: why there is nothing to continue (no PAUSE hook AWAITING_ACTION), naming
/// the status, stage and hooks seen.
pub fn nothing_to_continue(sd: &ServiceDeploymentSnapshot) -> String {
    let stage = sd
        .lifecycle_stage
        .as_deref()
        .map(|s| format!(" at stage {s}"))
        .unwrap_or_default();
    let hooks = if sd.hooks.is_empty() {
        "no lifecycle hooks".to_owned()
    } else {
        let list: Vec<String> = sd
            .hooks
            .iter()
            .map(|h| format!("{} {} {}", h.target_type, h.hook_id, h.status))
            .collect();
        format!("hooks: {}", list.join(", "))
    };
    format!(
        "service deployment {} is {}{stage} with {hooks}; no PAUSE hook is AWAITING_ACTION",
        sd.arn.rsplit('/').next().unwrap_or(&sd.arn),
        sd.status
    )
}

/// The bake countdown: `bakeTimeInMinutes` minus how long the watcher has seen BAKE_TIME
/// (neither AWS nor the simulator report when a stage started), in whole minutes rounded up
/// (so it changes once a minute, not on every poll). None outside BAKE_TIME.
pub fn bake_remaining_minutes(
    sd: &ServiceDeploymentSnapshot,
    seen_for: Option<Duration>,
) -> Option<u64> {
    if sd.lifecycle_stage.as_deref() != Some("BAKE_TIME") || sd.status != "IN_PROGRESS" {
        return None;
    }
    let bake = sd.config.as_ref()?.bake_time_minutes? * 60.0;
    let left = (bake - seen_for?.as_secs_f64()).max(0.0);
    Some((left / 60.0).ceil() as u64)
}

/// The length of BAKE_TIME (`bakeTimeInMinutes`) while the deployment is in it, for the poll
/// cadence: the deployment moves on when it ends. None outside BAKE_TIME or when unknown.
pub fn bake_time(sd: &ServiceDeploymentSnapshot) -> Option<Duration> {
    if sd.lifecycle_stage.as_deref() != Some("BAKE_TIME") || sd.status != "IN_PROGRESS" {
        return None;
    }
    Duration::try_from_secs_f64(sd.config.as_ref()?.bake_time_minutes? * 60.0).ok()
}

/// The verdict of this service deployment can come at any moment, and nothing says when
/// (the poll cadence stays fast): a short-lived status (PENDING, ROLLBACK_REQUESTED,
/// STOP_REQUESTED), the CLEAN_UP stage, a BAKE_TIME of unknown length, or — rolling — the
/// target revision at its requested count and no source revision task running: what is left is
/// draining the old tasks (the target group's deregistration delay) or an alarm bake, after
/// which ECS marks the deployment done (ecs-platform-and-peers.md §6.3, §6.5). New tasks that
/// run but are not healthy yet do not count: health checks can take minutes, and the old tasks
/// stopping afterwards is a visible change the cadence reacts to anyway.
pub fn finish_imminent(sd: &ServiceDeploymentSnapshot) -> bool {
    match sd.status.as_str() {
        "PENDING" | "ROLLBACK_REQUESTED" | "STOP_REQUESTED" => true,
        "IN_PROGRESS" | "ROLLBACK_IN_PROGRESS" => match sd.lifecycle_stage.as_deref() {
            Some("CLEAN_UP") => true,
            Some("BAKE_TIME") => sd
                .config
                .as_ref()
                .and_then(|c| c.bake_time_minutes)
                .is_none(),
            Some(_) => false,
            None => {
                sd.target.as_ref().is_some_and(|t| t.running >= t.requested)
                    && sd.sources.iter().all(|s| s.running == 0)
            }
        },
        _ => false,
    }
}

/// When the old tasks began draining (epoch seconds): the newest service event "(service x)
/// has begun draining connections on N tasks." created at or after `since` (our deployment's
/// creation). ECS writes it when it deregisters the old tasks from their target groups; the
/// deployment completes about one deregistration delay later.
pub fn drain_started_at(svc: &ServiceSnapshot, since: Option<f64>) -> Option<f64> {
    svc.events
        .iter()
        .filter(|e| e.message.contains("has begun draining connections"))
        .filter(|e| since.is_none_or(|s| e.created_at >= s))
        .map(|e| e.created_at)
        .reduce(f64::max)
}

/// `deployments[]` view of the same (fallback tracking, `--wait-until stable`): the deployment
/// followed (else the PRIMARY) runs its desired count.
pub fn lines_imminent(svc: &ServiceSnapshot, id: Option<&str>) -> bool {
    let line = id
        .and_then(|id| svc.deployment(id))
        .or_else(|| svc.primary());
    line.is_some_and(|l| l.running >= l.desired)
}

/// How a watched deployment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Our deployment completed.
    Succeeded,
    /// It failed and ECS rolled the service back.
    RolledBack,
    /// It was stopped (or failed) and nothing rolled it back.
    Stopped,
    /// It failed and the rollback failed too.
    RollbackFailed,
    /// A newer deployment replaced it before it finished.
    Superseded,
    /// We stopped waiting; it goes on.
    TimedOut,
    /// Ctrl-C; it goes on.
    Interrupted,
    /// A command that does not watch a deployment (`diff`, `status`, `deploy --no-wait`, no new
    /// deployment, `--dry-run`, ...) did what was asked (exit 0). Only in closing verdicts
    /// ([`closing_verdict`]), never from a watch.
    Completed,
    /// A command that does not watch finished with a negative result that is not an error
    /// (exit 1: `diff --exit-code` found changes). Only in closing verdicts.
    Negative,
    /// The command failed with an error (exit 2); the `error` record before the verdict says
    /// why. Only in closing verdicts.
    Error,
}

impl Outcome {
    /// The process exit status for this outcome.
    pub fn exit_status(self) -> ExitStatus {
        match self {
            Outcome::Succeeded => ExitStatus::Success,
            Outcome::RolledBack => ExitStatus::RolledBack,
            Outcome::Stopped | Outcome::RollbackFailed => ExitStatus::FailedNotRolledBack,
            Outcome::Superseded => ExitStatus::Superseded,
            Outcome::TimedOut => ExitStatus::TimedOut,
            Outcome::Interrupted => ExitStatus::Interrupted,
            Outcome::Completed => ExitStatus::Success,
            Outcome::Negative => ExitStatus::Negative,
            Outcome::Error => ExitStatus::Error,
        }
    }
}

/// Where a deployment stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Assessment {
    /// Still moving; the string says how (for humans).
    Running(String),
    /// Finished.
    Finished {
        /// How.
        outcome: Outcome,
        /// Why, from ECS (status reason, rollout reason) or from us.
        reason: String,
    },
}

fn finished(outcome: Outcome, reason: impl Into<String>) -> Assessment {
    Assessment::Finished {
        outcome,
        reason: reason.into(),
    }
}

/// The verdict of a service deployment. `current` is the service's `currentServiceDeployment`
/// (None when unknown): a STOPPED deployment that is no longer current was superseded.
pub fn assess_service_deployment(
    sd: &ServiceDeploymentSnapshot,
    current: Option<&str>,
) -> Assessment {
    let reason = |default: &str| {
        sd.status_reason
            .clone()
            .unwrap_or_else(|| default.to_owned())
    };
    match sd.status.as_str() {
        "SUCCESSFUL" => finished(Outcome::Succeeded, reason("")),
        "ROLLBACK_SUCCESSFUL" => finished(
            Outcome::RolledBack,
            sd.rollback_reason
                .clone()
                .or_else(|| sd.status_reason.clone())
                .unwrap_or_else(|| "service deployment ROLLBACK_SUCCESSFUL".into()),
        ),
        "ROLLBACK_FAILED" => finished(
            Outcome::RollbackFailed,
            reason("service deployment ROLLBACK_FAILED"),
        ),
        "STOPPED" => {
            // AWS stops an unfinished deployment when a newer one starts; the service's
            // currentServiceDeployment then names the newer one.
            let replaced = current.is_some_and(|c| c != sd.arn)
                || sd
                    .status_reason
                    .as_deref()
                    .is_some_and(|r| r.to_ascii_lowercase().contains("superseded"));
            if replaced {
                // Say which deployment took over (AWS's status reason may not name it).
                let mut why = reason("a newer service deployment replaced it");
                if let Some(c) = current.filter(|c| *c != sd.arn && !why.contains(*c)) {
                    why = format!("{why}; service deployment {c} took over");
                }
                finished(Outcome::Superseded, why)
            } else {
                finished(Outcome::Stopped, reason("service deployment STOPPED"))
            }
        }
        "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS" => Assessment::Running(format!(
            "rolling back{}",
            sd.rollback_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )),
        "" => Assessment::Running("waiting for the service deployment".into()),
        other => Assessment::Running(other.to_owned()),
    }
}

/// The verdict of our deployment from `deployments[]` alone (fallback mode).
///
/// `last_seen` is how our deployment looked the last time it was listed (ECS drops a drained
/// deployment from the list); `failed_for` is how long it has been FAILED as PRIMARY with
/// nothing replacing it.
pub fn assess_deployments(
    svc: &ServiceSnapshot,
    our_id: &str,
    last_seen: Option<&DeploymentLine>,
    failed_for: Duration,
) -> Assessment {
    let Some(ours) = svc.deployment(our_id).or(last_seen) else {
        return finished(
            Outcome::Stopped,
            format!("deployment {our_id} is not among the service's deployments"),
        );
    };
    let primary = svc.primary();
    let ours_primary = primary.is_some_and(|p| p.id == our_id);
    let reason = |default: &str| {
        ours.rollout_state_reason
            .clone()
            .unwrap_or_else(|| default.to_owned())
    };
    if ours_primary {
        return match ours.rollout() {
            Some("COMPLETED") => finished(Outcome::Succeeded, ""),
            Some("FAILED") if svc.rollback_configured && failed_for < ROLLBACK_GRACE => {
                Assessment::Running(format!(
                    "failed, waiting for ECS to roll back: {}",
                    reason("deployment failed")
                ))
            }
            Some("FAILED") => finished(Outcome::Stopped, reason("deployment failed")),
            // Behind a Classic Load Balancer ECS returns no rolloutState (§6.1): steady
            // means done.
            None if svc.deployments.len() == 1 && ours.running == ours.desired => {
                finished(Outcome::Succeeded, "the service runs only this deployment")
            }
            Some(s) => Assessment::Running(s.to_owned()),
            None => Assessment::Running("IN_PROGRESS".into()),
        };
    }
    // Ours vanished (or stopped) unseen as FAILED and an *older* deployment of another task
    // definition is PRIMARY again: that is a rollback to it (the circuit breaker or an alarm
    // acted between two polls and ECS dropped our drained deployment), not a newer
    // deployment superseding ours.
    let back_on_older = primary.filter(|p| {
        p.created_at
            .zip(ours.created_at)
            .is_some_and(|(theirs, mine)| theirs < mine)
            && task_definition_name(&p.task_definition)
                != task_definition_name(&ours.task_definition)
    });
    if !matches!(ours.rollout(), Some("COMPLETED" | "FAILED"))
        && let Some(p) = back_on_older
    {
        let back_to = task_definition_name(&p.task_definition);
        let why = format!(
            "deployment {our_id} is gone and the service is back on the earlier deployment {} ({back_to})",
            p.id
        );
        return match p.rollout() {
            Some("FAILED") => finished(
                Outcome::RollbackFailed,
                format!(
                    "{why}; the rollback failed too: {}",
                    p.rollout_state_reason.as_deref().unwrap_or("FAILED")
                ),
            ),
            Some("COMPLETED") | None => {
                finished(Outcome::RolledBack, format!("{why}: rolled back"))
            }
            _ => Assessment::Running(format!("rolling back to {back_to}")),
        };
    }
    match ours.rollout() {
        Some("COMPLETED") => finished(Outcome::Succeeded, ""),
        Some("FAILED") => {
            let Some(p) = primary else {
                return finished(Outcome::Stopped, reason("deployment failed"));
            };
            if task_definition_name(&p.task_definition)
                == task_definition_name(&ours.task_definition)
            {
                return finished(
                    Outcome::Superseded,
                    format!(
                        "deployment {} of the same task definition replaced it",
                        p.id
                    ),
                );
            }
            let back_to = task_definition_name(&p.task_definition);
            match p.rollout() {
                Some("COMPLETED") => finished(
                    Outcome::RolledBack,
                    format!("{} (rolled back to {back_to})", reason("deployment failed")),
                ),
                Some("FAILED") => finished(
                    Outcome::RollbackFailed,
                    format!(
                        "{}; the rollback to {back_to} failed too: {}",
                        reason("deployment failed"),
                        p.rollout_state_reason.as_deref().unwrap_or("FAILED")
                    ),
                ),
                _ => Assessment::Running(format!("rolling back to {back_to}")),
            }
        }
        _ => {
            let by = primary
                .map(|p| {
                    format!(
                        "deployment {} ({})",
                        p.id,
                        task_definition_name(&p.task_definition)
                    )
                })
                .unwrap_or_else(|| "another deployment".into());
            finished(Outcome::Superseded, format!("{by} replaced it"))
        }
    }
}

/// `--wait-until stable`: the AWS ServicesStable waiter's rule (one deployment, running ==
/// desired), on an ACTIVE service.
pub fn is_stable(svc: &ServiceSnapshot) -> bool {
    svc.status == "ACTIVE" && svc.deployments.len() <= 1 && svc.running == svc.desired
}

/// After success: the PRIMARY deployment must run `task_definition` (compared as
/// `family:revision`). `Err` says what runs instead.
pub fn confirm_primary(svc: &ServiceSnapshot, task_definition: &str) -> Result<(), String> {
    let running = svc
        .primary()
        .map(|p| p.task_definition.as_str())
        .unwrap_or(svc.task_definition.as_str());
    if task_definition_name(running) == task_definition_name(task_definition) {
        Ok(())
    } else {
        Err(format!(
            "the PRIMARY deployment runs {}, not {}",
            task_definition_name(running),
            task_definition_name(task_definition)
        ))
    }
}

/// The one line that describes progress; emitted when it changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressReport {
    /// Service deployment status, else our deployment's rolloutState.
    pub status: String,
    /// Our deployment's rolloutState.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Our deployment's rolloutStateReason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// The task definition the counts below are about: our deployment's while it is PRIMARY,
    /// else the PRIMARY's (a rollback, or the deployment that replaced ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<String>,
    /// Running tasks (of `task_definition`'s deployment).
    pub running: i64,
    /// Pending tasks.
    pub pending: i64,
    /// Desired tasks.
    pub desired: i64,
    /// Consecutive failed tasks of our deployment.
    pub failed_tasks: i64,
    /// The circuit breaker's view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<CircuitBreaker>,
    /// The alarms' view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<Alarms>,
    /// Native strategies: the lifecycle stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    /// Our deployment's id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// Every deployment of the service.
    pub deployments: Vec<DeploymentLine>,
    /// Native strategies: BLUE_GREEN, LINEAR or CANARY.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// Native strategies: the stage's position, `N/M` ([`stage_position`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_position: Option<String>,
    /// Native strategies: the target (green) revision with its traffic weights.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<RevisionSummary>,
    /// Native strategies: the source (blue) revisions with their traffic weights.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_revisions: Vec<RevisionSummary>,
    /// Lifecycle hooks and their statuses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookDetail>,
    /// BAKE_TIME: about this many minutes left ([`bake_remaining_minutes`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bake_remaining_minutes: Option<u64>,
}

impl ProgressReport {
    /// One line: `IN_PROGRESS 1/2 running, 1 pending, 2 failed · circuit breaker 2/3 ...`;
    /// for native strategies `IN_PROGRESS web:5 stage 7/10 PRODUCTION_TRAFFIC_SHIFT · green
    /// 30% prod / 100% test · 4/4 running · hook abc AWAITING_ACTION`.
    pub fn summary(&self) -> String {
        let r = self;
        let mut s = r.status.clone();
        if let Some(td) = &r.task_definition {
            s.push_str(&format!(" {}", task_definition_name(td)));
        }
        let native = r.strategy.as_deref().is_some_and(is_staged);
        if native {
            if let Some(stage) = &r.lifecycle_stage {
                match &r.stage_position {
                    Some(pos) => s.push_str(&format!(" stage {pos} {stage}")),
                    None => s.push_str(&format!(" stage {stage}")),
                }
            }
            if let Some(t) = &r.target_revision
                && let (Some(p), Some(tt)) = (t.production_weight, t.test_weight)
            {
                s.push_str(&format!(
                    " · green {}% prod / {}% test",
                    percent(p),
                    percent(tt)
                ));
            }
            s.push_str(" ·");
        }
        s.push_str(&format!(" {}/{} running", r.running, r.desired));
        if r.pending > 0 {
            s.push_str(&format!(", {} pending", r.pending));
        }
        if r.failed_tasks > 0 {
            s.push_str(&format!(", {} failed", r.failed_tasks));
        }
        if let Some(cb) = &r.circuit_breaker
            && (cb.failure_count > 0 || cb.status == "TRIGGERED")
        {
            s.push_str(&format!(
                " · circuit breaker {}/{} {}",
                cb.failure_count, cb.threshold, cb.status
            ));
        }
        if let Some(a) = &r.alarms
            && !a.triggered.is_empty()
        {
            s.push_str(&format!(" · alarm(s) in ALARM: {}", a.triggered.join(", ")));
        }
        if native {
            if let Some(m) = r.bake_remaining_minutes {
                s.push_str(&format!(" · bake ≈{m} min left"));
            }
            for h in &r.hooks {
                s.push_str(&format!(" · hook {} {}", h.hook_id, h.status));
            }
        } else if let Some(stage) = &r.lifecycle_stage {
            s.push_str(&format!(" · stage {stage}"));
        }
        s
    }
}

/// The progress report for our deployment (`our_id`; `last_seen` is how it looked when it was
/// last listed, since ECS drops a drained deployment) and service deployment (`sd`).
pub fn progress_report(
    svc: &ServiceSnapshot,
    our_id: Option<&str>,
    last_seen: Option<&DeploymentLine>,
    sd: Option<&ServiceDeploymentSnapshot>,
) -> ProgressReport {
    let ours = our_id.and_then(|id| svc.deployment(id).or(last_seen.filter(|l| l.id == id)));
    let rolling = match (ours, svc.primary()) {
        (Some(o), _) if o.status == "PRIMARY" => Some(o),
        (_, Some(p)) => Some(p),
        (o, None) => o,
    };
    let (desired, running, pending) = match (rolling, sd.and_then(|s| s.target_counts)) {
        (Some(d), _) => (d.desired, d.running, d.pending),
        (None, Some(c)) => c,
        (None, None) => (svc.desired, svc.running, svc.pending),
    };
    let rollout_state = ours.and_then(|d| d.rollout_state.clone());
    // Stage position and traffic weights only mean something for the native strategies.
    let native = sd.filter(|s| s.config.as_ref().is_some_and(|c| is_staged(&c.strategy)));
    ProgressReport {
        status: sd
            .map(|s| s.status.clone())
            .filter(|s| !s.is_empty())
            .or_else(|| rollout_state.clone())
            .unwrap_or_else(|| "UNKNOWN".into()),
        rollout_state,
        rollout_state_reason: ours.and_then(|d| d.rollout_state_reason.clone()),
        task_definition: rolling.map(|d| d.task_definition.clone()),
        running,
        pending,
        desired,
        failed_tasks: ours.map_or(0, |d| d.failed_tasks),
        circuit_breaker: sd.and_then(|s| s.circuit_breaker.clone()),
        alarms: sd.and_then(|s| s.alarms.clone()),
        lifecycle_stage: sd.and_then(|s| s.lifecycle_stage.clone()),
        deployment_id: our_id.map(str::to_owned),
        deployments: svc.deployments.clone(),
        strategy: native
            .and_then(|s| s.config.as_ref())
            .map(|c| c.strategy.clone()),
        stage_position: native
            .and_then(|s| s.lifecycle_stage.as_deref())
            .and_then(stage_position)
            .map(|(n, m)| format!("{n}/{m}")),
        target_revision: native.and_then(|s| s.target.clone()),
        source_revisions: native.map(|s| s.sources.clone()).unwrap_or_default(),
        hooks: sd.map(|s| s.hooks.clone()).unwrap_or_default(),
        bake_remaining_minutes: None,
    }
}

/// One container of a stopped task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerExit {
    /// Container name.
    pub name: String,
    /// Exit code, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Why it stopped (e.g. `CannotPullContainerError: ...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A stopped task of our deployment: what a user needs to fix a failed deploy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoppedTask {
    /// Task ARN.
    pub task_arn: String,
    /// Task definition ARN.
    pub task_definition: String,
    /// `startedBy` (our deployment id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// TaskFailedToStart, EssentialContainerExited, ServiceSchedulerInitiated, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    /// stoppedReason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// Containers with their exit codes and reasons.
    pub containers: Vec<ContainerExit>,
    /// stoppedAt (epoch seconds; for ordering).
    #[serde(skip)]
    pub stopped_at: Option<f64>,
}

impl StoppedTask {
    /// From a DescribeTasks entry.
    pub fn from_json(v: &Value) -> Self {
        StoppedTask {
            task_arn: str_of(v, "taskArn").unwrap_or_default(),
            task_definition: str_of(v, "taskDefinitionArn").unwrap_or_default(),
            started_by: str_of(v, "startedBy"),
            stop_code: str_of(v, "stopCode"),
            stopped_reason: str_of(v, "stoppedReason"),
            containers: v
                .get("containers")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|c| ContainerExit {
                            name: str_of(c, "name").unwrap_or_default(),
                            exit_code: c.get("exitCode").and_then(Value::as_i64),
                            reason: str_of(c, "reason"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            stopped_at: timestamp(v.get("stoppedAt")),
        }
    }

    /// A task ECS stopped to scale in or drain (stoppedReason "Scaling activity initiated by
    /// (deployment ...)"): routine, not a reason the deployment failed.
    pub fn is_routine(&self) -> bool {
        self.stopped_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("Scaling activity initiated by"))
    }
}

/// The end of a watch: exactly one per watch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The exit status (`success`, `rolled_back`, ...).
    pub status: ExitStatus,
    /// How it ended.
    pub outcome: Outcome,
    /// Its numeric exit code.
    pub exit_code: u8,
    /// One line for humans.
    pub message: String,
    /// What to do next, when there is something to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The resume hint: the deployment goes on without us.
pub const RESUME_HINT: &str =
    "the deployment goes on in ECS; run `ecspress wait` to follow it to its verdict";

/// The verdict of a watch that ended early because its goal was met while the deployment
/// goes on: `--wait-until stage:<STAGE>` (`reason` e.g. `reached stage BAKE_TIME`) or
/// `paused` (`paused at POST_TEST_TRAFFIC_SHIFT (hook abc)`). Exit 0; `hint` says what next.
pub fn goal_verdict(what: &str, reason: &str, hint: Option<String>) -> Verdict {
    let status = ExitStatus::Success;
    Verdict {
        status,
        outcome: Outcome::Succeeded,
        exit_code: status.code(),
        message: format!("deployment {what} {reason}; it is still in progress"),
        hint,
    }
}

/// Build the verdict for `outcome`; `what` names the deployment (e.g. `ecs-svc/123 (web:4)`).
pub fn verdict(outcome: Outcome, what: &str, reason: &str) -> Verdict {
    let reason = reason.trim();
    let sep = if reason.is_empty() { "" } else { ": " };
    let (message, hint) = match outcome {
        Outcome::Succeeded => (format!("deployment {what} succeeded{sep}{reason}"), None),
        Outcome::RolledBack => (
            format!("deployment {what} failed and was rolled back{sep}{reason}"),
            Some("the stopped tasks and service events above say why".to_owned()),
        ),
        Outcome::Stopped => (
            format!("deployment {what} failed and was not rolled back{sep}{reason}"),
            Some("the service may run a mix of task definitions; run `ecspress status`".to_owned()),
        ),
        Outcome::RollbackFailed => (
            format!("deployment {what} failed and its rollback failed{sep}{reason}"),
            Some("the service may run a mix of task definitions; run `ecspress status`".to_owned()),
        ),
        Outcome::Superseded => (
            format!("deployment {what} was superseded{sep}{reason}"),
            None,
        ),
        Outcome::TimedOut => (
            format!("timed out waiting for deployment {what}{sep}{reason}"),
            Some(RESUME_HINT.to_owned()),
        ),
        Outcome::Interrupted => (
            format!("interrupted while waiting for deployment {what}"),
            Some(RESUME_HINT.to_owned()),
        ),
        Outcome::Completed => (format!("{what} completed{sep}{reason}"), None),
        Outcome::Negative => (format!("{what}: negative result{sep}{reason}"), None),
        Outcome::Error => (format!("{what} failed{sep}{reason}"), None),
    };
    let status = outcome.exit_status();
    Verdict {
        status,
        outcome,
        exit_code: status.code(),
        message,
        hint,
    }
}

/// The verdict that closes a run which did not end with a watch verdict (JSON Lines contract:
/// every `--output json` stream ends with exactly one `verdict` record carrying the exit code).
/// `message` is the error's top-level message for errors, else a short summary.
pub fn closing_verdict(status: ExitStatus, message: Option<&str>) -> Verdict {
    let outcome = match status {
        ExitStatus::Success => Outcome::Completed,
        ExitStatus::Negative => Outcome::Negative,
        ExitStatus::Error => Outcome::Error,
        ExitStatus::RolledBack => Outcome::RolledBack,
        ExitStatus::FailedNotRolledBack => Outcome::Stopped,
        ExitStatus::TimedOut => Outcome::TimedOut,
        ExitStatus::Superseded => Outcome::Superseded,
        ExitStatus::Interrupted => Outcome::Interrupted,
        // `ecspress run`: a non-zero container exit is a negative result, not an error.
        ExitStatus::TaskExited(_) => Outcome::Negative,
    };
    let message = match (message, outcome) {
        (Some(m), _) => m.to_owned(),
        (None, Outcome::Completed) => "completed".to_owned(),
        (None, Outcome::Negative) => "negative result".to_owned(),
        (None, Outcome::Interrupted) => "interrupted".to_owned(),
        (None, _) => format!("exit {status}"),
    };
    Verdict {
        status,
        outcome,
        exit_code: status.code(),
        message,
        hint: None,
    }
}

#[cfg(test)]
mod tests;
