//! `ecspress rollback` for a CODE_DEPLOY service: stop the deployment in progress with
//! auto-rollback, or deploy the previous revision; optionally deregister the one rolled back from.

use anyhow::Context;
use serde_json::{Value, json};

use crate::exit::ExitStatus;
use crate::model::appspec;
use crate::model::codedeploy::{self as cd, Goal};
use crate::model::revision::{self, short_name};
use crate::ops::deploy::{ServiceRef, string_field};
use crate::ops::render::Project;
use crate::ops::watch::WatchOptions;
use crate::output::{Event, EventSink};

use super::{
    CdWatchTarget, build_appspec, check_goal, create, create_deployment_input, in_flight,
    resolve_group, watch, watch_deployment,
};

/// `ecspress rollback` for a CODE_DEPLOY service (dispatched from
/// [`crate::ops::rollback::rollback`]): a deployment under way → StopDeployment with
/// auto-rollback and wait for the rollback deployment (its success is 0); otherwise a new
/// deployment of the previous ACTIVE revision (or `--revision N`), watched normally.
pub async fn rollback(
    project: &Project,
    live: &Value,
    opts: &crate::ops::rollback::RollbackOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let goal = check_goal(&opts.watch.wait_until)?;
    let target = ServiceRef::of(project)?;
    let group = resolve_group(project, &target, sink).await?;
    let clients = project.clients().clone();
    let api = clients.codedeploy.as_ref();
    let ecs = clients.ecs.as_ref();
    let running = string_field(live, "taskDefinition").unwrap_or_default();

    if opts.revision.is_none()
        && let Some(id) = in_flight(api, &group).await?
    {
        let input = json!({"deploymentId": id, "autoRollbackEnabled": true});
        // The revision rolled back from: the one the stopped deployment's AppSpec names.
        let from = api
            .get_deployment(&id)
            .await
            .ok()
            .and_then(|d| watch::task_definition_of(&d));
        if opts.dry_run {
            sink.emit(Event::DryRunCall {
                operation: "StopDeployment".into(),
                input,
            });
            dry_run_deregister(from.as_deref(), opts.deregister, sink);
            return Ok(ExitStatus::Success);
        }
        let status = api
            .stop_deployment(&id, true)
            .await
            .with_context(|| format!("cannot stop CodeDeploy deployment {id}"))?;
        sink.emit(Event::Info {
            message: format!(
                "stopped CodeDeploy deployment {id} with auto-rollback (StopDeployment: {status})"
            ),
        });
        if !opts.wait {
            return Ok(ExitStatus::Success);
        }
        let t = CdWatchTarget::new(&target, &group, Some(id), None);
        let wrapped = RollbackSink { inner: sink };
        let status =
            watch_deployment(project, &t, &opts.watch, Goal::Deployed, true, &wrapped).await?;
        let status = crate::ops::rollback::stop_rollback_status(status);
        if opts.deregister && status == ExitStatus::Success {
            match from {
                Some(from) => deregister(project, &target, &from, &opts.watch, sink).await?,
                None => sink.emit(Event::Warning {
                    message: format!(
                        "not deregistering: the task definition of deployment {} is unknown (its AppSpec names none)",
                        t.deployment_id.as_deref().unwrap_or_default()
                    ),
                }),
            }
        }
        return Ok(status);
    }

    let to =
        crate::ops::rollback::rollback_target(ecs, &target, &running, opts.revision, sink).await?;
    // The live service's launch settings: a rollback changes the revision only.
    let spec = build_appspec(project, &to, live, sink)?;
    let content = appspec::to_yaml(&spec.value);
    let config_name = project
        .config()
        .codedeploy
        .as_ref()
        .and_then(|c| c.deployment_config_name.clone());
    let input = create_deployment_input(
        &group,
        &content,
        config_name.as_deref(),
        opts.rollback_events.as_deref(),
        &to,
    );
    if opts.dry_run {
        let mut shown = input;
        if let Some(m) = shown.as_object_mut() {
            m.insert("appSpec".into(), spec.value.clone());
        }
        sink.emit(Event::DryRunCall {
            operation: "CreateDeployment".into(),
            input: shown,
        });
        dry_run_deregister(Some(&running), opts.deregister, sink);
        return Ok(ExitStatus::Success);
    }
    let id = create(api, &group, &input).await?;
    sink.emit(Event::CodeDeployDeploymentCreated {
        deployment_id: id.clone(),
        application: group.application.clone(),
        deployment_group: group.name.clone(),
        deployment_config: config_name.or_else(|| group.default_config()),
        task_definition: to.clone(),
    });
    if !opts.wait {
        return Ok(ExitStatus::Success);
    }
    let t = CdWatchTarget::new(&target, &group, Some(id), Some(to));
    let status = watch_deployment(project, &t, &opts.watch, goal, false, sink).await?;
    if opts.deregister && status == ExitStatus::Success {
        deregister(project, &target, &running, &opts.watch, sink).await?;
    }
    Ok(status)
}

fn dry_run_deregister(from: Option<&str>, deregister: bool, sink: &dyn EventSink) {
    if let (true, Some(from)) = (deregister, from) {
        sink.emit(Event::DryRunCall {
            operation: "DeregisterTaskDefinition".into(),
            input: json!({"taskDefinition": from}),
        });
        sink.emit(Event::Info {
            message: format!(
                "{} would be deregistered after a successful rollback, once no task set or running task uses it",
                short_name(from)
            ),
        });
    }
    sink.emit(Event::Info {
        message: "dry run: nothing was changed".into(),
    });
}

/// `--deregister-task-definition` after a successful rollback: wait (within the watch
/// timeout) until the service has a single steady task set — CodeDeploy removes the other
/// one a little after the deployment ends — then deregister `from` unless a task set or a
/// running task of the cluster still uses it ([`revision::Usage`]; a warning says why it was
/// kept).
async fn deregister(
    project: &Project,
    target: &ServiceRef,
    from: &str,
    watch: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<()> {
    use crate::aws::ecs::TaskFilter;
    let ecs = project.clients().ecs.clone();
    let deadline = tokio::time::Instant::now() + watch.timeout.max(watch.poll_interval);
    let service = loop {
        let service = target.describe(ecs.as_ref()).await?;
        if service.as_ref().is_none_or(cd::task_sets_stable)
            || tokio::time::Instant::now() >= deadline
        {
            break service;
        }
        tokio::time::sleep(watch.poll_interval).await;
    };
    // Task sets stand in for `deployments[]` (CODE_DEPLOY services have none).
    let sets = service
        .as_ref()
        .and_then(|s| s.get("taskSets"))
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|ts| {
                    json!({"id": ts.get("id"), "status": ts.get("status"),
                        "taskDefinition": ts.get("taskDefinition")})
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let arns = ecs
        .list_tasks(&target.cluster, &TaskFilter::default())
        .await
        .with_context(|| format!("cannot list the tasks of cluster {}", target.cluster))?;
    let tasks = if arns.is_empty() {
        Vec::new()
    } else {
        ecs.describe_tasks(&target.cluster, &arns)
            .await
            .with_context(|| format!("cannot describe the tasks of cluster {}", target.cluster))?
    };
    let usage = revision::Usage::from_json(Some(&json!({ "deployments": sets })), &tasks);
    if let Some(why) = usage.in_use(from) {
        sink.emit(Event::Warning {
            message: format!("not deregistering {}: {why}", short_name(from)),
        });
        return Ok(());
    }
    ecs.deregister_task_definition(from)
        .await
        .with_context(|| format!("cannot deregister task definition {from}"))?;
    sink.emit(Event::TaskDefinitionDeregistered {
        arn: from.to_owned(),
    });
    Ok(())
}

/// Restates the verdict of a stopped-with-rollback deployment for `rollback` (3 → 0).
struct RollbackSink<'a> {
    inner: &'a dyn EventSink,
}

impl EventSink for RollbackSink<'_> {
    fn emit(&self, event: Event) {
        match event {
            Event::Verdict(v) => {
                self.inner
                    .emit(Event::Verdict(crate::ops::rollback::stop_rollback_verdict(
                        v,
                    )))
            }
            other => self.inner.emit(other),
        }
    }

    fn tick(&self) {
        self.inner.tick();
    }
}
