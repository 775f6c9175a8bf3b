//! CodeDeploy blue/green (deployment controller CODE_DEPLOY): deploy, watch, continue,
//! rollback, wait and the AppSpec.
//!
//! Why a path of its own: for such a service ECS refuses task definition, network, load
//! balancer, platform version and capacity provider changes through UpdateService
//! (InvalidParameterException "Unable to update task definition on services with a
//! CODE_DEPLOY deployment controller"); a new revision reaches the service only as a CodeDeploy
//! deployment whose AppSpec names it (ecs-platform-and-peers.md §7, ecspresso.md §1.4
//! `DeployByCodeDeploy`). So deploy is: render, read, choose the task definition exactly as for
//! ECS → UpdateService with the members ECS still accepts (desiredCount,
//! deploymentConfiguration, healthCheckGracePeriodSeconds, ...), skipped when nothing changes →
//! CreateDeployment with the AppSpec ([`crate::model::appspec`]) → watch ([`watch_deployment`]).
//!
//! **Discovery** (ecspresso.md §5.3): `codedeploy.application_name` and
//! `deployment_group_name` from the config are verified with one BatchGetApplications and one
//! BatchGetDeploymentGroups; without them every ECS application's groups are searched for the
//! one whose `ecsServices` names this service. It runs once per command ([`DeploymentGroup`]
//! is resolved once and handed to the watcher: ecspresso searches twice per deploy), and the
//! result is reported with the config lines that skip the search next time.
//!
//! - `discovery`: the application and deployment group;
//! - `deploy`: UpdateService with what ECS accepts, CreateDeployment, the watch;
//! - `watch`: the CodeDeploy watcher ([`watch_deployment`]);
//! - `attach`, `resume`, `rollback`: `wait`, `continue`, `rollback` on CODE_DEPLOY services;
//! - `print_appspec`: `ecspress appspec`.

mod attach;
mod deploy;
mod discovery;
mod print_appspec;
mod resume;
mod rollback;
#[cfg(test)]
mod tests;
mod watch;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

use crate::aws::codedeploy::CodeDeployApi;
use crate::aws::ecs::EcsApi;
use crate::model::appspec;
use crate::model::codedeploy::Goal;
use crate::model::revision::{self, short_name};
use crate::ops::render::Project;
use crate::output::{Event, EventSink};
use crate::settings::WaitUntil;

pub use attach::attach;
pub(crate) use attach::watch_initial_task_set;
pub(crate) use deploy::deploy;
pub use discovery::DeploymentGroup;
pub(crate) use discovery::{resolve_group, search_group};
pub use print_appspec::{AppSpecTaskDefinition, appspec};
pub use resume::continue_deployment;
pub use rollback::rollback;
pub use watch::{CdWatchTarget, watch_deployment};

/// Statuses of a deployment still under way (ListDeployments `includeOnlyStatuses`).
const IN_FLIGHT: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];

/// The watch goal for `--wait-until` on a CODE_DEPLOY service; `stage:` is for ECS-native
/// deployments only (exit 2, before any change).
pub fn check_goal(wait_until: &WaitUntil) -> anyhow::Result<Goal> {
    Ok(match wait_until {
        WaitUntil::Deployed => Goal::Deployed,
        WaitUntil::Stable => Goal::Stable,
        WaitUntil::Paused => Goal::Paused,
        WaitUntil::CodeDeployEvent(e) => Goal::Event(e),
        WaitUntil::Stage(s) => bail!(
            "--wait-until stage:{s} applies to ECS-native blue/green deployments; this service uses the CODE_DEPLOY controller: use codedeploy:<Event> (e.g. codedeploy:AllowTraffic), paused, deployed or stable"
        ),
    })
}

/// The CreateDeployment input.
fn create_deployment_input(
    group: &DeploymentGroup,
    content: &str,
    config_name: Option<&str>,
    rollback_events: Option<&[String]>,
    task_definition: &str,
) -> Value {
    let mut m = Map::new();
    m.insert("applicationName".into(), json!(group.application));
    m.insert("deploymentGroupName".into(), json!(group.name));
    m.insert("revision".into(), appspec::revision(content));
    if let Some(c) = config_name {
        m.insert("deploymentConfigName".into(), json!(c));
    }
    m.insert(
        "description".into(),
        json!(format!(
            "ecspress {}: deploy {}",
            env!("CARGO_PKG_VERSION"),
            short_name(task_definition)
        )),
    );
    if let Some(events) = rollback_events {
        m.insert(
            "autoRollbackConfiguration".into(),
            json!({"enabled": true, "events": events}),
        );
    }
    Value::Object(m)
}

/// The AppSpec for `task_definition` on the service `service` (file, else live), its notes
/// reported as warnings.
fn build_appspec(
    project: &Project,
    task_definition: &str,
    service: &Value,
    sink: &dyn EventSink,
) -> anyhow::Result<appspec::AppSpec> {
    let a = appspec::build(task_definition, service, project.config().appspec.as_ref())
        .with_context(|| {
            format!(
                "cannot build the AppSpec for {}",
                short_name(task_definition)
            )
        })?;
    for n in &a.notes {
        sink.emit(Event::Warning { message: n.clone() });
    }
    Ok(a)
}

/// The ARN the next registered revision of `family` will have (`appspec`, `--dry-run`):
/// the newest ACTIVE revision's number + 1 (a deregistered newer revision still takes a
/// number, so this is a prediction, said so where shown).
async fn next_revision_arn(ecs: &dyn EcsApi, family: &str, like: Option<&str>) -> String {
    let newest = ecs
        .list_task_definitions(family)
        .await
        .ok()
        .and_then(|l| l.into_iter().find(|a| revision::family_of(a) == family));
    let base = newest.as_deref().or(like);
    match base {
        Some(b) => {
            let n = revision::revision_of(b).unwrap_or(0) + 1;
            match b.rsplit_once(":task-definition/") {
                Some((prefix, _)) => format!("{prefix}:task-definition/{family}:{n}"),
                None => format!("{family}:{n}"),
            }
        }
        None => format!("{family}:1"),
    }
}

async fn create(
    api: &dyn CodeDeployApi,
    group: &DeploymentGroup,
    input: &Value,
) -> anyhow::Result<String> {
    api.create_deployment(input).await.with_context(|| {
        format!(
            "cannot create a CodeDeploy deployment in {}/{}",
            group.application, group.name
        )
    })
}

/// The newest deployment of the group still under way, if any.
async fn in_flight(
    api: &dyn CodeDeployApi,
    group: &DeploymentGroup,
) -> anyhow::Result<Option<String>> {
    Ok(api
        .list_deployments(&group.application, &group.name, &IN_FLIGHT)
        .await
        .with_context(|| {
            format!(
                "cannot list the deployments of {}/{}",
                group.application, group.name
            )
        })?
        .into_iter()
        .next())
}
