//! `ecspress verify`: check that what the rendered definitions refer to exists, before a
//! deploy finds out the slow way (a task stuck in PROVISIONING, a CannotPullContainerError,
//! a ResourceInitializationError for a secret). Mirrors ecspresso §1.17.
//!
//! Images go further than ecspresso's: ECR references are looked up with DescribeImages in
//! the image's own region and account (no docker login, digests and dual-stack hosts
//! included, the gaps listed in ecspresso.md §1.17), other registries with an anonymous
//! manifest HEAD. Only evidence of absence is NG: an unreachable or private registry is SKIP.
//!
//! Every check is independent: an AWS error on one check makes that check NG (with the AWS
//! error text) and verification goes on, so one run reports every problem. Only rendering
//! failures stop verification (exit 2).

use serde_json::Value;

use crate::aws::ecr::{EcrApi, EcrImage, ImageLookup, SdkEcr};
use crate::aws::elbv2::{SdkTargetGroups, TargetGroupApi};
use crate::aws::registry::{HttpRegistry, ManifestLookup, RegistryApi};
use crate::aws::verify::{LogGroupApi, RoleApi, SdkLogGroups, SdkRoles};
use crate::aws::{AwsErrorKind, Clients, load_sdk_config};
use crate::model::verify::{
    CheckNode, ImageRef, SecretRef, TargetGroupRole, awslogs_group, check_lb_container,
    check_target_group, classify_secret, container_definitions, ecr_image_id,
    missing_service_connect_ports, parse_image, role_name, target_group_arns, trusts_ecs_tasks,
};
use crate::ops::render::Project;

/// Render both definitions and run every check; the returned top-level nodes form the tree.
pub async fn verify_project(project: &Project) -> anyhow::Result<Vec<CheckNode>> {
    let task_definition = project.render_task_definition().await?;
    let service = if project.config().service_definition.is_some() {
        Some(project.render_service_definition().await?)
    } else {
        None
    };
    let clients = project.clients();
    let sdk = load_sdk_config(project.aws_options()).await;
    let extra = Extra {
        roles: &SdkRoles::new(&sdk),
        logs: &SdkLogGroups::new(&sdk),
        ecr: &SdkEcr::new(&sdk),
        registry: &HttpRegistry::new(),
        target_groups: &SdkTargetGroups::new(&sdk),
    };
    let mut checks = vec![check_cluster(clients, &project.config().cluster).await];
    checks.push(check_task_definition(clients, &extra, &task_definition).await);
    if let Some(service) = &service {
        checks.push(check_service(&extra, service, &task_definition).await);
    }
    Ok(checks)
}

/// DescribeClusters: the cluster must exist and be ACTIVE.
async fn check_cluster(clients: &Clients, cluster: &str) -> CheckNode {
    let name = format!("Cluster {cluster}");
    match clients.ecs.describe_cluster_status(cluster).await {
        Ok(Some(status)) if status == "ACTIVE" => CheckNode::ok(name),
        Ok(Some(status)) => CheckNode::ng(name, format!("cluster status is {status}")),
        Ok(None) => CheckNode::ng(name, "cluster not found"),
        Err(e) => CheckNode::ng(name, e.to_string()),
    }
}

/// The lookups only `verify` uses.
struct Extra<'a> {
    roles: &'a dyn RoleApi,
    logs: &'a dyn LogGroupApi,
    ecr: &'a dyn EcrApi,
    registry: &'a dyn RegistryApi,
    target_groups: &'a dyn TargetGroupApi,
}

async fn check_task_definition(clients: &Clients, extra: &Extra<'_>, td: &Value) -> CheckNode {
    let family = td
        .get("family")
        .and_then(Value::as_str)
        .unwrap_or("(no family)");
    let mut children = Vec::new();
    for (field, label) in [
        ("executionRoleArn", "ExecutionRole"),
        ("taskRoleArn", "TaskRole"),
    ] {
        if let Some(arn) = td.get(field).and_then(Value::as_str) {
            children.push(check_role(extra.roles, &format!("{label} {arn}"), arn).await);
        }
    }
    for container in container_definitions(td) {
        children.push(check_container(clients, extra, &container).await);
    }
    CheckNode::group(format!("TaskDefinition {family}"), children)
}

/// GetRole: the role exists and its trust policy lets `ecs-tasks.amazonaws.com` assume it
/// (otherwise tasks fail with "ECS was unable to assume the role").
async fn check_role(roles: &dyn RoleApi, label: &str, arn: &str) -> CheckNode {
    match roles.assume_role_policy(role_name(arn)).await {
        Ok(None) => CheckNode::ng(label, "role not found"),
        Ok(Some(doc)) => match trusts_ecs_tasks(&doc) {
            Ok(true) => CheckNode::ok(label),
            Ok(false) => {
                CheckNode::ng(label, "trust policy does not allow ecs-tasks.amazonaws.com")
            }
            Err(reason) => CheckNode::ng(label, reason),
        },
        Err(e) => CheckNode::ng(label, e.to_string()),
    }
}

async fn check_container(clients: &Clients, extra: &Extra<'_>, container: &Value) -> CheckNode {
    let name = container
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)");
    let mut children = Vec::new();
    if let Some(image) = container.get("image").and_then(Value::as_str) {
        children.push(check_image(extra, image).await);
    }
    let secrets = container
        .get("secrets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for secret in secrets {
        if let Some(value_from) = secret.get("valueFrom").and_then(Value::as_str) {
            children.push(check_secret(clients, value_from).await);
        }
    }
    // Private registry credentials: always a Secrets Manager secret (ARN, or name in the
    // task's region), read by the agent with the execution role before the pull.
    if let Some(credentials) = container
        .pointer("/repositoryCredentials/credentialsParameter")
        .and_then(Value::as_str)
    {
        let label = format!("RepositoryCredentials {credentials}");
        children.push(secret_node(
            label,
            clients.secrets.secret_arn(credentials).await.map(|_| ()),
        ));
    }
    if let Some((group, create)) = awslogs_group(container) {
        let label = format!("LogGroup {group}");
        // awslogs-create-group: "true" makes the agent CreateLogGroup at task start.
        children.push(if create {
            CheckNode::ok(label)
        } else {
            match extra.logs.log_group_exists(&group).await {
                Ok(true) => CheckNode::ok(label),
                Ok(false) => CheckNode::ng(
                    label,
                    "log group not found (and awslogs-create-group is not \"true\")",
                ),
                Err(e) => CheckNode::ng(label, e.to_string()),
            }
        });
    }
    CheckNode::group(format!("Container {name}"), children)
}

/// SSM GetParameter (name or ARN) or Secrets Manager DescribeSecret (ARN without the
/// JSON-key suffix ECS accepts in `valueFrom`).
async fn check_secret(clients: &Clients, value_from: &str) -> CheckNode {
    let label = format!("Secret {value_from}");
    let result = match classify_secret(value_from) {
        SecretRef::Ssm(name) => clients.ssm.get_parameter(&name).await.map(|_| ()),
        SecretRef::SecretsManager(arn) => clients.secrets.secret_arn(&arn).await.map(|_| ()),
    };
    secret_node(label, result)
}

fn secret_node(label: String, result: crate::aws::AwsResult<()>) -> CheckNode {
    match result {
        Ok(()) => CheckNode::ok(label),
        Err(e) if e.kind == AwsErrorKind::NotFound => CheckNode::ng(label, "not found"),
        Err(e) => CheckNode::ng(label, e.to_string()),
    }
}

/// ECR DescribeImages for ECR references (in the image's own region and account), an
/// anonymous manifest HEAD for every other registry. Only evidence that the image is
/// missing is NG: an unreachable registry or one that wants credentials is SKIP.
async fn check_image(extra: &Extra<'_>, image: &str) -> CheckNode {
    let label = format!("Image {image}");
    match parse_image(image) {
        Err(reason) => CheckNode::ng(label, reason),
        Ok(ImageRef::Ecr {
            account,
            region,
            repository,
            tag,
            digest,
        }) => {
            let (tag, digest, what) = ecr_image_id(tag.as_deref(), digest.as_deref());
            let lookup = extra
                .ecr
                .describe_image(EcrImage {
                    region: &region,
                    registry_id: &account,
                    repository: &repository,
                    tag: tag.as_deref(),
                    digest: digest.as_deref(),
                })
                .await;
            match lookup {
                Ok(ImageLookup::Found) => CheckNode::ok(label),
                Ok(ImageLookup::ImageNotFound) => CheckNode::ng(
                    label,
                    format!("{what} not found in ECR repository {repository} ({region})"),
                ),
                Ok(ImageLookup::RepositoryNotFound) => CheckNode::ng(
                    label,
                    format!("ECR repository {repository} not found in {account} ({region})"),
                ),
                Err(e) => CheckNode::ng(label, e.to_string()),
            }
        }
        Ok(ImageRef::Registry {
            host,
            repository,
            reference,
        }) => match extra
            .registry
            .manifest(&host, &repository, &reference)
            .await
        {
            ManifestLookup::Found => CheckNode::ok(label),
            ManifestLookup::NotFound => CheckNode::ng(
                label,
                format!("manifest {reference} not found in {host}/{repository}"),
            ),
            ManifestLookup::NeedsCredentials => {
                CheckNode::skip(label, format!("registry {host} needs credentials"))
            }
            ManifestLookup::Unreachable(why) => {
                CheckNode::skip(label, format!("registry {host} unreachable: {why}"))
            }
            ManifestLookup::Inconclusive(why) => {
                CheckNode::skip(label, format!("registry {host}: {why}"))
            }
        },
    }
}

/// DescribeTargetGroups: the group exists and its target type fits the network mode.
async fn check_target_groups(
    groups: &dyn TargetGroupApi,
    service: &Value,
    td: &Value,
) -> Vec<CheckNode> {
    let network_mode = td.get("networkMode").and_then(Value::as_str);
    let mut out = Vec::new();
    for (role, arn) in target_group_arns(service) {
        let label = format!("{} {arn}", role.label());
        out.push(match groups.describe_target_group(&arn).await {
            Ok(None) => CheckNode::ng(label, "target group not found"),
            Ok(Some(group)) => {
                match check_target_group(&group, network_mode, role == TargetGroupRole::Primary) {
                    Ok(()) => CheckNode::ok(label),
                    Err(reason) => CheckNode::ng(label, reason),
                }
            }
            Err(e) => CheckNode::ng(label, e.to_string()),
        });
    }
    out
}

/// Load balancer container/port and target groups, and Service Connect port names, against
/// the task definition.
async fn check_service(extra: &Extra<'_>, service: &Value, td: &Value) -> CheckNode {
    let mut children = Vec::new();
    let lbs = service
        .get("loadBalancers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for lb in lbs {
        let (Some(container), Some(port)) = (
            lb.get("containerName").and_then(Value::as_str),
            lb.get("containerPort").and_then(Value::as_i64),
        ) else {
            continue;
        };
        let label = format!("LoadBalancer {container}:{port}");
        children.push(match check_lb_container(td, container, port) {
            Ok(()) => CheckNode::ok(label),
            Err(reason) => CheckNode::ng(label, reason),
        });
    }
    children.extend(check_target_groups(extra.target_groups, service, td).await);
    if service.get("serviceConnectConfiguration").is_some() {
        let missing = missing_service_connect_ports(service, td);
        children.push(if missing.is_empty() {
            CheckNode::ok("ServiceConnect")
        } else {
            CheckNode::ng(
                "ServiceConnect",
                format!(
                    "portName not in the task definition's portMappings: {}",
                    missing.join(", ")
                ),
            )
        });
    }
    CheckNode::group("Service", children)
}
