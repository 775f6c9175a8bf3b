//! Input shapes of the ECS operations the simulator serves, and their type checking.
//!
//! Why: a simulator that silently stores whatever it is sent hides typos (`desiredcount`,
//! `containerDefinition`) that real AWS would refuse, and moto's "store it verbatim" behaviour
//! is exactly what made it useless as a rehearsal target (moto.md §2.1). So every request is
//! checked against the member names and JSON types of the AWS model (botocore
//! `service-2.json` / the Smithy model the Rust SDK is generated from) before any handler
//! reads it:
//!
//! - a member of the wrong JSON type answers `SerializationException` (HTTP 400) with the
//!   wording AWS's JSON front end uses (`STRING_VALUE can not be converted to an Integer`,
//!   `Start of structure or map found where not expected.`);
//! - an unknown member, at the top level or inside a modelled structure (container
//!   definitions, port mappings, deployment configuration, ...), answers
//!   `SerializationException` naming the member. AWS's own clients refuse unknown members
//!   client-side (`Unknown parameter in input`); the simulator refuses them server-side so a
//!   hand-written JSON body fails the same way. Deeply nested free-form structures
//!   (`linuxParameters`, `serviceConnectConfiguration`, ...) are [`Shape::Any`]: type-checked
//!   as "anything" and echoed back;
//! - `null` counts as absent, as it does for AWS's deserialisers.

use serde_json::Value;

use crate::sim::error::ApiError;

/// A JSON shape of the AWS model.
#[derive(Debug)]
pub(crate) enum Shape {
    /// `String` (and enums, ARNs, ...).
    Str,
    /// `Integer` / `BoxedInteger` / `Long`.
    Int,
    /// `Boolean` / `BoxedBoolean`.
    Bool,
    /// `Double` / `Float`.
    Num,
    /// Not modelled further: any JSON value.
    Any,
    /// A list of the inner shape.
    List(&'static Shape),
    /// A map with string keys and values of the inner shape.
    Map(&'static Shape),
    /// A structure: its model name and members.
    Struct(&'static str, &'static [(&'static str, Shape)]),
    /// Another (named, shared) shape.
    Ref(&'static Shape),
}

use Shape::{Any, Bool, Int, List, Map, Num, Ref, Str, Struct};

fn serialization(message: impl Into<String>) -> ApiError {
    ApiError::client("SerializationException", message)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "STRING_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::Bool(true) => "VALUE_TRUE",
        Value::Bool(false) => "VALUE_FALSE",
        Value::Array(_) | Value::Object(_) | Value::Null => "VALUE",
    }
}

fn mismatch(v: &Value, target: &str) -> ApiError {
    match v {
        Value::Object(_) => serialization("Start of structure or map found where not expected."),
        Value::Array(_) => serialization("Start of list found where not expected."),
        _ => serialization(format!("{} can not be converted to {target}", kind_of(v))),
    }
}

/// Check `value` against `shape`; `path` names the member for messages.
pub(crate) fn check(shape: &Shape, value: &Value, path: &str) -> Result<(), ApiError> {
    if value.is_null() {
        return Ok(());
    }
    match shape {
        Any => Ok(()),
        Ref(inner) => check(inner, value, path),
        Str => match value {
            Value::String(_) => Ok(()),
            v => Err(mismatch(v, "a String")),
        },
        Int => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => Ok(()),
            v => Err(mismatch(v, "an Integer")),
        },
        Bool => match value {
            Value::Bool(_) => Ok(()),
            v => Err(mismatch(v, "a Boolean")),
        },
        Num => match value {
            Value::Number(_) => Ok(()),
            v => Err(mismatch(v, "a Double")),
        },
        List(inner) => match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| check(inner, item, &format!("{path}[{i}]"))),
            Value::Object(_) => Err(serialization(
                "Start of structure or map found where not expected.",
            )),
            v => Err(serialization(format!(
                "Unexpected {} at {path}: expected a list",
                kind_of(v)
            ))),
        },
        Map(inner) => match value {
            Value::Object(m) => m
                .iter()
                .try_for_each(|(k, item)| check(inner, item, &format!("{path}.{k}"))),
            Value::Array(_) => Err(serialization("Start of list found where not expected.")),
            v => Err(serialization(format!(
                "Unexpected {} at {path}: expected a map",
                kind_of(v)
            ))),
        },
        Struct(name, members) => match value {
            Value::Object(m) => {
                for (k, item) in m {
                    let Some((_, member)) = members.iter().find(|(n, _)| n == k) else {
                        return Err(serialization(format!(
                            "Unrecognized field \"{k}\" in {name}{}: it is not a member of this structure",
                            if path.is_empty() {
                                String::new()
                            } else {
                                format!(" (at {path})")
                            }
                        )));
                    };
                    let sub = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    check(member, item, &sub)?;
                }
                Ok(())
            }
            Value::Array(_) => Err(serialization("Start of list found where not expected.")),
            v => Err(serialization(format!(
                "Unexpected {} at {}: expected a structure",
                kind_of(v),
                if path.is_empty() { name } else { path }
            ))),
        },
    }
}

/// The input shape of an ECS operation handled by `ecs::api` (None = not one of them).
pub(crate) fn input_shape(op: &str) -> Option<&'static Shape> {
    Some(match op {
        "CreateCluster" => &CREATE_CLUSTER,
        "DescribeClusters" => &DESCRIBE_CLUSTERS,
        "DeleteCluster" => &DELETE_CLUSTER,
        "ListClusters" => &LIST_CLUSTERS,
        "RegisterTaskDefinition" => &REGISTER_TASK_DEFINITION,
        "DescribeTaskDefinition" => &DESCRIBE_TASK_DEFINITION,
        "ListTaskDefinitions" => &LIST_TASK_DEFINITIONS,
        "ListTaskDefinitionFamilies" => &LIST_TASK_DEFINITION_FAMILIES,
        "DeregisterTaskDefinition" => &DEREGISTER_TASK_DEFINITION,
        "DeleteTaskDefinitions" => &DELETE_TASK_DEFINITIONS,
        "CreateService" => &CREATE_SERVICE,
        "UpdateService" => &UPDATE_SERVICE,
        "DeleteService" => &DELETE_SERVICE,
        "DescribeServices" => &DESCRIBE_SERVICES,
        "ListServices" => &LIST_SERVICES,
        "ListTasks" => &LIST_TASKS,
        "DescribeTasks" => &DESCRIBE_TASKS,
        "RunTask" => &RUN_TASK,
        "StopTask" => &STOP_TASK,
        "TagResource" => &TAG_RESOURCE,
        "UntagResource" => &UNTAG_RESOURCE,
        "ListTagsForResource" => &LIST_TAGS_FOR_RESOURCE,
        "DescribeTaskSets" => &DESCRIBE_TASK_SETS,
        _ => return None,
    })
}

// ---- shared structures ----------------------------------------------------------------

static STRINGS: Shape = List(&Str);
static STRING_MAP: Shape = Map(&Str);
static TAG: Shape = Struct("Tag", &[("key", Str), ("value", Str)]);
static TAGS: Shape = List(&TAG);
static KEY_VALUE: Shape = Struct("KeyValuePair", &[("name", Str), ("value", Str)]);
static KEY_VALUES: Shape = List(&KEY_VALUE);
static ANYS: Shape = List(&Any);

static AWSVPC_CONFIGURATION: Shape = Struct(
    "AwsVpcConfiguration",
    &[
        ("subnets", List(&Str)),
        ("securityGroups", List(&Str)),
        ("assignPublicIp", Str),
    ],
);
static NETWORK_CONFIGURATION: Shape = Struct(
    "NetworkConfiguration",
    &[("awsvpcConfiguration", Ref(&AWSVPC_CONFIGURATION))],
);

static CAPACITY_PROVIDER_STRATEGY_ITEM: Shape = Struct(
    "CapacityProviderStrategyItem",
    &[("capacityProvider", Str), ("weight", Int), ("base", Int)],
);
static CAPACITY_PROVIDER_STRATEGY: Shape = List(&CAPACITY_PROVIDER_STRATEGY_ITEM);
static PLACEMENT_CONSTRAINT: Shape =
    Struct("PlacementConstraint", &[("type", Str), ("expression", Str)]);
static PLACEMENT_CONSTRAINTS: Shape = List(&PLACEMENT_CONSTRAINT);
static PLACEMENT_STRATEGY_ITEM: Shape =
    Struct("PlacementStrategy", &[("type", Str), ("field", Str)]);
static PLACEMENT_STRATEGY: Shape = List(&PLACEMENT_STRATEGY_ITEM);
static ADVANCED_CONFIGURATION: Shape = Struct(
    "AdvancedConfiguration",
    &[
        ("alternateTargetGroupArn", Str),
        ("productionListenerRule", Str),
        ("testListenerRule", Str),
        ("roleArn", Str),
    ],
);
static LOAD_BALANCER: Shape = Struct(
    "LoadBalancer",
    &[
        ("targetGroupArn", Str),
        ("loadBalancerName", Str),
        ("containerName", Str),
        ("containerPort", Int),
        ("advancedConfiguration", Ref(&ADVANCED_CONFIGURATION)),
    ],
);
static LOAD_BALANCERS: Shape = List(&LOAD_BALANCER);
static SERVICE_REGISTRY: Shape = Struct(
    "ServiceRegistry",
    &[
        ("registryArn", Str),
        ("port", Int),
        ("containerName", Str),
        ("containerPort", Int),
    ],
);
static SERVICE_REGISTRIES: Shape = List(&SERVICE_REGISTRY);
static CIRCUIT_BREAKER: Shape = Struct(
    "DeploymentCircuitBreaker",
    &[
        ("enable", Bool),
        ("rollback", Bool),
        ("resetOnHealthyTask", Bool),
        ("thresholdConfiguration", Any),
    ],
);
static DEPLOYMENT_ALARMS: Shape = Struct(
    "DeploymentAlarms",
    &[
        ("alarmNames", Ref(&STRINGS)),
        ("rollback", Bool),
        ("enable", Bool),
    ],
);
static LIFECYCLE_HOOK: Shape = Struct(
    "DeploymentLifecycleHook",
    &[
        ("targetType", Str),
        ("hookTargetArn", Str),
        ("roleArn", Str),
        ("lifecycleStages", Ref(&STRINGS)),
        ("hookDetails", Any),
        ("timeoutConfiguration", Any),
    ],
);
static LIFECYCLE_HOOKS: Shape = List(&LIFECYCLE_HOOK);
static DEPLOYMENT_CONFIGURATION: Shape = Struct(
    "DeploymentConfiguration",
    &[
        ("deploymentCircuitBreaker", Ref(&CIRCUIT_BREAKER)),
        ("maximumPercent", Int),
        ("minimumHealthyPercent", Int),
        ("alarms", Ref(&DEPLOYMENT_ALARMS)),
        ("strategy", Str),
        ("bakeTimeInMinutes", Int),
        ("lifecycleHooks", Ref(&LIFECYCLE_HOOKS)),
        (
            "linearConfiguration",
            Struct(
                "LinearConfiguration",
                &[("stepPercent", Num), ("stepBakeTimeInMinutes", Int)],
            ),
        ),
        (
            "canaryConfiguration",
            Struct(
                "CanaryConfiguration",
                &[("canaryPercent", Num), ("canaryBakeTimeInMinutes", Int)],
            ),
        ),
        ("earlySuccessCriteria", Any),
    ],
);
static DEPLOYMENT_CONTROLLER: Shape = Struct("DeploymentController", &[("type", Str)]);

// ---- task definitions -----------------------------------------------------------------

static PORT_MAPPING: Shape = Struct(
    "PortMapping",
    &[
        ("containerPort", Int),
        ("hostPort", Int),
        ("protocol", Str),
        ("name", Str),
        ("appProtocol", Str),
        ("containerPortRange", Str),
    ],
);
static SECRET: Shape = Struct("Secret", &[("name", Str), ("valueFrom", Str)]);
static SECRETS: Shape = List(&SECRET);
static CONTAINER_DEFINITION: Shape = Struct(
    "ContainerDefinition",
    &[
        ("name", Str),
        ("image", Str),
        ("repositoryCredentials", Any),
        ("cpu", Int),
        ("memory", Int),
        ("memoryReservation", Int),
        ("links", Ref(&STRINGS)),
        ("portMappings", List(&PORT_MAPPING)),
        ("essential", Bool),
        ("restartPolicy", Any),
        ("entryPoint", Ref(&STRINGS)),
        ("command", Ref(&STRINGS)),
        ("environment", Ref(&KEY_VALUES)),
        ("environmentFiles", Ref(&ANYS)),
        (
            "mountPoints",
            List(&Struct(
                "MountPoint",
                &[
                    ("sourceVolume", Str),
                    ("containerPath", Str),
                    ("readOnly", Bool),
                ],
            )),
        ),
        (
            "volumesFrom",
            List(&Struct(
                "VolumeFrom",
                &[("sourceContainer", Str), ("readOnly", Bool)],
            )),
        ),
        ("linuxParameters", Any),
        ("secrets", Ref(&SECRETS)),
        (
            "dependsOn",
            List(&Struct(
                "ContainerDependency",
                &[("containerName", Str), ("condition", Str)],
            )),
        ),
        ("startTimeout", Int),
        ("stopTimeout", Int),
        ("versionConsistency", Str),
        ("hostname", Str),
        ("user", Str),
        ("workingDirectory", Str),
        ("disableNetworking", Bool),
        ("privileged", Bool),
        ("readonlyRootFilesystem", Bool),
        ("dnsServers", Ref(&STRINGS)),
        ("dnsSearchDomains", Ref(&STRINGS)),
        ("extraHosts", Ref(&ANYS)),
        ("dockerSecurityOptions", Ref(&STRINGS)),
        ("interactive", Bool),
        ("pseudoTerminal", Bool),
        ("dockerLabels", Ref(&STRING_MAP)),
        (
            "ulimits",
            List(&Struct(
                "Ulimit",
                &[("name", Str), ("softLimit", Int), ("hardLimit", Int)],
            )),
        ),
        (
            "logConfiguration",
            Struct(
                "LogConfiguration",
                &[
                    ("logDriver", Str),
                    ("options", Ref(&STRING_MAP)),
                    ("secretOptions", Ref(&SECRETS)),
                ],
            ),
        ),
        (
            "healthCheck",
            Struct(
                "HealthCheck",
                &[
                    ("command", Ref(&STRINGS)),
                    ("interval", Int),
                    ("timeout", Int),
                    ("retries", Int),
                    ("startPeriod", Int),
                ],
            ),
        ),
        ("systemControls", Ref(&ANYS)),
        (
            "resourceRequirements",
            List(&Struct(
                "ResourceRequirement",
                &[("value", Str), ("type", Str), ("sharingStrategy", Str)],
            )),
        ),
        ("firelensConfiguration", Any),
        ("credentialSpecs", Ref(&STRINGS)),
    ],
);

static REGISTER_TASK_DEFINITION: Shape = Struct(
    "RegisterTaskDefinitionRequest",
    &[
        ("family", Str),
        ("taskRoleArn", Str),
        ("executionRoleArn", Str),
        ("networkMode", Str),
        ("containerDefinitions", List(&CONTAINER_DEFINITION)),
        (
            "volumes",
            List(&Struct(
                "Volume",
                &[
                    ("name", Str),
                    ("host", Any),
                    ("dockerVolumeConfiguration", Any),
                    ("efsVolumeConfiguration", Any),
                    ("s3filesVolumeConfiguration", Any),
                    ("fsxWindowsFileServerVolumeConfiguration", Any),
                    ("configuredAtLaunch", Bool),
                ],
            )),
        ),
        ("placementConstraints", Ref(&PLACEMENT_CONSTRAINTS)),
        ("requiresCompatibilities", Ref(&STRINGS)),
        ("cpu", Str),
        ("memory", Str),
        ("tags", Ref(&TAGS)),
        ("pidMode", Str),
        ("ipcMode", Str),
        ("proxyConfiguration", Any),
        ("inferenceAccelerators", Ref(&ANYS)),
        (
            "ephemeralStorage",
            Struct("EphemeralStorage", &[("sizeInGiB", Int)]),
        ),
        (
            "runtimePlatform",
            Struct(
                "RuntimePlatform",
                &[("cpuArchitecture", Str), ("operatingSystemFamily", Str)],
            ),
        ),
        ("enableFaultInjection", Bool),
    ],
);
static DESCRIBE_TASK_DEFINITION: Shape = Struct(
    "DescribeTaskDefinitionRequest",
    &[("taskDefinition", Str), ("include", Ref(&STRINGS))],
);
static LIST_TASK_DEFINITIONS: Shape = Struct(
    "ListTaskDefinitionsRequest",
    &[
        ("familyPrefix", Str),
        ("status", Str),
        ("sort", Str),
        ("nextToken", Str),
        ("maxResults", Int),
    ],
);
static LIST_TASK_DEFINITION_FAMILIES: Shape = Struct(
    "ListTaskDefinitionFamiliesRequest",
    &[
        ("familyPrefix", Str),
        ("status", Str),
        ("nextToken", Str),
        ("maxResults", Int),
    ],
);
static DEREGISTER_TASK_DEFINITION: Shape = Struct(
    "DeregisterTaskDefinitionRequest",
    &[("taskDefinition", Str)],
);
static DELETE_TASK_DEFINITIONS: Shape = Struct(
    "DeleteTaskDefinitionsRequest",
    &[("taskDefinitions", Ref(&STRINGS))],
);

// ---- clusters -------------------------------------------------------------------------

static CREATE_CLUSTER: Shape = Struct(
    "CreateClusterRequest",
    &[
        ("clusterName", Str),
        ("tags", Ref(&TAGS)),
        (
            "settings",
            List(&Struct("ClusterSetting", &[("name", Str), ("value", Str)])),
        ),
        ("configuration", Any),
        ("capacityProviders", Ref(&STRINGS)),
        (
            "defaultCapacityProviderStrategy",
            Ref(&CAPACITY_PROVIDER_STRATEGY),
        ),
        ("serviceConnectDefaults", Any),
    ],
);
static DESCRIBE_CLUSTERS: Shape = Struct(
    "DescribeClustersRequest",
    &[("clusters", Ref(&STRINGS)), ("include", Ref(&STRINGS))],
);
static DELETE_CLUSTER: Shape = Struct("DeleteClusterRequest", &[("cluster", Str)]);
static LIST_CLUSTERS: Shape = Struct(
    "ListClustersRequest",
    &[("nextToken", Str), ("maxResults", Int)],
);

// ---- services -------------------------------------------------------------------------

static CREATE_SERVICE: Shape = Struct(
    "CreateServiceRequest",
    &[
        ("cluster", Str),
        ("serviceName", Str),
        ("taskDefinition", Str),
        ("availabilityZoneRebalancing", Str),
        ("loadBalancers", Ref(&LOAD_BALANCERS)),
        ("serviceRegistries", Ref(&SERVICE_REGISTRIES)),
        ("desiredCount", Int),
        ("clientToken", Str),
        ("launchType", Str),
        ("capacityProviderStrategy", Ref(&CAPACITY_PROVIDER_STRATEGY)),
        ("platformVersion", Str),
        ("role", Str),
        ("deploymentConfiguration", Ref(&DEPLOYMENT_CONFIGURATION)),
        ("placementConstraints", Ref(&PLACEMENT_CONSTRAINTS)),
        ("placementStrategy", Ref(&PLACEMENT_STRATEGY)),
        ("networkConfiguration", Ref(&NETWORK_CONFIGURATION)),
        ("healthCheckGracePeriodSeconds", Int),
        ("schedulingStrategy", Str),
        ("deploymentController", Ref(&DEPLOYMENT_CONTROLLER)),
        ("tags", Ref(&TAGS)),
        ("enableECSManagedTags", Bool),
        ("propagateTags", Str),
        ("enableExecuteCommand", Bool),
        ("serviceConnectConfiguration", Any),
        ("volumeConfigurations", Ref(&ANYS)),
        ("vpcLatticeConfigurations", Ref(&ANYS)),
        ("gatewayConnectors", Any),
        ("monitoring", Any),
    ],
);
static UPDATE_SERVICE: Shape = Struct(
    "UpdateServiceRequest",
    &[
        ("cluster", Str),
        ("service", Str),
        ("desiredCount", Int),
        ("taskDefinition", Str),
        ("capacityProviderStrategy", Ref(&CAPACITY_PROVIDER_STRATEGY)),
        ("deploymentConfiguration", Ref(&DEPLOYMENT_CONFIGURATION)),
        ("availabilityZoneRebalancing", Str),
        ("networkConfiguration", Ref(&NETWORK_CONFIGURATION)),
        ("placementConstraints", Ref(&PLACEMENT_CONSTRAINTS)),
        ("placementStrategy", Ref(&PLACEMENT_STRATEGY)),
        ("platformVersion", Str),
        ("forceNewDeployment", Bool),
        ("healthCheckGracePeriodSeconds", Int),
        ("deploymentController", Ref(&DEPLOYMENT_CONTROLLER)),
        ("enableExecuteCommand", Bool),
        ("enableECSManagedTags", Bool),
        ("loadBalancers", Ref(&LOAD_BALANCERS)),
        ("propagateTags", Str),
        ("serviceRegistries", Ref(&SERVICE_REGISTRIES)),
        ("serviceConnectConfiguration", Any),
        ("volumeConfigurations", Ref(&ANYS)),
        ("vpcLatticeConfigurations", Ref(&ANYS)),
        ("gatewayConnectors", Any),
        ("monitoring", Any),
    ],
);
static DELETE_SERVICE: Shape = Struct(
    "DeleteServiceRequest",
    &[("cluster", Str), ("service", Str), ("force", Bool)],
);
static DESCRIBE_SERVICES: Shape = Struct(
    "DescribeServicesRequest",
    &[
        ("cluster", Str),
        ("services", Ref(&STRINGS)),
        ("include", Ref(&STRINGS)),
    ],
);
static LIST_SERVICES: Shape = Struct(
    "ListServicesRequest",
    &[
        ("cluster", Str),
        ("nextToken", Str),
        ("maxResults", Int),
        ("launchType", Str),
        ("schedulingStrategy", Str),
        ("resourceManagementType", Str),
    ],
);
static DESCRIBE_TASK_SETS: Shape = Struct(
    "DescribeTaskSetsRequest",
    &[
        ("cluster", Str),
        ("service", Str),
        ("taskSets", Ref(&STRINGS)),
        ("include", Ref(&STRINGS)),
    ],
);

// ---- tasks ----------------------------------------------------------------------------

static CONTAINER_OVERRIDE: Shape = Struct(
    "ContainerOverride",
    &[
        ("name", Str),
        ("command", Ref(&STRINGS)),
        ("environment", Ref(&KEY_VALUES)),
        ("environmentFiles", Ref(&ANYS)),
        ("cpu", Int),
        ("memory", Int),
        ("memoryReservation", Int),
        ("resourceRequirements", Ref(&ANYS)),
    ],
);
static TASK_OVERRIDE: Shape = Struct(
    "TaskOverride",
    &[
        ("containerOverrides", List(&CONTAINER_OVERRIDE)),
        ("cpu", Str),
        ("inferenceAcceleratorOverrides", Ref(&ANYS)),
        ("executionRoleArn", Str),
        ("memory", Str),
        ("taskRoleArn", Str),
        (
            "ephemeralStorage",
            Struct("EphemeralStorage", &[("sizeInGiB", Int)]),
        ),
    ],
);
static LIST_TASKS: Shape = Struct(
    "ListTasksRequest",
    &[
        ("cluster", Str),
        ("containerInstance", Str),
        ("family", Str),
        ("nextToken", Str),
        ("maxResults", Int),
        ("startedBy", Str),
        ("serviceName", Str),
        ("desiredStatus", Str),
        ("launchType", Str),
        ("daemonName", Str),
    ],
);
static DESCRIBE_TASKS: Shape = Struct(
    "DescribeTasksRequest",
    &[
        ("cluster", Str),
        ("tasks", Ref(&STRINGS)),
        ("include", Ref(&STRINGS)),
    ],
);
static RUN_TASK: Shape = Struct(
    "RunTaskRequest",
    &[
        ("capacityProviderStrategy", Ref(&CAPACITY_PROVIDER_STRATEGY)),
        ("cluster", Str),
        ("count", Int),
        ("enableECSManagedTags", Bool),
        ("enableExecuteCommand", Bool),
        ("group", Str),
        ("launchType", Str),
        ("networkConfiguration", Ref(&NETWORK_CONFIGURATION)),
        ("overrides", Ref(&TASK_OVERRIDE)),
        ("placementConstraints", Ref(&PLACEMENT_CONSTRAINTS)),
        ("placementStrategy", Ref(&PLACEMENT_STRATEGY)),
        ("platformVersion", Str),
        ("propagateTags", Str),
        ("referenceId", Str),
        ("startedBy", Str),
        ("tags", Ref(&TAGS)),
        ("taskDefinition", Str),
        ("clientToken", Str),
        ("volumeConfigurations", Ref(&ANYS)),
    ],
);
static STOP_TASK: Shape = Struct(
    "StopTaskRequest",
    &[("cluster", Str), ("task", Str), ("reason", Str)],
);

// ---- tags -----------------------------------------------------------------------------

static TAG_RESOURCE: Shape = Struct(
    "TagResourceRequest",
    &[("resourceArn", Str), ("tags", Ref(&TAGS))],
);
static UNTAG_RESOURCE: Shape = Struct(
    "UntagResourceRequest",
    &[("resourceArn", Str), ("tagKeys", Ref(&STRINGS))],
);
static LIST_TAGS_FOR_RESOURCE: Shape =
    Struct("ListTagsForResourceRequest", &[("resourceArn", Str)]);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn types_and_unknown_members_are_refused_with_serialization_exceptions() {
        let rtd = input_shape("RegisterTaskDefinition").expect("modelled");
        for (body, want) in [
            (
                json!({"family": "web", "containerDefinitions": [], "bogus": 1}),
                "Unrecognized field \"bogus\" in RegisterTaskDefinitionRequest",
            ),
            (
                json!({"family": "web", "containerDefinitions": [{"name": "a", "imag": "x"}]}),
                "Unrecognized field \"imag\" in ContainerDefinition (at containerDefinitions[0])",
            ),
            (
                json!({"family": "web", "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80, "hostport": 80}]}]}),
                "Unrecognized field \"hostport\" in PortMapping",
            ),
            (
                json!({"family": 7}),
                "NUMBER_VALUE can not be converted to a String",
            ),
            (
                json!({"family": "web", "containerDefinitions": [{"name": "a", "cpu": "256"}]}),
                "STRING_VALUE can not be converted to an Integer",
            ),
            (
                json!({"family": "web", "containerDefinitions": [{"name": "a", "essential": "yes"}]}),
                "STRING_VALUE can not be converted to a Boolean",
            ),
            (
                json!({"family": {"a": 1}}),
                "Start of structure or map found where not expected.",
            ),
            (
                json!({"family": "web", "containerDefinitions": {"name": "a"}}),
                "Start of structure or map found where not expected.",
            ),
            (
                json!({"family": ["web"]}),
                "Start of list found where not expected.",
            ),
        ] {
            let err = check(rtd, &body, "").expect_err("must be refused");
            assert_eq!(err.code, "SerializationException", "{body}");
            assert_eq!(err.status, 400);
            assert!(
                err.message.contains(want),
                "{body}: {} does not contain {want}",
                err.message
            );
        }
    }

    #[test]
    fn well_typed_input_and_nulls_pass() {
        let cs = input_shape("CreateService").expect("modelled");
        let body = json!({
            "cluster": "c", "serviceName": "s", "taskDefinition": "web", "desiredCount": 2,
            "role": null,
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 50,
                "deploymentCircuitBreaker": {"enable": true, "rollback": true},
                "alarms": {"alarmNames": ["a"], "enable": true, "rollback": false},
                "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"], "assignPublicIp": "ENABLED"}},
            "loadBalancers": [{"targetGroupArn": "arn", "containerName": "app", "containerPort": 80,
                "advancedConfiguration": {"alternateTargetGroupArn": "arn2", "productionListenerRule": "r"}}],
            "serviceConnectConfiguration": {"enabled": true, "anything": [1, 2]},
        });
        check(cs, &body, "").expect("valid");
        let bad =
            json!({"deploymentConfiguration": {"deploymentCircuitBreaker": {"enabled": true}}});
        let err = check(cs, &bad, "").expect_err("typo in a nested member");
        assert!(
            err.message
                .contains("\"enabled\" in DeploymentCircuitBreaker")
        );
    }

    #[test]
    fn every_api_operation_is_modelled() {
        for op in [
            "CreateCluster",
            "DescribeClusters",
            "DeleteCluster",
            "ListClusters",
            "RegisterTaskDefinition",
            "DescribeTaskDefinition",
            "ListTaskDefinitions",
            "ListTaskDefinitionFamilies",
            "DeregisterTaskDefinition",
            "DeleteTaskDefinitions",
            "CreateService",
            "UpdateService",
            "DeleteService",
            "DescribeServices",
            "ListServices",
            "ListTasks",
            "DescribeTasks",
            "RunTask",
            "StopTask",
            "TagResource",
            "UntagResource",
            "ListTagsForResource",
            "DescribeTaskSets",
        ] {
            assert!(input_shape(op).is_some(), "{op}");
        }
        assert!(input_shape("ListServiceDeployments").is_none());
    }
}
