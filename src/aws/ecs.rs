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
    /// DescribeClusters for one cluster: its `status` (ACTIVE, INACTIVE, ...), or None when
    /// the cluster is unknown (DescribeClusters reports it under `failures`, reason MISSING).
    async fn describe_cluster_status(&self, cluster: &str) -> AwsResult<Option<String>> {
        Err(AwsError {
            kind: super::AwsErrorKind::Service,
            operation: "DescribeClusters",
            target: cluster.to_owned(),
            code: None,
            message: "this ECS client cannot describe clusters".into(),
            request_id: None,
        })
    }
    /// DescribeTaskDefinition (with tags): the `taskDefinition` object with `tags` inside.
    async fn describe_task_definition(&self, task_definition: &str) -> AwsResult<Value>;
    /// ListTaskDefinitions for a family (ACTIVE only), newest first, all pages.
    async fn list_task_definitions(&self, family: &str) -> AwsResult<Vec<String>>;
    /// RegisterTaskDefinition from a register input (`family`, `containerDefinitions`, ...,
    /// optional `tags`); returns the registered task definition object. Sent ONCE (no SDK
    /// retry): the call is not idempotent, and a late answer to a processed request would make
    /// a retry register a second revision; the caller decides (`ops::deploy::register_once`).
    async fn register_task_definition(&self, input: &Value) -> AwsResult<Value>;
    /// DeregisterTaskDefinition.
    async fn deregister_task_definition(&self, task_definition: &str) -> AwsResult<()>;
    /// CreateService from a create input (with `cluster`, `serviceName`, `taskDefinition`);
    /// returns the service object. Sent ONCE (no SDK retry): a retry after a late success
    /// answers "Creation of service was not idempotent"; the caller describes instead.
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
    /// ContinueServiceDeployment: release the PAUSE lifecycle hook `hook_id` of a service
    /// deployment with `action` CONTINUE or ROLLBACK (ecs-platform-and-peers.md §6.4).
    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: &str,
    ) -> AwsResult<()>;
    /// ListTasks (all pages).
    async fn list_tasks(&self, cluster: &str, filter: &TaskFilter) -> AwsResult<Vec<String>>;
    /// DescribeTasks (≤ 100 per call; more are batched).
    async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> AwsResult<Vec<Value>>;
    /// RunTask from a RunTask input (`cluster`, `taskDefinition`, `count`, `overrides`, ...):
    /// `{"tasks": [...], "failures": [{"arn", "reason", "detail"}]}` as ECS answers (a
    /// placement failure is not an API error; the caller decides). Test doubles that never
    /// run tasks inherit a refusal.
    async fn run_task(&self, input: &Value) -> AwsResult<Value> {
        Err(super::AwsError {
            kind: super::AwsErrorKind::Service,
            operation: "RunTask",
            target: str_field(input, "taskDefinition").to_owned(),
            code: None,
            message: "not implemented by this client".into(),
            request_id: None,
        })
    }
    /// DeleteTaskDefinitions (≤ 10 per call; more are batched): `failures[]` as
    /// `(arn, reason)` (ECS deletes only INACTIVE revisions; others fail without an error).
    /// Test doubles that never delete inherit an AccessDenied-like refusal.
    async fn delete_task_definitions(&self, arns: &[String]) -> AwsResult<Vec<(String, String)>> {
        Err(super::AwsError {
            kind: super::AwsErrorKind::Service,
            operation: "DeleteTaskDefinitions",
            target: arns.join(","),
            code: None,
            message: "not implemented by this client".into(),
            request_id: None,
        })
    }
}

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::{
    DeploymentLifecycleHookAction, DesiredStatus, ServiceDeploymentStatus, ServiceField, SortOrder,
    StopServiceDeploymentStopType, Tag, TaskDefinitionField,
};

use super::AwsError;
use super::codec;

/// Per-call override for non-idempotent writes: one attempt, whatever the shared config says.
fn no_retry() -> aws_sdk_ecs::config::Builder {
    aws_sdk_ecs::config::Builder::default().retry_config(aws_config::retry::RetryConfig::disabled())
}

/// [`EcsApi`] over aws-sdk-ecs.
pub struct SdkEcs {
    client: aws_sdk_ecs::Client,
}

impl SdkEcs {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkEcs {
            client: aws_sdk_ecs::Client::new(cfg),
        }
    }
}

fn invalid(operation: &'static str, target: &str, e: codec::CodecError) -> AwsError {
    AwsError {
        kind: super::AwsErrorKind::Service,
        operation,
        target: target.to_owned(),
        code: Some("InvalidInput".into()),
        message: e.to_string(),
        request_id: None,
    }
}

/// Copy every field of a parsed input into the fluent builder (the deprecated
/// `inferenceAccelerators` too: a field the user wrote is passed on, never dropped). The struct is
/// `#[non_exhaustive]`, so the compiler cannot prove this complete: the round-trip tests
/// below fail when an SDK update adds a field this copy misses.
#[allow(deprecated)]
fn register_call(
    client: &aws_sdk_ecs::Client,
    i: RegisterTaskDefinitionInput,
) -> aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder
{
    client
        .register_task_definition()
        .set_family(i.family)
        .set_task_role_arn(i.task_role_arn)
        .set_execution_role_arn(i.execution_role_arn)
        .set_network_mode(i.network_mode)
        .set_container_definitions(i.container_definitions)
        .set_volumes(i.volumes)
        .set_placement_constraints(i.placement_constraints)
        .set_requires_compatibilities(i.requires_compatibilities)
        .set_cpu(i.cpu)
        .set_memory(i.memory)
        .set_tags(i.tags)
        .set_pid_mode(i.pid_mode)
        .set_ipc_mode(i.ipc_mode)
        .set_proxy_configuration(i.proxy_configuration)
        .set_inference_accelerators(i.inference_accelerators)
        .set_ephemeral_storage(i.ephemeral_storage)
        .set_runtime_platform(i.runtime_platform)
        .set_enable_fault_injection(i.enable_fault_injection)
}

fn create_call(
    client: &aws_sdk_ecs::Client,
    i: CreateServiceInput,
) -> aws_sdk_ecs::operation::create_service::builders::CreateServiceFluentBuilder {
    client
        .create_service()
        .set_cluster(i.cluster)
        .set_service_name(i.service_name)
        .set_task_definition(i.task_definition)
        .set_availability_zone_rebalancing(i.availability_zone_rebalancing)
        .set_load_balancers(i.load_balancers)
        .set_service_registries(i.service_registries)
        .set_desired_count(i.desired_count)
        .set_client_token(i.client_token)
        .set_launch_type(i.launch_type)
        .set_capacity_provider_strategy(i.capacity_provider_strategy)
        .set_platform_version(i.platform_version)
        .set_role(i.role)
        .set_deployment_configuration(i.deployment_configuration)
        .set_placement_constraints(i.placement_constraints)
        .set_placement_strategy(i.placement_strategy)
        .set_network_configuration(i.network_configuration)
        .set_health_check_grace_period_seconds(i.health_check_grace_period_seconds)
        .set_scheduling_strategy(i.scheduling_strategy)
        .set_deployment_controller(i.deployment_controller)
        .set_tags(i.tags)
        .set_enable_ecs_managed_tags(i.enable_ecs_managed_tags)
        .set_propagate_tags(i.propagate_tags)
        .set_enable_execute_command(i.enable_execute_command)
        .set_service_connect_configuration(i.service_connect_configuration)
        .set_volume_configurations(i.volume_configurations)
        .set_vpc_lattice_configurations(i.vpc_lattice_configurations)
        .set_gateway_connectors(i.gateway_connectors)
        .set_monitoring(i.monitoring)
}

fn update_call(
    client: &aws_sdk_ecs::Client,
    i: UpdateServiceInput,
) -> aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder {
    client
        .update_service()
        .set_cluster(i.cluster)
        .set_service(i.service)
        .set_desired_count(i.desired_count)
        .set_task_definition(i.task_definition)
        .set_capacity_provider_strategy(i.capacity_provider_strategy)
        .set_deployment_configuration(i.deployment_configuration)
        .set_availability_zone_rebalancing(i.availability_zone_rebalancing)
        .set_network_configuration(i.network_configuration)
        .set_placement_constraints(i.placement_constraints)
        .set_placement_strategy(i.placement_strategy)
        .set_platform_version(i.platform_version)
        .set_force_new_deployment(i.force_new_deployment)
        .set_health_check_grace_period_seconds(i.health_check_grace_period_seconds)
        .set_deployment_controller(i.deployment_controller)
        .set_enable_execute_command(i.enable_execute_command)
        .set_enable_ecs_managed_tags(i.enable_ecs_managed_tags)
        .set_load_balancers(i.load_balancers)
        .set_propagate_tags(i.propagate_tags)
        .set_service_registries(i.service_registries)
        .set_service_connect_configuration(i.service_connect_configuration)
        .set_volume_configurations(i.volume_configurations)
        .set_vpc_lattice_configurations(i.vpc_lattice_configurations)
        .set_gateway_connectors(i.gateway_connectors)
        .set_monitoring(i.monitoring)
}

fn str_field<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

#[async_trait::async_trait]
impl EcsApi for SdkEcs {
    async fn describe_cluster_status(&self, cluster: &str) -> AwsResult<Option<String>> {
        let out = self
            .client
            .describe_clusters()
            .clusters(cluster)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeClusters", cluster, e))?;
        Ok(out
            .clusters()
            .first()
            .map(|c| c.status().unwrap_or_default().to_owned()))
    }

    async fn describe_service(&self, cluster: &str, service: &str) -> AwsResult<Option<Value>> {
        let target = format!("{cluster}/{service}");
        let out = self
            .client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .include(ServiceField::Tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeServices", target.clone(), e))?;
        Ok(out
            .services()
            .iter()
            .find(|s| s.status() != Some("INACTIVE"))
            .map(codec::to_json))
    }

    async fn describe_task_definition(&self, task_definition: &str) -> AwsResult<Value> {
        let out = self
            .client
            .describe_task_definition()
            .task_definition(task_definition)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeTaskDefinition", task_definition, e))?;
        let mut td = out
            .task_definition()
            .map(codec::to_json)
            .unwrap_or(Value::Null);
        if let (Some(m), false) = (td.as_object_mut(), out.tags().is_empty()) {
            m.insert(
                "tags".into(),
                Value::Array(out.tags().iter().map(codec::to_json).collect()),
            );
        }
        Ok(td)
    }

    async fn list_task_definitions(&self, family: &str) -> AwsResult<Vec<String>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_task_definitions()
                .family_prefix(family)
                .sort(SortOrder::Desc)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListTaskDefinitions", family, e))?;
            out.extend(page.task_definition_arns().iter().cloned());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn register_task_definition(&self, input: &Value) -> AwsResult<Value> {
        let family = str_field(input, "family").to_owned();
        let parsed = codec::register_task_definition_input(input)
            .map_err(|e| invalid("RegisterTaskDefinition", &family, e))?;
        let out = register_call(&self.client, parsed)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("RegisterTaskDefinition", family, e))?;
        Ok(out
            .task_definition()
            .map(codec::to_json)
            .unwrap_or(Value::Null))
    }

    async fn delete_task_definitions(&self, arns: &[String]) -> AwsResult<Vec<(String, String)>> {
        let mut failures = Vec::new();
        for chunk in arns.chunks(10) {
            let out = self
                .client
                .delete_task_definitions()
                .set_task_definitions(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DeleteTaskDefinitions", chunk.join(","), e))?;
            failures.extend(out.failures().iter().map(|f| {
                (
                    f.arn().unwrap_or_default().to_owned(),
                    f.reason().unwrap_or_default().to_owned(),
                )
            }));
        }
        Ok(failures)
    }

    async fn deregister_task_definition(&self, task_definition: &str) -> AwsResult<()> {
        self.client
            .deregister_task_definition()
            .task_definition(task_definition)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeregisterTaskDefinition", task_definition, e))?;
        Ok(())
    }

    async fn create_service(&self, input: &Value) -> AwsResult<Value> {
        let target = format!(
            "{}/{}",
            str_field(input, "cluster"),
            str_field(input, "serviceName")
        );
        let parsed =
            codec::create_service_input(input).map_err(|e| invalid("CreateService", &target, e))?;
        let out = create_call(&self.client, parsed)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateService", target, e))?;
        Ok(out.service().map(codec::to_json).unwrap_or(Value::Null))
    }

    async fn update_service(&self, input: &Value) -> AwsResult<Value> {
        let target = format!(
            "{}/{}",
            str_field(input, "cluster"),
            str_field(input, "service")
        );
        let parsed =
            codec::update_service_input(input).map_err(|e| invalid("UpdateService", &target, e))?;
        let out = update_call(&self.client, parsed)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateService", target, e))?;
        Ok(out.service().map(codec::to_json).unwrap_or(Value::Null))
    }

    async fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> AwsResult<()> {
        let tags: Vec<Tag> = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("TagResource", arn, e))?;
        Ok(())
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> AwsResult<()> {
        self.client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UntagResource", arn, e))?;
        Ok(())
    }

    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        created_after: Option<f64>,
        statuses: &[&str],
    ) -> AwsResult<Vec<Value>> {
        let target = format!("{cluster}/{service}");
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let mut req = self
                .client
                .list_service_deployments()
                .cluster(cluster)
                .service(service)
                .set_next_token(token);
            for s in statuses {
                req = req.status(ServiceDeploymentStatus::from(*s));
            }
            if let Some(after) = created_after {
                req = req.created_at(
                    aws_sdk_ecs::types::CreatedAt::builder()
                        .after(aws_smithy_types::DateTime::from_secs_f64(after))
                        .build(),
                );
            }
            let page = req
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListServiceDeployments", target.clone(), e))?;
            out.extend(page.service_deployments().iter().map(codec::to_json));
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn describe_service_deployments(&self, arns: &[String]) -> AwsResult<Vec<Value>> {
        let mut out = Vec::new();
        for chunk in arns.chunks(20) {
            let page = self
                .client
                .describe_service_deployments()
                .set_service_deployment_arns(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    AwsError::from_sdk("DescribeServiceDeployments", chunk.join(","), e)
                })?;
            out.extend(page.service_deployments().iter().map(codec::to_json));
        }
        Ok(out)
    }

    async fn stop_service_deployment(&self, arn: &str, stop_type: &str) -> AwsResult<()> {
        self.client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(StopServiceDeploymentStopType::from(stop_type))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("StopServiceDeployment", arn, e))?;
        Ok(())
    }

    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: &str,
    ) -> AwsResult<()> {
        self.client
            .continue_service_deployment()
            .service_deployment_arn(arn)
            .hook_id(hook_id)
            .action(DeploymentLifecycleHookAction::from(action))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ContinueServiceDeployment", arn, e))?;
        Ok(())
    }

    async fn list_tasks(&self, cluster: &str, filter: &TaskFilter) -> AwsResult<Vec<String>> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_tasks()
                .cluster(cluster)
                .set_service_name(filter.service.clone())
                .set_started_by(filter.started_by.clone())
                .desired_status(if filter.stopped {
                    DesiredStatus::Stopped
                } else {
                    DesiredStatus::Running
                })
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("ListTasks", cluster, e))?;
            out.extend(page.task_arns().iter().cloned());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn run_task(&self, input: &Value) -> AwsResult<Value> {
        let target = str_field(input, "taskDefinition").to_owned();
        let i = codec::run_task_input(input).map_err(|e| invalid("RunTask", &target, e))?;
        let out = self
            .client
            .run_task()
            .set_capacity_provider_strategy(i.capacity_provider_strategy)
            .set_cluster(i.cluster)
            .set_count(i.count)
            .set_enable_ecs_managed_tags(i.enable_ecs_managed_tags)
            .set_enable_execute_command(i.enable_execute_command)
            .set_group(i.group)
            .set_launch_type(i.launch_type)
            .set_network_configuration(i.network_configuration)
            .set_overrides(i.overrides)
            .set_placement_constraints(i.placement_constraints)
            .set_placement_strategy(i.placement_strategy)
            .set_platform_version(i.platform_version)
            .set_propagate_tags(i.propagate_tags)
            .set_reference_id(i.reference_id)
            .set_started_by(i.started_by)
            .set_tags(i.tags)
            .set_task_definition(i.task_definition)
            .set_client_token(i.client_token)
            .set_volume_configurations(i.volume_configurations)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("RunTask", target, e))?;
        let failures: Vec<Value> = out
            .failures()
            .iter()
            .map(|f| {
                serde_json::json!({
                    "arn": f.arn(),
                    "reason": f.reason(),
                    "detail": f.detail(),
                })
            })
            .collect();
        Ok(serde_json::json!({
            "tasks": out.tasks().iter().map(codec::to_json).collect::<Vec<_>>(),
            "failures": failures,
        }))
    }

    async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> AwsResult<Vec<Value>> {
        let mut out = Vec::new();
        for chunk in arns.chunks(100) {
            let page = self
                .client
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeTasks", cluster, e))?;
            out.extend(page.tasks().iter().map(codec::to_json));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client() -> aws_sdk_ecs::Client {
        let conf = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .build();
        aws_sdk_ecs::Client::from_conf(conf)
    }

    /// Every field parsed from JSON reaches the request builder (catches SDK fields the
    /// field-by-field copy misses).
    #[test]
    fn builder_copies_are_complete() {
        let td = json!({"family": "f", "taskRoleArn": "t", "executionRoleArn": "e", "networkMode": "awsvpc",
            "containerDefinitions": [{"name": "a", "image": "i", "cpu": 0}], "volumes": [{"name": "v"}],
            "placementConstraints": [{"type": "memberOf", "expression": "x"}], "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512", "tags": [{"key": "k", "value": "v"}], "pidMode": "task", "ipcMode": "none",
            "proxyConfiguration": {"containerName": "a"}, "inferenceAccelerators": [{"deviceName": "d", "deviceType": "t"}],
            "ephemeralStorage": {"sizeInGiB": 21}, "runtimePlatform": {"cpuArchitecture": "X86_64"}, "enableFaultInjection": true});
        let parsed = codec::register_task_definition_input(&td).unwrap();
        let sent = register_call(&client(), parsed.clone())
            .as_input()
            .clone()
            .build()
            .unwrap();
        assert_eq!(sent, parsed);
        assert_eq!(
            codec::to_json(&sent),
            td,
            "every field of the sample is set"
        );

        let svc = json!({"cluster": "c", "serviceName": "s", "taskDefinition": "f:1", "availabilityZoneRebalancing": "ENABLED",
            "loadBalancers": [{"containerName": "a", "containerPort": 80}], "serviceRegistries": [{"registryArn": "r"}],
            "desiredCount": 1, "clientToken": "t", "launchType": "FARGATE", "platformVersion": "LATEST", "role": "r",
            "deploymentConfiguration": {"maximumPercent": 200}, "placementConstraints": [{"type": "distinctInstance"}],
            "placementStrategy": [{"type": "spread", "field": "x"}], "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
            "healthCheckGracePeriodSeconds": 5, "schedulingStrategy": "REPLICA", "deploymentController": {"type": "ECS"},
            "tags": [{"key": "k", "value": "v"}], "enableECSManagedTags": true, "propagateTags": "SERVICE", "enableExecuteCommand": true,
            "serviceConnectConfiguration": {"enabled": false}, "volumeConfigurations": [{"name": "v"}],
            "vpcLatticeConfigurations": [{"roleArn": "r", "targetGroupArn": "t", "portName": "p"}]});
        let parsed = codec::create_service_input(&svc).unwrap();
        let sent = create_call(&client(), parsed.clone())
            .as_input()
            .clone()
            .build()
            .unwrap();
        assert_eq!(sent, parsed);

        let upd = json!({"cluster": "c", "service": "s", "desiredCount": 2, "taskDefinition": "f:2", "forceNewDeployment": true,
            "deploymentConfiguration": {"minimumHealthyPercent": 50}, "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
            "loadBalancers": [], "healthCheckGracePeriodSeconds": 10, "enableExecuteCommand": false, "propagateTags": "NONE"});
        let parsed = codec::update_service_input(&upd).unwrap();
        let sent = update_call(&client(), parsed.clone())
            .as_input()
            .clone()
            .build()
            .unwrap();
        assert_eq!(sent, parsed);
        assert_eq!(codec::to_json(&sent), upd);
    }

    /// The adapter against the simulator over HTTP: JSON in, JSON out, camelCase both ways.
    #[tokio::test(flavor = "multi_thread")]
    async fn adapter_round_trips_through_the_simulator() {
        use crate::sim::{Clock, Sim, SimOptions, server};
        let sim = Sim::new(SimOptions::default(), Clock::scaled(0.005));
        let (addr, serve) = server::bind(sim, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        tokio::spawn(serve);
        let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(format!("http://{addr}"))
            .region(aws_types::region::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "t", "t", None, None, "t",
            ))
            .load()
            .await;
        let ecs = SdkEcs::new(&cfg);
        aws_sdk_ecs::Client::new(&cfg)
            .create_cluster()
            .cluster_name("c")
            .send()
            .await
            .unwrap();
        let td = ecs
            .register_task_definition(&json!({"family": "web", "networkMode": "awsvpc",
                "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                "containerDefinitions": [{"name": "app", "image": "nginx:1", "portMappings": [{"containerPort": 80}]}],
                "tags": [{"key": "team", "value": "a"}]}))
            .await
            .unwrap();
        let arn = td["taskDefinitionArn"].as_str().unwrap().to_owned();
        assert_eq!(
            td["containerDefinitions"][0]["portMappings"][0]["hostPort"],
            80
        );
        let described = ecs.describe_task_definition("web").await.unwrap();
        assert_eq!(described["taskDefinitionArn"], arn.as_str());
        assert_eq!(described["tags"], json!([{"key": "team", "value": "a"}]));
        assert_eq!(
            ecs.list_task_definitions("web").await.unwrap(),
            std::slice::from_ref(&arn)
        );
        assert!(ecs.describe_service("c", "api").await.unwrap().is_none());
        let svc = ecs
            .create_service(&json!({"cluster": "c", "serviceName": "api", "taskDefinition": arn,
                "desiredCount": 1, "launchType": "FARGATE",
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"], "securityGroups": ["g"]}}}))
            .await
            .unwrap();
        assert_eq!(svc["serviceName"], "api");
        let sd = svc["currentServiceDeployment"].as_str().unwrap().to_owned();
        let listed = ecs
            .list_service_deployments("c", "api", None, &[])
            .await
            .unwrap();
        assert_eq!(listed[0]["serviceDeploymentArn"], sd.as_str());
        let full = ecs
            .describe_service_deployments(std::slice::from_ref(&sd))
            .await
            .unwrap();
        assert_eq!(full[0]["serviceDeploymentArn"], sd.as_str());
        let updated = ecs
            .update_service(&json!({"cluster": "c", "service": "api", "desiredCount": 2}))
            .await
            .unwrap();
        assert_eq!(updated["desiredCount"], 2);
        ecs.tag_resource(
            svc["serviceArn"].as_str().unwrap(),
            &[("k".into(), "v".into())],
        )
        .await
        .unwrap();
        let tasks = ecs
            .list_tasks(
                "c",
                &TaskFilter {
                    service: Some("api".into()),
                    ..TaskFilter::default()
                },
            )
            .await
            .unwrap();
        let described = ecs.describe_tasks("c", &tasks).await.unwrap();
        assert_eq!(described.len(), tasks.len());
        // ContinueServiceDeployment: a BLUE_GREEN service whose first deployment pauses at a
        // PAUSE hook; an unknown hook is refused with AWS's error, the waiting one released.
        let paused = ecs
            .create_service(&json!({"cluster": "c", "serviceName": "bg", "taskDefinition": arn,
                "desiredCount": 1, "launchType": "FARGATE",
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
                "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0,
                    "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]},
                "loadBalancers": [{"targetGroupArn": "arn:tg/blue", "containerName": "app", "containerPort": 80,
                    "advancedConfiguration": {"alternateTargetGroupArn": "arn:tg/green",
                        "productionListenerRule": "arn:rule", "roleArn": "arn:role"}}]}))
            .await
            .unwrap();
        let bg = paused["currentServiceDeployment"]
            .as_str()
            .unwrap()
            .to_owned();
        let err = ecs
            .continue_service_deployment(&bg, "no-such-hook", "CONTINUE")
            .await
            .unwrap_err();
        assert_eq!(err.operation, "ContinueServiceDeployment");
        assert_eq!(
            err.code.as_deref(),
            Some("InvalidParameterException"),
            "{err}"
        );
        let mut polls = 0;
        let hook = loop {
            polls += 1;
            assert!(polls < 1000, "the deployment never paused");
            let sd = ecs
                .describe_service_deployments(std::slice::from_ref(&bg))
                .await
                .unwrap();
            if let Some(h) = sd[0]["lifecycleHookDetails"]
                .as_array()
                .and_then(|hs| hs.iter().find(|h| h["status"] == "AWAITING_ACTION"))
            {
                break h["hookId"].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        ecs.continue_service_deployment(&bg, &hook, "CONTINUE")
            .await
            .unwrap();
        let sd = ecs
            .describe_service_deployments(std::slice::from_ref(&bg))
            .await
            .unwrap();
        assert_eq!(sd[0]["lifecycleHookDetails"][0]["status"], "SUCCEEDED");
        let err = ecs.describe_task_definition("nope:9").await.unwrap_err();
        assert_eq!(err.code.as_deref(), Some("ClientException"));
        assert!(err.request_id.is_some(), "request ids are kept: {err}");
    }
}
