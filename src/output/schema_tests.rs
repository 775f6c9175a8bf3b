//! The JSON Lines schema, pinned: one example of EVERY [`Event`] variant serialised, as an
//! insta snapshot, so that any change to a record's shape shows up in review. [`index`] is an
//! exhaustive match: a new variant does not compile until it gets an example here.

use serde_json::json;

use super::{Event, json_line};
use crate::model::metadata::DeployMetadata;
use crate::model::rollout::{self, Outcome, ProgressReport, StoppedTask};

/// A unique number per variant (exhaustive: no wildcard arm).
fn index(e: &Event) -> usize {
    match e {
        Event::Rendered { .. } => 0,
        Event::TfstateList { .. } => 1,
        Event::TfstateValue { .. } => 2,
        Event::Warning { .. } => 3,
        Event::DeploymentStarted { .. } => 4,
        Event::Progress(_) => 5,
        Event::ServiceEvent { .. } => 6,
        Event::TaskStopped(_) => 7,
        Event::Verdict(_) => 8,
        Event::Paused { .. } => 9,
        Event::StageChanged { .. } => 10,
        Event::DeploymentContinued { .. } => 11,
        Event::TaskDefinitionRegistered { .. } => 12,
        Event::TaskDefinitionSelected { .. } => 13,
        Event::ServiceCreated { .. } => 14,
        Event::ServiceUpdated { .. } => 15,
        Event::TagsUpdated { .. } => 16,
        Event::DryRunCall { .. } => 17,
        Event::RollbackPlanned { .. } => 18,
        Event::TaskDefinitionDeregistered { .. } => 19,
        Event::Status(_) => 20,
        Event::Info { .. } => 21,
        Event::Diff { .. } => 22,
        Event::Error { .. } => 23,
        Event::CodeDeployGroup { .. } => 24,
        Event::CodeDeployDeploymentCreated { .. } => 25,
        Event::CodeDeployLifecycleEvent { .. } => 26,
        Event::CodeDeployProgress { .. } => 27,
        Event::AppSpec { .. } => 28,
        Event::DeploymentMetadata(_) => 29,
        Event::Revisions { .. } => 30,
        Event::TaskDefinitionDeleted { .. } => 31,
        Event::Verify { .. } => 32,
        Event::MigrateLeft { .. } => 33,
        Event::ServiceVerdict(_) => 34,
        Event::FleetSummary { .. } => 35,
        Event::TaskStarted { .. } => 36,
        Event::TaskRunning { .. } => 37,
        Event::Log { .. } => 38,
    }
}
const VARIANTS: usize = 39;

const TD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:4";
const SVC: &str = "arn:aws:ecs:us-east-1:123456789012:service/prod/web";
const SD: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/abc";

fn examples() -> Vec<Event> {
    let service = json!({
        "serviceName": "web", "serviceArn": SVC,
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "status": "ACTIVE", "taskDefinition": TD, "desiredCount": 2, "runningCount": 2,
        "pendingCount": 0, "launchType": "FARGATE",
        "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": TD,
            "desiredCount": 2, "pendingCount": 0, "runningCount": 2, "failedTasks": 0,
            "rolloutState": "COMPLETED"}],
        "events": [],
    });
    vec![
        Event::Rendered {
            kind: "taskdef".into(),
            file: "ecs-task-def.json".into(),
            definition: json!({"family": "web"}),
        },
        Event::TfstateList {
            state: "terraform.tfstate".into(),
            addresses: vec!["output.vpc_id".into()],
        },
        Event::TfstateValue {
            state: "terraform.tfstate".into(),
            address: "output.vpc_id".into(),
            value: json!("vpc-1"),
            found: true,
        },
        Event::Warning {
            message: "Slack notification failed".into(),
        },
        Event::DeploymentStarted {
            cluster: "prod".into(),
            service: "web".into(),
            service_deployment_arn: Some(SD.into()),
            deployment_id: Some("ecs-svc/1".into()),
            task_definition: Some(TD.into()),
            tracking: "service_deployment".into(),
        },
        Event::Progress(Box::new(ProgressReport {
            status: "IN_PROGRESS".into(),
            rollout_state: Some("IN_PROGRESS".into()),
            rollout_state_reason: None,
            task_definition: Some(TD.into()),
            running: 1,
            pending: 1,
            desired: 2,
            failed_tasks: 0,
            circuit_breaker: None,
            alarms: None,
            lifecycle_stage: None,
            deployment_id: Some("ecs-svc/1".into()),
            deployments: vec![],
            strategy: Some("ROLLING".into()),
            stage_position: None,
            target_revision: None,
            source_revisions: vec![],
            hooks: vec![],
            bake_remaining_minutes: None,
        })),
        Event::ServiceEvent {
            id: "e1".into(),
            created_at: "2026-11-23T10:00:00Z".into(),
            message: "(service web) has reached a steady state.".into(),
        },
        Event::TaskStopped(StoppedTask::from_json(&json!({
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/t1",
            "taskDefinitionArn": TD, "startedBy": "ecs-svc/1",
            "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container exited",
            "containers": [{"name": "app", "exitCode": 1, "reason": "crash"}],
        }))),
        Event::Verdict(rollout::verdict(
            Outcome::Succeeded,
            "ecs-svc/1 (web:4)",
            "",
        )),
        Event::Paused {
            controller: "ECS".into(),
            deployment: SD.into(),
            stage: "POST_TEST_TRAFFIC_SHIFT".into(),
            hook_id: Some("h1".into()),
            expires_at: Some("2026-11-23T11:00:00Z".into()),
            timeout_action: Some("ROLLBACK".into()),
            continue_command: "ecspress continue".into(),
            rollback_command: "ecspress continue --rollback".into(),
        },
        Event::StageChanged {
            service_deployment_arn: SD.into(),
            from: Some("PRE_SCALE_UP".into()),
            stage: "SCALE_UP".into(),
            position: Some("2/10".into()),
        },
        Event::DeploymentContinued {
            service_deployment_arn: SD.into(),
            hook_id: "h1".into(),
            action: "CONTINUE".into(),
            stage: Some("POST_TEST_TRAFFIC_SHIFT".into()),
        },
        Event::TaskDefinitionRegistered { arn: TD.into() },
        Event::TaskDefinitionSelected {
            arn: TD.into(),
            reason: "unchanged".into(),
        },
        Event::ServiceCreated {
            service_arn: SVC.into(),
            task_definition: TD.into(),
            desired_count: Some(2),
        },
        Event::ServiceUpdated {
            service_arn: SVC.into(),
            task_definition: Some(TD.into()),
            desired_count: None,
            attributes: vec!["networkConfiguration".into()],
            new_deployment: true,
        },
        Event::TagsUpdated {
            resource: SVC.into(),
            set: vec!["team".into()],
            removed: vec![],
        },
        Event::DryRunCall {
            operation: "UpdateService".into(),
            input: json!({"service": "web"}),
        },
        Event::RollbackPlanned {
            method: "previous_revision".into(),
            from: TD.into(),
            to: Some("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3".into()),
            service_deployment_arn: None,
        },
        Event::TaskDefinitionDeregistered { arn: TD.into() },
        Event::Status(Box::new(crate::model::status::ServiceStatus::from_service(
            &service, "prod", 5,
        ))),
        Event::Info {
            message: "no new deployment".into(),
        },
        Event::Diff {
            kind: "taskdef".into(),
            changed: true,
            diff: crate::model::diff::diff(
                Some(&json!({"cpu": "256"})),
                &json!({"cpu": "512"}),
                TD,
                "ecs-task-def.json",
            ),
        },
        Event::Error {
            message: "cannot read ecspress.yml".into(),
            causes: vec!["No such file or directory".into()],
            exit_code: 2,
        },
        Event::CodeDeployGroup {
            application: "AppECS-prod-web".into(),
            deployment_group: "DgpECS-prod-web".into(),
            discovered: true,
        },
        Event::CodeDeployDeploymentCreated {
            deployment_id: "d-ABC".into(),
            application: "AppECS-prod-web".into(),
            deployment_group: "DgpECS-prod-web".into(),
            deployment_config: None,
            task_definition: TD.into(),
        },
        Event::CodeDeployLifecycleEvent {
            deployment_id: "d-ABC".into(),
            event: "AllowTraffic".into(),
            status: "Succeeded".into(),
        },
        Event::CodeDeployProgress {
            deployment_id: "d-ABC".into(),
            status: "InProgress".into(),
            green_traffic_weight: Some(10.0),
            green_running: Some(2),
            green_desired: Some(2),
        },
        Event::AppSpec {
            task_definition: TD.into(),
            appspec: json!({"version": 0.0}),
        },
        Event::DeploymentMetadata(DeployMetadata {
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            git_ref: Some("refs/heads/main".into()),
            by: Some("codepipeline/web".into()),
            build_url: Some("https://console.aws.amazon.com/codesuite/codebuild/x".into()),
            build_id: Some("web:1234".into()),
            note: None,
        }),
        Event::Revisions {
            family: "web".into(),
            current: TD.into(),
            revisions: vec![
                crate::model::revisions::RevisionRow {
                    arn: TD.into(),
                    revision: 4,
                    current: true,
                    in_use: Some("the service's PRIMARY deployment ecs-svc/1 uses it".into()),
                },
                crate::model::revisions::RevisionRow {
                    arn: TD.replace(":4", ":3"),
                    revision: 3,
                    current: false,
                    in_use: None,
                },
            ],
        },
        Event::TaskDefinitionDeleted {
            arn: TD.replace(":4", ":3"),
        },
        Event::Verify {
            ok: false,
            checks: vec![
                crate::model::verify::CheckNode::ok("Cluster hello"),
                crate::model::verify::CheckNode::group(
                    "Container app",
                    vec![crate::model::verify::CheckNode::ng(
                        "Secret /app/db",
                        "parameter not found",
                    )],
                ),
            ],
        },
        Event::MigrateLeft {
            file: "ecspresso/ecs-task-def.json".into(),
            line: 12,
            text: "{{ cfn_output `stack` `Key` }}".into(),
            reason: "function `cfn_output` has no ecspress equivalent".into(),
        },
        Event::ServiceVerdict(rollout::closing_verdict(
            crate::exit::ExitStatus::RolledBack,
            Some("deployment ecs-svc/2 failed and was rolled back"),
        )),
        Event::FleetSummary {
            services: vec![
                crate::model::fleet::FleetRow {
                    label: "web".into(),
                    config: "services/web/ecspress.yml".into(),
                    exit_code: 0,
                    outcome: Outcome::Succeeded,
                    message: "deployment ecs-svc/1 completed".into(),
                },
                crate::model::fleet::FleetRow {
                    label: "api".into(),
                    config: "services/api/ecspress.yml".into(),
                    exit_code: 3,
                    outcome: Outcome::RolledBack,
                    message: "deployment ecs-svc/2 failed and was rolled back".into(),
                },
            ],
        },
        Event::TaskStarted {
            task_arn: "arn:aws:ecs:us-east-1:123456789012:task/prod/0f3c".into(),
            task_definition: TD.into(),
            container: "app".into(),
            log_stream: Some("app/app/0f3c".into()),
        },
        Event::TaskRunning {
            task_arn: "arn:aws:ecs:us-east-1:123456789012:task/prod/0f3c".into(),
        },
        Event::Log {
            task_arn: "arn:aws:ecs:us-east-1:123456789012:task/prod/0f3c".into(),
            container: "app".into(),
            timestamp: Some(1_795_000_000_000),
            message: "migrated 3 tables".into(),
        },
    ]
}

#[test]
fn every_event_variant_has_a_pinned_json_shape() {
    let events = examples();
    let mut seen: Vec<usize> = events.iter().map(index).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen,
        (0..VARIANTS).collect::<Vec<_>>(),
        "one example per variant"
    );
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
    let records: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::from_str(&json_line(e, at)).expect("a record is JSON"))
        .collect();
    insta::assert_json_snapshot!(records);
}

#[test]
fn closing_verdicts_carry_the_exit_code() {
    use crate::exit::ExitStatus;
    for s in ExitStatus::ALL {
        let v = rollout::closing_verdict(s, None);
        assert_eq!(v.exit_code, s.code(), "{s:?}");
        assert_eq!(v.outcome.exit_status(), s, "{s:?}");
    }
    let e = rollout::closing_verdict(ExitStatus::Error, Some("boom"));
    assert_eq!((e.outcome, e.message.as_str()), (Outcome::Error, "boom"));
}
