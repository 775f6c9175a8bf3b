//! Deploy and rollback decisions as pure functions over API-shaped JSON: task definition
//! names, the previous-revision choice, "still in use" checks, desired-count rules, and the
//! exact RegisterTaskDefinition / CreateService / UpdateService / Tag inputs.
//!
//! Why pure: these rules decide what ecspress *changes* in an account, so each one is a small
//! function with a table test, and `--dry-run` prints exactly what these functions built.
//!
//! # Attributes the service file omits (UpdateService)
//!
//! UpdateService changes only the members it is given; an omitted member keeps its live value
//! (AWS API reference, UpdateService). ecspresso (v2.8.7, deploy step 6) therefore sends
//! `loadBalancers: []`, `volumeConfigurations: []`, `vpcLatticeConfigurations: []` and
//! `serviceConnectConfiguration: {enabled: false}` whenever the file omits them, so that
//! deleting a block from the file deletes it from the service. We keep that meaning (the file
//! is the source of truth for these lists, `serviceRegistries` included) with one refinement:
//! the clearing value is sent **only when the live service has something to clear** (a
//! non-empty list, or Service Connect enabled on the service or its PRIMARY deployment, which is
//! where DescribeServices reports it). Sending `[]` to a service that has none is a no-op at
//! best and, for members that start a deployment when "changed", a needless deployment.
//! Every other omitted member (placement, capacity providers, platform version, ...) is left as
//! it is live. DAEMON services take no `desiredCount` and no `placementStrategy` (AWS rejects
//! both for DAEMON).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// Read-only keys of DescribeTaskDefinition output that RegisterTaskDefinition does not take
/// (users paste `describe-task-definition` output into files).
pub const TASK_DEFINITION_READ_ONLY: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "deleteRequestedAt",
];

/// Keys a service file may carry (pasted DescribeServices output, or names ecspress fills in
/// itself) that are not service *attributes*.
pub const SERVICE_READ_ONLY: &[&str] = &[
    "serviceArn",
    "clusterArn",
    "status",
    "runningCount",
    "pendingCount",
    "deployments",
    "taskSets",
    "events",
    "createdAt",
    "createdBy",
    "roleArn",
    "currentServiceDeployment",
    "currentServiceRevisions",
    "platformFamily",
    "resourceManagementType",
    "taskDefinition",
    "serviceName",
    "cluster",
];

/// The service attributes UpdateService takes (besides `cluster`, `service`, `taskDefinition`,
/// `desiredCount` and `forceNewDeployment`), in the order ecspresso copies them. Not here:
/// `launchType`, `schedulingStrategy`, `role` and `tags` (UpdateService has no such member; tags
/// go through TagResource), and `deploymentController` (changing it is a migration, not a
/// deploy).
pub const UPDATE_ATTRIBUTES: &[&str] = &[
    "availabilityZoneRebalancing",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
    "loadBalancers",
    "monitoring",
    "networkConfiguration",
    "placementConstraints",
    "placementStrategy",
    "platformVersion",
    "propagateTags",
    "serviceConnectConfiguration",
    "serviceRegistries",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
    "gatewayConnectors",
];

/// List attributes the file owns: omitted in the file but present live → sent as `[]`.
const CLEARED_LISTS: &[&str] = &[
    "loadBalancers",
    "serviceRegistries",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

/// A decision that cannot be made from the inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    /// No ACTIVE revision of the family is older than the running one.
    #[error(
        "no rollback target: {family} has no ACTIVE revision older than {current} (ListTaskDefinitions lists ACTIVE revisions only); pass --revision N"
    )]
    NoPreviousRevision {
        /// The family.
        family: String,
        /// The running revision (`family:N`).
        current: String,
    },
    /// A name that is not `family`, `family:N` or a task definition ARN.
    #[error("{0:?} is not a task definition ARN or family:revision")]
    BadName(String),
}

/// The `family:revision` part of a task definition ARN (`arn:...:task-definition/web:3` →
/// `web:3`); a name without an ARN prefix is returned unchanged.
pub fn short_name(arn_or_name: &str) -> &str {
    match arn_or_name.rsplit_once(":task-definition/") {
        Some((_, name)) => name,
        None => arn_or_name,
    }
}

/// The family of a task definition ARN or `family:N` name.
pub fn family_of(arn_or_name: &str) -> &str {
    let name = short_name(arn_or_name);
    name.rsplit_once(':').map_or(name, |(f, _)| f)
}

/// The revision number of a task definition ARN or `family:N` name.
pub fn revision_of(arn_or_name: &str) -> Option<u32> {
    short_name(arn_or_name)
        .rsplit_once(':')
        .and_then(|(_, r)| r.parse().ok())
}

/// The rollback target: the newest ACTIVE revision of the family older than `current`.
///
/// `active` is ListTaskDefinitions output (ACTIVE revisions only, any order). ecspresso takes
/// "the ARN after the current one" in the DESC listing, which fails when the running revision
/// was deregistered (it is then absent from the listing); comparing revision numbers picks the
/// same target in the normal case and still finds one in that case.
pub fn previous_revision(active: &[String], current: &str) -> Result<String, RevisionError> {
    let family = family_of(current);
    let current_rev =
        revision_of(current).ok_or_else(|| RevisionError::BadName(current.to_owned()))?;
    active
        .iter()
        .filter(|a| family_of(a) == family)
        .filter_map(|a| revision_of(a).map(|r| (r, a)))
        .filter(|(r, _)| *r < current_rev)
        .max_by_key(|(r, _)| *r)
        .map(|(_, a)| a.clone())
        .ok_or_else(|| RevisionError::NoPreviousRevision {
            family: family.to_owned(),
            current: short_name(current).to_owned(),
        })
}

/// Whether two task definition references name the same revision (ARN vs `family:N`).
pub fn same_revision(a: &str, b: &str) -> bool {
    short_name(a) == short_name(b)
}

/// What still uses task definitions: the service's `deployments[]` (PRIMARY, ACTIVE ones
/// still draining or in progress) and the running tasks of the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// `(deployment id, status, task definition)` of every `deployments[]` entry.
    pub deployments: Vec<(String, String, String)>,
    /// `(task ARN, task definition ARN)` of every task whose desired status is RUNNING.
    pub tasks: Vec<(String, String)>,
}

impl Usage {
    /// From DescribeServices `deployments[]` and DescribeTasks output.
    pub fn from_json(service: Option<&Value>, tasks: &[Value]) -> Self {
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let deployments = service
            .and_then(|s| s.get("deployments"))
            .and_then(Value::as_array)
            .map(|ds| {
                ds.iter()
                    .map(|d| (text(d, "id"), text(d, "status"), text(d, "taskDefinition")))
                    .collect()
            })
            .unwrap_or_default();
        let tasks = tasks
            .iter()
            .filter(|t| text(t, "lastStatus") != "STOPPED")
            .map(|t| (text(t, "taskArn"), text(t, "taskDefinitionArn")))
            .collect();
        Usage { deployments, tasks }
    }

    /// Why `task_definition` must not be deregistered, or `None` when nothing uses it.
    pub fn in_use(&self, task_definition: &str) -> Option<String> {
        if let Some((id, status, _)) = self
            .deployments
            .iter()
            .find(|(_, _, td)| same_revision(td, task_definition))
        {
            return Some(format!("the service's {status} deployment {id} uses it"));
        }
        let tasks: Vec<&str> = self
            .tasks
            .iter()
            .filter(|(_, td)| same_revision(td, task_definition))
            .map(|(arn, _)| arn.rsplit('/').next().unwrap_or(arn))
            .collect();
        match tasks.as_slice() {
            [] => None,
            [one] => Some(format!("task {one} still runs it")),
            [first, ..] => Some(format!("{} tasks still run it (e.g. {first})", tasks.len())),
        }
    }
}

/// Whether a service (live or file) is DAEMON-scheduled.
pub fn is_daemon(service: &Value) -> bool {
    service.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON")
}

/// The deployment controller type (`ECS` when unset, as AWS defaults it).
pub fn controller_of(service: &Value) -> &str {
    service
        .pointer("/deploymentController/type")
        .and_then(Value::as_str)
        .unwrap_or("ECS")
}

/// desiredCount for CreateService: `--tasks`, else the file's, else 0 (REPLICA needs one;
/// ecspresso sends 0); none for DAEMON (AWS rejects it: one task per instance).
pub fn create_desired_count(tasks: Option<i32>, file: &Value) -> Option<i64> {
    if is_daemon(file) {
        return None;
    }
    Some(
        tasks
            .map(i64::from)
            .or_else(|| file.get("desiredCount").and_then(Value::as_i64))
            .unwrap_or(0),
    )
}

/// desiredCount for UpdateService: `--tasks`, else the file's, else none (keep the live count,
/// which auto scaling may own); none for DAEMON.
pub fn update_desired_count(tasks: Option<i32>, file: Option<&Value>, live: &Value) -> Option<i64> {
    if is_daemon(live) {
        return None;
    }
    tasks.map(i64::from).or_else(|| {
        file.and_then(|f| f.get("desiredCount"))
            .and_then(Value::as_i64)
    })
}

/// The RegisterTaskDefinition input for a rendered task definition: the
/// `{"taskDefinition": ...}` wrapper of describe-task-definition output unwrapped (its sibling
/// `tags` kept), read-only keys dropped, and an empty `tags` list dropped (it means the same as
/// none, and keeps the printed dry-run input minimal).
pub fn register_input(task_definition: &Value) -> Value {
    let (body, outer_tags) = match task_definition.get("taskDefinition") {
        Some(inner) if inner.is_object() => (inner.clone(), task_definition.get("tags").cloned()),
        _ => (task_definition.clone(), None),
    };
    let mut m = body.as_object().cloned().unwrap_or_default();
    for k in TASK_DEFINITION_READ_ONLY {
        m.remove(*k);
    }
    if let Some(tags) = outer_tags.filter(|t| !m.contains_key("tags") && is_non_empty(t)) {
        m.insert("tags".into(), tags);
    }
    if m.get("tags").is_some_and(|t| !is_non_empty(t)) {
        m.remove("tags");
    }
    Value::Object(m)
}

fn is_non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// The CreateService input: every attribute of the file, plus `cluster`, `serviceName`,
/// `taskDefinition` and the desired count ([`create_desired_count`]). Read-only keys a pasted
/// DescribeServices output carries are dropped.
pub fn create_service_input(
    file: &Value,
    cluster: &str,
    service: &str,
    task_definition: &str,
    tasks: Option<i32>,
) -> Value {
    let mut m = file.as_object().cloned().unwrap_or_default();
    for k in SERVICE_READ_ONLY {
        m.remove(*k);
    }
    m.remove("desiredCount");
    if let Some(n) = create_desired_count(tasks, file) {
        m.insert("desiredCount".into(), json!(n));
    }
    m.insert("cluster".into(), json!(cluster));
    m.insert("serviceName".into(), json!(service));
    m.insert("taskDefinition".into(), json!(task_definition));
    Value::Object(m)
}

/// What goes into one UpdateService call.
#[derive(Debug, Clone, Default)]
pub struct UpdatePlan<'a> {
    /// `cluster`.
    pub cluster: &'a str,
    /// `service` (name or ARN).
    pub service: &'a str,
    /// The task definition to run (None = keep).
    pub task_definition: Option<&'a str>,
    /// The rendered service file; `None` = don't touch attributes (`--no-update-service`, no
    /// `service_definition`, or nothing changed).
    pub attributes_from: Option<&'a Value>,
    /// `desiredCount`.
    pub desired_count: Option<i64>,
    /// `forceNewDeployment`.
    pub force_new_deployment: bool,
}

/// The UpdateService input for `plan` against the live service (see the module docs for the
/// omitted-attribute rules).
pub fn update_service_input(plan: &UpdatePlan<'_>, live: &Value) -> Value {
    let mut m = Map::new();
    m.insert("cluster".into(), json!(plan.cluster));
    m.insert("service".into(), json!(plan.service));
    if let Some(td) = plan.task_definition {
        m.insert("taskDefinition".into(), json!(td));
    }
    if let Some(n) = plan.desired_count {
        m.insert("desiredCount".into(), json!(n));
    }
    if plan.force_new_deployment {
        m.insert("forceNewDeployment".into(), json!(true));
    }
    if let Some(file) = plan.attributes_from {
        for k in UPDATE_ATTRIBUTES {
            if let Some(v) = file.get(*k).filter(|v| !v.is_null()) {
                m.insert((*k).into(), v.clone());
            }
        }
        for k in CLEARED_LISTS {
            if !m.contains_key(*k) && live_has(live, k) {
                m.insert((*k).into(), json!([]));
            }
        }
        if !m.contains_key("serviceConnectConfiguration") && service_connect_enabled(live) {
            m.insert(
                "serviceConnectConfiguration".into(),
                json!({"enabled": false}),
            );
        }
        if is_daemon(live) {
            m.remove("placementStrategy");
        }
    }
    if is_daemon(live) {
        m.remove("desiredCount");
    }
    Value::Object(m)
}

/// The PRIMARY entry of `deployments[]`.
fn primary(live: &Value) -> Option<&Value> {
    live.get("deployments")
        .and_then(Value::as_array)?
        .iter()
        .find(|d| d.get("status").and_then(Value::as_str) == Some("PRIMARY"))
}

/// A non-empty list attribute on the service or (where DescribeServices reports Service
/// Connect, volume and VPC Lattice configurations) on its PRIMARY deployment.
fn live_has(live: &Value, key: &str) -> bool {
    let non_empty = |v: Option<&Value>| v.and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    non_empty(live.get(key)) || non_empty(primary(live).and_then(|p| p.get(key)))
}

fn service_connect_enabled(live: &Value) -> bool {
    let enabled = |v: Option<&Value>| {
        v.and_then(|c| c.get("enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    enabled(live.get("serviceConnectConfiguration"))
        || enabled(primary(live).and_then(|p| p.get("serviceConnectConfiguration")))
}

/// How a deployment is identified: `currentServiceDeployment` (the service-deployment ARN)
/// and the PRIMARY `deployments[]` id (`ecs-svc/...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentRef {
    /// `currentServiceDeployment`.
    pub service_deployment_arn: Option<String>,
    /// The PRIMARY deployment's `id`.
    pub deployment_id: Option<String>,
}

impl DeploymentRef {
    /// Read from a DescribeServices / UpdateService / CreateService service object.
    pub fn of(service: &Value) -> Self {
        DeploymentRef {
            service_deployment_arn: service
                .get("currentServiceDeployment")
                .and_then(Value::as_str)
                .map(str::to_owned),
            deployment_id: primary(service)
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    /// Whether `after` (read after UpdateService) names a deployment other than `self`
    /// (read before): UpdateService starts a deployment only when something that needs new
    /// tasks changed (task definition, network, load balancers, ..., or forceNewDeployment).
    pub fn started_new(&self, after: &DeploymentRef) -> bool {
        match (&self.service_deployment_arn, &after.service_deployment_arn) {
            (Some(a), Some(b)) => a != b,
            (None, Some(_)) => true,
            _ => after.deployment_id.is_some() && after.deployment_id != self.deployment_id,
        }
    }
}

/// A lower bound (epoch seconds) for "created by our call": the later of the local clock
/// (minus 2 s for clock skew) and the newest timestamp the service showed before the call.
///
/// The second term matters when the server clock runs ahead of ours (skew, or `ecspress sim`
/// with a fast `--time-scale`, whose clock runs faster than real time): anything created after
/// our call is newer than everything we saw before it, whatever the local clock says.
pub fn started_after(before: Option<&Value>, local_now: f64) -> f64 {
    let mut newest = local_now - 2.0;
    let mut see = |v: Option<&Value>| {
        if let Some(t) = v.and_then(Value::as_f64) {
            newest = newest.max(t);
        }
    };
    if let Some(svc) = before {
        see(svc.get("createdAt"));
        for key in ["deployments", "events"] {
            for item in svc.get(key).and_then(Value::as_array).into_iter().flatten() {
                see(item.get("createdAt"));
                see(item.get("updatedAt"));
            }
        }
    }
    newest
}

/// Tag changes for TagResource / UntagResource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagDelta {
    /// Keys to add or change, with their new values (sorted by key).
    pub set: Vec<(String, String)>,
    /// Keys to remove (sorted).
    pub remove: Vec<String>,
}

impl TagDelta {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

fn tag_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        t.get("key")?.as_str()?.to_owned(),
                        t.get("value")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The tag changes that make the live service's tags equal the file's.
///
/// - The file has no `tags` key: tags are not managed (a service tagged by other tooling is
///   left alone); `"tags": []` means "no tags".
/// - Keys in `ignore` (config `ignore.tags`) are never set nor removed.
/// - `aws:`-prefixed keys are reserved by AWS and cannot be changed by users (TagResource
///   rejects them), so they are left alone too.
pub fn tag_delta(file: &Value, live: &Value, ignore: &[String]) -> TagDelta {
    let Some(local) = file.get("tags").filter(|t| !t.is_null()) else {
        return TagDelta::default();
    };
    // `aws:` keys are AWS's; ecspress's metadata tags are set per deploy, not from the file.
    let keep = |k: &str| {
        !ignore.iter().any(|i| i == k)
            && !k.starts_with("aws:")
            && !crate::model::metadata::is_metadata_tag(k)
    };
    let local = tag_map(Some(local));
    let remote = tag_map(live.get("tags"));
    TagDelta {
        set: local
            .iter()
            .filter(|(k, v)| keep(k) && remote.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: remote
            .keys()
            .filter(|k| keep(k) && !local.contains_key(*k))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition";

    fn arn(name: &str) -> String {
        format!("{ARN}/{name}")
    }

    #[test]
    fn names() {
        for (input, short, family, rev) in [
            (arn("web:3"), "web:3", "web", Some(3)),
            ("web:12".to_owned(), "web:12", "web", Some(12)),
            ("web".to_owned(), "web", "web", None),
            (arn("my-app_v2:1"), "my-app_v2:1", "my-app_v2", Some(1)),
        ] {
            assert_eq!(short_name(&input), short, "{input}");
            assert_eq!(family_of(&input), family, "{input}");
            assert_eq!(revision_of(&input), rev, "{input}");
        }
        assert!(same_revision(&arn("web:3"), "web:3"));
        assert!(!same_revision(&arn("web:3"), "web:30"));
    }

    #[test]
    fn previous_revision_is_the_newest_older_active_one() {
        let active: Vec<String> = ["web:7", "web:5", "web:4", "web:1", "other:6"]
            .iter()
            .map(|n| arn(n))
            .collect();
        // (current, expected) — ACTIVE-only listing: deregistered 6 is skipped, a deregistered
        // current revision still has a target, other families never count.
        for (current, expected) in [
            (arn("web:7"), Ok(arn("web:5"))),
            (arn("web:5"), Ok(arn("web:4"))),
            (arn("web:6"), Ok(arn("web:5"))),
            ("web:9".to_owned(), Ok(arn("web:7"))),
            (
                arn("web:1"),
                Err(RevisionError::NoPreviousRevision {
                    family: "web".into(),
                    current: "web:1".into(),
                }),
            ),
            ("web".to_owned(), Err(RevisionError::BadName("web".into()))),
        ] {
            assert_eq!(previous_revision(&active, &current), expected, "{current}");
        }
    }

    #[test]
    fn usage_blocks_deregistering_what_runs() {
        let service = json!({"deployments": [
            {"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": arn("web:5")},
            {"id": "ecs-svc/2", "status": "ACTIVE", "taskDefinition": arn("web:7")}
        ]});
        let tasks = vec![
            json!({"taskArn": "arn:aws:ecs:us-east-1:1:task/c/aaa", "taskDefinitionArn": arn("web:5"), "lastStatus": "RUNNING"}),
            json!({"taskArn": "arn:aws:ecs:us-east-1:1:task/c/bbb", "taskDefinitionArn": arn("web:8"), "lastStatus": "RUNNING"}),
            json!({"taskArn": "arn:aws:ecs:us-east-1:1:task/c/ccc", "taskDefinitionArn": arn("web:8"), "lastStatus": "PENDING"}),
            json!({"taskArn": "arn:aws:ecs:us-east-1:1:task/c/ddd", "taskDefinitionArn": arn("web:9"), "lastStatus": "STOPPED"}),
        ];
        let usage = Usage::from_json(Some(&service), &tasks);
        for (td, expected) in [
            (
                arn("web:7"),
                Some("the service's ACTIVE deployment ecs-svc/2 uses it"),
            ),
            (
                "web:5".to_owned(),
                Some("the service's PRIMARY deployment ecs-svc/1 uses it"),
            ),
            (arn("web:8"), Some("2 tasks still run it (e.g. bbb)")),
            (arn("web:9"), None),
            (arn("web:4"), None),
        ] {
            assert_eq!(usage.in_use(&td).as_deref(), expected, "{td}");
        }
        let one = Usage::from_json(None, &tasks[..1]);
        assert_eq!(
            one.in_use(&arn("web:5")).as_deref(),
            Some("task aaa still runs it")
        );
    }

    #[test]
    fn desired_count_rules() {
        let file = json!({"desiredCount": 2});
        let none = json!({});
        let daemon = json!({"schedulingStrategy": "DAEMON", "desiredCount": 2});
        // create: --tasks, else file, else 0; DAEMON none.
        assert_eq!(create_desired_count(Some(5), &file), Some(5));
        assert_eq!(create_desired_count(None, &file), Some(2));
        assert_eq!(create_desired_count(None, &none), Some(0));
        assert_eq!(create_desired_count(Some(5), &daemon), None);
        // update: --tasks, else file, else keep; DAEMON none.
        let live = json!({"desiredCount": 4});
        assert_eq!(update_desired_count(Some(0), Some(&file), &live), Some(0));
        assert_eq!(update_desired_count(None, Some(&file), &live), Some(2));
        assert_eq!(update_desired_count(None, Some(&none), &live), None);
        assert_eq!(update_desired_count(None, None, &live), None);
        assert_eq!(update_desired_count(Some(3), Some(&file), &daemon), None);
    }

    #[test]
    fn register_input_strips_read_only_keys_and_unwraps() {
        let described = json!({
            "taskDefinition": {"family": "web", "revision": 3, "taskDefinitionArn": arn("web:3"),
                "status": "ACTIVE", "compatibilities": ["EC2"], "requiresAttributes": [],
                "registeredAt": 1.0, "registeredBy": "me", "containerDefinitions": [{"name": "a"}]},
            "tags": [{"key": "team", "value": "a"}]
        });
        assert_eq!(
            register_input(&described),
            json!({"family": "web", "containerDefinitions": [{"name": "a"}],
                "tags": [{"key": "team", "value": "a"}]})
        );
        assert_eq!(
            register_input(&json!({"family": "web", "tags": []})),
            json!({"family": "web"})
        );
    }

    #[test]
    fn create_input_names_the_service_and_drops_read_only_keys() {
        let file = json!({"launchType": "FARGATE", "serviceArn": "x", "status": "ACTIVE",
            "serviceName": "old", "desiredCount": 2, "tags": [{"key": "a", "value": "b"}]});
        assert_eq!(
            create_service_input(&file, "c", "web", "web:3", None),
            json!({"cluster": "c", "serviceName": "web", "taskDefinition": "web:3",
                "launchType": "FARGATE", "desiredCount": 2, "tags": [{"key": "a", "value": "b"}]})
        );
        assert_eq!(
            create_service_input(&json!({}), "c", "web", "web:3", Some(4))["desiredCount"],
            json!(4)
        );
    }

    #[test]
    fn update_input_attributes_and_omitted_lists() {
        let live = json!({
            "loadBalancers": [{"containerName": "app", "containerPort": 80, "targetGroupArn": "tg"}],
            "serviceRegistries": [],
            "deployments": [{"status": "PRIMARY", "volumeConfigurations": [{"name": "v"}],
                "serviceConnectConfiguration": {"enabled": true, "namespace": "ns"}}],
            "desiredCount": 2
        });
        let file = json!({
            "launchType": "FARGATE", "desiredCount": 3, "tags": [],
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
            "deploymentConfiguration": {"maximumPercent": 200}
        });
        let plan = UpdatePlan {
            cluster: "c",
            service: "web",
            task_definition: Some("web:4"),
            attributes_from: Some(&file),
            desired_count: Some(3),
            force_new_deployment: true,
        };
        assert_eq!(
            update_service_input(&plan, &live),
            json!({
                "cluster": "c", "service": "web", "taskDefinition": "web:4", "desiredCount": 3,
                "forceNewDeployment": true,
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
                "deploymentConfiguration": {"maximumPercent": 200},
                // live has them, the file omits them → cleared; serviceRegistries is empty
                // live → not sent.
                "loadBalancers": [],
                "volumeConfigurations": [],
                "serviceConnectConfiguration": {"enabled": false}
            })
        );
        // --no-update-service: only task definition and count.
        let bare = UpdatePlan {
            attributes_from: None,
            force_new_deployment: false,
            ..plan.clone()
        };
        assert_eq!(
            update_service_input(&bare, &live),
            json!({"cluster": "c", "service": "web", "taskDefinition": "web:4", "desiredCount": 3})
        );
        // Nothing live to clear → nothing sent for omitted lists.
        let empty_live = json!({"desiredCount": 1});
        let out = update_service_input(&plan, &empty_live);
        for k in CLEARED_LISTS.iter().chain(&["serviceConnectConfiguration"]) {
            assert!(out.get(*k).is_none(), "{k}: {out}");
        }
        // A file that sets a list sends it as written.
        let with_lb = json!({"loadBalancers": [{"containerName": "b", "containerPort": 8080}]});
        let p = UpdatePlan {
            attributes_from: Some(&with_lb),
            ..plan.clone()
        };
        assert_eq!(
            update_service_input(&p, &live)["loadBalancers"],
            json!([{"containerName": "b", "containerPort": 8080}])
        );
        // DAEMON: no desiredCount, no placementStrategy.
        let daemon = json!({"schedulingStrategy": "DAEMON"});
        let f = json!({"placementStrategy": [{"type": "spread", "field": "x"}], "propagateTags": "SERVICE"});
        let p = UpdatePlan {
            attributes_from: Some(&f),
            ..plan.clone()
        };
        let out = update_service_input(&p, &daemon);
        assert!(out.get("desiredCount").is_none() && out.get("placementStrategy").is_none());
        assert_eq!(out["propagateTags"], json!("SERVICE"));
    }

    #[test]
    fn tag_delta_rules() {
        let live = json!({"tags": [
            {"key": "team", "value": "a"}, {"key": "old", "value": "x"},
            {"key": "LastDeployedBy", "value": "bob"}, {"key": "aws:cloudformation:stack-name", "value": "s"}
        ]});
        let file = json!({"tags": [
            {"key": "team", "value": "b"}, {"key": "env", "value": "prod"},
            {"key": "LastDeployedBy", "value": "ci"}
        ]});
        let ignore = vec!["LastDeployedBy".to_owned()];
        assert_eq!(
            tag_delta(&file, &live, &ignore),
            TagDelta {
                set: vec![("env".into(), "prod".into()), ("team".into(), "b".into())],
                remove: vec!["old".into()],
            }
        );
        // No `tags` in the file: unmanaged.
        assert!(tag_delta(&json!({}), &live, &ignore).is_empty());
        // `tags: []`: remove every user tag except ignored and aws: ones.
        assert_eq!(
            tag_delta(&json!({"tags": []}), &live, &ignore).remove,
            vec!["old".to_owned(), "team".to_owned()]
        );
        assert!(tag_delta(&file, &json!({"tags": file["tags"].clone()}), &[]).is_empty());
    }

    #[test]
    fn deployment_identity_and_start_time() {
        let before = json!({"currentServiceDeployment": "sd/1", "createdAt": 100.0,
            "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "createdAt": 150.0, "updatedAt": 170.5}],
            "events": [{"createdAt": 160.0}]});
        let same = DeploymentRef::of(&before);
        assert_eq!(same.deployment_id.as_deref(), Some("ecs-svc/1"));
        let mut after = before.clone();
        assert!(!same.started_new(&DeploymentRef::of(&after)));
        after["currentServiceDeployment"] = json!("sd/2");
        assert!(same.started_new(&DeploymentRef::of(&after)));
        // Without service-deployment ARNs, the PRIMARY id decides.
        let old = DeploymentRef {
            service_deployment_arn: None,
            deployment_id: Some("ecs-svc/1".into()),
        };
        let new = DeploymentRef {
            service_deployment_arn: None,
            deployment_id: Some("ecs-svc/2".into()),
        };
        assert!(old.started_new(&new));
        assert!(!old.started_new(&old.clone()));
        assert!(DeploymentRef::default().started_new(&DeploymentRef::of(&before)));
        // Server clock ahead (sim / skew) → the newest seen timestamp; else local now − 2 s.
        assert_eq!(started_after(Some(&before), 50.0), 170.5);
        assert_eq!(started_after(Some(&before), 1000.0), 998.0);
        assert_eq!(started_after(None, 1000.0), 998.0);
    }

    #[test]
    fn controller_and_scheduling() {
        assert_eq!(controller_of(&json!({})), "ECS");
        assert_eq!(
            controller_of(&json!({"deploymentController": {"type": "CODE_DEPLOY"}})),
            "CODE_DEPLOY"
        );
        assert!(is_daemon(&json!({"schedulingStrategy": "DAEMON"})));
        assert!(!is_daemon(&json!({"schedulingStrategy": "REPLICA"})));
    }
}
