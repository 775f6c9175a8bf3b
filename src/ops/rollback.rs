//! `ecspress rollback`: undo the last deploy of an ECS-controlled service.
//!
//! Two ways, chosen from what the service is doing (ecspresso.md §1.6, ECS controller branch):
//!
//! - **A deployment is in progress** (ListServiceDeployments PENDING/IN_PROGRESS): ask ECS to
//!   roll it back with `StopServiceDeployment(stopType=ROLLBACK)`. ECS then restores the source
//!   service revision itself (ecs-platform-and-peers.md §6.5: allowed from PENDING/IN_PROGRESS,
//!   even without rollback configured) and the deployment ends ROLLBACK_SUCCESSFUL. We watch
//!   that deployment; **ROLLBACK_SUCCESSFUL is the success of this command (exit 0)** — the
//!   watcher calls it 3 ("deployment failed and was rolled back") because for `deploy` it is a
//!   failure, but here the rollback is what was asked for. ROLLBACK_FAILED/STOPPED → 4,
//!   timeout → 5, superseded → 6, and a deployment that still ends SUCCESSFUL was not rolled
//!   back → 4.
//!   **Paused** at a PAUSE lifecycle hook (native BLUE_GREEN/LINEAR/CANARY): the hook is
//!   released with `ContinueServiceDeployment(action=ROLLBACK, hookId)` instead (ecspresso
//!   pre-v3, ecspresso.md §1.6); same watch, same exit codes.
//! - **Nothing in progress** (or `--revision N`): deploy the previous ACTIVE revision of the
//!   family (the newest ACTIVE one older than the running one; [`revision::previous_revision`])
//!   or `family:N`, with one UpdateService that changes only the task definition, and watch it
//!   with the normal verdict (0 = the service runs the target revision again).
//!
//! `--deregister-task-definition` deregisters the revision rolled back from, after a
//! successful rollback only, and never one still in use: the service's `deployments[]` and
//! every RUNNING task of the cluster (ListTasks + DescribeTasks; other services may share the
//! family) are checked first ([`revision::Usage`]). It needs the wait (how else would we know
//! the rollback succeeded), so it is refused with `--no-wait`, before any change.

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

use crate::aws::AwsErrorKind;
use crate::aws::ecs::{EcsApi, TaskFilter};
use crate::exit::ExitStatus;
use crate::model::revision::{self, DeploymentRef, Usage, short_name};
use crate::model::rollout::{self, Outcome, ServiceDeploymentSnapshot, Verdict};
use crate::ops::deploy::{ServiceRef, now_epoch};
use crate::ops::render::Project;
use crate::ops::watch::{self, WatchOptions, WatchTarget};
use crate::output::{Event, EventSink};

/// Resolved `rollback` flags.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// `--revision`.
    pub revision: Option<u32>,
    /// `--deregister-task-definition`.
    pub deregister: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// Not `--no-wait`.
    pub wait: bool,
    /// How to watch.
    pub watch: WatchOptions,
    /// `--rollback-events` (CODE_DEPLOY services only).
    pub rollback_events: Option<Vec<String>>,
}

/// The exit status of `rollback` by StopServiceDeployment, from the watcher's verdict on the
/// stopped deployment (see the module docs).
pub fn stop_rollback_status(watched: ExitStatus) -> ExitStatus {
    match watched {
        ExitStatus::RolledBack => ExitStatus::Success,
        ExitStatus::Success => ExitStatus::FailedNotRolledBack,
        other => other,
    }
}

/// The watcher's verdict on the stopped deployment, restated for `rollback`: its exit status
/// is [`stop_rollback_status`] (so the `verdict` record and the process agree).
pub fn stop_rollback_verdict(mut v: Verdict) -> Verdict {
    let status = stop_rollback_status(v.status);
    match v.status {
        ExitStatus::RolledBack => {
            // The watcher words it as a failed deploy; here the rollback was the request.
            v.message = v.message.replacen(
                " failed and was rolled back",
                " was rolled back as requested",
                1,
            );
            v.hint = None;
        }
        ExitStatus::Success => {
            v.outcome = Outcome::Stopped;
            v.message = format!(
                "rollback did not happen: the deployment completed before it took effect ({})",
                v.message
            );
            v.hint = Some("run `ecspress rollback` again to deploy the previous revision".into());
        }
        _ => {}
    }
    v.status = status;
    v.exit_code = status.code();
    v
}

/// Passes events through, restating the verdict with [`stop_rollback_verdict`].
struct StopRollbackSink<'a> {
    inner: &'a dyn EventSink,
}

impl EventSink for StopRollbackSink<'_> {
    fn emit(&self, event: Event) {
        match event {
            Event::Verdict(v) => self.inner.emit(Event::Verdict(stop_rollback_verdict(v))),
            other => self.inner.emit(other),
        }
    }

    fn tick(&self) {
        self.inner.tick();
    }
}

/// Run `rollback`.
pub async fn rollback(
    project: &Project,
    opts: &RollbackOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    if opts.deregister && !opts.wait && !opts.dry_run {
        bail!(
            "--deregister-task-definition needs to wait for the rollback (it deregisters only after a successful one); drop --no-wait"
        );
    }
    let target = ServiceRef::of(project)?;
    let ecs = project.clients().ecs.clone();
    let ecs = ecs.as_ref();
    let live = target.describe(ecs).await?.ok_or_else(|| {
        anyhow!(
            "service {} not found in cluster {}: nothing to roll back",
            target.service,
            target.cluster
        )
    })?;
    if revision::controller_of(&live) == "CODE_DEPLOY" {
        return crate::ops::codedeploy::rollback(project, &live, opts, sink).await;
    }
    target.check_deployable(Some(&live), None)?;
    let running = live
        .get("taskDefinition")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();

    if opts.revision.is_none()
        && let Some(arn) = in_progress(ecs, &target, sink).await?
    {
        return stop_in_progress(ecs, &target, &arn, &running, opts, sink).await;
    }

    // Deploy an older revision.
    let to = rollback_target(ecs, &target, &running, opts.revision, sink).await?;
    let input = json!({"cluster": target.cluster, "service": target.service, "taskDefinition": to});
    if opts.dry_run {
        sink.emit(Event::DryRunCall {
            operation: "UpdateService".into(),
            input,
        });
        dry_run_deregister(&running, opts, sink);
        return Ok(ExitStatus::Success);
    }
    let before = DeploymentRef::of(&live);
    let started_after = revision::started_after(Some(&live), now_epoch());
    let updated = ecs.update_service(&input).await.with_context(|| {
        format!(
            "cannot update service {} in cluster {}",
            target.service, target.cluster
        )
    })?;
    let after = DeploymentRef::of(&updated);
    sink.emit(Event::ServiceUpdated {
        service_arn: updated
            .get("serviceArn")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        task_definition: Some(to.clone()),
        desired_count: None,
        attributes: Vec::new(),
        new_deployment: before.started_new(&after),
    });
    if !opts.wait {
        sink.emit(Event::Info {
            message: "not waiting (--no-wait); `ecspress wait` follows the rollback".into(),
        });
        return Ok(ExitStatus::Success);
    }
    let status = watch::watch(
        ecs,
        &WatchTarget {
            cluster: target.cluster.clone(),
            service: target.service.clone(),
            service_deployment_arn: after.service_deployment_arn,
            deployment_id: after.deployment_id,
            started_after: Some(started_after),
            task_definition: Some(to),
            drain: crate::ops::deploy::drain_estimate(
                project.clients().target_groups.as_ref(),
                &live,
            )
            .await,
        },
        &opts.watch,
        sink,
    )
    .await?;
    if status == ExitStatus::Success && opts.deregister {
        deregister(ecs, &target, &running, sink).await?;
    }
    Ok(status)
}

/// The revision to roll back to, for every controller: `family:N` with `--revision N` (never an
/// INACTIVE one: ECS cannot deploy it), else the newest ACTIVE revision older than `running`
/// ([`revision::previous_revision`]; ListTaskDefinitions lists only ACTIVE ones, ecspresso.md
/// §1.6). Emits `rollback_planned` (`previous_revision`).
pub(crate) async fn rollback_target(
    ecs: &dyn EcsApi,
    target: &ServiceRef,
    running: &str,
    revision_flag: Option<u32>,
    sink: &dyn EventSink,
) -> anyhow::Result<String> {
    let family = revision::family_of(running).to_owned();
    let to = match revision_flag {
        Some(n) => {
            let name = format!("{family}:{n}");
            let td = ecs.describe_task_definition(&name).await.with_context(|| {
                format!("--revision {n}: cannot describe task definition {name}")
            })?;
            if td.get("status").and_then(Value::as_str) == Some("INACTIVE") {
                bail!("--revision {n}: {name} is INACTIVE (deregistered); ECS cannot deploy it");
            }
            td.get("taskDefinitionArn")
                .and_then(Value::as_str)
                .unwrap_or(&name)
                .to_owned()
        }
        None => {
            let active = ecs
                .list_task_definitions(&family)
                .await
                .with_context(|| format!("cannot list the task definitions of family {family}"))?;
            revision::previous_revision(&active, running)?
        }
    };
    if revision::same_revision(&to, running) {
        bail!(
            "service {} already runs {}; nothing to roll back to",
            target.service,
            short_name(running)
        );
    }
    sink.emit(Event::RollbackPlanned {
        method: "previous_revision".into(),
        from: running.to_owned(),
        to: Some(to.clone()),
        service_deployment_arn: None,
    });
    Ok(to)
}

/// The newest PENDING/IN_PROGRESS service deployment, or None. Without the service-deployment
/// API (access denied, an endpoint that does not know it), fall back to the other method and
/// say so.
async fn in_progress(
    ecs: &dyn EcsApi,
    target: &ServiceRef,
    sink: &dyn EventSink,
) -> anyhow::Result<Option<String>> {
    match ecs
        .list_service_deployments(
            &target.cluster,
            &target.service,
            None,
            &["PENDING", "IN_PROGRESS"],
        )
        .await
    {
        Ok(list) => Ok(newest(&list)),
        Err(e) if e.kind == AwsErrorKind::AccessDenied || is_unknown_operation(&e) => {
            sink.emit(Event::Warning {
                message: format!(
                    "cannot list service deployments ({}); rolling back by deploying the previous revision instead of stopping a deployment in progress",
                    e.code.as_deref().unwrap_or(&e.message)
                ),
            });
            Ok(None)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "cannot list the deployments of service {} in cluster {}",
            target.service, target.cluster
        ))),
    }
}

fn is_unknown_operation(e: &crate::aws::AwsError) -> bool {
    matches!(
        e.code.as_deref(),
        Some("UnknownOperationException" | "InvalidAction")
    )
}

/// The ARN of the newest entry (by createdAt) of a ListServiceDeployments answer.
pub(crate) fn newest(list: &[Value]) -> Option<String> {
    list.iter()
        .max_by(|a, b| {
            let t = |v: &Value| v.get("createdAt").and_then(Value::as_f64).unwrap_or(0.0);
            t(a).total_cmp(&t(b))
        })
        .and_then(|d| d.get("serviceDeploymentArn"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The PAUSE hook of service deployment `arn` that is AWAITING_ACTION, if any. Without
/// permission for DescribeServiceDeployments, say so and use StopServiceDeployment.
async fn paused_hook(
    ecs: &dyn EcsApi,
    arn: &str,
    sink: &dyn EventSink,
) -> anyhow::Result<Option<String>> {
    match ecs.describe_service_deployments(&[arn.to_owned()]).await {
        Ok(list) => Ok(list
            .iter()
            .map(ServiceDeploymentSnapshot::from_json)
            .find(|sd| sd.arn == arn)
            .and_then(|sd| rollout::awaiting_pause(&sd).map(|h| h.hook_id.clone()))),
        Err(e) if e.kind == AwsErrorKind::AccessDenied || is_unknown_operation(&e) => {
            sink.emit(Event::Warning {
                message: format!(
                    "cannot describe service deployment {arn} ({}); rolling back with StopServiceDeployment without checking for a paused lifecycle hook",
                    e.code.as_deref().unwrap_or(&e.message)
                ),
            });
            Ok(None)
        }
        Err(e) => {
            Err(anyhow::Error::new(e).context(format!("cannot describe service deployment {arn}")))
        }
    }
}

/// Roll back the deployment in progress and watch it to its end: ContinueServiceDeployment
/// (ROLLBACK) when it is paused at a PAUSE lifecycle hook (ecspresso pre-v3, ecspresso.md
/// §1.6: a paused deployment is released by its hook), else StopServiceDeployment(ROLLBACK).
async fn stop_in_progress(
    ecs: &dyn EcsApi,
    target: &ServiceRef,
    arn: &str,
    running: &str,
    opts: &RollbackOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let hook = paused_hook(ecs, arn, sink).await?;
    // For a rolling deployment the service's task definition is the one being deployed: the
    // revision the rollback moves away from.
    sink.emit(Event::RollbackPlanned {
        method: if hook.is_some() {
            "continue_rollback".into()
        } else {
            "stop_deployment".into()
        },
        from: running.to_owned(),
        to: None,
        service_deployment_arn: Some(arn.to_owned()),
    });
    if opts.dry_run {
        sink.emit(Event::DryRunCall {
            operation: if hook.is_some() {
                "ContinueServiceDeployment".into()
            } else {
                "StopServiceDeployment".into()
            },
            input: match &hook {
                Some(h) => json!({"serviceDeploymentArn": arn, "hookId": h, "action": "ROLLBACK"}),
                None => json!({"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}),
            },
        });
        dry_run_deregister(running, opts, sink);
        return Ok(ExitStatus::Success);
    }
    match &hook {
        Some(h) => ecs
            .continue_service_deployment(arn, h, "ROLLBACK")
            .await
            .with_context(|| {
                format!("cannot roll back service deployment {arn} at its paused hook {h}")
            })?,
        None => ecs
            .stop_service_deployment(arn, "ROLLBACK")
            .await
            .with_context(|| format!("cannot stop service deployment {arn}"))?,
    }
    if !opts.wait {
        sink.emit(Event::Info {
            message: "rollback requested; not waiting (--no-wait); `ecspress wait` follows it"
                .into(),
        });
        return Ok(ExitStatus::Success);
    }
    let watched = watch::watch(
        ecs,
        &WatchTarget {
            cluster: target.cluster.clone(),
            service: target.service.clone(),
            service_deployment_arn: Some(arn.to_owned()),
            deployment_id: None,
            started_after: None,
            task_definition: None,
            drain: None,
        },
        &opts.watch,
        &StopRollbackSink { inner: sink },
    )
    .await?;
    let status = stop_rollback_status(watched);
    if status == ExitStatus::Success && opts.deregister {
        deregister(ecs, target, running, sink).await?;
    }
    Ok(status)
}

fn dry_run_deregister(running: &str, opts: &RollbackOptions, sink: &dyn EventSink) {
    if opts.deregister {
        sink.emit(Event::DryRunCall {
            operation: "DeregisterTaskDefinition".into(),
            input: json!({"taskDefinition": running}),
        });
        sink.emit(Event::Info {
            message: format!(
                "{} would be deregistered after a successful rollback, if no deployment or running task uses it then",
                short_name(running)
            ),
        });
    }
    sink.emit(Event::Info {
        message: "dry run: nothing was changed".into(),
    });
}

/// The live service (DescribeServices) and what uses task definitions: its `deployments[]` and
/// every non-STOPPED task of the cluster (ListTasks + DescribeTasks: other services and
/// standalone tasks may share the family).
pub(crate) async fn usage(
    ecs: &dyn EcsApi,
    target: &ServiceRef,
) -> anyhow::Result<(Option<Value>, Usage)> {
    let service = target.describe(ecs).await?;
    let task_arns = ecs
        .list_tasks(&target.cluster, &TaskFilter::default())
        .await
        .with_context(|| format!("cannot list the tasks of cluster {}", target.cluster))?;
    let tasks = if task_arns.is_empty() {
        Vec::new()
    } else {
        ecs.describe_tasks(&target.cluster, &task_arns)
            .await
            .with_context(|| format!("cannot describe the tasks of cluster {}", target.cluster))?
    };
    let usage = Usage::from_json(service.as_ref(), &tasks);
    Ok((service, usage))
}

/// Deregister `task_definition` unless something still uses it (then warn and keep it).
async fn deregister(
    ecs: &dyn EcsApi,
    target: &ServiceRef,
    task_definition: &str,
    sink: &dyn EventSink,
) -> anyhow::Result<()> {
    let (_, usage) = usage(ecs, target).await?;
    if let Some(why) = usage.in_use(task_definition) {
        sink.emit(Event::Warning {
            message: format!("not deregistering {}: {why}", short_name(task_definition)),
        });
        return Ok(());
    }
    ecs.deregister_task_definition(task_definition)
        .await
        .with_context(|| format!("cannot deregister task definition {task_definition}"))?;
    sink.emit(Event::TaskDefinitionDeregistered {
        arn: task_definition.to_owned(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsResult;
    use crate::output::RecordingSink;
    use std::sync::Mutex;

    /// A fake ECS: one service, some running tasks; records the deregistrations.
    struct FakeEcs {
        service: Value,
        tasks: Vec<Value>,
        deregistered: Mutex<Vec<String>>,
        /// DescribeServiceDeployments answers (None: AccessDenied).
        service_deployments: Option<Vec<Value>>,
    }

    #[async_trait::async_trait]
    impl EcsApi for FakeEcs {
        async fn describe_service(&self, _: &str, _: &str) -> AwsResult<Option<Value>> {
            Ok(Some(self.service.clone()))
        }
        async fn describe_task_definition(&self, _: &str) -> AwsResult<Value> {
            unimplemented!()
        }
        async fn list_task_definitions(&self, _: &str) -> AwsResult<Vec<String>> {
            unimplemented!()
        }
        async fn register_task_definition(&self, _: &Value) -> AwsResult<Value> {
            unimplemented!()
        }
        async fn deregister_task_definition(&self, td: &str) -> AwsResult<()> {
            self.deregistered.lock().unwrap().push(td.to_owned());
            Ok(())
        }
        async fn create_service(&self, _: &Value) -> AwsResult<Value> {
            unimplemented!()
        }
        async fn update_service(&self, _: &Value) -> AwsResult<Value> {
            unimplemented!()
        }
        async fn tag_resource(&self, _: &str, _: &[(String, String)]) -> AwsResult<()> {
            unimplemented!()
        }
        async fn untag_resource(&self, _: &str, _: &[String]) -> AwsResult<()> {
            unimplemented!()
        }
        async fn list_service_deployments(
            &self,
            _: &str,
            _: &str,
            _: Option<f64>,
            _: &[&str],
        ) -> AwsResult<Vec<Value>> {
            unimplemented!()
        }
        async fn describe_service_deployments(&self, arns: &[String]) -> AwsResult<Vec<Value>> {
            match &self.service_deployments {
                Some(sds) => Ok(sds.clone()),
                None => Err(crate::aws::AwsError {
                    kind: AwsErrorKind::AccessDenied,
                    operation: "DescribeServiceDeployments",
                    target: arns.join(","),
                    code: Some("AccessDeniedException".into()),
                    message: "not authorized".into(),
                    request_id: None,
                }),
            }
        }
        async fn stop_service_deployment(&self, _: &str, _: &str) -> AwsResult<()> {
            unimplemented!()
        }
        async fn continue_service_deployment(&self, _: &str, _: &str, _: &str) -> AwsResult<()> {
            unimplemented!()
        }
        async fn list_tasks(&self, _: &str, filter: &TaskFilter) -> AwsResult<Vec<String>> {
            assert!(
                filter.service.is_none() && !filter.stopped,
                "every running task of the cluster: other services may share the family"
            );
            Ok(self
                .tasks
                .iter()
                .filter_map(|t| t["taskArn"].as_str().map(str::to_owned))
                .collect())
        }
        async fn describe_tasks(&self, _: &str, arns: &[String]) -> AwsResult<Vec<Value>> {
            Ok(self
                .tasks
                .iter()
                .filter(|t| arns.iter().any(|a| t["taskArn"] == a.as_str()))
                .cloned()
                .collect())
        }
    }

    #[tokio::test]
    async fn deregister_only_what_nothing_uses() {
        let arn = |n: u32| format!("arn:aws:ecs:us-east-1:1:task-definition/web:{n}");
        let ecs = FakeEcs {
            service: json!({"deployments": [
                {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": arn(2)},
                {"id": "ecs-svc/3", "status": "ACTIVE", "taskDefinition": arn(3)}
            ]}),
            tasks: vec![json!({"taskArn": "arn:aws:ecs:us-east-1:1:task/c/t1",
                "taskDefinitionArn": arn(4), "lastStatus": "RUNNING"})],
            deregistered: Mutex::new(Vec::new()),
            service_deployments: None,
        };
        let target = ServiceRef {
            cluster: "c".into(),
            service: "web".into(),
        };
        let sink = RecordingSink::new();
        for n in [3, 4, 5] {
            deregister(&ecs, &target, &arn(n), &sink).await.unwrap();
        }
        // 3: a draining deployment uses it; 4: another task runs it; 5: free.
        assert_eq!(*ecs.deregistered.lock().unwrap(), [arn(5)]);
        let warnings: Vec<String> = sink
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Warning { message } => Some(message),
                _ => None,
            })
            .collect();
        assert_eq!(
            warnings,
            [
                "not deregistering web:3: the service's ACTIVE deployment ecs-svc/3 uses it",
                "not deregistering web:4: task t1 still runs it"
            ]
        );
    }

    #[test]
    fn stop_rollback_verdicts() {
        for (watched, expected) in [
            (ExitStatus::RolledBack, ExitStatus::Success),
            (ExitStatus::Success, ExitStatus::FailedNotRolledBack),
            (
                ExitStatus::FailedNotRolledBack,
                ExitStatus::FailedNotRolledBack,
            ),
            (ExitStatus::TimedOut, ExitStatus::TimedOut),
            (ExitStatus::Superseded, ExitStatus::Superseded),
            (ExitStatus::Interrupted, ExitStatus::Interrupted),
        ] {
            assert_eq!(stop_rollback_status(watched), expected, "{watched:?}");
        }
    }

    #[test]
    fn stop_rollback_verdict_agrees_with_the_exit_status() {
        let v = |outcome: Outcome| Verdict {
            status: outcome.exit_status(),
            outcome,
            exit_code: outcome.exit_status().code(),
            message: "deployment d (web:3) failed and was rolled back: stop".into(),
            hint: Some("h".into()),
        };
        let rolled = stop_rollback_verdict(v(Outcome::RolledBack));
        assert_eq!((rolled.status, rolled.exit_code), (ExitStatus::Success, 0));
        assert_eq!(
            rolled.message,
            "deployment d (web:3) was rolled back as requested: stop"
        );
        assert_eq!(rolled.hint, None);
        let done = stop_rollback_verdict(v(Outcome::Succeeded));
        assert_eq!(
            (done.status, done.exit_code, done.outcome),
            (ExitStatus::FailedNotRolledBack, 4, Outcome::Stopped)
        );
        let late = stop_rollback_verdict(v(Outcome::TimedOut));
        assert_eq!((late.status, late.exit_code), (ExitStatus::TimedOut, 5));
        assert_eq!(late.hint.as_deref(), Some("h"));
    }

    #[test]
    fn newest_by_created_at() {
        let list = vec![
            serde_json::json!({"serviceDeploymentArn": "a", "createdAt": 10.0}),
            serde_json::json!({"serviceDeploymentArn": "b", "createdAt": 30.0}),
            serde_json::json!({"serviceDeploymentArn": "c", "createdAt": 20.0}),
        ];
        assert_eq!(newest(&list).as_deref(), Some("b"));
        assert_eq!(newest(&[]), None);
    }

    /// Dry runs show which call `rollback` makes for the deployment in progress.
    #[tokio::test]
    async fn a_paused_deployment_is_rolled_back_at_its_hook() {
        let arn = "arn:aws:ecs:us-east-1:1:service-deployment/c/web/sd1";
        let sd = |hook_status: &str| {
            json!({"serviceDeploymentArn": arn, "status": "IN_PROGRESS",
                "lifecycleStage": "POST_TEST_TRAFFIC_SHIFT",
                "lifecycleHookDetails": [{"hookId": "h1", "targetType": "PAUSE", "status": hook_status}]})
        };
        let target = ServiceRef {
            cluster: "c".into(),
            service: "web".into(),
        };
        let opts = RollbackOptions {
            revision: None,
            deregister: false,
            dry_run: true,
            wait: false,
            rollback_events: None,
            watch: WatchOptions {
                timeout: std::time::Duration::from_secs(1),
                poll_interval: std::time::Duration::from_secs(1),
                max_poll_interval: None,
                wait_until: crate::settings::WaitUntil::Deployed,
            },
        };
        // (DescribeServiceDeployments answer, method, operation, input, warned)
        let cases = [
            (
                Some(vec![sd("AWAITING_ACTION")]),
                "continue_rollback",
                "ContinueServiceDeployment",
                json!({"serviceDeploymentArn": arn, "hookId": "h1", "action": "ROLLBACK"}),
                false,
            ),
            (
                Some(vec![sd("SUCCEEDED")]),
                "stop_deployment",
                "StopServiceDeployment",
                json!({"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}),
                false,
            ),
            (
                None,
                "stop_deployment",
                "StopServiceDeployment",
                json!({"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}),
                true,
            ),
        ];
        for (answer, want_method, want_op, want_input, want_warning) in cases {
            let ecs = FakeEcs {
                service: json!({}),
                tasks: vec![],
                deregistered: Mutex::new(Vec::new()),
                service_deployments: answer,
            };
            let sink = RecordingSink::new();
            let status = stop_in_progress(&ecs, &target, arn, "web:2", &opts, &sink)
                .await
                .unwrap();
            assert_eq!(status, ExitStatus::Success);
            let events = sink.events();
            let method = events.iter().find_map(|e| match e {
                Event::RollbackPlanned { method, .. } => Some(method.clone()),
                _ => None,
            });
            assert_eq!(method.as_deref(), Some(want_method));
            let call = events.iter().find_map(|e| match e {
                Event::DryRunCall { operation, input } => Some((operation.clone(), input.clone())),
                _ => None,
            });
            assert_eq!(call, Some((want_op.to_owned(), want_input)));
            let warned = events.iter().any(|e| matches!(e, Event::Warning { .. }));
            assert_eq!(warned, want_warning, "{events:?}");
        }
    }
}
