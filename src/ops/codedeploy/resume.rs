//! `ecspress continue` for a CODE_DEPLOY service: ContinueDeployment (READY_WAIT, or
//! TERMINATION_WAIT with `--finish`), then the watch.

use anyhow::{Context, bail};

use crate::exit::ExitStatus;
use crate::model::codedeploy::{self as cd};
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;
use crate::ops::watch::WatchOptions;
use crate::output::{Event, EventSink};

use super::{CdWatchTarget, check_goal, in_flight, resolve_group, watch_deployment};

/// `ecspress continue` for a CODE_DEPLOY service: the deployment under way waits in Ready →
/// ContinueDeployment(READY_WAIT) (traffic is rerouted); with `finish`, in its termination
/// wait (traffic on green, blue kept) → ContinueDeployment(TERMINATION_WAIT). Then watch it.
pub async fn continue_deployment(
    project: &Project,
    finish: bool,
    wait: bool,
    watch: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let goal = check_goal(&watch.wait_until)?;
    let target = ServiceRef::of(project)?;
    let group = resolve_group(project, &target, sink).await?;
    let api = project.clients().codedeploy.clone();
    let api = api.as_ref();
    let Some(id) = in_flight(api, &group).await? else {
        bail!(
            "nothing to continue: no CodeDeploy deployment in progress in {}/{}",
            group.application,
            group.name
        );
    };
    let d = cd::DeploymentSnapshot::from_json(
        &api.get_deployment(&id)
            .await
            .with_context(|| format!("cannot read CodeDeploy deployment {id}"))?,
    );
    let wait_type = if finish {
        if !(d.status == "InProgress" && d.termination_wait_started) {
            bail!(
                "nothing to finish: deployment {id} is {} and not in its termination wait (traffic on the replacement task set, the original kept)",
                d.status
            );
        }
        "TERMINATION_WAIT"
    } else {
        if d.status != "Ready" {
            let hint = if d.termination_wait_started {
                "; it is in its termination wait: `ecspress continue --finish` ends that"
            } else {
                ""
            };
            bail!(
                "nothing to continue: deployment {id} is {}, not Ready (waiting for the traffic reroute){hint}",
                d.status
            );
        }
        "READY_WAIT"
    };
    api.continue_deployment(&id, wait_type)
        .await
        .with_context(|| format!("cannot continue CodeDeploy deployment {id} ({wait_type})"))?;
    sink.emit(Event::Info {
        message: format!("continued CodeDeploy deployment {id} (ContinueDeployment {wait_type})"),
    });
    if !wait {
        return Ok(ExitStatus::Success);
    }
    let t = CdWatchTarget::new(&target, &group, Some(id), None);
    watch_deployment(project, &t, watch, goal, false, sink).await
}
