use super::*;
use serde_json::json;

const TD3: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";
const TD4: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4";

fn line(id: &str, status: &str, td: &str, rollout: Option<&str>) -> DeploymentLine {
    DeploymentLine {
        id: id.into(),
        status: status.into(),
        task_definition: td.into(),
        desired: 2,
        pending: 0,
        running: 2,
        failed_tasks: 0,
        rollout_state: rollout.map(str::to_owned),
        rollout_state_reason: rollout.map(|r| format!("reason {r}")),
        created_at: None,
    }
}

fn at(mut l: DeploymentLine, created_at: f64) -> DeploymentLine {
    l.created_at = Some(created_at);
    l
}

fn svc(deployments: Vec<DeploymentLine>, rollback_configured: bool) -> ServiceSnapshot {
    ServiceSnapshot {
        status: "ACTIVE".into(),
        desired: 2,
        running: 2,
        pending: 0,
        task_definition: TD4.into(),
        deployments,
        current_service_deployment: None,
        events: vec![],
        rollback_configured,
        controller: "ECS".into(),
        strategy: "ROLLING".into(),
    }
}

fn sd(status: &str, reason: Option<&str>) -> ServiceDeploymentSnapshot {
    ServiceDeploymentSnapshot {
        arn: "arn:sd/ours".into(),
        status: status.into(),
        status_reason: reason.map(str::to_owned),
        ..ServiceDeploymentSnapshot::default()
    }
}

fn outcome(a: &Assessment) -> Option<Outcome> {
    match a {
        Assessment::Running(_) => None,
        Assessment::Finished { outcome, .. } => Some(*outcome),
    }
}

/// Service-deployment statuses (ecs-platform-and-peers.md §6.5) → verdicts.
#[test]
fn service_deployment_verdicts() {
    use Outcome::*;
    // (status, statusReason, the service's currentServiceDeployment, verdict)
    type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<Outcome>);
    let cases: &[Case] = &[
        ("PENDING", None, Some("arn:sd/ours"), None),
        ("IN_PROGRESS", None, Some("arn:sd/ours"), None),
        ("STOP_REQUESTED", None, Some("arn:sd/ours"), None),
        ("ROLLBACK_REQUESTED", None, Some("arn:sd/ours"), None),
        ("ROLLBACK_IN_PROGRESS", None, Some("arn:sd/ours"), None),
        ("", None, None, None),
        ("SUCCESSFUL", None, Some("arn:sd/ours"), Some(Succeeded)),
        // Success stays success even if another deployment started since.
        ("SUCCESSFUL", None, Some("arn:sd/newer"), Some(Succeeded)),
        (
            "ROLLBACK_SUCCESSFUL",
            None,
            Some("arn:sd/ours"),
            Some(RolledBack),
        ),
        (
            "ROLLBACK_FAILED",
            None,
            Some("arn:sd/ours"),
            Some(RollbackFailed),
        ),
        // Stopped (ABORT, circuit breaker without rollback) while still current.
        (
            "STOPPED",
            Some("stopped by request"),
            Some("arn:sd/ours"),
            Some(Stopped),
        ),
        ("STOPPED", None, None, Some(Stopped)),
        // A newer deployment is current: ours was superseded.
        ("STOPPED", None, Some("arn:sd/newer"), Some(Superseded)),
        (
            "STOPPED",
            Some("The service deployment was superseded by a newer service deployment (x)."),
            None,
            Some(Superseded),
        ),
    ];
    for (status, reason, current, want) in cases {
        let got = assess_service_deployment(&sd(status, *reason), *current);
        assert_eq!(
            outcome(&got),
            *want,
            "{status} {reason:?} {current:?}: {got:?}"
        );
    }
    // The verdict names the deployment that took over, once.
    for (reason, want) in [
        (
            None,
            "a newer service deployment replaced it; service deployment arn:sd/newer took over",
        ),
        (
            Some("superseded by a newer service deployment (arn:sd/newer)."),
            "superseded by a newer service deployment (arn:sd/newer).",
        ),
    ] {
        assert_eq!(
            assess_service_deployment(&sd("STOPPED", reason), Some("arn:sd/newer")),
            Assessment::Finished {
                outcome: Superseded,
                reason: want.into()
            }
        );
    }
    let rolled = ServiceDeploymentSnapshot {
        rollback_reason: Some("ECS deployment circuit breaker: tasks failed to start.".into()),
        ..sd("ROLLBACK_SUCCESSFUL", Some("other"))
    };
    assert_eq!(
        assess_service_deployment(&rolled, None),
        Assessment::Finished {
            outcome: RolledBack,
            reason: "ECS deployment circuit breaker: tasks failed to start.".into()
        },
        "the rollback reason says why"
    );
}

/// Outcomes → the documented exit codes (README "Exit codes").
#[test]
fn outcomes_map_to_exit_codes() {
    for (o, code) in [
        (Outcome::Succeeded, 0),
        (Outcome::RolledBack, 3),
        (Outcome::Stopped, 4),
        (Outcome::RollbackFailed, 4),
        (Outcome::TimedOut, 5),
        (Outcome::Superseded, 6),
        (Outcome::Interrupted, 130),
    ] {
        assert_eq!(o.exit_status().code(), code, "{o:?}");
        let v = verdict(o, "ecs-svc/1 (web:4)", "why");
        assert_eq!(v.exit_code, code);
        assert_eq!(v.status, o.exit_status());
        let resumable = matches!(o, Outcome::TimedOut | Outcome::Interrupted);
        assert_eq!(
            v.hint
                .as_deref()
                .is_some_and(|h| h.contains("ecspress wait")),
            resumable,
            "{o:?}: {v:?}"
        );
        assert!(v.message.contains("ecs-svc/1 (web:4)"), "{v:?}");
    }
}

/// `deployments[]` + `rolloutState` fallback (§6.1, §6.2, §6.13 step 5).
#[test]
fn fallback_verdicts() {
    use Outcome::*;
    let grace = ROLLBACK_GRACE;
    let zero = Duration::ZERO;
    let ours = |status: &str, td: &str, r: Option<&str>| line("ecs-svc/ours", status, td, r);
    let other = |td: &str, r: Option<&str>| line("ecs-svc/new", "PRIMARY", td, r);
    #[allow(clippy::type_complexity)]
    let cases: Vec<(
        &str,
        ServiceSnapshot,
        Option<DeploymentLine>,
        Duration,
        Option<Outcome>,
    )> = vec![
        (
            "primary completed",
            svc(vec![ours("PRIMARY", TD4, Some("COMPLETED"))], false),
            None,
            zero,
            Some(Succeeded),
        ),
        (
            "primary in progress",
            svc(
                vec![
                    ours("PRIMARY", TD4, Some("IN_PROGRESS")),
                    line("ecs-svc/old", "ACTIVE", TD3, Some("COMPLETED")),
                ],
                true,
            ),
            None,
            zero,
            None,
        ),
        (
            "failed, rollback configured, ECS has not started it yet",
            svc(vec![ours("PRIMARY", TD4, Some("FAILED"))], true),
            None,
            zero,
            None,
        ),
        (
            "failed, rollback configured, none came within the grace period",
            svc(vec![ours("PRIMARY", TD4, Some("FAILED"))], true),
            None,
            grace,
            Some(Stopped),
        ),
        (
            "failed without rollback configured (ABORT, breaker without rollback)",
            svc(vec![ours("PRIMARY", TD4, Some("FAILED"))], false),
            None,
            zero,
            Some(Stopped),
        ),
        (
            "circuit breaker rollback under way",
            svc(
                vec![
                    other(TD3, Some("IN_PROGRESS")),
                    ours("ACTIVE", TD4, Some("FAILED")),
                ],
                true,
            ),
            None,
            zero,
            None,
        ),
        (
            "circuit breaker rollback completed",
            svc(
                vec![
                    other(TD3, Some("COMPLETED")),
                    ours("ACTIVE", TD4, Some("FAILED")),
                ],
                true,
            ),
            None,
            zero,
            Some(RolledBack),
        ),
        (
            "rollback failed too",
            svc(
                vec![
                    other(TD3, Some("FAILED")),
                    ours("ACTIVE", TD4, Some("FAILED")),
                ],
                true,
            ),
            None,
            zero,
            Some(RollbackFailed),
        ),
        (
            "failed, then a new deployment of the same revision (not a rollback)",
            svc(
                vec![
                    other(TD4, Some("IN_PROGRESS")),
                    ours("ACTIVE", TD4, Some("FAILED")),
                ],
                true,
            ),
            None,
            zero,
            Some(Superseded),
        ),
        (
            "a newer deployment took over while ours ran",
            svc(
                vec![
                    other(TD3, Some("IN_PROGRESS")),
                    ours("ACTIVE", TD4, Some("IN_PROGRESS")),
                ],
                true,
            ),
            None,
            zero,
            Some(Superseded),
        ),
        (
            "ours drained away after failing; rollback done",
            svc(vec![other(TD3, Some("COMPLETED"))], true),
            Some(ours("ACTIVE", TD4, Some("FAILED"))),
            zero,
            Some(RolledBack),
        ),
        (
            "ours drained away while in progress",
            svc(vec![other(TD3, Some("IN_PROGRESS"))], true),
            Some(ours("PRIMARY", TD4, Some("IN_PROGRESS"))),
            zero,
            Some(Superseded),
        ),
        (
            "ours vanished in progress; the older deployment is back: a rollback between polls",
            svc(vec![at(other(TD3, Some("COMPLETED")), 100.0)], true),
            Some(at(ours("PRIMARY", TD4, Some("IN_PROGRESS")), 200.0)),
            zero,
            Some(RolledBack),
        ),
        (
            "ours vanished in progress; the older deployment is back but failing",
            svc(vec![at(other(TD3, Some("FAILED")), 100.0)], true),
            Some(at(ours("PRIMARY", TD4, Some("IN_PROGRESS")), 200.0)),
            zero,
            Some(RollbackFailed),
        ),
        (
            "ours vanished in progress; the older deployment is still scaling back up",
            svc(vec![at(other(TD3, Some("IN_PROGRESS")), 100.0)], true),
            Some(at(ours("PRIMARY", TD4, Some("IN_PROGRESS")), 200.0)),
            zero,
            None,
        ),
        (
            "ours vanished in progress; a newer deployment took over",
            svc(vec![at(other(TD3, Some("IN_PROGRESS")), 300.0)], true),
            Some(at(ours("PRIMARY", TD4, Some("IN_PROGRESS")), 200.0)),
            zero,
            Some(Superseded),
        ),
        (
            "ours vanished; an older deployment of the same revision is not a rollback",
            svc(vec![at(other(TD4, Some("COMPLETED")), 100.0)], true),
            Some(at(ours("PRIMARY", TD4, Some("IN_PROGRESS")), 200.0)),
            zero,
            Some(Superseded),
        ),
        (
            "ours completed, then someone deployed again",
            svc(
                vec![
                    other(TD3, Some("IN_PROGRESS")),
                    ours("ACTIVE", TD4, Some("COMPLETED")),
                ],
                true,
            ),
            None,
            zero,
            Some(Succeeded),
        ),
        (
            "never seen",
            svc(vec![other(TD3, Some("COMPLETED"))], true),
            None,
            zero,
            Some(Stopped),
        ),
        (
            "classic load balancer: no rolloutState, steady",
            svc(vec![ours("PRIMARY", TD4, None)], false),
            None,
            zero,
            Some(Succeeded),
        ),
        (
            "classic load balancer: no rolloutState, old deployment still draining",
            svc(
                vec![
                    ours("PRIMARY", TD4, None),
                    line("ecs-svc/old", "ACTIVE", TD3, None),
                ],
                false,
            ),
            None,
            zero,
            None,
        ),
    ];
    for (name, s, last_seen, failed_for, want) in cases {
        let got = assess_deployments(&s, "ecs-svc/ours", last_seen.as_ref(), failed_for);
        assert_eq!(outcome(&got), want, "{name}: {got:?}");
    }
    let rolled = assess_deployments(
        &svc(
            vec![
                other(TD3, Some("COMPLETED")),
                ours("ACTIVE", TD4, Some("FAILED")),
            ],
            true,
        ),
        "ecs-svc/ours",
        None,
        zero,
    );
    let Assessment::Finished { reason, .. } = rolled else {
        panic!("{rolled:?}")
    };
    assert_eq!(reason, "reason FAILED (rolled back to web:3)");
}

/// ecspresso's "confirm PRIMARY" (ecspresso.md §5.1), compared as `family:revision`.
#[test]
fn primary_must_run_what_we_deployed() {
    let s = svc(
        vec![
            line("a", "PRIMARY", TD3, Some("COMPLETED")),
            line("b", "ACTIVE", TD4, Some("FAILED")),
        ],
        true,
    );
    assert_eq!(confirm_primary(&s, TD3), Ok(()));
    assert_eq!(confirm_primary(&s, "web:3"), Ok(()));
    assert_eq!(
        confirm_primary(&s, TD4),
        Err("the PRIMARY deployment runs web:3, not web:4".into())
    );
    // No deployments[] (should not happen for ECS): the service's own task definition.
    let bare = svc(vec![], false);
    assert_eq!(confirm_primary(&bare, "web:4"), Ok(()));
    assert_eq!(task_definition_name(TD4), "web:4");
    assert_eq!(task_definition_name("web:4"), "web:4");
}

/// `--wait-until stable`: the ServicesStable waiter rule.
#[test]
fn stable_rule() {
    let one = svc(vec![line("a", "PRIMARY", TD4, Some("COMPLETED"))], false);
    assert!(is_stable(&one));
    let two = svc(
        vec![
            line("a", "PRIMARY", TD4, Some("COMPLETED")),
            line("b", "ACTIVE", TD3, Some("COMPLETED")),
        ],
        false,
    );
    assert!(!is_stable(&two), "another deployment is left");
    let short = ServiceSnapshot {
        running: 1,
        ..one.clone()
    };
    assert!(!is_stable(&short), "running < desired");
    let draining = ServiceSnapshot {
        status: "DRAINING".into(),
        ..one
    };
    assert!(!is_stable(&draining));
}

#[test]
fn parses_the_describe_services_shape() {
    let v = json!({
        "status": "ACTIVE", "desiredCount": 2, "runningCount": 1, "pendingCount": 1,
        "taskDefinition": TD4,
        "currentServiceDeployment": "arn:sd/1",
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}},
        "deployments": [
            {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": TD4, "desiredCount": 2,
             "pendingCount": 1, "runningCount": 1, "failedTasks": 1, "rolloutState": "IN_PROGRESS",
             "rolloutStateReason": "ECS deployment ecs-svc/2 in progress.", "createdAt": 1800000100.5},
            {"id": "ecs-svc/1", "status": "ACTIVE", "taskDefinition": TD3, "desiredCount": 2,
             "runningCount": 2, "createdAt": "2027-01-15T08:00:00.000Z"}
        ],
        "events": [
            {"id": "e2", "createdAt": 1800000102.0, "message": "(service web) has started 1 tasks"},
            {"id": "e1", "createdAt": 1800000101.0, "message": "(service web) has stopped 1 running tasks"},
            {"id": "e0", "createdAt": 1800000000.0, "message": "(service web) has reached a steady state."}
        ]
    });
    let s = ServiceSnapshot::from_json(&v);
    assert_eq!(s.controller, "ECS", "no deploymentController means ECS");
    assert!(s.rollback_configured);
    assert_eq!(s.current_service_deployment.as_deref(), Some("arn:sd/1"));
    assert_eq!(s.primary().map(|d| d.id.as_str()), Some("ecs-svc/2"));
    let p = &s.deployments[0];
    assert_eq!(
        (p.desired, p.pending, p.running, p.failed_tasks),
        (2, 1, 1, 1)
    );
    assert_eq!(p.created_at, Some(1800000100.5));
    assert_eq!(
        s.deployments[1].created_at,
        Some(1_800_000_000.0),
        "RFC 3339 too"
    );
    assert_eq!(
        timestamp(Some(&json!("2027-01-15T08:00:00.000Z"))),
        Some(1_800_000_000.0)
    );
    assert_eq!(
        timestamp(Some(&json!("2027-01-15T08:00:00Z"))),
        Some(1_800_000_000.0)
    );
    assert_eq!(timestamp(Some(&json!(12.5))), Some(12.5));
    assert_eq!(timestamp(Some(&json!(true))), None);

    // New events: unseen, since our deployment, oldest first.
    let mut seen = std::collections::HashSet::new();
    let ids = |e: Vec<&ServiceEventEntry>| e.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(s.new_events(&seen, Some(1800000100.5))), ["e1", "e2"]);
    seen.insert("e1".to_owned());
    assert_eq!(ids(s.new_events(&seen, Some(1800000100.5))), ["e2"]);
    assert_eq!(ids(s.new_events(&seen, None)), ["e0", "e2"]);

    // A service deployment matches the deployment created by the same call.
    assert_eq!(
        s.deployment_created_near(1800000101.0, 30.0)
            .map(|d| d.id.as_str()),
        Some("ecs-svc/2")
    );
    assert_eq!(s.deployment_created_near(1800000500.0, 30.0), None);

    let blue_green = ServiceSnapshot::from_json(
        &json!({"deploymentController": {"type": "CODE_DEPLOY"},
        "deploymentConfiguration": {"alarms": {"alarmNames": ["a"], "enable": true, "rollback": false}}}),
    );
    assert_eq!(blue_green.controller, "CODE_DEPLOY");
    assert!(!blue_green.rollback_configured);
    let alarms = ServiceSnapshot::from_json(&json!({
        "deploymentConfiguration": {"alarms": {"alarmNames": ["a"], "enable": true, "rollback": true}}}));
    assert!(alarms.rollback_configured);
}

#[test]
fn parses_service_deployments_and_tasks() {
    let v = json!({
        "serviceDeploymentArn": "arn:sd/1", "status": "ROLLBACK_SUCCESSFUL",
        "statusReason": "ECS deployment circuit breaker: tasks failed to start.",
        "createdAt": 1800000100.0,
        "targetServiceRevision": {"arn": "arn:rev/2", "requestedTaskCount": 2, "runningTaskCount": 0, "pendingTaskCount": 1},
        "rollback": {"reason": "circuit breaker", "startedAt": 1800000150.0, "serviceRevisionArn": "arn:rev/1"},
        "deploymentCircuitBreaker": {"status": "TRIGGERED", "failureCount": 3, "threshold": 3},
        "alarms": {"status": "TRIGGERED", "alarmNames": ["a", "b"], "triggeredAlarmNames": ["b"]},
        "lifecycleStage": "BAKE_TIME"
    });
    let s = ServiceDeploymentSnapshot::from_json(&v);
    assert!(s.is_terminal());
    assert_eq!(s.target_revision.as_deref(), Some("arn:rev/2"));
    assert_eq!(s.target_counts, Some((2, 0, 1)));
    assert_eq!(s.rollback_reason.as_deref(), Some("circuit breaker"));
    assert_eq!(
        s.circuit_breaker,
        Some(CircuitBreaker {
            status: "TRIGGERED".into(),
            failure_count: 3,
            threshold: 3
        })
    );
    assert_eq!(
        s.alarms.as_ref().map(|a| a.triggered.clone()),
        Some(vec!["b".to_owned()])
    );
    assert_eq!(s.lifecycle_stage.as_deref(), Some("BAKE_TIME"));
    let brief = ServiceDeploymentSnapshot::from_json(&json!({
        "serviceDeploymentArn": "arn:sd/2", "status": "IN_PROGRESS", "targetServiceRevisionArn": "arn:rev/3"}));
    assert!(!brief.is_terminal());
    assert_eq!(brief.target_revision.as_deref(), Some("arn:rev/3"));
    assert_eq!(brief.target_counts, None);

    let t = StoppedTask::from_json(&json!({
        "taskArn": "arn:task/c/abc", "taskDefinitionArn": TD4, "startedBy": "ecs-svc/2",
        "stopCode": "TaskFailedToStart",
        "stoppedReason": "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
        "stoppedAt": 1800000200.0,
        "containers": [{"name": "app", "reason": "CannotPullContainerError: not found"},
                       {"name": "log", "exitCode": 137}]
    }));
    assert_eq!(t.stop_code.as_deref(), Some("TaskFailedToStart"));
    assert_eq!(
        t.containers[0].reason.as_deref(),
        Some("CannotPullContainerError: not found")
    );
    assert_eq!(t.containers[1].exit_code, Some(137));
    assert_eq!(t.stopped_at, Some(1800000200.0));
    assert!(!t.is_routine());
    let drained = StoppedTask::from_json(&json!({"taskArn": "x",
        "stopCode": "ServiceSchedulerInitiated",
        "stoppedReason": "Scaling activity initiated by (deployment ecs-svc/2)"}));
    assert!(drained.is_routine());
    let unhealthy = StoppedTask::from_json(&json!({"taskArn": "y",
        "stopCode": "ServiceSchedulerInitiated",
        "stoppedReason": "Task failed ELB health checks in (target-group arn:tg)"}));
    assert!(
        !unhealthy.is_routine(),
        "health-check replacements are not routine"
    );
}

#[test]
fn progress_counts_follow_our_deployment() {
    let mut ours = line("ecs-svc/ours", "PRIMARY", TD4, Some("IN_PROGRESS"));
    ours.running = 1;
    ours.pending = 1;
    ours.failed_tasks = 2;
    let old = line("ecs-svc/old", "ACTIVE", TD3, Some("COMPLETED"));
    let mut s = svc(vec![ours, old], true);
    s.running = 3;
    let sdx = ServiceDeploymentSnapshot {
        target_counts: Some((2, 0, 0)),
        ..sd("IN_PROGRESS", None)
    };
    let r = progress_report(&s, Some("ecs-svc/ours"), None, Some(&sdx));
    assert_eq!(
        (
            r.status.as_str(),
            r.running,
            r.pending,
            r.desired,
            r.failed_tasks
        ),
        ("IN_PROGRESS", 1, 1, 2, 2)
    );
    assert_eq!(r.deployments.len(), 2);
    assert_eq!(
        r.summary(),
        "IN_PROGRESS web:4 1/2 running, 1 pending, 2 failed"
    );
    // Ours replaced (rollback, newer deployment): the PRIMARY's counts.
    let mut rollback = line("ecs-svc/rb", "PRIMARY", TD3, Some("IN_PROGRESS"));
    rollback.running = 0;
    let mut failed = line("ecs-svc/ours", "ACTIVE", TD4, Some("FAILED"));
    failed.desired = 0;
    failed.failed_tasks = 3;
    let back = svc(vec![rollback, failed], true);
    let r = progress_report(&back, Some("ecs-svc/ours"), None, Some(&sdx));
    assert_eq!((r.running, r.desired, r.failed_tasks), (0, 2, 3));
    assert_eq!(r.task_definition.as_deref(), Some(TD3));
    // Drained away: its last look keeps status and failures.
    let gone = svc(
        vec![line("ecs-svc/rb", "PRIMARY", TD3, Some("COMPLETED"))],
        true,
    );
    let mut last = line("ecs-svc/ours", "ACTIVE", TD4, Some("FAILED"));
    last.failed_tasks = 4;
    let r = progress_report(&gone, Some("ecs-svc/ours"), Some(&last), None);
    assert_eq!((r.status.as_str(), r.failed_tasks), ("FAILED", 4));
    assert_eq!((r.running, r.task_definition.as_deref()), (2, Some(TD3)));
    let r = progress_report(&gone, Some("ecs-svc/other"), Some(&last), None);
    assert_eq!(
        r.failed_tasks, 0,
        "a last look at another deployment is ignored"
    );
    // No deployments[] at all: the target revision's counts.
    let bare = svc(vec![], true);
    let r = progress_report(&bare, None, None, Some(&sdx));
    assert_eq!((r.running, r.desired), (0, 2));
    // Fallback: status is the rolloutState.
    let r = progress_report(&s, Some("ecs-svc/ours"), None, None);
    assert_eq!(r.status, "IN_PROGRESS");
    // Nothing known: the service's counts.
    let r = progress_report(&bare, None, None, None);
    assert_eq!((r.status.as_str(), r.running), ("UNKNOWN", 2));
}

// ---- native strategies ----------------------------------------------------------------------

/// A DescribeServiceDeployments entry of a BLUE_GREEN deployment (the AWS/simulator shape).
fn native_json(status: &str, stage: Option<&str>, hook_status: &str) -> serde_json::Value {
    let mut v = json!({
        "serviceDeploymentArn": "arn:aws:ecs:us-east-1:1:service-deployment/c/web/abc",
        "status": status,
        "createdAt": 1_800_000_000.0,
        "targetServiceRevision": {"arn": "arn:rev/green", "requestedTaskCount": 4,
            "runningTaskCount": 4, "pendingTaskCount": 0,
            "requestedTestTrafficWeight": 100.0, "requestedProductionTrafficWeight": 30.0},
        "sourceServiceRevisions": [{"arn": "arn:rev/blue", "requestedTaskCount": 4,
            "runningTaskCount": 4, "pendingTaskCount": 0,
            "requestedTestTrafficWeight": 0.0, "requestedProductionTrafficWeight": 70.0}],
        "deploymentConfiguration": {"strategy": "LINEAR", "bakeTimeInMinutes": 10,
            "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}},
        "lifecycleHookDetails": [
            {"hookId": "lambda1", "targetType": "AWS_LAMBDA", "targetArn": "arn:fn", "status": "SUCCEEDED"},
            {"hookId": "pause1", "targetType": "PAUSE", "status": hook_status,
             "expiresAt": 1_800_086_400.0, "timeoutAction": "ROLLBACK"}
        ],
    });
    if let Some(s) = stage {
        v["lifecycleStage"] = json!(s);
    }
    v
}

#[test]
fn parses_native_service_deployments() {
    let sd = ServiceDeploymentSnapshot::from_json(&native_json(
        "IN_PROGRESS",
        Some("PRODUCTION_TRAFFIC_SHIFT"),
        "AWAITING_ACTION",
    ));
    let target = sd.target.clone().unwrap();
    assert_eq!(
        (
            target.arn.as_str(),
            target.requested,
            target.running,
            target.pending
        ),
        ("arn:rev/green", 4, 4, 0)
    );
    assert_eq!(
        (target.test_weight, target.production_weight),
        (Some(100.0), Some(30.0))
    );
    assert_eq!(sd.sources.len(), 1);
    assert_eq!(sd.sources[0].production_weight, Some(70.0));
    assert_eq!(
        sd.hooks[1],
        HookDetail {
            hook_id: "pause1".into(),
            target_type: "PAUSE".into(),
            target_arn: None,
            status: "AWAITING_ACTION".into(),
            expires_at: Some("2027-01-16T08:00:00Z".into()),
            timeout_action: Some("ROLLBACK".into()),
            stage: None,
        }
    );
    assert_eq!(sd.hooks[0].target_arn.as_deref(), Some("arn:fn"));
    let c = sd.config.clone().unwrap();
    assert_eq!(c.strategy, "LINEAR");
    assert_eq!(c.bake_time_minutes, Some(10.0));
    assert_eq!(
        (c.linear_step_percent, c.linear_step_bake_minutes),
        (Some(10.0), Some(6.0))
    );
    assert_eq!((c.canary_percent, c.canary_bake_minutes), (None, None));
    // A hook with its stage (not in the 2025 API; taken when present); targetType defaults.
    let h = HookDetail::from_json(&json!({"hookId": "h", "status": "IN_PROGRESS",
        "lifecycleStage": "POST_SCALE_UP", "expiresAt": "2027-01-16T08:00:00Z"}));
    assert_eq!(
        (
            h.target_type.as_str(),
            h.stage.as_deref(),
            h.expires_at.as_deref()
        ),
        (
            "AWS_LAMBDA",
            Some("POST_SCALE_UP"),
            Some("2027-01-16T08:00:00Z")
        )
    );
    // A rolling deployment has none of it; DescribeServices gives the strategy.
    let rolling = ServiceDeploymentSnapshot::from_json(&json!({"serviceDeploymentArn": "a",
        "status": "IN_PROGRESS", "deploymentConfiguration": {"maximumPercent": 200}}));
    assert!(rolling.hooks.is_empty() && rolling.sources.is_empty());
    assert_eq!(rolling.config.unwrap().strategy, "ROLLING");
    let s = ServiceSnapshot::from_json(&json!({"deploymentConfiguration": {"strategy": "CANARY"}}));
    assert_eq!(
        (s.controller.as_str(), s.strategy.as_str()),
        ("ECS", "CANARY")
    );
    assert_eq!(ServiceSnapshot::from_json(&json!({})).strategy, "ROLLING");
}

#[test]
fn stage_positions_count_the_ten_reported_stages() {
    for (stage, want) in [
        ("RECONCILE_SERVICE", Some((1, 10))),
        ("POST_TEST_TRAFFIC_SHIFT", Some((6, 10))),
        ("PRODUCTION_TRAFFIC_SHIFT", Some((7, 10))),
        ("BAKE_TIME", Some((9, 10))),
        ("CLEAN_UP", Some((10, 10))),
        // Hook-only: never a deployment's lifecycleStage.
        ("PRE_PRODUCTION_TRAFFIC_SHIFT", None),
        ("SOMETHING_NEW", None),
    ] {
        assert_eq!(stage_position(stage), want, "{stage}");
    }
}

#[test]
fn stage_reached_only_while_in_progress() {
    // (status, lifecycleStage, target, reached)
    let cases = [
        ("IN_PROGRESS", Some("BAKE_TIME"), "BAKE_TIME", true),
        ("IN_PROGRESS", Some("CLEAN_UP"), "BAKE_TIME", true),
        (
            "IN_PROGRESS",
            Some("PRODUCTION_TRAFFIC_SHIFT"),
            "BAKE_TIME",
            false,
        ),
        // The hook-only stage sits before PRODUCTION_TRAFFIC_SHIFT.
        (
            "IN_PROGRESS",
            Some("PRODUCTION_TRAFFIC_SHIFT"),
            "PRE_PRODUCTION_TRAFFIC_SHIFT",
            true,
        ),
        ("IN_PROGRESS", None, "PRE_SCALE_UP", false),
        ("PENDING", None, "PRE_SCALE_UP", false),
        // Rolling back: the stage it shows is not progress.
        (
            "ROLLBACK_IN_PROGRESS",
            Some("BAKE_TIME"),
            "BAKE_TIME",
            false,
        ),
        ("ROLLBACK_REQUESTED", Some("CLEAN_UP"), "SCALE_UP", false),
        ("ROLLBACK_SUCCESSFUL", Some("CLEAN_UP"), "SCALE_UP", false),
        ("STOPPED", Some("CLEAN_UP"), "SCALE_UP", false),
        // SUCCESSFUL goes through the normal verdict (with the confirm-PRIMARY check).
        ("SUCCESSFUL", Some("CLEAN_UP"), "BAKE_TIME", false),
    ];
    for (status, stage, target, want) in cases {
        let sd = ServiceDeploymentSnapshot {
            status: status.into(),
            lifecycle_stage: stage.map(str::to_owned),
            ..ServiceDeploymentSnapshot::default()
        };
        assert_eq!(
            stage_reached(&sd, target),
            want,
            "{status} {stage:?} {target}"
        );
    }
}

#[test]
fn awaiting_pause_needs_a_pause_hook_awaiting_action_in_progress() {
    for (status, hook_status, want) in [
        ("IN_PROGRESS", "AWAITING_ACTION", Some("pause1")),
        ("IN_PROGRESS", "SUCCEEDED", None),
        ("IN_PROGRESS", "TIMED_OUT", None),
        ("ROLLBACK_IN_PROGRESS", "AWAITING_ACTION", None),
    ] {
        let sd = ServiceDeploymentSnapshot::from_json(&native_json(
            status,
            Some("POST_TEST_TRAFFIC_SHIFT"),
            hook_status,
        ));
        assert_eq!(
            awaiting_pause(&sd).map(|h| h.hook_id.as_str()),
            want,
            "{status} {hook_status}"
        );
    }
    // A Lambda hook never pauses for a person.
    let lambda = ServiceDeploymentSnapshot::from_json(&json!({"status": "IN_PROGRESS",
        "lifecycleHookDetails": [{"hookId": "l", "targetType": "AWS_LAMBDA", "status": "AWAITING_ACTION"}]}));
    assert!(awaiting_pause(&lambda).is_none());
    let sd = ServiceDeploymentSnapshot::from_json(&native_json(
        "IN_PROGRESS",
        Some("POST_TEST_TRAFFIC_SHIFT"),
        "AWAITING_ACTION",
    ));
    assert_eq!(hook_stage(&sd, &sd.hooks[1]), "POST_TEST_TRAFFIC_SHIFT");
}

#[test]
fn staged_waits_need_a_native_ecs_strategy() {
    // (controller, strategy, ok, words in the error)
    let cases: &[(&str, &str, bool, &[&str])] = &[
        ("ECS", "BLUE_GREEN", true, &[]),
        ("ECS", "LINEAR", true, &[]),
        ("ECS", "CANARY", true, &[]),
        (
            "ECS",
            "ROLLING",
            false,
            &["ROLLING strategy", "BLUE_GREEN, LINEAR or CANARY"],
        ),
        (
            "CODE_DEPLOY",
            "ROLLING",
            false,
            &["CODE_DEPLOY deployment controller", "codedeploy:<Event>"],
        ),
        (
            "EXTERNAL",
            "ROLLING",
            false,
            &["EXTERNAL deployment controller"],
        ),
    ];
    for (controller, strategy, ok, words) in cases {
        let r = check_staged_wait("paused", controller, strategy);
        assert_eq!(r.is_ok(), *ok, "{controller} {strategy}: {r:?}");
        let text = r.err().unwrap_or_default();
        for w in *words {
            assert!(text.contains(w), "{text}");
        }
        if !ok {
            assert!(text.starts_with("--wait-until paused:"), "{text}");
        }
    }
    assert!(check_codedeploy_wait("codedeploy:Install", "CODE_DEPLOY", "ROLLING").is_ok());
    let e = check_codedeploy_wait("codedeploy:Install", "ECS", "BLUE_GREEN").unwrap_err();
    assert!(e.contains("stage:<STAGE>"), "{e}");
    let e = check_codedeploy_wait("codedeploy:Install", "ECS", "ROLLING").unwrap_err();
    assert!(
        e.contains("only for CODE_DEPLOY services") && !e.contains("stage:"),
        "{e}"
    );
}

#[test]
fn bake_countdown_in_whole_minutes() {
    let sd = |status: &str, stage: &str| {
        ServiceDeploymentSnapshot::from_json(&native_json(status, Some(stage), "SUCCEEDED"))
    };
    let mins = |m: u64| Some(Duration::from_secs(m * 60));
    // (snapshot, seen BAKE_TIME for, minutes left) with bakeTimeInMinutes 10.
    let cases = [
        (sd("IN_PROGRESS", "BAKE_TIME"), mins(0), Some(10)),
        (
            sd("IN_PROGRESS", "BAKE_TIME"),
            Some(Duration::from_secs(61)),
            Some(9),
        ),
        (sd("IN_PROGRESS", "BAKE_TIME"), mins(9), Some(1)),
        (sd("IN_PROGRESS", "BAKE_TIME"), mins(30), Some(0)),
        (sd("IN_PROGRESS", "BAKE_TIME"), None, None),
        (sd("IN_PROGRESS", "CLEAN_UP"), mins(1), None),
        (sd("ROLLBACK_IN_PROGRESS", "BAKE_TIME"), mins(1), None),
    ];
    for (s, seen, want) in cases {
        assert_eq!(bake_remaining_minutes(&s, seen), want, "{seen:?} {s:?}");
    }
}

#[test]
fn native_progress_summary() {
    let s = svc(
        vec![line("ecs-svc/ours", "PRIMARY", TD4, Some("IN_PROGRESS"))],
        false,
    );
    let sd = ServiceDeploymentSnapshot::from_json(&native_json(
        "IN_PROGRESS",
        Some("PRODUCTION_TRAFFIC_SHIFT"),
        "AWAITING_ACTION",
    ));
    let mut r = progress_report(&s, Some("ecs-svc/ours"), None, Some(&sd));
    assert_eq!(r.strategy.as_deref(), Some("LINEAR"));
    assert_eq!(r.stage_position.as_deref(), Some("7/10"));
    assert_eq!(
        r.summary(),
        "IN_PROGRESS web:4 stage 7/10 PRODUCTION_TRAFFIC_SHIFT · green 30% prod / 100% test · 2/2 running · hook lambda1 SUCCEEDED · hook pause1 AWAITING_ACTION"
    );
    r.bake_remaining_minutes = Some(3);
    r.lifecycle_stage = Some("BAKE_TIME".into());
    r.stage_position = Some("9/10".into());
    r.hooks.clear();
    if let Some(t) = r.target_revision.as_mut() {
        t.production_weight = Some(2.5);
    }
    assert_eq!(
        r.summary(),
        "IN_PROGRESS web:4 stage 9/10 BAKE_TIME · green 2.5% prod / 100% test · 2/2 running · bake ≈3 min left"
    );
    // Rolling: the old shape, no weights.
    let rolling = ServiceDeploymentSnapshot {
        status: "IN_PROGRESS".into(),
        ..ServiceDeploymentSnapshot::default()
    };
    let r = progress_report(&s, Some("ecs-svc/ours"), None, Some(&rolling));
    assert_eq!(r.summary(), "IN_PROGRESS web:4 2/2 running");
    assert!(r.target_revision.is_none() && r.stage_position.is_none());
}

#[test]
fn nothing_to_continue_names_status_stage_and_hooks() {
    let sd = ServiceDeploymentSnapshot::from_json(&native_json(
        "IN_PROGRESS",
        Some("BAKE_TIME"),
        "SUCCEEDED",
    ));
    assert_eq!(
        nothing_to_continue(&sd),
        "service deployment abc is IN_PROGRESS at stage BAKE_TIME with hooks: AWS_LAMBDA lambda1 SUCCEEDED, PAUSE pause1 SUCCEEDED; no PAUSE hook is AWAITING_ACTION"
    );
    let bare = ServiceDeploymentSnapshot {
        arn: "x/y".into(),
        status: "PENDING".into(),
        ..ServiceDeploymentSnapshot::default()
    };
    assert_eq!(
        nothing_to_continue(&bare),
        "service deployment y is PENDING with no lifecycle hooks; no PAUSE hook is AWAITING_ACTION"
    );
}

#[test]
fn goal_verdicts_are_successes_that_say_the_deployment_goes_on() {
    let v = goal_verdict("ecs-svc/1 (web:5)", "reached stage BAKE_TIME", None);
    assert_eq!(
        (v.status, v.exit_code, v.outcome),
        (ExitStatus::Success, 0, Outcome::Succeeded)
    );
    assert_eq!(
        v.message,
        "deployment ecs-svc/1 (web:5) reached stage BAKE_TIME; it is still in progress"
    );
    assert_eq!(percent(30.0), "30");
    assert_eq!(percent(2.5), "2.5");
    assert_eq!(percent(0.0), "0");
}

/// What keeps the adaptive poll cadence fast (issue #9): one row per rule.
#[test]
fn finish_imminent_table() {
    let snap = |status: &str,
                stage: Option<&str>,
                target: (i64, i64),
                sources: &[i64],
                bake: Option<f64>| {
        let mut v = json!({
            "serviceDeploymentArn": "arn:sd", "status": status,
            "targetServiceRevision": {"arn": "r2", "requestedTaskCount": target.0, "runningTaskCount": target.1},
            "sourceServiceRevisions": sources.iter().map(|r| json!({"arn": "r1", "requestedTaskCount": 2, "runningTaskCount": r})).collect::<Vec<_>>(),
        });
        if let Some(stage) = stage {
            v["lifecycleStage"] = json!(stage);
        }
        if let Some(b) = bake {
            v["deploymentConfiguration"] =
                json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": b});
        }
        ServiceDeploymentSnapshot::from_json(&v)
    };
    let cases = [
        ("pending", snap("PENDING", None, (2, 0), &[2], None), true),
        (
            "stop requested",
            snap("STOP_REQUESTED", None, (2, 1), &[2], None),
            true,
        ),
        (
            "rollback requested",
            snap("ROLLBACK_REQUESTED", None, (2, 1), &[2], None),
            true,
        ),
        (
            "starting tasks",
            snap("IN_PROGRESS", None, (2, 0), &[2], None),
            false,
        ),
        (
            "new running, old still running",
            snap("IN_PROGRESS", None, (2, 2), &[2], None),
            false,
        ),
        (
            "new running, old draining",
            snap("IN_PROGRESS", None, (2, 2), &[0], None),
            true,
        ),
        (
            "rollback draining",
            snap("ROLLBACK_IN_PROGRESS", None, (2, 2), &[0], None),
            true,
        ),
        (
            "scale to zero",
            snap("IN_PROGRESS", None, (0, 0), &[], None),
            true,
        ),
        (
            "native shifting traffic",
            snap(
                "IN_PROGRESS",
                Some("PRODUCTION_TRAFFIC_SHIFT"),
                (2, 2),
                &[0],
                None,
            ),
            false,
        ),
        (
            "native bake of known length",
            snap("IN_PROGRESS", Some("BAKE_TIME"), (2, 2), &[2], Some(5.0)),
            false,
        ),
        (
            "native bake of unknown length",
            snap("IN_PROGRESS", Some("BAKE_TIME"), (2, 2), &[2], None),
            true,
        ),
        (
            "native clean-up",
            snap("IN_PROGRESS", Some("CLEAN_UP"), (2, 2), &[2], None),
            true,
        ),
        (
            "terminal",
            snap("SUCCESSFUL", None, (2, 2), &[0], None),
            false,
        ),
    ];
    for (name, sd, want) in cases {
        assert_eq!(finish_imminent(&sd), want, "{name}");
    }
    let bake = snap("IN_PROGRESS", Some("BAKE_TIME"), (2, 2), &[2], Some(5.0));
    assert_eq!(bake_time(&bake), Some(Duration::from_secs(300)));
    let unknown = snap("IN_PROGRESS", Some("BAKE_TIME"), (2, 2), &[2], None);
    assert_eq!(bake_time(&unknown), None);
    let clean = snap("IN_PROGRESS", Some("CLEAN_UP"), (2, 2), &[2], Some(5.0));
    assert_eq!(bake_time(&clean), None);
}

#[test]
fn lines_imminent_follows_the_deployment_or_the_primary() {
    let mut ours = line("ecs-svc/2", "PRIMARY", "web:2", Some("IN_PROGRESS"));
    ours.desired = 2;
    ours.running = 1;
    let s = svc(vec![ours.clone()], false);
    assert!(!lines_imminent(&s, Some("ecs-svc/2")));
    ours.running = 2;
    let s = svc(vec![ours], false);
    assert!(lines_imminent(&s, Some("ecs-svc/2")));
    assert!(lines_imminent(&s, None), "the PRIMARY");
    assert!(
        lines_imminent(&s, Some("ecs-svc/unknown")),
        "else the PRIMARY"
    );
}

#[test]
fn drain_start_is_the_newest_draining_event_of_our_deployment() {
    let v = json!({"serviceName": "web", "status": "ACTIVE", "deployments": [], "events": [
        {"id": "3", "createdAt": 1300.0, "message": "(service web) has reached a steady state."},
        {"id": "2", "createdAt": 1200.0, "message": "(service web) has begun draining connections on 2 tasks."},
        {"id": "1", "createdAt": 900.0, "message": "(service web) has begun draining connections on 1 tasks."},
    ]});
    let svc = ServiceSnapshot::from_json(&v);
    assert_eq!(drain_started_at(&svc, Some(1000.0)), Some(1200.0));
    assert_eq!(drain_started_at(&svc, None), Some(1200.0));
    assert_eq!(
        drain_started_at(&svc, Some(1250.0)),
        None,
        "an older deployment's drain"
    );
}
