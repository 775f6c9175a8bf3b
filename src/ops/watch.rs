//! The watcher: follow one ECS deployment to a true verdict.
//!
//! Why: "the service is stable" is not "my deployment worked". A circuit breaker or alarm
//! rollback ends in a perfectly stable service running the *old* task definition, and a
//! deployment someone else started can replace ours. So we identify **our** deployment and
//! follow it (ecs-platform-and-peers.md §6.13):
//!
//! 1. **Identify.** The service deployment our UpdateService/CreateService started
//!    ([`WatchTarget::service_deployment_arn`], else the newest ListServiceDeployments entry
//!    created after [`WatchTarget::started_after`], else — `ecspress wait` — the service's
//!    `currentServiceDeployment`). Its `deployments[]` entry (needed for `failedTasks` and for
//!    the `startedBy` of its tasks) is [`WatchTarget::deployment_id`], else the entry created
//!    within seconds of the service deployment (the same API call creates both, and neither
//!    names the other).
//! 2. **Poll** at one shared cadence: DescribeServices (events, counts, `deployments[]`) and
//!    DescribeServiceDeployments (status, circuit breaker, alarms). Stopped tasks of our
//!    deployment (ListTasks `startedBy` + DescribeTasks) are read only when something failed:
//!    `failedTasks` grew, a service event reports stopped/unhealthy tasks, or the verdict is a
//!    failure.
//! 3. **Decide** with the pure rules of [`crate::model::rollout`]. After success the PRIMARY
//!    deployment must run the task definition we deployed. `--wait-until stable` then waits for
//!    one deployment and running == desired (the ServicesStable rule).
//!
//! **Native strategies** (BLUE_GREEN, LINEAR, CANARY; ecs-platform-and-peers.md §6.4). The
//! same two calls carry the lifecycle stage, the traffic weights of the target and source
//! revisions and the lifecycle hooks. Stage changes are reported as `stage_changed`; the bake
//! countdown counts from when the watcher first saw BAKE_TIME (AWS gives no stage start time).
//! A PAUSE hook AWAITING_ACTION is reported once per hookId (`paused`, with the commands that
//! release it) and the wait goes on, unless it *is* the goal: `--wait-until paused` ends there,
//! `--wait-until stage:<STAGE>` ends once the deployment is IN_PROGRESS at or past that stage
//! (both exit 0: the deployment goes on without us). Both refuse (exit 2) services without
//! stages — ROLLING, CODE_DEPLOY, EXTERNAL — and the `deployments[]` fallback, which cannot see
//! stages: a wait that can never end is worse than an error. Everything else, including a
//! rollback before the target stage, is the ordinary verdict.
//!
//! **Fallback.** Without IAM permission for the service-deployment API (AccessDenied), on an
//! endpoint that does not know it, or after repeated server errors from it, the watcher follows
//! our `deployments[]` entry and its `rolloutState` instead, and says so once (a warning).
//!
//! **Call budget.** Two calls per poll (DescribeServices + DescribeServiceDeployments; one in
//! fallback mode or while waiting for `stable`), plus ListTasks + DescribeTasks at most every
//! third poll while tasks are failing. At the default `--poll-interval 1s` that is about 120
//! calls/min per watched service (≈1 s detection latency); at `10s`, 12 calls/min, within the
//! ~15 calls/min per service that keeps many parallel pipelines clear of ECS's account-wide
//! Describe* throttling. Every wait is jittered ±20 % so parallel watchers do not poll in step.
//!
//! **Errors.** Throttling (ThrottlingException), server errors (5xx) and transport failures
//! never end a watch: the interval doubles (up to 30 s, or the poll interval if larger) and
//! resets after a good poll; the timeout still applies. Any other error ends the watch with
//! an error (exit 2) once it happened on three polls in a row (DescribeServices is eventually
//! consistent right after CreateService).
//!
//! **Verdict.** Exactly one `verdict` event ends every watch, including a timeout (exit 5: the
//! deployment goes on, `ecspress wait` resumes) and cancellation (the future dropped, e.g. on
//! Ctrl-C: an `interrupted` verdict with the same hint). A watch that fails with an error emits
//! none; the error is the last word.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::anyhow;
use tokio::time::Instant;

use crate::aws::ecs::{EcsApi, TaskFilter};
use crate::aws::{AwsError, AwsErrorKind};
use crate::exit::ExitStatus;
use crate::model::cadence::{self, AdaptiveCadence, Observation};
use crate::model::rollout::{
    self, Assessment, DeploymentLine, Outcome, ProgressReport, ServiceDeploymentSnapshot,
    ServiceSnapshot, StoppedTask, task_definition_name,
};
use crate::output::{Event, EventSink};
use crate::settings::WaitUntil;

/// What to watch: the deployment we started.
#[derive(Debug, Clone, Default)]
pub struct WatchTarget {
    /// Cluster name or ARN.
    pub cluster: String,
    /// Service name or ARN.
    pub service: String,
    /// The service deployment ARN we started (from describe_service().currentServiceDeployment
    /// after our UpdateService/CreateService), if known.
    pub service_deployment_arn: Option<String>,
    /// The `deployments[]` id (`ecs-svc/...`) of our PRIMARY deployment, if known (fallback
    /// tracking).
    pub deployment_id: Option<String>,
    /// Epoch seconds just before our mutating call: deployments created after it are ours.
    pub started_after: Option<f64>,
    /// The task definition ARN we deployed (checked against PRIMARY after success).
    pub task_definition: Option<String>,
    /// The longest deregistration delay of the service's target groups, if known: how long
    /// old tasks drain before a rolling deployment completes (poll cadence only).
    pub drain: Option<Duration>,
}

/// How long and how often.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Give up after this long (exit 5; the deployment goes on). Zero: no limit.
    pub timeout: Duration,
    /// The fastest time between polls (jittered ±20 %; doubles on throttling and server
    /// errors).
    pub poll_interval: Duration,
    /// The slowest time between polls while nothing moves (`--max-poll-interval`; see
    /// [`crate::model::cadence`]). None or ≤ `poll_interval`: a fixed cadence.
    pub max_poll_interval: Option<Duration>,
    /// `deployed` or `stable`.
    pub wait_until: WaitUntil,
}

/// Watch the deployment we started until its verdict (one `verdict` event) and return its exit
/// status. Errors only for persistent non-transient API errors (exit 2).
pub async fn watch(
    ecs: &dyn EcsApi,
    target: &WatchTarget,
    opts: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    Watcher::new(ecs, target.clone(), opts, sink, false)
        .run()
        .await
}

/// [`watch`] after `ecspress continue` released PAUSE hook `released_hook`: that hook is not
/// reported (nor taken for `--wait-until paused`) again, even if a poll still shows it
/// AWAITING_ACTION right after the call.
pub async fn watch_continued(
    ecs: &dyn EcsApi,
    target: &WatchTarget,
    opts: &WatchOptions,
    sink: &dyn EventSink,
    released_hook: &str,
) -> anyhow::Result<ExitStatus> {
    let mut w = Watcher::new(ecs, target.clone(), opts, sink, false);
    w.reported_hooks.insert(released_hook.to_owned());
    w.run().await
}

/// `ecspress wait` / attach: find the current in-progress deployment of the service (or report
/// the last one's verdict if none is running) and watch it.
pub async fn attach(
    ecs: &dyn EcsApi,
    cluster: &str,
    service: &str,
    opts: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let target = WatchTarget {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
        ..WatchTarget::default()
    };
    Watcher::new(ecs, target, opts, sink, true).run().await
}

/// Wait for a change that started no deployment (a new `desiredCount` only, e.g. `ecspress
/// scale`): ECS then changes the PRIMARY deployment's desired count in place — no new service
/// deployment and no new `deployments[]` entry, the rollout state stays `COMPLETED` — so there
/// is no rollout to follow, only the count. The verdict comes from the AWS ServicesStable
/// waiter's rule (one deployment, running == desired), like `--wait-until stable`.
pub async fn wait_stable(
    ecs: &dyn EcsApi,
    cluster: &str,
    service: &str,
    opts: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let target = WatchTarget {
        cluster: cluster.to_owned(),
        service: service.to_owned(),
        ..WatchTarget::default()
    };
    let mut w = Watcher::new(ecs, target, opts, sink, false);
    w.mode = Mode::Stabilizing;
    w.run().await
}

/// The command that releases a paused deployment (the `paused` event and verdict hint).
pub const CONTINUE_COMMAND: &str = "ecspress continue";
/// The command that rolls a paused deployment back.
pub const ROLLBACK_COMMAND: &str = "ecspress continue --rollback";

/// Polls in a row that may fail with a non-transient error before the watch gives up.
const FATAL_STREAK: u32 = 3;
/// Consecutive transient failures of the service-deployment API (while DescribeServices
/// works) that switch to fallback mode.
const SD_FAILURE_STREAK: u32 = 5;
/// How long to look for the service deployment our call started before following
/// `deployments[]` instead (ecspresso looks for 10 s, ecspresso.md §5.1).
const DISCOVERY_WINDOW: Duration = Duration::from_secs(10);
/// Clock-skew allowance when matching "created after our call" against AWS timestamps.
const CREATED_AFTER_SLACK: f64 = 5.0;
/// A service deployment and its `deployments[]` entry are created by the same call.
const SAME_CALL_WINDOW: f64 = 30.0;
/// Read stopped tasks at most every this many polls while tasks keep failing.
const TASK_CHECK_EVERY: u64 = 3;
/// Adaptive cadence: DescribeServiceDeployments-only polls in a row at most.
const LIGHT_POLLS: u32 = 2;
/// The longest backed-off interval (unless the poll interval itself is longer).
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The polling cadence: jitter and exponential backoff.
#[derive(Debug, Clone)]
pub(crate) struct Cadence {
    base: Duration,
    current: Duration,
    rng: u64,
}

impl Cadence {
    pub(crate) fn new(base: Duration, seed: u64) -> Self {
        Cadence {
            base,
            current: base,
            rng: seed | 1,
        }
    }

    /// A poll succeeded and the adaptive cadence chose this interval.
    pub(crate) fn reset_to(&mut self, interval: Duration) {
        self.base = interval;
        self.current = interval;
    }

    /// Throttled or a transient failure: double the interval, up to 30 s (or the base).
    pub(crate) fn back_off(&mut self) {
        let cap = MAX_BACKOFF.max(self.base);
        self.current = (self.current * 2).min(cap);
    }

    /// The un-jittered interval.
    #[cfg(test)]
    pub(crate) fn interval(&self) -> Duration {
        self.current
    }

    /// The next wait: the interval ±20 %.
    pub(crate) fn next_wait(&mut self) -> Duration {
        // xorshift64*: enough to decorrelate parallel watchers.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let unit =
            (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        self.current.mul_f64(0.8 + 0.4 * unit)
    }
}

/// How a failed AWS call is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorClass {
    /// Throttling, 5xx, transport: slow down and retry.
    Transient,
    /// The operation is not available to us (AccessDenied, unknown operation).
    Unavailable,
    /// Anything else.
    Fatal,
}

pub(crate) fn classify(e: &AwsError) -> ErrorClass {
    const SERVER: &[&str] = &[
        "ServerException",
        "InternalFailure",
        "InternalServerError",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    ];
    const UNKNOWN_OP: &[&str] = &[
        "UnknownOperationException",
        "UnknownOperation",
        "InvalidAction",
        "UnsupportedOperation",
        "NotImplemented",
    ];
    match e.kind {
        AwsErrorKind::Throttled | AwsErrorKind::Transport => ErrorClass::Transient,
        AwsErrorKind::AccessDenied => ErrorClass::Unavailable,
        _ => match e.code.as_deref() {
            Some(c) if SERVER.contains(&c) || c.starts_with("HTTP 5") => ErrorClass::Transient,
            Some(c) if UNKNOWN_OP.contains(&c) => ErrorClass::Unavailable,
            _ => ErrorClass::Fatal,
        },
    }
}

enum PollError {
    /// Retry with backoff, forever (until the timeout).
    Transient(anyhow::Error),
    /// Retry a few times, then fail.
    Fatal(anyhow::Error),
    /// Fail now.
    Abort(anyhow::Error),
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
    /// `--wait-until stage:`/`paused` met while the deployment goes on: (reason, hint).
    Goal(String, Option<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// Looking for our deployment.
    Identify,
    /// Following a service deployment.
    ServiceDeployment(String),
    /// Following a `deployments[]` entry (fallback).
    Deployments(String),
    /// Our deployment succeeded; waiting for `stable`.
    Stabilizing,
}

/// Now in epoch seconds.
fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn rfc3339(epoch: f64) -> String {
    let t = UNIX_EPOCH + Duration::try_from_secs_f64(epoch.max(0.0)).unwrap_or_default();
    humantime::format_rfc3339_millis(t).to_string()
}

fn failure_words(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    // Not "stopped": ECS reports routine drains as "has stopped N running tasks" too; a
    // crash or a failed health check also raises failedTasks.
    ["failed", "unhealthy", "unable", "error"]
        .iter()
        .any(|w| m.contains(w))
}

struct Watcher<'a> {
    ecs: &'a dyn EcsApi,
    target: WatchTarget,
    opts: &'a WatchOptions,
    sink: &'a dyn EventSink,
    attach: bool,
    mode: Mode,
    started: Instant,
    cadence: Cadence,
    /// The un-jittered interval before the next poll (fixed, or adaptive).
    adaptive: AdaptiveCadence,
    /// Something the user sees moved during this poll (for the adaptive cadence).
    moved: bool,
    /// DescribeServiceDeployments-only polls since the last DescribeServices.
    light_polls: u32,
    /// The service-deployment API answered AccessDenied / unknown operation, or kept failing.
    sd_unavailable: bool,
    sd_failures: u32,
    sd_last: Option<ServiceDeploymentSnapshot>,
    sd_arn: Option<String>,
    our_id: Option<String>,
    announced: bool,
    /// Show service events created at or after this: our deployment's createdAt (server
    /// clock), else `started_after`.
    events_since: Option<f64>,
    seen_events: HashSet<String>,
    seen_tasks: HashSet<String>,
    last_progress: Option<ProgressReport>,
    last_seen_line: Option<DeploymentLine>,
    failed_since: Option<Instant>,
    last_failed_tasks: i64,
    task_check_due: bool,
    last_task_check: Option<u64>,
    task_checks_broken: bool,
    polls: u64,
    last_error: Option<String>,
    last_svc: Option<ServiceSnapshot>,
    /// `--wait-until` was checked against the service's controller and strategy.
    goal_checked: bool,
    /// The last lifecycle stage seen (native strategies).
    last_stage: Option<String>,
    /// When BAKE_TIME was first seen (neither AWS nor the simulator say when it started).
    bake_seen: Option<Instant>,
    /// When the old tasks of a rolling deployment were first seen draining.
    drain_seen: Option<Instant>,
    /// PAUSE hooks already reported (`paused` event), by hookId.
    reported_hooks: HashSet<String>,
    /// Set once the verdict was emitted (or the watch failed); otherwise dropping the watcher
    /// emits an `interrupted` verdict.
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

impl<'a> Watcher<'a> {
    fn new(
        ecs: &'a dyn EcsApi,
        target: WatchTarget,
        opts: &'a WatchOptions,
        sink: &'a dyn EventSink,
        attach: bool,
    ) -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            ^ (std::process::id() as u64).rotate_left(32);
        Watcher {
            ecs,
            our_id: target.deployment_id.clone(),
            sd_arn: target.service_deployment_arn.clone(),
            events_since: None,
            target,
            opts,
            sink,
            attach,
            mode: Mode::Identify,
            started: Instant::now(),
            cadence: Cadence::new(opts.poll_interval, seed),
            adaptive: AdaptiveCadence::new(
                opts.poll_interval,
                opts.max_poll_interval.unwrap_or(opts.poll_interval),
            ),
            moved: false,
            light_polls: 0,
            sd_unavailable: false,
            sd_failures: 0,
            sd_last: None,
            announced: false,
            seen_events: HashSet::new(),
            seen_tasks: HashSet::new(),
            last_progress: None,
            last_seen_line: None,
            failed_since: None,
            last_failed_tasks: 0,
            task_check_due: false,
            last_task_check: None,
            task_checks_broken: false,
            polls: 0,
            last_error: None,
            last_svc: None,
            goal_checked: false,
            last_stage: None,
            bake_seen: None,
            drain_seen: None,
            reported_hooks: HashSet::new(),
            done: false,
        }
    }

    /// `ecs-svc/123 (web:4)` or the service deployment id, for messages.
    fn what(&self) -> String {
        let mut s = match (&self.our_id, &self.sd_arn) {
            (Some(id), _) => id.clone(),
            (None, Some(arn)) => arn.rsplit('/').next().unwrap_or(arn).to_owned(),
            (None, None) => format!("of {}/{}", self.target.cluster, self.target.service),
        };
        let td = self.target.task_definition.clone().or_else(|| {
            let id = self.our_id.as_deref()?;
            let line = self
                .last_svc
                .as_ref()
                .and_then(|s| s.deployment(id).cloned())
                .or_else(|| self.last_seen_line.clone())?;
            Some(line.task_definition)
        });
        if let Some(td) = td {
            s.push_str(&format!(" ({})", task_definition_name(&td)));
        }
        s
    }

    async fn run(mut self) -> anyhow::Result<ExitStatus> {
        let deadline = (!self.opts.timeout.is_zero()).then(|| self.started + self.opts.timeout);
        let mut fatal_streak = 0;
        loop {
            self.polls += 1;
            self.sink.tick();
            self.moved = false;
            match self.poll().await {
                Ok(Step::Continue) => {
                    let next = self.next_interval();
                    self.cadence.reset_to(next);
                    self.last_error = None;
                    fatal_streak = 0;
                }
                Ok(Step::Done(outcome, reason)) => return Ok(self.finish(outcome, &reason)),
                Ok(Step::Goal(reason, hint)) => return Ok(self.finish_goal(&reason, hint)),
                Err(PollError::Transient(e)) => {
                    self.cadence.back_off();
                    self.last_error = Some(format!("{e:#}"));
                }
                Err(PollError::Fatal(e)) => {
                    fatal_streak += 1;
                    if fatal_streak >= FATAL_STREAK {
                        self.done = true;
                        return Err(e.context(format!(
                            "watching {}/{}",
                            self.target.cluster, self.target.service
                        )));
                    }
                    self.cadence.back_off();
                    self.last_error = Some(format!("{e:#}"));
                }
                Err(PollError::Abort(e)) => {
                    self.done = true;
                    return Err(e);
                }
            }
            let wait = self.cadence.next_wait();
            let wait = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        let reason = self.timeout_reason();
                        return Ok(self.finish(Outcome::TimedOut, &reason));
                    }
                    wait.min(d - now)
                }
                None => wait,
            };
            tokio::time::sleep(wait).await;
            if deadline.is_some_and(|d| Instant::now() >= d) {
                // One last look: the deployment may have finished during the wait.
                continue;
            }
        }
    }

    fn timeout_reason(&self) -> String {
        let mut s = format!(
            "still {} after {}",
            self.last_progress
                .as_ref()
                .map(ProgressReport::summary)
                .unwrap_or_else(|| "in progress".into()),
            humantime::format_duration(Duration::from_secs(self.opts.timeout.as_secs()))
        );
        if let Some(e) = &self.last_error {
            s.push_str(&format!(" (last poll failed: {e})"));
        }
        s
    }

    /// Once: `--wait-until stage:`/`paused` need a native strategy, `codedeploy:` a CodeDeploy
    /// service (exit 2 otherwise, with what would work).
    fn check_goal(&mut self, svc: &ServiceSnapshot) -> Result<(), PollError> {
        if std::mem::replace(&mut self.goal_checked, true) {
            return Ok(());
        }
        let checked = check_wait_until(self.opts.wait_until, &svc.controller, &svc.strategy);
        checked.map_err(|why| {
            PollError::Abort(anyhow!(
                "{why} (service {} in cluster {})",
                self.target.service,
                self.target.cluster
            ))
        })
    }

    async fn describe(&mut self) -> Result<ServiceSnapshot, PollError> {
        let (c, s) = (self.target.cluster.clone(), self.target.service.clone());
        let v = self.ecs.describe_service(&c, &s).await.map_err(aws)?;
        let Some(v) = v else {
            let e = anyhow!("service {s} not found in cluster {c} (missing or INACTIVE)");
            // Right after CreateService DescribeServices may not see the service yet.
            return Err(if self.attach && self.polls == 1 {
                PollError::Abort(e)
            } else {
                PollError::Fatal(e)
            });
        };
        let svc = ServiceSnapshot::from_json(&v);
        self.check_goal(&svc)?;
        if svc.controller != "ECS" {
            return Err(PollError::Abort(anyhow!(
                "service {s} uses the {} deployment controller; this watcher follows only \
                 ECS-controller deployments (rolling, BLUE_GREEN, LINEAR, CANARY)",
                svc.controller
            )));
        }
        Ok(svc)
    }

    fn switch_to_fallback(&mut self, svc: &ServiceSnapshot, why: &str) {
        self.sd_unavailable = true;
        let id = self
            .our_id
            .clone()
            .or_else(|| svc.primary().map(|p| p.id.clone()));
        let Some(id) = id else {
            return;
        };
        self.our_id = Some(id.clone());
        self.sink.emit(Event::Warning {
            message: format!(
                "the ECS service-deployment API is unavailable ({why}); following deployment {id} \
                 through DescribeServices deployments[] and rolloutState instead"
            ),
        });
        self.mode = Mode::Deployments(id);
    }

    /// Find our deployment. Stays in `Identify` while the service deployment is not visible
    /// yet (within the discovery window).
    async fn identify(&mut self, svc: &ServiceSnapshot) -> Result<(), PollError> {
        if let Some(arn) = self.sd_arn.clone() {
            self.mode = Mode::ServiceDeployment(arn);
            return Ok(());
        }
        if !self.sd_unavailable {
            let found = match self.target.started_after {
                None => match &svc.current_service_deployment {
                    Some(arn) => Ok(Some(arn.clone())),
                    None => self
                        .ecs
                        .list_service_deployments(
                            &self.target.cluster,
                            &self.target.service,
                            None,
                            &[],
                        )
                        .await
                        .map(|l| newest(&l)),
                },
                Some(after) => self
                    .ecs
                    .list_service_deployments(
                        &self.target.cluster,
                        &self.target.service,
                        Some(after - CREATED_AFTER_SLACK),
                        &[],
                    )
                    .await
                    .map(|l| newest(&l)),
            };
            match found {
                Ok(Some(arn)) => {
                    self.sd_arn = Some(arn.clone());
                    self.mode = Mode::ServiceDeployment(arn);
                    return Ok(());
                }
                Ok(None) => {
                    if self.started.elapsed() < DISCOVERY_WINDOW
                        && self.target.started_after.is_some()
                    {
                        return Ok(());
                    }
                }
                Err(e) => match classify(&e) {
                    ErrorClass::Unavailable => {
                        self.switch_to_fallback(svc, &e.to_string());
                        return Ok(());
                    }
                    _ => return Err(aws(e)),
                },
            }
        }
        // No service deployment: follow deployments[] (ours, else the PRIMARY).
        let id = self
            .our_id
            .clone()
            .or_else(|| svc.primary().map(|p| p.id.clone()));
        match id {
            Some(id) => {
                if !self.sd_unavailable {
                    self.sink.emit(Event::Warning {
                        message: format!(
                            "no service deployment found for {}/{}; following deployment {id} \
                             through deployments[] and rolloutState",
                            self.target.cluster, self.target.service
                        ),
                    });
                    self.sd_unavailable = true;
                }
                self.our_id = Some(id.clone());
                self.mode = Mode::Deployments(id);
                Ok(())
            }
            None => Err(PollError::Abort(anyhow!(
                "service {} in cluster {} has no deployment to watch",
                self.target.service,
                self.target.cluster
            ))),
        }
    }

    /// The adaptive cadence's next interval, from what this poll showed.
    fn next_interval(&mut self) -> Duration {
        if !self.adaptive.is_adaptive() {
            return self.opts.poll_interval;
        }
        let (imminent, ends_in, firm, soon) = match (&self.mode, &self.sd_last) {
            (Mode::ServiceDeployment(_), Some(sd)) => {
                let imminent = rollout::finish_imminent(sd);
                // Rolling, new revision complete, old tasks draining: done about one
                // deregistration delay after that was first seen.
                // Rolling with the new revision complete, or a native strategy's CLEAN_UP:
                // old tasks drain behind the load balancer.
                let draining = sd.status == "IN_PROGRESS"
                    && match sd.lifecycle_stage.as_deref() {
                        None => imminent,
                        Some(stage) => stage == "CLEAN_UP",
                    };
                if !draining {
                    self.drain_seen = None;
                } else if self.drain_seen.is_none() {
                    // Anchor on ECS's own "has begun draining" event when there is one: the
                    // poll that saw the drain may come seconds after it began.
                    let now = Instant::now();
                    let ago = self
                        .last_svc
                        .as_ref()
                        .and_then(|svc| rollout::drain_started_at(svc, self.events_since))
                        .map(|at| (epoch_now() - at).clamp(0.0, 600.0));
                    self.drain_seen = Some(
                        ago.and_then(|a| now.checked_sub(Duration::from_secs_f64(a)))
                            .unwrap_or(now),
                    );
                }
                let drain_left = self
                    .target
                    .drain
                    .zip(self.drain_seen)
                    .and_then(|(d, seen)| cadence::ends_in(d, seen.elapsed()));
                let bake_left = rollout::bake_time(sd)
                    .zip(self.bake_seen)
                    .and_then(|(b, seen)| cadence::ends_in(b, seen.elapsed()));
                // A bake followed by a known drain (CLEAN_UP behind a load balancer) is not
                // the end: its end needs no fast polls, so it is taken as firm too.
                let firm =
                    drain_left.is_some() || (bake_left.is_some() && self.target.drain.is_some());
                // Rolling, new tasks all running but old ones not stopped: health checks are
                // pending; without a load balancer drain to wait for, the end follows them.
                let soon = sd.lifecycle_stage.is_none()
                    && !imminent
                    && self.target.drain.is_none()
                    && sd.target.as_ref().is_some_and(|t| t.running >= t.requested);
                (imminent, bake_left.or(drain_left), firm, soon)
            }
            (Mode::Identify, _) => (true, None, false, false),
            _ => (
                self.last_svc
                    .as_ref()
                    .is_some_and(|svc| rollout::lines_imminent(svc, self.our_id.as_deref())),
                None,
                false,
                false,
            ),
        };
        let obs = Observation {
            changed: self.moved,
            imminent,
            ends_in,
            firm,
            soon,
        };
        self.adaptive.next(self.started.elapsed(), &obs)
    }

    /// Adaptive cadence, following a service deployment: DescribeServiceDeployments alone
    /// carries the status, stage, counts and hooks, so a poll where it did not change skips
    /// DescribeServices (events, `deployments[]`) — at most [`LIGHT_POLLS`] times in a row, so
    /// service events still show within a few polls. A change, a terminal status or an error
    /// makes it a full poll, with the description just read.
    async fn poll(&mut self) -> Result<Step, PollError> {
        if let Mode::ServiceDeployment(arn) = self.mode.clone()
            && self.adaptive.is_adaptive()
            && self.last_svc.is_some()
        {
            let fetched = self
                .ecs
                .describe_service_deployments(std::slice::from_ref(&arn))
                .await;
            if let Ok(list) = &fetched
                && let Some(sd) = list
                    .iter()
                    .map(ServiceDeploymentSnapshot::from_json)
                    .find(|s| s.arn == arn)
                && self.light_polls < LIGHT_POLLS
                && !sd.is_terminal()
                && self.sd_last.as_ref() == Some(&sd)
                && !self.task_check_due
            {
                self.light_polls += 1;
                return Ok(Step::Continue);
            }
            self.light_polls = 0;
            let svc = self.describe().await?;
            let result = self
                .poll_service_deployment(&svc, &arn, Some(fetched))
                .await;
            self.last_svc = Some(svc);
            return result;
        }
        self.full_poll().await
    }

    async fn full_poll(&mut self) -> Result<Step, PollError> {
        let svc = self.describe().await?;
        if self.mode == Mode::Identify {
            self.identify(&svc).await?;
        }
        if matches!(self.mode, Mode::Deployments(_))
            && matches!(
                self.opts.wait_until,
                WaitUntil::Stage(_) | WaitUntil::Paused
            )
        {
            return Err(PollError::Abort(anyhow!(
                "--wait-until stage:/paused needs the ECS service-deployment API \
                 (ecs:ListServiceDeployments, ecs:DescribeServiceDeployments), which is \
                 unavailable: lifecycle stages and hooks are reported only there"
            )));
        }
        let result = match self.mode.clone() {
            Mode::Identify => Ok(Step::Continue),
            Mode::ServiceDeployment(arn) => self.poll_service_deployment(&svc, &arn, None).await,
            Mode::Deployments(id) => self.poll_deployments(&svc, &id).await,
            Mode::Stabilizing => {
                self.observe(&svc, None);
                if rollout::is_stable(&svc) {
                    Ok(Step::Done(
                        Outcome::Succeeded,
                        format!("the service is stable: {} tasks running", svc.running),
                    ))
                } else {
                    Ok(Step::Continue)
                }
            }
        };
        self.last_svc = Some(svc);
        result
    }

    async fn poll_service_deployment(
        &mut self,
        svc: &ServiceSnapshot,
        arn: &str,
        fetched: Option<crate::aws::AwsResult<Vec<serde_json::Value>>>,
    ) -> Result<Step, PollError> {
        let fetched = match fetched {
            Some(f) => f,
            None => {
                self.ecs
                    .describe_service_deployments(&[arn.to_owned()])
                    .await
            }
        };
        let sd = match fetched {
            Ok(list) => list
                .iter()
                .map(ServiceDeploymentSnapshot::from_json)
                .find(|s| s.arn == arn),
            Err(e) => match classify(&e) {
                ErrorClass::Unavailable => {
                    self.switch_to_fallback(svc, &e.to_string());
                    return self.poll_fallback_now(svc).await;
                }
                ErrorClass::Transient => return self.sd_trouble(svc, e.into()).await,
                ErrorClass::Fatal => return Err(PollError::Fatal(e.into())),
            },
        };
        let Some(sd) = sd else {
            // Just created: DescribeServiceDeployments may not list it yet.
            let e = anyhow!("DescribeServiceDeployments did not return {arn}");
            return self.sd_trouble(svc, e).await;
        };
        self.sd_failures = 0;
        if self.our_id.is_none()
            && let Some(created) = sd.created_at
        {
            self.our_id = svc
                .deployment_created_near(created, SAME_CALL_WINDOW)
                .map(|d| d.id.clone());
        }
        if self.events_since.is_none() {
            self.events_since = sd
                .created_at
                .or(self.target.started_after.map(|t| t - CREATED_AFTER_SLACK));
        }
        if !self.announced && self.attach && sd.is_terminal() {
            // Attached after the fact: report the verdict, not the old story.
            self.seen_events
                .extend(svc.events.iter().map(|e| e.id.clone()));
        }
        self.observe(svc, Some(&sd));
        self.sd_last = Some(sd.clone());
        if let Some(step) = self.goal(&sd) {
            return Ok(step);
        }
        let mut assessment =
            rollout::assess_service_deployment(&sd, svc.current_service_deployment.as_deref());
        if matches!(
            assessment,
            Assessment::Finished {
                outcome: Outcome::Stopped,
                ..
            }
        ) {
            // A newer deployment may have started between our two calls: look again before
            // calling it "stopped".
            if let Ok(fresh) = self.describe().await {
                assessment = rollout::assess_service_deployment(
                    &sd,
                    fresh.current_service_deployment.as_deref(),
                );
            }
        }
        self.conclude(svc, assessment).await
    }

    /// Native strategies: report a PAUSE hook AWAITING_ACTION once per hookId, and end the
    /// watch early when `--wait-until paused` / `stage:<STAGE>` is met.
    fn goal(&mut self, sd: &ServiceDeploymentSnapshot) -> Option<Step> {
        if let Some(hook) = rollout::awaiting_pause(sd)
            && self.reported_hooks.insert(hook.hook_id.clone())
        {
            let stage = rollout::hook_stage(sd, hook);
            self.sink.emit(Event::Paused {
                controller: "ECS".into(),
                deployment: sd.arn.clone(),
                stage: stage.clone(),
                hook_id: Some(hook.hook_id.clone()),
                expires_at: hook.expires_at.clone(),
                timeout_action: hook.timeout_action.clone(),
                continue_command: CONTINUE_COMMAND.into(),
                rollback_command: ROLLBACK_COMMAND.into(),
            });
            if self.opts.wait_until == WaitUntil::Paused {
                return Some(Step::Goal(
                    format!("paused at {stage} (hook {})", hook.hook_id),
                    Some(format!(
                        "`{CONTINUE_COMMAND}` lets it go on; `{ROLLBACK_COMMAND}` rolls it back{}",
                        hook.expires_at
                            .as_deref()
                            .map(|at| format!(
                                "; at {at} ECS will {}",
                                hook.timeout_action.as_deref().unwrap_or("ROLLBACK")
                            ))
                            .unwrap_or_default()
                    )),
                ));
            }
        }
        if let WaitUntil::Stage(target) = self.opts.wait_until
            && rollout::stage_reached(sd, target)
        {
            let now = sd.lifecycle_stage.as_deref().unwrap_or(target);
            let reason = if now == target {
                format!("reached stage {target}")
            } else {
                format!("reached stage {target} (now at {now})")
            };
            return Some(Step::Goal(reason, Some(rollout::RESUME_HINT.to_owned())));
        }
        None
    }

    /// A transient failure of the service-deployment API while DescribeServices works:
    /// retry, and follow `deployments[]` once it keeps failing.
    async fn sd_trouble(
        &mut self,
        svc: &ServiceSnapshot,
        e: anyhow::Error,
    ) -> Result<Step, PollError> {
        self.sd_failures += 1;
        if self.sd_failures >= SD_FAILURE_STREAK {
            let why = format!("{} failures in a row, last: {e:#}", self.sd_failures);
            self.switch_to_fallback(svc, &why);
            return self.poll_fallback_now(svc).await;
        }
        Err(PollError::Transient(e))
    }

    async fn poll_fallback_now(&mut self, svc: &ServiceSnapshot) -> Result<Step, PollError> {
        match self.mode.clone() {
            Mode::Deployments(id) => self.poll_deployments(svc, &id).await,
            _ => Ok(Step::Continue),
        }
    }

    async fn poll_deployments(
        &mut self,
        svc: &ServiceSnapshot,
        id: &str,
    ) -> Result<Step, PollError> {
        if self.events_since.is_none() {
            self.events_since = svc
                .deployment(id)
                .and_then(|d| d.created_at)
                .or(self.target.started_after.map(|t| t - CREATED_AFTER_SLACK));
        }
        if !self.announced
            && self.attach
            && svc
                .deployment(id)
                .is_some_and(|d| d.rollout_state.as_deref() != Some("IN_PROGRESS"))
        {
            self.seen_events
                .extend(svc.events.iter().map(|e| e.id.clone()));
        }
        self.observe(svc, None);
        let ours = svc.deployment(id);
        let failed_as_primary = ours
            .is_some_and(|d| d.status == "PRIMARY" && d.rollout_state.as_deref() == Some("FAILED"));
        if failed_as_primary {
            self.failed_since.get_or_insert_with(Instant::now);
        } else {
            self.failed_since = None;
        }
        let failed_for = self.failed_since.map_or(Duration::ZERO, |t| t.elapsed());
        let assessment =
            rollout::assess_deployments(svc, id, self.last_seen_line.as_ref(), failed_for);
        self.conclude(svc, assessment).await
    }

    /// Emit what is new: the start announcement, service events, progress; and read stopped
    /// tasks when something failed.
    fn observe(&mut self, svc: &ServiceSnapshot, sd: Option<&ServiceDeploymentSnapshot>) {
        if !self.announced {
            self.announced = true;
            let td = self.target.task_definition.clone().or_else(|| {
                self.our_id
                    .as_deref()
                    .and_then(|id| svc.deployment(id))
                    .map(|d| d.task_definition.clone())
            });
            self.sink.emit(Event::DeploymentStarted {
                cluster: self.target.cluster.clone(),
                service: self.target.service.clone(),
                service_deployment_arn: self.sd_arn.clone().filter(|_| !self.sd_unavailable),
                deployment_id: self.our_id.clone(),
                task_definition: td,
                tracking: if matches!(self.mode, Mode::Deployments(_)) {
                    "deployments".into()
                } else {
                    "service_deployment".into()
                },
            });
        }
        for e in svc.new_events(&self.seen_events, self.events_since) {
            if failure_words(&e.message) {
                self.task_check_due = true;
            }
            self.moved = true;
            self.sink.emit(Event::ServiceEvent {
                id: e.id.clone(),
                created_at: rfc3339(e.created_at),
                message: e.message.clone(),
            });
        }
        self.seen_events
            .extend(svc.events.iter().map(|e| e.id.clone()));
        if let Some(line) = self.our_id.as_deref().and_then(|id| svc.deployment(id)) {
            if line.failed_tasks > self.last_failed_tasks {
                self.task_check_due = true;
            }
            self.last_failed_tasks = line.failed_tasks;
            self.last_seen_line = Some(line.clone());
        }
        if self.mode == Mode::Stabilizing {
            // Our deployment is done; report the service as a whole.
            let report = rollout::progress_report(svc, None, None, None);
            self.emit_progress(report);
            return;
        }
        if let Some(sd) = sd
            && let Some(stage) = &sd.lifecycle_stage
            && self.last_stage.as_ref() != Some(stage)
            // Attached to a finished deployment: its verdict, not its old story.
            && !(sd.is_terminal() && self.last_stage.is_none())
        {
            self.moved = true;
            if stage == "BAKE_TIME" {
                self.bake_seen = Some(Instant::now());
            }
            self.sink.emit(Event::StageChanged {
                service_deployment_arn: sd.arn.clone(),
                from: self.last_stage.replace(stage.clone()),
                stage: stage.clone(),
                position: rollout::stage_position(stage).map(|(n, m)| format!("{n}/{m}")),
            });
        }
        let mut report = rollout::progress_report(
            svc,
            self.our_id.as_deref(),
            self.last_seen_line.as_ref(),
            sd,
        );
        if let Some(sd) = sd {
            report.bake_remaining_minutes =
                rollout::bake_remaining_minutes(sd, self.bake_seen.map(|t| t.elapsed()));
        }
        self.emit_progress(report);
    }

    fn emit_progress(&mut self, report: ProgressReport) {
        if self.last_progress.as_ref() != Some(&report) {
            self.moved = true;
            self.last_progress = Some(report.clone());
            self.sink.emit(Event::Progress(Box::new(report)));
        }
    }

    /// Read stopped tasks of our deployment (new ones only) and emit them.
    async fn check_tasks(&mut self, force: bool) {
        let Some(id) = self.our_id.clone() else {
            return;
        };
        if self.task_checks_broken {
            return;
        }
        let recent = self
            .last_task_check
            .is_some_and(|t| self.polls < t + TASK_CHECK_EVERY);
        if !force && (!self.task_check_due || recent) {
            return;
        }
        self.last_task_check = Some(self.polls);
        let filter = TaskFilter {
            service: None,
            started_by: Some(id.clone()),
            stopped: true,
        };
        let arns = match self.ecs.list_tasks(&self.target.cluster, &filter).await {
            Ok(a) => a,
            Err(e) => {
                self.note_task_error(e);
                return;
            }
        };
        let new: Vec<String> = arns
            .into_iter()
            .filter(|a| !self.seen_tasks.contains(a))
            .collect();
        self.task_check_due = false;
        if new.is_empty() {
            return;
        }
        let described = match self.ecs.describe_tasks(&self.target.cluster, &new).await {
            Ok(d) => d,
            Err(e) => {
                self.task_check_due = true;
                self.note_task_error(e);
                return;
            }
        };
        let mut tasks: Vec<StoppedTask> = described.iter().map(StoppedTask::from_json).collect();
        tasks.sort_by(|a, b| {
            a.stopped_at
                .unwrap_or(f64::MAX)
                .total_cmp(&b.stopped_at.unwrap_or(f64::MAX))
        });
        for t in tasks {
            self.seen_tasks.insert(t.task_arn.clone());
            if t.started_by.as_deref() == Some(id.as_str()) && !t.is_routine() {
                self.sink.emit(Event::TaskStopped(t));
            }
        }
    }

    fn note_task_error(&mut self, e: AwsError) {
        if classify(&e) != ErrorClass::Transient {
            // Stopped-task details are a help, not the verdict: say once and carry on.
            self.task_checks_broken = true;
            self.sink.emit(Event::Warning {
                message: format!("cannot read the stopped tasks of the deployment: {e}"),
            });
        }
    }

    async fn conclude(
        &mut self,
        svc: &ServiceSnapshot,
        assessment: Assessment,
    ) -> Result<Step, PollError> {
        match assessment {
            Assessment::Running(_) => {
                self.check_tasks(false).await;
                Ok(Step::Continue)
            }
            Assessment::Finished {
                outcome,
                mut reason,
            } => {
                if outcome == Outcome::RolledBack && !reason.contains("rolled back to") {
                    let ours = self
                        .last_seen_line
                        .as_ref()
                        .or_else(|| self.our_id.as_deref().and_then(|id| svc.deployment(id)));
                    if let Some(p) = svc.primary()
                        && ours.is_none_or(|o| o.task_definition != p.task_definition)
                    {
                        let back_to = task_definition_name(&p.task_definition);
                        reason = format!("{reason} (rolled back to {back_to})");
                    }
                }
                if outcome != Outcome::Succeeded {
                    self.check_tasks(true).await;
                    return Ok(Step::Done(outcome, reason));
                }
                if reason.is_empty()
                    && let Some(p) = svc.primary()
                {
                    reason = format!(
                        "{}/{} tasks running {}",
                        p.running,
                        p.desired,
                        task_definition_name(&p.task_definition)
                    );
                }
                if let Some(td) = &self.target.task_definition
                    && let Err(why) = rollout::confirm_primary(svc, td)
                {
                    self.check_tasks(true).await;
                    return Ok(Step::Done(
                        Outcome::RolledBack,
                        format!("{reason}; but {why}"),
                    ));
                }
                if self.opts.wait_until == WaitUntil::Stable && !rollout::is_stable(svc) {
                    self.mode = Mode::Stabilizing;
                    self.observe(svc, None);
                    return Ok(Step::Continue);
                }
                Ok(Step::Done(outcome, reason))
            }
        }
    }

    fn finish_goal(&mut self, reason: &str, hint: Option<String>) -> ExitStatus {
        let v = rollout::goal_verdict(&self.what(), reason, hint);
        let status = v.status;
        self.done = true;
        self.sink.emit(Event::Verdict(v));
        status
    }

    fn finish(&mut self, outcome: Outcome, reason: &str) -> ExitStatus {
        let v = rollout::verdict(outcome, &self.what(), reason);
        let status = v.status;
        self.done = true;
        self.sink.emit(Event::Verdict(v));
        status
    }
}

/// Why `--wait-until` cannot be met by an ECS-controller watch of a service with this
/// deployment controller and strategy (`Err`, for an exit-2 error before anything changes):
/// `stage:`/`paused` need a native BLUE_GREEN/LINEAR/CANARY strategy, `codedeploy:` the
/// CODE_DEPLOY controller.
pub(crate) fn check_wait_until(
    wait_until: WaitUntil,
    controller: &str,
    strategy: &str,
) -> Result<(), String> {
    match wait_until {
        WaitUntil::Stage(stage) => {
            rollout::check_staged_wait(&format!("stage:{stage}"), controller, strategy)
        }
        WaitUntil::Paused => rollout::check_staged_wait("paused", controller, strategy),
        WaitUntil::CodeDeployEvent(event) => {
            rollout::check_codedeploy_wait(&format!("codedeploy:{event}"), controller, strategy)
        }
        WaitUntil::Deployed | WaitUntil::Stable => Ok(()),
    }
}

/// The newest service deployment of a ListServiceDeployments answer.
fn newest(list: &[serde_json::Value]) -> Option<String> {
    list.iter()
        .map(ServiceDeploymentSnapshot::from_json)
        .filter(|s| !s.arn.is_empty())
        .max_by(|a, b| {
            a.created_at
                .unwrap_or(0.0)
                .total_cmp(&b.created_at.unwrap_or(0.0))
        })
        .map(|s| s.arn)
}

#[cfg(test)]
mod tests;
