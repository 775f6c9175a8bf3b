//! Run one accepted request in the background and turn its events into Slack posts.
//!
//! The operation is the same one the CLI runs (`ops::deploy::deploy`, `ops::rollback::rollback`,
//! `ops::continue_::continue_deployment`, `ops::diff::diff_project`, `ops::status::status`);
//! a [`ChannelSink`] forwards its [`Event`]s to a poster task, which posts in order: "started"
//! (first `deployment_started`), one message per `paused` (with Approve / Roll back buttons),
//! and finally the outcome (verdict and exit code), which is also audited.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Server;
use super::audit::AuditRecord;
use super::command::{Action, ButtonValue, Version};
use super::config::Target;
use super::reply::{Message, Reply};
use crate::exit::ExitStatus;
use crate::model::rollout::Verdict;
use crate::ops::continue_::{ContinueOptions, continue_deployment};
use crate::ops::deploy::{DeployOptions, ServiceRef, deploy};
use crate::ops::diff::{DiffOptions, diff_project};
use crate::ops::lock::locked;
use crate::ops::render::{Project, ProjectOptions, load_project_with_overlay};
use crate::ops::rollback::{RollbackOptions, newest, rollback};
use crate::ops::status::status;
use crate::ops::watch::WatchOptions;
use crate::output::{Event, EventSink};
use crate::settings::WaitUntil;

/// Default watch poll interval for ChatOps runs.
const DEFAULT_POLL: Duration = Duration::from_secs(5);

/// One accepted request.
pub struct Job {
    /// Audit id.
    pub request_id: String,
    /// What to do.
    pub action: Action,
    /// Environment.
    pub env: String,
    /// Service key.
    pub service: String,
    /// `/deploy`'s revision or tag.
    pub version: Option<Version>,
    /// The resolved target.
    pub target: Target,
    /// Who asked (id, name) and where.
    pub user_id: String,
    /// Slack user name, for messages and the lock holder.
    pub user_name: String,
    /// Channel id.
    pub channel_id: String,
    /// The paused deployment a button refers to (buttons only).
    pub deployment: Option<String>,
    /// What the user asked, for messages (`/deploy prod web v2`).
    pub label: String,
    /// Where posts go.
    pub reply: Reply,
}

/// Forwards events to the poster task.
struct ChannelSink(mpsc::UnboundedSender<Event>);

impl EventSink for ChannelSink {
    fn emit(&self, event: Event) {
        let _ = self.0.send(event);
    }
}

/// What the operation returned besides events.
struct Outcome {
    status: ExitStatus,
    summary: Option<String>,
}

/// Run the job to its end: operation, posts, outcome audit line.
pub async fn run(server: Arc<Server>, job: Job) {
    let Job {
        request_id,
        action,
        env,
        service,
        version,
        target,
        user_id,
        user_name,
        channel_id,
        deployment,
        label,
        reply,
    } = job;
    let (tx, rx) = mpsc::unbounded_channel();
    let poster = tokio::spawn(post_progress(
        server.clone(),
        reply,
        rx,
        env.clone(),
        service.clone(),
        label.clone(),
    ));
    let holder = format!(
        "Slack user {user_name} ({user_id}) in {channel_id}, ecspress chatops on {}: {label}",
        crate::ops::lock::host()
    );
    let sink = ChannelSink(tx);
    let result = execute(
        &server,
        action,
        version.as_ref(),
        &target,
        deployment.as_deref(),
        &holder,
        &sink,
    )
    .await;
    drop(sink);
    let Ok((mut reply, verdict)) = poster.await else {
        return;
    };
    let (status, text) = final_text(&label, result, verdict.as_ref());
    reply
        .post(
            &server.slack,
            &Message {
                text: text.clone(),
                blocks: None,
            },
            true,
        )
        .await;
    server.audit.record(AuditRecord {
        request_id,
        kind: "outcome".into(),
        user_id: Some(user_id),
        user_name: Some(user_name),
        channel_id: Some(channel_id),
        text: Some(label),
        target: Some(format!("{env}/{service}")),
        decision: "finished".into(),
        verdict: Some(
            verdict
                .map(|v| v.message)
                .unwrap_or_else(|| text.lines().next().unwrap_or_default().to_owned()),
        ),
        exit_code: Some(status.code()),
        ..AuditRecord::default()
    });
}

fn final_text(
    label: &str,
    result: anyhow::Result<Outcome>,
    verdict: Option<&Verdict>,
) -> (ExitStatus, String) {
    match result {
        Ok(out) => {
            let icon = if out.status == ExitStatus::Success {
                "✅"
            } else {
                "❌"
            };
            let mut text = match verdict {
                Some(v) => format!(
                    "{icon} `{label}`: {} (exit {})",
                    v.message,
                    out.status.code()
                ),
                None => format!(
                    "{icon} `{label}`: {} (exit {})",
                    out.status,
                    out.status.code()
                ),
            };
            if let Some(h) = verdict.and_then(|v| v.hint.as_deref()) {
                text.push_str(&format!("\n{h}"));
            }
            if let Some(s) = out.summary {
                text.push('\n');
                text.push_str(&s);
            }
            (out.status, text)
        }
        Err(e) => (
            ExitStatus::Error,
            format!(
                "❌ `{label}` failed: {e:#} (exit {})",
                ExitStatus::Error.code()
            ),
        ),
    }
}

async fn execute(
    server: &Server,
    action: Action,
    version: Option<&Version>,
    target: &Target,
    button_deployment: Option<&str>,
    holder: &str,
    sink: &ChannelSink,
) -> anyhow::Result<Outcome> {
    let mut overlay = HashMap::new();
    let mut revision = None;
    match version {
        Some(Version::ImageTag(tag)) => {
            // The server refuses tags for targets without image_tag_env before accepting.
            if let Some(var) = &target.image_tag_env {
                overlay.insert(var.clone(), tag.clone());
            }
        }
        Some(Version::Revision(n)) => revision = Some(*n),
        None => {}
    }
    let project = load_project_with_overlay(
        &ProjectOptions {
            config_path: Some(target.config.clone()),
            aws: server.aws.clone(),
            ..ProjectOptions::default()
        },
        overlay,
    )
    .await?;
    let watch = WatchOptions {
        timeout: project.config().timeout,
        poll_interval: server.config.poll_interval.unwrap_or(DEFAULT_POLL),
        max_poll_interval: Some(crate::model::cadence::DEFAULT_SLOWEST),
        wait_until: WaitUntil::Deployed,
    };
    // Buttons act on the deployment a /deploy (which holds the lock) started: they do not lock,
    // but they must still be about the deployment in progress (an old message's button must not
    // approve or roll back a newer deployment).
    if let Some(deployment) = button_deployment {
        check_button_deployment(&project, deployment).await?;
    }
    let lock = server
        .config
        .lock
        .as_deref()
        .filter(|_| button_deployment.is_none());
    let status = match action {
        Action::Deploy => {
            let opts = DeployOptions {
                dry_run: false,
                tasks: None,
                skip_task_definition: revision.is_some(),
                revision,
                latest_task_definition: false,
                force_new_deployment: false,
                update_service: true,
                wait: true,
                strict: false,
                watch,
                codedeploy_config: None,
                rollback_events: None,
                auto_scaling: Default::default(),
            };
            locked(&project, lock, holder, deploy(&project, &opts, sink)).await?
        }
        Action::Rollback => {
            let opts = RollbackOptions {
                revision: None,
                deregister: false,
                dry_run: false,
                wait: true,
                watch,
                rollback_events: None,
            };
            locked(&project, lock, holder, rollback(&project, &opts, sink)).await?
        }
        Action::Continue => {
            let opts = ContinueOptions {
                rollback: false,
                finish: false,
                wait: true,
                watch,
            };
            continue_deployment(&project, &opts, sink).await?
        }
        Action::Diff => {
            let report = diff_project(&project, DiffOptions { strict: false }).await?;
            let mut text = String::new();
            for side in &report.sides {
                let kind = side.kind.as_str();
                if side.diff.has_changes() {
                    text.push_str(&format!(
                        "*{kind}*: {} change(s)\n```{}```\n",
                        side.diff.changes.len(),
                        truncate(&side.diff.unified, 1200)
                    ));
                } else {
                    text.push_str(&format!("*{kind}*: no changes\n"));
                }
            }
            return Ok(Outcome {
                status: ExitStatus::Success,
                summary: Some(text),
            });
        }
        Action::Status => {
            let s = status(&project, 3).await?;
            let mut text = format!(
                "*{}* in {}: {} — {} (running {}/{} desired, {} pending)",
                s.service, s.cluster, s.status, s.task_definition, s.running, s.desired, s.pending
            );
            for d in &s.deployments {
                text.push_str(&format!(
                    "\n• {} {} running {}/{}",
                    d.status, d.task_definition, d.running, d.desired
                ));
            }
            return Ok(Outcome {
                status: ExitStatus::Success,
                summary: Some(text),
            });
        }
    };
    Ok(Outcome {
        status,
        summary: None,
    })
}

/// Refuse a button whose ECS service deployment is no longer the one in progress. CodeDeploy
/// ids (`d-...`) are not checked here: `continue`/`rollback` act on the group's active
/// deployment, and a finished one is reported as nothing to do.
async fn check_button_deployment(project: &Project, deployment: &str) -> anyhow::Result<()> {
    if !deployment.starts_with("arn:") {
        return Ok(());
    }
    let target = ServiceRef::of(project)?;
    let listed = project
        .clients()
        .ecs
        .list_service_deployments(
            &target.cluster,
            &target.service,
            None,
            &["PENDING", "IN_PROGRESS"],
        )
        .await
        .with_context(|| format!("cannot list the deployments of service {}", target.service))?;
    match newest(&listed) {
        Some(current) if current == deployment => Ok(()),
        Some(current) => bail!(
            "this button is for deployment {deployment}, but {current} is the one in progress now; nothing was changed"
        ),
        None => bail!(
            "deployment {deployment} is no longer in progress (nothing is); nothing was changed"
        ),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n… (truncated; run `ecspress diff` for all of it)",
        &s[..end]
    )
}

/// Consume events; post "started" and "paused"; return the reply (for the final post) and the
/// last verdict.
async fn post_progress(
    server: Arc<Server>,
    mut reply: Reply,
    mut rx: mpsc::UnboundedReceiver<Event>,
    env: String,
    service: String,
    label: String,
) -> (Reply, Option<Verdict>) {
    let mut started = false;
    let mut verdict = None;
    while let Some(event) = rx.recv().await {
        match event {
            Event::DeploymentStarted {
                task_definition, ..
            } if !started => {
                started = true;
                let td = task_definition
                    .map(|t| format!(" ({})", t.rsplit('/').next().unwrap_or(&t)))
                    .unwrap_or_default();
                let msg = Message {
                    text: format!("🚀 `{label}`: deployment started{td}"),
                    blocks: None,
                };
                reply.post(&server.slack, &msg, false).await;
            }
            Event::Paused {
                controller,
                deployment,
                stage,
                expires_at,
                timeout_action,
                ..
            } => {
                let msg = paused_message(
                    &label,
                    &env,
                    &service,
                    &controller,
                    &deployment,
                    &stage,
                    expires_at.as_deref(),
                    timeout_action.as_deref(),
                );
                reply.post(&server.slack, &msg, false).await;
            }
            Event::Verdict(v) => verdict = Some(v),
            _ => {}
        }
    }
    (reply, verdict)
}

/// The paused message: what waits, until when, and the two buttons.
#[allow(clippy::too_many_arguments)]
pub fn paused_message(
    label: &str,
    env: &str,
    service: &str,
    controller: &str,
    deployment: &str,
    stage: &str,
    expires_at: Option<&str>,
    timeout_action: Option<&str>,
) -> Message {
    let value = |action: Action| {
        serde_json::to_string(&ButtonValue {
            action,
            env: env.to_owned(),
            service: service.to_owned(),
            deployment: deployment.to_owned(),
        })
        .unwrap_or_default()
    };
    let mut text = format!("⏸ `{label}`: paused at {stage} ({controller}); approve or roll back");
    if let Some(at) = expires_at {
        text.push_str(&format!(
            "\nIf nobody acts, at {at} it will {}",
            timeout_action.unwrap_or("time out")
        ));
    }
    let blocks: Value = json!([
        { "type": "section", "text": { "type": "mrkdwn", "text": text } },
        { "type": "actions", "elements": [
            { "type": "button", "action_id": "ecspress_continue", "style": "primary",
              "text": { "type": "plain_text", "text": "Approve" }, "value": value(Action::Continue) },
            { "type": "button", "action_id": "ecspress_rollback", "style": "danger",
              "text": { "type": "plain_text", "text": "Roll back" }, "value": value(Action::Rollback),
              "confirm": {
                "title": { "type": "plain_text", "text": "Roll back?" },
                "text": { "type": "plain_text", "text": format!("Roll back {env}/{service}?") },
                "confirm": { "type": "plain_text", "text": "Roll back" },
                "deny": { "type": "plain_text", "text": "Cancel" } } }
        ]}
    ]);
    Message {
        text,
        blocks: Some(blocks),
    }
}
