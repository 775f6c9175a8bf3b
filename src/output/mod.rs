//! The only module that writes to stdout or stderr.
//!
//! Operations and commands hand typed [`Event`]s and data to a [`Printer`]; the printer decides
//! the look (uv's `Printer`, ripgrep's JSON printer):
//!
//! - data a user may pipe (rendered JSON, diffs, lookup values) goes to **stdout**;
//! - chatter (status, warnings, errors) goes to **stderr**: colored status lines on a terminal,
//!   plain timestamped lines otherwise (CodeBuild has no TTY and no `CI=true`);
//! - `--output json` writes JSON Lines on stdout, one `{"type", "time", "data"}` record per
//!   event, and nothing human to stdout.
//!
//! `NO_COLOR` (any non-empty value, <https://no-color.org>) turns colors off unless
//! `--color always`. In CI (`CI` set, or CodeBuild's `CODEBUILD_BUILD_ID`; see [`ci`]) output
//! is plain timestamped lines without bars or colours, even on a pseudo-terminal.

pub mod ci;
mod diff;
mod error;
mod fleet;
mod progress;

use std::io::{IsTerminal, Write};
use std::time::SystemTime;

use console::Style;
use serde::Serialize;
use serde_json::Value;

pub use error::render_error;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable.
    Text,
    /// JSON Lines on stdout.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// Terminal and no NO_COLOR.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// A typed event. Serialized as `{"type": <snake_case variant>, "time": RFC 3339, "data": {...}}`
/// in `--output json` mode.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// A file was rendered (`render`). `kind` is `config`, `taskdef` or `servicedef`.
    Rendered {
        /// What was rendered.
        kind: String,
        /// The file it came from.
        file: String,
        /// The rendered JSON.
        definition: Value,
    },
    /// Every address of a state (`tfstate list`).
    TfstateList {
        /// The state location.
        state: String,
        /// Addresses in state order.
        addresses: Vec<String>,
    },
    /// One looked-up value (`tfstate lookup`); `value` is null when not found.
    TfstateValue {
        /// The state location.
        state: String,
        /// The address asked for.
        address: String,
        /// The value, or null.
        value: Value,
        /// Whether the address was found.
        found: bool,
    },
    /// Something the user should know that does not stop the command.
    Warning {
        /// The message.
        message: String,
    },
    /// The watcher found the deployment it follows (`deploy`, `rollback`, `wait`).
    DeploymentStarted {
        /// Cluster name.
        cluster: String,
        /// Service name.
        service: String,
        /// The service deployment followed (absent in `deployments` fallback mode).
        #[serde(skip_serializing_if = "Option::is_none")]
        service_deployment_arn: Option<String>,
        /// Our `deployments[]` id (`ecs-svc/...`), when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        deployment_id: Option<String>,
        /// The task definition being deployed, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        task_definition: Option<String>,
        /// `service_deployment` (DescribeServiceDeployments) or `deployments` (fallback:
        /// `deployments[]` + `rolloutState`).
        tracking: String,
    },
    /// The watched deployment's state changed (status, counts, deployments).
    Progress(Box<crate::model::rollout::ProgressReport>),
    /// A new service event (`events[]`), oldest first, each once.
    ServiceEvent {
        /// Event id.
        id: String,
        /// When ECS recorded it (RFC 3339).
        created_at: String,
        /// The message.
        message: String,
    },
    /// A task of the watched deployment stopped (why, with container exit codes).
    TaskStopped(crate::model::rollout::StoppedTask),
    /// How the watch ended: exactly one per watch, its last event.
    Verdict(crate::model::rollout::Verdict),
    /// The deployment waits for a person: an ECS PAUSE lifecycle hook is AWAITING_ACTION, or a
    /// CodeDeploy deployment is Ready (waiting for the reroute). Emitted once per hook / Ready
    /// state; `--wait-until paused` ends the watch with it. ChatOps buttons map to the two
    /// commands.
    Paused {
        /// `ECS` or `CODE_DEPLOY`.
        controller: String,
        /// The service deployment ARN (ECS) or the CodeDeploy deployment id.
        deployment: String,
        /// The lifecycle stage of the hook (ECS) or `Ready` (CodeDeploy).
        stage: String,
        /// The PAUSE hook's id (ECS).
        #[serde(skip_serializing_if = "Option::is_none")]
        hook_id: Option<String>,
        /// When the wait ends by itself (RFC 3339), when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        expires_at: Option<String>,
        /// What happens then: `ROLLBACK`/`CONTINUE` (ECS), `CONTINUE_DEPLOYMENT`/`STOP_DEPLOYMENT`
        /// (CodeDeploy).
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout_action: Option<String>,
        /// The command that lets it go on.
        continue_command: String,
        /// The command that rolls it back.
        rollback_command: String,
    },
    /// An ECS-native (BLUE_GREEN/LINEAR/CANARY) deployment entered another lifecycle stage.
    StageChanged {
        /// The service deployment ARN.
        service_deployment_arn: String,
        /// The stage before (None at the first observation).
        #[serde(skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The stage now.
        stage: String,
        /// Its position `N/M` among the reported stages, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        position: Option<String>,
    },
    /// `continue`: ContinueServiceDeployment released a PAUSE lifecycle hook.
    DeploymentContinued {
        /// The service deployment ARN.
        service_deployment_arn: String,
        /// The hook released.
        hook_id: String,
        /// `CONTINUE` or `ROLLBACK`.
        action: String,
        /// The stage it was paused at, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        stage: Option<String>,
    },
    /// `deploy`: a new task definition revision was registered.
    TaskDefinitionRegistered {
        /// Its ARN.
        arn: String,
    },
    /// `deploy`: an existing task definition revision is used (`reason` says why).
    TaskDefinitionSelected {
        /// Its ARN.
        arn: String,
        /// Unchanged from the running revision, `--revision N`, ...
        reason: String,
    },
    /// `deploy`: the service did not exist and was created.
    ServiceCreated {
        /// The new service's ARN.
        service_arn: String,
        /// Its task definition.
        task_definition: String,
        /// Its desired count.
        desired_count: Option<i64>,
    },
    /// `deploy`/`rollback`: UpdateService was called.
    ServiceUpdated {
        /// The service ARN.
        service_arn: String,
        /// The task definition sent.
        task_definition: Option<String>,
        /// The desired count sent (None = kept).
        desired_count: Option<i64>,
        /// The service attributes sent (`networkConfiguration`, ...).
        attributes: Vec<String>,
        /// Whether ECS started a new deployment.
        new_deployment: bool,
    },
    /// `deploy`: service tags changed (TagResource / UntagResource).
    TagsUpdated {
        /// The tagged resource.
        resource: String,
        /// Keys added or changed.
        set: Vec<String>,
        /// Keys removed.
        removed: Vec<String>,
    },
    /// `--dry-run`: a mutating call that was NOT made, with the exact input it would send.
    DryRunCall {
        /// The API operation (`UpdateService`, ...).
        operation: String,
        /// Its input, in the AWS API JSON shape.
        input: Value,
    },
    /// `rollback`: what is rolled back, and how (`stop_deployment`, `continue_rollback` or
    /// `previous_revision`).
    RollbackPlanned {
        /// `stop_deployment` | `continue_rollback` (a paused ECS deployment released with
        /// ContinueServiceDeployment ROLLBACK) | `previous_revision`.
        method: String,
        /// The task definition rolled back from.
        from: String,
        /// The task definition rolled back to (None: ECS restores the source revision).
        to: Option<String>,
        /// The service deployment stopped (`stop_deployment`) or released
        /// (`continue_rollback`).
        service_deployment_arn: Option<String>,
    },
    /// `rollback --deregister-task-definition`: a revision was deregistered.
    TaskDefinitionDeregistered {
        /// Its ARN.
        arn: String,
    },
    /// `status`: the whole report.
    Status(Box<crate::model::status::ServiceStatus>),
    /// A note that is neither a warning nor data (`no new deployment`, `dry run: ...`).
    Info {
        /// The message.
        message: String,
    },
    /// `diff` (and deploy `--dry-run`): one definition's normalised diff, live → local.
    Diff {
        /// `service` or `taskdef`.
        kind: String,
        /// Whether the two sides differ.
        changed: bool,
        /// Headers, structured changes and the unified text.
        #[serde(flatten)]
        diff: crate::model::diff::DefinitionDiff,
    },
    /// The command failed; the last record of a failed run.
    Error {
        /// The top-level message.
        message: String,
        /// The chain of causes, outermost first.
        causes: Vec<String>,
        /// The process exit code.
        exit_code: u8,
    },
    /// CodeDeploy: the application and deployment group that deploy the service.
    CodeDeployGroup {
        /// Application name.
        application: String,
        /// Deployment group name.
        deployment_group: String,
        /// Found by searching (not pinned in the config).
        discovered: bool,
    },
    /// CodeDeploy: CreateDeployment started this deployment.
    CodeDeployDeploymentCreated {
        /// `d-...`.
        deployment_id: String,
        /// Application name.
        application: String,
        /// Deployment group name.
        deployment_group: String,
        /// `deploymentConfigName` sent (None: the group's).
        #[serde(skip_serializing_if = "Option::is_none")]
        deployment_config: Option<String>,
        /// The task definition in the AppSpec.
        task_definition: String,
    },
    /// CodeDeploy: a lifecycle event of the watched deployment changed status (in execution
    /// order).
    CodeDeployLifecycleEvent {
        /// `d-...`.
        deployment_id: String,
        /// `BeforeInstall` ... `AfterAllowTraffic`.
        event: String,
        /// Pending | InProgress | Succeeded | Failed | Skipped.
        status: String,
    },
    /// CodeDeploy: the watched deployment's status or its replacement (green) task set changed.
    CodeDeployProgress {
        /// `d-...`.
        deployment_id: String,
        /// Created | Queued | InProgress | Ready | Succeeded | Failed | Stopped.
        status: String,
        /// Production traffic on the green task set (percent), once it exists.
        #[serde(skip_serializing_if = "Option::is_none")]
        green_traffic_weight: Option<f64>,
        /// Green running tasks.
        #[serde(skip_serializing_if = "Option::is_none")]
        green_running: Option<i64>,
        /// Green desired tasks.
        #[serde(skip_serializing_if = "Option::is_none")]
        green_desired: Option<i64>,
    },
    /// `deploy`/`rollback`/`wait`: where this deployment comes from (commit, ref, who, build),
    /// first record of the run. Fields are absent when unknown.
    DeploymentMetadata(crate::model::metadata::DeployMetadata),
    /// `appspec`: the AppSpec deploy would send (YAML on stdout in text mode).
    AppSpec {
        /// The task definition in it.
        task_definition: String,
        /// The AppSpec document.
        appspec: Value,
    },
    /// `revisions`: the family's ACTIVE revisions, newest first (a table in text mode).
    Revisions {
        /// The task definition family.
        family: String,
        /// The service's current task definition.
        current: String,
        /// One row per revision.
        revisions: Vec<crate::model::revisions::RevisionRow>,
    },
    /// `deregister --delete`: DeleteTaskDefinitions accepted a revision (DELETE_IN_PROGRESS).
    TaskDefinitionDeleted {
        /// Its ARN.
        arn: String,
    },
    /// `verify`: the tree of OK / NG / SKIP checks (cluster, roles, images, secrets, log
    /// groups, load balancers, Service Connect); `ok` is false when any check is NG.
    Verify {
        /// No check is NG.
        ok: bool,
        /// Top-level checks, each with its sub-checks.
        checks: Vec<crate::model::verify::CheckNode>,
    },
    /// `migrate`: an ecspresso construct left as it was (or a config key dropped), with where
    /// it is in the ecspresso file; the user finishes these by hand.
    MigrateLeft {
        /// The ecspresso file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The template action or config key.
        text: String,
        /// Why it was not converted.
        reason: String,
    },
    /// Multi-config run: how one service ended (its record carries `config`). The stream's
    /// single `verdict` record is the run's (the worst of these).
    ServiceVerdict(crate::model::rollout::Verdict),
    /// Multi-config run: every service's verdict in config order, right before the run's
    /// `verdict` (a table on stderr in text mode).
    FleetSummary {
        /// One row per service.
        services: Vec<crate::model::fleet::FleetRow>,
    },
    /// `run`: RunTask started a one-off task. `container` is the watched one (its exit code is
    /// the run's); `log_stream` its awslogs stream when logs are streamed.
    TaskStarted {
        /// Task ARN.
        task_arn: String,
        /// Task definition ARN.
        task_definition: String,
        /// The watched container.
        container: String,
        /// `prefix/container/taskId` in the container's awslogs group.
        #[serde(skip_serializing_if = "Option::is_none")]
        log_stream: Option<String>,
    },
    /// `run`: a one-off task reached RUNNING (once per task). Its stop is a `task_stopped`.
    TaskRunning {
        /// Task ARN.
        task_arn: String,
    },
    /// `run`: one CloudWatch Logs event of the watched container, each once, in order. Text
    /// mode prints the message on stdout (it is the task's output, i.e. data).
    Log {
        /// The task it came from.
        task_arn: String,
        /// The container.
        container: String,
        /// Event time (epoch milliseconds).
        #[serde(skip_serializing_if = "Option::is_none")]
        timestamp: Option<i64>,
        /// The log line.
        message: String,
    },
}

/// Where operations send their events: the [`Printer`], or a [`RecordingSink`] in tests.
pub trait EventSink: Send + Sync {
    /// Handle one event.
    fn emit(&self, event: Event);
    /// Called once per poll by long-running operations (the watcher): lets a renderer animate
    /// or print a heartbeat when nothing changed for a while.
    fn tick(&self) {}
}

impl EventSink for Printer {
    fn emit(&self, event: Event) {
        self.event(&event);
    }

    fn tick(&self) {
        if self.format == OutputFormat::Text {
            self.progress.heartbeat(self);
        }
    }
}

/// An [`EventSink`] that keeps every event (tests, and callers that post-process events).
#[derive(Debug, Default)]
pub struct RecordingSink {
    events: std::sync::Mutex<Vec<Event>>,
}

impl RecordingSink {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl EventSink for RecordingSink {
    fn emit(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event);
    }
}

/// Writes events and data; the single place that knows about terminals and colors.
#[derive(Debug, Clone)]
pub struct Printer {
    format: OutputFormat,
    color_stdout: bool,
    color_stderr: bool,
    stderr_tty: bool,
    /// Live watch progress (bar on a terminal, heartbeat lines otherwise).
    progress: std::sync::Arc<progress::ProgressView>,
    /// JSON mode: the watch verdict, held back until [`Printer::finish`] so that it is the
    /// stream's last record even when warnings (a failed notification) or an error follow it.
    held_verdict: std::sync::Arc<std::sync::Mutex<Option<crate::model::rollout::Verdict>>>,
    /// One service of a multi-config run: its label prefixes human lines, its config path is
    /// a field of its JSON Lines records ([`Printer::scoped`]).
    scope: Option<std::sync::Arc<fleet::Scope>>,
    /// Terminal, multi-config run: one bar per service in one MultiProgress (shared by clones).
    multi: std::sync::Arc<std::sync::OnceLock<indicatif::MultiProgress>>,
}

fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Printer {
    /// A printer for this process's real stdout/stderr.
    pub fn new(format: OutputFormat, color: ColorChoice) -> Self {
        let env = |k: &str| std::env::var(k).ok();
        let out = ci::interactivity(std::io::stdout().is_terminal(), env);
        let err = ci::interactivity(std::io::stderr().is_terminal(), env);
        // `stderr_tty` below means "live": a terminal and not CI (bars, no timestamps).
        let stderr_tty = err.live;
        let (color_stdout, color_stderr) = match color {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto if no_color_env() => (false, false),
            ColorChoice::Auto => (out.live, err.live),
        };
        // console decides per Style::apply_to; force its global switches to our decision.
        console::set_colors_enabled(color_stdout);
        console::set_colors_enabled_stderr(color_stderr);
        Printer {
            format,
            color_stdout: color_stdout && format == OutputFormat::Text,
            color_stderr,
            stderr_tty,
            progress: Default::default(),
            held_verdict: Default::default(),
            scope: None,
            multi: Default::default(),
        }
    }

    /// End the run: in JSON mode write the closing `verdict` record, exactly once per process,
    /// carrying the process's exit code. It is the watch verdict when one was emitted and
    /// agrees with `status`, otherwise one built from `status` (`message`: the error's
    /// top-level message). Text mode: nothing (the watch printed its verdict line already).
    /// `main` calls this on every path (success, error, Ctrl-C).
    pub fn finish(&self, status: crate::exit::ExitStatus, message: Option<&str>) {
        let held = self
            .held_verdict
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if self.format != OutputFormat::Json {
            return;
        }
        let verdict = match held {
            Some(v) if v.status == status => v,
            _ => crate::model::rollout::closing_verdict(status, message),
        };
        self.json_record(&Event::Verdict(verdict));
    }

    /// The output format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Whether stdout data may carry ANSI colors.
    pub fn stdout_colored(&self) -> bool {
        self.color_stdout
    }

    /// Data for stdout, as is (a trailing newline is added when missing).
    /// A closed pipe (`| head`) is not an error.
    pub fn data(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// Emit an event: a JSON Lines record in JSON mode, otherwise its human form.
    pub fn event(&self, event: &Event) {
        match self.format {
            OutputFormat::Json => {
                if let Event::Verdict(v) = event {
                    // Written by `finish` (a service's: `finish_service`), last.
                    *self.held_verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(v.clone());
                    return;
                }
                self.json_record(event)
            }
            OutputFormat::Text => {
                if let (Event::Verdict(v), Some(_)) = (event, &self.scope) {
                    // A service's own verdict line is printed now; `finish_service` knows.
                    *self.held_verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(v.clone());
                }
                self.human(event)
            }
        }
    }

    fn json_record(&self, event: &Event) {
        let config = self.scope.as_ref().map(|s| s.config.as_str());
        self.data(&json_line_scoped(event, SystemTime::now(), config));
    }

    fn human(&self, event: &Event) {
        match event {
            Event::Rendered { definition, .. } => self.data(&pretty_json(definition)),
            Event::TfstateList { addresses, .. } => {
                let mut text = addresses.join("\n");
                text.push('\n');
                if !addresses.is_empty() {
                    self.data(&text);
                }
            }
            Event::TfstateValue { value, found, .. } => {
                if *found {
                    self.data(&value_text(value));
                }
            }
            Event::Warning { message } => self.warn(message),
            Event::DeploymentStarted { .. }
            | Event::Progress(_)
            | Event::ServiceEvent { .. }
            | Event::TaskStopped(_)
            | Event::Verdict(_) => self.progress.render(self, event),
            Event::Paused {
                stage,
                hook_id,
                expires_at,
                timeout_action,
                continue_command,
                rollback_command,
                ..
            } => {
                let mut what = format!("waiting for action at {stage}");
                if let Some(h) = hook_id {
                    what.push_str(&format!(" (hook {h})"));
                }
                match (expires_at, timeout_action) {
                    (Some(at), Some(action)) => {
                        what.push_str(&format!("; at {at} it will {action}"))
                    }
                    (Some(at), None) => what.push_str(&format!("; expires {at}")),
                    _ => {}
                }
                self.status("Paused", &what);
                self.status("", &format!("continue: {continue_command}"));
                self.status("", &format!("roll back: {rollback_command}"));
            }
            Event::StageChanged { .. } => self.progress.render(self, event),
            Event::DeploymentContinued {
                service_deployment_arn,
                hook_id,
                action,
                stage,
            } => {
                let id = service_deployment_arn
                    .rsplit('/')
                    .next()
                    .unwrap_or(service_deployment_arn);
                let at = stage
                    .as_deref()
                    .map(|s| format!(" at {s}"))
                    .unwrap_or_default();
                let verb = if action == "ROLLBACK" {
                    "Rolling back"
                } else {
                    "Continuing"
                };
                self.status(
                    verb,
                    &format!("deployment {id}{at}: hook {hook_id} released with {action}"),
                );
            }
            Event::TaskDefinitionRegistered { arn } => {
                self.status("Registered", &format!("task definition {}", short_td(arn)));
            }
            Event::TaskDefinitionSelected { arn, reason } => {
                self.status(
                    "Using",
                    &format!("task definition {} ({reason})", short_td(arn)),
                );
            }
            Event::ServiceCreated {
                service_arn,
                task_definition,
                desired_count,
            } => {
                let count = desired_count.map_or(String::new(), |n| format!(", desiredCount {n}"));
                self.status(
                    "Created",
                    &format!(
                        "service {service_arn} with {}{count}",
                        short_td(task_definition)
                    ),
                );
            }
            Event::ServiceUpdated {
                service_arn,
                task_definition,
                desired_count,
                attributes,
                new_deployment,
            } => {
                let mut what = Vec::new();
                if let Some(td) = task_definition {
                    what.push(format!("task definition {}", short_td(td)));
                }
                if let Some(n) = desired_count {
                    what.push(format!("desiredCount {n}"));
                }
                if !attributes.is_empty() {
                    what.push(attributes.join(", "));
                }
                let name = service_arn.rsplit('/').next().unwrap_or(service_arn);
                let tail = if *new_deployment {
                    "; new deployment started"
                } else {
                    ""
                };
                self.status(
                    "Updated",
                    &format!("service {name}: {}{tail}", what.join(", ")),
                );
            }
            Event::TagsUpdated { set, removed, .. } => {
                let mut parts = Vec::new();
                if !set.is_empty() {
                    parts.push(format!("set {}", set.join(", ")));
                }
                if !removed.is_empty() {
                    parts.push(format!("removed {}", removed.join(", ")));
                }
                self.status("Tagged", &format!("service: {}", parts.join("; ")));
            }
            Event::DryRunCall { operation, input } => {
                self.status("Would call", &format!("{operation} with (stdout):"));
                self.data(&pretty_json(input));
            }
            Event::RollbackPlanned {
                method,
                from,
                to,
                service_deployment_arn,
            } => match (to, service_deployment_arn) {
                (Some(to), _) => self.status(
                    "Rolling back",
                    &format!("{} → {}", short_td(from), short_td(to)),
                ),
                (None, Some(arn)) if method == "continue_rollback" => self.status(
                    "Rolling back",
                    &format!(
                        "paused deployment {} of {} (ContinueServiceDeployment ROLLBACK)",
                        arn.rsplit('/').next().unwrap_or(arn),
                        short_td(from)
                    ),
                ),
                (None, Some(arn)) => self.status(
                    "Rolling back",
                    &format!(
                        "stopping deployment {} of {} (StopServiceDeployment ROLLBACK)",
                        arn.rsplit('/').next().unwrap_or(arn),
                        short_td(from)
                    ),
                ),
                (None, None) => self.status("Rolling back", short_td(from)),
            },
            Event::TaskDefinitionDeregistered { arn } => {
                self.status(
                    "Deregistered",
                    &format!("task definition {}", short_td(arn)),
                );
            }
            Event::Status(report) => self.data(&report.text()),
            Event::Revisions { revisions, .. } => self.data(&revisions_table(revisions)),
            Event::TaskDefinitionDeleted { arn } => {
                self.status("Deleted", &format!("task definition {}", short_td(arn)));
            }
            Event::Info { message } => self.status("Note", message),
            Event::Diff { kind, diff: d, .. } => diff::render(self, kind, d),
            Event::Error { .. } => {}
            Event::CodeDeployGroup {
                application,
                deployment_group,
                discovered,
            } => {
                let how = if *discovered { "Found" } else { "Using" };
                self.status(
                    how,
                    &format!(
                        "CodeDeploy application {application}, deployment group {deployment_group}"
                    ),
                );
            }
            Event::CodeDeployDeploymentCreated {
                deployment_id,
                application,
                deployment_group,
                deployment_config,
                task_definition,
            } => {
                let config = deployment_config
                    .as_deref()
                    .map_or(String::new(), |c| format!(", {c}"));
                self.status(
                    "Created",
                    &format!(
                        "CodeDeploy deployment {deployment_id} of {} ({application}/{deployment_group}{config})",
                        short_td(task_definition)
                    ),
                );
            }
            Event::CodeDeployLifecycleEvent {
                deployment_id,
                event,
                status,
            } => self.status("Lifecycle", &format!("{deployment_id} {event} {status}")),
            Event::CodeDeployProgress {
                deployment_id,
                status,
                green_traffic_weight,
                green_running,
                green_desired,
            } => {
                let mut line = format!("{deployment_id} {status}");
                if let Some(w) = green_traffic_weight {
                    line.push_str(&format!(", green traffic {w}%"));
                }
                if let (Some(r), Some(d)) = (green_running, green_desired) {
                    line.push_str(&format!(", green tasks {r}/{d}"));
                }
                self.status("CodeDeploy", &line);
            }
            Event::DeploymentMetadata(m) => {
                let mut parts = Vec::new();
                if let Some(c) = m.short_commit() {
                    parts.push(format!("commit {c}"));
                }
                if let Some(r) = &m.git_ref {
                    parts.push(format!("ref {r}"));
                }
                if let Some(b) = &m.by {
                    parts.push(format!("by {b}"));
                }
                if let Some(u) = &m.build_url {
                    parts.push(format!("build {u}"));
                }
                if !parts.is_empty() {
                    self.status("Source", &parts.join(", "));
                }
            }
            Event::AppSpec { appspec, .. } => {
                self.data(&crate::model::appspec::to_yaml(appspec));
            }
            Event::Verify { checks, .. } => {
                self.data(&crate::model::verify::render_tree(checks));
            }
            Event::MigrateLeft {
                file,
                line,
                text,
                reason,
            } => {
                self.warn(&format!("{file}:{line}: {text}: {reason}"));
            }
            Event::ServiceVerdict(v) => self.progress.render(self, &Event::Verdict(v.clone())),
            Event::FleetSummary { services } => {
                self.stderr_block(&crate::model::fleet::summary_table(services));
            }
            Event::TaskStarted {
                task_arn,
                task_definition,
                container,
                log_stream,
            } => {
                let logs = log_stream
                    .as_deref()
                    .map(|l| format!(", logs from {l}"))
                    .unwrap_or_default();
                self.status(
                    "Started",
                    &format!(
                        "task {} ({}), watching container {container}{logs}",
                        crate::model::run::task_id(task_arn),
                        crate::model::revision::short_name(task_definition)
                    ),
                );
            }
            Event::TaskRunning { task_arn } => self.status(
                "Running",
                &format!("task {}", crate::model::run::task_id(task_arn)),
            ),
            Event::Log { message, .. } => self.data(message),
        }
    }

    /// A `warning: ...` line on stderr (JSON mode: a `warning` record).
    pub fn warn(&self, message: &str) {
        if self.format == OutputFormat::Json {
            self.json_record(&Event::Warning {
                message: message.to_owned(),
            });
            return;
        }
        let label = self.paint_stderr("warning", Style::new().yellow().bold());
        self.stderr_line(&format!("{label}: {message}"));
    }

    /// A cargo-style status line on stderr: `   Verb message`. Text mode only.
    pub fn status(&self, verb: &str, message: &str) {
        if self.format == OutputFormat::Json {
            return;
        }
        let verb = self.paint_stderr(&format!("{verb:>12}"), Style::new().green().bold());
        self.stderr_line(&format!("{verb} {message}"));
    }

    /// Write one line to stderr; plain timestamped when stderr is not a terminal.
    fn stderr_line(&self, line: &str) {
        let line = self.prefixed(line);
        // A live progress bar is hidden while the line is written, then redrawn below it.
        self.suspend_bars(|| {
            let mut err = std::io::stderr().lock();
            let _ = if self.stderr_tty {
                writeln!(err, "{line}")
            } else {
                let ts = humantime::format_rfc3339_seconds(SystemTime::now());
                writeln!(err, "{ts} {}", line.trim_start())
            };
        });
    }

    pub(crate) fn paint_stderr(&self, text: &str, style: Style) -> String {
        if self.color_stderr {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_owned()
        }
    }

    /// Raw stderr text (multi-line blocks such as error reports); no timestamp.
    pub(crate) fn stderr_block(&self, text: &str) {
        let text = self.prefixed_block(text);
        self.suspend_bars(|| {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        });
    }
}

/// One JSON Lines record: `{"type": ..., "time": RFC 3339 (ms, UTC), "data": {...}}`, written
/// in that key order for people reading the stream (serde_json maps would sort the keys).
pub fn json_line(event: &Event, at: SystemTime) -> String {
    json_line_scoped(event, at, None)
}

/// [`json_line`] of one service of a multi-config run: `config` (the path as given) goes
/// between `time` and `data`, on every record of that service.
pub fn json_line_scoped(event: &Event, at: SystemTime, config: Option<&str>) -> String {
    let value = serde_json::to_value(event).unwrap_or(Value::Null);
    let kind = value.get("type").cloned().unwrap_or(Value::Null);
    let data = value.get("data").cloned().unwrap_or(Value::Null);
    let time = Value::String(humantime::format_rfc3339_millis(at).to_string());
    match config {
        Some(c) => {
            let c = Value::String(c.to_owned());
            format!("{{\"type\":{kind},\"time\":{time},\"config\":{c},\"data\":{data}}}")
        }
        None => format!("{{\"type\":{kind},\"time\":{time},\"data\":{data}}}"),
    }
}

/// `family:N` of a task definition ARN (names pass through).
/// `revisions` in text mode: REVISION, SERVICE (`current` for the one it runs), IN USE.
fn revisions_table(rows: &[crate::model::revisions::RevisionRow]) -> String {
    let names: Vec<String> = rows.iter().map(|r| short_td(&r.arn).to_owned()).collect();
    let width = names.iter().map(String::len).chain([8]).max().unwrap_or(8);
    let mut out = format!("{:<width$}  {:<7}  IN USE", "REVISION", "SERVICE");
    for (r, name) in rows.iter().zip(&names) {
        let current = if r.current { "current" } else { "-" };
        let in_use = r.in_use.as_deref().unwrap_or("-");
        out.push_str(&format!("\n{name:<width$}  {current:<7}  {in_use}"));
    }
    out
}

fn short_td(arn: &str) -> &str {
    crate::model::revision::short_name(arn)
}

/// JSON with two-space indentation and keys in sorted (stable) order.
pub fn pretty_json(value: &Value) -> String {
    // serde_json's Map is a BTreeMap (no `preserve_order` feature), so keys come out sorted.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

/// How a looked-up value is printed: strings raw, everything else compact JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod schema_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_text_rules() {
        assert_eq!(value_text(&Value::String("a\"b".into())), "a\"b");
        assert_eq!(value_text(&serde_json::json!(30)), "30");
        assert_eq!(value_text(&serde_json::json!(["x", 1])), "[\"x\",1]");
        assert_eq!(
            value_text(&serde_json::json!({"b":1,"a":2})),
            "{\"a\":2,\"b\":1}"
        );
    }

    #[test]
    fn pretty_json_sorts_keys_and_indents_two_spaces() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1], "c": true}});
        assert_eq!(
            pretty_json(&v),
            "{\n  \"a\": {\n    \"c\": true,\n    \"d\": [\n      1\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }

    #[test]
    fn event_envelope_shape() {
        let ev = Event::TfstateValue {
            state: "s".into(),
            address: "output.x".into(),
            value: serde_json::json!("v"),
            found: true,
        };
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_795_000_000_123);
        assert_eq!(
            json_line(&ev, at),
            r#"{"type":"tfstate_value","time":"2026-11-18T11:06:40.123Z","data":{"address":"output.x","found":true,"state":"s","value":"v"}}"#
        );
    }
}
