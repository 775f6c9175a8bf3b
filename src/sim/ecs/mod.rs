//! ECS control plane of the simulator.
//!
//! - [`model`]: shared data (clusters, task definitions, services, deployments, task sets).
//! - [`api`]: request handlers (validation, AWS defaults, response shapes, pagination);
//!   [`taskdef`]: task definitions; [`input`]: the input shapes every request is checked
//!   against (unknown members and wrong types → `SerializationException`).
//! - `deploy`: the deployment engine (rolling, circuit breaker, alarms, stop/rollback,
//!   supersede, native BLUE_GREEN/LINEAR/CANARY, service deployments and revisions).

pub(crate) mod api;
#[cfg(test)]
mod api_tests;
pub(crate) mod deploy;
#[cfg(test)]
mod deploy_tests;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod strategy;
pub(crate) mod taskdef;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::error::ApiError;
use super::world::World;
use model::{Cluster, Service, ServiceDeployment, TaskDefinition};

/// All ECS state.
#[derive(Debug, Default)]
pub(crate) struct EcsState {
    /// By cluster name.
    pub clusters: BTreeMap<String, Cluster>,
    /// By family; index = revision - 1.
    pub task_definitions: BTreeMap<String, Vec<TaskDefinition>>,
    /// Every service ever created (INACTIVE ones stay describable for a while, as in AWS).
    pub services: Vec<Service>,
    /// By ARN.
    pub service_deployments: BTreeMap<String, ServiceDeployment>,
    /// DescribeServiceRevisions shapes, by ARN.
    pub service_revisions: BTreeMap<String, Value>,
    /// Tags by resource ARN (`[{"key","value"}]`).
    pub tags: BTreeMap<String, Vec<Value>>,
}

impl EcsState {
    /// Index of the service with this ARN (ARNs are unique in `services`: CreateService drops
    /// an INACTIVE predecessor with the same name).
    pub fn service_index(&self, arn: &str) -> Option<usize> {
        self.services.iter().position(|s| s.arn == arn)
    }

    /// A task definition by ARN, `family:rev` or `family` (latest ACTIVE revision).
    pub fn task_definition(&self, reference: &str) -> Option<&TaskDefinition> {
        taskdef::resolve(self, reference)
    }
}

/// Handle an ECS operation: the service-deployment operations belong to the deployment
/// engine, everything else to [`api`].
pub(crate) fn handle(world: &mut World, op: &str, body: &Value) -> Result<Value, ApiError> {
    if let Some(result) = deploy::handle(world, op, body) {
        return result;
    }
    api::handle(world, op, body).unwrap_or_else(|| Err(ApiError::unknown_operation(op)))
}

/// The ECS part of `GET /_sim/state`: clusters, task definitions (ARN + status), services
/// rendered as DescribeServices does (with tags) and service deployments (summary).
///
/// Each service deployment carries `terminalAt`: the wall-clock epoch ms at which it reached a
/// terminal status (SUCCESSFUL, STOPPED, ROLLBACK_*), null while it runs. The world steps
/// lazily, but the finish time is the simulated tick it happened at, so this does not depend
/// on when a client next looked (benches/e2e measures detection latency against it).
pub(crate) fn dump(world: &World, wall_ms: &dyn Fn(i64) -> i64) -> Value {
    let ecs = &world.ecs;
    let clusters: Vec<Value> = ecs
        .clusters
        .values()
        .map(|c| api::cluster_json(world, c, true))
        .collect();
    let task_definitions: Vec<Value> = ecs
        .task_definitions
        .values()
        .flatten()
        .map(|td| json!({"taskDefinitionArn": td.arn, "family": td.family, "revision": td.revision, "status": td.status}))
        .collect();
    let services: Vec<Value> = ecs
        .services
        .iter()
        .map(|s| api::service_json(world, s, true))
        .collect();
    let service_deployments: Vec<Value> = ecs
        .service_deployments
        .values()
        .map(|d| {
            json!({
                "serviceDeploymentArn": d.arn,
                "serviceArn": d.service_arn,
                "status": d.status,
                "statusReason": d.status_reason,
                "targetServiceRevisionArn": d.target_revision_arn,
                "sourceServiceRevisionArns": d.source_revision_arns,
                "lifecycleStage": d.lifecycle_stage,
                "terminalAt": d.finished_ms.map(wall_ms),
            })
        })
        .collect();
    json!({
        "clusters": clusters,
        "taskDefinitions": task_definitions,
        "services": services,
        "serviceDeployments": service_deployments,
    })
}

/// One tick of the ECS control plane: the deployment engine moves every ECS-controller
/// service (tasks were already stepped by `tasks::step`).
pub(crate) fn step(world: &mut World) {
    deploy::step(world);
}
