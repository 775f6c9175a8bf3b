//! `deploy` for a CODE_DEPLOY service: UpdateService with what ECS accepts, then CreateDeployment
//! with the AppSpec, then the watch (see the parent module docs).

use anyhow::{Context, bail};
use serde_json::Value;

use crate::exit::ExitStatus;
use crate::model::appspec;
use crate::model::revision::{self, short_name};
use crate::ops::deploy::{
    self as ecs_deploy, DeployOptions, ServiceRef, TaskDefinitionChoice, service_attributes_differ,
    string_field,
};
use crate::ops::render::Project;
use crate::output::{Event, EventSink};

use super::{
    CdWatchTarget, build_appspec, check_goal, create, create_deployment_input, in_flight,
    next_revision_arn, resolve_group, watch_deployment,
};

/// UpdateService members ECS refuses for CODE_DEPLOY services; the first four travel in the
/// AppSpec instead.
const VIA_APPSPEC: [&str; 4] = [
    "networkConfiguration",
    "platformVersion",
    "capacityProviderStrategy",
    "loadBalancers",
];
const REFUSED: [&str; 3] = ["serviceRegistries", "taskDefinition", "forceNewDeployment"];

/// The AppSpec `Properties` other than TaskDefinition (what a deployment would change besides
/// the revision).
fn launch_properties(a: &Value) -> Value {
    let mut p = a
        .pointer("/Resources/0")
        .and_then(Value::as_object)
        .and_then(|m| m.values().next())
        .and_then(|r| r.get("Properties"))
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(m) = p.as_object_mut() {
        m.remove("TaskDefinition");
    }
    p
}

/// The UpdateService input for a CODE_DEPLOY service (members ECS accepts for it) and the
/// names of attributes of the service file that cannot be applied.
fn update_for_codedeploy(
    project: &Project,
    target: &ServiceRef,
    live: &Value,
    service_file: Option<&Value>,
    opts: &DeployOptions,
) -> (Option<Value>, Vec<String>) {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            for k in VIA_APPSPEC.iter().chain(REFUSED.iter()) {
                m.remove(*k);
            }
        }
        v
    };
    let mut unapplied = Vec::new();
    if let Some(file) = service_file.filter(|_| opts.update_service) {
        for k in ["serviceRegistries", "loadBalancers"] {
            let f = file.get(k).filter(|v| !v.is_null());
            let l = live.get(k).filter(|v| !v.is_null());
            let differs = match (f, l) {
                (Some(f), Some(l)) if k == "loadBalancers" => {
                    // Only the first load balancer's container goes through the AppSpec; the
                    // target groups belong to the deployment group.
                    let tg = |v: &Value| {
                        v.as_array()
                            .map(|a| {
                                a.iter()
                                    .map(|x| x.get("targetGroupArn").cloned())
                                    .collect::<Vec<_>>()
                            })
                            .unwrap_or_default()
                    };
                    tg(f) != tg(l)
                }
                (Some(f), Some(l)) => f != l,
                (Some(f), None) => f.as_array().is_none_or(|a| !a.is_empty()),
                _ => false,
            };
            if differs {
                unapplied.push(k.to_owned());
            }
        }
    }
    let stripped_file = service_file.map(strip);
    let attributes_from = stripped_file.as_ref().filter(|file| {
        opts.update_service
            && service_attributes_differ(file, &strip(live), &project.config().ignore.tags)
    });
    let desired = revision::update_desired_count(opts.tasks, service_file, live)
        .filter(|n| live.get("desiredCount").and_then(Value::as_i64) != Some(*n));
    let plan = revision::UpdatePlan {
        cluster: &target.cluster,
        service: &target.service,
        task_definition: None,
        attributes_from,
        desired_count: desired,
        force_new_deployment: false,
    };
    let mut input = revision::update_service_input(&plan, live);
    if let Some(m) = input.as_object_mut() {
        for k in VIA_APPSPEC.iter().chain(REFUSED.iter()) {
            m.remove(*k);
        }
    }
    let changes = input.as_object().is_some_and(|m| m.len() > 2);
    (changes.then_some(input), unapplied)
}

/// `deploy` for a CODE_DEPLOY service (called by [`crate::ops::deploy::deploy`] after its
/// render and reads).
pub(crate) async fn deploy(
    project: &Project,
    target: &ServiceRef,
    live: &Value,
    service_file: Option<Value>,
    rendered_task: Option<Value>,
    opts: &DeployOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let goal = check_goal(&opts.watch.wait_until)?;
    let clients = project.clients().clone();
    let ecs = clients.ecs.as_ref();
    let group = resolve_group(project, target, sink).await?;
    // CodeDeploy runs one deployment per group at a time (CreateDeployment would answer
    // DeploymentLimitExceededException after our other writes): refuse before any change.
    if let Some(id) = in_flight(clients.codedeploy.as_ref(), &group).await? {
        bail!(
            "CodeDeploy deployment {id} is still in progress in {}/{}: follow it with `ecspress wait` or stop it with `ecspress rollback`; nothing was changed",
            group.application,
            group.name
        );
    }
    let choice = ecs_deploy::choose_task_definition(
        project,
        ecs,
        Some(live),
        rendered_task.as_ref(),
        opts,
        sink,
    )
    .await?;
    let running = string_field(live, "taskDefinition").unwrap_or_default();
    let (update, unapplied) =
        update_for_codedeploy(project, target, live, service_file.as_ref(), opts);
    if !unapplied.is_empty() {
        sink.emit(Event::Warning {
            message: format!(
                "service definition: {} cannot be changed on a CODE_DEPLOY service (ECS refuses it in UpdateService and the AppSpec carries only the container name and port); change the deployment group or recreate the service",
                unapplied.join(", ")
            ),
        });
    }
    // `--no-update-service`: the live launch settings; only the revision changes.
    let service_for_appspec = service_file
        .as_ref()
        .filter(|_| opts.update_service)
        .unwrap_or(live);
    let config_name = opts.codedeploy_config.clone().or_else(|| {
        project
            .config()
            .codedeploy
            .as_ref()
            .and_then(|c| c.deployment_config_name.clone())
    });
    let registering = matches!(choice, TaskDefinitionChoice::Register { .. });
    let td_arn = match &choice {
        TaskDefinitionChoice::Existing { arn, .. } => arn.clone(),
        TaskDefinitionChoice::Register { input } => {
            let family = input["family"].as_str().unwrap_or_default();
            next_revision_arn(ecs, family, Some(&running)).await
        }
    };
    // A new deployment when the revision or the launch properties change (or forced).
    let new_spec = build_appspec(project, &td_arn, service_for_appspec, sink)?;
    let live_spec = appspec::build(&running, live, project.config().appspec.as_ref()).ok();
    // What the file leaves out (e.g. PlatformVersion, which AWS fills in) is no change.
    let launch_changed = live_spec.as_ref().is_none_or(|l| {
        !appspec::covers(
            &launch_properties(&l.value),
            &launch_properties(&new_spec.value),
        )
    });
    let needs_deployment = registering
        || !revision::same_revision(&td_arn, &running)
        || (opts.update_service && launch_changed)
        || opts.force_new_deployment;

    if opts.dry_run {
        crate::ops::deploy::emit_dry_run_diff(project, opts.strict, sink).await?;
        match choice {
            TaskDefinitionChoice::Existing { arn, reason } => {
                sink.emit(Event::TaskDefinitionSelected { arn, reason })
            }
            TaskDefinitionChoice::Register { input } => {
                sink.emit(Event::DryRunCall {
                    operation: "RegisterTaskDefinition".into(),
                    input,
                });
                sink.emit(Event::Info {
                    message: format!(
                        "the AppSpec below names {} (the next revision number of the family; the real ARN is known after registering)",
                        short_name(&td_arn)
                    ),
                });
            }
        }
        if let Some(input) = update {
            sink.emit(Event::DryRunCall {
                operation: "UpdateService".into(),
                input,
            });
        }
        if needs_deployment {
            let content = appspec::to_yaml(&new_spec.value);
            let mut input = create_deployment_input(
                &group,
                &content,
                config_name.as_deref(),
                opts.rollback_events.as_deref(),
                &td_arn,
            );
            if let Some(m) = input.as_object_mut() {
                // The AppSpec itself, readable, next to the content string.
                m.insert("appSpec".into(), new_spec.value.clone());
            }
            sink.emit(Event::DryRunCall {
                operation: "CreateDeployment".into(),
                input,
            });
        } else {
            sink.emit(Event::Info {
                message:
                    "no CodeDeploy deployment needed: same task definition and launch settings"
                        .into(),
            });
        }
        sink.emit(Event::Info {
            message: "dry run: nothing was changed".into(),
        });
        return Ok(ExitStatus::Success);
    }

    // Writes: RegisterTaskDefinition, UpdateService, CreateDeployment.
    let (td_arn, spec) = match choice {
        TaskDefinitionChoice::Existing { arn, reason } => {
            sink.emit(Event::TaskDefinitionSelected {
                arn: arn.clone(),
                reason,
            });
            (arn, new_spec)
        }
        TaskDefinitionChoice::Register { input } => {
            let arn =
                ecs_deploy::register_once(ecs, &input, &project.config().ignore.tags, sink).await?;
            let spec = appspec::build(&arn, service_for_appspec, project.config().appspec.as_ref())
                .with_context(|| format!("cannot build the AppSpec for {}", short_name(&arn)))?;
            (arn, spec)
        }
    };
    if let Some(input) = &update {
        let updated = ecs.update_service(input).await.with_context(|| {
            format!(
                "cannot update service {} in cluster {}",
                target.service, target.cluster
            )
        })?;
        sink.emit(Event::ServiceUpdated {
            service_arn: string_field(&updated, "serviceArn")
                .or_else(|| string_field(live, "serviceArn"))
                .unwrap_or_default(),
            task_definition: None,
            desired_count: input.get("desiredCount").and_then(Value::as_i64),
            attributes: input
                .as_object()
                .map(|m| {
                    m.keys()
                        .filter(|k| revision::UPDATE_ATTRIBUTES.contains(&k.as_str()))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
            new_deployment: false,
        });
    }
    if !needs_deployment {
        sink.emit(Event::Info {
            message: format!(
                "no new deployment: service {} already runs {} with these settings (--force-new-deployment starts one anyway)",
                target.service,
                short_name(&td_arn)
            ),
        });
        return Ok(ExitStatus::Success);
    }
    let content = appspec::to_yaml(&spec.value);
    let input = create_deployment_input(
        &group,
        &content,
        config_name.as_deref(),
        opts.rollback_events.as_deref(),
        &td_arn,
    );
    let id = create(clients.codedeploy.as_ref(), &group, &input).await?;
    sink.emit(Event::CodeDeployDeploymentCreated {
        deployment_id: id.clone(),
        application: group.application.clone(),
        deployment_group: group.name.clone(),
        deployment_config: config_name.or_else(|| group.default_config()),
        task_definition: td_arn.clone(),
    });
    if !opts.wait {
        sink.emit(Event::Info {
            message: "not waiting (--no-wait); `ecspress wait` follows the deployment".into(),
        });
        return Ok(ExitStatus::Success);
    }
    let t = CdWatchTarget::new(target, &group, Some(id), Some(td_arn));
    watch_deployment(project, &t, &opts.watch, goal, false, sink).await
}
