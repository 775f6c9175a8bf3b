//! The deployment notifier: an [`EventSink`] decorator that forwards every event to the
//! printer and feeds the relevant ones to a background task that talks to Slack, so watching
//! never waits for Slack.
//!
//! What is posted (one deployment = one conversation):
//! - bot token: `chat.postMessage` at start, then replies in its thread (`thread_ts`) for
//!   stage changes, pauses and the verdict, and finally `chat.update` of the head message
//!   with the final status (so the channel shows the outcome without opening the thread);
//! - webhook: separate posts (start, paused, final; stage changes only with `updates: true`:
//!   webhooks cannot thread or edit, so every update is a new channel message).
//!
//! Stage changes are coalesced: the task drains everything queued before it posts, and only
//! the newest stage is sent. Best effort: the first failure stops further posts and becomes ONE
//! warning when the command ends; it never changes the exit code. Messages carry image
//! references from the task definition's `containerDefinitions[].image` only, never
//! `environment` or `secrets` values.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::blocks::{self, Block};
use super::http::{Posted, SlackClient, SlackError};
use crate::aws::ecs::EcsApi;
use crate::exit::ExitStatus;
use crate::model::metadata::DeployMetadata;
use crate::model::rollout::{Verdict, closing_verdict};
use crate::output::{Event, EventSink};

/// What a message is about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotifyContext {
    /// `deploy`, `rollback`, `wait`, `notify`.
    pub command: String,
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub service: String,
    /// AWS region (for the console link).
    pub region: String,
    /// Commit, ref, who, build.
    pub metadata: DeployMetadata,
    /// Webhook mode: post stage changes too.
    pub updates: bool,
}

/// The task definition being deployed and its container images (`name`, `image`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revision {
    /// `family:N` or ARN.
    pub task_definition: Option<String>,
    /// `(container name, image reference)`.
    pub images: Vec<(String, String)>,
}

/// The ECS console's deployments tab of the service (partition-aware host).
pub fn console_url(region: &str, cluster: &str, service: &str) -> String {
    let host = if region.starts_with("cn-") {
        format!("{region}.console.amazonaws.cn")
    } else if region.starts_with("us-gov-") {
        format!("{region}.console.amazonaws-us-gov.com")
    } else {
        format!("{region}.console.aws.amazon.com")
    };
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "https://{host}/ecs/v2/clusters/{}/services/{}/deployments?region={}",
        enc(cluster),
        enc(service),
        enc(region)
    )
}

/// The image references of a task definition (DescribeTaskDefinition shape): only `name` and
/// `image` of each container are read.
pub fn images_of(task_definition: &serde_json::Value) -> Vec<(String, String)> {
    let td = task_definition
        .get("taskDefinition")
        .unwrap_or(task_definition);
    td.get("containerDefinitions")
        .and_then(|c| c.as_array())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    Some((
                        c.get("name")?.as_str()?.to_owned(),
                        c.get("image")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn short_td(td: &str) -> &str {
    crate::model::revision::short_name(td)
}

fn meta_lines(ctx: &NotifyContext) -> Vec<String> {
    let m = &ctx.metadata;
    let mut out = Vec::new();
    let mut source = Vec::new();
    if let Some(c) = m.short_commit() {
        source.push(format!("commit `{}`", blocks::escape(c)));
    }
    if let Some(r) = &m.git_ref {
        source.push(format!("ref `{}`", blocks::escape(r)));
    }
    if let Some(by) = &m.by {
        source.push(format!("by {}", blocks::escape(by)));
    }
    if !source.is_empty() {
        out.push(source.join(" · "));
    }
    let mut links = vec![blocks::link(
        &console_url(&ctx.region, &ctx.cluster, &ctx.service),
        "ECS console",
    )];
    match (&m.build_url, &m.build_id) {
        (Some(url), id) => links.push(blocks::link(url, id.as_deref().unwrap_or("build"))),
        (None, Some(id)) => links.push(format!("build {}", blocks::escape(id))),
        _ => {}
    }
    out.push(links.join(" · "));
    if let Some(n) = &m.note {
        out.push(blocks::escape(n));
    }
    out
}

fn revision_fields(ctx: &NotifyContext, rev: &Revision) -> Block {
    let mut f = vec![
        ("Service", blocks::escape(&ctx.service)),
        ("Cluster", blocks::escape(&ctx.cluster)),
    ];
    if let Some(td) = &rev.task_definition {
        f.push(("Revision", format!("`{}`", blocks::escape(short_td(td)))));
    }
    if !rev.images.is_empty() {
        let images = rev
            .images
            .iter()
            .map(|(n, i)| format!("{}: `{}`", blocks::escape(n), blocks::escape(i)))
            .collect::<Vec<_>>()
            .join("\n");
        f.push(("Images", images));
    }
    blocks::fields(&f)
}

/// The start message.
pub fn start_message(ctx: &NotifyContext, rev: &Revision) -> serde_json::Value {
    let title = format!(":rocket: {} {} started", ctx.command, ctx.service);
    let b = vec![
        blocks::header(&title),
        revision_fields(ctx, rev),
        blocks::context(&meta_lines(ctx)),
    ];
    blocks::message(&title, &b)
}

/// A stage-change update.
pub fn stage_message(ctx: &NotifyContext, stage: &str) -> serde_json::Value {
    let text = format!("{} {}: {}", ctx.command, ctx.service, stage);
    blocks::message(
        &text,
        &[blocks::section(&format!(
            ":arrows_counterclockwise: {} `{}` → *{}*",
            blocks::escape(&ctx.command),
            blocks::escape(&ctx.service),
            blocks::escape(stage)
        ))],
    )
}

/// The deployment waits for a person (`paused` event): what to run next.
pub fn paused_message(
    ctx: &NotifyContext,
    stage: &str,
    continue_command: &str,
    rollback_command: &str,
) -> serde_json::Value {
    let text = format!("{} {} paused at {stage}", ctx.command, ctx.service);
    blocks::message(
        &text,
        &[
            blocks::section(&format!(
                ":double_vertical_bar: `{}` is waiting at *{}*",
                blocks::escape(&ctx.service),
                blocks::escape(stage)
            )),
            blocks::fields(&[
                (
                    "Continue",
                    format!("`{}`", blocks::escape(continue_command)),
                ),
                (
                    "Roll back",
                    format!("`{}`", blocks::escape(rollback_command)),
                ),
            ]),
            blocks::context(&meta_lines(ctx)),
        ],
    )
}

/// How the outcome reads in a title. A CI build (`ecspress notify`) either succeeded or failed.
fn outcome_label(ctx: &NotifyContext, v: &Verdict) -> &'static str {
    use crate::model::rollout::Outcome;
    if ctx.command == "build" {
        return if v.exit_code == 0 {
            "succeeded"
        } else {
            "failed"
        };
    }
    match v.outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::RolledBack => "failed and rolled back",
        Outcome::Stopped => "failed, not rolled back",
        Outcome::RollbackFailed => "failed, rollback failed",
        Outcome::Superseded => "superseded",
        Outcome::TimedOut => "timed out (still in progress)",
        Outcome::Interrupted => "interrupted",
        Outcome::Completed => "completed",
        Outcome::Negative => "negative result",
        Outcome::Error => "error",
    }
}

/// The final message: the verdict and its exit code.
pub fn final_message(ctx: &NotifyContext, rev: &Revision, v: &Verdict) -> serde_json::Value {
    let icon = match v.exit_code {
        0 => ":white_check_mark:",
        2..=4 => ":x:",
        _ => ":warning:",
    };
    let outcome = outcome_label(ctx, v);
    let title = format!(
        "{icon} {} {}: {} (exit {})",
        ctx.command, ctx.service, outcome, v.exit_code
    );
    let mut b = vec![
        blocks::header(&title),
        blocks::section(&blocks::escape(&v.message)),
        revision_fields(ctx, rev),
    ];
    if let Some(h) = &v.hint {
        b.push(blocks::context(&[blocks::escape(h)]));
    }
    b.push(blocks::divider());
    b.push(blocks::context(&meta_lines(ctx)));
    blocks::message(&title, &b)
}

/// What the background task receives.
#[derive(Debug)]
enum Msg {
    Event(Event),
    Finish {
        status: ExitStatus,
        error: Option<String>,
    },
}

/// The running notifier: hand [`Notifier::sink`] to the operation, then [`Notifier::finish`].
pub struct Notifier {
    tx: mpsc::UnboundedSender<Msg>,
    /// Taken by [`Notifier::finish`]; a notifier dropped without it (Ctrl-C dropped the
    /// command) leaves its task in [`ORPHANS`] for [`drain_orphans`].
    task: Option<NotifyTask>,
    /// `webhook` or `bot`, for warnings.
    what: &'static str,
}

type NotifyTask = tokio::task::JoinHandle<Result<(), SlackError>>;

/// Notifier tasks whose command was dropped (Ctrl-C): their channel closed, and they post the
/// final (interrupted) message by themselves; `main` waits for them, bounded.
static ORPHANS: std::sync::Mutex<Vec<NotifyTask>> = std::sync::Mutex::new(Vec::new());

impl Drop for Notifier {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            ORPHANS.lock().unwrap_or_else(|p| p.into_inner()).push(task);
        }
    }
}

/// Wait at most `wait` for notifiers whose command was interrupted; the warnings to show.
pub async fn drain_orphans(wait: Duration) -> Vec<String> {
    let tasks: Vec<NotifyTask> =
        std::mem::take(&mut *ORPHANS.lock().unwrap_or_else(|p| p.into_inner()));
    let mut warnings = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    for task in tasks {
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => warnings.push(format!("Slack notification failed ({e})")),
            Ok(Err(_)) => warnings.push("Slack notification task failed".to_owned()),
            Err(_) => warnings.push(format!(
                "Slack notifications not delivered within {}s; gave up",
                wait.as_secs()
            )),
        }
    }
    warnings
}

/// The sink decorator: forwards to `inner`, copies relevant events to the notifiers.
pub struct NotifyingSink<'a> {
    inner: &'a dyn EventSink,
    txs: Vec<mpsc::UnboundedSender<Msg>>,
}

/// One sink feeding every notifier in `notifiers` (a webhook and a bot may both be set).
pub fn fan_out<'a>(notifiers: &[Notifier], inner: &'a dyn EventSink) -> NotifyingSink<'a> {
    NotifyingSink {
        inner,
        txs: notifiers.iter().map(|n| n.tx.clone()).collect(),
    }
}

/// Whether the notifier needs the event (progress and service events are not copied).
fn relevant(event: &Event) -> bool {
    matches!(
        event,
        Event::DeploymentStarted { .. }
            | Event::CodeDeployDeploymentCreated { .. }
            | Event::TaskDefinitionRegistered { .. }
            | Event::TaskDefinitionSelected { .. }
            | Event::ServiceCreated { .. }
            | Event::StageChanged { .. }
            | Event::CodeDeployLifecycleEvent { .. }
            | Event::Paused { .. }
            | Event::Verdict(_)
    )
}

impl EventSink for NotifyingSink<'_> {
    fn emit(&self, event: Event) {
        if relevant(&event) {
            for tx in &self.txs {
                let _ = tx.send(Msg::Event(event.clone()));
            }
        }
        self.inner.emit(event);
    }

    fn tick(&self) {
        self.inner.tick();
    }
}

impl Notifier {
    /// Start the background task. `ecs` looks up the images of the deployed revision.
    pub fn spawn(client: SlackClient, ctx: NotifyContext, ecs: Option<Arc<dyn EcsApi>>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let what = if client.is_bot() { "bot" } else { "webhook" };
        let task = tokio::spawn(run(client, ctx, ecs, rx));
        Notifier {
            tx,
            task: Some(task),
            what,
        }
    }

    /// A sink that forwards to `inner` and notifies.
    pub fn sink<'a>(&self, inner: &'a dyn EventSink) -> NotifyingSink<'a> {
        fan_out(std::slice::from_ref(self), inner)
    }

    /// Ask for the final message (the verdict seen, else one from `status`/`error`); then
    /// [`Notifier::wait`].
    pub fn close(&self, status: ExitStatus, error: Option<String>) {
        let _ = self.tx.send(Msg::Finish { status, error });
    }

    /// Wait for delivery until `deadline`. Returns the one warning to show, if Slack failed.
    pub async fn wait(mut self, deadline: tokio::time::Instant) -> Option<String> {
        let what = self.what;
        let mut task = self.task.take()?;
        match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(e))) => Some(format!(
                "Slack notification ({what}) failed ({e}); later notifications of this run were skipped"
            )),
            Ok(Err(_)) => Some(format!("Slack notification ({what}) task failed")),
            Err(_) => {
                task.abort();
                Some(format!(
                    "Slack notifications ({what}) not delivered in time; gave up"
                ))
            }
        }
    }

    /// Post the final message (the verdict seen, else one from `status`/`error`) and wait at
    /// most `wait` for delivery. Returns the one warning to show, if Slack failed.
    pub async fn finish(
        self,
        status: ExitStatus,
        error: Option<String>,
        wait: Duration,
    ) -> Option<String> {
        self.close(status, error);
        self.wait(tokio::time::Instant::now() + wait).await
    }
}

#[derive(Default)]
struct State {
    head: Option<Posted>,
    started: bool,
    last_stage: Option<String>,
    rev: Revision,
    images_for: Option<String>,
}

async fn run(
    client: SlackClient,
    ctx: NotifyContext,
    ecs: Option<Arc<dyn EcsApi>>,
    mut rx: mpsc::UnboundedReceiver<Msg>,
) -> Result<(), SlackError> {
    let mut st = State::default();
    let mut verdict: Option<Verdict> = None;
    while let Some(first) = rx.recv().await {
        // Coalesce: take everything already queued.
        let mut batch = vec![first];
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
        }
        let mut start = false;
        let mut stage: Option<String> = None;
        let mut paused = Vec::new();
        let mut finish = None;
        for m in batch {
            match m {
                Msg::Event(Event::DeploymentStarted {
                    task_definition, ..
                }) => {
                    start = true;
                    if task_definition.is_some() {
                        st.rev.task_definition = task_definition;
                    }
                }
                Msg::Event(Event::CodeDeployDeploymentCreated {
                    task_definition, ..
                }) => {
                    start = true;
                    st.rev.task_definition = Some(task_definition);
                }
                Msg::Event(
                    Event::TaskDefinitionRegistered { arn }
                    | Event::TaskDefinitionSelected { arn, .. },
                ) => st.rev.task_definition = Some(arn),
                Msg::Event(Event::ServiceCreated {
                    task_definition, ..
                }) => st.rev.task_definition = Some(task_definition),
                Msg::Event(Event::StageChanged { stage: s, .. }) => stage = Some(s),
                // One update per lifecycle event: when it starts, or when it fails
                // (Pending / Succeeded / Skipped would triple the thread for no news).
                Msg::Event(Event::CodeDeployLifecycleEvent { event, status, .. }) => {
                    match status.as_str() {
                        "InProgress" => stage = Some(event),
                        "Failed" => stage = Some(format!("{event} Failed")),
                        _ => {}
                    }
                }
                Msg::Event(Event::Paused {
                    stage: s,
                    continue_command,
                    rollback_command,
                    ..
                }) => paused.push((s, continue_command, rollback_command)),
                Msg::Event(Event::Verdict(v)) => verdict = Some(v),
                Msg::Event(_) => {}
                Msg::Finish { status, error } => finish = Some((status, error)),
            }
        }
        load_images(&mut st, ecs.as_deref()).await;
        if start && !st.started {
            st.started = true;
            let m = start_message(&ctx, &st.rev);
            if client.is_bot() {
                st.head = Some(client.post_message(&m, None).await?);
            } else {
                client.post_webhook(&m).await?;
            }
        }
        if let Some(s) = stage.filter(|s| st.last_stage.as_ref() != Some(s)) {
            st.last_stage = Some(s.clone());
            let m = stage_message(&ctx, &s);
            match (&st.head, client.is_bot()) {
                (Some(h), true) => {
                    client.post_message(&m, Some(&h.ts)).await?;
                }
                (None, true) => {}
                (_, false) if ctx.updates => client.post_webhook(&m).await?,
                _ => {}
            }
        }
        for (s, c, r) in paused {
            let m = paused_message(&ctx, &s, &c, &r);
            if client.is_bot() {
                client
                    .post_message(&m, st.head.as_ref().map(|h| h.ts.as_str()))
                    .await?;
            } else {
                client.post_webhook(&m).await?;
            }
        }
        if let Some((status, error)) = finish {
            let v = match verdict.take() {
                Some(v) if v.status == status => v,
                _ => closing_verdict(status, error.as_deref()),
            };
            return post_final(&client, &ctx, &st, &v).await;
        }
    }
    // The command was dropped (Ctrl-C) before `finish`: close the conversation with the
    // verdict the watcher emitted when it was dropped (`interrupted`), if it was started.
    if verdict.is_some() || st.started {
        let v = verdict.unwrap_or_else(|| closing_verdict(ExitStatus::Interrupted, None));
        post_final(&client, &ctx, &st, &v).await?;
    }
    Ok(())
}

/// The final message: a reply in the thread and an update of the head (bot, once a head was
/// posted), a top-level post otherwise.
async fn post_final(
    client: &SlackClient,
    ctx: &NotifyContext,
    st: &State,
    v: &Verdict,
) -> Result<(), SlackError> {
    let m = final_message(ctx, &st.rev, v);
    match (&st.head, client.is_bot()) {
        (Some(h), true) => {
            client.post_message(&m, Some(&h.ts)).await?;
            client.update_message(h, &m).await
        }
        (None, true) => client.post_message(&m, None).await.map(|_| ()),
        (_, false) => client.post_webhook(&m).await,
    }
}

/// Describe the revision once to list its images (best effort: none on error).
async fn load_images(st: &mut State, ecs: Option<&dyn EcsApi>) {
    let (Some(td), Some(ecs)) = (st.rev.task_definition.clone(), ecs) else {
        return;
    };
    if st.images_for.as_deref() == Some(td.as_str()) {
        return;
    }
    st.images_for = Some(td.clone());
    st.rev.images = ecs
        .describe_task_definition(&td)
        .await
        .map(|v| images_of(&v))
        .unwrap_or_default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rollout::{Outcome, verdict};
    use crate::slack::http::SlackTarget;
    use serde_json::json;

    fn ctx() -> NotifyContext {
        NotifyContext {
            command: "deploy".into(),
            cluster: "prod".into(),
            service: "web".into(),
            region: "eu-west-1".into(),
            metadata: DeployMetadata {
                commit: Some("0123456789abcdef0123".into()),
                git_ref: Some("refs/heads/main".into()),
                by: Some("codepipeline/app".into()),
                build_url: Some("https://console.aws.amazon.com/codesuite/codebuild/x".into()),
                build_id: Some("app:1234".into()),
                note: None,
            },
            updates: false,
        }
    }

    const SECRET_TD: &str = r#"{"taskDefinition": {"family": "web", "containerDefinitions": [
        {"name": "app", "image": "123.dkr.ecr.eu-west-1.amazonaws.com/web:v42",
         "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}],
         "secrets": [{"name": "API_KEY", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/api-key"}]},
        {"name": "envoy", "image": "envoyproxy/envoy:v1.30"}]}}"#;

    fn rev() -> Revision {
        let td: serde_json::Value = serde_json::from_str(SECRET_TD).unwrap();
        Revision {
            task_definition: Some("arn:aws:ecs:eu-west-1:1:task-definition/web:42".into()),
            images: images_of(&td),
        }
    }

    #[test]
    fn messages_snapshot_and_carry_no_env_or_secrets() {
        let v = verdict(Outcome::RolledBack, "ecs-svc/1 (web:42)", "circuit breaker");
        let all = json!({
            "start": start_message(&ctx(), &rev()),
            "stage": stage_message(&ctx(), "BAKE_TIME"),
            "paused": paused_message(&ctx(), "POST_TEST_TRAFFIC_SHIFT", "ecspress continue", "ecspress continue --rollback"),
            "final": final_message(&ctx(), &rev(), &v),
        });
        let text = all.to_string();
        for secret in ["hunter2", "DB_PASSWORD", "API_KEY", "parameter/api-key"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(text.contains("web:v42") && text.contains("envoy:v1.30"));
        assert!(text.contains("exit 3"));
        insta::assert_json_snapshot!(all);
    }

    /// A webhook receiver recording the `text` of every post.
    async fn receiver() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        let app = axum::Router::new().fallback(move |body: String| {
            let s = s.clone();
            async move {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                s.lock()
                    .unwrap()
                    .push(v["text"].as_str().unwrap_or_default().to_owned());
                "ok"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, seen)
    }

    fn lifecycle(event: &str, status: &str) -> Event {
        Event::CodeDeployLifecycleEvent {
            deployment_id: "d-1".into(),
            event: event.into(),
            status: status.into(),
        }
    }

    /// Everything queued before the task runs is one batch: one start, ONE update (the newest
    /// stage), the final. Lifecycle Pending/Succeeded are no update.
    #[tokio::test]
    async fn queued_updates_are_coalesced_into_one() {
        let (url, seen) = receiver().await;
        let mut c = ctx();
        c.updates = true;
        let n = Notifier::spawn(SlackClient::new(SlackTarget::Webhook { url }), c, None);
        let printer = crate::output::RecordingSink::new();
        let sink = n.sink(&printer);
        // current_thread runtime: the notifier task cannot run before the first await below.
        sink.emit(Event::CodeDeployDeploymentCreated {
            deployment_id: "d-1".into(),
            application: "a".into(),
            deployment_group: "g".into(),
            deployment_config: None,
            task_definition: "web:2".into(),
        });
        for (e, st) in [
            ("BeforeInstall", "Pending"),
            ("BeforeInstall", "InProgress"),
            ("BeforeInstall", "Succeeded"),
            ("AllowTraffic", "InProgress"),
            ("AllowTraffic", "Succeeded"),
        ] {
            sink.emit(lifecycle(e, st));
        }
        sink.emit(Event::Verdict(verdict(Outcome::Succeeded, "d-1", "")));
        drop(sink);
        assert_eq!(printer.events().len(), 7, "every event reaches the printer");
        let warning = n
            .finish(ExitStatus::Success, None, Duration::from_secs(5))
            .await;
        assert_eq!(warning, None);
        let texts = seen.lock().unwrap().clone();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[0].contains("started"), "{texts:?}");
        assert_eq!(texts[1], "deploy web: AllowTraffic");
        assert!(texts[2].contains("succeeded (exit 0)"), "{texts:?}");
    }

    #[test]
    fn console_urls_by_partition() {
        assert_eq!(
            console_url("eu-west-1", "prod", "web"),
            "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/deployments?region=eu-west-1"
        );
        assert!(
            console_url("cn-north-1", "c", "s")
                .starts_with("https://cn-north-1.console.amazonaws.cn/")
        );
        assert!(
            console_url("us-gov-west-1", "c", "s")
                .starts_with("https://us-gov-west-1.console.amazonaws-us-gov.com/")
        );
    }

    #[test]
    fn only_relevant_events_are_copied() {
        assert!(relevant(&Event::StageChanged {
            service_deployment_arn: "a".into(),
            from: None,
            stage: "BAKE_TIME".into(),
            position: None
        }));
        assert!(!relevant(&Event::Info {
            message: "x".into()
        }));
    }
}
