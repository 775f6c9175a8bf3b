//! `ecspress status`: what a service looks like right now, reduced from DescribeServices,
//! DescribeServiceDeployments and Application Auto Scaling JSON to one report, and its text
//! form (the blocks ecspresso users know: Service, Cluster, TaskDefinition, Deployments,
//! AutoScaling, Events; ecspresso.md §1.9).
//!
//! Pure: the report is built from API-shaped JSON and formatted without I/O, so both the
//! `--output json` record and the text are table-tested.

use serde::Serialize;
use serde_json::Value;

use super::revision::short_name;

/// The whole `status` report (`--output json`: the `data` of one `status` record).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceStatus {
    /// Service name.
    pub service: String,
    /// Service ARN.
    pub service_arn: String,
    /// Cluster name (from the ARN), else as configured.
    pub cluster: String,
    /// ACTIVE | DRAINING.
    pub status: String,
    /// The service's task definition (`family:N`).
    pub task_definition: String,
    /// desiredCount.
    pub desired: i64,
    /// runningCount.
    pub running: i64,
    /// pendingCount.
    pub pending: i64,
    /// `launchType`, or the capacity provider strategy as `NAME(weight:W,base:B)` items.
    pub launch_type: String,
    /// ECS | CODE_DEPLOY | EXTERNAL.
    pub deployment_controller: String,
    /// `deployments[]` (ECS controller), newest first as ECS lists them.
    pub deployments: Vec<DeploymentLine>,
    /// The `currentServiceDeployment`, described; None when the service has none or the
    /// service-deployment API was not available (see `service_deployment_note`).
    pub service_deployment: Option<ServiceDeploymentSummary>,
    /// Why `service_deployment` is missing, when it is missing for a reason worth saying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_deployment_note: Option<String>,
    /// Application Auto Scaling; None = no scalable target.
    pub auto_scaling: Option<AutoScaling>,
    /// Why `auto_scaling` could not be read (access denied, ...), when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_note: Option<String>,
    /// The last N service events, oldest first.
    pub events: Vec<ServiceEvent>,
}

/// One `deployments[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentLine {
    /// `ecs-svc/...`.
    pub id: String,
    /// PRIMARY | ACTIVE | INACTIVE.
    pub status: String,
    /// `family:N`.
    pub task_definition: String,
    /// desiredCount.
    pub desired: i64,
    /// pendingCount.
    pub pending: i64,
    /// runningCount.
    pub running: i64,
    /// failedTasks.
    pub failed_tasks: i64,
    /// IN_PROGRESS | COMPLETED | FAILED (absent behind a Classic Load Balancer).
    pub rollout_state: Option<String>,
    /// rolloutStateReason.
    pub rollout_state_reason: Option<String>,
}

/// The current service deployment (DescribeServiceDeployments).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceDeploymentSummary {
    /// serviceDeploymentArn.
    pub arn: String,
    /// PENDING, IN_PROGRESS, SUCCESSFUL, ROLLBACK_SUCCESSFUL, ...
    pub status: String,
    /// statusReason.
    pub status_reason: Option<String>,
    /// `targetServiceRevision` counts: requested / running / pending.
    pub target: Option<RevisionCounts>,
    /// `sourceServiceRevisions[]` counts.
    pub sources: Vec<RevisionCounts>,
    /// `deploymentCircuitBreaker`: `status failureCount/threshold`.
    pub circuit_breaker: Option<String>,
    /// `alarms`: status and triggered alarm names.
    pub alarms: Option<String>,
}

/// Task counts of one service revision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionCounts {
    /// The service revision ARN.
    pub arn: String,
    /// requestedTaskCount.
    pub requested: i64,
    /// runningTaskCount.
    pub running: i64,
    /// pendingTaskCount.
    pub pending: i64,
}

/// The scalable target and its policies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutoScaling {
    /// MinCapacity.
    pub min: i64,
    /// MaxCapacity.
    pub max: i64,
    /// DynamicScalingInSuspended.
    pub suspended_in: bool,
    /// DynamicScalingOutSuspended.
    pub suspended_out: bool,
    /// ScheduledScalingSuspended.
    pub suspended_scheduled: bool,
    /// `(policyName, policyType)`.
    pub policies: Vec<(String, String)>,
}

/// One service event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceEvent {
    /// RFC 3339 (seconds, UTC).
    pub time: String,
    /// The message.
    pub message: String,
}

fn text(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_owned()
}

fn opt_text(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn int(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

/// Epoch seconds (awsJson1_1 timestamps) as RFC 3339 seconds.
pub fn epoch_to_rfc3339(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return String::new();
    }
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(secs);
    humantime::format_rfc3339_seconds(t).to_string()
}

fn launch_type(service: &Value) -> String {
    if let Some(lt) = opt_text(service, "launchType") {
        return lt;
    }
    service
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    format!(
                        "{}(weight:{},base:{})",
                        text(i, "capacityProvider"),
                        int(i, "weight"),
                        int(i, "base")
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// Reduce `deployments[]`.
pub fn deployment_lines(service: &Value) -> Vec<DeploymentLine> {
    service
        .get("deployments")
        .and_then(Value::as_array)
        .map(|ds| {
            ds.iter()
                .map(|d| DeploymentLine {
                    id: text(d, "id"),
                    status: text(d, "status"),
                    task_definition: short_name(&text(d, "taskDefinition")).to_owned(),
                    desired: int(d, "desiredCount"),
                    pending: int(d, "pendingCount"),
                    running: int(d, "runningCount"),
                    failed_tasks: int(d, "failedTasks"),
                    rollout_state: opt_text(d, "rolloutState"),
                    rollout_state_reason: opt_text(d, "rolloutStateReason"),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn revision_counts(r: &Value) -> RevisionCounts {
    RevisionCounts {
        arn: text(r, "arn"),
        requested: int(r, "requestedTaskCount"),
        running: int(r, "runningTaskCount"),
        pending: int(r, "pendingTaskCount"),
    }
}

/// Reduce one DescribeServiceDeployments entry.
pub fn service_deployment_summary(sd: &Value) -> ServiceDeploymentSummary {
    ServiceDeploymentSummary {
        arn: text(sd, "serviceDeploymentArn"),
        status: text(sd, "status"),
        status_reason: opt_text(sd, "statusReason"),
        target: sd.get("targetServiceRevision").map(revision_counts),
        sources: sd
            .get("sourceServiceRevisions")
            .and_then(Value::as_array)
            .map(|rs| rs.iter().map(revision_counts).collect())
            .unwrap_or_default(),
        circuit_breaker: sd.get("deploymentCircuitBreaker").map(|cb| {
            format!(
                "{} {}/{}",
                text(cb, "status"),
                int(cb, "failureCount"),
                int(cb, "threshold")
            )
        }),
        alarms: sd.get("alarms").map(|a| {
            let triggered: Vec<&str> = a
                .get("triggeredAlarmNames")
                .and_then(Value::as_array)
                .map(|n| n.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if triggered.is_empty() {
                text(a, "status")
            } else {
                format!("{} ({})", text(a, "status"), triggered.join(", "))
            }
        }),
    }
}

/// Reduce the [`crate::aws::autoscaling::AutoScalingApi::describe`] JSON.
pub fn auto_scaling(v: &Value) -> AutoScaling {
    let suspended = |k: &str| {
        v.pointer(&format!("/suspendedState/{k}"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    AutoScaling {
        min: int(v, "minCapacity"),
        max: int(v, "maxCapacity"),
        suspended_in: suspended("dynamicScalingInSuspended"),
        suspended_out: suspended("dynamicScalingOutSuspended"),
        suspended_scheduled: suspended("scheduledScalingSuspended"),
        policies: v
            .get("policies")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| (text(p, "policyName"), text(p, "policyType")))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The last `n` events, oldest first (DescribeServices lists them newest first).
pub fn last_events(service: &Value, n: usize) -> Vec<ServiceEvent> {
    let mut events: Vec<(f64, String)> = service
        .get("events")
        .and_then(Value::as_array)
        .map(|es| {
            es.iter()
                .map(|e| {
                    (
                        e.get("createdAt").and_then(Value::as_f64).unwrap_or(0.0),
                        text(e, "message"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // Newest first by time (stable for equal times), keep n, then oldest first.
    events.sort_by(|a, b| b.0.total_cmp(&a.0));
    events.truncate(n);
    events.reverse();
    events
        .into_iter()
        .map(|(t, message)| ServiceEvent {
            time: epoch_to_rfc3339(t),
            message,
        })
        .collect()
}

impl ServiceStatus {
    /// Build from DescribeServices output; the other parts are filled by the caller.
    pub fn from_service(service: &Value, cluster: &str, events: usize) -> Self {
        let cluster_arn = text(service, "clusterArn");
        ServiceStatus {
            service: text(service, "serviceName"),
            service_arn: text(service, "serviceArn"),
            cluster: cluster_arn
                .rsplit_once(":cluster/")
                .map_or_else(|| cluster.to_owned(), |(_, c)| c.to_owned()),
            status: text(service, "status"),
            task_definition: short_name(&text(service, "taskDefinition")).to_owned(),
            desired: int(service, "desiredCount"),
            running: int(service, "runningCount"),
            pending: int(service, "pendingCount"),
            launch_type: launch_type(service),
            deployment_controller: service
                .pointer("/deploymentController/type")
                .and_then(Value::as_str)
                .unwrap_or("ECS")
                .to_owned(),
            deployments: deployment_lines(service),
            service_deployment: None,
            service_deployment_note: None,
            auto_scaling: None,
            auto_scaling_note: None,
            events: last_events(service, events),
        }
    }

    /// The human form (ecspresso's blocks; deployment lines as
    /// `PRIMARY app:3 desired:1 pending:0 running:1 COMPLETED(reason)`).
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!("Service: {}", self.service));
        line(format!("Cluster: {}", self.cluster));
        line(format!("TaskDefinition: {}", self.task_definition));
        line(format!(
            "Status: {} desired:{} running:{} pending:{}",
            self.status, self.desired, self.running, self.pending
        ));
        if !self.launch_type.is_empty() {
            line(format!("LaunchType: {}", self.launch_type));
        }
        line(format!(
            "DeploymentController: {}",
            self.deployment_controller
        ));
        line("Deployments:".into());
        if self.deployments.is_empty() {
            line("   none".into());
        }
        for d in &self.deployments {
            let mut s = format!(
                "{:>10} {} desired:{} pending:{} running:{}",
                d.status, d.task_definition, d.desired, d.pending, d.running
            );
            if d.failed_tasks > 0 {
                s.push_str(&format!(" failed:{}", d.failed_tasks));
            }
            if let Some(state) = &d.rollout_state {
                s.push_str(&format!(
                    " {state}({})",
                    d.rollout_state_reason.as_deref().unwrap_or("")
                ));
            }
            line(s);
        }
        match (&self.service_deployment, &self.service_deployment_note) {
            (Some(sd), _) => {
                let id = sd.arn.rsplit('/').next().unwrap_or(&sd.arn);
                let mut s = format!("ServiceDeployment: {id} {}", sd.status);
                if let Some(r) = &sd.status_reason {
                    s.push_str(&format!(" ({r})"));
                }
                line(s);
                if let Some(t) = &sd.target {
                    line(format!(
                        "    TARGET requested:{} running:{} pending:{}",
                        t.requested, t.running, t.pending
                    ));
                }
                for src in &sd.sources {
                    line(format!(
                        "    SOURCE requested:{} running:{} pending:{}",
                        src.requested, src.running, src.pending
                    ));
                }
                if let Some(cb) = &sd.circuit_breaker {
                    line(format!("    CircuitBreaker: {cb}"));
                }
                if let Some(a) = &sd.alarms {
                    line(format!("    Alarms: {a}"));
                }
            }
            (None, Some(note)) => line(format!("ServiceDeployment: {note}")),
            (None, None) => {}
        }
        match (&self.auto_scaling, &self.auto_scaling_note) {
            (Some(a), _) => {
                line("AutoScaling:".into());
                line(format!("    Capacity min:{} max:{}", a.min, a.max));
                line(format!(
                    "    Suspended in:{} out:{} scheduled:{}",
                    a.suspended_in, a.suspended_out, a.suspended_scheduled
                ));
                for (name, kind) in &a.policies {
                    line(format!("    Policy name:{name} type:{kind}"));
                }
            }
            (None, Some(note)) => line(format!("AutoScaling: {note}")),
            (None, None) => line("AutoScaling: none".into()),
        }
        line("Events:".into());
        for e in &self.events {
            line(format!("{} {}", e.time, e.message));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service() -> Value {
        json!({
            "serviceName": "hello",
            "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/hello/hello",
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/hello",
            "status": "ACTIVE",
            "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/hello:3",
            "desiredCount": 2, "runningCount": 1, "pendingCount": 1,
            "launchType": "FARGATE",
            "deployments": [
                {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/hello:3",
                 "desiredCount": 2, "pendingCount": 1, "runningCount": 0, "failedTasks": 2,
                 "rolloutState": "IN_PROGRESS", "rolloutStateReason": "ECS deployment ecs-svc/2 in progress."},
                {"id": "ecs-svc/1", "status": "ACTIVE", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/hello:2",
                 "desiredCount": 1, "pendingCount": 0, "runningCount": 1, "failedTasks": 0,
                 "rolloutState": "COMPLETED", "rolloutStateReason": "ECS deployment ecs-svc/1 completed."}
            ],
            "events": [
                {"id": "3", "createdAt": 1_795_000_030.0, "message": "third"},
                {"id": "2", "createdAt": 1_795_000_020.0, "message": "second"},
                {"id": "1", "createdAt": 1_795_000_010.0, "message": "first"}
            ]
        })
    }

    #[test]
    fn report_and_text() {
        let mut s = ServiceStatus::from_service(&service(), "ignored", 2);
        assert_eq!(s.cluster, "hello", "cluster comes from the ARN");
        assert_eq!(s.task_definition, "hello:3");
        assert_eq!(
            s.events
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>(),
            ["second", "third"],
            "last two, oldest first"
        );
        s.service_deployment = Some(service_deployment_summary(&json!({
            "serviceDeploymentArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/hello/hello/abc",
            "status": "IN_PROGRESS",
            "targetServiceRevision": {"arn": "r2", "requestedTaskCount": 2, "runningTaskCount": 0, "pendingTaskCount": 1},
            "sourceServiceRevisions": [{"arn": "r1", "requestedTaskCount": 1, "runningTaskCount": 1, "pendingTaskCount": 0}],
            "deploymentCircuitBreaker": {"status": "MONITORING", "failureCount": 2, "threshold": 3},
            "alarms": {"status": "TRIGGERED", "triggeredAlarmNames": ["api-5xx"]}
        })));
        s.auto_scaling = Some(auto_scaling(&json!({
            "minCapacity": 1, "maxCapacity": 4,
            "suspendedState": {"dynamicScalingInSuspended": true, "dynamicScalingOutSuspended": false, "scheduledScalingSuspended": false},
            "policies": [{"policyName": "cpu", "policyType": "TargetTrackingScaling"}]
        })));
        assert_eq!(
            s.text(),
            "Service: hello\n\
             Cluster: hello\n\
             TaskDefinition: hello:3\n\
             Status: ACTIVE desired:2 running:1 pending:1\n\
             LaunchType: FARGATE\n\
             DeploymentController: ECS\n\
             Deployments:\n   \
             PRIMARY hello:3 desired:2 pending:1 running:0 failed:2 IN_PROGRESS(ECS deployment ecs-svc/2 in progress.)\n    \
             ACTIVE hello:2 desired:1 pending:0 running:1 COMPLETED(ECS deployment ecs-svc/1 completed.)\n\
             ServiceDeployment: abc IN_PROGRESS\n    \
             TARGET requested:2 running:0 pending:1\n    \
             SOURCE requested:1 running:1 pending:0\n    \
             CircuitBreaker: MONITORING 2/3\n    \
             Alarms: TRIGGERED (api-5xx)\n\
             AutoScaling:\n    \
             Capacity min:1 max:4\n    \
             Suspended in:true out:false scheduled:false\n    \
             Policy name:cpu type:TargetTrackingScaling\n\
             Events:\n\
             2026-11-18T11:07:00Z second\n\
             2026-11-18T11:07:10Z third\n"
        );
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["deployments"][0]["failed_tasks"], json!(2));
        assert_eq!(
            j["auto_scaling"]["policies"][0],
            json!(["cpu", "TargetTrackingScaling"])
        );
    }

    #[test]
    fn absent_parts() {
        let mut svc = service();
        svc["deployments"] = json!([]);
        svc.as_object_mut().unwrap().remove("launchType");
        svc["capacityProviderStrategy"] =
            json!([{"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}]);
        let mut s = ServiceStatus::from_service(&svc, "c", 10);
        s.service_deployment_note = Some("unavailable (AccessDeniedException)".into());
        let t = s.text();
        assert!(
            t.contains("LaunchType: FARGATE_SPOT(weight:3,base:0)\n"),
            "{t}"
        );
        assert!(t.contains("Deployments:\n   none\n"), "{t}");
        assert!(
            t.contains("ServiceDeployment: unavailable (AccessDeniedException)\n"),
            "{t}"
        );
        assert!(t.contains("AutoScaling: none\n"), "{t}");
        assert_eq!(s.events.len(), 3);
    }
}
