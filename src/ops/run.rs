//! `ecspress run`: start one-off tasks (RunTask) from the project's task definition and the
//! service definition's placement, follow them, stream the watched container's CloudWatch
//! logs, and exit with that container's exit code (reference ecspresso.md §1.15).
//!
//! The order is deploy's safety argument, applied to a task:
//! 1. render and read first: the service definition (network, launch type or capacity
//!    providers, platform version, tags, placement), the task definition choice (the rendered
//!    file, registered only when it differs from the family's revision it is compared with —
//!    deploy's rule; or `--revision N` / `--latest-task-definition`, which neither render nor
//!    register), the watched container and `--overrides` (its containers, and every member
//!    checked against the SDK's RunTask schema) — all before the first write;
//! 2. writes: RegisterTaskDefinition (only when needed), then one RunTask. `failures[]` in the
//!    answer is an error listing each arn, reason and detail; `--dry-run` prints both inputs
//!    instead;
//! 3. wait (`--wait-until stopped`, the default, or `running`): DescribeTasks every poll (≤ 100
//!    ARNs per call, batched by the adapter), `task_running` / `task_stopped` events, and
//!    GetLogEvents for each task's awslogs stream (`prefix/container/taskId`, from the head,
//!    following `nextForwardToken`; a stream that does not exist yet is retried at the next
//!    poll; after STOPPED the stream is drained once more). A logs error other than
//!    not-found (e.g. AccessDenied) is one warning and streaming stops: logs are a
//!    convenience, the task's verdict is not.
//!
//! Ctrl-C ends the process with 130 and leaves the tasks running, as ecspresso does: a
//! one-off job (a migration) is usually better finished than killed halfway; `aws ecs
//! stop-task` stops it. A timeout (`--timeout`) likewise leaves them running (exit 5).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde_json::Value;
use tokio::time::Instant;

use crate::aws::AwsErrorKind;
use crate::aws::logs::LogsApi;
use crate::exit::ExitStatus;
use crate::model::rollout::{Outcome, StoppedTask, Verdict};
use crate::model::run::{self, LogTarget, RunPlan, TaskEnd};
use crate::ops::deploy::{self, DeployOptions, TaskDefinitionChoice};
use crate::ops::render::Project;
use crate::output::{Event, EventSink};

/// When `run` stops waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunWaitUntil {
    /// Every task is RUNNING (exit 0), or stopped before (its verdict).
    Running,
    /// Every task is STOPPED: the watched container's exit code.
    Stopped,
}

/// Resolved `run` flags.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--count`.
    pub count: u32,
    /// `--wait-until`; None = `--no-wait`.
    pub wait_until: Option<RunWaitUntil>,
    /// `--watch-container`.
    pub watch_container: Option<String>,
    /// `--revision`.
    pub revision: Option<u32>,
    /// `--latest-task-definition`.
    pub latest_task_definition: bool,
    /// `--started-by`.
    pub started_by: Option<String>,
    /// `--overrides` / `--overrides-file`, parsed.
    pub overrides: Option<Value>,
    /// Not `--no-logs`.
    pub logs: bool,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--poll-interval`.
    pub poll_interval: Duration,
}

/// What a run did: its exit status and the tasks it started (empty for a dry run).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The exit status.
    pub status: ExitStatus,
    /// Task ARNs, in RunTask order.
    pub task_arns: Vec<String>,
}

/// Run `run`. `logs` reads CloudWatch Logs (None: not streamed).
pub async fn run(
    project: &Project,
    opts: &RunOptions,
    logs: Option<&dyn LogsApi>,
    sink: &dyn EventSink,
) -> anyhow::Result<RunOutcome> {
    run::check_count(opts.count).map_err(|e| anyhow!(e))?;
    let config = project.config();
    let cluster = config.cluster.clone();
    let ecs = project.clients().ecs.clone();
    let ecs = ecs.as_ref();

    // 1. Render and read.
    let service_file = deploy::render_service(project, false, sink).await?;
    let live = match config.service.as_deref().filter(|s| !s.is_empty()) {
        // Only the family for --revision/--latest-task-definition (no task definition render).
        Some(service) if opts.revision.is_some() || opts.latest_task_definition => ecs
            .describe_service(&cluster, service)
            .await
            .with_context(|| format!("cannot describe service {service} in cluster {cluster}"))?,
        _ => None,
    };
    let deploy_opts = DeployOptions {
        dry_run: opts.dry_run,
        tasks: None,
        skip_task_definition: opts.revision.is_some(),
        revision: opts.revision,
        latest_task_definition: opts.latest_task_definition,
        force_new_deployment: false,
        update_service: false,
        wait: false,
        strict: false,
        watch: crate::ops::watch::WatchOptions {
            timeout: opts.timeout,
            poll_interval: opts.poll_interval,
            max_poll_interval: None,
            wait_until: crate::settings::WaitUntil::Deployed,
        },
        codedeploy_config: None,
        rollback_events: None,
        auto_scaling: Default::default(),
    };
    let rendered = if opts.revision.is_some() || opts.latest_task_definition {
        None
    } else {
        Some(deploy::render_task(project, false, sink).await?)
    };
    if let Some(td) = &rendered {
        // The flags are checked against the file before any AWS call.
        run::watched_container(td, opts.watch_container.as_deref()).map_err(|e| anyhow!(e))?;
        if let Some(o) = &opts.overrides {
            run::check_overrides(o, td).map_err(|e| anyhow!(e))?;
        }
    }
    let check_input = |input: &Value| -> anyhow::Result<()> {
        let unknown = crate::aws::codec::unknown_run_task_fields(input).map_err(|e| {
            anyhow!("the RunTask input (--overrides and the service definition's settings) is {e}")
        })?;
        if !unknown.is_empty() {
            bail!(
                "fields unknown to the RunTask API: {}; nothing was changed",
                unknown.join(", ")
            );
        }
        Ok(())
    };
    let plan = |td: &str| {
        run::run_task_input(
            &RunPlan {
                cluster: &cluster,
                task_definition: td,
                count: opts.count,
                started_by: opts.started_by.as_deref(),
                overrides: opts.overrides.as_ref(),
            },
            service_file.as_ref(),
        )
    };
    // Unknown fields do not depend on the revision: checked before any AWS call too.
    check_input(&plan("placeholder").0)?;
    let choice = deploy::choose_task_definition(
        project,
        ecs,
        live.as_ref(),
        rendered.as_ref(),
        &deploy_opts,
        sink,
    )
    .await?;
    let task_definition = match &choice {
        TaskDefinitionChoice::Register { input } => input.clone(),
        TaskDefinitionChoice::Existing { arn, .. } => ecs
            .describe_task_definition(arn)
            .await
            .with_context(|| format!("cannot describe task definition {arn}"))?,
    };
    let container = run::watched_container(&task_definition, opts.watch_container.as_deref())
        .map_err(|e| anyhow!(e))?;
    if let Some(o) = &opts.overrides {
        run::check_overrides(o, &task_definition).map_err(|e| anyhow!(e))?;
    }
    let log_target = if opts.logs && opts.wait_until.is_some() {
        match run::log_target(&task_definition, &container) {
            Ok(t) => Some(t),
            Err(why) => {
                sink.emit(Event::Info {
                    message: format!("logs are not streamed: {why}"),
                });
                None
            }
        }
    } else {
        None
    };

    // The RunTask input, checked against the SDK model before anything is written.
    let family = task_definition
        .get("family")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let placeholder = match &choice {
        TaskDefinitionChoice::Existing { arn, .. } => arn.clone(),
        // The new revision's ARN exists only after registering; RunTask resolves a bare
        // family to its newest ACTIVE revision, which is the one just registered.
        TaskDefinitionChoice::Register { .. } => family.clone(),
    };
    let (input, notes) = plan(&placeholder);
    check_input(&input)?;
    for n in notes {
        sink.emit(Event::Warning { message: n });
    }

    // A missing cluster is found before the task definition is registered (RunTask would
    // only say ClusterNotFoundException after it). Clients that cannot describe clusters
    // leave it to RunTask.
    if let Ok(status) = ecs.describe_cluster_status(&cluster).await
        && status.as_deref() != Some("ACTIVE")
    {
        bail!(
            "cluster {cluster} is {}; nothing was changed",
            status.map_or("not found".to_owned(), |s| format!("{s}, not ACTIVE"))
        );
    }

    // 2. Write.
    if opts.dry_run {
        match choice {
            TaskDefinitionChoice::Existing { arn, reason } => {
                sink.emit(Event::TaskDefinitionSelected { arn, reason })
            }
            TaskDefinitionChoice::Register { input } => sink.emit(Event::DryRunCall {
                operation: "RegisterTaskDefinition".into(),
                input,
            }),
        }
        sink.emit(Event::DryRunCall {
            operation: "RunTask".into(),
            input,
        });
        sink.emit(Event::Info {
            message: "dry run: nothing was changed".into(),
        });
        return Ok(RunOutcome {
            status: ExitStatus::Success,
            task_arns: Vec::new(),
        });
    }
    let td_arn = match choice {
        TaskDefinitionChoice::Existing { arn, reason } => {
            sink.emit(Event::TaskDefinitionSelected {
                arn: arn.clone(),
                reason,
            });
            arn
        }
        TaskDefinitionChoice::Register { input } => {
            deploy::register_once(ecs, &input, &project.config().ignore.tags, sink).await?
        }
    };
    let (input, _) = plan(&td_arn);
    let out = ecs
        .run_task(&input)
        .await
        .with_context(|| format!("cannot run task definition {td_arn} in cluster {cluster}"))?;
    let task_arns: Vec<String> = out
        .get("tasks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| deploy::string_field(t, "taskArn"))
        .collect();
    for arn in &task_arns {
        sink.emit(Event::TaskStarted {
            task_arn: arn.clone(),
            task_definition: td_arn.clone(),
            container: container.clone(),
            log_stream: log_target.as_ref().map(|t| t.stream(&container, arn)),
        });
    }
    let failures = out
        .get("failures")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !failures.is_empty() || task_arns.is_empty() {
        let started = if task_arns.is_empty() {
            String::new()
        } else {
            format!(
                " ({} task(s) did start and keep running: {})",
                task_arns.len(),
                task_arns.join(", ")
            )
        };
        bail!(
            "RunTask in cluster {cluster} failed: {}{started}",
            run::failure_lines(&failures).join("; ")
        );
    }

    // 3. Wait.
    let Some(until) = opts.wait_until else {
        sink.emit(Event::Info {
            message: "not waiting (--no-wait); the task runs on".into(),
        });
        return Ok(RunOutcome {
            status: ExitStatus::Success,
            task_arns,
        });
    };
    let mut follower = Follower {
        cluster: &cluster,
        container: &container,
        task_arns: &task_arns,
        logs: logs.zip(log_target),
        tokens: HashMap::new(),
        running: HashSet::new(),
        stopped: HashMap::new(),
        sink,
    };
    let status = follower.follow(ecs, until, opts).await?;
    Ok(RunOutcome { status, task_arns })
}

/// The wait loop's state.
struct Follower<'a> {
    cluster: &'a str,
    container: &'a str,
    task_arns: &'a [String],
    logs: Option<(&'a dyn LogsApi, LogTarget)>,
    /// nextForwardToken per task.
    tokens: HashMap<String, String>,
    running: HashSet<String>,
    /// Stopped tasks (DescribeTasks entry).
    stopped: HashMap<String, Value>,
    sink: &'a dyn EventSink,
}

/// DescribeTasks errors tolerated in a row before the wait fails.
const MAX_ERRORS: u32 = 3;

impl Follower<'_> {
    async fn follow(
        &mut self,
        ecs: &dyn crate::aws::ecs::EcsApi,
        until: RunWaitUntil,
        opts: &RunOptions,
    ) -> anyhow::Result<ExitStatus> {
        let deadline = Instant::now() + opts.timeout;
        let mut errors = 0;
        loop {
            match ecs.describe_tasks(self.cluster, self.task_arns).await {
                Ok(tasks) => {
                    errors = 0;
                    self.observe(&tasks);
                }
                Err(e) => {
                    let transient =
                        matches!(e.kind, AwsErrorKind::Throttled | AwsErrorKind::Transport);
                    errors += 1;
                    self.sink.emit(Event::Warning {
                        message: format!(
                            "DescribeTasks failed (poll {errors} in a row; retrying): {e}"
                        ),
                    });
                    if !transient && errors >= MAX_ERRORS {
                        return Err(anyhow::Error::from(e).context(format!(
                            "cannot describe the tasks in cluster {}",
                            self.cluster
                        )));
                    }
                }
            }
            self.stream_logs().await;
            let all_stopped = self.stopped.len() == self.task_arns.len();
            let settled = self
                .task_arns
                .iter()
                .all(|a| self.running.contains(a) || self.stopped.contains_key(a));
            if all_stopped || (until == RunWaitUntil::Running && settled) {
                // Drain what the stream still holds (awslogs delivers shortly after exit).
                self.stream_logs().await;
                return Ok(self.verdict());
            }
            self.sink.tick();
            if Instant::now() >= deadline {
                let waiting: Vec<&str> = self
                    .task_arns
                    .iter()
                    .filter(|a| !self.stopped.contains_key(*a))
                    .map(|a| run::task_id(a))
                    .collect();
                let status = ExitStatus::TimedOut;
                self.sink.emit(Event::Verdict(Verdict {
                    status,
                    outcome: Outcome::TimedOut,
                    exit_code: status.code(),
                    message: format!(
                        "timed out after {} waiting for task(s) {}",
                        humantime::format_duration(opts.timeout),
                        waiting.join(", ")
                    ),
                    hint: Some("the task(s) keep running; `aws ecs stop-task` stops one".into()),
                }));
                return Ok(status);
            }
            tokio::time::sleep(opts.poll_interval).await;
        }
    }

    /// New RUNNING / STOPPED states → events, each once per task.
    fn observe(&mut self, tasks: &[Value]) {
        for t in tasks {
            let Some(arn) = deploy::string_field(t, "taskArn") else {
                continue;
            };
            let last = t.get("lastStatus").and_then(Value::as_str).unwrap_or("");
            if (last == "RUNNING" || t.get("startedAt").is_some())
                && self.running.insert(arn.clone())
            {
                self.sink.emit(Event::TaskRunning {
                    task_arn: arn.clone(),
                });
            }
            if last == "STOPPED" && !self.stopped.contains_key(&arn) {
                self.sink
                    .emit(Event::TaskStopped(StoppedTask::from_json(t)));
                self.stopped.insert(arn, t.clone());
            }
        }
    }

    /// One GetLogEvents round per task (from its forward token).
    async fn stream_logs(&mut self) {
        let Some((api, target)) = &self.logs else {
            return;
        };
        let (api, target) = (*api, target.clone());
        for arn in self.task_arns {
            let stream = target.stream(self.container, arn);
            // Page until the token stops moving (GetLogEvents returns the same token at the end).
            for _ in 0..100 {
                let token = self.tokens.get(arn).cloned();
                let page = match api
                    .get_log_events(
                        target.region.as_deref(),
                        &target.group,
                        &stream,
                        token.as_deref(),
                    )
                    .await
                {
                    Ok(p) => p,
                    // Not created yet: the task has not started logging; next poll.
                    Err(e) if e.kind == AwsErrorKind::NotFound => break,
                    Err(e) => {
                        self.sink.emit(Event::Warning {
                            message: format!(
                                "cannot read the logs of {}/{stream}; not streaming them: {e}",
                                target.group
                            ),
                        });
                        self.logs = None;
                        return;
                    }
                };
                for e in page
                    .get("events")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.sink.emit(Event::Log {
                        task_arn: arn.clone(),
                        container: self.container.to_owned(),
                        timestamp: e.get("timestamp").and_then(Value::as_i64),
                        message: e
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    });
                }
                let next = page
                    .get("nextForwardToken")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                match next {
                    Some(n) if Some(&n) != token.as_ref() => {
                        self.tokens.insert(arn.clone(), n);
                    }
                    _ => break,
                }
            }
        }
    }

    /// The run's verdict, emitted and returned.
    fn verdict(&self) -> ExitStatus {
        let ends: Vec<(String, TaskEnd)> = self
            .task_arns
            .iter()
            .filter_map(|a| {
                self.stopped
                    .get(a)
                    .map(|t| (a.clone(), run::task_end(t, self.container)))
            })
            .collect();
        let (status, message) = if ends.is_empty() {
            (
                ExitStatus::Success,
                format!("{} task(s) running", self.task_arns.len()),
            )
        } else {
            run::run_verdict(&ends, self.container)
        };
        let outcome = match status {
            ExitStatus::Success => Outcome::Completed,
            ExitStatus::FailedNotRolledBack => Outcome::Stopped,
            _ => Outcome::Negative,
        };
        self.sink.emit(Event::Verdict(Verdict {
            status,
            outcome,
            exit_code: status.code(),
            message,
            hint: None,
        }));
        status
    }
}

/// [`run`] with the real CloudWatch Logs client for the project's AWS settings (only built
/// when logs are streamed: `--no-logs`, `--no-wait` and `--dry-run` never need it).
pub async fn run_project(
    project: &Project,
    opts: &RunOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<RunOutcome> {
    let logs = if opts.logs && opts.wait_until.is_some() && !opts.dry_run {
        let sdk = crate::aws::load_sdk_config(project.aws_options()).await;
        Some(crate::aws::logs::SdkLogs::new(&sdk))
    } else {
        None
    };
    run(
        project,
        opts,
        logs.as_ref().map(|l| l as &dyn LogsApi),
        sink,
    )
    .await
}

#[cfg(test)]
mod tests;
