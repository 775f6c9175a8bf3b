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
