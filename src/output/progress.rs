//! How a watched deployment looks on stderr (text mode; `--output json` writes the events as
//! JSON Lines instead).
//!
//! - On a terminal: one indicatif bar (running / desired of our deployment, with the status and
//!   circuit-breaker count as its message; for BLUE_GREEN/LINEAR/CANARY also the stage `N/M`,
//!   the green revision's production/test traffic weights, hook statuses and the bake
//!   countdown) that stays at the bottom while service events, lifecycle stage changes,
//!   deployment lines and stopped tasks scroll above it; cleared when the verdict is printed.
//! - Otherwise (CodeBuild, CI logs, pipes): one plain timestamped line per change (stage
//!   changes included), and a heartbeat line when nothing changed for [`HEARTBEAT`], so a log
//!   never looks hung.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use console::Style;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Event, Printer};
use crate::model::rollout::{DeploymentLine, Outcome, StoppedTask, Verdict, task_definition_name};

/// Non-terminal output: print a "still waiting" line after this long without one.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(30);

/// Live progress state shared by every clone of a [`Printer`].
#[derive(Default)]
pub(crate) struct ProgressView {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    bar: Option<ProgressBar>,
    /// The bar shows counts (before the first progress report it is a spinner).
    bar_counts: bool,
    /// Between `deployment_started` and `verdict`.
    watching: bool,
    last_line: Option<Instant>,
    /// The last progress summary (heartbeat text).
    summary: String,
    /// The last deployment lines printed on a terminal (printed again only when they change).
    deployment_lines: Vec<String>,
}

impl std::fmt::Debug for ProgressView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("ProgressView")
            .field("bar", &s.bar.is_some())
            .field("watching", &s.watching)
            .finish()
    }
}

/// `PRIMARY web:4 desired:2 pending:0 running:2 COMPLETED` (ecspresso's deployment line).
pub(crate) fn deployment_line(d: &DeploymentLine) -> String {
    let mut s = format!(
        "{:>8} {} desired:{} pending:{} running:{}",
        d.status,
        task_definition_name(&d.task_definition),
        d.desired,
        d.pending,
        d.running
    );
    if d.failed_tasks > 0 {
        s.push_str(&format!(" failed:{}", d.failed_tasks));
    }
    if let Some(r) = &d.rollout_state {
        s.push(' ');
        s.push_str(r);
    }
    s
}

/// `task 0f3c… (web:4): EssentialContainerExited: Essential container in task exited;
/// container app exit 1`.
pub(crate) fn stopped_task_line(t: &StoppedTask) -> String {
    let id = t.task_arn.rsplit('/').next().unwrap_or(&t.task_arn);
    let mut s = format!("task {id} ({})", task_definition_name(&t.task_definition));
    match (&t.stop_code, &t.stopped_reason) {
        (Some(c), Some(r)) => s.push_str(&format!(": {c}: {r}")),
        (Some(x), None) | (None, Some(x)) => s.push_str(&format!(": {x}")),
        (None, None) => {}
    }
    for c in &t.containers {
        if c.exit_code.is_none() && c.reason.is_none() {
            continue;
        }
        s.push_str(&format!("; container {}", c.name));
        if let Some(code) = c.exit_code {
            s.push_str(&format!(" exit {code}"));
        }
        if let Some(r) = &c.reason {
            s.push_str(&format!(": {r}"));
        }
    }
    s
}

/// `BAKE_TIME (9/10)`: a lifecycle stage and its position.
pub(crate) fn stage_line(stage: &str, position: Option<&str>) -> String {
    match position {
        Some(pos) => format!("{stage} ({pos})"),
        None => stage.to_owned(),
    }
}

/// The verdict line's style: green for success, red for a failed deployment, yellow when we
/// stopped watching without one (superseded, timed out, interrupted).
fn verdict_style(v: &Verdict) -> Style {
    match v.outcome {
        Outcome::Succeeded | Outcome::Completed => Style::new().green().bold(),
        Outcome::RolledBack | Outcome::Stopped | Outcome::RollbackFailed | Outcome::Error => {
            Style::new().red().bold()
        }
        Outcome::Superseded | Outcome::TimedOut | Outcome::Interrupted | Outcome::Negative => {
            Style::new().yellow().bold()
        }
    }
}

impl ProgressView {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` (which writes to stderr) with the bar hidden, then redraw the bar.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        // Clone the handle so the lock is not held while `f` runs.
        let bar = self.lock().bar.clone();
        match bar {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    fn line(&self, p: &Printer, verb: &str, style: Style, message: &str) {
        let verb = p.paint_stderr(&format!("{verb:>12}"), style);
        p.stderr_line(&format!("{verb} {message}"));
        self.lock().last_line = Some(Instant::now());
    }

    /// Render one watch event (text mode).
    pub(crate) fn render(&self, p: &Printer, event: &Event) {
        let info = Style::new().cyan().bold();
        match event {
            Event::DeploymentStarted {
                cluster,
                service,
                service_deployment_arn,
                deployment_id,
                task_definition,
                tracking,
            } => {
                let mut what = format!("{cluster}/{service}");
                if let Some(id) = deployment_id {
                    what.push_str(&format!(" deployment {id}"));
                }
                if let Some(td) = task_definition {
                    what.push_str(&format!(" ({})", task_definition_name(td)));
                }
                match service_deployment_arn {
                    Some(arn) => what.push_str(&format!(" [{arn}]")),
                    None => what.push_str(&format!(" [tracking {tracking}]")),
                }
                self.line(p, "Watching", Style::new().green().bold(), &what);
                let mut s = self.lock();
                s.watching = true;
                s.deployment_lines.clear();
                if p.stderr_tty && s.bar.is_none() {
                    let bar = p.new_bar(ProgressBar::with_draw_target(
                        None,
                        ProgressDrawTarget::stderr(),
                    ));
                    let style = ProgressStyle::with_template(
                        "{prefix}{spinner} [{elapsed_precise}] {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                    bar.set_style(style);
                    bar.set_message("waiting for the deployment");
                    bar.enable_steady_tick(Duration::from_millis(120));
                    s.bar = Some(bar);
                    s.bar_counts = false;
                }
            }
            Event::Progress(r) => {
                let text = r.summary();
                let lines: Vec<String> = r.deployments.iter().map(deployment_line).collect();
                let (bar, styled) = {
                    let mut s = self.lock();
                    s.summary = text.clone();
                    let styled = std::mem::replace(&mut s.bar_counts, true);
                    (s.bar.clone(), styled)
                };
                match bar {
                    Some(bar) => {
                        if !styled {
                            let style = ProgressStyle::with_template(
                                "{prefix}{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
                            )
                            .unwrap_or_else(|_| ProgressStyle::default_bar());
                            bar.set_style(style);
                        }
                        bar.set_length(r.desired.max(0) as u64);
                        bar.set_position(r.running.max(0) as u64);
                        bar.set_message(text);
                        // Deployment lines scroll above the bar when their shape changes
                        // (ids, status, rolloutState), not on every count change.
                        let shape: Vec<String> = r
                            .deployments
                            .iter()
                            .map(|d| format!("{} {} {:?}", d.id, d.status, d.rollout_state))
                            .collect();
                        let changed = {
                            let mut s = self.lock();
                            let changed = s.deployment_lines != shape;
                            s.deployment_lines = shape;
                            changed
                        };
                        if changed {
                            for l in &lines {
                                self.line(p, "", Style::new(), l);
                            }
                        }
                    }
                    None => {
                        let mut msg = text;
                        if !lines.is_empty() {
                            let deps: Vec<&str> = lines.iter().map(|l| l.trim_start()).collect();
                            msg.push_str(&format!(" | {}", deps.join("; ")));
                        }
                        self.line(p, "Progress", info, &msg);
                    }
                }
            }
            Event::ServiceEvent { message, .. } => self.line(p, "Event", info, message),
            Event::StageChanged {
                stage, position, ..
            } => self.line(p, "Stage", info, &stage_line(stage, position.as_deref())),
            Event::TaskStopped(t) => {
                let style = if t.is_routine() {
                    info
                } else {
                    Style::new().yellow().bold()
                };
                self.line(p, "Stopped", style, &stopped_task_line(t));
            }
            Event::Verdict(v) => {
                let bar = {
                    let mut s = self.lock();
                    s.watching = false;
                    s.bar.take()
                };
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                self.line(p, "Verdict", verdict_style(v), &v.message);
                if let Some(h) = &v.hint {
                    self.line(p, "hint", Style::new().bold(), h);
                }
            }
            _ => {}
        }
    }

    /// Called once per poll: on a non-terminal, print the last progress again when nothing was
    /// printed for [`HEARTBEAT`].
    pub(crate) fn heartbeat(&self, p: &Printer) {
        let text = {
            let s = self.lock();
            let due = s.last_line.is_none_or(|t| t.elapsed() >= HEARTBEAT);
            if p.stderr_tty || !s.watching || !due {
                return;
            }
            s.summary.clone()
        };
        let text = if text.is_empty() {
            "waiting for the deployment".to_owned()
        } else {
            text
        };
        self.line(p, "Waiting", Style::new().cyan(), &format!("still {text}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rollout::{CircuitBreaker, ContainerExit, ProgressReport};

    fn report() -> ProgressReport {
        ProgressReport {
            status: "IN_PROGRESS".into(),
            rollout_state: Some("IN_PROGRESS".into()),
            rollout_state_reason: None,
            task_definition: None,
            running: 1,
            pending: 1,
            desired: 2,
            failed_tasks: 2,
            circuit_breaker: Some(CircuitBreaker {
                status: "MONITORING".into(),
                failure_count: 2,
                threshold: 3,
            }),
            alarms: None,
            lifecycle_stage: None,
            deployment_id: Some("ecs-svc/1".into()),
            deployments: vec![DeploymentLine {
                id: "ecs-svc/1".into(),
                status: "PRIMARY".into(),
                task_definition: "arn:aws:ecs:us-east-1:1:task-definition/web:4".into(),
                desired: 2,
                pending: 1,
                running: 1,
                failed_tasks: 2,
                rollout_state: Some("IN_PROGRESS".into()),
                rollout_state_reason: None,
                created_at: None,
            }],
            strategy: None,
            stage_position: None,
            target_revision: None,
            source_revisions: vec![],
            hooks: vec![],
            bake_remaining_minutes: None,
        }
    }

    #[test]
    fn lines_name_what_a_user_needs() {
        let r = report();
        assert_eq!(
            r.summary(),
            "IN_PROGRESS 1/2 running, 1 pending, 2 failed · circuit breaker 2/3 MONITORING",
            "no task_definition in this report"
        );
        assert_eq!(
            deployment_line(&r.deployments[0]),
            " PRIMARY web:4 desired:2 pending:1 running:1 failed:2 IN_PROGRESS"
        );
        let t = StoppedTask {
            task_arn: "arn:aws:ecs:us-east-1:1:task/c/0f3c".into(),
            task_definition: "arn:aws:ecs:us-east-1:1:task-definition/web:4".into(),
            started_by: Some("ecs-svc/1".into()),
            stop_code: Some("EssentialContainerExited".into()),
            stopped_reason: Some("Essential container in task exited".into()),
            containers: vec![
                ContainerExit {
                    name: "app".into(),
                    exit_code: Some(1),
                    reason: None,
                },
                ContainerExit {
                    name: "sidecar".into(),
                    exit_code: None,
                    reason: None,
                },
            ],
            stopped_at: None,
        };
        assert_eq!(
            stopped_task_line(&t),
            "task 0f3c (web:4): EssentialContainerExited: Essential container in task exited; container app exit 1"
        );
    }

    #[test]
    fn native_strategy_lines() {
        assert_eq!(stage_line("BAKE_TIME", Some("9/10")), "BAKE_TIME (9/10)");
        assert_eq!(stage_line("SOMETHING_NEW", None), "SOMETHING_NEW");
        let mut r = report();
        r.strategy = Some("CANARY".into());
        r.lifecycle_stage = Some("PRODUCTION_TRAFFIC_SHIFT".into());
        r.stage_position = Some("7/10".into());
        r.circuit_breaker = None;
        r.failed_tasks = 0;
        r.target_revision = Some(crate::model::rollout::RevisionSummary {
            arn: "arn:rev/green".into(),
            requested: 2,
            running: 1,
            pending: 1,
            test_weight: Some(100.0),
            production_weight: Some(5.0),
        });
        // The bar's message (TTY) and the plain `Progress` line (no TTY) are this summary.
        assert_eq!(
            r.summary(),
            "IN_PROGRESS stage 7/10 PRODUCTION_TRAFFIC_SHIFT · green 5% prod / 100% test · 1/2 running, 1 pending"
        );
    }

    #[test]
    fn heartbeat_only_while_watching_and_quiet() {
        let p = Printer::new(
            super::super::OutputFormat::Text,
            super::super::ColorChoice::Never,
        );
        let view = ProgressView::default();
        // Not watching: nothing, and no line time recorded.
        view.heartbeat(&p);
        assert!(view.lock().last_line.is_none());
        let ten_seconds_ago = Instant::now().checked_sub(Duration::from_secs(10));
        {
            let mut s = view.lock();
            s.watching = true;
            s.last_line = ten_seconds_ago;
        }
        view.heartbeat(&p);
        // Quiet for less than HEARTBEAT: no new line.
        assert_eq!(view.lock().last_line, ten_seconds_ago);
        {
            let mut s = view.lock();
            s.last_line = Instant::now().checked_sub(HEARTBEAT + Duration::from_secs(1));
        }
        view.heartbeat(&p);
        let after = view.lock().last_line.unwrap();
        if p.stderr_tty {
            // A terminal animates the bar instead of printing heartbeats.
            assert!(after.elapsed() > HEARTBEAT);
        } else {
            assert!(
                after.elapsed() < Duration::from_secs(5),
                "heartbeat printed"
            );
        }
    }
}
