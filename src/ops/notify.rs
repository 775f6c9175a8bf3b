//! Wire `notify:` around `deploy`/`rollback`/`wait`: resolve the credentials (environment, SSM
//! Parameter Store or Secrets Manager through the run's AWS clients), start one Slack notifier
//! per target (webhook and/or bot), tag resources with the deployment metadata
//! (`notify.tag_resources`), and end with one bounded flush. Every failure here is a warning:
//! notifications and tags never change a command's exit code.

use std::time::Duration;

use anyhow::Context;

use crate::config::{SecretRef, SlackConfig};
use crate::exit::ExitStatus;
use crate::model::metadata::DeployMetadata;
use crate::model::rollout::closing_verdict;
use crate::ops::render::Project;
use crate::output::{EventSink, Printer};
use crate::slack::http::{SlackClient, SlackTarget};
use crate::slack::notify::{Notifier, NotifyContext, Revision, fan_out, final_message};

/// Longest wait for queued Slack messages when the command ends.
pub const FLUSH_WAIT: Duration = Duration::from_secs(10);

/// The Web API base; `ECSPRESS_SLACK_API_URL` points it at a test server.
fn api_base() -> String {
    std::env::var("ECSPRESS_SLACK_API_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "https://slack.com/api".to_owned())
}

/// Read a credential. The error names the reference (`env SLACK_URL`), never the value.
pub async fn resolve_secret(project: &Project, r: &SecretRef) -> anyhow::Result<String> {
    let value = match r {
        SecretRef::Env(name) => std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .with_context(|| format!("environment variable {name} is not set"))?,
        SecretRef::Ssm(name) => {
            project
                .clients()
                .ssm
                .get_parameter(name)
                .await
                .with_context(|| format!("cannot read SSM parameter {name}"))?
                .value
        }
        SecretRef::SecretsManager(id) => project
            .clients()
            .secrets
            .secret_string(id)
            .await
            .with_context(|| format!("cannot read Secrets Manager secret {id}"))?,
    };
    let value = value.trim().to_owned();
    // A webhook URL or bot token is a credential: never printed, not even in an error that
    // quotes the request URL (reqwest errors do).
    crate::output::secrets::register_credential(&value);
    Ok(value)
}

/// The Slack clients of `cfg`: the webhook, then the bot (either or both).
pub async fn clients(project: &Project, cfg: &SlackConfig) -> anyhow::Result<Vec<SlackClient>> {
    let mut out = Vec::new();
    if let Some(url) = &cfg.webhook_url {
        let url = resolve_secret(project, url)
            .await
            .context("notify.slack.webhook_url")?;
        out.push(SlackClient::new(SlackTarget::Webhook { url }));
    }
    if let (Some(token), Some(channel)) = (&cfg.bot_token, &cfg.channel) {
        let token = resolve_secret(project, token)
            .await
            .context("notify.slack.bot_token")?;
        out.push(SlackClient::new(SlackTarget::Bot {
            token,
            channel: channel.clone(),
            api_base: api_base(),
        }));
    }
    if out.is_empty() {
        anyhow::bail!("notify.slack: expected webhook_url and/or bot_token + channel");
    }
    Ok(out)
}

/// What messages about this project say.
pub fn context(project: &Project, command: &str, metadata: &DeployMetadata) -> NotifyContext {
    let config = project.config();
    let region = project
        .aws_options()
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .unwrap_or_else(|| "us-east-1".to_owned());
    NotifyContext {
        command: command.to_owned(),
        cluster: config.cluster.clone(),
        service: config.service.clone().unwrap_or_default(),
        region,
        metadata: metadata.clone(),
        updates: config
            .notify
            .as_ref()
            .and_then(|n| n.slack.as_ref())
            .is_some_and(|s| s.updates),
    }
}

/// Notifications (and metadata tagging) around one command (possibly none configured).
pub struct Notifications {
    notifiers: Vec<Notifier>,
    tagger: Option<Tagger>,
}

/// `notify.tag_resources`: TagResource with the metadata tags on every task definition revision
/// registered and on the service, right after RegisterTaskDefinition / UpdateService /
/// CreateService (in the background: the watch does not wait for it). The keys are excluded
/// from normalisation, so they never make a revision "changed" nor show in `diff`.
struct Tagger {
    ecs: std::sync::Arc<dyn crate::aws::ecs::EcsApi>,
    tags: Vec<(String, String)>,
    started: std::sync::Mutex<Vec<(String, TagCall)>>,
}

/// One background TagResource call.
type TagCall = tokio::task::JoinHandle<Result<(), String>>;

impl Tagger {
    fn tag(&self, arn: &str) {
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        if started.iter().any(|(a, _)| a == arn) {
            return;
        }
        let (ecs, tags, target) = (self.ecs.clone(), self.tags.clone(), arn.to_owned());
        let handle = tokio::spawn(async move {
            ecs.tag_resource(&target, &tags)
                .await
                .map_err(|e| e.to_string())
        });
        started.push((arn.to_owned(), handle));
    }

    /// Wait (bounded) for the TagResource calls; report each.
    async fn finish(self, printer: &Printer) {
        let started = self.started.into_inner().unwrap_or_else(|p| p.into_inner());
        let keys: Vec<String> = self.tags.iter().map(|(k, _)| k.clone()).collect();
        for (arn, handle) in started {
            match tokio::time::timeout(FLUSH_WAIT, handle).await {
                Ok(Ok(Ok(()))) => printer.event(&crate::output::Event::TagsUpdated {
                    resource: arn,
                    set: keys.clone(),
                    removed: Vec::new(),
                }),
                Ok(Ok(Err(e))) => printer.warn(&format!(
                    "cannot tag {arn} with the deployment metadata: {e}"
                )),
                _ => printer.warn(&format!(
                    "cannot tag {arn} with the deployment metadata: no answer"
                )),
            }
        }
    }
}

/// The sink of a run: the printer (+ Slack), and metadata tagging.
struct RunSink<'a> {
    inner: Box<dyn EventSink + 'a>,
    tagger: Option<&'a Tagger>,
}

impl EventSink for RunSink<'_> {
    fn emit(&self, event: crate::output::Event) {
        use crate::output::Event;
        if let Some(t) = self.tagger {
            match &event {
                Event::TaskDefinitionRegistered { arn } => t.tag(arn),
                Event::ServiceCreated { service_arn, .. }
                | Event::ServiceUpdated { service_arn, .. } => t.tag(service_arn),
                _ => {}
            }
        }
        self.inner.emit(event);
    }
    fn tick(&self) {
        self.inner.tick();
    }
}

impl Notifications {
    /// Start the notifier when `notify.slack` is configured; a credential that cannot be read
    /// is one warning and no notifications.
    pub async fn start(
        project: &Project,
        command: &str,
        metadata: &DeployMetadata,
        printer: &Printer,
    ) -> Self {
        let Some(cfg) = project
            .config()
            .notify
            .as_ref()
            .and_then(|n| n.slack.clone())
        else {
            return Notifications {
                notifiers: Vec::new(),
                tagger: None,
            };
        };
        match clients(project, &cfg).await {
            Ok(cs) => Notifications {
                notifiers: cs
                    .into_iter()
                    .map(|c| {
                        Notifier::spawn(
                            c,
                            context(project, command, metadata),
                            Some(project.clients().ecs.clone()),
                        )
                    })
                    .collect(),
                tagger: None,
            },
            Err(e) => {
                printer.warn(&format!("Slack notifications disabled: {}", error_line(&e)));
                Notifications {
                    notifiers: Vec::new(),
                    tagger: None,
                }
            }
        }
    }

    /// The sink to hand to the operation: `printer`, plus Slack and tagging when configured.
    pub fn sink<'a>(&'a self, printer: &'a Printer) -> Box<dyn EventSink + 'a> {
        let inner: Box<dyn EventSink + 'a> = if self.notifiers.is_empty() {
            Box::new(PrinterRef(printer))
        } else {
            Box::new(fan_out(&self.notifiers, printer))
        };
        Box::new(RunSink {
            inner,
            tagger: self.tagger.as_ref(),
        })
    }

    /// Send the final message for `result` and flush (bounded); a failure is one warning.
    pub async fn finish(self, result: &anyhow::Result<ExitStatus>, printer: &Printer) {
        if let Some(t) = self.tagger {
            t.finish(printer).await;
        }
        let (status, error) = match result {
            Ok(s) => (*s, None),
            Err(e) => (ExitStatus::Error, Some(e.to_string())),
        };
        for n in &self.notifiers {
            n.close(status, error.clone());
        }
        let deadline = tokio::time::Instant::now() + FLUSH_WAIT;
        for n in self.notifiers {
            if let Some(warning) = n.wait(deadline).await {
                printer.warn(&warning);
            }
        }
    }
}

/// `anyhow` chain on one line (`a: b: c`).
fn error_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

struct PrinterRef<'a>(&'a Printer);

impl EventSink for PrinterRef<'_> {
    fn emit(&self, event: crate::output::Event) {
        self.0.emit(event);
    }
    fn tick(&self) {
        self.0.tick();
    }
}

/// `ecspress notify`: post one final message (post_build). Returns an error when Slack is not
/// configured or the post failed (the command's only job).
pub async fn notify_once(
    project: &Project,
    metadata: &DeployMetadata,
    status: ExitStatus,
    message: Option<&str>,
) -> anyhow::Result<()> {
    let cfg = project
        .config()
        .notify
        .as_ref()
        .and_then(|n| n.slack.clone())
        .with_context(|| {
            format!(
                "{}: no notify.slack section; nothing to notify",
                project.config_path().display()
            )
        })?;
    let clients = clients(project, &cfg).await?;
    let ctx = context(project, "build", metadata);
    let default_message = match status {
        ExitStatus::Success => "build succeeded",
        _ => "build failed",
    };
    let verdict = closing_verdict(status, Some(message.unwrap_or(default_message)));
    let body = final_message(&ctx, &Revision::default(), &verdict);
    for client in clients {
        if client.is_bot() {
            client.post_message(&body, None).await?;
        } else {
            client.post_webhook(&body).await?;
        }
    }
    Ok(())
}

/// Start of `deploy`/`rollback`/`wait`: resolve the metadata, emit the `deployment_metadata`
/// event, and start notifications (`notify = false`: a dry run, none).
pub async fn begin(
    project: &Project,
    command: &str,
    overrides: &crate::model::metadata::MetadataOverrides,
    printer: &Printer,
    notify: bool,
) -> Notifications {
    let dir = project
        .config_path()
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let metadata = crate::ops::metadata::resolve(overrides, &dir).await;
    printer.emit(crate::output::Event::DeploymentMetadata(metadata.clone()));
    if !notify {
        return Notifications {
            notifiers: Vec::new(),
            tagger: None,
        };
    }
    let mut n = Notifications::start(project, command, &metadata, printer).await;
    let tags = metadata.tags();
    if project
        .config()
        .notify
        .as_ref()
        .is_some_and(|c| c.tag_resources)
        && !tags.is_empty()
    {
        n.tagger = Some(Tagger {
            ecs: project.clients().ecs.clone(),
            tags,
            started: Default::default(),
        });
    }
    n
}
