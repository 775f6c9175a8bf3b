//! `ecspress wait` on a CODE_DEPLOY service, and waiting for its task sets to settle.

use crate::exit::ExitStatus;
use crate::model::codedeploy::Goal;
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;
use crate::ops::watch::WatchOptions;
use crate::output::{Event, EventSink};

use super::{CdWatchTarget, check_goal, in_flight, resolve_group, watch_deployment};

/// `ecspress wait` on a CODE_DEPLOY service: follow the newest deployment under way; with none,
/// say so (exit 0), or for `stable` wait for the service's single PRIMARY task set.
pub async fn attach(
    project: &Project,
    opts: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let goal = check_goal(&opts.wait_until)?;
    let target = ServiceRef::of(project)?;
    let group = resolve_group(project, &target, sink).await?;
    let api = project.clients().codedeploy.clone();
    match in_flight(api.as_ref(), &group).await? {
        Some(id) => {
            let t = CdWatchTarget::new(&target, &group, Some(id), None);
            watch_deployment(project, &t, opts, goal, false, sink).await
        }
        None if goal == Goal::Stable => watch_initial_task_set(project, &target, opts, sink).await,
        None => {
            sink.emit(Event::Info {
                message: format!(
                    "no CodeDeploy deployment in progress in {}/{}: nothing to wait for",
                    group.application, group.name
                ),
            });
            Ok(ExitStatus::Success)
        }
    }
}

/// Wait until a CODE_DEPLOY service has one PRIMARY task set in STEADY_STATE (after
/// CreateService, or `wait --wait-until stable` with no deployment under way).
pub(crate) async fn watch_initial_task_set(
    project: &Project,
    target: &ServiceRef,
    opts: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let t = CdWatchTarget {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        deployment_id: None,
        task_definition: None,
        ready_action: None,
        ready_wait_minutes: None,
    };
    watch_deployment(project, &t, opts, Goal::Stable, false, sink).await
}
