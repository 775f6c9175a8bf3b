//! Which CodeDeploy application and deployment group deploy the service: pinned in the config
//! (verified), or searched once per run (see the parent module docs).

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::aws::codedeploy::CodeDeployApi;
use crate::model::codedeploy::{self as cd};
use crate::ops::deploy::{ServiceRef, string_field};
use crate::ops::render::Project;
use crate::output::{Event, EventSink};

/// The application and deployment group that deploy a service.
#[derive(Debug, Clone)]
pub struct DeploymentGroup {
    /// Application name.
    pub application: String,
    /// Group name.
    pub name: String,
    /// `deploymentGroupInfo`.
    pub info: Value,
}

impl DeploymentGroup {
    /// `deploymentReadyOption.waitTimeInMinutes`.
    pub(super) fn ready_wait_minutes(&self) -> Option<i64> {
        self.info
            .pointer("/blueGreenDeploymentConfiguration/deploymentReadyOption/waitTimeInMinutes")
            .and_then(Value::as_i64)
    }

    /// The group's own `deploymentConfigName` (used when CreateDeployment names none).
    pub(super) fn default_config(&self) -> Option<String> {
        string_field(&self.info, "deploymentConfigName")
    }

    /// The group's `deploymentReadyOption.actionOnTimeout` when it waits for a manual reroute.
    pub(super) fn ready_action(&self) -> Option<String> {
        self.info
            .pointer("/blueGreenDeploymentConfiguration/deploymentReadyOption/actionOnTimeout")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// Find (or verify) the deployment group of `cluster`/`service`; see the module docs.
pub(crate) async fn resolve_group(
    project: &Project,
    target: &ServiceRef,
    sink: &dyn EventSink,
) -> anyhow::Result<DeploymentGroup> {
    let api = project.clients().codedeploy.clone();
    let api = api.as_ref();
    let pinned = project.config().codedeploy.as_ref().and_then(|c| {
        Some((
            c.application_name.clone()?,
            c.deployment_group_name.clone()?,
        ))
    });
    if let Some((app, group)) = pinned {
        let apps = api
            .batch_get_applications(std::slice::from_ref(&app))
            .await
            .with_context(|| format!("cannot read CodeDeploy application {app}"))?;
        let platform = apps
            .first()
            .and_then(|a| a.get("computePlatform"))
            .and_then(Value::as_str);
        if platform != Some("ECS") {
            bail!(
                "codedeploy.application_name {app}: not an ECS CodeDeploy application (computePlatform {})",
                platform.unwrap_or("unknown")
            );
        }
        let info = api
            .batch_get_deployment_groups(&app, std::slice::from_ref(&group))
            .await
            .with_context(|| format!("cannot read CodeDeploy deployment group {app}/{group}"))?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("CodeDeploy deployment group {app}/{group} not found"))?;
        if !cd::group_deploys(&info, &target.cluster, &target.service) {
            bail!(
                "CodeDeploy deployment group {app}/{group} does not deploy service {} in cluster {} (its ecsServices: {})",
                target.service,
                target.cluster,
                info.get("ecsServices").cloned().unwrap_or(Value::Null)
            );
        }
        sink.emit(Event::CodeDeployGroup {
            application: app.clone(),
            deployment_group: group.clone(),
            discovered: false,
        });
        return Ok(DeploymentGroup {
            application: app,
            name: group,
            info,
        });
    }
    // Only the application pinned: search its groups only.
    let pinned_app = project
        .config()
        .codedeploy
        .as_ref()
        .and_then(|c| c.application_name.clone());
    let (application, info) =
        search_group(api, pinned_app, &target.cluster, &target.service).await?;
    let name = string_field(&info, "deploymentGroupName").unwrap_or_default();
    sink.emit(Event::CodeDeployGroup {
        application: application.clone(),
        deployment_group: name.clone(),
        discovered: true,
    });
    sink.emit(Event::Info {
        message: format!(
            "pin it in the config to skip this search: `codedeploy: {{application_name: {application}, deployment_group_name: {name}}}`"
        ),
    });
    Ok(DeploymentGroup {
        application,
        name,
        info,
    })
}

/// Search the ECS CodeDeploy applications (only `application` when given) for the one
/// deployment group whose `ecsServices` names `cluster`/`service`: ListApplications,
/// BatchGetApplications, then ListDeploymentGroups + BatchGetDeploymentGroups per application.
/// Returns the application name and the group's `deploymentGroupInfo`.
pub(crate) async fn search_group(
    api: &dyn CodeDeployApi,
    application: Option<String>,
    cluster: &str,
    service: &str,
) -> anyhow::Result<(String, Value)> {
    let names = match application {
        Some(app) => vec![app],
        None => api
            .list_applications()
            .await
            .context("cannot list CodeDeploy applications")?,
    };
    let apps: Vec<String> = api
        .batch_get_applications(&names)
        .await
        .context("cannot read CodeDeploy applications")?
        .into_iter()
        .filter(|a| a.get("computePlatform").and_then(Value::as_str) == Some("ECS"))
        .filter_map(|a| string_field(&a, "applicationName"))
        .collect();
    let mut groups = Vec::new();
    for app in &apps {
        let names = api
            .list_deployment_groups(app)
            .await
            .with_context(|| format!("cannot list the deployment groups of {app}"))?;
        if names.is_empty() {
            continue;
        }
        for g in api
            .batch_get_deployment_groups(app, &names)
            .await
            .with_context(|| format!("cannot read the deployment groups of {app}"))?
        {
            groups.push((app.clone(), g));
        }
    }
    Ok(cd::pick_group(&groups, cluster, service, apps.len())?)
}
