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
//! After success the PRIMARY deployment must run the task definition we deployed (ecspresso's
//! "confirm PRIMARY", ecspresso.md §5.1): anything else means ECS put another one back.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::exit::ExitStatus;

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
                finished(
                    Outcome::Superseded,
                    reason("a newer service deployment replaced it"),
                )
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
}

impl ProgressReport {
    /// One line: `IN_PROGRESS 1/2 running, 1 pending, 2 failed · circuit breaker 2/3 ...`.
    pub fn summary(&self) -> String {
        let r = self;
        let mut s = r.status.clone();
        if let Some(td) = &r.task_definition {
            s.push_str(&format!(" {}", task_definition_name(td)));
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
        if let Some(stage) = &r.lifecycle_stage {
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

#[cfg(test)]
mod tests;
