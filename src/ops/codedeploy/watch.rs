//! The CodeDeploy watcher: follow one CodeDeploy deployment to a true verdict.
//!
//! Same spirit as [`crate::ops::watch`] (one jittered cadence, backoff on throttling and 5xx,
//! a timeout that is exit 5 with the resume hint, exactly one `verdict` event, an
//! `interrupted` verdict when dropped), over CodeDeploy's own state:
//!
//! - **Poll**: GetDeployment, then GetDeploymentTarget (`cluster:service`) for the lifecycle
//!   events and the task sets' traffic weights — two calls per poll (one while the deployment
//!   is Created/Queued: there is no target yet). ecspresso polls GetDeployment every 15 s and the
//!   target every 10 s in two loops; one loop at `--poll-interval` keeps the order of what is
//!   printed exact.
//! - **Report**: each lifecycle event status change once, in execution order; the status and
//!   the green task set's traffic weight and counts when they change; Ready once (the
//!   `ecspress continue` / `ecspress rollback` commands); the start of the termination wait once.
//! - **Decide** with [`crate::model::codedeploy::assess`]. A failed or stopped deployment that
//!   CodeDeploy rolls back is followed into its rollback deployment (GetDeployment only): the
//!   rollback's success is exit 3, its failure 4. `stable` then waits (DescribeServices only)
//!   for a single PRIMARY task set in STEADY_STATE.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::anyhow;
use tokio::time::Instant;

use crate::aws::AwsError;
use crate::exit::ExitStatus;
use crate::model::cadence::{AdaptiveCadence, Observation};
use crate::model::codedeploy::{
    self as cd, CdAssessment, DeploymentSnapshot, Goal, TargetSnapshot,
};
use crate::model::revision::short_name;
use crate::model::rollout::{self, Outcome, ROLLBACK_GRACE};
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;
use crate::ops::watch::{Cadence, ErrorClass, WatchOptions, classify};
use crate::output::{Event, EventSink};

use super::DeploymentGroup;

/// Adaptive cadence: GetDeployment-only polls in a row at most.
const LIGHT_POLLS: u32 = 2;
/// Adaptive cadence: GetDeploymentTarget is skipped only while polls are this frequent.
const LIGHT_MAX_INTERVAL: Duration = Duration::from_secs(2);

/// Non-transient errors in a row that end the watch (exit 2).
const FATAL_STREAK: u32 = 3;

/// What to watch.
#[derive(Debug, Clone)]
pub struct CdWatchTarget {
    /// Cluster name or ARN.
    pub cluster: String,
    /// Service name or ARN.
    pub service: String,
    /// The CodeDeploy deployment (`d-...`); None: only wait for the service's task sets.
    pub deployment_id: Option<String>,
    /// The task definition deployed, when known (for messages).
    pub task_definition: Option<String>,
    /// The group's `deploymentReadyOption.actionOnTimeout`, for the Ready report.
    pub ready_action: Option<String>,
    /// The group's `deploymentReadyOption.waitTimeInMinutes`, for the Ready report.
    pub ready_wait_minutes: Option<i64>,
}

impl CdWatchTarget {
    /// For a deployment of `group` to `target`.
    pub(crate) fn new(
        target: &ServiceRef,
        group: &DeploymentGroup,
        deployment_id: Option<String>,
        task_definition: Option<String>,
    ) -> Self {
        CdWatchTarget {
            cluster: target.cluster.clone(),
            service: target.service.clone(),
            deployment_id,
            task_definition,
            ready_action: group.ready_action(),
            ready_wait_minutes: group.ready_wait_minutes(),
        }
    }
}

enum PollError {
    Transient(anyhow::Error),
    Fatal(anyhow::Error),
}

fn aws(e: AwsError) -> PollError {
    match classify(&e) {
        ErrorClass::Transient => PollError::Transient(e.into()),
        _ => PollError::Fatal(e.into()),
    }
}

enum Step {
    Continue,
    Done(Outcome, String),
    Error(anyhow::Error),
}

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// Following our deployment.
    Deployment,
    /// Following the rollback deployment of ours (which failed for `reason`).
    Rollback { id: String, reason: String },
    /// Waiting for one PRIMARY task set in STEADY_STATE.
    Stabilizing { reason: String },
}

/// Watch until the verdict (one `verdict` event) and return its exit status. `expect_rollback`:
/// the deployment was stopped with auto-rollback (`rollback`), so a Stopped deployment without
/// a rollback deployment yet is given [`ROLLBACK_GRACE`] to name one.
pub async fn watch_deployment(
    project: &Project,
    target: &CdWatchTarget,
    opts: &WatchOptions,
    goal: Goal,
    expect_rollback: bool,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        ^ (std::process::id() as u64).rotate_left(32);
    let mode = match target.deployment_id {
        Some(_) => Mode::Deployment,
        None => Mode::Stabilizing {
            reason: "one task set in a steady state".into(),
        },
    };
    let w = Watcher {
        project,
        target: target.clone(),
        opts,
        goal,
        expect_rollback,
        sink,
        mode,
        cadence: Cadence::new(opts.poll_interval, seed),
        adaptive: AdaptiveCadence::new(
            opts.poll_interval,
            opts.max_poll_interval.unwrap_or(opts.poll_interval),
        ),
        started: Instant::now(),
        moved: false,
        moved_last: false,
        light_polls: 0,
        interval: opts.poll_interval,
        last_deployment: None,
        have_target: false,
        last_target: TargetSnapshot::default(),
        last_progress: None,
        ready_reported: false,
        termination_reported: false,
        awaiting_rollback_since: None,
        last_error: None,
        done: false,
    };
    w.run().await
}

/// Status, green traffic weight, green running, green desired: what a progress line shows.
type Progress = (String, Option<f64>, Option<i64>, Option<i64>);

struct Watcher<'a> {
    project: &'a Project,
    target: CdWatchTarget,
    opts: &'a WatchOptions,
    goal: Goal,
    expect_rollback: bool,
    sink: &'a dyn EventSink,
    mode: Mode,
    cadence: Cadence,
    /// The un-jittered interval before the next poll (fixed, or adaptive).
    adaptive: AdaptiveCadence,
    started: Instant,
    /// Something the user sees moved during this poll / the previous one.
    moved: bool,
    moved_last: bool,
    /// GetDeployment-only polls since the last GetDeploymentTarget.
    light_polls: u32,
    /// The un-jittered interval chosen after the last poll.
    interval: Duration,
    /// The deployment as the last poll saw it.
    last_deployment: Option<DeploymentSnapshot>,
    /// `last_target` holds a GetDeploymentTarget answer.
    have_target: bool,
    last_target: TargetSnapshot,
    last_progress: Option<Progress>,
    ready_reported: bool,
    termination_reported: bool,
    awaiting_rollback_since: Option<Instant>,
    last_error: Option<String>,
    done: bool,
}

impl Drop for Watcher<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.done = true;
            let v = rollout::verdict(Outcome::Interrupted, &self.what(), "");
            self.sink.emit(Event::Verdict(v));
        }
    }
}

impl Watcher<'_> {
    fn what(&self) -> String {
        let mut s = match &self.target.deployment_id {
            Some(id) => id.clone(),
            None => format!("of {}/{}", self.target.cluster, self.target.service),
        };
        if let Some(td) = &self.target.task_definition {
            s.push_str(&format!(" ({})", short_name(td)));
        }
        s
    }

    fn finish(&mut self, outcome: Outcome, reason: &str) -> ExitStatus {
        self.done = true;
        let mut v = rollout::verdict(outcome, &self.what(), reason);
        if outcome == Outcome::Succeeded && matches!(self.goal, Goal::Paused | Goal::Event(_)) {
            // The goal was a point on the way, not the end: say which.
            v.message = format!("deployment {} {reason}", self.what());
        }
        match outcome {
            Outcome::RolledBack | Outcome::RollbackFailed => {
                v.hint = Some(
                    "the lifecycle events above say where it failed; `ecspress status` shows the service's task sets"
                        .into(),
                )
            }
            Outcome::Stopped => {
                v.hint = Some(
                    "CodeDeploy did not roll it back: `ecspress status` shows which task sets serve; `ecspress rollback` deploys the previous revision"
                        .into(),
                )
            }
            _ => {}
        }
        if matches!(outcome, Outcome::TimedOut | Outcome::Interrupted) {
            v.hint = Some(
                "the deployment goes on in CodeDeploy; run `ecspress wait` to follow it to its verdict"
                    .into(),
            );
        }
        self.sink.emit(Event::Verdict(v));
        outcome.exit_status()
    }

    async fn run(mut self) -> anyhow::Result<ExitStatus> {
        let deadline = (!self.opts.timeout.is_zero()).then(|| self.started + self.opts.timeout);
        let mut fatal_streak = 0;
        loop {
            self.sink.tick();
            self.moved_last = std::mem::take(&mut self.moved);
            match self.poll().await {
                Ok(Step::Continue) => {
                    let next = self.next_interval();
                    self.cadence.reset_to(next);
                    self.last_error = None;
                    fatal_streak = 0;
                }
                Ok(Step::Done(outcome, reason)) => return Ok(self.finish(outcome, &reason)),
                Ok(Step::Error(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(PollError::Transient(e)) => {
                    self.cadence.back_off();
                    self.last_error = Some(format!("{e:#}"));
                }
                Err(PollError::Fatal(e)) => {
                    fatal_streak += 1;
                    if fatal_streak >= FATAL_STREAK {
                        self.done = true;
                        return Err(e.context(format!("watching {}", self.what())));
                    }
                    self.cadence.back_off();
                    self.last_error = Some(format!("{e:#}"));
                }
            }
            let wait = self.cadence.next_wait();
            let wait = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        let mut reason = format!(
                            "still {} after {}",
                            self.last_progress
                                .as_ref()
                                .map_or("in progress", |p| p.0.as_str()),
                            humantime::format_duration(Duration::from_secs(
                                self.opts.timeout.as_secs()
                            ))
                        );
                        if let Some(e) = &self.last_error {
                            reason.push_str(&format!(" (last poll failed: {e})"));
                        }
                        return Ok(self.finish(Outcome::TimedOut, &reason));
                    }
                    wait.min(d - now)
                }
                None => wait,
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// The adaptive cadence (see [`crate::model::cadence`]): fast while lifecycle events move
    /// and during the termination wait, a rollback or the final stabilisation; slower while
    /// nothing moves (Install waiting for the green tasks, a long Ready wait).
    fn next_interval(&mut self) -> Duration {
        if !self.adaptive.is_adaptive() {
            return self.opts.poll_interval;
        }
        let target = self.have_target.then_some(&self.last_target);
        let (imminent, soon) = match &self.mode {
            Mode::Deployment => self.last_deployment.as_ref().map_or((false, false), |d| {
                (
                    cd::finish_imminent(d, target),
                    cd::install_settling(d, target),
                )
            }),
            Mode::Rollback { .. } | Mode::Stabilizing { .. } => (true, false),
        };
        let obs = Observation {
            changed: self.moved,
            imminent,
            ends_in: None,
            firm: false,
            soon,
        };
        self.interval = self.adaptive.next(self.started.elapsed(), &obs);
        self.interval
    }

    async fn poll(&mut self) -> Result<Step, PollError> {
        match self.mode.clone() {
            Mode::Stabilizing { reason } => self.poll_stable(&reason).await,
            Mode::Rollback { id, reason } => self.poll_rollback(&id, &reason).await,
            Mode::Deployment => self.poll_deployment().await,
        }
    }

    async fn poll_stable(&mut self, reason: &str) -> Result<Step, PollError> {
        let ecs = self.project.clients().ecs.clone();
        let svc = ecs
            .describe_service(&self.target.cluster, &self.target.service)
            .await
            .map_err(aws)?
            .ok_or_else(|| {
                PollError::Fatal(anyhow!(
                    "service {} not found in cluster {}",
                    self.target.service,
                    self.target.cluster
                ))
            })?;
        if cd::task_sets_stable(&svc) {
            return Ok(Step::Done(Outcome::Succeeded, reason.to_owned()));
        }
        Ok(Step::Continue)
    }

    async fn poll_rollback(&mut self, id: &str, reason: &str) -> Result<Step, PollError> {
        let api = self.project.clients().codedeploy.clone();
        let r = DeploymentSnapshot::from_json(&api.get_deployment(id).await.map_err(aws)?);
        self.progress(&r, None);
        Ok(match cd::assess_rollback(&r, reason) {
            Some((outcome, why)) => Step::Done(outcome, why),
            None => Step::Continue,
        })
    }

    fn progress(&mut self, d: &DeploymentSnapshot, t: Option<&TargetSnapshot>) {
        let green = t.and_then(TargetSnapshot::green);
        let now = (
            d.status.clone(),
            green.map(|g| g.traffic_weight),
            green.map(|g| g.running),
            green.map(|g| g.desired),
        );
        if self.last_progress.as_ref() != Some(&now) {
            self.moved = true;
            self.sink.emit(Event::CodeDeployProgress {
                deployment_id: d.id.clone(),
                status: now.0.clone(),
                green_traffic_weight: now.1,
                green_running: now.2,
                green_desired: now.3,
            });
            self.last_progress = Some(now);
        }
    }

    async fn poll_deployment(&mut self) -> Result<Step, PollError> {
        let api = self.project.clients().codedeploy.clone();
        let id = self.target.deployment_id.clone().unwrap_or_default();
        let info = api.get_deployment(&id).await.map_err(aws)?;
        let d = DeploymentSnapshot::from_json(&info);
        if self.target.task_definition.is_none() {
            self.target.task_definition = task_definition_of(&info);
        }
        // Adaptive cadence: GetDeployment alone carries the status and the verdict, but not
        // the lifecycle events' progress; the target is skipped only on fast polls (so it is
        // at most two seconds old) where nothing moved and the deployment did not change, at
        // most twice in a row — and never in fixed-cadence mode.
        let light = self.adaptive.is_adaptive()
            && self.interval < LIGHT_MAX_INTERVAL
            && self.have_target
            && !self.moved_last
            && self.light_polls < LIGHT_POLLS
            && self.last_deployment.as_ref() == Some(&d);
        self.last_deployment = Some(d.clone());
        let t = if matches!(d.status.as_str(), "Created" | "Queued") {
            None
        } else if light {
            self.light_polls += 1;
            Some(self.last_target.clone())
        } else {
            self.light_polls = 0;
            let target_id = format!(
                "{}:{}",
                cd::name_of(&self.target.cluster),
                cd::name_of(&self.target.service)
            );
            api.get_deployment_target(&id, &target_id)
                .await
                .map_err(aws)?
                .map(|v| TargetSnapshot::from_json(&v))
        };
        if let Some(t) = &t {
            self.have_target = true;
            for (event, status) in cd::lifecycle_changes(&self.last_target, t) {
                self.moved = true;
                self.sink.emit(Event::CodeDeployLifecycleEvent {
                    deployment_id: id.clone(),
                    event,
                    status,
                });
            }
            self.last_target = t.clone();
        }
        self.progress(&d, t.as_ref());
        if d.status == "InProgress" && d.termination_wait_started && !self.termination_reported {
            self.termination_reported = true;
            self.sink.emit(Event::Info {
                message: format!(
                    "{id}: production traffic is on the replacement task set; the original is kept for the deployment group's termination wait (`ecspress continue --finish` ends it now)"
                ),
            });
        }
        let mut a = cd::assess(&d, t.as_ref(), self.goal);
        if self.expect_rollback
            && matches!(
                &a,
                CdAssessment::Finished {
                    outcome: Outcome::Stopped,
                    ..
                }
            )
        {
            a = CdAssessment::AwaitingRollback(d.reason());
        }
        // Ready is reported once per Ready episode, whatever the goal.
        if d.status != "Ready" {
            self.ready_reported = false;
        } else if !self.ready_reported {
            self.ready_reported = true;
            self.sink.emit(Event::Paused {
                controller: "CODE_DEPLOY".into(),
                deployment: id.clone(),
                stage: "Ready".into(),
                hook_id: None,
                expires_at: cd::ready_expires_at(
                    t.as_ref().and_then(|t| t.last_event_end),
                    self.target.ready_wait_minutes,
                )
                .map(rfc3339),
                timeout_action: self.target.ready_action.clone(),
                continue_command: "ecspress continue".into(),
                rollback_command: "ecspress rollback".into(),
            });
        }
        match a {
            CdAssessment::Running | CdAssessment::Ready => Ok(Step::Continue),
            CdAssessment::RollingBack {
                rollback_id,
                reason,
            } => {
                self.sink.emit(Event::Info {
                    message: format!(
                        "{id} {}: {reason}; CodeDeploy rolls it back with deployment {rollback_id}",
                        d.status
                    ),
                });
                self.mode = Mode::Rollback {
                    id: rollback_id.clone(),
                    reason,
                };
                self.poll_rollback(&rollback_id, &d.reason()).await
            }
            CdAssessment::AwaitingRollback(reason) => {
                let since = *self
                    .awaiting_rollback_since
                    .get_or_insert_with(Instant::now);
                if since.elapsed() >= ROLLBACK_GRACE {
                    return Ok(Step::Done(Outcome::Stopped, reason));
                }
                Ok(Step::Continue)
            }
            CdAssessment::Finished {
                outcome: Outcome::Succeeded,
                reason,
            } if self.goal == Goal::Stable => {
                self.mode = Mode::Stabilizing { reason };
                self.poll_stable_after().await
            }
            CdAssessment::Finished { outcome, reason } => Ok(Step::Done(outcome, reason)),
            CdAssessment::EventMissing(msg) => Ok(Step::Error(anyhow!(msg))),
        }
    }

    async fn poll_stable_after(&mut self) -> Result<Step, PollError> {
        match self.mode.clone() {
            Mode::Stabilizing { reason } => self.poll_stable(&reason).await,
            _ => Ok(Step::Continue),
        }
    }
}

/// Epoch seconds as RFC 3339 (UTC, seconds).
fn rfc3339(epoch: f64) -> String {
    let t = UNIX_EPOCH + Duration::try_from_secs_f64(epoch.max(0.0)).unwrap_or_default();
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The TaskDefinition named in a deployment's AppSpec (`revision.appSpecContent.content`).
pub(super) fn task_definition_of(info: &serde_json::Value) -> Option<String> {
    let content = info.pointer("/revision/appSpecContent/content")?.as_str()?;
    let v: serde_json::Value = serde_yaml_ng::from_str(content).ok()?;
    fn find(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::Object(m) => m.iter().find_map(|(k, v)| {
                if k.eq_ignore_ascii_case("TaskDefinition") {
                    v.as_str().map(str::to_owned)
                } else {
                    find(v)
                }
            }),
            serde_json::Value::Array(a) => a.iter().find_map(find),
            _ => None,
        }
    }
    find(&v)
}
