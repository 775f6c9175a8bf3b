//! Task lifecycle, shared by service deployments, CodeDeploy task sets and RunTask.
//!
//! States follow ECS: PROVISIONING → PENDING → ACTIVATING → RUNNING, and on stop
//! DEACTIVATING (load balancer deregistration delay) → STOPPING → DEPROVISIONING → STOPPED.
//!
//! Outcomes are scripted in-band by the image reference so any client can trigger them
//! (the tag, or the whole reference when there is no tag):
//! - `crash`: the essential container exits 1 two seconds after start
//!   (stopCode `EssentialContainerExited`);
//! - `unhealthy`: container/target health checks fail; the service scheduler replaces it once
//!   the health check grace period is over;
//! - `slow`: 10× longer to pull and to become healthy;
//! - `pullfail`: `CannotPullContainerError` (stopCode `TaskFailedToStart`);
//! - `exitN`: a RunTask task's container exits with code N;
//! - anything else: healthy. RunTask tasks with a healthy image run for 10 s and exit 0.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::world::World;

/// Simulated durations (ms).
pub(crate) mod timing {
    /// PROVISIONING (ENI attachment).
    pub const PROVISION_MS: i64 = 2_000;
    /// PENDING (image pull).
    pub const PULL_MS: i64 = 4_000;
    /// RUNNING → health checks pass.
    pub const HEALTHY_AFTER_MS: i64 = 5_000;
    /// `crash`: exit after start.
    pub const CRASH_AFTER_MS: i64 = 2_000;
    /// RunTask tasks with healthy images exit 0 after this.
    pub const RUN_TASK_MS: i64 = 10_000;
    /// STOPPING and DEPROVISIONING each.
    pub const STOP_STEP_MS: i64 = 1_000;
    /// `slow` multiplier.
    pub const SLOW_FACTOR: i64 = 10;
    /// Stopped tasks stay visible this long (AWS: at least one hour).
    pub const STOPPED_RETENTION_MS: i64 = 3_600_000;
}

/// What the image asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Healthy,
    Crash,
    Unhealthy,
    Slow,
    PullFail,
    Exit(i32),
}

impl Outcome {
    /// From an image reference: the tag if any, else the whole reference.
    pub fn from_image(image: &str) -> Outcome {
        let without_digest = image.split('@').next().unwrap_or(image);
        let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
        let tag = last.split_once(':').map(|(_, t)| t).unwrap_or(last);
        let tag = tag.to_ascii_lowercase();
        if tag.contains("pullfail") {
            Outcome::PullFail
        } else if tag.contains("crash") {
            Outcome::Crash
        } else if tag.contains("unhealthy") {
            Outcome::Unhealthy
        } else if tag.contains("slow") {
            Outcome::Slow
        } else if let Some(code) = tag
            .find("exit")
            .map(|i| &tag[i + 4..])
            .map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|d| d.parse::<i32>().ok())
        {
            Outcome::Exit(code)
        } else {
            Outcome::Healthy
        }
    }

    fn severity(self) -> u8 {
        match self {
            Outcome::PullFail => 5,
            Outcome::Crash => 4,
            Outcome::Exit(_) => 3,
            Outcome::Unhealthy => 2,
            Outcome::Slow => 1,
            Outcome::Healthy => 0,
        }
    }
}

/// One container of a task.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub name: String,
    pub image: String,
    pub essential: bool,
    pub outcome: Outcome,
    pub last_status: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub health_status: String,
}

/// Who started a task, which decides how it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A service deployment (`startedBy` = deployment id `ecs-svc/...`).
    Service {
        service_arn: String,
        deployment_id: String,
    },
    /// A CodeDeploy/EXTERNAL task set (`startedBy` = task set id).
    TaskSet {
        service_arn: String,
        task_set_id: String,
    },
    /// RunTask.
    RunTask,
}

/// Launch parameters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Launch {
    pub cluster_arn: String,
    pub task_definition_arn: String,
    pub containers: Vec<(String, String, bool)>, // (name, image, essential)
    pub started_by: Option<String>,
    pub group: String,
    pub launch_type: Option<String>,
    pub capacity_provider: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    /// Health checks behind a load balancer (affects the stopped reason wording).
    pub behind_load_balancer: bool,
    /// Health check grace period (ms): UNHEALTHY tasks are not replaced before it ends.
    pub grace_ms: i64,
    /// Deregistration delay (ms) spent in DEACTIVATING when stopped.
    pub drain_ms: i64,
    pub overrides: Option<Value>,
    pub tags: Vec<Value>,
    pub enable_execute_command: bool,
}

/// A task.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub arn: String,
    pub owner: Owner,
    pub launch: Launch,
    pub containers: Vec<Container>,
    pub outcome: Outcome,
    pub last_status: String,
    pub desired_status: String,
    pub health_status: String,
    pub created_ms: i64,
    pub pull_started_ms: Option<i64>,
    pub pull_stopped_ms: Option<i64>,
    pub started_ms: Option<i64>,
    pub healthy_ms: Option<i64>,
    pub stopping_ms: Option<i64>,
    pub execution_stopped_ms: Option<i64>,
    pub stopped_ms: Option<i64>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    /// When the current state ends (ms); None = stays until something happens.
    next_at: Option<i64>,
    az: String,
    private_ip: String,
}

impl Task {
    /// Counts as healthy for scheduling (RUNNING and health checks passed).
    pub fn is_healthy(&self) -> bool {
        self.last_status == "RUNNING"
            && self.desired_status == "RUNNING"
            && self.healthy_ms.is_some()
    }
    /// Not yet stopped nor being stopped.
    pub fn is_live(&self) -> bool {
        self.desired_status == "RUNNING"
    }
    /// RUNNING (whatever its health).
    pub fn is_running(&self) -> bool {
        self.last_status == "RUNNING" && self.desired_status == "RUNNING"
    }
    /// Still starting (PROVISIONING/PENDING/ACTIVATING).
    pub fn is_pending(&self) -> bool {
        self.desired_status == "RUNNING"
            && matches!(
                self.last_status.as_str(),
                "PROVISIONING" | "PENDING" | "ACTIVATING"
            )
    }
    /// Stopped before ever being healthy (a failed task, for circuit breakers).
    pub fn failed_to_start(&self) -> bool {
        self.last_status == "STOPPED"
            && self.healthy_ms.is_none()
            && self.stop_code.as_deref() != Some("UserInitiated")
    }
    /// The task id (last ARN segment).
    pub fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }

    fn slow(&self) -> i64 {
        if self.outcome == Outcome::Slow {
            timing::SLOW_FACTOR
        } else {
            1
        }
    }

    /// DescribeTasks shape.
    pub fn to_json(&self) -> Value {
        let s = |ms: Option<i64>| ms.map(|m| json!(m as f64 / 1000.0));
        let mut t = json!({
            "taskArn": self.arn,
            "clusterArn": self.launch.cluster_arn,
            "taskDefinitionArn": self.launch.task_definition_arn,
            "lastStatus": self.last_status,
            "desiredStatus": self.desired_status,
            "healthStatus": self.health_status,
            "createdAt": self.created_ms as f64 / 1000.0,
            "group": self.launch.group,
            "availabilityZone": self.az,
            "connectivity": if self.last_status == "PROVISIONING" { "DISCONNECTED" } else { "CONNECTED" },
            "enableExecuteCommand": self.launch.enable_execute_command,
            "version": 1,
            "containers": self.containers.iter().map(|c| {
                let mut v = json!({
                    "containerArn": format!("{}/{}", self.arn.replace(":task/", ":container/"), c.name),
                    "taskArn": self.arn,
                    "name": c.name,
                    "image": c.image,
                    "lastStatus": c.last_status,
                    "healthStatus": c.health_status,
                    "networkInterfaces": [{"attachmentId": "eni-attach", "privateIpv4Address": self.private_ip}],
                });
                if let Some(code) = c.exit_code { v["exitCode"] = json!(code); }
                if let Some(r) = &c.reason { v["reason"] = json!(r); }
                v
            }).collect::<Vec<_>>(),
            "attachments": [{"id": "eni-attachment", "type": "ElasticNetworkInterface", "status": "ATTACHED",
                "details": [{"name": "privateIPv4Address", "value": self.private_ip}]}],
            "tags": self.launch.tags,
        });
        let m = t.as_object_mut().expect("object literal");
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        put(
            "startedBy",
            self.launch.started_by.clone().map(Value::String),
        );
        put(
            "launchType",
            self.launch.launch_type.clone().map(Value::String),
        );
        put(
            "capacityProviderName",
            self.launch.capacity_provider.clone().map(Value::String),
        );
        put("cpu", self.launch.cpu.clone().map(Value::String));
        put("memory", self.launch.memory.clone().map(Value::String));
        put("overrides", self.launch.overrides.clone());
        put("pullStartedAt", s(self.pull_started_ms));
        put("pullStoppedAt", s(self.pull_stopped_ms));
        put("startedAt", s(self.started_ms));
        put("connectivityAt", s(self.pull_started_ms));
        put("stoppingAt", s(self.stopping_ms));
        put("executionStoppedAt", s(self.execution_stopped_ms));
        put("stoppedAt", s(self.stopped_ms));
        put("stopCode", self.stop_code.clone().map(Value::String));
        put(
            "stoppedReason",
            self.stopped_reason.clone().map(Value::String),
        );
        if self.launch.launch_type.as_deref() == Some("FARGATE") {
            put("platformVersion", Some(json!("1.4.0")));
            put("platformFamily", Some(json!("Linux")));
        }
        t
    }
}

/// All tasks, by ARN, plus creation order.
#[derive(Debug, Default)]
pub(crate) struct Tasks {
    by_arn: BTreeMap<String, Task>,
    order: Vec<String>,
}

impl Tasks {
    pub fn get(&self, arn: &str) -> Option<&Task> {
        self.by_arn.get(arn)
    }
    pub fn get_mut(&mut self, arn: &str) -> Option<&mut Task> {
        self.by_arn.get_mut(arn)
    }
    /// Find by ARN or bare id.
    pub fn find(&self, arn_or_id: &str) -> Option<&Task> {
        self.by_arn
            .get(arn_or_id)
            .or_else(|| self.by_arn.values().find(|t| t.id() == arn_or_id))
    }
    /// In creation order.
    pub fn iter(&self) -> impl Iterator<Item = &Task> {
        self.order.iter().filter_map(|a| self.by_arn.get(a))
    }
    /// Tasks of one owner predicate, in creation order.
    pub fn owned_by<'a>(
        &'a self,
        pred: impl Fn(&Owner) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Task> + 'a {
        self.iter().filter(move |t| pred(&t.owner))
    }
    pub fn dump(&self) -> Value {
        Value::Array(self.iter().map(Task::to_json).collect())
    }
}

/// Start a task; returns its ARN.
pub(crate) fn launch(world: &mut World, owner: Owner, launch: Launch) -> String {
    let id = world.hex_id();
    let cluster_name = launch
        .cluster_arn
        .rsplit('/')
        .next()
        .unwrap_or("default")
        .to_owned();
    let arn = world.arn("ecs", &format!("task/{cluster_name}/{id}"));
    let containers: Vec<Container> = launch
        .containers
        .iter()
        .map(|(name, image, essential)| Container {
            name: name.clone(),
            image: image.clone(),
            essential: *essential,
            outcome: Outcome::from_image(image),
            last_status: "PENDING".into(),
            exit_code: None,
            reason: None,
            health_status: "UNKNOWN".into(),
        })
        .collect();
    // The task's fate is its worst essential container's (non-essential crashes don't stop it).
    let outcome = containers
        .iter()
        .filter(|c| c.essential)
        .map(|c| c.outcome)
        .max_by_key(|o| o.severity())
        .unwrap_or(Outcome::Healthy);
    let n = world.next_u64();
    let azs = ["a", "b", "c"];
    let az = format!("{}{}", world.region, azs[(n % 3) as usize]);
    let private_ip = format!("10.0.{}.{}", (n >> 8) % 250 + 1, (n >> 16) % 250 + 4);
    let now = world.now_ms;
    let task = Task {
        arn: arn.clone(),
        owner,
        launch,
        containers,
        outcome,
        last_status: "PROVISIONING".into(),
        desired_status: "RUNNING".into(),
        health_status: "UNKNOWN".into(),
        created_ms: now,
        pull_started_ms: None,
        pull_stopped_ms: None,
        started_ms: None,
        healthy_ms: None,
        stopping_ms: None,
        execution_stopped_ms: None,
        stopped_ms: None,
        stop_code: None,
        stopped_reason: None,
        next_at: Some(now + timing::PROVISION_MS),
        az,
        private_ip,
    };
    world.tasks.order.push(arn.clone());
    world.tasks.by_arn.insert(arn.clone(), task);
    arn
}

/// Ask a task to stop (StopTask, scale-in, replacement). Idempotent.
pub(crate) fn stop(world: &mut World, arn: &str, stop_code: &str, reason: &str) {
    let now = world.now_ms;
    let Some(t) = world.tasks.by_arn.get_mut(arn) else {
        return;
    };
    if t.desired_status == "STOPPED" {
        return;
    }
    t.desired_status = "STOPPED".into();
    t.stop_code.get_or_insert_with(|| stop_code.to_owned());
    t.stopped_reason.get_or_insert_with(|| reason.to_owned());
    t.stopping_ms = Some(now);
    if t.last_status == "RUNNING" {
        t.last_status = "DEACTIVATING".into();
        t.next_at = Some(now + t.launch.drain_ms.max(0) + timing::STOP_STEP_MS);
    } else {
        // Never started: straight to STOPPED after a short deprovisioning.
        t.last_status = "DEPROVISIONING".into();
        t.next_at = Some(now + timing::STOP_STEP_MS);
    }
}

/// One tick of every task's lifecycle.
pub(crate) fn step(world: &mut World) {
    let now = world.now_ms;
    let retention_cut = now - timing::STOPPED_RETENTION_MS;
    let expired: Vec<String> = world
        .tasks
        .by_arn
        .values()
        .filter(|t| t.stopped_ms.is_some_and(|s| s < retention_cut))
        .map(|t| t.arn.clone())
        .collect();
    for arn in &expired {
        world.tasks.by_arn.remove(arn);
    }
    if !expired.is_empty() {
        world.tasks.order.retain(|a| !expired.contains(a));
    }
    for t in world.tasks.by_arn.values_mut() {
        advance_task(t, now);
    }
}

fn set_containers(t: &mut Task, status: &str) {
    for c in &mut t.containers {
        if c.last_status != "STOPPED" {
            c.last_status = status.into();
        }
    }
}

fn finish_stopped(t: &mut Task, now: i64) {
    t.last_status = "STOPPED".into();
    t.desired_status = "STOPPED".into();
    t.stopped_ms = Some(now);
    t.execution_stopped_ms.get_or_insert(now);
    t.next_at = None;
    for c in &mut t.containers {
        c.last_status = "STOPPED".into();
    }
}

fn advance_task(t: &mut Task, now: i64) {
    // Health is evaluated continuously, independent of state transitions.
    if let Some(started) = t.started_ms
        && t.last_status == "RUNNING"
        && t.desired_status == "RUNNING"
        && t.healthy_ms.is_none()
    {
        {
            let due = started + timing::HEALTHY_AFTER_MS * t.slow();
            if now >= due {
                match t.outcome {
                    Outcome::Unhealthy => {
                        t.health_status = "UNHEALTHY".into();
                        for c in &mut t.containers {
                            if c.essential {
                                c.health_status = "UNHEALTHY".into();
                            }
                        }
                        // The scheduler replaces it once the grace period is over.
                        if now >= started + t.launch.grace_ms && !matches!(t.owner, Owner::RunTask)
                        {
                            let reason = if t.launch.behind_load_balancer {
                                "Task failed ELB health checks in (target-group)"
                            } else {
                                "Task failed container health checks"
                            };
                            t.desired_status = "STOPPED".into();
                            t.stop_code = Some("ServiceSchedulerInitiated".into());
                            t.stopped_reason = Some(reason.into());
                            t.stopping_ms = Some(now);
                            t.last_status = "DEACTIVATING".into();
                            t.next_at = Some(now + t.launch.drain_ms + timing::STOP_STEP_MS);
                        }
                    }
                    Outcome::Crash | Outcome::PullFail => {}
                    _ => {
                        t.healthy_ms = Some(now);
                        t.health_status = "HEALTHY".into();
                        for c in &mut t.containers {
                            c.health_status = "HEALTHY".into();
                        }
                    }
                }
            }
        }
    }
    let Some(at) = t.next_at else { return };
    if now < at {
        return;
    }
    match t.last_status.as_str() {
        "PROVISIONING" => {
            t.last_status = "PENDING".into();
            t.pull_started_ms = Some(now);
            t.next_at = Some(now + timing::PULL_MS * t.slow());
        }
        "PENDING" => {
            t.pull_stopped_ms = Some(now);
            if t.outcome == Outcome::PullFail {
                let image = t
                    .containers
                    .iter()
                    .find(|c| c.outcome == Outcome::PullFail)
                    .map(|c| c.image.clone())
                    .unwrap_or_default();
                let reason = format!(
                    "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref {image}: not found"
                );
                for c in &mut t.containers {
                    if c.outcome == Outcome::PullFail {
                        c.reason = Some(reason.clone());
                    }
                }
                t.stop_code = Some("TaskFailedToStart".into());
                t.stopped_reason = Some(reason);
                t.stopping_ms = Some(now);
                t.last_status = "DEPROVISIONING".into();
                t.desired_status = "STOPPED".into();
                t.next_at = Some(now + timing::STOP_STEP_MS);
            } else {
                t.last_status = "RUNNING".into();
                t.started_ms = Some(now);
                set_containers(t, "RUNNING");
                t.next_at = match (t.outcome, &t.owner) {
                    (Outcome::Crash, _) => Some(now + timing::CRASH_AFTER_MS),
                    (_, Owner::RunTask) => Some(now + timing::RUN_TASK_MS),
                    _ => None,
                };
            }
        }
        "RUNNING" => {
            // The essential container exits on its own (crash, or a RunTask job finishing);
            // the other containers are stopped with it.
            for c in &mut t.containers {
                let code = match c.outcome {
                    Outcome::Crash => 1,
                    Outcome::Exit(n) => n,
                    _ => 0,
                };
                c.exit_code = Some(code);
                c.last_status = "STOPPED".into();
            }
            t.stop_code = Some("EssentialContainerExited".into());
            t.stopped_reason = Some("Essential container in task exited".into());
            t.stopping_ms = Some(now);
            t.execution_stopped_ms = Some(now);
            t.desired_status = "STOPPED".into();
            t.last_status = "DEPROVISIONING".into();
            t.next_at = Some(now + timing::STOP_STEP_MS);
        }
        "DEACTIVATING" => {
            t.last_status = "STOPPING".into();
            set_containers(t, "STOPPED");
            for c in &mut t.containers {
                c.exit_code.get_or_insert(0);
            }
            t.next_at = Some(now + timing::STOP_STEP_MS);
        }
        "STOPPING" => {
            t.last_status = "DEPROVISIONING".into();
            t.execution_stopped_ms = Some(now);
            t.next_at = Some(now + timing::STOP_STEP_MS);
        }
        "DEPROVISIONING" => finish_stopped(t, now),
        _ => t.next_at = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_from_image_references() {
        for (image, want) in [
            ("nginx:1.27", Outcome::Healthy),
            ("nginx", Outcome::Healthy),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v2-crash",
                Outcome::Crash,
            ),
            ("app:unhealthy", Outcome::Unhealthy),
            ("app:slow", Outcome::Slow),
            ("localhost:5000/app:pullfail", Outcome::PullFail),
            ("job:exit3", Outcome::Exit(3)),
            ("job:exit", Outcome::Healthy),
            ("crash", Outcome::Crash),
            (
                "registry.example.com:5000/crash-team/app:1.0",
                Outcome::Healthy,
            ),
        ] {
            assert_eq!(Outcome::from_image(image), want, "{image}");
        }
    }
}
