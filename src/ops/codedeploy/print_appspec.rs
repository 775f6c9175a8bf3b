//! `ecspress appspec`: the AppSpec deploy would send.

use anyhow::{Context, anyhow};

use crate::exit::ExitStatus;
use crate::model::revision::{self, short_name};
use crate::ops::deploy::{
    self as ecs_deploy, DeployOptions, ServiceRef, TaskDefinitionChoice, string_field,
};
use crate::ops::render::Project;
use crate::ops::watch::WatchOptions;
use crate::output::{Event, EventSink};
use crate::settings::WaitUntil;

use super::{build_appspec, next_revision_arn};

/// `--task-definition` of `ecspress appspec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSpecTaskDefinition {
    /// What deploy would use (default).
    Deploy,
    /// The revision the service runs.
    Current,
    /// The newest ACTIVE revision of the family.
    Latest,
    /// An ARN or `family:N`.
    Named(String),
}

/// `ecspress appspec`: the AppSpec deploy would send, as an [`Event::AppSpec`].
pub async fn appspec(
    project: &Project,
    which: &AppSpecTaskDefinition,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let target = ServiceRef::of(project)?;
    let ecs = project.clients().ecs.clone();
    let ecs = ecs.as_ref();
    let service_file = ecs_deploy::render_service(project, false, sink).await?;
    let live = target.describe(ecs).await?;
    let running = live
        .as_ref()
        .and_then(|l| string_field(l, "taskDefinition"));
    let family_of_file = || async {
        let input = ecs_deploy::render_task(project, false, sink).await?;
        Ok::<_, anyhow::Error>(input["family"].as_str().unwrap_or_default().to_owned())
    };
    let td = match which {
        AppSpecTaskDefinition::Named(n) => {
            let td = ecs
                .describe_task_definition(n)
                .await
                .with_context(|| format!("cannot describe task definition {n}"))?;
            string_field(&td, "taskDefinitionArn").unwrap_or_else(|| n.clone())
        }
        AppSpecTaskDefinition::Current => running.clone().ok_or_else(|| {
            anyhow!(
                "service {} in cluster {} does not exist: no current task definition",
                target.service,
                target.cluster
            )
        })?,
        AppSpecTaskDefinition::Latest => {
            let family = match &running {
                Some(r) => revision::family_of(r).to_owned(),
                None => family_of_file().await?,
            };
            ecs.list_task_definitions(&family)
                .await
                .with_context(|| format!("cannot list the task definitions of family {family}"))?
                .into_iter()
                .find(|a| revision::family_of(a) == family)
                .ok_or_else(|| anyhow!("family {family} has no ACTIVE task definition revision"))?
        }
        AppSpecTaskDefinition::Deploy => {
            let opts = DeployOptions {
                dry_run: true,
                tasks: None,
                skip_task_definition: false,
                revision: None,
                latest_task_definition: false,
                force_new_deployment: false,
                update_service: true,
                wait: false,
                strict: false,
                watch: WatchOptions {
                    timeout: std::time::Duration::ZERO,
                    poll_interval: std::time::Duration::from_secs(1),
                    max_poll_interval: None,
                    wait_until: WaitUntil::Deployed,
                },
                codedeploy_config: None,
                rollback_events: None,
                auto_scaling: Default::default(),
            };
            match ecs_deploy::choose_task_definition(project, ecs, live.as_ref(), None, &opts, sink)
                .await?
            {
                TaskDefinitionChoice::Existing { arn, .. } => arn,
                TaskDefinitionChoice::Register { input } => {
                    let family = input["family"].as_str().unwrap_or_default().to_owned();
                    let next = next_revision_arn(ecs, &family, running.as_deref()).await;
                    sink.emit(Event::Warning {
                        message: format!(
                            "the task definition file differs from every registered revision: deploy would register a new one; shown as {} (the next revision number, known for sure only after registering)",
                            short_name(&next)
                        ),
                    });
                    next
                }
            }
        }
    };
    let service = service_file
        .as_ref()
        .or(live.as_ref())
        .ok_or_else(|| {
            anyhow!(
                "service {} does not exist and the config has no service_definition: nothing to build the AppSpec from",
                target.service
            )
        })?;
    let spec = build_appspec(project, &td, service, sink)?;
    sink.emit(Event::AppSpec {
        task_definition: td,
        appspec: spec.value,
    });
    Ok(ExitStatus::Success)
}
