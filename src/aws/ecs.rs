//! The ECS seam: a small, domain-shaped trait whose inputs and outputs are JSON in the AWS
//! API/CLI camelCase shape (what `aws ecs describe-services` prints), plus the SDK adapter.
//!
//! Why JSON: definition files, diffs and `render` all use that shape, so the layers above never
//! see SDK types, and what users paste between the AWS CLI and ecspress round-trips. The SDK's
//! own schema codec ([`super::codec`]) converts between JSON and typed SDK values, so no field
//! is hand-mirrored (and a field the compiled SDK does not know is reported, never dropped
//! silently).

use serde_json::Value;

use super::AwsResult;

/// `ListTasks` filters.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only tasks of this service.
    pub service: Option<String>,
    /// Only tasks started by this (deployment id, task set id, ...).
    pub started_by: Option<String>,
    /// RUNNING (default) or STOPPED.
    pub stopped: bool,
}

/// ECS calls ecspress makes. Every method is one API call (plus pagination where noted).
#[async_trait::async_trait]
pub trait EcsApi: Send + Sync {
    /// DescribeServices (with tags): the service object, or None when MISSING or INACTIVE.
    async fn describe_service(&self, cluster: &str, service: &str) -> AwsResult<Option<Value>>;
    /// DescribeTaskDefinition (with tags): the `taskDefinition` object with `tags` inside.
    async fn describe_task_definition(&self, task_definition: &str) -> AwsResult<Value>;
    /// ListTaskDefinitions for a family (ACTIVE only), newest first, all pages.
    async fn list_task_definitions(&self, family: &str) -> AwsResult<Vec<String>>;
    /// RegisterTaskDefinition from a register input (`family`, `containerDefinitions`, ...,
    /// optional `tags`); returns the registered task definition object.
    async fn register_task_definition(&self, input: &Value) -> AwsResult<Value>;
    /// DeregisterTaskDefinition.
    async fn deregister_task_definition(&self, task_definition: &str) -> AwsResult<()>;
    /// CreateService from a create input (with `cluster`, `serviceName`, `taskDefinition`);
    /// returns the service object.
    async fn create_service(&self, input: &Value) -> AwsResult<Value>;
    /// UpdateService from an update input (with `cluster`, `service`); returns the service.
    async fn update_service(&self, input: &Value) -> AwsResult<Value>;
    /// TagResource.
    async fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> AwsResult<()>;
    /// UntagResource.
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> AwsResult<()>;
    /// ListServiceDeployments (newest first, all pages), optionally created after a time
    /// (epoch seconds) and filtered by status.
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        created_after: Option<f64>,
        statuses: &[&str],
    ) -> AwsResult<Vec<Value>>;
    /// DescribeServiceDeployments (≤ 20 ARNs per call; more are batched).
    async fn describe_service_deployments(&self, arns: &[String]) -> AwsResult<Vec<Value>>;
    /// StopServiceDeployment with `stopType` ROLLBACK or ABORT.
    async fn stop_service_deployment(&self, arn: &str, stop_type: &str) -> AwsResult<()>;
    /// ListTasks (all pages).
    async fn list_tasks(&self, cluster: &str, filter: &TaskFilter) -> AwsResult<Vec<String>>;
    /// DescribeTasks (≤ 100 per call; more are batched).
    async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> AwsResult<Vec<Value>>;
}
