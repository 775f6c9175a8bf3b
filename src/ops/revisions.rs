//! `ecspress revisions`: the service family's ACTIVE revisions, newest first, with what uses
//! each (the service's `deployments[]`, RUNNING tasks of the cluster: the same check
//! `rollback --deregister-task-definition` makes) and which one the service runs. Read-only.

use anyhow::{Context, anyhow};
use serde_json::Value;

use crate::aws::ecs::EcsApi;
use crate::model::revision::family_of;
use crate::model::revisions::{RevisionRow, rows};
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;
use crate::ops::rollback::usage;

/// The family, the service's current task definition, and the rows (newest first).
#[derive(Debug, Clone)]
pub struct Survey {
    /// The task definition family (of the service's `taskDefinition`).
    pub family: String,
    /// The service's `taskDefinition`.
    pub current: String,
    /// ACTIVE revisions, newest first.
    pub rows: Vec<RevisionRow>,
}

/// Read the service, the cluster's tasks and the family's ACTIVE revisions.
pub(crate) async fn survey(
    ecs: &dyn EcsApi,
    target: &ServiceRef,
    limit: Option<usize>,
) -> anyhow::Result<Survey> {
    let (service, usage) = usage(ecs, target).await?;
    let current = service
        .as_ref()
        .and_then(|s| s.get("taskDefinition"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            anyhow!(
                "service {} not found in cluster {}",
                target.service,
                target.cluster
            )
        })?
        .to_owned();
    let family = family_of(&current).to_owned();
    let arns = ecs
        .list_task_definitions(&family)
        .await
        .with_context(|| format!("cannot list the task definitions of family {family}"))?;
    let rows = rows(&arns, &family, Some(&current), &usage, limit);
    Ok(Survey {
        family,
        current,
        rows,
    })
}

/// `revisions [--limit N]`.
pub async fn revisions(project: &Project, limit: Option<usize>) -> anyhow::Result<Survey> {
    let target = ServiceRef::of(project)?;
    survey(project.clients().ecs.as_ref(), &target, limit).await
}
