//! `ecspress deploy`: render → describe → register the task definition only when it changed
//! → one CreateService or UpdateService → watch the rollout to a verdict.
//!
//! The order is the safety argument:
//! 1. everything is rendered and checked (unknown fields, required keys) before the first AWS
//!    call, so a template error never leaves a half-done deploy;
//! 2. every read happens before the first write, and every refusal (EXTERNAL controller,
//!    DRAINING service, missing rollback target) is decided from those reads;
//! 3. writes are few and in a fixed order: RegisterTaskDefinition (only when the normalised
//!    content differs from the revision the service runs: ecspresso registers on every
//!    deploy, which floods the family with identical revisions), then ONE UpdateService
//!    carrying the task definition and the service attributes together (ecspresso #961: two
//!    calls start two deployments), then TagResource/UntagResource (UpdateService has no tags);
//! 4. `--dry-run` runs steps 1–2, prints the diff (as `ecspress diff` does) and the exact inputs
//!    of step 3 instead of sending them.
//!
//! The inputs themselves are built by pure functions in [`crate::model::revision`].
//!
//! Faults (docs/reliability.md): RegisterTaskDefinition and CreateService are not idempotent,
//! so the SDK sends them once ([`crate::aws::ecs::EcsApi`]) and [`register_once`] /
//! [`create_once`] decide: a throttled call was refused unprocessed and is sent again after a
//! pause; a timeout, 5xx or dropped connection may have been processed with a lost answer, so
//! after a pause the family's newest ACTIVE revision (or the service) is looked up and reused
//! when it is ours, and the call is sent again (at most 4 times) only when it is not. A deploy
//! therefore registers one revision (ListTaskDefinitions is eventually consistent on AWS: the
//! pause is what makes a just-processed registration visible). UpdateService is idempotent for
//! the same input (a repeat starts no second deployment unless `forceNewDeployment`), so it
//! keeps the SDK's retries. A Ctrl-C during a write is reported with what may have happened
//! and how to resume ([`InFlight`]).
//!
//! A service with the CODE_DEPLOY deployment controller branches to
//! `crate::ops::codedeploy::deploy` after step 2 (same render, reads and task definition
//! choice; then UpdateService with what ECS allows and a CodeDeploy CreateDeployment).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

use crate::aws::codec;
use crate::aws::ecs::EcsApi;
use crate::aws::{AwsError, AwsErrorKind};
use crate::exit::ExitStatus;
use crate::model::normalize::{self, NormalizeOptions};
use crate::model::revision::{self, DeploymentRef, UpdatePlan, short_name};
use crate::ops::codedeploy;
use crate::ops::diff;
use crate::ops::render::Project;
use crate::ops::watch::{self, WatchOptions, WatchTarget};
use crate::output::{Event, EventSink};

/// Refusals decided before any change; callers (and tests) branch on them.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// EXTERNAL controller: task sets are managed by another tool.
    #[error(
        "service {service} in cluster {cluster} uses the EXTERNAL deployment controller (task sets managed outside ECS); ecspress cannot deploy it; nothing was changed"
    )]
    ExternalNotSupported {
        /// Cluster.
        cluster: String,
        /// Service.
        service: String,
    },
    /// DRAINING: DeleteService was called; the service cannot be updated.
    #[error(
        "service {service} in cluster {cluster} is DRAINING (being deleted); wait until it is INACTIVE, then deploy creates it again"
    )]
    Draining {
        /// Cluster.
        cluster: String,
        /// Service.
        service: String,
    },
    /// `--strict` and fields the AWS API model does not know.
    #[error("{file}: fields unknown to the AWS API model (--strict): {}", fields.join(", "))]
    UnknownFields {
        /// The definition file.
        file: String,
        /// Their paths.
        fields: Vec<String>,
    },
}

/// Resolved `deploy` flags.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--tasks`.
    pub tasks: Option<i32>,
    /// `--skip-task-definition`.
    pub skip_task_definition: bool,
    /// `--revision` (with `--skip-task-definition`).
    pub revision: Option<u32>,
    /// `--latest-task-definition`.
    pub latest_task_definition: bool,
    /// `--force-new-deployment`.
    pub force_new_deployment: bool,
    /// Not `--no-update-service`.
    pub update_service: bool,
    /// Not `--no-wait`.
    pub wait: bool,
    /// `--strict`.
    pub strict: bool,
    /// How to watch.
    pub watch: WatchOptions,
    /// `--codedeploy-config`: the CodeDeploy deployment config (CODE_DEPLOY services).
    pub codedeploy_config: Option<String>,
    /// `--rollback-events` (CODE_DEPLOY services): CreateDeployment
    /// `autoRollbackConfiguration {enabled: true, events}`.
    pub rollback_events: Option<Vec<String>>,
    /// The auto scaling flags: RegisterScalableTarget after the CreateService/UpdateService.
    pub auto_scaling: crate::aws::autoscaling::ScalableTargetChange,
}

/// Cluster and service names of a project, and where they came from.
#[derive(Debug, Clone)]
pub(crate) struct ServiceRef {
    pub cluster: String,
    pub service: String,
}

impl ServiceRef {
    pub(crate) fn of(project: &Project) -> anyhow::Result<Self> {
        let config = project.config();
        let service = config.service.clone().ok_or_else(|| {
            anyhow!(
                "{}: no `service` in the config; this command needs the service name",
                project.config_path().display()
            )
        })?;
        Ok(ServiceRef {
            cluster: config.cluster.clone(),
            service,
        })
    }

    pub(crate) async fn describe(&self, ecs: &dyn EcsApi) -> anyhow::Result<Option<Value>> {
        ecs.describe_service(&self.cluster, &self.service)
            .await
            .with_context(|| {
                format!(
                    "cannot describe service {} in cluster {}",
                    self.service, self.cluster
                )
            })
    }

    /// Refuse controllers this issue does not deploy, and DRAINING services.
    pub(crate) fn check_deployable(
        &self,
        live: Option<&Value>,
        file: Option<&Value>,
    ) -> Result<(), DeployError> {
        let controller = live.or(file).map(revision::controller_of).unwrap_or("ECS");
        let (cluster, service) = (self.cluster.clone(), self.service.clone());
        if controller == "EXTERNAL" {
            return Err(DeployError::ExternalNotSupported { cluster, service });
        }
        if live.and_then(|l| l.get("status")).and_then(Value::as_str) == Some("DRAINING") {
            return Err(DeployError::Draining { cluster, service });
        }
        Ok(())
    }
}

/// Epoch seconds now.
pub(crate) fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn display(project: &Project, path: Option<&std::path::Path>) -> String {
    path.map(|p| {
        p.strip_prefix(
            project
                .config_path()
                .parent()
                .unwrap_or(std::path::Path::new("")),
        )
        .unwrap_or(p)
        .display()
        .to_string()
    })
    .unwrap_or_default()
}

/// Report fields the AWS model does not know: warnings, or an error with `--strict`.
fn check_unknown(
    file: String,
    fields: Vec<String>,
    strict: bool,
    sink: &dyn EventSink,
) -> Result<(), DeployError> {
    if fields.is_empty() {
        return Ok(());
    }
    if strict {
        return Err(DeployError::UnknownFields { file, fields });
    }
    sink.emit(Event::Warning {
        message: format!(
            "{file}: fields unknown to the AWS API model are not sent: {} (--strict makes this an error)",
            fields.join(", ")
        ),
    });
    Ok(())
}

/// Render the service definition (if the config names one) and check its fields.
pub(crate) async fn render_service(
    project: &Project,
    strict: bool,
    sink: &dyn EventSink,
) -> anyhow::Result<Option<Value>> {
    let Some(path) = project.config().service_definition.as_deref() else {
        return Ok(None);
    };
    let v = project.render_service_definition().await?;
    check_unknown(
        display(project, Some(path)),
        codec::unknown_service_fields(&v),
        strict,
        sink,
    )?;
    Ok(Some(v))
}

/// Render the task definition, check its fields, and return the RegisterTaskDefinition input.
pub(crate) async fn render_task(
    project: &Project,
    strict: bool,
    sink: &dyn EventSink,
) -> anyhow::Result<Value> {
    let v = project.render_task_definition().await?;
    let file = display(project, project.config().task_definition.as_deref());
    check_unknown(
        file.clone(),
        codec::unknown_task_definition_fields(&v),
        strict,
        sink,
    )?;
    let input = revision::register_input(&v);
    // The codec defaults missing required members to empty values; say what is missing.
    if input
        .get("family")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        bail!("{file}: the task definition has no `family`");
    }
    if input
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        bail!("{file}: the task definition has no `containerDefinitions`");
    }
    Ok(input)
}

/// Whether a register input and a described revision have the same normalised content.
fn same_task_definition(input: &Value, live: &Value, ignore_tags: &[String]) -> bool {
    let opts = NormalizeOptions::new(ignore_tags);
    normalize::task_definition_for_diff(input, &opts)
        == normalize::task_definition_for_diff(live, &opts)
}

/// Whether the service file would change any attribute of the live service (the same
/// normalisation `diff` shows; what the file leaves to AWS is no difference).
pub(crate) fn service_attributes_differ(
    file: &Value,
    live: &Value,
    ignore_tags: &[String],
) -> bool {
    let opts = NormalizeOptions::new(ignore_tags).for_service_pair(Some(live), file);
    let strip = |v: Value| {
        let mut v = v;
        if let Some(m) = v.as_object_mut() {
            // Decided elsewhere: desiredCount (its own rule), tags (Tag/UntagResource).
            m.remove("desiredCount");
            m.remove("tags");
        }
        v
    };
    strip(normalize::service_for_diff(file, &opts))
        != strip(normalize::service_for_diff(live, &opts))
}

/// Where the task definition comes from.
pub(crate) enum TaskDefinitionChoice {
    /// Use this existing revision; `reason` is shown.
    Existing { arn: String, reason: String },
    /// Register this input.
    Register { input: Value },
}

/// The newest ACTIVE revision of `family`, if any.
async fn latest_of(ecs: &dyn EcsApi, family: &str) -> anyhow::Result<Option<String>> {
    Ok(ecs
        .list_task_definitions(family)
        .await
        .with_context(|| format!("cannot list the task definitions of family {family}"))?
        .into_iter()
        .find(|a| revision::family_of(a) == family))
}

pub(crate) async fn choose_task_definition(
    project: &Project,
    ecs: &dyn EcsApi,
    live: Option<&Value>,
    rendered: Option<&Value>,
    opts: &DeployOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<TaskDefinitionChoice> {
    let running = live
        .and_then(|l| l.get("taskDefinition"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    // The family flags refer to: the running one, else the file's (rendered only now when
    // the flags made it unnecessary so far).
    let family = || async {
        match (&running, rendered) {
            (Some(r), _) => Ok::<_, anyhow::Error>(revision::family_of(r).to_owned()),
            (None, Some(input)) => Ok(input["family"].as_str().unwrap_or_default().to_owned()),
            (None, None) => {
                let input = render_task(project, opts.strict, sink).await?;
                Ok(input["family"].as_str().unwrap_or_default().to_owned())
            }
        }
    };
    if let Some(n) = opts.revision {
        let name = format!("{}:{n}", family().await?);
        let td = ecs
            .describe_task_definition(&name)
            .await
            .with_context(|| format!("--revision {n}: cannot describe task definition {name}"))?;
        let arn = td
            .get("taskDefinitionArn")
            .and_then(Value::as_str)
            .unwrap_or(&name)
            .to_owned();
        return Ok(TaskDefinitionChoice::Existing {
            arn,
            reason: format!("--revision {n}"),
        });
    }
    if opts.latest_task_definition || (opts.skip_task_definition && running.is_none()) {
        let family = family().await?;
        let arn = latest_of(ecs, &family)
            .await?
            .ok_or_else(|| anyhow!("family {family} has no ACTIVE task definition revision"))?;
        return Ok(TaskDefinitionChoice::Existing {
            arn,
            reason: "the newest ACTIVE revision of the family".into(),
        });
    }
    if opts.skip_task_definition {
        let arn = running.unwrap_or_default();
        return Ok(TaskDefinitionChoice::Existing {
            arn,
            reason: "--skip-task-definition: the revision the service runs".into(),
        });
    }
    let input = match rendered {
        Some(input) => input.clone(),
        None => render_task(project, opts.strict, sink).await?,
    };
    let family = input["family"].as_str().unwrap_or_default().to_owned();
    // Compare with the revision the service runs (same family), else the family's newest.
    let (base, what) = match &running {
        Some(r) if revision::family_of(r) == family => {
            (Some(r.clone()), "the revision the service runs")
        }
        _ => (
            latest_of(ecs, &family).await?,
            "the newest revision of the family",
        ),
    };
    let ignore = &project.config().ignore.tags;
    if let Some(base) = &base
        && let Some(arn) = identical_revision(ecs, base, &input, ignore).await?
    {
        return Ok(TaskDefinitionChoice::Existing {
            arn,
            reason: format!("unchanged from {what}; not registering a new revision"),
        });
    }
    if running.is_some() {
        // A newer revision than the running one may already hold this content: registered by
        // a deploy that was interrupted or lost its answer (docs/reliability.md). Reusing it
        // keeps one revision per content instead of registering a duplicate.
        if let Some(latest) = latest_of(ecs, &family)
            .await?
            .filter(|l| Some(l) != base.as_ref())
            && let Some(arn) = identical_revision(ecs, &latest, &input, ignore).await?
        {
            return Ok(TaskDefinitionChoice::Existing {
                arn,
                reason: "identical to the newest revision of the family (registered earlier and not running yet); not registering another".into(),
            });
        }
    }
    Ok(TaskDefinitionChoice::Register { input })
}

/// `revision`'s ARN when its normalised content equals the register input's.
async fn identical_revision(
    ecs: &dyn EcsApi,
    revision: &str,
    input: &Value,
    ignore_tags: &[String],
) -> anyhow::Result<Option<String>> {
    let described = ecs
        .describe_task_definition(revision)
        .await
        .with_context(|| format!("cannot describe task definition {revision}"))?;
    Ok(
        same_task_definition(input, &described, ignore_tags).then(|| {
            described
                .get("taskDefinitionArn")
                .and_then(Value::as_str)
                .unwrap_or(revision)
                .to_owned()
        }),
    )
}

/// How many times a throttled non-idempotent write is sent again (it was refused unprocessed).
const THROTTLED_RETRIES: u32 = 4;

/// How many times a write that got no answer is sent again once a lookup showed it was not
/// processed (as many as the SDK would: 5 attempts in all, src/aws/config.rs).
const UNANSWERED_RETRIES: u32 = 4;

/// The pause before throttled retry `n` (1-based): 0.5 s, 1 s, 2 s, 4 s.
fn throttle_pause(n: u32) -> Duration {
    Duration::from_millis(250u64 << n.min(6))
}

/// Throttled (refused before processing): say the run slows down, not that it failed.
fn slowed_down(sink: &dyn EventSink, operation: &str, n: u32) {
    sink.emit(Event::Info {
        message: format!(
            "{operation} was throttled by ECS (refused, nothing changed); sending it again in {}",
            humantime::format_duration(throttle_pause(n))
        ),
    });
}

/// Whether a failed write may nevertheless have been processed: the answer was lost (timeout,
/// dropped connection) or the server failed after accepting it (5xx).
fn maybe_processed(e: &AwsError) -> bool {
    e.kind != AwsErrorKind::Throttled && watch::classify(e) == watch::ErrorClass::Transient
}

/// RegisterTaskDefinition, never twice for one deploy (see the module docs); returns the ARN
/// of the revision registered, or of the identical one a lost answer had registered.
pub(crate) async fn register_once(
    ecs: &dyn EcsApi,
    input: &Value,
    ignore_tags: &[String],
    sink: &dyn EventSink,
) -> anyhow::Result<String> {
    let family = input["family"].as_str().unwrap_or_default().to_owned();
    let context = || format!("cannot register task definition family {family}");
    let (mut throttled, mut unanswered) = (0, 0);
    loop {
        let err = match ecs.register_task_definition(input).await {
            Ok(td) => {
                let arn = string_field(&td, "taskDefinitionArn").ok_or_else(|| {
                    anyhow!("RegisterTaskDefinition {family}: no ARN in the answer")
                })?;
                sink.emit(Event::TaskDefinitionRegistered { arn: arn.clone() });
                return Ok(arn);
            }
            Err(e) => e,
        };
        if err.kind == AwsErrorKind::Throttled && throttled < THROTTLED_RETRIES {
            throttled += 1;
            slowed_down(sink, "RegisterTaskDefinition", throttled);
            tokio::time::sleep(throttle_pause(throttled)).await;
            continue;
        }
        if !maybe_processed(&err) {
            return Err(err).with_context(context);
        }
        // A pause first: ListTaskDefinitions is eventually consistent on AWS.
        unanswered += 1;
        tokio::time::sleep(throttle_pause(unanswered)).await;
        let latest = latest_of(ecs, &family).await?;
        if let Some(latest) = latest
            && let Some(arn) = identical_revision(ecs, &latest, input, ignore_tags).await?
        {
            sink.emit(Event::TaskDefinitionSelected {
                arn,
                reason: format!(
                    "{err}; but the call was processed: this is the revision it registered; not registering twice"
                ),
            });
            return Ok(latest);
        }
        if unanswered > UNANSWERED_RETRIES {
            return Err(err).with_context(context);
        }
        sink.emit(Event::Warning {
            message: format!(
                "{err}; no revision of family {family} holds this content, so it was not registered: retrying ({unanswered} of {UNANSWERED_RETRIES})"
            ),
        });
    }
}

/// CreateService, never sent again after a possible success (see the module docs); returns
/// the service (from the answer, or described when the answer was lost).
async fn create_once(
    ecs: &dyn EcsApi,
    target: &ServiceRef,
    input: &Value,
    sink: &dyn EventSink,
) -> anyhow::Result<Value> {
    let context = || {
        format!(
            "cannot create service {} in cluster {}",
            target.service, target.cluster
        )
    };
    let (mut throttled, mut unanswered) = (0, 0);
    loop {
        let err = match ecs.create_service(input).await {
            Ok(created) => return Ok(created),
            Err(e) => e,
        };
        if err.kind == AwsErrorKind::Throttled && throttled < THROTTLED_RETRIES {
            throttled += 1;
            slowed_down(sink, "CreateService", throttled);
            tokio::time::sleep(throttle_pause(throttled)).await;
            continue;
        }
        if !maybe_processed(&err) {
            return Err(err).with_context(context);
        }
        unanswered += 1;
        tokio::time::sleep(throttle_pause(unanswered)).await;
        if let Some(created) = target.describe(ecs).await? {
            sink.emit(Event::Info {
                message: format!(
                    "{err}; but service {} exists now: the call was processed; continuing",
                    target.service
                ),
            });
            return Ok(created);
        }
        if unanswered > UNANSWERED_RETRIES {
            return Err(err).with_context(context);
        }
        sink.emit(Event::Warning {
            message: format!(
                "{err}; service {} does not exist, so it was not created: retrying ({unanswered} of {UNANSWERED_RETRIES})",
                target.service
            ),
        });
    }
}

/// What a Ctrl-C would leave half-known: while a note is set, dropping this (the binary drops
/// the command's future on SIGINT, src/main.rs) warns with what may have happened and how to
/// resume. [`deploy`] clears it whenever the deploy returns, so only an interruption warns.
struct InFlight<'a> {
    sink: &'a dyn EventSink,
    note: std::sync::Mutex<Option<String>>,
}

impl<'a> InFlight<'a> {
    fn new(sink: &'a dyn EventSink) -> Self {
        InFlight {
            sink,
            note: std::sync::Mutex::new(None),
        }
    }

    fn set(&self, note: Option<String>) {
        *self.note.lock().unwrap_or_else(|p| p.into_inner()) = note;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let note = self.note.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(note) = note {
            self.sink.emit(Event::Warning { message: note });
        }
    }
}

pub(crate) fn string_field(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// Run `deploy`.
pub async fn deploy(
    project: &Project,
    opts: &DeployOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let in_flight = InFlight::new(sink);
    let result = deploy_steps(project, opts, sink, &in_flight).await;
    // Returned (verdict or error): nothing is half-known.
    in_flight.set(None);
    result
}

async fn deploy_steps(
    project: &Project,
    opts: &DeployOptions,
    sink: &dyn EventSink,
    in_flight: &InFlight<'_>,
) -> anyhow::Result<ExitStatus> {
    let target = ServiceRef::of(project)?;
    let ecs = project.clients().ecs.clone();
    let ecs = ecs.as_ref();

    // 1. Render before touching AWS.
    let service_file = render_service(project, opts.strict, sink).await?;
    let rendered_task = if opts.skip_task_definition || opts.latest_task_definition {
        None
    } else {
        Some(render_task(project, opts.strict, sink).await?)
    };

    // 2. Read.
    let live = target.describe(ecs).await?;
    target.check_deployable(live.as_ref(), service_file.as_ref())?;
    if let Some(l) = live
        .as_ref()
        .filter(|l| revision::controller_of(l) == "CODE_DEPLOY")
    {
        if !opts.auto_scaling.is_empty() {
            // Refused rather than dropped: the flags are not applied on this path yet.
            bail!(
                "--suspend/--resume-auto-scaling and --auto-scaling-min/max are not supported for CODE_DEPLOY services yet; nothing was changed"
            );
        }
        return codedeploy::deploy(project, &target, l, service_file, rendered_task, opts, sink)
            .await;
    }
    if opts.wait {
        // `--wait-until stage:/paused/codedeploy:` must fit the service as it will be after
        // this deploy: refused here, before any change, rather than by the watcher after it.
        let file = service_file
            .as_ref()
            .filter(|_| opts.update_service || live.is_none());
        let strategy_of = |v: &Value| {
            v.pointer("/deploymentConfiguration/strategy")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let strategy = file
            .and_then(strategy_of)
            .or_else(|| live.as_ref().and_then(strategy_of))
            .unwrap_or_else(|| "ROLLING".into());
        let controller = live
            .as_ref()
            .or(service_file.as_ref())
            .map(revision::controller_of)
            .unwrap_or("ECS");
        watch::check_wait_until(opts.watch.wait_until, controller, &strategy).map_err(|why| {
            anyhow!(
                "{why} (service {} in cluster {}); nothing was changed",
                target.service,
                target.cluster
            )
        })?;
    }
    if live.is_none() && service_file.is_none() {
        bail!(
            "service {} does not exist in cluster {} and the config has no service_definition to create it from",
            target.service,
            target.cluster
        );
    }

    // 3. The task definition.
    let choice = choose_task_definition(
        project,
        ecs,
        live.as_ref(),
        rendered_task.as_ref(),
        opts,
        sink,
    )
    .await?;
    if opts.dry_run {
        crate::ops::scale::report_dry_run(&target, &opts.auto_scaling, sink);
        return dry_run(
            project,
            &target,
            live.as_ref(),
            service_file.as_ref(),
            choice,
            opts,
            sink,
        )
        .await;
    }
    let running = live
        .as_ref()
        .and_then(|l| string_field(l, "taskDefinition"))
        .map(|td| format!("the service still runs {}", short_name(&td)))
        .unwrap_or_else(|| format!("service {} was not created", target.service));
    let task_definition = match choice {
        TaskDefinitionChoice::Existing { arn, reason } => {
            sink.emit(Event::TaskDefinitionSelected {
                arn: arn.clone(),
                reason,
            });
            arn
        }
        TaskDefinitionChoice::Register { input } => {
            let family = input["family"].as_str().unwrap_or_default();
            in_flight.set(Some(format!(
                "interrupted during RegisterTaskDefinition: a new revision of family {family} may have been registered; nothing else was changed ({running}); `ecspress deploy` again reuses that revision instead of registering another"
            )));
            register_once(ecs, &input, &project.config().ignore.tags, sink).await?
        }
    };

    // 4. One CreateService or UpdateService.
    let (after, started_after) = match &live {
        None => {
            let file = service_file.as_ref().unwrap_or(&Value::Null);
            let input = revision::create_service_input(
                file,
                &target.cluster,
                &target.service,
                &task_definition,
                opts.tasks,
            );
            let started_after = revision::started_after(None, now_epoch());
            in_flight.set(Some(format!(
                "interrupted during CreateService: service {} in cluster {} may have been created with {} and be starting its tasks; `ecspress status` shows it, `ecspress wait` follows its first deployment, `ecspress deploy` again continues from there",
                target.service,
                target.cluster,
                short_name(&task_definition)
            )));
            let created = create_once(ecs, &target, &input, sink).await?;
            in_flight.set(Some(format!(
                "interrupted after creating service {} with {}: its first deployment goes on in ECS; `ecspress wait` follows it",
                target.service,
                short_name(&task_definition)
            )));
            sink.emit(Event::ServiceCreated {
                service_arn: string_field(&created, "serviceArn").unwrap_or_default(),
                task_definition: task_definition.clone(),
                desired_count: input.get("desiredCount").and_then(Value::as_i64),
            });
            crate::ops::scale::apply_auto_scaling(project, &target, &opts.auto_scaling, sink)
                .await?;
            (DeploymentRef::of(&created), started_after)
        }
        Some(live) => {
            let (input, attributes) = update_input(
                project,
                &target,
                live,
                service_file.as_ref(),
                &task_definition,
                opts,
            );
            let before = DeploymentRef::of(live);
            let started_after = revision::started_after(Some(live), now_epoch());
            let undo = "`ecspress wait` follows it to its verdict, `ecspress rollback` reverts it";
            in_flight.set(Some(format!(
                "interrupted during UpdateService: service {} may have been updated to {}; if so its deployment goes on in ECS: {undo}",
                target.service,
                short_name(&task_definition)
            )));
            let updated = ecs.update_service(&input).await.with_context(|| {
                format!(
                    "cannot update service {} in cluster {}",
                    target.service, target.cluster
                )
            })?;
            in_flight.set(Some(format!(
                "interrupted after updating service {} to {}: its deployment goes on in ECS: {undo}",
                target.service,
                short_name(&task_definition)
            )));
            let after = DeploymentRef::of(&updated);
            let new_deployment = before.started_new(&after);
            let service_arn = string_field(&updated, "serviceArn")
                .or_else(|| string_field(live, "serviceArn"))
                .unwrap_or_default();
            sink.emit(Event::ServiceUpdated {
                service_arn: service_arn.clone(),
                task_definition: Some(task_definition.clone()),
                desired_count: input.get("desiredCount").and_then(Value::as_i64),
                attributes,
                new_deployment,
            });
            if opts.update_service
                && let Some(file) = &service_file
            {
                apply_tags(
                    ecs,
                    &service_arn,
                    file,
                    live,
                    &project.config().ignore.tags,
                    sink,
                )
                .await?;
            }
            crate::ops::scale::apply_auto_scaling(project, &target, &opts.auto_scaling, sink)
                .await?;
            let count_changed = input
                .get("desiredCount")
                .and_then(Value::as_i64)
                .is_some_and(|n| live.get("desiredCount").and_then(Value::as_i64) != Some(n));
            if !new_deployment && count_changed && opts.wait {
                // Only the count changed (`scale`): ECS resizes the PRIMARY deployment in
                // place, so follow the task count rather than a rollout.
                sink.emit(Event::Info {
                    message: format!(
                        "no new deployment: only the desired count changed; waiting for service {} to run {} task(s)",
                        target.service,
                        input.get("desiredCount").and_then(Value::as_i64).unwrap_or_default()
                    ),
                });
                return watch::wait_stable(
                    ecs,
                    &target.cluster,
                    &target.service,
                    &opts.watch,
                    sink,
                )
                .await;
            }
            if !new_deployment {
                sink.emit(Event::Info {
                    message: format!(
                        "no new deployment: service {} already runs {} with these settings (--force-new-deployment starts one anyway)",
                        target.service,
                        short_name(&task_definition)
                    ),
                });
                return Ok(ExitStatus::Success);
            }
            (after, started_after)
        }
    };

    // 5. Watch (the watcher reports its own interruption, with the resume hint).
    in_flight.set(None);
    if !opts.wait {
        sink.emit(Event::Info {
            message: "not waiting (--no-wait); `ecspress wait` follows the deployment".into(),
        });
        return Ok(ExitStatus::Success);
    }
    if service_file
        .as_ref()
        .is_some_and(|f| live.is_none() && revision::controller_of(f) == "CODE_DEPLOY")
    {
        // A new CODE_DEPLOY service starts with one task set and no CodeDeploy deployment.
        return codedeploy::watch_initial_task_set(project, &target, &opts.watch, sink).await;
    }
    let lbs = service_file.as_ref().or(live.as_ref());
    let watch_target = WatchTarget {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        service_deployment_arn: after.service_deployment_arn,
        deployment_id: after.deployment_id,
        started_after: Some(started_after),
        task_definition: Some(task_definition),
        drain: match lbs {
            Some(service) => {
                drain_estimate(project.clients().target_groups.as_ref(), service).await
            }
            None => None,
        },
    };
    watch::watch(ecs, &watch_target, &opts.watch, sink).await
}

/// The longest deregistration delay of the service's target groups (ELBv2
/// DescribeTargetGroupAttributes), for the watcher's poll cadence: a rolling deployment
/// completes about that long after its old tasks start draining. Only a hint: any error
/// (no `elasticloadbalancing:DescribeTargetGroupAttributes` permission, an endpoint without
/// ELBv2) gives None and the cadence falls back to its other rules.
pub(crate) async fn drain_estimate(
    api: &dyn crate::aws::elbv2::TargetGroupApi,
    service: &Value,
) -> Option<std::time::Duration> {
    let mut longest = None;
    for (_, arn) in crate::model::verify::target_group_arns(service) {
        if let Ok(Some(d)) = api.deregistration_delay(&arn).await {
            longest = longest.max(Some(d));
        }
    }
    longest
}

/// The UpdateService input and the names of the attributes it carries.
pub(crate) fn update_input(
    project: &Project,
    target: &ServiceRef,
    live: &Value,
    service_file: Option<&Value>,
    task_definition: &str,
    opts: &DeployOptions,
) -> (Value, Vec<String>) {
    let attributes_from = service_file.filter(|file| {
        opts.update_service && service_attributes_differ(file, live, &project.config().ignore.tags)
    });
    let plan = UpdatePlan {
        cluster: &target.cluster,
        service: &target.service,
        task_definition: Some(task_definition),
        attributes_from,
        desired_count: revision::update_desired_count(opts.tasks, service_file, live),
        force_new_deployment: opts.force_new_deployment,
    };
    let input = revision::update_service_input(&plan, live);
    let attributes = input
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| revision::UPDATE_ATTRIBUTES.contains(&k.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    (input, attributes)
}

/// TagResource / UntagResource for the service's tag delta.
async fn apply_tags(
    ecs: &dyn EcsApi,
    service_arn: &str,
    file: &Value,
    live: &Value,
    ignore: &[String],
    sink: &dyn EventSink,
) -> anyhow::Result<()> {
    let delta = revision::tag_delta(file, live, ignore);
    if delta.is_empty() {
        return Ok(());
    }
    if !delta.set.is_empty() {
        ecs.tag_resource(service_arn, &delta.set)
            .await
            .with_context(|| format!("cannot tag {service_arn}"))?;
    }
    if !delta.remove.is_empty() {
        ecs.untag_resource(service_arn, &delta.remove)
            .await
            .with_context(|| format!("cannot untag {service_arn}"))?;
    }
    sink.emit(Event::TagsUpdated {
        resource: service_arn.to_owned(),
        set: delta.set.iter().map(|(k, _)| k.clone()).collect(),
        removed: delta.remove,
    });
    Ok(())
}

/// `--dry-run` (every controller): what would change, as `ecspress diff` shows it (its
/// unknown-field warnings were already given by the render step).
pub(crate) async fn emit_dry_run_diff(
    project: &Project,
    strict: bool,
    sink: &dyn EventSink,
) -> anyhow::Result<()> {
    let report = diff::diff_project(project, diff::DiffOptions { strict }).await?;
    for side in report.sides {
        sink.emit(Event::Diff {
            kind: side.kind.as_str().to_owned(),
            changed: side.diff.has_changes(),
            diff: side.diff,
        });
    }
    Ok(())
}

/// `--dry-run`: the diff, then every mutating call deploy would make, with its exact input.
async fn dry_run(
    project: &Project,
    target: &ServiceRef,
    live: Option<&Value>,
    service_file: Option<&Value>,
    choice: TaskDefinitionChoice,
    opts: &DeployOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    emit_dry_run_diff(project, opts.strict, sink).await?;
    let task_definition = match choice {
        TaskDefinitionChoice::Existing { arn, reason } => {
            sink.emit(Event::TaskDefinitionSelected {
                arn: arn.clone(),
                reason,
            });
            arn
        }
        TaskDefinitionChoice::Register { input } => {
            // The new revision's ARN exists only after registering; the bare family stands in
            // for it (UpdateService resolves a family to its newest ACTIVE revision, which is
            // the one just registered).
            let family = input["family"].as_str().unwrap_or_default().to_owned();
            sink.emit(Event::DryRunCall {
                operation: "RegisterTaskDefinition".into(),
                input,
            });
            family
        }
    };
    match live {
        None => {
            let input = revision::create_service_input(
                service_file.unwrap_or(&Value::Null),
                &target.cluster,
                &target.service,
                &task_definition,
                opts.tasks,
            );
            sink.emit(Event::DryRunCall {
                operation: "CreateService".into(),
                input,
            });
        }
        Some(live) => {
            let (input, _) =
                update_input(project, target, live, service_file, &task_definition, opts);
            sink.emit(Event::DryRunCall {
                operation: "UpdateService".into(),
                input,
            });
            if opts.update_service
                && let Some(file) = service_file
            {
                let delta = revision::tag_delta(file, live, &project.config().ignore.tags);
                let arn = string_field(live, "serviceArn").unwrap_or_default();
                if !delta.set.is_empty() {
                    let tags: Vec<Value> = delta
                        .set
                        .iter()
                        .map(|(k, v)| json!({"key": k, "value": v}))
                        .collect();
                    sink.emit(Event::DryRunCall {
                        operation: "TagResource".into(),
                        input: json!({"resourceArn": arn, "tags": tags}),
                    });
                }
                if !delta.remove.is_empty() {
                    sink.emit(Event::DryRunCall {
                        operation: "UntagResource".into(),
                        input: json!({"resourceArn": arn, "tagKeys": delta.remove}),
                    });
                }
            }
        }
    }
    sink.emit(Event::Info {
        message: "dry run: nothing was changed".into(),
    });
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod drain_tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::drain_estimate;
    use crate::aws::elbv2::TargetGroupApi;
    use crate::aws::{AwsError, AwsErrorKind, AwsResult};

    /// Target groups by ARN suffix: `tg-300` has a 300 s delay, `tg-30` 30 s, `tg-denied`
    /// answers AccessDenied.
    struct Fake;

    #[async_trait::async_trait]
    impl TargetGroupApi for Fake {
        async fn describe_target_group(&self, _arn: &str) -> AwsResult<Option<Value>> {
            Ok(None)
        }
        async fn deregistration_delay(&self, arn: &str) -> AwsResult<Option<Duration>> {
            match arn.rsplit('/').next() {
                Some("tg-300") => Ok(Some(Duration::from_secs(300))),
                Some("tg-30") => Ok(Some(Duration::from_secs(30))),
                _ => Err(AwsError {
                    kind: AwsErrorKind::AccessDenied,
                    operation: "DescribeTargetGroupAttributes",
                    target: arn.into(),
                    code: Some("AccessDenied".into()),
                    message: "denied".into(),
                    request_id: None,
                }),
            }
        }
    }

    #[tokio::test]
    async fn the_longest_delay_of_the_services_target_groups() {
        let svc = |arns: &[&str]| json!({"loadBalancers": arns.iter().map(|a| json!({"targetGroupArn": format!("arn:tg/{a}"), "containerName": "app", "containerPort": 80})).collect::<Vec<_>>()});
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(
            drain_estimate(&Fake, &svc(&["tg-30", "tg-300"])).await,
            secs(300)
        );
        assert_eq!(drain_estimate(&Fake, &svc(&["tg-30"])).await, secs(30));
        assert_eq!(
            drain_estimate(&Fake, &svc(&["tg-denied", "tg-30"])).await,
            secs(30),
            "errors are skipped"
        );
        assert_eq!(drain_estimate(&Fake, &svc(&["tg-denied"])).await, None);
        assert_eq!(
            drain_estimate(&Fake, &json!({})).await,
            None,
            "no load balancer"
        );
    }
}

#[cfg(test)]
mod fault_tests {
    use super::*;

    fn err(kind: AwsErrorKind, code: Option<&str>) -> AwsError {
        AwsError {
            kind,
            operation: "RegisterTaskDefinition",
            target: "hello".into(),
            code: code.map(str::to_owned),
            message: "m".into(),
            request_id: None,
        }
    }

    #[test]
    fn which_failed_writes_may_have_been_processed() {
        let cases = [
            // No answer: timeout, reset, refused.
            (AwsErrorKind::Transport, None, true),
            // The server failed after accepting it.
            (AwsErrorKind::Service, Some("ServerException"), true),
            (AwsErrorKind::Service, Some("ServiceUnavailable"), true),
            // Refused before processing: safe to send again as is.
            (AwsErrorKind::Throttled, Some("ThrottlingException"), false),
            // A clear answer: it was not done.
            (AwsErrorKind::Service, Some("ClientException"), false),
            (
                AwsErrorKind::AccessDenied,
                Some("AccessDeniedException"),
                false,
            ),
        ];
        for (kind, code, want) in cases {
            assert_eq!(maybe_processed(&err(kind, code)), want, "{kind:?} {code:?}");
        }
    }

    #[test]
    fn retry_pauses_grow() {
        let ms: Vec<u128> = (1..=4).map(|n| throttle_pause(n).as_millis()).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000]);
    }
}
