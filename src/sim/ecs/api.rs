//! ECS request handlers: clusters, services, tasks, tags and task sets (task definitions are
//! in [`super::taskdef`]). Each handler validates the way AWS does (input shape first, see
//! [`super::input`]), fills AWS's defaults, mutates the world and answers in AWS's shape.
//!
//! The dynamics are not here: CreateService/UpdateService hand over to the deployment engine
//! (`deploy::start_deployment` / `deploy::scale`) or to CodeDeploy task sets
//! (`codedeploy::create_initial_task_set` / `codedeploy::scale`), and DescribeServices renders
//! their state through `deploy::deployments_json` / `codedeploy::task_sets_json`.

use serde_json::{Map, Value, json};

use super::model::{Cluster, Service};
use super::{deploy, input, taskdef};
use crate::sim::codedeploy;
use crate::sim::error::ApiError;
use crate::sim::tasks::{self, Owner, Task};
use crate::sim::world::World;

// ---- small accessors (the input shape is already checked, so types are right) ---------

fn s<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}
fn i(body: &Value, key: &str) -> Option<i64> {
    body.get(key)
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}
fn b(body: &Value, key: &str) -> Option<bool> {
    body.get(key).and_then(Value::as_bool)
}
/// A member that is present and not null.
fn present<'a>(body: &'a Value, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}
fn strings<'a>(body: &'a Value, key: &str) -> Vec<&'a str> {
    body.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
fn include(body: &Value, what: &str) -> bool {
    strings(body, "include").contains(&what)
}
fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn cluster_not_found() -> ApiError {
    ApiError::client("ClusterNotFoundException", "Cluster not found.")
}
fn service_not_found() -> ApiError {
    ApiError::client("ServiceNotFoundException", "Service not found.")
}
fn service_not_active() -> ApiError {
    ApiError::client("ServiceNotActiveException", "Service was not ACTIVE.")
}

// ---- dispatch -------------------------------------------------------------------------

/// Handle an ECS operation of this module; None = not one of them.
pub(crate) fn handle(world: &mut World, op: &str, body: &Value) -> Option<Result<Value, ApiError>> {
    let shape = input::input_shape(op)?;
    Some(dispatch(world, op, shape, body))
}

fn dispatch(
    world: &mut World,
    op: &str,
    shape: &input::Shape,
    body: &Value,
) -> Result<Value, ApiError> {
    // awsJson1_1 bodies are JSON objects; `{}` is the empty input.
    if !body.is_object() {
        return Err(ApiError::client(
            "SerializationException",
            "Start of structure or map expected: the request body must be a JSON object.",
        ));
    }
    input::check(shape, body, "")?;
    reconcile_draining(world);
    match op {
        "CreateCluster" => create_cluster(world, body),
        "DescribeClusters" => describe_clusters(world, body),
        "DeleteCluster" => delete_cluster(world, body),
        "ListClusters" => list_clusters(world, body),
        "RegisterTaskDefinition" => taskdef::register(world, body),
        "DescribeTaskDefinition" => taskdef::describe(world, body),
        "ListTaskDefinitions" => taskdef::list(world, body),
        "ListTaskDefinitionFamilies" => taskdef::list_families(world, body),
        "DeregisterTaskDefinition" => taskdef::deregister(world, body),
        "DeleteTaskDefinitions" => taskdef::delete(world, body),
        "CreateService" => create_service(world, body),
        "UpdateService" => update_service(world, body),
        "DeleteService" => delete_service(world, body),
        "DescribeServices" => describe_services(world, body),
        "ListServices" => list_services(world, body),
        "DescribeTaskSets" => describe_task_sets(world, body),
        "ListTasks" => list_tasks(world, body),
        "DescribeTasks" => describe_tasks(world, body),
        "RunTask" => run_task(world, body),
        "StopTask" => stop_task(world, body),
        "TagResource" => tag_resource(world, body),
        "UntagResource" => untag_resource(world, body),
        "ListTagsForResource" => list_tags_for_resource(world, body),
        _ => Err(ApiError::unknown_operation(op)),
    }
}

/// DeleteService leaves a service DRAINING; AWS reports it INACTIVE once its last task has
/// stopped. The deployment engine does this for ECS-controller services in its tick; for
/// CODE_DEPLOY / EXTERNAL services it is evaluated here, before every call, so observers see
/// the transition at the first look after it happened.
pub(crate) fn reconcile_draining(world: &mut World) {
    let draining: Vec<String> = world
        .ecs
        .services
        .iter()
        .filter(|s| s.status == "DRAINING" && s.controller() != "ECS")
        .map(|s| s.arn.clone())
        .collect();
    for arn in draining {
        let busy = world
            .tasks
            .owned_by(|o| owner_service(o) == Some(arn.as_str()))
            .any(|t| t.last_status != "STOPPED");
        if busy {
            continue;
        }
        if let Some(svc) = world
            .ecs
            .services
            .iter_mut()
            .find(|s| s.arn == arn && s.status == "DRAINING")
        {
            svc.status = "INACTIVE".into();
            svc.desired_count = 0;
            svc.running_count = 0;
            svc.pending_count = 0;
        }
    }
}

fn owner_service(owner: &Owner) -> Option<&str> {
    match owner {
        Owner::Service { service_arn, .. } | Owner::TaskSet { service_arn, .. } => {
            Some(service_arn)
        }
        Owner::RunTask => None,
    }
}

// ---- pagination -----------------------------------------------------------------------

/// `nextToken` / `maxResults` of a List* call. Tokens are opaque to clients (hex of the
/// operation and an offset) and only valid for the operation that issued them.
pub(crate) struct PageRequest {
    op: &'static str,
    offset: usize,
    max: usize,
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}
fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

impl PageRequest {
    /// From the request: `maxResults` must be 1–100 (AWS bounds for these List calls);
    /// `default_max` is the page size AWS uses when it is omitted.
    pub(crate) fn from_body(
        op: &'static str,
        body: &Value,
        default_max: usize,
    ) -> Result<PageRequest, ApiError> {
        let max = match i(body, "maxResults") {
            None => default_max,
            Some(n) if (1..=100).contains(&n) => n as usize,
            Some(n) => {
                return Err(ApiError::invalid_parameter(format!(
                    "maxResults must be between 1 and 100 (got {n})."
                )));
            }
        };
        let offset = match s(body, "nextToken") {
            None | Some("") => 0,
            Some(token) => unhex(token)
                .and_then(|t| {
                    let (tok_op, off) = t.split_once('|')?;
                    (tok_op == op).then(|| off.parse::<usize>().ok())?
                })
                .ok_or_else(|| {
                    ApiError::invalid_parameter("The nextToken provided is not valid.")
                })?,
        };
        Ok(PageRequest { op, offset, max })
    }

    /// One page of `items` and the token for the next one.
    pub(crate) fn slice<T>(&self, items: Vec<T>) -> Result<(Vec<T>, Option<String>), ApiError> {
        if self.offset > items.len() {
            return Err(ApiError::invalid_parameter(
                "The nextToken provided is not valid.",
            ));
        }
        let end = (self.offset + self.max).min(items.len());
        let next = (end < items.len()).then(|| hex(&format!("{}|{end}", self.op)));
        let page = items
            .into_iter()
            .skip(self.offset)
            .take(end - self.offset)
            .collect();
        Ok((page, next))
    }
}

/// Add `nextToken` to a List* answer when there is a next page.
pub(crate) fn with_next_token(mut out: Value, next: Option<String>) -> Value {
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    out
}

// ---- tags -----------------------------------------------------------------------------

/// `tags` of a request, validated as AWS does (key 1–128, value ≤ 256 characters, at most
/// 50, no `aws:` prefix).
pub(crate) fn tags_from(body: &Value) -> Result<Vec<Value>, ApiError> {
    let Some(list) = body.get("tags").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    if list.len() > 50 {
        return Err(ApiError::invalid_parameter(
            "Too many tags: a resource can have at most 50 tags.",
        ));
    }
    let mut out: Vec<Value> = Vec::new();
    for t in list {
        let key = s(t, "key").unwrap_or_default();
        let value = s(t, "value").unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 {
            return Err(ApiError::invalid_parameter(
                "Tag keys must be between 1 and 128 characters.",
            ));
        }
        if value.chars().count() > 256 {
            return Err(ApiError::invalid_parameter(
                "Tag values must be at most 256 characters.",
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid_parameter(
                "Tag keys starting with 'aws:' are reserved for AWS use.",
            ));
        }
        out.retain(|o| s(o, "key") != Some(key));
        out.push(json!({"key": key, "value": value}));
    }
    Ok(out)
}

fn merge_tags(existing: &mut Vec<Value>, new: Vec<Value>) {
    for t in new {
        let key = s(&t, "key").map(str::to_owned);
        existing.retain(|o| s(o, "key").map(str::to_owned) != key);
        existing.push(t);
    }
}

// ---- clusters -------------------------------------------------------------------------

/// The cluster name a reference (name or ARN) means, if the ARN is in this account/region.
fn cluster_name_of(world: &World, reference: &str) -> Option<String> {
    if reference.starts_with("arn:") {
        reference
            .strip_prefix(&world.arn("ecs", "cluster/"))
            .map(str::to_owned)
    } else {
        Some(reference.to_owned())
    }
}

/// The ACTIVE cluster a request names (`cluster`, default `default`): `(name, arn)`.
pub(crate) fn active_cluster(world: &World, body: &Value) -> Result<(String, String), ApiError> {
    let reference = s(body, "cluster").unwrap_or("default");
    let name = cluster_name_of(world, reference).ok_or_else(cluster_not_found)?;
    match world.ecs.clusters.get(&name) {
        None => Err(cluster_not_found()),
        Some(c) if c.status != "ACTIVE" => Err(ApiError::invalid_parameter(
            "The referenced cluster was inactive.",
        )),
        Some(c) => Ok((c.name.clone(), c.arn.clone())),
    }
}

/// DescribeClusters / CreateCluster shape.
pub(crate) fn cluster_json(world: &World, c: &Cluster, with_tags: bool) -> Value {
    let in_cluster = |t: &&Task| t.launch.cluster_arn == c.arn;
    let running = world
        .tasks
        .iter()
        .filter(in_cluster)
        .filter(|t| t.last_status == "RUNNING")
        .count();
    let pending = world
        .tasks
        .iter()
        .filter(in_cluster)
        .filter(|t| t.is_pending())
        .count();
    let services = world
        .ecs
        .services
        .iter()
        .filter(|s| s.cluster_arn == c.arn && s.status == "ACTIVE")
        .count();
    let mut m = c.spec.clone();
    m.entry("settings")
        .or_insert(json!([{"name": "containerInsights", "value": "disabled"}]));
    m.entry("capacityProviders").or_insert(json!([]));
    m.entry("defaultCapacityProviderStrategy")
        .or_insert(json!([]));
    m.insert("clusterArn".into(), json!(c.arn));
    m.insert("clusterName".into(), json!(c.name));
    m.insert("status".into(), json!(c.status));
    m.insert("registeredContainerInstancesCount".into(), json!(0));
    m.insert("runningTasksCount".into(), json!(running));
    m.insert("pendingTasksCount".into(), json!(pending));
    m.insert("activeServicesCount".into(), json!(services));
    m.insert("statistics".into(), json!([]));
    if with_tags {
        m.insert(
            "tags".into(),
            json!(world.ecs.tags.get(&c.arn).cloned().unwrap_or_default()),
        );
    }
    Value::Object(m)
}

/// CreateCluster: idempotent on the name (an existing cluster is returned; an INACTIVE one
/// becomes ACTIVE again, as AWS does).
fn create_cluster(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let name = s(body, "clusterName").unwrap_or("default").to_owned();
    if !taskdef::valid_name(&name) {
        return Err(ApiError::invalid_parameter(
            "Cluster name can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.",
        ));
    }
    let tags = tags_from(body)?;
    let arn = world.arn("ecs", &format!("cluster/{name}"));
    let mut spec = Map::new();
    for k in [
        "settings",
        "configuration",
        "capacityProviders",
        "defaultCapacityProviderStrategy",
        "serviceConnectDefaults",
    ] {
        if let Some(v) = present(body, k) {
            spec.insert(k.into(), v.clone());
        }
    }
    match world.ecs.clusters.get_mut(&name) {
        Some(c) if c.status == "ACTIVE" => {}
        Some(c) => {
            c.status = "ACTIVE".into();
            c.spec = spec;
        }
        None => {
            world.ecs.clusters.insert(
                name.clone(),
                Cluster {
                    name: name.clone(),
                    arn: arn.clone(),
                    status: "ACTIVE".into(),
                    spec,
                },
            );
        }
    }
    if !tags.is_empty() {
        merge_tags(world.ecs.tags.entry(arn.clone()).or_default(), tags);
    }
    let c = world
        .ecs
        .clusters
        .get(&name)
        .ok_or_else(cluster_not_found)?;
    Ok(json!({"cluster": cluster_json(world, c, true)}))
}

/// DescribeClusters: `default` when none named; unknown ones are `failures` MISSING.
fn describe_clusters(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let mut refs = strings(body, "clusters");
    if refs.is_empty() {
        refs.push("default");
    }
    if refs.len() > 100 {
        return Err(ApiError::invalid_parameter(
            "clusters can have at most 100 items.",
        ));
    }
    let tags = include(body, "TAGS");
    let mut clusters = Vec::new();
    let mut failures = Vec::new();
    for r in refs {
        match cluster_name_of(world, r).and_then(|n| world.ecs.clusters.get(&n)) {
            Some(c) => clusters.push(cluster_json(world, c, tags)),
            None => {
                let arn = if r.starts_with("arn:") {
                    r.to_owned()
                } else {
                    world.arn("ecs", &format!("cluster/{r}"))
                };
                failures.push(json!({"arn": arn, "reason": "MISSING"}));
            }
        }
    }
    Ok(json!({"clusters": clusters, "failures": failures}))
}

/// DeleteCluster: refused while services or tasks are active; the cluster stays
/// describable as INACTIVE.
fn delete_cluster(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let reference = s(body, "cluster").unwrap_or_default();
    let name = cluster_name_of(world, reference).ok_or_else(cluster_not_found)?;
    let arn = match world.ecs.clusters.get(&name) {
        Some(c) if c.status == "ACTIVE" => c.arn.clone(),
        _ => return Err(cluster_not_found()),
    };
    if world
        .ecs
        .services
        .iter()
        .any(|s| s.cluster_arn == arn && s.status != "INACTIVE")
    {
        return Err(ApiError::client(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ));
    }
    if world
        .tasks
        .iter()
        .any(|t| t.launch.cluster_arn == arn && t.last_status != "STOPPED")
    {
        return Err(ApiError::client(
            "ClusterContainsTasksException",
            "The Cluster cannot be deleted while Tasks are active.",
        ));
    }
    if let Some(c) = world.ecs.clusters.get_mut(&name) {
        c.status = "INACTIVE".into();
    }
    let c = world
        .ecs
        .clusters
        .get(&name)
        .ok_or_else(cluster_not_found)?;
    Ok(json!({"cluster": cluster_json(world, c, false)}))
}

/// ListClusters (ACTIVE clusters, by name; pages of 100 by default).
fn list_clusters(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let page = PageRequest::from_body("ListClusters", body, 100)?;
    let arns: Vec<String> = world
        .ecs
        .clusters
        .values()
        .filter(|c| c.status == "ACTIVE")
        .map(|c| c.arn.clone())
        .collect();
    let (items, next) = page.slice(arns)?;
    Ok(with_next_token(json!({"clusterArns": items}), next))
}

// ---- services: lookup and rendering ---------------------------------------------------

/// Index of the service `reference` (name or ARN) in `cluster_arn`. ARNs are unique in
/// `ecs.services` (CreateService drops an INACTIVE predecessor of the same name).
fn find_service(world: &World, cluster_arn: &str, reference: &str) -> Option<usize> {
    world.ecs.services.iter().position(|s| {
        s.cluster_arn == cluster_arn
            && (s.name == reference
                || s.arn == reference
                // Old ARN format without the cluster: arn:aws:ecs:R:A:service/NAME
                || (reference.starts_with("arn:")
                    && reference == world.arn("ecs", &format!("service/{}", s.name))))
    })
}

/// Members of the Service output shape that come from the stored configuration.
const SERVICE_SPEC_MEMBERS: &[&str] = &[
    "loadBalancers",
    "serviceRegistries",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "platformFamily",
    "deploymentConfiguration",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
    "resourceManagementType",
];

/// `roleArn`: the given role as an ARN, else the ECS service-linked role when the service
/// uses load balancers (what AWS reports).
fn role_arn(world: &World, svc: &Service) -> Option<String> {
    match svc.spec.get("role").and_then(Value::as_str) {
        Some(r) if r.starts_with("arn:") => Some(r.to_owned()),
        Some(r) => Some(format!(
            "arn:aws:iam::{}:role/{}",
            world.account,
            r.trim_start_matches('/')
        )),
        None => svc
            .spec
            .get("loadBalancers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
            .then(|| {
                format!(
                    "arn:aws:iam::{}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
                    world.account
                )
            }),
    }
}

/// The DescribeServices shape of a service.
pub(crate) fn service_json(world: &World, svc: &Service, with_tags: bool) -> Value {
    let mut m = Map::new();
    for k in SERVICE_SPEC_MEMBERS {
        if let Some(v) = svc.spec.get(*k) {
            m.insert((*k).into(), v.clone());
        }
    }
    m.insert("serviceArn".into(), json!(svc.arn));
    m.insert("serviceName".into(), json!(svc.name));
    m.insert("clusterArn".into(), json!(svc.cluster_arn));
    m.insert("status".into(), json!(svc.status));
    m.insert("desiredCount".into(), json!(svc.desired_count));
    m.insert("runningCount".into(), json!(svc.running_count));
    m.insert("pendingCount".into(), json!(svc.pending_count));
    if !svc.task_definition.is_empty() {
        m.insert("taskDefinition".into(), json!(svc.task_definition));
    }
    if let Some(r) = role_arn(world, svc) {
        m.insert("roleArn".into(), json!(r));
    }
    m.insert("createdAt".into(), json!(secs(svc.created_ms)));
    m.insert("createdBy".into(), json!(svc.created_by));
    m.insert(
        "events".into(),
        Value::Array(
            svc.events
                .iter()
                .map(|e| json!({"id": e.id, "createdAt": secs(e.created_ms), "message": e.message}))
                .collect(),
        ),
    );
    if svc.controller() == "ECS" {
        m.insert(
            "deployments".into(),
            Value::Array(deploy::deployments_json(world, svc)),
        );
        if let Some(sd) = &svc.current_service_deployment {
            m.insert("currentServiceDeployment".into(), json!(sd));
        }
        m.insert(
            "currentServiceRevisions".into(),
            Value::Array(deploy::current_service_revisions_json(world, svc)),
        );
    } else {
        m.insert("deployments".into(), json!([]));
        m.insert(
            "taskSets".into(),
            Value::Array(codedeploy::task_sets_json(world, svc)),
        );
    }
    if with_tags {
        m.insert(
            "tags".into(),
            json!(world.ecs.tags.get(&svc.arn).cloned().unwrap_or_default()),
        );
    }
    Value::Object(m)
}

// ---- services: validation and defaults ------------------------------------------------

const LAUNCH_TYPES: &[&str] = &["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"];
const CONTROLLERS: &[&str] = &["ECS", "CODE_DEPLOY", "EXTERNAL"];
const STRATEGIES: &[&str] = &["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"];
const HOOK_STAGES: &[&str] = &[
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
];

fn is_fargate_provider(p: &str) -> bool {
    matches!(p, "FARGATE" | "FARGATE_SPOT")
}

/// Whether a service/RunTask configuration runs on Fargate.
fn uses_fargate(spec: &Map<String, Value>) -> bool {
    spec.get("launchType").and_then(Value::as_str) == Some("FARGATE")
        || spec
            .get("capacityProviderStrategy")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter().any(|i| {
                    i.get("capacityProvider")
                        .and_then(Value::as_str)
                        .is_some_and(is_fargate_provider)
                })
            })
}

/// `networkConfiguration` with AWS's default `assignPublicIp: DISABLED`.
fn network_with_defaults(v: &Value) -> Result<Value, ApiError> {
    let mut v = v.clone();
    if let Some(awsvpc) = v
        .get_mut("awsvpcConfiguration")
        .and_then(Value::as_object_mut)
    {
        awsvpc.entry("assignPublicIp").or_insert(json!("DISABLED"));
        match awsvpc.get("assignPublicIp").and_then(Value::as_str) {
            Some("ENABLED" | "DISABLED") => {}
            _ => {
                return Err(ApiError::invalid_parameter(
                    "assignPublicIp must be ENABLED or DISABLED.",
                ));
            }
        }
        if awsvpc
            .get("subnets")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            return Err(ApiError::invalid_parameter("subnets can not be empty."));
        }
        if awsvpc
            .get("subnets")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 16)
        {
            return Err(ApiError::invalid_parameter(
                "subnets can have at most 16 items.",
            ));
        }
    }
    Ok(v)
}

/// `deploymentConfiguration` as AWS returns it: the given members over the defaults for the
/// controller and scheduling strategy (REPLICA + ECS: 200 / 100, circuit breaker off,
/// `ROLLING`; DAEMON: 100 / 0; CODE_DEPLOY / EXTERNAL: 200 / 100 only), plus the documented
/// defaults of the native strategies and lifecycle hooks.
fn deployment_configuration(
    given: Option<&Value>,
    controller: &str,
    scheduling: &str,
) -> Result<Value, ApiError> {
    let mut m = given
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    m.retain(|_, v| !v.is_null());
    let (max, min) = if scheduling == "DAEMON" {
        (100, 0)
    } else {
        (200, 100)
    };
    m.entry("maximumPercent").or_insert(json!(max));
    m.entry("minimumHealthyPercent").or_insert(json!(min));
    for k in ["maximumPercent", "minimumHealthyPercent"] {
        if m.get(k).and_then(Value::as_i64).is_some_and(|n| n < 0) {
            return Err(ApiError::invalid_parameter(format!(
                "{k} must be greater than or equal to 0."
            )));
        }
    }
    if m.get("minimumHealthyPercent")
        .and_then(Value::as_i64)
        .is_some_and(|n| n > 100)
    {
        return Err(ApiError::invalid_parameter(
            "minimumHealthyPercent must be less than or equal to 100.",
        ));
    }
    if controller != "ECS" {
        return Ok(Value::Object(m));
    }
    m.entry("deploymentCircuitBreaker")
        .or_insert(json!({"enable": false, "rollback": false}));
    let strategy = m
        .get("strategy")
        .and_then(Value::as_str)
        .unwrap_or("ROLLING")
        .to_owned();
    if !STRATEGIES.contains(&strategy.as_str()) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid deployment strategy '{strategy}'. Valid values are ROLLING, BLUE_GREEN, LINEAR and CANARY."
        )));
    }
    m.insert("strategy".into(), json!(strategy));
    if let Some(alarms) = m.get("alarms")
        && alarms.get("alarmNames").is_none()
    {
        return Err(ApiError::invalid_parameter(
            "alarmNames must be specified when alarms are configured.",
        ));
    }
    // Documented defaults (AWS API reference, LinearConfiguration / CanaryConfiguration).
    match strategy.as_str() {
        "LINEAR" => {
            let lc = m
                .entry("linearConfiguration")
                .or_insert(json!({}))
                .as_object_mut();
            if let Some(lc) = lc {
                lc.entry("stepPercent").or_insert(json!(10.0));
                lc.entry("stepBakeTimeInMinutes").or_insert(json!(6));
            }
        }
        "CANARY" => {
            let cc = m
                .entry("canaryConfiguration")
                .or_insert(json!({}))
                .as_object_mut();
            if let Some(cc) = cc {
                cc.entry("canaryPercent").or_insert(json!(5.0));
                cc.entry("canaryBakeTimeInMinutes").or_insert(json!(10));
            }
        }
        _ => {}
    }
    if let Some(hooks) = m.get_mut("lifecycleHooks").and_then(Value::as_array_mut) {
        for h in hooks.iter_mut() {
            let Some(h) = h.as_object_mut() else { continue };
            let target = h
                .entry("targetType")
                .or_insert(json!("AWS_LAMBDA"))
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if !matches!(target.as_str(), "AWS_LAMBDA" | "PAUSE") {
                return Err(ApiError::invalid_parameter(format!(
                    "Invalid lifecycle hook targetType '{target}'. Valid values are AWS_LAMBDA and PAUSE."
                )));
            }
            let stages: Vec<String> = h
                .get("lifecycleStages")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if stages.is_empty() {
                return Err(ApiError::invalid_parameter(
                    "lifecycleStages must be specified for a lifecycle hook.",
                ));
            }
            for st in &stages {
                if !HOOK_STAGES.contains(&st.as_str()) {
                    return Err(ApiError::invalid_parameter(format!(
                        "Invalid lifecycle stage '{st}'."
                    )));
                }
                if target == "PAUSE"
                    && matches!(
                        st.as_str(),
                        "TEST_TRAFFIC_SHIFT" | "PRODUCTION_TRAFFIC_SHIFT"
                    )
                {
                    return Err(ApiError::invalid_parameter(format!(
                        "PAUSE lifecycle hooks are not supported at the {st} lifecycle stage."
                    )));
                }
            }
            if target == "AWS_LAMBDA" && h.get("hookTargetArn").is_none_or(Value::is_null) {
                return Err(ApiError::invalid_parameter(
                    "hookTargetArn must be specified for an AWS_LAMBDA lifecycle hook.",
                ));
            }
            let tc = h
                .entry("timeoutConfiguration")
                .or_insert(json!({}))
                .as_object_mut();
            if let Some(tc) = tc {
                tc.entry("timeoutInMinutes").or_insert(json!(1440));
                tc.entry("action").or_insert(json!("ROLLBACK"));
            }
        }
    }
    Ok(Value::Object(m))
}

/// Checks between a launch configuration (service spec or RunTask request) and the task
/// definition, with AWS's messages.
fn validate_launch(
    td: &super::model::TaskDefinition,
    spec: &Map<String, Value>,
) -> Result<(), ApiError> {
    if let Some(lt) = spec.get("launchType").and_then(Value::as_str) {
        if !LAUNCH_TYPES.contains(&lt) {
            return Err(ApiError::invalid_parameter(format!(
                "Invalid launchType '{lt}'. Valid values are EC2, FARGATE, EXTERNAL and MANAGED_INSTANCES."
            )));
        }
        if lt != "EC2" && !td.compatibilities().contains(&lt) {
            return Err(ApiError::invalid_parameter(format!(
                "Task definition does not support launch_type {lt}."
            )));
        }
    }
    if uses_fargate(spec) && !td.compatibilities().contains(&"FARGATE") {
        return Err(ApiError::invalid_parameter(
            "Task definition does not support launch_type FARGATE.",
        ));
    }
    let network = spec
        .get("networkConfiguration")
        .and_then(|n| n.get("awsvpcConfiguration"))
        .filter(|v| !v.is_null());
    match (td.network_mode(), network) {
        ("awsvpc", None) => {
            return Err(ApiError::invalid_parameter(
                "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
            ));
        }
        (mode, Some(_)) if mode != "awsvpc" => {
            return Err(ApiError::invalid_parameter(
                "Network Configuration is not valid for the given networkMode of this task definition.",
            ));
        }
        _ => {}
    }
    for lb in spec
        .get("loadBalancers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if s(lb, "targetGroupArn").is_none() && s(lb, "loadBalancerName").is_none() {
            return Err(ApiError::invalid_parameter(
                "A load balancer must specify either a targetGroupArn or a loadBalancerName.",
            ));
        }
        let (Some(name), Some(port)) = (s(lb, "containerName"), i(lb, "containerPort")) else {
            return Err(ApiError::invalid_parameter(
                "containerName and containerPort must be specified for a load balancer.",
            ));
        };
        let Some(container) = td.container(name) else {
            return Err(ApiError::invalid_parameter(format!(
                "The container {name} does not exist in the task definition."
            )));
        };
        let has_port = container
            .get("portMappings")
            .and_then(Value::as_array)
            .is_some_and(|pms| pms.iter().any(|pm| i(pm, "containerPort") == Some(port)));
        if !has_port {
            return Err(ApiError::invalid_parameter(format!(
                "The container {name} did not have a container port {port} defined."
            )));
        }
    }
    Ok(())
}

/// `platformVersion` / `platformFamily` for Fargate services (AWS fills `LATEST` and the
/// task definition's OS family); removed when the service does not run on Fargate.
fn fill_platform(spec: &mut Map<String, Value>, td: &super::model::TaskDefinition) {
    if uses_fargate(spec) {
        spec.entry("platformVersion").or_insert(json!("LATEST"));
        let family = td
            .body
            .get("runtimePlatform")
            .and_then(|r| r.get("operatingSystemFamily"))
            .and_then(Value::as_str)
            .filter(|f| f.starts_with("WINDOWS"))
            .unwrap_or("Linux");
        spec.insert("platformFamily".into(), json!(family));
    } else {
        spec.remove("platformFamily");
    }
}

/// The launch type AWS uses when neither `launchType` nor `capacityProviderStrategy` is
/// given: the cluster's default capacity provider strategy if it has one, else EC2.
fn default_launch(world: &World, cluster_name: &str, spec: &mut Map<String, Value>) {
    if spec.contains_key("launchType") || spec.contains_key("capacityProviderStrategy") {
        return;
    }
    let default = world
        .ecs
        .clusters
        .get(cluster_name)
        .and_then(|c| c.spec.get("defaultCapacityProviderStrategy"))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .cloned();
    match default {
        Some(strategy) => {
            spec.insert("capacityProviderStrategy".into(), Value::Array(strategy));
        }
        None => {
            spec.insert("launchType".into(), json!("EC2"));
        }
    }
}

// ---- services: operations -------------------------------------------------------------

/// CreateService members kept in `Service::spec` (the rest are identity, counts or tags).
const CREATE_SPEC_MEMBERS: &[&str] = &[
    "availabilityZoneRebalancing",
    "loadBalancers",
    "serviceRegistries",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "role",
    "deploymentConfiguration",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
    "gatewayConnectors",
    "monitoring",
];

fn check_enum(value: Option<&str>, allowed: &[&str], member: &str) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(ApiError::invalid_parameter(format!(
            "Invalid value '{v}' for {member}. Valid values are {}.",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// CreateService.
fn create_service(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let (cluster_name, cluster_arn) = active_cluster(world, body)?;
    let name = match s(body, "serviceName") {
        None | Some("") => {
            return Err(ApiError::invalid_parameter("serviceName can not be blank."));
        }
        Some(n) if !taskdef::valid_name(n) => {
            return Err(ApiError::invalid_parameter(
                "Service name can have up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.",
            ));
        }
        Some(n) => n.to_owned(),
    };
    let controller = present(body, "deploymentController")
        .and_then(|c| s(c, "type"))
        .unwrap_or("ECS")
        .to_owned();
    check_enum(Some(&controller), CONTROLLERS, "deploymentController.type")?;
    let scheduling = s(body, "schedulingStrategy")
        .unwrap_or("REPLICA")
        .to_owned();
    check_enum(
        Some(&scheduling),
        &["REPLICA", "DAEMON"],
        "schedulingStrategy",
    )?;
    check_enum(s(body, "launchType"), LAUNCH_TYPES, "launchType")?;
    check_enum(
        s(body, "propagateTags"),
        &["TASK_DEFINITION", "SERVICE", "NONE"],
        "propagateTags",
    )?;
    check_enum(
        s(body, "availabilityZoneRebalancing"),
        &["ENABLED", "DISABLED"],
        "availabilityZoneRebalancing",
    )?;
    if present(body, "launchType").is_some()
        && present(body, "capacityProviderStrategy")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    {
        return Err(ApiError::invalid_parameter(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ));
    }
    let desired = i(body, "desiredCount").unwrap_or(0);
    if desired < 0 {
        return Err(ApiError::invalid_parameter(
            "desiredCount must be greater than or equal to 0.",
        ));
    }
    if scheduling == "DAEMON" && controller != "ECS" {
        return Err(ApiError::invalid_parameter(
            "The DAEMON scheduling strategy is only supported with the ECS deployment controller.",
        ));
    }
    let health_grace = i(body, "healthCheckGracePeriodSeconds");
    if health_grace.is_some_and(|g| !(0..=2_147_483_647).contains(&g)) {
        return Err(ApiError::invalid_parameter(
            "healthCheckGracePeriodSeconds must be between 0 and 2147483647.",
        ));
    }
    // The task definition: required except for EXTERNAL services (their task sets carry it).
    let td = match s(body, "taskDefinition") {
        Some(r) => Some(taskdef::resolve_active(&world.ecs, r)?.clone()),
        None if controller == "EXTERNAL" => None,
        None => {
            return Err(ApiError::invalid_parameter(
                "A task definition must be specified when the deployment controller is ECS or CODE_DEPLOY.",
            ));
        }
    };
    let arn = world.arn("ecs", &format!("service/{cluster_name}/{name}"));
    if world
        .ecs
        .services
        .iter()
        .any(|s| s.arn == arn && s.status != "INACTIVE")
    {
        return Err(ApiError::invalid_parameter(
            "Creation of service was not idempotent.",
        ));
    }

    let mut spec = Map::new();
    for k in CREATE_SPEC_MEMBERS {
        if let Some(v) = present(body, k) {
            spec.insert((*k).into(), v.clone());
        }
    }
    if let Some(n) = present(body, "networkConfiguration") {
        spec.insert("networkConfiguration".into(), network_with_defaults(n)?);
    }
    default_launch(world, &cluster_name, &mut spec);
    spec.entry("loadBalancers").or_insert(json!([]));
    spec.entry("serviceRegistries").or_insert(json!([]));
    spec.entry("placementConstraints").or_insert(json!([]));
    spec.entry("placementStrategy").or_insert(json!([]));
    spec.insert("schedulingStrategy".into(), json!(scheduling));
    spec.insert("deploymentController".into(), json!({"type": controller}));
    spec.insert(
        "deploymentConfiguration".into(),
        deployment_configuration(
            present(body, "deploymentConfiguration"),
            &controller,
            &scheduling,
        )?,
    );
    spec.entry("enableECSManagedTags").or_insert(json!(false));
    spec.entry("propagateTags").or_insert(json!("NONE"));
    spec.entry("enableExecuteCommand").or_insert(json!(false));
    // AZ rebalancing is on by default for new ECS-controller services (since June 2025);
    // it is not supported with CODE_DEPLOY / EXTERNAL controllers.
    let az_default = if controller == "ECS" {
        "ENABLED"
    } else {
        "DISABLED"
    };
    spec.entry("availabilityZoneRebalancing")
        .or_insert(json!(az_default));
    spec.insert("resourceManagementType".into(), json!("CUSTOMER"));
    if let Some(td) = &td {
        validate_launch(td, &spec)?;
        fill_platform(&mut spec, td);
    } else if uses_fargate(&spec) {
        spec.entry("platformVersion").or_insert(json!("LATEST"));
    }
    let tags = tags_from(body)?;

    let created_by = format!("arn:aws:iam::{}:role/ecspress-sim", world.account);
    // A re-created service reuses the ARN: forget the INACTIVE predecessor (AWS describes
    // the new one) so ARNs stay unique in `ecs.services`.
    world.ecs.services.retain(|s| s.arn != arn);
    world.ecs.tags.remove(&arn);
    if !tags.is_empty() {
        world.ecs.tags.insert(arn.clone(), tags);
    }
    world.ecs.services.push(Service {
        arn: arn.clone(),
        name,
        cluster_arn,
        status: "ACTIVE".into(),
        spec,
        task_definition: td.as_ref().map(|t| t.arn.clone()).unwrap_or_default(),
        desired_count: desired,
        running_count: 0,
        pending_count: 0,
        deployments: Vec::new(),
        task_sets: Vec::new(),
        events: Vec::new(),
        current_service_deployment: None,
        created_ms: world.now_ms,
        created_by,
    });
    let started = match controller.as_str() {
        "ECS" => deploy::start_deployment(world, &arn, true),
        // CodeDeploy services start with one PRIMARY task set; EXTERNAL ones get their task
        // sets from CreateTaskSet (AWS creates none for them).
        "CODE_DEPLOY" => codedeploy::create_initial_task_set(world, &arn),
        _ => Ok(()),
    };
    if let Err(e) = started {
        world.ecs.services.retain(|s| s.arn != arn);
        world.ecs.tags.remove(&arn);
        return Err(e);
    }
    let svc = world
        .ecs
        .services
        .iter()
        .find(|s| s.arn == arn)
        .ok_or_else(|| ApiError::server("service vanished while being created"))?;
    Ok(json!({"service": service_json(world, svc, true)}))
}

/// UpdateService members that start a new deployment when their value changes
/// (ECS controller; AWS: "a new deployment is triggered by changes to the task definition,
/// network configuration, load balancers, platform version, capacity provider strategy,
/// Service Connect, volume or VPC Lattice configuration, service registries, ECS Exec").
const DEPLOYING_MEMBERS: &[&str] = &[
    "networkConfiguration",
    "loadBalancers",
    "capacityProviderStrategy",
    "platformVersion",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
    "serviceRegistries",
    "enableExecuteCommand",
];
/// UpdateService members that only change configuration.
const CONFIG_MEMBERS: &[&str] = &[
    "availabilityZoneRebalancing",
    "placementConstraints",
    "placementStrategy",
    "healthCheckGracePeriodSeconds",
    "enableECSManagedTags",
    "propagateTags",
    "gatewayConnectors",
    "monitoring",
];

/// UpdateService: only the members given change (an explicitly empty list clears
/// loadBalancers / serviceRegistries / ...); a change that needs new tasks starts a
/// deployment, a desiredCount change alone scales the current one.
fn update_service(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let (cluster_name, cluster_arn) = active_cluster(world, body)?;
    let reference = s(body, "service").unwrap_or_default();
    let idx = find_service(world, &cluster_arn, reference).ok_or_else(service_not_found)?;
    let svc = &world.ecs.services[idx];
    if svc.status != "ACTIVE" {
        return Err(service_not_active());
    }
    let controller = svc.controller().to_owned();
    let arn = svc.arn.clone();
    let scheduling = svc
        .spec
        .get("schedulingStrategy")
        .and_then(Value::as_str)
        .unwrap_or("REPLICA")
        .to_owned();

    if let Some(c) = present(body, "deploymentController").and_then(|c| s(c, "type")) {
        check_enum(Some(c), CONTROLLERS, "deploymentController.type")?;
        if c != controller {
            return Err(ApiError::invalid_parameter(format!(
                "Updating the deployment controller from {controller} to {c} is not supported by ecspress sim."
            )));
        }
    }
    if controller != "ECS" {
        // AWS: task definition and launch parameters of CODE_DEPLOY services change through
        // CodeDeploy deployments (EXTERNAL ones through CreateTaskSet).
        let via = if controller == "CODE_DEPLOY" {
            "Use AWS CodeDeploy to trigger a new deployment."
        } else {
            "Use CreateTaskSet to deploy a new task set."
        };
        for (member, what) in [
            ("taskDefinition", "task definition"),
            ("networkConfiguration", "network parameters"),
            ("platformVersion", "platform version"),
            ("loadBalancers", "load balancers"),
            ("capacityProviderStrategy", "capacity provider strategy"),
            ("serviceRegistries", "service registries"),
        ] {
            if present(body, member).is_some() {
                return Err(ApiError::invalid_parameter(format!(
                    "Unable to update {what} on services with a {controller} deployment controller. {via}"
                )));
            }
        }
        if b(body, "forceNewDeployment") == Some(true) {
            return Err(ApiError::invalid_parameter(format!(
                "Unable to force a new deployment on services with a {controller} deployment controller. {via}"
            )));
        }
    }
    check_enum(
        s(body, "propagateTags"),
        &["TASK_DEFINITION", "SERVICE", "NONE"],
        "propagateTags",
    )?;
    check_enum(
        s(body, "availabilityZoneRebalancing"),
        &["ENABLED", "DISABLED"],
        "availabilityZoneRebalancing",
    )?;
    let desired = i(body, "desiredCount");
    if desired.is_some_and(|d| d < 0) {
        return Err(ApiError::invalid_parameter(
            "desiredCount must be greater than or equal to 0.",
        ));
    }
    let new_td = match s(body, "taskDefinition") {
        Some(r) => Some(taskdef::resolve_active(&world.ecs, r)?.clone()),
        None => None,
    };
    let td = match &new_td {
        Some(td) => Some(td.clone()),
        None => taskdef::resolve(&world.ecs, &world.ecs.services[idx].task_definition).cloned(),
    };

    // Build the new spec.
    let old_spec = world.ecs.services[idx].spec.clone();
    let mut spec = old_spec.clone();
    let mut needs_deployment = b(body, "forceNewDeployment") == Some(true);
    for k in DEPLOYING_MEMBERS.iter().chain(CONFIG_MEMBERS) {
        if let Some(v) = present(body, k) {
            let v = if *k == "networkConfiguration" {
                network_with_defaults(v)?
            } else {
                v.clone()
            };
            spec.insert((*k).into(), v);
        }
    }
    if let Some(cps) = present(body, "capacityProviderStrategy").and_then(Value::as_array) {
        if cps.is_empty() {
            spec.remove("capacityProviderStrategy");
            default_launch(world, &cluster_name, &mut spec);
        } else {
            // Switching from a launch type to a capacity provider strategy (AWS requires
            // forceNewDeployment for it; the change itself starts one here).
            spec.remove("launchType");
        }
    }
    if let Some(dc) = present(body, "deploymentConfiguration") {
        spec.insert(
            "deploymentConfiguration".into(),
            deployment_configuration(Some(dc), &controller, &scheduling)?,
        );
    }
    if let Some(td) = &td {
        validate_launch(td, &spec)?;
        fill_platform(&mut spec, td);
    }
    for k in DEPLOYING_MEMBERS {
        if spec.get(*k) != old_spec.get(*k) {
            needs_deployment = true;
        }
    }
    let svc = &mut world.ecs.services[idx];
    if let Some(td) = &new_td
        && td.arn != svc.task_definition
    {
        svc.task_definition = td.arn.clone();
        needs_deployment = true;
    }
    let desired_changed = desired.is_some_and(|d| d != svc.desired_count);
    if let Some(d) = desired {
        svc.desired_count = d;
    }
    svc.spec = spec;

    match controller.as_str() {
        "ECS" if needs_deployment => deploy::start_deployment(world, &arn, false)?,
        "ECS" if desired_changed => deploy::scale(world, &arn),
        "ECS" => {}
        _ if desired_changed => codedeploy::scale(world, &arn),
        _ => {}
    }
    let svc = world
        .ecs
        .services
        .iter()
        .find(|s| s.arn == arn)
        .ok_or_else(service_not_found)?;
    Ok(json!({"service": service_json(world, svc, false)}))
}

/// DeleteService: REPLICA services must be scaled to 0 first unless `force`; the service
/// turns DRAINING, its tasks are stopped, and it becomes INACTIVE when the last one has
/// stopped (see [`reconcile_draining`]).
fn delete_service(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let (_, cluster_arn) = active_cluster(world, body)?;
    let reference = s(body, "service").unwrap_or_default();
    let idx = find_service(world, &cluster_arn, reference).ok_or_else(service_not_found)?;
    let svc = &mut world.ecs.services[idx];
    if svc.status != "ACTIVE" {
        return Err(service_not_active());
    }
    let replica = svc.spec.get("schedulingStrategy").and_then(Value::as_str) != Some("DAEMON");
    if replica && svc.desired_count > 0 && b(body, "force") != Some(true) {
        return Err(ApiError::invalid_parameter(
            "The service cannot be stopped while it is scaled above 0.",
        ));
    }
    svc.status = "DRAINING".into();
    svc.desired_count = 0;
    let arn = svc.arn.clone();
    let name = svc.name.clone();
    if svc.controller() == "ECS" {
        deploy::scale(world, &arn);
    } else {
        codedeploy::scale(world, &arn);
    }
    let live: Vec<String> = world
        .tasks
        .owned_by(|o| owner_service(o) == Some(arn.as_str()))
        .filter(|t| t.is_live())
        .map(|t| t.arn.clone())
        .collect();
    for t in live {
        tasks::stop(
            world,
            &t,
            "ServiceSchedulerInitiated",
            &format!("Service {name} was deleted"),
        );
    }
    let svc = world
        .ecs
        .services
        .iter()
        .find(|s| s.arn == arn)
        .ok_or_else(service_not_found)?;
    Ok(json!({"service": service_json(world, svc, false)}))
}

/// DescribeServices: at most 10 names; unknown ones are `failures` MISSING.
fn describe_services(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let refs = strings(body, "services");
    if refs.is_empty() {
        return Err(ApiError::invalid_parameter("Services cannot be empty."));
    }
    if refs.len() > 10 {
        return Err(ApiError::invalid_parameter(
            "service names can have at most 10 items.",
        ));
    }
    let (cluster_name, cluster_arn) = active_cluster(world, body)?;
    let tags = include(body, "TAGS");
    let mut services = Vec::new();
    let mut failures = Vec::new();
    for r in refs {
        match find_service(world, &cluster_arn, r) {
            Some(idx) => services.push(service_json(world, &world.ecs.services[idx], tags)),
            None => {
                let arn = if r.starts_with("arn:") {
                    r.to_owned()
                } else {
                    world.arn("ecs", &format!("service/{cluster_name}/{r}"))
                };
                failures.push(json!({"arn": arn, "reason": "MISSING"}));
            }
        }
    }
    Ok(json!({"services": services, "failures": failures}))
}

/// ListServices: ACTIVE and DRAINING services of the cluster in creation order, filtered by
/// `launchType` / `schedulingStrategy`; pages of 10 by default (AWS default).
fn list_services(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let (_, cluster_arn) = active_cluster(world, body)?;
    check_enum(s(body, "launchType"), LAUNCH_TYPES, "launchType")?;
    check_enum(
        s(body, "schedulingStrategy"),
        &["REPLICA", "DAEMON"],
        "schedulingStrategy",
    )?;
    let page = PageRequest::from_body("ListServices", body, 10)?;
    let launch_type = s(body, "launchType");
    let scheduling = s(body, "schedulingStrategy");
    let arns: Vec<String> = world
        .ecs
        .services
        .iter()
        .filter(|svc| svc.cluster_arn == cluster_arn && svc.status != "INACTIVE")
        .filter(|svc| {
            launch_type
                .is_none_or(|lt| svc.spec.get("launchType").and_then(Value::as_str) == Some(lt))
        })
        .filter(|svc| {
            scheduling.is_none_or(|st| {
                svc.spec.get("schedulingStrategy").and_then(Value::as_str) == Some(st)
            })
        })
        .map(|svc| svc.arn.clone())
        .collect();
    let (items, next) = page.slice(arns)?;
    Ok(with_next_token(json!({"serviceArns": items}), next))
}

/// DescribeTaskSets (CODE_DEPLOY / EXTERNAL services), rendered by CodeDeploy.
fn describe_task_sets(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let (_, cluster_arn) = active_cluster(world, body)?;
    let reference = s(body, "service").unwrap_or_default();
    let idx = find_service(world, &cluster_arn, reference).ok_or_else(service_not_found)?;
    let svc = &world.ecs.services[idx];
    if svc.controller() == "ECS" {
        return Err(ApiError::invalid_parameter(
            "Amazon ECS only supports task set management on services configured to use external deployment controllers.",
        ));
    }
    let all = codedeploy::task_sets_json(world, svc);
    let wanted = strings(body, "taskSets");
    let tags = include(body, "TAGS");
    let with_tags = |mut ts: Value| {
        if tags {
            let arn = s(&ts, "taskSetArn").unwrap_or_default().to_owned();
            ts["tags"] = json!(world.ecs.tags.get(&arn).cloned().unwrap_or_default());
        }
        ts
    };
    if wanted.is_empty() {
        return Ok(
            json!({"taskSets": all.into_iter().map(with_tags).collect::<Vec<_>>(), "failures": []}),
        );
    }
    let mut sets = Vec::new();
    let mut failures = Vec::new();
    for w in wanted {
        match all
            .iter()
            .find(|ts| s(ts, "id") == Some(w) || s(ts, "taskSetArn") == Some(w))
        {
            Some(ts) => sets.push(with_tags(ts.clone())),
            None => failures.push(json!({"arn": w, "reason": "MISSING"})),
        }
    }
    Ok(json!({"taskSets": sets, "failures": failures}))
}

// ---- tasks ----------------------------------------------------------------------------

/// DescribeTasks shape: `tags` only with `include: ["TAGS"]`, as AWS does.
fn task_json(t: &Task, with_tags: bool) -> Value {
    let mut v = t.to_json();
    if !with_tags && let Some(m) = v.as_object_mut() {
        m.remove("tags");
    }
    v
}

fn find_task<'a>(world: &'a World, cluster_arn: &str, reference: &str) -> Option<&'a Task> {
    world
        .tasks
        .find(reference)
        .filter(|t| t.launch.cluster_arn == cluster_arn)
}

/// ListTasks: tasks of the cluster in creation order, filtered by `serviceName`, `family`,
/// `startedBy`, `launchType` and `desiredStatus` (RUNNING unless asked otherwise).
fn list_tasks(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let (_, cluster_arn) = active_cluster(world, body)?;
    let desired = s(body, "desiredStatus").unwrap_or("RUNNING");
    check_enum(
        Some(desired),
        &["RUNNING", "PENDING", "STOPPED"],
        "desiredStatus",
    )?;
    check_enum(s(body, "launchType"), LAUNCH_TYPES, "launchType")?;
    if let Some(f) = s(body, "family")
        && !taskdef::valid_name(f)
    {
        return Err(ApiError::invalid_parameter(
            "family must match ^[a-zA-Z0-9\\-_]+$",
        ));
    }
    if s(body, "family").is_some() && s(body, "serviceName").is_some() {
        return Err(ApiError::invalid_parameter(
            "family and serviceName cannot be specified together.",
        ));
    }
    let service_arn = match s(body, "serviceName") {
        Some(r) => Some(
            find_service(world, &cluster_arn, r)
                .map(|idx| world.ecs.services[idx].arn.clone())
                .ok_or_else(service_not_found)?,
        ),
        None => None,
    };
    let page = PageRequest::from_body("ListTasks", body, 100)?;
    let family = s(body, "family");
    let started_by = s(body, "startedBy");
    let launch_type = s(body, "launchType");
    let arns: Vec<String> = world
        .tasks
        .iter()
        .filter(|t| t.launch.cluster_arn == cluster_arn && t.desired_status == desired)
        .filter(|t| {
            service_arn
                .as_deref()
                .is_none_or(|sa| owner_service(&t.owner) == Some(sa))
        })
        .filter(|t| {
            family.is_none_or(|f| {
                taskdef::parse_reference(&t.launch.task_definition_arn)
                    .is_some_and(|r| r.family == f)
            })
        })
        .filter(|t| started_by.is_none_or(|sb| t.launch.started_by.as_deref() == Some(sb)))
        .filter(|t| launch_type.is_none_or(|lt| t.launch.launch_type.as_deref() == Some(lt)))
        .map(|t| t.arn.clone())
        .collect();
    let (items, next) = page.slice(arns)?;
    Ok(with_next_token(json!({"taskArns": items}), next))
}

/// DescribeTasks: at most 100; unknown ones are `failures` MISSING.
fn describe_tasks(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let refs = strings(body, "tasks");
    if refs.is_empty() {
        return Err(ApiError::invalid_parameter("Tasks cannot be empty."));
    }
    if refs.len() > 100 {
        return Err(ApiError::invalid_parameter(
            "tasks can have at most 100 items.",
        ));
    }
    let (cluster_name, cluster_arn) = active_cluster(world, body)?;
    let tags = include(body, "TAGS");
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for r in refs {
        match find_task(world, &cluster_arn, r) {
            Some(t) => out.push(task_json(t, tags)),
            None => {
                let arn = if r.starts_with("arn:") {
                    r.to_owned()
                } else {
                    world.arn("ecs", &format!("task/{cluster_name}/{r}"))
                };
                failures.push(json!({"arn": arn, "reason": "MISSING"}));
            }
        }
    }
    Ok(json!({"tasks": out, "failures": failures}))
}

/// RunTask: 1–10 tasks of an ACTIVE task definition, `Owner::RunTask`; they follow the
/// image-scripted outcomes (`exitN` → the essential container exits with N).
fn run_task(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let (cluster_name, cluster_arn) = active_cluster(world, body)?;
    let reference = s(body, "taskDefinition")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter("TaskDefinition can not be blank."))?;
    let td = taskdef::resolve_active(&world.ecs, reference)?.clone();
    let count = i(body, "count").unwrap_or(1);
    if !(1..=10).contains(&count) {
        return Err(ApiError::invalid_parameter(
            "count must be between 1 and 10.",
        ));
    }
    check_enum(s(body, "launchType"), LAUNCH_TYPES, "launchType")?;
    check_enum(
        s(body, "propagateTags"),
        &["TASK_DEFINITION", "SERVICE", "NONE"],
        "propagateTags",
    )?;
    let cps = present(body, "capacityProviderStrategy")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if present(body, "launchType").is_some() && !cps.is_empty() {
        return Err(ApiError::invalid_parameter(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ));
    }
    let mut spec = Map::new();
    for k in [
        "launchType",
        "capacityProviderStrategy",
        "networkConfiguration",
    ] {
        if let Some(v) = present(body, k) {
            spec.insert(k.into(), v.clone());
        }
    }
    if let Some(n) = present(body, "networkConfiguration") {
        spec.insert("networkConfiguration".into(), network_with_defaults(n)?);
    }
    if cps.is_empty() {
        spec.remove("capacityProviderStrategy");
    }
    default_launch(world, &cluster_name, &mut spec);
    validate_launch(&td, &spec)?;

    // Overrides: AWS echoes one containerOverrides entry per container (by name).
    let given = present(body, "overrides").cloned().unwrap_or(json!({}));
    let mut container_overrides = Vec::new();
    for o in given
        .get("containerOverrides")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = s(o, "name").unwrap_or_default();
        if td.container(name).is_none() {
            return Err(ApiError::invalid_parameter(format!(
                "Override for container named {name} is not a container in the TaskDefinition."
            )));
        }
    }
    for (name, _, _) in td.containers() {
        let o = given
            .get("containerOverrides")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|o| s(o, "name") == Some(name.as_str())))
            .cloned()
            .unwrap_or_else(|| json!({"name": name}));
        container_overrides.push(o);
    }
    let mut overrides = given.as_object().cloned().unwrap_or_default();
    overrides.insert(
        "containerOverrides".into(),
        Value::Array(container_overrides),
    );
    overrides
        .entry("inferenceAcceleratorOverrides")
        .or_insert(json!([]));

    let mut tags = tags_from(body)?;
    if s(body, "propagateTags") == Some("TASK_DEFINITION") {
        let mut from_td = world.ecs.tags.get(&td.arn).cloned().unwrap_or_default();
        merge_tags(&mut from_td, tags);
        tags = from_td;
    }
    let (launch_type, capacity_provider) = match spec
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
    {
        Some(items) if !items.is_empty() => {
            // The provider with a base, else the heaviest weight, places the tasks.
            let chosen = items
                .iter()
                .max_by_key(|it| (i(it, "base").unwrap_or(0), i(it, "weight").unwrap_or(0)))
                .and_then(|it| s(it, "capacityProvider"))
                .unwrap_or_default()
                .to_owned();
            let lt = if is_fargate_provider(&chosen) {
                "FARGATE"
            } else {
                "EC2"
            };
            (Some(lt.to_owned()), Some(chosen))
        }
        _ => (
            spec.get("launchType")
                .and_then(Value::as_str)
                .map(str::to_owned),
            None,
        ),
    };
    let mut launch = td.launch_base(&cluster_arn);
    if let Some(cpu) = overrides.get("cpu").and_then(Value::as_str) {
        launch.cpu = Some(cpu.to_owned());
    }
    if let Some(memory) = overrides.get("memory").and_then(Value::as_str) {
        launch.memory = Some(memory.to_owned());
    }
    launch.started_by = s(body, "startedBy").map(str::to_owned);
    launch.group = s(body, "group")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("family:{}", td.family));
    launch.launch_type = launch_type;
    launch.capacity_provider = capacity_provider;
    launch.overrides = Some(Value::Object(overrides));
    launch.tags = tags;
    launch.enable_execute_command = b(body, "enableExecuteCommand").unwrap_or(false);

    let mut out = Vec::new();
    for _ in 0..count {
        let arn = tasks::launch(world, Owner::RunTask, launch.clone());
        if let Some(t) = world.tasks.get(&arn) {
            out.push(task_json(t, true));
        }
    }
    Ok(json!({"tasks": out, "failures": []}))
}

/// StopTask: `reason` becomes `stoppedReason`, `stopCode` is UserInitiated.
fn stop_task(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let (_, cluster_arn) = active_cluster(world, body)?;
    let reference = s(body, "task").unwrap_or_default();
    let arn = find_task(world, &cluster_arn, reference)
        .map(|t| t.arn.clone())
        .ok_or_else(|| ApiError::invalid_parameter("The referenced task was not found."))?;
    let reason = s(body, "reason")
        .filter(|r| !r.is_empty())
        .unwrap_or("Task stopped by user");
    if reason.chars().count() > 255 {
        return Err(ApiError::invalid_parameter(
            "reason must be at most 255 characters.",
        ));
    }
    tasks::stop(world, &arn, "UserInitiated", reason);
    let t = world
        .tasks
        .get(&arn)
        .ok_or_else(|| ApiError::invalid_parameter("The referenced task was not found."))?;
    Ok(json!({"task": task_json(t, true)}))
}

// ---- resource tags --------------------------------------------------------------------

/// Where a resource's tags live.
enum Tagged {
    /// `ecs.tags[arn]` (clusters, services, task definitions, task sets).
    Stored(String),
    /// The task's own `launch.tags`.
    Task(String),
}

fn resolve_tagged(world: &World, arn: &str) -> Result<Tagged, ApiError> {
    let not_found = || ApiError::invalid_parameter("The specified resource is not found.");
    let prefix = world.arn("ecs", "");
    let Some(resource) = arn.strip_prefix(&prefix) else {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid resourceArn '{arn}': it must be an ECS ARN in {}.",
            world.region
        )));
    };
    let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
    match kind {
        "cluster" => match world.ecs.clusters.get(rest) {
            Some(c) if c.status == "ACTIVE" => Ok(Tagged::Stored(c.arn.clone())),
            _ => Err(cluster_not_found()),
        },
        "service" => world
            .ecs
            .services
            .iter()
            .find(|s| s.arn == arn && s.status != "INACTIVE")
            .map(|s| Tagged::Stored(s.arn.clone()))
            .ok_or_else(not_found),
        "task-definition" => taskdef::parse_reference(arn)
            .filter(|r| r.revision.is_some())
            .and_then(|_| taskdef::resolve(&world.ecs, arn))
            .map(|td| Tagged::Stored(td.arn.clone()))
            .ok_or_else(not_found),
        "task" => world
            .tasks
            .get(arn)
            .map(|t| Tagged::Task(t.arn.clone()))
            .ok_or_else(not_found),
        "task-set" => {
            let found = world.ecs.services.iter().any(|svc| {
                codedeploy::task_sets_json(world, svc)
                    .iter()
                    .any(|ts| s(ts, "taskSetArn") == Some(arn))
            });
            if found {
                Ok(Tagged::Stored(arn.to_owned()))
            } else {
                Err(not_found())
            }
        }
        _ => Err(ApiError::invalid_parameter(format!(
            "Invalid resourceArn '{arn}': tagging is not supported for this resource type."
        ))),
    }
}

fn resource_arn(body: &Value) -> Result<&str, ApiError> {
    s(body, "resourceArn")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter("resourceArn can not be blank."))
}

fn tags_mut<'a>(world: &'a mut World, t: &Tagged) -> Option<&'a mut Vec<Value>> {
    match t {
        Tagged::Stored(arn) => Some(world.ecs.tags.entry(arn.clone()).or_default()),
        Tagged::Task(arn) => world.tasks.get_mut(arn).map(|t| &mut t.launch.tags),
    }
}

/// TagResource: adds or overwrites keys (at most 50 tags per resource).
fn tag_resource(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let arn = resource_arn(body)?;
    let target = resolve_tagged(world, arn)?;
    let new = tags_from(body)?;
    if new.is_empty() {
        return Err(ApiError::invalid_parameter("tags can not be empty."));
    }
    let tags = tags_mut(world, &target)
        .ok_or_else(|| ApiError::invalid_parameter("The specified resource is not found."))?;
    let mut merged = tags.clone();
    merge_tags(&mut merged, new);
    if merged.len() > 50 {
        return Err(ApiError::invalid_parameter(
            "Too many tags: a resource can have at most 50 tags.",
        ));
    }
    *tags = merged;
    Ok(json!({}))
}

/// UntagResource.
fn untag_resource(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let arn = resource_arn(body)?;
    let target = resolve_tagged(world, arn)?;
    let keys: Vec<String> = strings(body, "tagKeys")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if keys.is_empty() {
        return Err(ApiError::invalid_parameter("tagKeys can not be empty."));
    }
    if let Some(tags) = tags_mut(world, &target) {
        tags.retain(|t| s(t, "key").is_none_or(|k| !keys.iter().any(|x| x == k)));
    }
    Ok(json!({}))
}

/// ListTagsForResource.
fn list_tags_for_resource(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let arn = resource_arn(body)?;
    let tags = match resolve_tagged(world, arn)? {
        Tagged::Stored(arn) => world.ecs.tags.get(&arn).cloned().unwrap_or_default(),
        Tagged::Task(arn) => world
            .tasks
            .get(&arn)
            .map(|t| t.launch.tags.clone())
            .unwrap_or_default(),
    };
    Ok(json!({"tags": tags}))
}
