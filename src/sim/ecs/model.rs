//! Shared ECS data model of the simulator. Plain data: the API handlers (`ecs::api`), the
//! deployment engine (`ecs::deploy`) and CodeDeploy (`sim::codedeploy`) all read and write it.
//!
//! Configuration is kept in the AWS API JSON shape (`serde_json::Map`) so what a client sent is
//! what it reads back; only the fields the dynamics need are typed.

use serde_json::{Map, Value};

/// A cluster.
#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub name: String,
    pub arn: String,
    /// ACTIVE | INACTIVE.
    pub status: String,
    /// Extra API fields as given (settings, configuration, capacityProviders, ...).
    pub spec: Map<String, Value>,
}

/// A task definition revision.
#[derive(Debug, Clone)]
pub(crate) struct TaskDefinition {
    pub arn: String,
    pub family: String,
    pub revision: u32,
    /// ACTIVE | INACTIVE | DELETE_IN_PROGRESS.
    pub status: String,
    /// The full DescribeTaskDefinition `taskDefinition` object (defaults and read-only fields
    /// included; `status`/`deregisteredAt` kept in sync by the handlers).
    pub body: Map<String, Value>,
    pub deregistered_ms: Option<i64>,
}

/// One entry of `service.events[]` (AWS keeps the newest 100, newest first).
#[derive(Debug, Clone)]
pub(crate) struct ServiceEvent {
    pub id: String,
    pub created_ms: i64,
    pub message: String,
}

/// One entry of `service.deployments[]` (ECS controller).
#[derive(Debug, Clone)]
pub(crate) struct Deployment {
    /// `ecs-svc/<19 digits>`; tasks carry it as `startedBy`.
    pub id: String,
    /// PRIMARY | ACTIVE | INACTIVE.
    pub status: String,
    pub task_definition: String,
    pub desired_count: i64,
    pub pending_count: i64,
    pub running_count: i64,
    /// Consecutive failed tasks (circuit breaker); resets after a healthy task.
    pub failed_tasks: i64,
    /// IN_PROGRESS | COMPLETED | FAILED.
    pub rollout_state: String,
    pub rollout_state_reason: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// The service revision it runs.
    pub service_revision_arn: String,
    /// Launch settings snapshot in API shape (launchType, capacityProviderStrategy,
    /// platformVersion, networkConfiguration, loadBalancers, ...).
    pub spec: Map<String, Value>,
}

/// A lifecycle hook's state inside a service deployment.
#[derive(Debug, Clone)]
pub(crate) struct HookState {
    pub hook_id: String,
    /// AWS_LAMBDA | PAUSE.
    pub target_type: String,
    pub target_arn: Option<String>,
    /// The lifecycle stage it runs at.
    pub stage: String,
    /// AWAITING_ACTION | IN_PROGRESS | SUCCEEDED | FAILED | TIMED_OUT.
    pub status: String,
    pub started_ms: i64,
    pub expires_ms: i64,
    /// ROLLBACK | CONTINUE.
    pub timeout_action: String,
}

/// A service deployment (the Oct 2024 API: List/DescribeServiceDeployments).
#[derive(Debug, Clone)]
pub(crate) struct ServiceDeployment {
    pub arn: String,
    pub service_arn: String,
    pub cluster_arn: String,
    /// The `deployments[]` id that carries it (`ecs-svc/...`).
    pub deployment_id: String,
    /// PENDING | IN_PROGRESS | STOP_REQUESTED | ROLLBACK_REQUESTED | ROLLBACK_IN_PROGRESS |
    /// SUCCESSFUL | STOPPED | ROLLBACK_SUCCESSFUL | ROLLBACK_FAILED.
    pub status: String,
    pub status_reason: Option<String>,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub stopped_ms: Option<i64>,
    pub updated_ms: i64,
    pub target_revision_arn: String,
    pub source_revision_arns: Vec<String>,
    /// Native strategies only: RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP,
    /// TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT,
    /// POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP.
    pub lifecycle_stage: Option<String>,
    pub hooks: Vec<HookState>,
    /// `deploymentConfiguration` in force for this deployment (API shape).
    pub deployment_configuration: Value,
    /// `rollback {reason, startedAt, serviceRevisionArn}` once rolling back.
    pub rollback: Option<Value>,
    /// `deploymentCircuitBreaker {status, failureCount, threshold}`.
    pub circuit_breaker: Option<Value>,
    /// `alarms {status, alarmNames, triggeredAlarmNames}`.
    pub alarms: Option<Value>,
    /// Traffic weights (test, production) per revision ARN, for native strategies.
    pub traffic: Vec<(String, f64, f64)>,
    /// Deployment-engine bookkeeping (phase clocks, hook batches, frozen summaries); owned by
    /// `ecs::deploy`, other modules neither read nor write it.
    pub progress: super::deploy::Progress,
}

/// A task set (CODE_DEPLOY / EXTERNAL controllers).
#[derive(Debug, Clone)]
pub(crate) struct TaskSet {
    pub id: String,
    pub arn: String,
    pub service_arn: String,
    pub cluster_arn: String,
    /// PRIMARY | ACTIVE | DRAINING.
    pub status: String,
    pub task_definition: String,
    pub external_id: Option<String>,
    pub started_by: Option<String>,
    /// `scale {value, unit: PERCENT | FLOAT}`.
    pub scale_value: f64,
    pub scale_unit: String,
    pub computed_desired_count: i64,
    pub pending_count: i64,
    pub running_count: i64,
    /// STEADY_STATE | STABILIZING.
    pub stability_status: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Launch settings in API shape (launchType, networkConfiguration, loadBalancers, ...).
    pub spec: Map<String, Value>,
    /// Share of production traffic (0–100) routed to this task set (CodeDeploy).
    pub traffic_weight: f64,
}

/// A service.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    /// ACTIVE | DRAINING | INACTIVE.
    pub status: String,
    /// Persistent configuration in API shape: launchType, capacityProviderStrategy,
    /// platformVersion, loadBalancers, serviceRegistries, networkConfiguration,
    /// healthCheckGracePeriodSeconds, schedulingStrategy, deploymentController,
    /// deploymentConfiguration, placementConstraints, placementStrategy, enableECSManagedTags,
    /// propagateTags, enableExecuteCommand, serviceConnectConfiguration, volumeConfigurations,
    /// availabilityZoneRebalancing, role, ...
    pub spec: Map<String, Value>,
    pub task_definition: String,
    pub desired_count: i64,
    pub running_count: i64,
    pub pending_count: i64,
    /// ECS controller: PRIMARY first.
    pub deployments: Vec<Deployment>,
    /// CODE_DEPLOY / EXTERNAL controllers.
    pub task_sets: Vec<TaskSet>,
    /// Newest first, at most 100.
    pub events: Vec<ServiceEvent>,
    pub current_service_deployment: Option<String>,
    pub created_ms: i64,
    pub created_by: String,
}

impl Service {
    /// Add an event (newest first; AWS keeps the newest 100). Messages use AWS's wording,
    /// e.g. `(service web) has reached a steady state.`
    pub fn push_event(&mut self, id: String, now_ms: i64, message: impl Into<String>) {
        self.events.insert(
            0,
            ServiceEvent {
                id,
                created_ms: now_ms,
                message: message.into(),
            },
        );
        self.events.truncate(100);
    }

    /// `deploymentController.type` (ECS when unset).
    pub fn controller(&self) -> &str {
        self.spec
            .get("deploymentController")
            .and_then(|c| c.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("ECS")
    }
}
