//! The CodeDeploy seam: a small trait whose inputs and outputs are JSON in the AWS API
//! camelCase shape (what `aws deploy get-deployment` prints), plus the SDK adapter.
//!
//! Why JSON, as for [`super::ecs::EcsApi`]: the layers above (discovery, the AppSpec, the
//! watcher's pure assessment) read AWS shapes without SDK types, and the simulator's tests
//! show the same shapes. Outputs go through the SDK schema codec ([`super::codec::to_json`]);
//! the one input with structure (CreateDeployment) is built explicitly from the few members
//! ecspress sends, so nothing is guessed.

use aws_sdk_codedeploy::types::{
    AppSpecContent, AutoRollbackConfiguration, AutoRollbackEvent, DeploymentStatus,
    DeploymentWaitType, RevisionLocation, RevisionLocationType,
};
use serde_json::Value;

use super::{AwsError, AwsErrorKind, AwsResult, codec};

/// CodeDeploy calls ecspress makes. Every method is one API call (plus pagination and
/// batching where noted).
#[async_trait::async_trait]
pub trait CodeDeployApi: Send + Sync {
    /// ListApplications, all pages.
    async fn list_applications(&self) -> AwsResult<Vec<String>>;
    /// BatchGetApplications (≤ 100 names per call; more are batched): `applicationsInfo[]`.
    async fn batch_get_applications(&self, names: &[String]) -> AwsResult<Vec<Value>>;
    /// ListDeploymentGroups of an application, all pages.
    async fn list_deployment_groups(&self, application: &str) -> AwsResult<Vec<String>>;
    /// BatchGetDeploymentGroups (≤ 100 per call; more are batched): `deploymentGroupsInfo[]`.
    async fn batch_get_deployment_groups(
        &self,
        application: &str,
        groups: &[String],
    ) -> AwsResult<Vec<Value>>;
    /// CreateDeployment from `{applicationName, deploymentGroupName, revision: {revisionType:
    /// AppSpecContent, appSpecContent: {content, sha256}}, deploymentConfigName?, description?,
    /// autoRollbackConfiguration?}`; returns the deployment id.
    async fn create_deployment(&self, input: &Value) -> AwsResult<String>;
    /// GetDeployment: `deploymentInfo`.
    async fn get_deployment(&self, id: &str) -> AwsResult<Value>;
    /// ListDeployments of a group with these statuses (all when empty), newest first, all pages.
    async fn list_deployments(
        &self,
        application: &str,
        group: &str,
        statuses: &[&str],
    ) -> AwsResult<Vec<String>>;
    /// GetDeploymentTarget (`targetId` = `cluster:service` for ECS): `deploymentTarget`, or
    /// None while the deployment has not started (DeploymentNotStartedException).
    async fn get_deployment_target(&self, id: &str, target_id: &str) -> AwsResult<Option<Value>>;
    /// ContinueDeployment with `deploymentWaitType` READY_WAIT or TERMINATION_WAIT.
    async fn continue_deployment(&self, id: &str, wait_type: &str) -> AwsResult<()>;
    /// StopDeployment; returns the stop `status` (Pending | Succeeded).
    async fn stop_deployment(&self, id: &str, auto_rollback: bool) -> AwsResult<String>;
}

/// [`CodeDeployApi`] over aws-sdk-codedeploy.
pub struct SdkCodeDeploy {
    client: aws_sdk_codedeploy::Client,
}

impl SdkCodeDeploy {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkCodeDeploy {
            client: aws_sdk_codedeploy::Client::new(cfg),
        }
    }
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn invalid(operation: &'static str, target: &str, message: String) -> AwsError {
    AwsError {
        kind: AwsErrorKind::Service,
        operation,
        target: target.to_owned(),
        code: Some("InvalidInput".into()),
        message,
        request_id: None,
    }
}

#[async_trait::async_trait]
impl CodeDeployApi for SdkCodeDeploy {
    async fn list_applications(&self) -> AwsResult<Vec<String>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_applications()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListApplications", "", e))?;
            out.extend(page.applications().iter().cloned());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn batch_get_applications(&self, names: &[String]) -> AwsResult<Vec<Value>> {
        let mut out = Vec::new();
        for chunk in names.chunks(100) {
            let page = self
                .client
                .batch_get_applications()
                .set_application_names(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("BatchGetApplications", chunk.join(","), e))?;
            out.extend(page.applications_info().iter().map(codec::to_json));
        }
        Ok(out)
    }

    async fn list_deployment_groups(&self, application: &str) -> AwsResult<Vec<String>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_deployment_groups()
                .application_name(application)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListDeploymentGroups", application, e))?;
            out.extend(page.deployment_groups().iter().cloned());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn batch_get_deployment_groups(
        &self,
        application: &str,
        groups: &[String],
    ) -> AwsResult<Vec<Value>> {
        let mut out = Vec::new();
        for chunk in groups.chunks(100) {
            let page = self
                .client
                .batch_get_deployment_groups()
                .application_name(application)
                .set_deployment_group_names(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("BatchGetDeploymentGroups", application, e))?;
            out.extend(page.deployment_groups_info().iter().map(codec::to_json));
        }
        Ok(out)
    }

    async fn create_deployment(&self, input: &Value) -> AwsResult<String> {
        let app = s(input, "applicationName").unwrap_or_default();
        let group = s(input, "deploymentGroupName").unwrap_or_default();
        let target = format!("{app}/{group}");
        let content = input.pointer("/revision/appSpecContent").ok_or_else(|| {
            invalid(
                "CreateDeployment",
                &target,
                "no revision.appSpecContent".into(),
            )
        })?;
        let revision = RevisionLocation::builder()
            .revision_type(RevisionLocationType::AppSpecContent)
            .app_spec_content(
                AppSpecContent::builder()
                    .set_content(s(content, "content").map(str::to_owned))
                    .set_sha256(s(content, "sha256").map(str::to_owned))
                    .build(),
            )
            .build();
        let rollback = input.get("autoRollbackConfiguration").map(|r| {
            AutoRollbackConfiguration::builder()
                .set_enabled(r.get("enabled").and_then(Value::as_bool))
                .set_events(r.get("events").and_then(Value::as_array).map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(AutoRollbackEvent::from)
                        .collect()
                }))
                .build()
        });
        let out = self
            .client
            .create_deployment()
            .application_name(app)
            .deployment_group_name(group)
            .revision(revision)
            .set_deployment_config_name(s(input, "deploymentConfigName").map(str::to_owned))
            .set_description(s(input, "description").map(str::to_owned))
            .set_auto_rollback_configuration(rollback)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateDeployment", target, e))?;
        Ok(out.deployment_id().unwrap_or_default().to_owned())
    }

    async fn get_deployment(&self, id: &str) -> AwsResult<Value> {
        let out = self
            .client
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetDeployment", id, e))?;
        Ok(out
            .deployment_info()
            .map(codec::to_json)
            .unwrap_or(Value::Null))
    }

    async fn list_deployments(
        &self,
        application: &str,
        group: &str,
        statuses: &[&str],
    ) -> AwsResult<Vec<String>> {
        let mut out = Vec::new();
        let mut token = None;
        let statuses: Option<Vec<DeploymentStatus>> = (!statuses.is_empty()).then(|| {
            statuses
                .iter()
                .map(|s| DeploymentStatus::from(*s))
                .collect()
        });
        loop {
            let page = self
                .client
                .list_deployments()
                .application_name(application)
                .deployment_group_name(group)
                .set_include_only_statuses(statuses.clone())
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    AwsError::from_sdk("ListDeployments", format!("{application}/{group}"), e)
                })?;
            out.extend(page.deployments().iter().cloned());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn get_deployment_target(&self, id: &str, target_id: &str) -> AwsResult<Option<Value>> {
        match self
            .client
            .get_deployment_target()
            .deployment_id(id)
            .target_id(target_id)
            .send()
            .await
        {
            Ok(out) => Ok(out.deployment_target().map(codec::to_json)),
            Err(e) => {
                let e = AwsError::from_sdk("GetDeploymentTarget", format!("{id} {target_id}"), e);
                if e.code.as_deref() == Some("DeploymentNotStartedException") {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn continue_deployment(&self, id: &str, wait_type: &str) -> AwsResult<()> {
        self.client
            .continue_deployment()
            .deployment_id(id)
            .deployment_wait_type(DeploymentWaitType::from(wait_type))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ContinueDeployment", id, e))?;
        Ok(())
    }

    async fn stop_deployment(&self, id: &str, auto_rollback: bool) -> AwsResult<String> {
        let out = self
            .client
            .stop_deployment()
            .deployment_id(id)
            .auto_rollback_enabled(auto_rollback)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("StopDeployment", id, e))?;
        Ok(out
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default())
    }
}

/// A [`CodeDeployApi`] for tests of code that must not call CodeDeploy: every call panics.
#[cfg(test)]
pub(crate) struct NoCodeDeploy;

#[cfg(test)]
#[async_trait::async_trait]
impl CodeDeployApi for NoCodeDeploy {
    async fn list_applications(&self) -> AwsResult<Vec<String>> {
        panic!("unexpected CodeDeploy call")
    }
    async fn batch_get_applications(&self, _: &[String]) -> AwsResult<Vec<Value>> {
        panic!("unexpected CodeDeploy call")
    }
    async fn list_deployment_groups(&self, _: &str) -> AwsResult<Vec<String>> {
        panic!("unexpected CodeDeploy call")
    }
    async fn batch_get_deployment_groups(&self, _: &str, _: &[String]) -> AwsResult<Vec<Value>> {
        panic!("unexpected CodeDeploy call")
    }
    async fn create_deployment(&self, _: &Value) -> AwsResult<String> {
        panic!("unexpected CodeDeploy call")
    }
    async fn get_deployment(&self, _: &str) -> AwsResult<Value> {
        panic!("unexpected CodeDeploy call")
    }
    async fn list_deployments(&self, _: &str, _: &str, _: &[&str]) -> AwsResult<Vec<String>> {
        panic!("unexpected CodeDeploy call")
    }
    async fn get_deployment_target(&self, _: &str, _: &str) -> AwsResult<Option<Value>> {
        panic!("unexpected CodeDeploy call")
    }
    async fn continue_deployment(&self, _: &str, _: &str) -> AwsResult<()> {
        panic!("unexpected CodeDeploy call")
    }
    async fn stop_deployment(&self, _: &str, _: bool) -> AwsResult<String> {
        panic!("unexpected CodeDeploy call")
    }
}
