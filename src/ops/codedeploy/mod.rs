//! CodeDeploy blue/green (deployment controller CODE_DEPLOY): deploy, watch, continue,
//! rollback, wait and the AppSpec.
//!
//! Why a path of its own: for such a service ECS refuses task definition, network, load
//! balancer, platform version and capacity provider changes through UpdateService
//! (InvalidParameterException "Unable to update task definition on services with a
//! CODE_DEPLOY deployment controller"); a new revision reaches the service only as a CodeDeploy
//! deployment whose AppSpec names it (ecs-platform-and-peers.md §7, ecspresso.md §1.4
//! `DeployByCodeDeploy`). So deploy is: render, read, choose the task definition exactly as for
//! ECS → UpdateService with the members ECS still accepts (desiredCount,
//! deploymentConfiguration, healthCheckGracePeriodSeconds, ...), skipped when nothing changes →
//! CreateDeployment with the AppSpec ([`crate::model::appspec`]) → watch ([`watch`]).
//!
//! **Discovery** (ecspresso.md §5.3): `codedeploy.application_name` and
//! `deployment_group_name` from the config are verified with one BatchGetApplications and one
//! BatchGetDeploymentGroups; without them every ECS application's groups are searched for the
//! one whose `ecsServices` names this service. It runs once per command ([`DeploymentGroup`]
//! is resolved once and handed to the watcher: ecspresso searches twice per deploy), and the
//! result is reported with the config lines that skip the search next time.

#[cfg(test)]
mod tests;
mod watch;

use anyhow::{Context, anyhow, bail};
use serde_json::{Map, Value, json};

use crate::aws::codedeploy::CodeDeployApi;
use crate::aws::ecs::EcsApi;
use crate::exit::ExitStatus;
use crate::model::appspec;
use crate::model::codedeploy::{self as cd, Goal};
use crate::model::revision::{self, short_name};
use crate::ops::deploy::{
    self, DeployOptions, ServiceRef, TaskDefinitionChoice, service_attributes_differ, string_field,
};
use crate::ops::diff;
use crate::ops::render::Project;
use crate::ops::watch::WatchOptions;
use crate::output::{Event, EventSink};
use crate::settings::WaitUntil;

pub use watch::{CdWatchTarget, watch_deployment};

/// Statuses of a deployment still under way (ListDeployments `includeOnlyStatuses`).
const IN_FLIGHT: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];

/// UpdateService members ECS refuses for CODE_DEPLOY services; the first four travel in the
/// AppSpec instead.
const VIA_APPSPEC: [&str; 4] = [
    "networkConfiguration",
    "platformVersion",
    "capacityProviderStrategy",
    "loadBalancers",
];
const REFUSED: [&str; 3] = ["serviceRegistries", "taskDefinition", "forceNewDeployment"];

/// The application and deployment group that deploy a service.
#[derive(Debug, Clone)]
pub struct DeploymentGroup {
    /// Application name.
    pub application: String,
    /// Group name.
    pub name: String,
    /// `deploymentGroupInfo`.
    pub info: Value,
}

impl DeploymentGroup {
    /// `deploymentReadyOption.waitTimeInMinutes`.
    fn ready_wait_minutes(&self) -> Option<i64> {
        self.info
            .pointer("/blueGreenDeploymentConfiguration/deploymentReadyOption/waitTimeInMinutes")
            .and_then(Value::as_i64)
    }

    /// The group's own `deploymentConfigName` (used when CreateDeployment names none).
    fn default_config(&self) -> Option<String> {
        string_field(&self.info, "deploymentConfigName")
    }

    /// The group's `deploymentReadyOption.actionOnTimeout` when it waits for a manual reroute.
    fn ready_action(&self) -> Option<String> {
        self.info
            .pointer("/blueGreenDeploymentConfiguration/deploymentReadyOption/actionOnTimeout")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// The watch goal for `--wait-until` on a CODE_DEPLOY service; `stage:` is for ECS-native
/// deployments only (exit 2, before any change).
pub fn check_goal(wait_until: &WaitUntil) -> anyhow::Result<Goal> {
    Ok(match wait_until {
        WaitUntil::Deployed => Goal::Deployed,
        WaitUntil::Stable => Goal::Stable,
        WaitUntil::Paused => Goal::Paused,
        WaitUntil::CodeDeployEvent(e) => Goal::Event(e),
        WaitUntil::Stage(s) => bail!(
            "--wait-until stage:{s} applies to ECS-native blue/green deployments; this service uses the CODE_DEPLOY controller: use codedeploy:<Event> (e.g. codedeploy:AllowTraffic), paused, deployed or stable"
        ),
    })
}

/// Find (or verify) the deployment group of `cluster`/`service`; see the module docs.
pub(crate) async fn resolve_group(
    project: &Project,
    target: &ServiceRef,
    sink: &dyn EventSink,
) -> anyhow::Result<DeploymentGroup> {
    let api = project.clients().codedeploy.clone();
    let api = api.as_ref();
    let pinned = project.config().codedeploy.as_ref().and_then(|c| {
        Some((
            c.application_name.clone()?,
            c.deployment_group_name.clone()?,
        ))
    });
    if let Some((app, group)) = pinned {
        let apps = api
            .batch_get_applications(std::slice::from_ref(&app))
            .await
            .with_context(|| format!("cannot read CodeDeploy application {app}"))?;
        let platform = apps
            .first()
            .and_then(|a| a.get("computePlatform"))
            .and_then(Value::as_str);
        if platform != Some("ECS") {
            bail!(
                "codedeploy.application_name {app}: not an ECS CodeDeploy application (computePlatform {})",
                platform.unwrap_or("unknown")
            );
        }
        let info = api
            .batch_get_deployment_groups(&app, std::slice::from_ref(&group))
            .await
            .with_context(|| format!("cannot read CodeDeploy deployment group {app}/{group}"))?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("CodeDeploy deployment group {app}/{group} not found"))?;
        if !cd::group_deploys(&info, &target.cluster, &target.service) {
            bail!(
                "CodeDeploy deployment group {app}/{group} does not deploy service {} in cluster {} (its ecsServices: {})",
                target.service,
                target.cluster,
                info.get("ecsServices").cloned().unwrap_or(Value::Null)
            );
        }
        sink.emit(Event::CodeDeployGroup {
            application: app.clone(),
            deployment_group: group.clone(),
            discovered: false,
        });
        return Ok(DeploymentGroup {
            application: app,
            name: group,
            info,
        });
    }
    // Only the application pinned: search its groups only.
    let names = match project
        .config()
        .codedeploy
        .as_ref()
        .and_then(|c| c.application_name.clone())
    {
        Some(app) => vec![app],
        None => api
            .list_applications()
            .await
            .context("cannot list CodeDeploy applications")?,
    };
    let apps: Vec<String> = api
        .batch_get_applications(&names)
        .await
        .context("cannot read CodeDeploy applications")?
        .into_iter()
        .filter(|a| a.get("computePlatform").and_then(Value::as_str) == Some("ECS"))
        .filter_map(|a| string_field(&a, "applicationName"))
        .collect();
    let mut groups = Vec::new();
    for app in &apps {
        let names = api
            .list_deployment_groups(app)
            .await
            .with_context(|| format!("cannot list the deployment groups of {app}"))?;
        if names.is_empty() {
            continue;
        }
        for g in api
            .batch_get_deployment_groups(app, &names)
            .await
            .with_context(|| format!("cannot read the deployment groups of {app}"))?
        {
            groups.push((app.clone(), g));
        }
    }
    let (application, info) =
        cd::pick_group(&groups, &target.cluster, &target.service, apps.len())?;
    let name = string_field(&info, "deploymentGroupName").unwrap_or_default();
    sink.emit(Event::CodeDeployGroup {
        application: application.clone(),
        deployment_group: name.clone(),
        discovered: true,
    });
    sink.emit(Event::Info {
        message: format!(
            "pin it in the config to skip this search: `codedeploy: {{application_name: {application}, deployment_group_name: {name}}}`"
        ),
    });
    Ok(DeploymentGroup {
        application,
        name,
        info,
    })
}

/// The CreateDeployment input.
fn create_deployment_input(
    group: &DeploymentGroup,
    content: &str,
    config_name: Option<&str>,
    rollback_events: Option<&[String]>,
    task_definition: &str,
) -> Value {
    let mut m = Map::new();
    m.insert("applicationName".into(), json!(group.application));
    m.insert("deploymentGroupName".into(), json!(group.name));
    m.insert("revision".into(), appspec::revision(content));
    if let Some(c) = config_name {
        m.insert("deploymentConfigName".into(), json!(c));
    }
    m.insert(
        "description".into(),
        json!(format!(
            "ecspress {}: deploy {}",
            env!("CARGO_PKG_VERSION"),
            short_name(task_definition)
        )),
    );
    if let Some(events) = rollback_events {
        m.insert(
            "autoRollbackConfiguration".into(),
            json!({"enabled": true, "events": events}),
        );
    }
    Value::Object(m)
}

/// The AppSpec for `task_definition` on the service `service` (file, else live), its notes
/// reported as warnings.
fn build_appspec(
    project: &Project,
    task_definition: &str,
    service: &Value,
    sink: &dyn EventSink,
) -> anyhow::Result<appspec::AppSpec> {
    let a = appspec::build(task_definition, service, project.config().appspec.as_ref())
        .with_context(|| {
            format!(
                "cannot build the AppSpec for {}",
                short_name(task_definition)
            )
        })?;
    for n in &a.notes {
        sink.emit(Event::Warning { message: n.clone() });
    }
    Ok(a)
}

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

/// The ARN the next registered revision of `family` will have (`appspec`, `--dry-run`):
/// the newest ACTIVE revision's number + 1 (a deregistered newer revision still takes a
/// number, so this is a prediction, said so where shown).
async fn next_revision_arn(ecs: &dyn EcsApi, family: &str, like: Option<&str>) -> String {
    let newest = ecs
        .list_task_definitions(family)
        .await
        .ok()
        .and_then(|l| l.into_iter().find(|a| revision::family_of(a) == family));
    let base = newest.as_deref().or(like);
    match base {
        Some(b) => {
            let n = revision::revision_of(b).unwrap_or(0) + 1;
            match b.rsplit_once(":task-definition/") {
                Some((prefix, _)) => format!("{prefix}:task-definition/{family}:{n}"),
                None => format!("{family}:{n}"),
            }
        }
        None => format!("{family}:1"),
    }
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
    let choice = deploy::choose_task_definition(
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
        let report = diff::diff_project(
            project,
            diff::DiffOptions {
                strict: opts.strict,
            },
        )
        .await?;
        for side in report.sides {
            sink.emit(Event::Diff {
                kind: side.kind.as_str().to_owned(),
                changed: side.diff.has_changes(),
                diff: side.diff,
            });
        }
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
            let family = input["family"].as_str().unwrap_or_default().to_owned();
            let td = ecs
                .register_task_definition(&input)
                .await
                .with_context(|| format!("cannot register task definition family {family}"))?;
            let arn = string_field(&td, "taskDefinitionArn")
                .ok_or_else(|| anyhow!("RegisterTaskDefinition {family}: no ARN in the answer"))?;
            sink.emit(Event::TaskDefinitionRegistered { arn: arn.clone() });
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

async fn create(
    api: &dyn CodeDeployApi,
    group: &DeploymentGroup,
    input: &Value,
) -> anyhow::Result<String> {
    api.create_deployment(input).await.with_context(|| {
        format!(
            "cannot create a CodeDeploy deployment in {}/{}",
            group.application, group.name
        )
    })
}

/// The newest deployment of the group still under way, if any.
async fn in_flight(
    api: &dyn CodeDeployApi,
    group: &DeploymentGroup,
) -> anyhow::Result<Option<String>> {
    Ok(api
        .list_deployments(&group.application, &group.name, &IN_FLIGHT)
        .await
        .with_context(|| {
            format!(
                "cannot list the deployments of {}/{}",
                group.application, group.name
            )
        })?
        .into_iter()
        .next())
}

/// `ecspress wait` on a CODE_DEPLOY service: follow the newest deployment under way; with none,
/// say so (exit 0), or for `stable` wait for the service's single PRIMARY task set.
pub async fn attach(
    project: &Project,
    opts: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let goal = check_goal(&opts.wait_until)?;
    let target = ServiceRef::of(project)?;
    let group = resolve_group(project, &target, sink).await?;
    let api = project.clients().codedeploy.clone();
    match in_flight(api.as_ref(), &group).await? {
        Some(id) => {
            let t = CdWatchTarget::new(&target, &group, Some(id), None);
            watch_deployment(project, &t, opts, goal, false, sink).await
        }
        None if goal == Goal::Stable => watch_initial_task_set(project, &target, opts, sink).await,
        None => {
            sink.emit(Event::Info {
                message: format!(
                    "no CodeDeploy deployment in progress in {}/{}: nothing to wait for",
                    group.application, group.name
                ),
            });
            Ok(ExitStatus::Success)
        }
    }
}

/// Wait until a CODE_DEPLOY service has one PRIMARY task set in STEADY_STATE (after
/// CreateService, or `wait --wait-until stable` with no deployment under way).
pub(crate) async fn watch_initial_task_set(
    project: &Project,
    target: &ServiceRef,
    opts: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let t = CdWatchTarget {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        deployment_id: None,
        task_definition: None,
        ready_action: None,
        ready_wait_minutes: None,
    };
    watch_deployment(project, &t, opts, Goal::Stable, false, sink).await
}

/// `ecspress continue` for a CODE_DEPLOY service: the deployment under way waits in Ready →
/// ContinueDeployment(READY_WAIT) (traffic is rerouted); with `finish`, in its termination
/// wait (traffic on green, blue kept) → ContinueDeployment(TERMINATION_WAIT). Then watch it.
pub async fn continue_deployment(
    project: &Project,
    finish: bool,
    wait: bool,
    watch: &WatchOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let goal = check_goal(&watch.wait_until)?;
    let target = ServiceRef::of(project)?;
    let group = resolve_group(project, &target, sink).await?;
    let api = project.clients().codedeploy.clone();
    let api = api.as_ref();
    let Some(id) = in_flight(api, &group).await? else {
        bail!(
            "nothing to continue: no CodeDeploy deployment in progress in {}/{}",
            group.application,
            group.name
        );
    };
    let d = cd::DeploymentSnapshot::from_json(
        &api.get_deployment(&id)
            .await
            .with_context(|| format!("cannot read CodeDeploy deployment {id}"))?,
    );
    let wait_type = if finish {
        if !(d.status == "InProgress" && d.termination_wait_started) {
            bail!(
                "nothing to finish: deployment {id} is {} and not in its termination wait (traffic on the replacement task set, the original kept)",
                d.status
            );
        }
        "TERMINATION_WAIT"
    } else {
        if d.status != "Ready" {
            let hint = if d.termination_wait_started {
                "; it is in its termination wait: `ecspress continue --finish` ends that"
            } else {
                ""
            };
            bail!(
                "nothing to continue: deployment {id} is {}, not Ready (waiting for the traffic reroute){hint}",
                d.status
            );
        }
        "READY_WAIT"
    };
    api.continue_deployment(&id, wait_type)
        .await
        .with_context(|| format!("cannot continue CodeDeploy deployment {id} ({wait_type})"))?;
    sink.emit(Event::Info {
        message: format!("continued CodeDeploy deployment {id} (ContinueDeployment {wait_type})"),
    });
    if !wait {
        return Ok(ExitStatus::Success);
    }
    let t = CdWatchTarget::new(&target, &group, Some(id), None);
    watch_deployment(project, &t, watch, goal, false, sink).await
}

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

    let family = revision::family_of(&running).to_owned();
    let to = match opts.revision {
        Some(n) => {
            let name = format!("{family}:{n}");
            let td = ecs.describe_task_definition(&name).await.with_context(|| {
                format!("--revision {n}: cannot describe task definition {name}")
            })?;
            if td.get("status").and_then(Value::as_str) == Some("INACTIVE") {
                bail!("--revision {n}: {name} is INACTIVE (deregistered); ECS cannot deploy it");
            }
            string_field(&td, "taskDefinitionArn").unwrap_or(name)
        }
        None => {
            let active = ecs
                .list_task_definitions(&family)
                .await
                .with_context(|| format!("cannot list the task definitions of family {family}"))?;
            revision::previous_revision(&active, &running)?
        }
    };
    if revision::same_revision(&to, &running) {
        bail!(
            "service {} already runs {}; nothing to roll back to",
            target.service,
            short_name(&running)
        );
    }
    sink.emit(Event::RollbackPlanned {
        method: "previous_revision".into(),
        from: running.clone(),
        to: Some(to.clone()),
        service_deployment_arn: None,
    });
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

/// `--task-definition` of `ecspress appspec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSpecTaskDefinition {
    /// What deploy would use (default).
    Deploy,
    /// The revision the service runs.
    Current,
    /// The newest ACTIVE revision of the family.
    Latest,
    /// An ARN or `family:N`.
    Named(String),
}

/// `ecspress appspec`: the AppSpec deploy would send, as an [`Event::AppSpec`].
pub async fn appspec(
    project: &Project,
    which: &AppSpecTaskDefinition,
    sink: &dyn EventSink,
) -> anyhow::Result<ExitStatus> {
    let target = ServiceRef::of(project)?;
    let ecs = project.clients().ecs.clone();
    let ecs = ecs.as_ref();
    let service_file = deploy::render_service(project, false, sink).await?;
    let live = target.describe(ecs).await?;
    let running = live
        .as_ref()
        .and_then(|l| string_field(l, "taskDefinition"));
    let family_of_file = || async {
        let input = deploy::render_task(project, false, sink).await?;
        Ok::<_, anyhow::Error>(input["family"].as_str().unwrap_or_default().to_owned())
    };
    let td = match which {
        AppSpecTaskDefinition::Named(n) => {
            let td = ecs
                .describe_task_definition(n)
                .await
                .with_context(|| format!("cannot describe task definition {n}"))?;
            string_field(&td, "taskDefinitionArn").unwrap_or_else(|| n.clone())
        }
        AppSpecTaskDefinition::Current => running.clone().ok_or_else(|| {
            anyhow!(
                "service {} in cluster {} does not exist: no current task definition",
                target.service,
                target.cluster
            )
        })?,
        AppSpecTaskDefinition::Latest => {
            let family = match &running {
                Some(r) => revision::family_of(r).to_owned(),
                None => family_of_file().await?,
            };
            ecs.list_task_definitions(&family)
                .await
                .with_context(|| format!("cannot list the task definitions of family {family}"))?
                .into_iter()
                .find(|a| revision::family_of(a) == family)
                .ok_or_else(|| anyhow!("family {family} has no ACTIVE task definition revision"))?
        }
        AppSpecTaskDefinition::Deploy => {
            let opts = DeployOptions {
                dry_run: true,
                tasks: None,
                skip_task_definition: false,
                revision: None,
                latest_task_definition: false,
                force_new_deployment: false,
                update_service: true,
                wait: false,
                strict: false,
                watch: WatchOptions {
                    timeout: std::time::Duration::ZERO,
                    poll_interval: std::time::Duration::from_secs(1),
                    wait_until: WaitUntil::Deployed,
                },
                codedeploy_config: None,
                rollback_events: None,
            };
            match deploy::choose_task_definition(project, ecs, live.as_ref(), None, &opts, sink)
                .await?
            {
                TaskDefinitionChoice::Existing { arn, .. } => arn,
                TaskDefinitionChoice::Register { input } => {
                    let family = input["family"].as_str().unwrap_or_default().to_owned();
                    let next = next_revision_arn(ecs, &family, running.as_deref()).await;
                    sink.emit(Event::Warning {
                        message: format!(
                            "the task definition file differs from every registered revision: deploy would register a new one; shown as {} (the next revision number, known for sure only after registering)",
                            short_name(&next)
                        ),
                    });
                    next
                }
            }
        }
    };
    let service = service_file
        .as_ref()
        .or(live.as_ref())
        .ok_or_else(|| {
            anyhow!(
                "service {} does not exist and the config has no service_definition: nothing to build the AppSpec from",
                target.service
            )
        })?;
    let spec = build_appspec(project, &td, service, sink)?;
    sink.emit(Event::AppSpec {
        task_definition: td,
        appspec: spec.value,
    });
    Ok(ExitStatus::Success)
}
