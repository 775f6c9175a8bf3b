//! CodeDeploy operations: validation with CodeDeploy's error codes, AWS defaults, response
//! shapes (camelCase member names as the CodeDeploy API model spells them, timestamps as epoch
//! seconds), pagination.
//!
//! Choices where AWS documents no behaviour (each is visible in tests):
//! - an ECS deployment group without `blueGreenDeploymentConfiguration` gets
//!   `deploymentReadyOption {CONTINUE_DEPLOYMENT, 0}` and
//!   `terminateBlueInstancesOnDeploymentSuccess {TERMINATE, 0}` (no manual reroute, blue deleted
//!   right after AfterAllowTraffic; the console proposes one hour, the API has no default);
//! - an ECS group's default `deploymentConfigName` is `CodeDeployDefault.ECSAllAtOnce`;
//! - `loadBalancerInfo` is optional (AWS requires it for ECS): without it the replacement task
//!   set keeps the service's load balancers and `taskSetsInfo` has no target group;
//! - the AppSpec is validated at CreateDeployment (AWS fails the deployment later): its task
//!   definition must exist and be ACTIVE, and `LoadBalancerInfo.ContainerName` must be one of its
//!   containers (`InvalidRevisionException`); `sha256` is not verified;
//! - only `AppSpecContent` (and the legacy `String`) revisions are accepted: the simulator has no
//!   S3 or GitHub.
//! - list pages hold 100 names; `nextToken` is opaque.

use serde_json::{Map, Value, json};

use super::super::error::ApiError;
use super::super::world::World;
use super::engine::{self, pending_events};
use super::task_sets::{container_names, find_task_definition};
use super::{
    Application, CdDeployment, CodeDeployState, DeploymentGroup, Stage, appspec,
    ecs_deployment_config, is_other_platform_config, secs, uuid,
};

/// Page size of the List* operations.
pub(crate) const PAGE: usize = 100;
/// BatchGet* limits.
const BATCH_LIMIT: usize = 100;
const BATCH_DEPLOYMENTS_LIMIT: usize = 25;
const BATCH_TARGETS_LIMIT: usize = 25;

const AUTO_ROLLBACK_EVENTS: [&str; 3] = [
    "DEPLOYMENT_FAILURE",
    "DEPLOYMENT_STOP_ON_ALARM",
    "DEPLOYMENT_STOP_ON_REQUEST",
];
const DEPLOYMENT_STATUSES: [&str; 8] = [
    "Created",
    "Queued",
    "InProgress",
    "Baking",
    "Succeeded",
    "Failed",
    "Stopped",
    "Ready",
];
const TARGET_STATUSES: [&str; 7] = [
    "Pending",
    "InProgress",
    "Succeeded",
    "Failed",
    "Skipped",
    "Unknown",
    "Ready",
];

fn err(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::client(code, message)
}

/// The input object, refusing members the operation does not define.
fn input(op: &str, body: &Value, allowed: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let m = match body {
        Value::Null => Map::new(),
        Value::Object(m) => m.clone(),
        _ => {
            return Err(err(
                "SerializationException",
                format!("{op}: the request body must be a JSON object"),
            ));
        }
    };
    if let Some(unknown) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(err(
            "SerializationException",
            format!("{op}Input has no member named '{unknown}'"),
        ));
    }
    Ok(m)
}

fn type_error(key: &str, want: &str) -> ApiError {
    err(
        "SerializationException",
        format!("member '{key}' must be {want}"),
    )
}

fn opt_str<'a>(m: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(type_error(key, "a string")),
    }
}

fn req_str<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    code: &str,
    message: &str,
) -> Result<&'a str, ApiError> {
    opt_str(m, key)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err(code, message))
}

fn opt_bool(m: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(type_error(key, "a boolean")),
    }
}

fn opt_obj<'a>(
    m: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(type_error(key, "a structure")),
    }
}

fn opt_list<'a>(m: &'a Map<String, Value>, key: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(type_error(key, "a list")),
    }
}

fn str_list(m: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    opt_list(m, key)?
        .map(|l| {
            l.iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| type_error(key, "a list of strings"))
                })
                .collect()
        })
        .transpose()
}

/// One page of `items` after `token`.
fn page<T: Clone>(items: &[T], token: Option<&str>) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("sim-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                err(
                    "InvalidNextTokenException",
                    "The next token was specified in an invalid format.",
                )
            })?,
    };
    let end = (start + PAGE).min(items.len());
    let next = (end < items.len()).then(|| format!("sim-{end}"));
    Ok((items[start..end].to_vec(), next))
}

/// Dispatch.
pub(crate) fn handle(world: &mut World, op: &str, body: &Value) -> Result<Value, ApiError> {
    match op {
        "CreateApplication" => create_application(world, body),
        "GetApplication" => get_application(world, body),
        "ListApplications" => list_applications(world, body),
        "BatchGetApplications" => batch_get_applications(world, body),
        "CreateDeploymentGroup" => create_deployment_group(world, body),
        "GetDeploymentGroup" => get_deployment_group(world, body),
        "ListDeploymentGroups" => list_deployment_groups(world, body),
        "BatchGetDeploymentGroups" => batch_get_deployment_groups(world, body),
        "GetDeploymentConfig" => get_deployment_config(world, body),
        "CreateDeployment" => create_deployment(world, body),
        "GetDeployment" => get_deployment(world, body),
        "BatchGetDeployments" => batch_get_deployments(world, body),
        "ListDeployments" => list_deployments(world, body),
        "GetApplicationRevision" => get_application_revision(world, body),
        "ListDeploymentTargets" => list_deployment_targets(world, body),
        "GetDeploymentTarget" => get_deployment_target(world, body),
        "BatchGetDeploymentTargets" => batch_get_deployment_targets(world, body),
        "StopDeployment" => stop_deployment(world, body),
        "ContinueDeployment" => continue_deployment(world, body),
        _ => Err(ApiError::unknown_operation(op)),
    }
}

// ---------------------------------------------------------------------------------------------
// Applications

fn app_name(m: &Map<String, Value>) -> Result<&str, ApiError> {
    let name = req_str(
        m,
        "applicationName",
        "ApplicationNameRequiredException",
        "The minimum number of required application names was not specified.",
    )?;
    if name.len() > 100 {
        return Err(err(
            "InvalidApplicationNameException",
            "The application name was specified in an invalid format (at most 100 characters).",
        ));
    }
    Ok(name)
}

fn existing_app<'a>(world: &'a World, name: &str) -> Result<&'a Application, ApiError> {
    world.codedeploy.applications.get(name).ok_or_else(|| {
        err(
            "ApplicationDoesNotExistException",
            format!("No application found for name: {name}"),
        )
    })
}

pub(crate) fn application_json(a: &Application) -> Value {
    json!({
        "applicationId": a.id,
        "applicationName": a.name,
        "createTime": secs(a.created_ms),
        "linkedToGitHub": false,
        "computePlatform": a.compute_platform,
    })
}

fn create_application(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "CreateApplication",
        body,
        &["applicationName", "computePlatform", "tags"],
    )?;
    let name = app_name(&m)?.to_owned();
    let platform = opt_str(&m, "computePlatform")?.unwrap_or("Server");
    if !["Server", "Lambda", "ECS"].contains(&platform) {
        return Err(err(
            "InvalidComputePlatformException",
            format!(
                "The computePlatform is invalid: {platform}. Valid values: Server, Lambda, ECS."
            ),
        ));
    }
    if world.codedeploy.applications.contains_key(&name) {
        return Err(err(
            "ApplicationAlreadyExistsException",
            format!("{name} already exists in your account"),
        ));
    }
    let tags = opt_list(&m, "tags")?.cloned().unwrap_or_default();
    let id = uuid(world);
    world.codedeploy.applications.insert(
        name.clone(),
        Application {
            id: id.clone(),
            name,
            compute_platform: platform.to_owned(),
            created_ms: world.now_ms,
            tags,
        },
    );
    Ok(json!({ "applicationId": id }))
}

fn get_application(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("GetApplication", body, &["applicationName"])?;
    let app = existing_app(world, app_name(&m)?)?;
    Ok(json!({ "application": application_json(app) }))
}

fn list_applications(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("ListApplications", body, &["nextToken"])?;
    let names: Vec<String> = world.codedeploy.applications.keys().cloned().collect();
    let (items, next) = page(&names, opt_str(&m, "nextToken")?)?;
    let mut out = json!({ "applications": items });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn batch_get_applications(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("BatchGetApplications", body, &["applicationNames"])?;
    let names = str_list(&m, "applicationNames")?.unwrap_or_default();
    if names.is_empty() {
        return Err(err(
            "ApplicationNameRequiredException",
            "The minimum number of required application names was not specified.",
        ));
    }
    if names.len() > BATCH_LIMIT {
        return Err(err(
            "BatchLimitExceededException",
            format!(
                "The maximum number of names or IDs allowed for this request ({BATCH_LIMIT}) was exceeded."
            ),
        ));
    }
    let infos = names
        .iter()
        .map(|n| existing_app(world, n).map(application_json))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "applicationsInfo": infos }))
}

// ---------------------------------------------------------------------------------------------
// Deployment groups

fn group_name(m: &Map<String, Value>) -> Result<&str, ApiError> {
    let name = req_str(
        m,
        "deploymentGroupName",
        "DeploymentGroupNameRequiredException",
        "The deployment group name was not specified.",
    )?;
    if name.len() > 100 {
        return Err(err(
            "InvalidDeploymentGroupNameException",
            "The deployment group name was specified in an invalid format (at most 100 characters).",
        ));
    }
    Ok(name)
}

fn existing_group<'a>(
    world: &'a World,
    app: &str,
    name: &str,
) -> Result<&'a DeploymentGroup, ApiError> {
    existing_app(world, app)?;
    world
        .codedeploy
        .groups
        .get(&(app.to_owned(), name.to_owned()))
        .ok_or_else(|| {
            err(
                "DeploymentGroupDoesNotExistException",
                format!("No Deployment Group found for name: {name}"),
            )
        })
}

fn last_deployment_json(state: &CodeDeployState, id: &Option<String>) -> Option<Value> {
    let d = state.deployment(id.as_deref()?)?;
    let mut v = json!({
        "deploymentId": d.id,
        "status": d.status,
        "createTime": secs(d.created_ms),
    });
    if let Some(c) = d.completed_ms {
        v["endTime"] = secs(c);
    }
    Some(v)
}

pub(crate) fn group_json(state: &CodeDeployState, g: &DeploymentGroup) -> Value {
    let mut info = g.info.clone();
    if let Some(v) = last_deployment_json(state, &g.last_attempted) {
        info.insert("lastAttemptedDeployment".into(), v);
    }
    if let Some(v) = last_deployment_json(state, &g.last_successful) {
        info.insert("lastSuccessfulDeployment".into(), v);
    }
    if let Some(rev) = g
        .last_successful
        .as_deref()
        .and_then(|id| state.deployment(id))
        .and_then(|d| d.revision.clone())
    {
        info.insert("targetRevision".into(), rev);
    }
    Value::Object(info)
}

const CREATE_GROUP_MEMBERS: [&str; 20] = [
    "applicationName",
    "deploymentGroupName",
    "deploymentConfigName",
    "ec2TagFilters",
    "onPremisesInstanceTagFilters",
    "autoScalingGroups",
    "serviceRoleArn",
    "triggerConfigurations",
    "alarmConfiguration",
    "autoRollbackConfiguration",
    "outdatedInstancesStrategy",
    "deploymentStyle",
    "blueGreenDeploymentConfiguration",
    "loadBalancerInfo",
    "ec2TagSet",
    "ecsServices",
    "onPremisesTagSet",
    "tags",
    "terminationHookEnabled",
    "ec2DeploymentOptions",
];

fn create_deployment_group(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("CreateDeploymentGroup", body, &CREATE_GROUP_MEMBERS)?;
    let app = app_name(&m)?.to_owned();
    let platform = existing_app(world, &app)?.compute_platform.clone();
    let name = group_name(&m)?.to_owned();
    let role = req_str(
        &m,
        "serviceRoleArn",
        "RoleRequiredException",
        "The role ID was not specified.",
    )?
    .to_owned();
    if world
        .codedeploy
        .groups
        .contains_key(&(app.clone(), name.clone()))
    {
        return Err(err(
            "DeploymentGroupAlreadyExistsException",
            format!("A deployment group named {name} already exists for application {app}"),
        ));
    }
    let ecs = platform == "ECS";
    let config = match opt_str(&m, "deploymentConfigName")? {
        Some(c) => {
            validate_config_name(c, ecs)?;
            c.to_owned()
        }
        None if ecs => "CodeDeployDefault.ECSAllAtOnce".to_owned(),
        None if platform == "Lambda" => "CodeDeployDefault.LambdaAllAtOnce".to_owned(),
        None => "CodeDeployDefault.OneAtATime".to_owned(),
    };
    let alarm_configuration = alarm_configuration(&m, "alarmConfiguration")?;
    let auto_rollback = auto_rollback_configuration(&m)?;
    let mut info = Map::new();
    let id = uuid(world);
    info.insert("applicationName".into(), json!(app));
    info.insert("deploymentGroupId".into(), json!(id));
    info.insert("deploymentGroupName".into(), json!(name));
    info.insert("deploymentConfigName".into(), json!(config));
    for k in [
        "ec2TagFilters",
        "onPremisesInstanceTagFilters",
        "autoScalingGroups",
        "triggerConfigurations",
    ] {
        info.insert(
            k.into(),
            opt_list(&m, k)?
                .cloned()
                .map_or_else(|| json!([]), Value::Array),
        );
    }
    info.insert("serviceRoleArn".into(), json!(role));
    info.insert("alarmConfiguration".into(), alarm_configuration);
    if let Some(a) = auto_rollback {
        info.insert("autoRollbackConfiguration".into(), a);
    }
    info.insert(
        "outdatedInstancesStrategy".into(),
        json!(opt_str(&m, "outdatedInstancesStrategy")?.unwrap_or("UPDATE")),
    );
    for k in ["ec2TagSet", "onPremisesTagSet", "ec2DeploymentOptions"] {
        if let Some(v) = opt_obj(&m, k)? {
            info.insert(k.into(), Value::Object(v.clone()));
        }
    }
    info.insert("computePlatform".into(), json!(platform));
    info.insert(
        "terminationHookEnabled".into(),
        json!(opt_bool(&m, "terminationHookEnabled")?.unwrap_or(false)),
    );
    if ecs {
        let style = opt_obj(&m, "deploymentStyle")?;
        let (t, o) = (
            style
                .and_then(|s| s.get("deploymentType"))
                .and_then(Value::as_str),
            style
                .and_then(|s| s.get("deploymentOption"))
                .and_then(Value::as_str),
        );
        if t != Some("BLUE_GREEN") || o != Some("WITH_TRAFFIC_CONTROL") {
            return Err(err(
                "InvalidDeploymentStyleException",
                "An ECS deployment group requires deploymentStyle {deploymentType: BLUE_GREEN, deploymentOption: WITH_TRAFFIC_CONTROL}.",
            ));
        }
        info.insert(
            "deploymentStyle".into(),
            json!({"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}),
        );
        info.insert("blueGreenDeploymentConfiguration".into(), blue_green(&m)?);
        if let Some(lb) = opt_obj(&m, "loadBalancerInfo")? {
            validate_ecs_load_balancer_info(lb)?;
            info.insert("loadBalancerInfo".into(), Value::Object(lb.clone()));
        }
        let services = ecs_services(world, &m)?;
        info.insert("ecsServices".into(), services);
    } else {
        info.insert(
            "deploymentStyle".into(),
            opt_obj(&m, "deploymentStyle")?.cloned().map_or_else(
                || json!({"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}),
                Value::Object,
            ),
        );
        for k in ["blueGreenDeploymentConfiguration", "loadBalancerInfo"] {
            if let Some(v) = opt_obj(&m, k)? {
                info.insert(k.into(), Value::Object(v.clone()));
            }
        }
        info.insert("ecsServices".into(), json!([]));
    }
    world.codedeploy.groups.insert(
        (app.clone(), name.clone()),
        DeploymentGroup {
            application: app,
            name,
            info,
            last_attempted: None,
            last_successful: None,
        },
    );
    Ok(json!({ "deploymentGroupId": id }))
}

fn validate_config_name(name: &str, ecs: bool) -> Result<(), ApiError> {
    match (
        ecs_deployment_config(name).is_some(),
        is_other_platform_config(name),
    ) {
        (true, _) if ecs => Ok(()),
        (false, true) if !ecs => Ok(()),
        (true, _) | (false, true) => Err(err(
            "InvalidDeploymentConfigNameException",
            format!(
                "The deployment configuration {name} does not match the compute platform of the application."
            ),
        )),
        (false, false) => Err(err(
            "DeploymentConfigDoesNotExistException",
            format!("No deployment configuration found for name: {name}"),
        )),
    }
}

fn alarm_configuration(m: &Map<String, Value>, key: &str) -> Result<Value, ApiError> {
    let Some(a) = opt_obj(m, key)? else {
        return Ok(json!({"enabled": false, "ignorePollAlarmFailure": false, "alarms": []}));
    };
    let alarms = opt_list(a, "alarms")?.cloned().unwrap_or_default();
    if alarms.len() > 10 {
        return Err(err(
            "AlarmsLimitExceededException",
            "The maximum number of alarms for a deployment group (10) was exceeded.",
        ));
    }
    if alarms.iter().any(|x| {
        x.get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    }) {
        return Err(err(
            "InvalidAlarmConfigException",
            "Every alarm needs a name.",
        ));
    }
    let enabled = opt_bool(a, "enabled")?.unwrap_or(false);
    if enabled && alarms.is_empty() {
        return Err(err(
            "InvalidAlarmConfigException",
            "The alarm configuration is enabled but lists no alarms.",
        ));
    }
    Ok(json!({
        "enabled": enabled,
        "ignorePollAlarmFailure": opt_bool(a, "ignorePollAlarmFailure")?.unwrap_or(false),
        "alarms": alarms,
    }))
}

fn auto_rollback_configuration(m: &Map<String, Value>) -> Result<Option<Value>, ApiError> {
    let Some(a) = opt_obj(m, "autoRollbackConfiguration")? else {
        return Ok(None);
    };
    let enabled = opt_bool(a, "enabled")?.unwrap_or(false);
    let events = str_list(a, "events")?.unwrap_or_default();
    if let Some(bad) = events
        .iter()
        .find(|e| !AUTO_ROLLBACK_EVENTS.contains(&e.as_str()))
    {
        return Err(err(
            "InvalidAutoRollbackConfigException",
            format!(
                "The automatic rollback event {bad} is invalid. Valid values: {}.",
                AUTO_ROLLBACK_EVENTS.join(", ")
            ),
        ));
    }
    if enabled && events.is_empty() {
        return Err(err(
            "InvalidAutoRollbackConfigException",
            "Automatic rollback is enabled but no rollback events were specified.",
        ));
    }
    Ok(Some(json!({ "enabled": enabled, "events": events })))
}

fn blue_green(m: &Map<String, Value>) -> Result<Value, ApiError> {
    let bad = |msg: String| err("InvalidBlueGreenDeploymentConfigurationException", msg);
    let bg = opt_obj(m, "blueGreenDeploymentConfiguration")?;
    let ready = bg
        .map(|b| opt_obj(b, "deploymentReadyOption"))
        .transpose()?
        .flatten();
    let action = ready
        .map(|r| opt_str(r, "actionOnTimeout"))
        .transpose()?
        .flatten()
        .unwrap_or("CONTINUE_DEPLOYMENT");
    if !["CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT"].contains(&action) {
        return Err(bad(format!(
            "deploymentReadyOption.actionOnTimeout {action} is invalid: use CONTINUE_DEPLOYMENT or STOP_DEPLOYMENT."
        )));
    }
    let wait = ready
        .and_then(|r| r.get("waitTimeInMinutes"))
        .map(|v| {
            v.as_i64()
                .ok_or_else(|| type_error("waitTimeInMinutes", "an integer"))
        })
        .transpose()?
        .unwrap_or(0);
    if wait < 0 {
        return Err(bad(
            "deploymentReadyOption.waitTimeInMinutes must not be negative.".into(),
        ));
    }
    let term = bg
        .map(|b| opt_obj(b, "terminateBlueInstancesOnDeploymentSuccess"))
        .transpose()?
        .flatten();
    let term_action = term
        .map(|t| opt_str(t, "action"))
        .transpose()?
        .flatten()
        .unwrap_or("TERMINATE");
    if !["TERMINATE", "KEEP_ALIVE"].contains(&term_action) {
        return Err(bad(format!(
            "terminateBlueInstancesOnDeploymentSuccess.action {term_action} is invalid: use TERMINATE or KEEP_ALIVE."
        )));
    }
    let term_wait = term
        .and_then(|t| t.get("terminationWaitTimeInMinutes"))
        .map(|v| {
            v.as_i64()
                .ok_or_else(|| type_error("terminationWaitTimeInMinutes", "an integer"))
        })
        .transpose()?
        .unwrap_or(0);
    if !(0..=2880).contains(&term_wait) {
        return Err(bad(
            "terminationWaitTimeInMinutes must be between 0 and 2880 (2 days).".into(),
        ));
    }
    let mut out = json!({
        "terminateBlueInstancesOnDeploymentSuccess": {"action": term_action, "terminationWaitTimeInMinutes": term_wait},
        "deploymentReadyOption": {"actionOnTimeout": action, "waitTimeInMinutes": wait},
    });
    if let Some(g) = bg.and_then(|b| b.get("greenFleetProvisioningOption")) {
        out["greenFleetProvisioningOption"] = g.clone();
    }
    Ok(out)
}

fn validate_ecs_load_balancer_info(lb: &Map<String, Value>) -> Result<(), ApiError> {
    if lb.get("elbInfoList").is_some() || lb.get("targetGroupInfoList").is_some() {
        return Err(err(
            "InvalidLoadBalancerInfoException",
            "An ECS deployment group takes loadBalancerInfo.targetGroupPairInfoList, not elbInfoList or targetGroupInfoList.",
        ));
    }
    let bad = |msg: &str| err("InvalidTargetGroupPairException", msg);
    let pairs = opt_list(lb, "targetGroupPairInfoList")?
        .ok_or_else(|| bad("loadBalancerInfo.targetGroupPairInfoList is required for ECS."))?;
    if pairs.len() != 1 {
        return Err(bad(
            "An ECS deployment group takes exactly one target group pair.",
        ));
    }
    let pair = pairs[0]
        .as_object()
        .ok_or_else(|| type_error("targetGroupPairInfoList", "a list of structures"))?;
    let tgs = opt_list(pair, "targetGroups")?.cloned().unwrap_or_default();
    let names: Vec<&str> = tgs
        .iter()
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .collect();
    if names.len() != 2 || tgs.len() != 2 || names[0] == names[1] {
        return Err(bad(
            "A target group pair must name exactly two different target groups.",
        ));
    }
    let listeners = pair
        .get("prodTrafficRoute")
        .and_then(|r| r.get("listenerArns"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if listeners != 1 {
        return Err(bad("prodTrafficRoute must name exactly one listener."));
    }
    Ok(())
}

/// `ecsServices`: exactly one existing CODE_DEPLOY service, not already in another group.
fn ecs_services(world: &World, m: &Map<String, Value>) -> Result<Value, ApiError> {
    let bad = |msg: String| err("InvalidECSServiceException", msg);
    let list = opt_list(m, "ecsServices")?.cloned().unwrap_or_default();
    if list.len() != 1 {
        return Err(bad(
            "An ECS deployment group must list exactly one ECS service in ecsServices.".into(),
        ));
    }
    let cluster = list[0]
        .get("clusterName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let service = list[0]
        .get("serviceName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if cluster.is_empty() || service.is_empty() {
        return Err(bad(
            "ecsServices entries need clusterName and serviceName.".into()
        ));
    }
    let svc = find_service(world, cluster, service).ok_or_else(|| {
        bad(format!(
            "The ECS service {service} in cluster {cluster} does not exist or is not ACTIVE."
        ))
    })?;
    if world.ecs.services[svc].controller() != "CODE_DEPLOY" {
        return Err(bad(format!(
            "Deployment group's ECS service {cluster}:{service} must be configured for a CODE_DEPLOY deployment controller."
        )));
    }
    if world.codedeploy.groups.values().any(|g| {
        g.info
            .get("ecsServices")
            .and_then(Value::as_array)
            .is_some_and(|l| {
                l.iter().any(|s| {
                    s.get("clusterName").and_then(Value::as_str) == Some(cluster)
                        && s.get("serviceName").and_then(Value::as_str) == Some(service)
                })
            })
    }) {
        return Err(err(
            "ECSServiceMappingLimitExceededException",
            format!(
                "The ECS service {cluster}:{service} is already associated with a deployment group."
            ),
        ));
    }
    Ok(json!([{ "serviceName": service, "clusterName": cluster }]))
}

/// The ACTIVE service `name` in cluster `cluster` (by name or ARN).
fn find_service(world: &World, cluster: &str, name: &str) -> Option<usize> {
    let cluster_name = cluster.rsplit('/').next().unwrap_or(cluster);
    let service_name = name.rsplit('/').next().unwrap_or(name);
    world.ecs.services.iter().rposition(|s| {
        s.status == "ACTIVE"
            && s.name == service_name
            && s.cluster_arn.rsplit('/').next() == Some(cluster_name)
    })
}

fn get_deployment_group(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "GetDeploymentGroup",
        body,
        &["applicationName", "deploymentGroupName"],
    )?;
    let app = app_name(&m)?;
    existing_app(world, app)?;
    let g = existing_group(world, app, group_name(&m)?)?;
    Ok(json!({ "deploymentGroupInfo": group_json(&world.codedeploy, g) }))
}

fn list_deployment_groups(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "ListDeploymentGroups",
        body,
        &["applicationName", "nextToken"],
    )?;
    let app = app_name(&m)?.to_owned();
    existing_app(world, &app)?;
    let names: Vec<String> = world
        .codedeploy
        .groups
        .values()
        .filter(|g| g.application == app)
        .map(|g| g.name.clone())
        .collect();
    let (items, next) = page(&names, opt_str(&m, "nextToken")?)?;
    let mut out = json!({ "applicationName": app, "deploymentGroups": items });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn batch_get_deployment_groups(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "BatchGetDeploymentGroups",
        body,
        &["applicationName", "deploymentGroupNames"],
    )?;
    let app = app_name(&m)?.to_owned();
    existing_app(world, &app)?;
    let names = str_list(&m, "deploymentGroupNames")?.unwrap_or_default();
    if names.is_empty() {
        return Err(err(
            "DeploymentGroupNameRequiredException",
            "The deployment group name was not specified.",
        ));
    }
    if names.len() > BATCH_LIMIT {
        return Err(err(
            "BatchLimitExceededException",
            format!(
                "The maximum number of names or IDs allowed for this request ({BATCH_LIMIT}) was exceeded."
            ),
        ));
    }
    let mut infos = Vec::new();
    let mut missing = Vec::new();
    for n in &names {
        match world.codedeploy.groups.get(&(app.clone(), n.clone())) {
            Some(g) => infos.push(group_json(&world.codedeploy, g)),
            None => missing.push(n.as_str()),
        }
    }
    let mut out = json!({ "deploymentGroupsInfo": infos });
    if !missing.is_empty() {
        out["errorMessage"] = json!(format!(
            "Deployment groups do not exist: {}",
            missing.join(", ")
        ));
    }
    Ok(out)
}

fn get_deployment_config(_world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("GetDeploymentConfig", body, &["deploymentConfigName"])?;
    let name = req_str(
        &m,
        "deploymentConfigName",
        "DeploymentConfigNameRequiredException",
        "The deployment configuration name was not specified.",
    )?;
    let routing = ecs_deployment_config(name).ok_or_else(|| {
        err(
            "DeploymentConfigDoesNotExistException",
            format!("No deployment configuration found for name: {name}"),
        )
    })?;
    let mins = |ms: i64| ms / 60_000;
    let traffic = match routing {
        super::Routing::AllAtOnce => json!({"type": "AllAtOnce"}),
        super::Routing::Linear {
            percent,
            interval_ms,
        } => json!({
            "type": "TimeBasedLinear",
            "timeBasedLinear": {"linearPercentage": percent as i64, "linearInterval": mins(interval_ms)},
        }),
        super::Routing::Canary {
            percent,
            interval_ms,
        } => json!({
            "type": "TimeBasedCanary",
            "timeBasedCanary": {"canaryPercentage": percent as i64, "canaryInterval": mins(interval_ms)},
        }),
    };
    // Predefined configs: fixed ids and a creation time in the past, as AWS shows them.
    let id = name
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Ok(json!({ "deploymentConfigInfo": {
        "deploymentConfigId": format!("{:08x}-0000-4000-8000-{:012x}", id >> 32, id & 0xffff_ffff_ffff),
        "deploymentConfigName": name,
        "createTime": 1_543_276_800.0,
        "computePlatform": "ECS",
        "trafficRoutingConfig": traffic,
    }}))
}

// ---------------------------------------------------------------------------------------------
// Deployments

/// A fresh `d-` + 9 characters id.
pub(crate) fn new_deployment_id(world: &mut World) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    loop {
        let mut n = world.next_u64();
        let id: String = (0..9)
            .map(|_| {
                let c = ALPHABET[(n % 36) as usize];
                n /= 36;
                c as char
            })
            .collect();
        let id = format!("d-{id}");
        if world.codedeploy.deployment(&id).is_none() {
            return id;
        }
    }
}

fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|r| {
        r.len() == 9
            && r.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

fn deployment_id(m: &Map<String, Value>) -> Result<&str, ApiError> {
    let id = req_str(
        m,
        "deploymentId",
        "DeploymentIdRequiredException",
        "At least one deployment ID must be specified.",
    )?;
    if !is_deployment_id(id) {
        return Err(err(
            "InvalidDeploymentIdException",
            format!("Specified DeploymentId is not in the valid format: {id}"),
        ));
    }
    Ok(id)
}

fn existing_deployment<'a>(world: &'a World, id: &str) -> Result<&'a CdDeployment, ApiError> {
    world.codedeploy.deployment(id).ok_or_else(|| {
        err(
            "DeploymentDoesNotExistException",
            format!("The deployment {id} could not be found."),
        )
    })
}

const CREATE_DEPLOYMENT_MEMBERS: [&str; 13] = [
    "applicationName",
    "deploymentGroupName",
    "revision",
    "deploymentConfigName",
    "description",
    "ignoreApplicationStopFailures",
    "targetInstances",
    "autoRollbackConfiguration",
    "updateOutdatedInstancesOnly",
    "fileExistsBehavior",
    "overrideAlarmConfiguration",
    "deploymentMode",
    "ec2DeploymentOptions",
];

fn create_deployment(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("CreateDeployment", body, &CREATE_DEPLOYMENT_MEMBERS)?;
    let app = app_name(&m)?.to_owned();
    let platform = existing_app(world, &app)?.compute_platform.clone();
    let group_name = group_name(&m)?.to_owned();
    let group = existing_group(world, &app, &group_name)?.clone();
    if platform != "ECS" {
        return Err(err(
            "InvalidComputePlatformException",
            format!(
                "ecspress sim simulates ECS deployments only; application {app} uses {platform}."
            ),
        ));
    }
    let description = opt_str(&m, "description")?.map(str::to_owned);
    if description.as_ref().is_some_and(|d| d.len() > 512) {
        return Err(err(
            "DescriptionTooLongException",
            "The description is too long (at most 512 characters).",
        ));
    }
    let config_name = match opt_str(&m, "deploymentConfigName")? {
        Some(c) => {
            validate_config_name(c, true)?;
            c.to_owned()
        }
        None => group
            .info
            .get("deploymentConfigName")
            .and_then(Value::as_str)
            .unwrap_or("CodeDeployDefault.ECSAllAtOnce")
            .to_owned(),
    };
    let routing = ecs_deployment_config(&config_name).ok_or_else(|| {
        err(
            "DeploymentConfigDoesNotExistException",
            format!("No deployment configuration found for name: {config_name}"),
        )
    })?;
    let auto_rollback = match auto_rollback_configuration(&m)? {
        Some(a) => a,
        None => group
            .info
            .get("autoRollbackConfiguration")
            .cloned()
            .unwrap_or_else(|| json!({"enabled": false, "events": []})),
    };
    let alarm_configuration = if m.contains_key("overrideAlarmConfiguration") {
        alarm_configuration(&m, "overrideAlarmConfiguration")?
    } else {
        group
            .info
            .get("alarmConfiguration")
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (revision, spec) = revision(&m)?;
    // The ECS service the group deploys.
    let target = group
        .info
        .get("ecsServices")
        .and_then(|s| s.get(0))
        .cloned()
        .unwrap_or(Value::Null);
    let cluster = target
        .get("clusterName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let service = target
        .get("serviceName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let si = find_service(world, &cluster, &service).ok_or_else(|| {
        err(
            "InvalidECSServiceException",
            format!(
                "The ECS service {service} in cluster {cluster} does not exist or is not ACTIVE."
            ),
        )
    })?;
    let service_arn = world.ecs.services[si].arn.clone();
    let td = find_task_definition(world, &spec.task_definition).ok_or_else(|| {
        err(
            "InvalidRevisionException",
            format!(
                "The AppSpec task definition {} does not exist.",
                spec.task_definition
            ),
        )
    })?;
    if td.status != "ACTIVE" {
        return Err(err(
            "InvalidRevisionException",
            format!(
                "The AppSpec task definition {} is {}; only ACTIVE task definitions can be deployed.",
                td.arn, td.status
            ),
        ));
    }
    if let Some(c) = &spec.container_name
        && !container_names(td).contains(c)
    {
        return Err(err(
            "InvalidRevisionException",
            format!(
                "The AppSpec LoadBalancerInfo.ContainerName {c} is not a container of {}.",
                td.arn
            ),
        ));
    }
    let td_arn = td.arn.clone();
    if let Some(active) = world
        .codedeploy
        .deployments
        .iter()
        .find(|d| d.application == app && d.group == group_name && d.is_active())
    {
        return Err(err(
            "DeploymentLimitExceededException",
            format!(
                "The Deployment Group '{group_name}' already has an active Deployment '{}'",
                active.id
            ),
        ));
    }
    let previous_revision = group
        .last_successful
        .as_deref()
        .and_then(|id| world.codedeploy.deployment(id))
        .and_then(|d| d.revision.clone());
    let id = new_deployment_id(world);
    let now = world.now_ms;
    let d = CdDeployment {
        id: id.clone(),
        application: app.clone(),
        group: group_name.clone(),
        config_name,
        routing,
        description,
        creator: "user".into(),
        status: "Created".into(),
        stage: Stage::Created,
        created_ms: now,
        started_ms: None,
        completed_ms: None,
        revision: Some(revision),
        previous_revision,
        appspec: Some(spec),
        task_definition: td_arn,
        cluster_name: cluster,
        service_name: service,
        service_arn,
        events: pending_events(),
        error: None,
        rollback_deployment_id: None,
        rollback_triggering_deployment_id: None,
        rollback_message: None,
        auto_rollback,
        deployment_style: group
            .info
            .get("deploymentStyle")
            .cloned()
            .unwrap_or(Value::Null),
        blue_green: group
            .info
            .get("blueGreenDeploymentConfiguration")
            .cloned()
            .unwrap_or(Value::Null),
        load_balancer_info: group.info.get("loadBalancerInfo").cloned(),
        alarm_configuration,
        blue_task_set: None,
        green_task_set: None,
        green_weight: 0.0,
        last_shift_ms: now,
        ready_since_ms: None,
        termination_started_ms: None,
        target_status: "Pending".into(),
        target_updated_ms: now,
        task_sets_info: Vec::new(),
    };
    world.codedeploy.deployments.push(d);
    if let Some(g) = world.codedeploy.groups.get_mut(&(app, group_name)) {
        g.last_attempted = Some(id.clone());
    }
    Ok(json!({ "deploymentId": id }))
}

/// `revision {revisionType: AppSpecContent, appSpecContent: {content, sha256}}` → (echo, AppSpec).
fn revision(m: &Map<String, Value>) -> Result<(Value, appspec::AppSpec), ApiError> {
    let r = opt_obj(m, "revision")?.ok_or_else(|| {
        err(
            "RevisionRequiredException",
            "The revision ID was not specified.",
        )
    })?;
    let kind = opt_str(r, "revisionType")?.unwrap_or_default();
    let content_key = match kind {
        "AppSpecContent" => "appSpecContent",
        "String" => "string",
        "S3" | "GitHub" => {
            return Err(err(
                "InvalidRevisionException",
                format!(
                    "ecspress sim cannot fetch {kind} revisions; send the AppSpec inline (revisionType AppSpecContent)."
                ),
            ));
        }
        other => {
            return Err(err(
                "InvalidRevisionException",
                format!("The revisionType {other:?} is invalid."),
            ));
        }
    };
    let content = opt_obj(r, content_key)?
        .and_then(|c| c.get("content"))
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            err(
                "InvalidRevisionException",
                format!("revision.{content_key}.content is required."),
            )
        })?;
    let spec = appspec::parse(content).map_err(|e| err("InvalidRevisionException", e))?;
    Ok((Value::Object(r.clone()), spec))
}

pub(crate) fn deployment_json(d: &CdDeployment) -> Value {
    let count = |s: &str| i64::from(d.target_status == s);
    let mut v = json!({
        "applicationName": d.application,
        "deploymentGroupName": d.group,
        "deploymentConfigName": d.config_name,
        "deploymentId": d.id,
        "status": d.status,
        "createTime": secs(d.created_ms),
        "deploymentOverview": {
            "Pending": count("Pending"),
            "InProgress": count("InProgress"),
            "Succeeded": count("Succeeded"),
            "Failed": count("Failed"),
            "Skipped": count("Skipped"),
            "Ready": count("Ready"),
        },
        "creator": d.creator,
        "ignoreApplicationStopFailures": false,
        "autoRollbackConfiguration": d.auto_rollback,
        "updateOutdatedInstancesOnly": false,
        "deploymentStyle": d.deployment_style,
        "instanceTerminationWaitTimeStarted": d.termination_started_ms.is_some(),
        "blueGreenDeploymentConfiguration": d.blue_green,
        "deploymentStatusMessages": [],
        "computePlatform": "ECS",
    });
    let Value::Object(m) = &mut v else {
        return v;
    };
    let mut put = |k: &str, x: Option<Value>| {
        if let Some(x) = x {
            m.insert(k.into(), x);
        }
    };
    put("revision", d.revision.clone());
    put("previousRevision", d.previous_revision.clone());
    put("description", d.description.clone().map(Value::String));
    put("startTime", d.started_ms.map(secs));
    put("completeTime", d.completed_ms.map(secs));
    put("loadBalancerInfo", d.load_balancer_info.clone());
    put(
        "errorInformation",
        d.error
            .as_ref()
            .map(|(code, message)| json!({"code": code, "message": message})),
    );
    if d.rollback_deployment_id.is_some()
        || d.rollback_triggering_deployment_id.is_some()
        || d.rollback_message.is_some()
    {
        let mut r = Map::new();
        if let Some(x) = &d.rollback_deployment_id {
            r.insert("rollbackDeploymentId".into(), json!(x));
        }
        if let Some(x) = &d.rollback_triggering_deployment_id {
            r.insert("rollbackTriggeringDeploymentId".into(), json!(x));
        }
        if let Some(x) = &d.rollback_message {
            r.insert("rollbackMessage".into(), json!(x));
        }
        put("rollbackInfo", Some(Value::Object(r)));
    }
    v
}

fn get_deployment(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("GetDeployment", body, &["deploymentId"])?;
    let d = existing_deployment(world, deployment_id(&m)?)?;
    Ok(json!({ "deploymentInfo": deployment_json(d) }))
}

fn batch_get_deployments(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("BatchGetDeployments", body, &["deploymentIds"])?;
    let ids = str_list(&m, "deploymentIds")?.unwrap_or_default();
    if ids.is_empty() {
        return Err(err(
            "DeploymentIdRequiredException",
            "At least one deployment ID must be specified.",
        ));
    }
    if ids.len() > BATCH_DEPLOYMENTS_LIMIT {
        return Err(err(
            "BatchLimitExceededException",
            format!(
                "The maximum number of names or IDs allowed for this request ({BATCH_DEPLOYMENTS_LIMIT}) was exceeded."
            ),
        ));
    }
    if let Some(bad) = ids.iter().find(|i| !is_deployment_id(i)) {
        return Err(err(
            "InvalidDeploymentIdException",
            format!("Specified DeploymentId is not in the valid format: {bad}"),
        ));
    }
    let infos: Vec<Value> = ids
        .iter()
        .filter_map(|i| world.codedeploy.deployment(i))
        .map(deployment_json)
        .collect();
    Ok(json!({ "deploymentsInfo": infos }))
}

fn list_deployments(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "ListDeployments",
        body,
        &[
            "applicationName",
            "deploymentGroupName",
            "externalId",
            "includeOnlyStatuses",
            "createTimeRange",
            "nextToken",
        ],
    )?;
    // AWS: applicationName and deploymentGroupName go together.
    let app = opt_str(&m, "applicationName")?.filter(|s| !s.is_empty());
    let group = opt_str(&m, "deploymentGroupName")?.filter(|s| !s.is_empty());
    match (app, group) {
        (Some(a), Some(g)) => {
            existing_group(world, a, g)?;
        }
        (Some(a), None) => {
            existing_app(world, a)?;
            return Err(err(
                "DeploymentGroupNameRequiredException",
                "If applicationName is specified, deploymentGroupName must be specified too.",
            ));
        }
        (None, Some(_)) => {
            return Err(err(
                "ApplicationNameRequiredException",
                "If deploymentGroupName is specified, applicationName must be specified too.",
            ));
        }
        (None, None) => {}
    }
    let statuses = str_list(&m, "includeOnlyStatuses")?.unwrap_or_default();
    if let Some(bad) = statuses
        .iter()
        .find(|s| !DEPLOYMENT_STATUSES.contains(&s.as_str()))
    {
        return Err(err(
            "InvalidDeploymentStatusException",
            format!("The deployment status {bad} is invalid."),
        ));
    }
    let range = opt_obj(&m, "createTimeRange")?;
    let bound = |k: &str| -> Result<Option<f64>, ApiError> {
        range
            .and_then(|r| r.get(k))
            .filter(|v| !v.is_null())
            .map(|v| {
                v.as_f64()
                    .ok_or_else(|| err("InvalidTimeRangeException", "The time range is invalid."))
            })
            .transpose()
    };
    let (start, end) = (bound("start")?, bound("end")?);
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(err(
            "InvalidTimeRangeException",
            "The time range start is after its end.",
        ));
    }
    let ids: Vec<String> = world
        .codedeploy
        .deployments
        .iter()
        .rev()
        .filter(|d| app.is_none_or(|a| d.application == a) && group.is_none_or(|g| d.group == g))
        .filter(|d| statuses.is_empty() || statuses.contains(&d.status))
        .filter(|d| {
            let t = d.created_ms as f64 / 1000.0;
            start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
        })
        .map(|d| d.id.clone())
        .collect();
    let (items, next) = page(&ids, opt_str(&m, "nextToken")?)?;
    let mut out = json!({ "deployments": items });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn get_application_revision(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "GetApplicationRevision",
        body,
        &["applicationName", "revision"],
    )?;
    let app = app_name(&m)?.to_owned();
    existing_app(world, &app)?;
    let wanted = opt_obj(&m, "revision")?.ok_or_else(|| {
        err(
            "RevisionRequiredException",
            "The revision ID was not specified.",
        )
    })?;
    let key = |r: &Map<String, Value>| -> Option<(String, String)> {
        let t = r.get("revisionType")?.as_str()?.to_owned();
        let c = r.get(if t == "String" {
            "string"
        } else {
            "appSpecContent"
        })?;
        let id = c
            .get("sha256")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .or_else(|| c.get("content").and_then(Value::as_str))?;
        Some((t, id.to_owned()))
    };
    let want =
        key(wanted).ok_or_else(|| err("InvalidRevisionException", "The revision is invalid."))?;
    let uses: Vec<&CdDeployment> = world
        .codedeploy
        .deployments
        .iter()
        .filter(|d| d.application == app)
        .filter(|d| {
            d.revision.as_ref().and_then(Value::as_object).and_then(key) == Some(want.clone())
        })
        .collect();
    let (Some(first), Some(last)) = (uses.first(), uses.last()) else {
        return Err(err(
            "RevisionDoesNotExistException",
            "The named revision does not exist with the IAM user or AWS account.",
        ));
    };
    let mut groups: Vec<&str> = uses.iter().map(|d| d.group.as_str()).collect();
    groups.dedup();
    Ok(json!({
        "applicationName": app,
        "revision": last.revision,
        "revisionInfo": {
            "description": last.description,
            "deploymentGroups": groups,
            "firstUsedTime": secs(first.created_ms),
            "lastUsedTime": secs(last.created_ms),
            "registerTime": secs(first.created_ms),
        },
    }))
}

// ---------------------------------------------------------------------------------------------
// Deployment targets

pub(crate) fn target_json(d: &CdDeployment) -> Value {
    let events: Vec<Value> = d
        .events
        .iter()
        .map(|e| {
            let mut v = json!({"lifecycleEventName": e.name, "status": e.status});
            if let Some(s) = e.start_ms {
                v["startTime"] = secs(s);
            }
            if let Some(s) = e.end_ms {
                v["endTime"] = secs(s);
            }
            v
        })
        .collect();
    json!({
        "deploymentTargetType": "ECSTarget",
        "ecsTarget": {
            "deploymentId": d.id,
            "targetId": d.target_id(),
            "targetArn": d.service_arn,
            "lastUpdatedAt": secs(d.target_updated_ms),
            "lifecycleEvents": events,
            "status": d.target_status,
            "taskSetsInfo": d.task_sets_info,
        },
    })
}

/// The deployment, once started (targets exist from InProgress on).
fn started_deployment(world: &mut World, id: &str) -> Result<(), ApiError> {
    let d = existing_deployment(world, id)?;
    if d.stage == Stage::Created {
        return Err(err(
            "DeploymentNotStartedException",
            format!("The deployment {id} has not started."),
        ));
    }
    // Serve the task sets as they are now, not as of the last tick.
    engine::refresh_target(world, id);
    Ok(())
}

fn list_deployment_targets(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "ListDeploymentTargets",
        body,
        &["deploymentId", "nextToken", "targetFilters"],
    )?;
    let id = deployment_id(&m)?.to_owned();
    started_deployment(world, &id)?;
    let d = existing_deployment(world, &id)?;
    let mut keep = true;
    if let Some(filters) = opt_obj(&m, "targetFilters")? {
        for (k, v) in filters {
            let values: Vec<&str> = v
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            match k.as_str() {
                "TargetStatus" => {
                    if let Some(bad) = values.iter().find(|s| !TARGET_STATUSES.contains(s)) {
                        return Err(err(
                            "InvalidInstanceStatusException",
                            format!("The target status {bad} is invalid."),
                        ));
                    }
                    keep &= values.is_empty() || values.contains(&d.target_status.as_str());
                }
                // ECS targets have no Blue/Green server label.
                "ServerInstanceLabel" => keep &= values.is_empty(),
                other => {
                    return Err(err(
                        "InvalidTargetFilterNameException",
                        format!("The target filter name {other} is invalid."),
                    ));
                }
            }
        }
    }
    let ids: Vec<String> = if keep {
        vec![d.target_id()]
    } else {
        Vec::new()
    };
    let (items, next) = page(&ids, opt_str(&m, "nextToken")?)?;
    let mut out = json!({ "targetIds": items });
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn target_of<'a>(world: &'a World, id: &str, target: &str) -> Result<&'a CdDeployment, ApiError> {
    let d = existing_deployment(world, id)?;
    if d.target_id() != target {
        return Err(err(
            "DeploymentTargetDoesNotExistException",
            format!("The target {target} does not exist in deployment {id}."),
        ));
    }
    Ok(d)
}

fn get_deployment_target(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input("GetDeploymentTarget", body, &["deploymentId", "targetId"])?;
    let id = deployment_id(&m)?.to_owned();
    let target = req_str(
        &m,
        "targetId",
        "DeploymentTargetIdRequiredException",
        "A deployment target ID was not provided.",
    )?
    .to_owned();
    started_deployment(world, &id)?;
    let d = target_of(world, &id, &target)?;
    Ok(json!({ "deploymentTarget": target_json(d) }))
}

fn batch_get_deployment_targets(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "BatchGetDeploymentTargets",
        body,
        &["deploymentId", "targetIds"],
    )?;
    let id = deployment_id(&m)?.to_owned();
    let targets = str_list(&m, "targetIds")?.unwrap_or_default();
    if targets.is_empty() {
        return Err(err(
            "DeploymentTargetIdRequiredException",
            "A deployment target ID was not provided.",
        ));
    }
    if targets.len() > BATCH_TARGETS_LIMIT {
        return Err(err(
            "DeploymentTargetListSizeExceededException",
            format!(
                "The maximum number of targets that can be associated with a request ({BATCH_TARGETS_LIMIT}) was exceeded."
            ),
        ));
    }
    started_deployment(world, &id)?;
    let out = targets
        .iter()
        .map(|t| target_of(world, &id, t).map(target_json))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "deploymentTargets": out }))
}

// ---------------------------------------------------------------------------------------------
// Stop / continue

fn stop_deployment(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "StopDeployment",
        body,
        &["deploymentId", "autoRollbackEnabled"],
    )?;
    let id = deployment_id(&m)?.to_owned();
    let asked = opt_bool(&m, "autoRollbackEnabled")?;
    let d = existing_deployment(world, &id)?;
    if !d.is_active() {
        return Err(err(
            "DeploymentAlreadyCompletedException",
            format!("The deployment {id} is already completed ({})", d.status),
        ));
    }
    // Unspecified: the deployment's own auto-rollback setting for a stop request decides.
    let rollback = d.creator != "codeDeployRollback"
        && asked.unwrap_or_else(|| engine::rolls_back_on(d, "DEPLOYMENT_STOP_ON_REQUEST"));
    engine::stop(
        world,
        &id,
        "MANUAL_STOP",
        "The deployment was stopped by a user request.",
        rollback,
    );
    let rollback_id = world
        .codedeploy
        .deployment(&id)
        .and_then(|d| d.rollback_deployment_id.clone());
    Ok(match rollback_id {
        Some(r) => json!({
            "status": "Pending",
            "statusMessage": format!("Stopping deployment {id}; rollback deployment {r} reroutes traffic to the original task set."),
        }),
        None => json!({
            "status": "Succeeded",
            "statusMessage": format!("Deployment {id} stopped; traffic stays where it was."),
        }),
    })
}

fn continue_deployment(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let m = input(
        "ContinueDeployment",
        body,
        &["deploymentId", "deploymentWaitType"],
    )?;
    let id = deployment_id(&m)?.to_owned();
    let wait = opt_str(&m, "deploymentWaitType")?.unwrap_or("READY_WAIT");
    if !["READY_WAIT", "TERMINATION_WAIT"].contains(&wait) {
        return Err(err(
            "InvalidDeploymentWaitTypeException",
            format!("The wait type {wait} is invalid: use READY_WAIT or TERMINATION_WAIT."),
        ));
    }
    let d = existing_deployment(world, &id)?;
    if !d.is_active() {
        return Err(err(
            "DeploymentAlreadyCompletedException",
            format!("The deployment {id} is already completed ({})", d.status),
        ));
    }
    match (wait, d.stage) {
        ("READY_WAIT", Stage::ReadyWait) => engine::continue_ready(world, &id),
        ("TERMINATION_WAIT", Stage::TerminationWait) => engine::end_termination_wait(world, &id),
        ("READY_WAIT", _) => {
            return Err(err(
                "DeploymentIsNotInReadyStateException",
                format!(
                    "The deployment {id} is not in a Ready state (status {}).",
                    d.status
                ),
            ));
        }
        _ => {
            return Err(err(
                "DeploymentIsNotInReadyStateException",
                format!("The deployment {id} is not waiting to terminate the original task set."),
            ));
        }
    }
    Ok(json!({}))
}
