//! `ecspress continue`: release a deployment that waits for a person, then watch it.
//!
//! Why a command: ECS-native BLUE_GREEN/LINEAR/CANARY deployments can stop at a PAUSE
//! lifecycle hook until someone calls `ContinueServiceDeployment` (or the hook times out,
//! by default after 1440 minutes with ROLLBACK; ecs-platform-and-peers.md §6.4). ChatOps
//! buttons and pipelines map to `continue` and `continue --rollback`.
//!
//! ECS controller (ecspresso pre-v3 `continue`, ecspresso.md §1.7):
//! 1. the in-progress service deployment: ListServiceDeployments PENDING/IN_PROGRESS, newest;
//! 2. DescribeServiceDeployments, and its PAUSE hook that is AWAITING_ACTION (none: an error,
//!    exit 2, naming the status, stage and hooks seen — nothing is changed);
//! 3. `ContinueServiceDeployment(action CONTINUE | ROLLBACK, hookId)`;
//! 4. watch that deployment with the usual verdict (`--wait-until deployed` by default; a
//!    LINEAR/CANARY deployment with a pause per traffic step is walked with
//!    `continue --wait-until paused` once per step, each step having its own hookId). After
//!    `--rollback` the deployment ends ROLLBACK_SUCCESSFUL, which the watcher reports as
//!    "rolled back", exit 3: the new revision did not go live.
//!
//! CODE_DEPLOY controller: `continue` ends the Ready wait (traffic reroute) and `--finish`
//! the blue task set's termination wait; that lives with the CodeDeploy operations, reached
//! through `continue_codedeploy`.

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::exit::ExitStatus;
use crate::model::rollout::{self, ServiceDeploymentSnapshot, ServiceSnapshot};
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;
use crate::ops::rollback::newest;
use crate::ops::watch::{self, WatchOptions, WatchTarget};
use crate::output::{Event, EventSink};

/// Resolved `continue` flags.
#[derive(Debug, Clone)]
pub struct ContinueOptions {
    /// `--rollback`: release the hook with ROLLBACK.
    pub rollback: bool,
    /// `--finish` (CodeDeploy only): end the blue task set's termination wait now.
    pub finish: bool,
    /// Not `--no-wait`.
    pub wait: bool,
    /// How to watch afterwards.
    pub watch: WatchOptions,
}

/// Run `continue`.
pub async fn continue_deployment(
    project: &Project,
    opts: &ContinueOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let target = ServiceRef::of(project)?;
    let ecs = project.clients().ecs.clone();
    let ecs = ecs.as_ref();
    let live = target.describe(ecs).await?.ok_or_else(|| {
        anyhow!(
            "service {} not found in cluster {}: nothing to continue",
            target.service,
            target.cluster
        )
    })?;
    let svc = ServiceSnapshot::from_json(&live);
    match svc.controller.as_str() {
        "CODE_DEPLOY" if opts.rollback => bail!(
            "continue --rollback releases a paused ECS lifecycle hook; service {} uses CodeDeploy: run `ecspress rollback` to stop its deployment and roll back",
            target.service
        ),
        "CODE_DEPLOY" => return continue_codedeploy(project, opts, sink).await,
        "ECS" => {}
        other => bail!(
            "service {} uses the {other} deployment controller; `continue` works for ECS (PAUSE lifecycle hooks) and CODE_DEPLOY services",
            target.service
        ),
    }
    if opts.finish {
        bail!(
            "--finish ends the blue task set's termination wait of a CodeDeploy deployment; service {} in cluster {} uses the ECS deployment controller (use `continue` or `continue --rollback` for a paused lifecycle hook)",
            target.service,
            target.cluster
        );
    }
    let listed = ecs
        .list_service_deployments(
            &target.cluster,
            &target.service,
            None,
            &["PENDING", "IN_PROGRESS"],
        )
        .await
        .with_context(|| {
            format!(
                "cannot list the deployments of service {} in cluster {}",
                target.service, target.cluster
            )
        })?;
    let Some(arn) = newest(&listed) else {
        bail!(
            "service {} in cluster {} has no deployment in progress (no PENDING or IN_PROGRESS service deployment); nothing to continue (strategy {})",
            target.service,
            target.cluster,
            svc.strategy
        );
    };
    let sd = ecs
        .describe_service_deployments(std::slice::from_ref(&arn))
        .await
        .with_context(|| format!("cannot describe service deployment {arn}"))?
        .iter()
        .map(ServiceDeploymentSnapshot::from_json)
        .find(|s| s.arn == arn)
        .ok_or_else(|| anyhow!("DescribeServiceDeployments did not return {arn}"))?;
    let hook = rollout::awaiting_pause(&sd)
        .ok_or_else(|| anyhow!("{}: nothing to continue", rollout::nothing_to_continue(&sd)))?
        .clone();
    let action = if opts.rollback {
        "ROLLBACK"
    } else {
        "CONTINUE"
    };
    ecs.continue_service_deployment(&arn, &hook.hook_id, action)
        .await
        .with_context(|| {
            format!(
                "cannot continue service deployment {arn} (hook {}, {action})",
                hook.hook_id
            )
        })?;
    sink.emit(Event::DeploymentContinued {
        service_deployment_arn: arn.clone(),
        hook_id: hook.hook_id.clone(),
        action: action.into(),
        stage: Some(rollout::hook_stage(&sd, &hook)),
    });
    if !opts.wait {
        sink.emit(Event::Info {
            message: "not waiting (--no-wait); `ecspress wait` follows the deployment".into(),
        });
        return Ok(ExitStatus::Success);
    }
    let task_definition = (!opts.rollback)
        .then(|| live.get("taskDefinition").and_then(Value::as_str))
        .flatten()
        .map(str::to_owned);
    let requested = RequestedRollbackSink { inner: sink };
    let sink: &dyn EventSink = if opts.rollback { &requested } else { sink };
    watch::watch_continued(
        ecs,
        &WatchTarget {
            cluster: target.cluster.clone(),
            service: target.service.clone(),
            service_deployment_arn: Some(arn),
            deployment_id: None,
            started_after: None,
            task_definition,
            drain: None,
        },
        &opts.watch,
        sink,
        &hook.hook_id,
    )
    .await
}

/// After `continue --rollback` the rollback was asked for: the verdict keeps its exit status
/// (3, the new revision did not go live) but does not read as an unexplained failure.
struct RequestedRollbackSink<'a> {
    inner: &'a dyn EventSink,
}

impl EventSink for RequestedRollbackSink<'_> {
    fn emit(&self, event: Event) {
        match event {
            Event::Verdict(mut v) if v.status == ExitStatus::RolledBack => {
                v.message = v.message.replacen(
                    " failed and was rolled back",
                    " was rolled back at its paused hook, as requested",
                    1,
                );
                v.hint = None;
                self.inner.emit(Event::Verdict(v));
            }
            other => self.inner.emit(other),
        }
    }

    fn tick(&self) {
        self.inner.tick();
    }
}

/// CODE_DEPLOY services: `continue` ends the Ready wait (ContinueDeployment READY_WAIT) and
/// `continue --finish` the blue task set's termination wait (TERMINATION_WAIT); see
/// [`crate::ops::codedeploy`].
async fn continue_codedeploy(
    project: &Project,
    opts: &ContinueOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    crate::ops::codedeploy::continue_deployment(project, opts.finish, opts.wait, &opts.watch, sink)
        .await
}
