//! CodeDeploy blue/green decisions, pure: which deployment group deploys a service, what a
//! GetDeployment + GetDeploymentTarget pair means for the deployment we watch, and which
//! lifecycle-event changes to report.
//!
//! Facts encoded (ecs-platform-and-peers.md §7, ecspresso.md §5.3):
//! - a group deploys a service when its `ecsServices[]` names the service and cluster (names;
//!   users and AWS write either names or ARNs);
//! - `deploymentInfo.status` is one of Created, Queued, InProgress, Baking, Ready, Succeeded,
//!   Failed, Stopped; Ready waits for a manual reroute (ContinueDeployment READY_WAIT);
//! - a failed or stopped deployment that CodeDeploy rolls back names the rollback deployment in
//!   `rollbackInfo.rollbackDeploymentId`; the rollback's own success is what restores blue, so
//!   the verdict (3) waits for it, and a failed rollback is 4;
//! - lifecycle events run in the fixed order of [`CODEDEPLOY_EVENTS`], each Pending →
//!   InProgress → Succeeded | Failed | Skipped.

use serde::Serialize;
use serde_json::Value;

use crate::model::rollout::Outcome;
use crate::model::stages::{CODEDEPLOY_EVENTS, codedeploy_event_index};

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// The last `/`-separated part of an ARN (`arn:...:cluster/main` → `main`), or the name.
pub fn name_of(arn_or_name: &str) -> &str {
    arn_or_name.rsplit('/').next().unwrap_or(arn_or_name)
}

/// Whether a deployment group (`deploymentGroupInfo`) deploys `cluster`/`service`.
pub fn group_deploys(group: &Value, cluster: &str, service: &str) -> bool {
    group
        .get("ecsServices")
        .and_then(Value::as_array)
        .is_some_and(|l| {
            l.iter().any(|e| {
                let c = e.get("clusterName").and_then(Value::as_str).unwrap_or("");
                let sv = e.get("serviceName").and_then(Value::as_str).unwrap_or("");
                name_of(c) == name_of(cluster) && name_of(sv) == name_of(service)
            })
        })
}

/// Why discovery found no single group.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// No ECS application has a group for the service.
    #[error(
        "no CodeDeploy deployment group deploys service {service} in cluster {cluster} (searched {applications} ECS application(s)); set codedeploy.application_name and codedeploy.deployment_group_name in the config"
    )]
    NotFound {
        /// Cluster.
        cluster: String,
        /// Service.
        service: String,
        /// How many ECS applications were searched.
        applications: usize,
    },
    /// More than one.
    #[error(
        "several CodeDeploy deployment groups deploy service {service} in cluster {cluster}: {}; pin one with codedeploy.application_name and codedeploy.deployment_group_name in the config", found.join(", ")
    )]
    Ambiguous {
        /// Cluster.
        cluster: String,
        /// Service.
        service: String,
        /// `application/group` of each.
        found: Vec<String>,
    },
}

/// The one `(application, group)` among `groups` (`(application, deploymentGroupInfo)`) that
/// deploys `cluster`/`service`.
pub fn pick_group(
    groups: &[(String, Value)],
    cluster: &str,
    service: &str,
    applications: usize,
) -> Result<(String, Value), DiscoveryError> {
    let found: Vec<&(String, Value)> = groups
        .iter()
        .filter(|(_, g)| group_deploys(g, cluster, service))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(DiscoveryError::NotFound {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            applications,
        }),
        many => Err(DiscoveryError::Ambiguous {
            cluster: cluster.to_owned(),
            service: service.to_owned(),
            found: many
                .iter()
                .map(|(a, g)| {
                    format!(
                        "{a}/{}",
                        g.get("deploymentGroupName")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                    )
                })
                .collect(),
        }),
    }
}

/// What the watcher reads from GetDeployment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeploymentSnapshot {
    /// `d-...`.
    pub id: String,
    /// Created | Queued | InProgress | Baking | Ready | Succeeded | Failed | Stopped.
    pub status: String,
    /// `errorInformation.code`.
    pub error_code: Option<String>,
    /// `errorInformation.message`.
    pub error_message: Option<String>,
    /// `rollbackInfo.rollbackDeploymentId`: the deployment rolling this one back.
    pub rollback_deployment_id: Option<String>,
    /// `rollbackInfo.rollbackMessage`.
    pub rollback_message: Option<String>,
    /// `autoRollbackConfiguration.enabled` (CodeDeploy will create a rollback on failure).
    pub auto_rollback: bool,
    /// `instanceTerminationWaitTimeStarted`: traffic is on green; blue kept for the wait.
    pub termination_wait_started: bool,
}

impl DeploymentSnapshot {
    /// From a `deploymentInfo`.
    pub fn from_json(v: &Value) -> Self {
        DeploymentSnapshot {
            id: s(v, "deploymentId").unwrap_or_default(),
            status: s(v, "status").unwrap_or_default(),
            error_code: v.get("errorInformation").and_then(|e| s(e, "code")),
            error_message: v.get("errorInformation").and_then(|e| s(e, "message")),
            rollback_deployment_id: v
                .get("rollbackInfo")
                .and_then(|r| s(r, "rollbackDeploymentId")),
            rollback_message: v.get("rollbackInfo").and_then(|r| s(r, "rollbackMessage")),
            auto_rollback: v
                .pointer("/autoRollbackConfiguration/enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            termination_wait_started: v
                .get("instanceTerminationWaitTimeStarted")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    /// Succeeded, Failed or Stopped.
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "Succeeded" | "Failed" | "Stopped")
    }

    /// `CODE: message` from `errorInformation`, or the status.
    pub fn reason(&self) -> String {
        match (&self.error_code, &self.error_message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.clone(),
            (None, Some(m)) => m.clone(),
            (None, None) => format!("deployment {}", self.status),
        }
    }
}

/// One task set of the deployment target (`ecsTarget.taskSetsInfo[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskSetLine {
    /// Blue (original) or Green (replacement).
    pub label: String,
    /// PRIMARY | ACTIVE | DRAINING.
    pub status: String,
    /// Percent of production traffic.
    pub traffic_weight: f64,
    /// desiredCount.
    pub desired: i64,
    /// runningCount.
    pub running: i64,
    /// pendingCount.
    pub pending: i64,
}

/// What the watcher reads from GetDeploymentTarget (`deploymentTarget.ecsTarget`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetSnapshot {
    /// `(lifecycleEventName, status)` as returned.
    pub events: Vec<(String, String)>,
    /// `taskSetsInfo[]`.
    pub task_sets: Vec<TaskSetLine>,
    /// The latest `endTime` of a finished lifecycle event (epoch seconds): while the
    /// deployment is Ready, when its ready wait began.
    pub last_event_end: Option<f64>,
}

impl TargetSnapshot {
    /// From a `deploymentTarget` (or its `ecsTarget`).
    pub fn from_json(v: &Value) -> Self {
        let t = v.get("ecsTarget").unwrap_or(v);
        let events = t
            .get("lifecycleEvents")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .map(|e| {
                        (
                            s(e, "lifecycleEventName").unwrap_or_default(),
                            s(e, "status").unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let task_sets = t
            .get("taskSetsInfo")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .map(|ts| TaskSetLine {
                        label: s(ts, "taskSetLabel").unwrap_or_default(),
                        status: s(ts, "status").unwrap_or_default(),
                        traffic_weight: ts
                            .get("trafficWeight")
                            .and_then(Value::as_f64)
                            .unwrap_or(0.0),
                        desired: ts.get("desiredCount").and_then(Value::as_i64).unwrap_or(0),
                        running: ts.get("runningCount").and_then(Value::as_i64).unwrap_or(0),
                        pending: ts.get("pendingCount").and_then(Value::as_i64).unwrap_or(0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let last_event_end = t
            .get("lifecycleEvents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| crate::model::rollout::timestamp(e.get("endTime")))
            .reduce(f64::max);
        TargetSnapshot {
            events,
            task_sets,
            last_event_end,
        }
    }

    /// The status of lifecycle event `name`, if the target lists it.
    pub fn event_status(&self, name: &str) -> Option<&str> {
        self.events
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, st)| st.as_str())
    }

    /// The replacement (Green) task set.
    pub fn green(&self) -> Option<&TaskSetLine> {
        self.task_sets.iter().find(|t| t.label == "Green")
    }
}

/// Lifecycle events whose status differs from `before`, in execution order
/// ([`CODEDEPLOY_EVENTS`]; names CodeDeploy adds later come last, in the order returned).
pub fn lifecycle_changes(before: &TargetSnapshot, now: &TargetSnapshot) -> Vec<(String, String)> {
    let mut changed: Vec<(String, String)> = now
        .events
        .iter()
        // A first sight of Pending is no news: every event starts there.
        .filter(|(n, st)| match before.event_status(n) {
            None => st != "Pending",
            Some(b) => b != st,
        })
        .cloned()
        .collect();
    changed.sort_by_key(|(n, _)| codedeploy_event_index(n).unwrap_or(CODEDEPLOY_EVENTS.len()));
    changed
}

/// What `--wait-until` asks of a CodeDeploy deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Succeeded.
    Deployed,
    /// Succeeded, then one PRIMARY task set in STEADY_STATE (checked by the caller).
    Stable,
    /// Ready (waiting for the reroute): 0 there.
    Paused,
    /// This lifecycle event ended Succeeded or Skipped.
    Event(&'static str),
}

/// Where the deployment stands for `goal`.
#[derive(Debug, Clone, PartialEq)]
pub enum CdAssessment {
    /// Still moving.
    Running,
    /// Status Ready: waiting for ContinueDeployment(READY_WAIT).
    Ready,
    /// Failed or stopped and CodeDeploy is rolling it back with this deployment: follow it.
    RollingBack {
        /// The rollback deployment id.
        rollback_id: String,
        /// Why ours failed.
        reason: String,
    },
    /// Failed with auto-rollback enabled but no rollback deployment named yet.
    AwaitingRollback(String),
    /// Our goal is reached, or the deployment ended.
    Finished {
        /// How.
        outcome: Outcome,
        /// Why.
        reason: String,
    },
    /// `codedeploy:<Event>` cannot be reached: the deployment ended without it (an error, as
    /// in ecspresso §5.3).
    EventMissing(String),
}

/// The verdict can come within seconds (the poll cadence stays fast): Created/Queued, the
/// termination wait, or InProgress once Install succeeded — the replacement task set is
/// stable, and the remaining lifecycle events take seconds unless a hook or the Ready wait
/// holds them (Ready is not imminent: it waits for `ecspress continue` or its timeout).
/// Install is still running but the replacement task set runs its desired count: it is
/// waiting for health checks, and the rest of the lifecycle follows within seconds of them
/// (the cadence polls at least every few seconds).
pub fn install_settling(d: &DeploymentSnapshot, t: Option<&TargetSnapshot>) -> bool {
    d.status == "InProgress"
        && t.is_some_and(|t| {
            t.events
                .iter()
                .any(|(name, status)| name == "Install" && status == "InProgress")
                && t.green()
                    .is_some_and(|g| g.desired > 0 && g.running >= g.desired)
        })
}

pub fn finish_imminent(d: &DeploymentSnapshot, t: Option<&TargetSnapshot>) -> bool {
    match d.status.as_str() {
        "Created" | "Queued" => true,
        "InProgress" => {
            d.termination_wait_started
                || t.is_some_and(|t| {
                    t.events
                        .iter()
                        .any(|(name, status)| name == "Install" && status == "Succeeded")
                })
        }
        _ => false,
    }
}

/// The verdict rules (see the module docs) for our deployment `d` and its target `t`.
pub fn assess(d: &DeploymentSnapshot, t: Option<&TargetSnapshot>, goal: Goal) -> CdAssessment {
    if let Goal::Event(event) = goal {
        // Events of a failed or stopped deployment are Skipped too: that is no success.
        let failed = matches!(d.status.as_str(), "Failed" | "Stopped");
        match t.and_then(|t| t.event_status(event)) {
            Some(st @ "Succeeded") | Some(st @ "Skipped") if st == "Succeeded" || !failed => {
                return CdAssessment::Finished {
                    outcome: Outcome::Succeeded,
                    reason: format!("passed lifecycle event {event} ({st})"),
                };
            }
            None if d.status == "Succeeded" => {
                return CdAssessment::EventMissing(format!(
                    "deployment {} succeeded without lifecycle event {event}",
                    d.id
                ));
            }
            _ => {}
        }
    }
    match d.status.as_str() {
        "Succeeded" => CdAssessment::Finished {
            outcome: Outcome::Succeeded,
            reason: String::new(),
        },
        "Ready" if goal == Goal::Paused => CdAssessment::Finished {
            outcome: Outcome::Succeeded,
            reason: "is Ready: waiting for `ecspress continue` to reroute traffic".into(),
        },
        "Ready" => CdAssessment::Ready,
        "Failed" | "Stopped" => match &d.rollback_deployment_id {
            Some(id) => CdAssessment::RollingBack {
                rollback_id: id.clone(),
                reason: d.reason(),
            },
            None if d.status == "Failed" && d.auto_rollback => {
                CdAssessment::AwaitingRollback(d.reason())
            }
            None => CdAssessment::Finished {
                outcome: Outcome::Stopped,
                reason: d.reason(),
            },
        },
        _ => CdAssessment::Running,
    }
}

/// The verdict once the rollback deployment `r` of a failed deployment (failed for
/// `reason`) is terminal: Succeeded → rolled back (3), otherwise the rollback failed (4).
pub fn assess_rollback(r: &DeploymentSnapshot, reason: &str) -> Option<(Outcome, String)> {
    match r.status.as_str() {
        "Succeeded" => Some((
            Outcome::RolledBack,
            format!("{reason} (rollback deployment {} succeeded)", r.id),
        )),
        "Failed" | "Stopped" => Some((
            Outcome::RollbackFailed,
            format!(
                "{reason}; rollback deployment {} {}: {}",
                r.id,
                r.status,
                r.reason()
            ),
        )),
        _ => None,
    }
}

/// When a Ready wait that began at `since` (epoch seconds) ends by itself, given the group's
/// `deploymentReadyOption.waitTimeInMinutes`.
pub fn ready_expires_at(since: Option<f64>, wait_minutes: Option<i64>) -> Option<f64> {
    Some(since? + wait_minutes? as f64 * 60.0)
}

/// Whether the ECS service (DescribeServices) has a single PRIMARY task set in STEADY_STATE:
/// `--wait-until stable` for a CODE_DEPLOY service (blue removed, green settled).
pub fn task_sets_stable(service: &Value) -> bool {
    match service.get("taskSets").and_then(Value::as_array) {
        Some(sets) => {
            sets.len() == 1
                && sets[0].get("status").and_then(Value::as_str) == Some("PRIMARY")
                && sets[0].get("stabilityStatus").and_then(Value::as_str) == Some("STEADY_STATE")
        }
        None => false,
    }
}

/// Validate `--rollback-events` values (comma list; AWS's three auto-rollback events).
pub fn parse_rollback_events(list: &str) -> Result<Vec<String>, String> {
    const EVENTS: [&str; 3] = [
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
        "DEPLOYMENT_STOP_ON_REQUEST",
    ];
    let mut out: Vec<String> = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let e = EVENTS
            .iter()
            .find(|e| e.eq_ignore_ascii_case(part))
            .ok_or_else(|| {
                format!(
                    "--rollback-events: {part:?} is not one of {}",
                    EVENTS.join(", ")
                )
            })?;
        if !out.iter().any(|o| o == e) {
            out.push((*e).to_owned());
        }
    }
    if out.is_empty() {
        return Err("--rollback-events: expected at least one event".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn group(app_cluster: &str, svc: &str, name: &str) -> Value {
        json!({"deploymentGroupName": name, "ecsServices": [{"clusterName": app_cluster, "serviceName": svc}]})
    }

    #[test]
    fn discovery_matching_table() {
        let groups = vec![
            ("app".to_owned(), group("main", "web", "dg-web")),
            (
                "app".to_owned(),
                group("arn:aws:ecs:us-east-1:1:cluster/main", "api", "dg-api"),
            ),
            ("other".to_owned(), group("staging", "web", "dg-staging")),
        ];
        for (cluster, service, want) in [
            ("main", "web", Ok("dg-web")),
            ("arn:aws:ecs:us-east-1:1:cluster/main", "web", Ok("dg-web")),
            ("main", "api", Ok("dg-api")),
            (
                "main",
                "arn:aws:ecs:us-east-1:1:service/main/api",
                Ok("dg-api"),
            ),
            ("staging", "web", Ok("dg-staging")),
            ("main", "worker", Err("no CodeDeploy deployment group")),
        ] {
            let got = pick_group(&groups, cluster, service, 2);
            match (got, want) {
                (Ok((_, g)), Ok(name)) => assert_eq!(g["deploymentGroupName"], name),
                (Err(e), Err(msg)) => assert!(e.to_string().contains(msg), "{e}"),
                (got, want) => panic!("{cluster}/{service}: {got:?} vs {want:?}"),
            }
        }
        let twice = vec![
            ("a".to_owned(), group("main", "web", "g1")),
            ("b".to_owned(), group("main", "web", "g2")),
        ];
        let e = pick_group(&twice, "main", "web", 2).unwrap_err();
        assert!(e.to_string().contains("a/g1, b/g2"), "{e}");
    }

    fn dep(status: &str, extra: Value) -> DeploymentSnapshot {
        let mut v = json!({"deploymentId": "d-1", "status": status});
        if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
            m.extend(e);
        }
        DeploymentSnapshot::from_json(&v)
    }

    fn target(codes: &str) -> TargetSnapshot {
        let events: Vec<Value> = CODEDEPLOY_EVENTS
            .iter()
            .zip(codes.chars())
            .map(|(n, c)| {
                let st = match c {
                    'S' => "Succeeded",
                    'I' => "InProgress",
                    'F' => "Failed",
                    'K' => "Skipped",
                    _ => "Pending",
                };
                json!({"lifecycleEventName": n, "status": st})
            })
            .collect();
        TargetSnapshot::from_json(&json!({"ecsTarget": {"lifecycleEvents": events}}))
    }

    /// What keeps the adaptive poll cadence fast (issue #9).
    #[test]
    fn finish_imminent_table() {
        let waiting = json!({"instanceTerminationWaitTimeStarted": true});
        let cases = [
            ("created", dep("Created", json!({})), None, true),
            ("queued", dep("Queued", json!({})), None, true),
            (
                "installing",
                dep("InProgress", json!({})),
                Some(target("SI")),
                false,
            ),
            (
                "installed",
                dep("InProgress", json!({})),
                Some(target("SSI")),
                true,
            ),
            (
                "target not read yet",
                dep("InProgress", json!({})),
                None,
                false,
            ),
            (
                "termination wait",
                dep("InProgress", waiting),
                Some(target("SSSSSSSS")),
                true,
            ),
            (
                "ready: waits for a person",
                dep("Ready", json!({})),
                Some(target("SSSSS")),
                false,
            ),
            (
                "succeeded",
                dep("Succeeded", json!({})),
                Some(target("SSSSSSSS")),
                false,
            ),
        ];
        for (name, d, t, want) in cases {
            assert_eq!(finish_imminent(&d, t.as_ref()), want, "{name}");
        }
        let green = |running: i64| {
            let mut t = target("SI");
            t.task_sets = vec![TaskSetLine {
                label: "Green".into(),
                status: "ACTIVE".into(),
                traffic_weight: 0.0,
                desired: 2,
                running,
                pending: 2 - running,
            }];
            t
        };
        let d = dep("InProgress", json!({}));
        assert!(
            !install_settling(&d, Some(&green(1))),
            "tasks still starting"
        );
        assert!(
            install_settling(&d, Some(&green(2))),
            "health checks pending"
        );
        assert!(!install_settling(&d, Some(&target("SSI"))), "Install done");
        assert!(!install_settling(&d, None));
    }

    #[test]
    fn assessment_table() {
        use CdAssessment as A;
        let err =
            json!({"errorInformation": {"code": "HEALTH_CONSTRAINTS", "message": "unhealthy"}});
        let fin = |o, r: &str| A::Finished {
            outcome: o,
            reason: r.to_owned(),
        };
        let cases: Vec<(DeploymentSnapshot, &str, Goal, A)> = vec![
            (dep("Created", json!({})), "", Goal::Deployed, A::Running),
            (
                dep("InProgress", json!({})),
                "SI......",
                Goal::Deployed,
                A::Running,
            ),
            (
                dep("Succeeded", json!({})),
                "SSSSSSSS",
                Goal::Deployed,
                fin(Outcome::Succeeded, ""),
            ),
            (
                dep("Ready", json!({})),
                "SSSSS...",
                Goal::Deployed,
                A::Ready,
            ),
            (
                dep("Ready", json!({})),
                "SSSSS...",
                Goal::Paused,
                fin(
                    Outcome::Succeeded,
                    "is Ready: waiting for `ecspress continue` to reroute traffic",
                ),
            ),
            (
                dep(
                    "Failed",
                    json!({"errorInformation": {"code": "HEALTH_CONSTRAINTS", "message": "unhealthy"}, "rollbackInfo": {"rollbackDeploymentId": "d-2"}}),
                ),
                "SFKKKKKK",
                Goal::Deployed,
                A::RollingBack {
                    rollback_id: "d-2".into(),
                    reason: "HEALTH_CONSTRAINTS: unhealthy".into(),
                },
            ),
            (
                dep("Failed", err.clone()),
                "SFKKKKKK",
                Goal::Deployed,
                fin(Outcome::Stopped, "HEALTH_CONSTRAINTS: unhealthy"),
            ),
            (
                dep(
                    "Failed",
                    json!({"errorInformation": {"code": "X"}, "autoRollbackConfiguration": {"enabled": true}}),
                ),
                "SF",
                Goal::Deployed,
                A::AwaitingRollback("X".into()),
            ),
            (
                dep("Stopped", json!({})),
                "SSSSSKKK",
                Goal::Deployed,
                fin(Outcome::Stopped, "deployment Stopped"),
            ),
            // codedeploy:<Event>
            (
                dep("InProgress", json!({})),
                "SSSI....",
                Goal::Event("AllowTestTraffic"),
                A::Running,
            ),
            (
                dep("InProgress", json!({})),
                "SSSSI...",
                Goal::Event("AllowTestTraffic"),
                fin(
                    Outcome::Succeeded,
                    "passed lifecycle event AllowTestTraffic (Succeeded)",
                ),
            ),
            (
                dep("Ready", json!({})),
                "SSSSS...",
                Goal::Event("AllowTraffic"),
                A::Ready,
            ),
            (
                dep("Succeeded", json!({})),
                "",
                Goal::Event("AllowTraffic"),
                A::EventMissing(
                    "deployment d-1 succeeded without lifecycle event AllowTraffic".into(),
                ),
            ),
            (
                dep("Failed", err),
                "SFKKKKKK",
                Goal::Event("AllowTraffic"),
                fin(Outcome::Stopped, "HEALTH_CONSTRAINTS: unhealthy"),
            ),
            (
                dep("InProgress", json!({})),
                "SSSSSK..",
                Goal::Event("AllowTestTraffic"),
                fin(
                    Outcome::Succeeded,
                    "passed lifecycle event AllowTestTraffic (Succeeded)",
                ),
            ),
        ];
        for (d, codes, goal, want) in cases {
            let t = target(codes);
            assert_eq!(
                assess(&d, Some(&t), goal),
                want,
                "{} {codes} {goal:?}",
                d.status
            );
        }
    }

    #[test]
    fn rollback_verdicts() {
        let r = |st: &str| dep(st, json!({"deploymentId": "d-2"}));
        assert_eq!(
            assess_rollback(&r("Succeeded"), "E").map(|x| x.0),
            Some(Outcome::RolledBack)
        );
        assert_eq!(
            assess_rollback(&r("Failed"), "E").map(|x| x.0),
            Some(Outcome::RollbackFailed)
        );
        assert_eq!(assess_rollback(&r("InProgress"), "E"), None);
    }

    #[test]
    fn lifecycle_changes_come_in_execution_order() {
        let before = target("SI......");
        // A response listing events out of order still reports them in execution order.
        let mut now = target("SSSI....");
        now.events.reverse();
        assert_eq!(
            lifecycle_changes(&before, &now),
            [
                ("Install".to_owned(), "Succeeded".to_owned()),
                ("AfterInstall".to_owned(), "Succeeded".to_owned()),
                ("AllowTestTraffic".to_owned(), "InProgress".to_owned()),
            ]
        );
        assert!(lifecycle_changes(&now, &now).is_empty());
        // First sight: Pending events are not reported.
        assert_eq!(
            lifecycle_changes(&TargetSnapshot::default(), &target("SI......")),
            [
                ("BeforeInstall".to_owned(), "Succeeded".to_owned()),
                ("Install".to_owned(), "InProgress".to_owned()),
            ]
        );
    }

    #[test]
    fn ready_wait_expiry() {
        let t = TargetSnapshot::from_json(&json!({"ecsTarget": {"lifecycleEvents": [
            {"lifecycleEventName": "BeforeInstall", "status": "Succeeded", "endTime": 100.0},
            {"lifecycleEventName": "AfterAllowTestTraffic", "status": "Succeeded", "endTime": 160.5},
            {"lifecycleEventName": "BeforeAllowTraffic", "status": "Pending"},
        ]}}));
        assert_eq!(t.last_event_end, Some(160.5));
        assert_eq!(ready_expires_at(t.last_event_end, Some(30)), Some(1960.5));
        assert_eq!(ready_expires_at(t.last_event_end, None), None);
        assert_eq!(ready_expires_at(None, Some(30)), None);
    }

    #[test]
    fn stable_task_sets_and_rollback_events() {
        assert!(task_sets_stable(
            &json!({"taskSets": [{"status": "PRIMARY", "stabilityStatus": "STEADY_STATE"}]})
        ));
        assert!(!task_sets_stable(&json!({"taskSets": [
            {"status": "PRIMARY", "stabilityStatus": "STEADY_STATE"},
            {"status": "DRAINING", "stabilityStatus": "STABILIZING"}
        ]})));
        assert!(!task_sets_stable(
            &json!({"taskSets": [{"status": "PRIMARY", "stabilityStatus": "STABILIZING"}]})
        ));
        assert_eq!(
            parse_rollback_events(
                "deployment_failure, DEPLOYMENT_STOP_ON_ALARM,DEPLOYMENT_FAILURE"
            ),
            Ok(vec![
                "DEPLOYMENT_FAILURE".to_owned(),
                "DEPLOYMENT_STOP_ON_ALARM".to_owned()
            ])
        );
        assert!(parse_rollback_events("ON_FAILURE").is_err());
        assert!(parse_rollback_events(" , ").is_err());
    }
}
