//! Task definitions: RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
//! ListTaskDefinitionFamilies, DeregisterTaskDefinition, DeleteTaskDefinitions, plus the
//! reference resolution (`family`, `family:rev`, ARN) every other handler uses.
//!
//! Why this is more than "store the JSON": a deploy tool diffs what it registers against
//! what DescribeTaskDefinition returns, so the simulator must return what AWS returns —
//! the defaults AWS fills (`essential: true`, `cpu: 0`, empty lists, awsvpc
//! `hostPort` = `containerPort`, `protocol: tcp`), the read-only fields
//! (`taskDefinitionArn`, `revision`, `status`, `registeredAt`, `registeredBy`,
//! `requiresAttributes`, `compatibilities`) and the normalised task size (`"1 vCPU"` →
//! `"1024"`, `"2 GB"` → `"2048"`) — and refuse what AWS refuses, with AWS's messages
//! (moto accepts FARGATE 256/8192 and bridge mode; moto.md §2.1).

use serde_json::{Map, Value, json};

use super::EcsState;
use super::api::{self, PageRequest};
use super::model::TaskDefinition;
use crate::sim::error::ApiError;
use crate::sim::tasks::Launch;
use crate::sim::world::World;

/// Valid Fargate task sizes: CPU units → (min, max, step) memory in MiB
/// (AWS "Task size" table; 256 CPU is the one irregular row: 512, 1024, 2048).
const FARGATE_SIZES: &[(u64, u64, u64, u64)] = &[
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// Whether `cpu`/`memory` (normalised MiB / CPU units) is a Fargate task size.
pub(crate) fn fargate_size_valid(cpu: u64, memory: u64) -> bool {
    if cpu == 256 {
        return matches!(memory, 512 | 1024 | 2048);
    }
    FARGATE_SIZES.iter().any(|&(c, lo, hi, step)| {
        c == cpu && (lo..=hi).contains(&memory) && memory.is_multiple_of(step)
    })
}

/// `"1 vCPU"`, `"0.25 vcpu"` → CPU units; plain integers as given.
/// AWS stores and returns the normalised number as a string.
fn normalise_cpu(raw: &str) -> Option<u64> {
    let t = raw.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(n) = lower.strip_suffix("vcpu") {
        let f: f64 = n.trim().parse().ok()?;
        let units = f * 1024.0;
        (units > 0.0 && units.fract() == 0.0).then_some(units as u64)
    } else {
        t.parse::<u64>().ok().filter(|n| *n > 0)
    }
}

/// `"1 GB"`, `"0.5GB"` → MiB; plain integers (MiB) as given.
fn normalise_memory(raw: &str) -> Option<u64> {
    let t = raw.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(n) = lower.strip_suffix("gb") {
        let f: f64 = n.trim().parse().ok()?;
        let mib = f * 1024.0;
        (mib > 0.0 && mib.fract() == 0.0).then_some(mib as u64)
    } else {
        t.parse::<u64>().ok().filter(|n| *n > 0)
    }
}

/// `^[a-zA-Z0-9_-]{1,255}$`: task definition families, container names, service names.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn client(message: impl Into<String>) -> ApiError {
    ApiError::client_exception(message)
}

impl TaskDefinition {
    /// `networkMode` (AWS's default is `bridge` when none was registered).
    pub(crate) fn network_mode(&self) -> &str {
        self.body
            .get("networkMode")
            .and_then(Value::as_str)
            .unwrap_or("bridge")
    }

    /// `compatibilities` (what launch types this revision can run on).
    pub(crate) fn compatibilities(&self) -> Vec<&str> {
        self.body
            .get("compatibilities")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The container definitions (with AWS defaults filled).
    pub(crate) fn container_definitions(&self) -> &[Value] {
        self.body
            .get("containerDefinitions")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// One container definition by name.
    pub(crate) fn container(&self, name: &str) -> Option<&Value> {
        self.container_definitions()
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
    }

    /// `(name, image, essential)` per container, as [`Launch::containers`] wants them.
    pub(crate) fn containers(&self) -> Vec<(String, String, bool)> {
        self.container_definitions()
            .iter()
            .map(|c| {
                (
                    c.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    c.get("image")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    c.get("essential").and_then(Value::as_bool).unwrap_or(true),
                )
            })
            .collect()
    }

    /// A [`Launch`] with what the task definition decides (cluster, task definition,
    /// containers, task-level cpu/memory); callers fill owner-specific fields
    /// (`started_by`, `group`, launch type, grace period, drain, tags, ...).
    pub(crate) fn launch_base(&self, cluster_arn: &str) -> Launch {
        let s = |k: &str| self.body.get(k).and_then(Value::as_str).map(str::to_owned);
        Launch {
            cluster_arn: cluster_arn.to_owned(),
            task_definition_arn: self.arn.clone(),
            containers: self.containers(),
            cpu: s("cpu"),
            memory: s("memory"),
            ..Launch::default()
        }
    }
}

/// How a task definition was referred to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TdRef {
    pub family: String,
    /// None = "the latest ACTIVE revision".
    pub revision: Option<u32>,
}

/// Parse `family`, `family:rev` or `arn:aws:ecs:REGION:ACCOUNT:task-definition/family[:rev]`.
pub(crate) fn parse_reference(reference: &str) -> Option<TdRef> {
    let tail = if reference.starts_with("arn:") {
        reference.split_once(":task-definition/")?.1
    } else {
        reference
    };
    let (family, revision) = match tail.split_once(':') {
        Some((f, r)) => (f, Some(r.parse::<u32>().ok().filter(|r| *r > 0)?)),
        None => (tail, None),
    };
    valid_name(family).then(|| TdRef {
        family: family.to_owned(),
        revision,
    })
}

/// Resolve a reference: `family:rev` / ARN → that revision whatever its status; `family`
/// alone → the latest ACTIVE revision (as DescribeTaskDefinition, CreateService,
/// UpdateService and RunTask do).
pub(crate) fn resolve<'a>(ecs: &'a EcsState, reference: &str) -> Option<&'a TaskDefinition> {
    let r = parse_reference(reference)?;
    let revisions = ecs.task_definitions.get(&r.family)?;
    match r.revision {
        Some(rev) => revisions.get(rev as usize - 1),
        None => revisions.iter().rev().find(|td| td.status == "ACTIVE"),
    }
}

/// Resolve for launching (CreateService, UpdateService, RunTask): it must exist and be
/// ACTIVE ("You can't use an INACTIVE task definition to run new tasks or create new
/// services", AWS docs).
pub(crate) fn resolve_active<'a>(
    ecs: &'a EcsState,
    reference: &str,
) -> Result<&'a TaskDefinition, ApiError> {
    match resolve(ecs, reference) {
        None => Err(client("TaskDefinition not found.")),
        Some(td) if td.status != "ACTIVE" => Err(client("TaskDefinition is inactive")),
        Some(td) => Ok(td),
    }
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// `requiresAttributes`: the agent capabilities AWS derives from the definition
/// (a plausible subset of what it really lists, driven by the same inputs).
fn requires_attributes(body: &Map<String, Value>, containers: &[Value]) -> Vec<Value> {
    let mut names: Vec<&str> = Vec::new();
    let mut add = |n: &'static str| {
        if !names.contains(&n) {
            names.push(n);
        }
    };
    let execution_role = body.get("executionRoleArn").is_some_and(|v| !v.is_null());
    if body.get("taskRoleArn").is_some_and(|v| !v.is_null()) {
        add("com.amazonaws.ecs.capability.task-iam-role");
    }
    if body.get("networkMode").and_then(Value::as_str) == Some("awsvpc") {
        add("ecs.capability.task-eni");
        add("com.amazonaws.ecs.capability.docker-remote-api.1.18");
    }
    for c in containers {
        let driver = c
            .get("logConfiguration")
            .and_then(|l| l.get("logDriver"))
            .and_then(Value::as_str);
        if driver == Some("awslogs") {
            add("com.amazonaws.ecs.capability.logging-driver.awslogs");
            add("com.amazonaws.ecs.capability.docker-remote-api.1.19");
            if execution_role {
                add("ecs.capability.execution-role-awslogs");
            }
        }
        if str_of(c, "image").is_some_and(|i| i.contains(".dkr.ecr.")) {
            add("com.amazonaws.ecs.capability.ecr-auth");
            if execution_role {
                add("ecs.capability.execution-role-ecr-pull");
            }
        }
        for s in c
            .get("secrets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let from = str_of(s, "valueFrom").unwrap_or_default();
            if from.contains(":secretsmanager:") {
                add("ecs.capability.secrets.asm.environment-variables");
            } else {
                add("ecs.capability.secrets.ssm.environment-variables");
            }
        }
        if c.get("healthCheck").is_some_and(|v| !v.is_null()) {
            add("ecs.capability.container-health-check");
        }
        if c.get("dependsOn")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            add("ecs.capability.container-ordering");
        }
    }
    names.into_iter().map(|n| json!({"name": n})).collect()
}

/// Validate one container definition and fill AWS's defaults into it.
fn container_with_defaults(
    c: &Value,
    network_mode: &str,
    task_memory: bool,
) -> Result<Value, ApiError> {
    let Some(m) = c.as_object() else {
        return Err(client("Container definition must be an object."));
    };
    let mut m = m.clone();
    let name = match m.get("name").and_then(Value::as_str) {
        None | Some("") => return Err(client("Container.name should not be null or empty.")),
        Some(n) if !valid_name(n) => {
            return Err(client("Container.name contains invalid characters."));
        }
        Some(n) => n.to_owned(),
    };
    if m.get("image")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(client("Container.image should not be null or empty."));
    }
    let memory = m.get("memory").and_then(Value::as_i64);
    let reservation = m.get("memoryReservation").and_then(Value::as_i64);
    if !task_memory && memory.is_none() && reservation.is_none() {
        return Err(client(format!(
            "Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be specified."
        )));
    }
    if let (Some(mem), Some(res)) = (memory, reservation)
        && res > mem
    {
        return Err(client(format!(
            "Invalid setting for container '{name}'. 'memoryReservation' must be less than or equal to 'memory'."
        )));
    }
    // Port mappings: `protocol` defaults to tcp for every network mode; in awsvpc and host
    // mode the host port is the container port (filled when absent, refused when different).
    let mut mappings = Vec::new();
    for pm in m
        .get("portMappings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut pm = pm.as_object().cloned().unwrap_or_default();
        let container_port = pm.get("containerPort").and_then(Value::as_i64);
        match container_port {
            Some(p) if (0..=65535).contains(&p) => {}
            None if pm.get("containerPortRange").is_some() => {}
            _ => {
                return Err(client(format!(
                    "Invalid 'containerPort' setting for container '{name}'."
                )));
            }
        }
        match pm.get("protocol").and_then(Value::as_str) {
            None => {
                pm.insert("protocol".into(), json!("tcp"));
            }
            Some("tcp" | "udp") => {}
            Some(other) => {
                return Err(client(format!(
                    "Invalid 'protocol' setting for container '{name}': {other}. Valid values are tcp and udp."
                )));
            }
        }
        if let (Some(cp), "awsvpc" | "host") = (container_port, network_mode) {
            match pm.get("hostPort").and_then(Value::as_i64) {
                None => {
                    pm.insert("hostPort".into(), json!(cp));
                }
                // AWS also accepts 0 ("dynamic") in the request and returns the container port.
                Some(0) => {
                    pm.insert("hostPort".into(), json!(cp));
                }
                Some(hp) if hp == cp => {}
                Some(_) => {
                    return Err(client(format!(
                        "When networkMode={network_mode}, the host ports and container ports in port mappings must match."
                    )));
                }
            }
        }
        mappings.push(Value::Object(pm));
    }
    m.insert("portMappings".into(), Value::Array(mappings));
    m.entry("essential").or_insert(json!(true));
    m.entry("cpu").or_insert(json!(0));
    for list in [
        "environment",
        "mountPoints",
        "volumesFrom",
        "systemControls",
    ] {
        m.entry(list).or_insert(json!([]));
    }
    // Members sent as explicit nulls are absent to AWS.
    m.retain(|_, v| !v.is_null());
    Ok(Value::Object(m))
}

const NETWORK_MODES: &[&str] = &["bridge", "host", "awsvpc", "none"];
const COMPATIBILITIES: &[&str] = &["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"];

/// RegisterTaskDefinition.
pub(crate) fn register(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let family = match body.get("family").and_then(Value::as_str) {
        None | Some("") => return Err(client("Family can not be blank.")),
        Some(f) if f.len() > 255 => {
            return Err(client("Family must be no longer than 255 characters."));
        }
        Some(f) if !valid_name(f) => return Err(client("Family contains invalid characters.")),
        Some(f) => f.to_owned(),
    };
    let network_mode = body.get("networkMode").and_then(Value::as_str);
    if let Some(nm) = network_mode
        && !NETWORK_MODES.contains(&nm)
    {
        return Err(client(format!(
            "Invalid networkMode '{nm}'. Valid values are bridge, host, awsvpc and none."
        )));
    }
    let requires: Vec<&str> = body
        .get("requiresCompatibilities")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(bad) = requires.iter().find(|r| !COMPATIBILITIES.contains(r)) {
        return Err(client(format!(
            "Invalid requiresCompatibilities value '{bad}'. Valid values are EC2, FARGATE, EXTERNAL and MANAGED_INSTANCES."
        )));
    }
    let fargate = requires.contains(&"FARGATE");

    // Task size: accepted as "1 vCPU" / "2 GB" and returned normalised ("1024" / "2048").
    let cpu = match body.get("cpu").and_then(Value::as_str) {
        None => None,
        Some(raw) => {
            Some(normalise_cpu(raw).ok_or_else(|| client("Invalid 'cpu' setting for task."))?)
        }
    };
    let memory = match body.get("memory").and_then(Value::as_str) {
        None => None,
        Some(raw) => Some(
            normalise_memory(raw).ok_or_else(|| client("Invalid 'memory' setting for task."))?,
        ),
    };
    if fargate {
        // Fargate only supports awsvpc (AWS quotes it with typographic quotes).
        if network_mode != Some("awsvpc") {
            return Err(client(
                "Fargate only supports network mode \u{2018}awsvpc\u{2019}.",
            ));
        }
        let Some(cpu) = cpu else {
            return Err(client(
                "Fargate requires that 'cpu' be defined at the task level.",
            ));
        };
        let Some(memory) = memory else {
            return Err(client(
                "Fargate requires that 'memory' be defined at the task level.",
            ));
        };
        if !fargate_size_valid(cpu, memory) {
            return Err(client(format!(
                "No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values."
            )));
        }
    }

    let defs = body
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if defs.is_empty() {
        return Err(client("Container list cannot be empty."));
    }
    let nm = network_mode.unwrap_or("bridge");
    let mut containers = Vec::with_capacity(defs.len());
    for c in defs {
        let c = container_with_defaults(c, nm, memory.is_some())?;
        let name = str_of(&c, "name").unwrap_or_default();
        if containers
            .iter()
            .any(|o: &Value| str_of(o, "name") == Some(name))
        {
            return Err(client(format!("Duplicate container name found: {name}")));
        }
        containers.push(c);
    }
    if !containers
        .iter()
        .any(|c| c.get("essential").and_then(Value::as_bool) == Some(true))
    {
        return Err(client(
            "Invalid setting: a task definition must have at least one essential container.",
        ));
    }

    // The stored body: the request (minus tags, which are resource tags) with defaults and
    // read-only fields.
    let mut out: Map<String, Value> = body.as_object().cloned().unwrap_or_default();
    out.remove("tags");
    out.retain(|_, v| !v.is_null());
    if let Some(cpu) = cpu {
        out.insert("cpu".into(), json!(cpu.to_string()));
    }
    if let Some(memory) = memory {
        out.insert("memory".into(), json!(memory.to_string()));
    }
    out.insert(
        "containerDefinitions".into(),
        Value::Array(containers.clone()),
    );
    out.entry("volumes").or_insert(json!([]));
    out.entry("placementConstraints").or_insert(json!([]));
    let mut compatibilities = vec!["EC2"];
    if fargate {
        compatibilities.push("FARGATE");
    }
    for extra in ["EXTERNAL", "MANAGED_INSTANCES"] {
        if requires.contains(&extra) {
            compatibilities.push(extra);
        }
    }
    out.insert("compatibilities".into(), json!(compatibilities));
    out.insert(
        "requiresAttributes".into(),
        Value::Array(requires_attributes(&out, &containers)),
    );

    let revision = world.ecs.task_definitions.get(&family).map_or(0, Vec::len) as u32 + 1;
    let arn = world.arn("ecs", &format!("task-definition/{family}:{revision}"));
    out.insert("taskDefinitionArn".into(), json!(arn));
    out.insert("family".into(), json!(family));
    out.insert("revision".into(), json!(revision));
    out.insert("status".into(), json!("ACTIVE"));
    out.insert("registeredAt".into(), json!(world.now_secs()));
    out.insert(
        "registeredBy".into(),
        json!(format!(
            "arn:aws:sts::{}:assumed-role/ecspress-sim/ecspress",
            world.account
        )),
    );

    let tags = api::tags_from(body)?;
    if !tags.is_empty() {
        world.ecs.tags.insert(arn.clone(), tags.clone());
    }
    let td = TaskDefinition {
        arn,
        family: family.clone(),
        revision,
        status: "ACTIVE".into(),
        body: out,
        deregistered_ms: None,
    };
    let rendered = Value::Object(td.body.clone());
    world
        .ecs
        .task_definitions
        .entry(family)
        .or_default()
        .push(td);
    Ok(json!({"taskDefinition": rendered, "tags": tags}))
}

fn include_tags(body: &Value) -> bool {
    body.get("include")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("TAGS")))
}

/// DescribeTaskDefinition.
pub(crate) fn describe(world: &World, body: &Value) -> Result<Value, ApiError> {
    let reference = body
        .get("taskDefinition")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let td = resolve(&world.ecs, reference)
        .ok_or_else(|| client("Unable to describe task definition."))?;
    let mut out = json!({"taskDefinition": Value::Object(td.body.clone())});
    if include_tags(body) {
        out["tags"] = json!(world.ecs.tags.get(&td.arn).cloned().unwrap_or_default());
    }
    Ok(out)
}

const TD_STATUSES: &[&str] = &["ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"];

/// ListTaskDefinitions: `familyPrefix` is an exact family (AWS docs; `web` does not match
/// `web-app`), `status` defaults to ACTIVE, `sort` ASC (family, then revision) or DESC.
pub(crate) fn list(world: &World, body: &Value) -> Result<Value, ApiError> {
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("ACTIVE");
    if !TD_STATUSES.contains(&status) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid status '{status}'. Valid values are ACTIVE, INACTIVE and DELETE_IN_PROGRESS."
        )));
    }
    let sort = body.get("sort").and_then(Value::as_str).unwrap_or("ASC");
    if !matches!(sort, "ASC" | "DESC") {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid sort '{sort}'. Valid values are ASC and DESC."
        )));
    }
    let family = body.get("familyPrefix").and_then(Value::as_str);
    let page = PageRequest::from_body("ListTaskDefinitions", body, 100)?;
    let mut arns: Vec<String> = world
        .ecs
        .task_definitions
        .iter()
        .filter(|(f, _)| family.is_none_or(|want| want == f.as_str()))
        .flat_map(|(_, revs)| revs.iter())
        .filter(|td| td.status == status)
        .map(|td| td.arn.clone())
        .collect();
    if sort == "DESC" {
        arns.reverse();
    }
    let (items, next) = page.slice(arns)?;
    Ok(api::with_next_token(
        json!({"taskDefinitionArns": items}),
        next,
    ))
}

/// ListTaskDefinitionFamilies: `familyPrefix` is a true prefix; `status` ACTIVE (families
/// with an ACTIVE revision), INACTIVE (families without one) or ALL (default).
pub(crate) fn list_families(world: &World, body: &Value) -> Result<Value, ApiError> {
    let status = body.get("status").and_then(Value::as_str).unwrap_or("ALL");
    if !matches!(status, "ACTIVE" | "INACTIVE" | "ALL") {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid status '{status}'. Valid values are ACTIVE, INACTIVE and ALL."
        )));
    }
    let prefix = body
        .get("familyPrefix")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let page = PageRequest::from_body("ListTaskDefinitionFamilies", body, 100)?;
    let families: Vec<String> = world
        .ecs
        .task_definitions
        .iter()
        .filter(|(f, _)| f.starts_with(prefix))
        .filter(|(_, revs)| {
            let active = revs.iter().any(|td| td.status == "ACTIVE");
            match status {
                "ACTIVE" => active,
                "INACTIVE" => !active,
                _ => true,
            }
        })
        .map(|(f, _)| f.clone())
        .collect();
    let (items, next) = page.slice(families)?;
    Ok(api::with_next_token(json!({"families": items}), next))
}

/// A reference that must name a revision (deregister/delete act on one revision).
fn revision_reference(world: &World, reference: &str) -> Result<(String, u32), ApiError> {
    match parse_reference(reference) {
        Some(TdRef {
            family,
            revision: Some(rev),
        }) => Ok((family, rev)),
        Some(_) => Err(client(format!(
            "The task definition '{reference}' must include a revision (family:revision or the full ARN)."
        ))),
        None => Err(client(format!(
            "The task definition '{reference}' is not a valid family:revision or ARN in {}.",
            world.region
        ))),
    }
}

fn find_mut<'a>(world: &'a mut World, family: &str, rev: u32) -> Option<&'a mut TaskDefinition> {
    world
        .ecs
        .task_definitions
        .get_mut(family)?
        .get_mut(rev as usize - 1)
}

/// DeregisterTaskDefinition: ACTIVE → INACTIVE with `deregisteredAt` (idempotent; running
/// tasks and services keep using it, new ones cannot).
pub(crate) fn deregister(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let reference = body
        .get("taskDefinition")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (family, rev) = revision_reference(world, reference)?;
    let now = world.now_ms;
    let now_secs = world.now_secs();
    let td = find_mut(world, &family, rev)
        .ok_or_else(|| client("The specified task definition does not exist."))?;
    if td.status == "ACTIVE" {
        td.status = "INACTIVE".into();
        td.deregistered_ms = Some(now);
        td.body.insert("status".into(), json!("INACTIVE"));
        td.body.insert("deregisteredAt".into(), json!(now_secs));
    }
    Ok(json!({"taskDefinition": Value::Object(td.body.clone())}))
}

/// DeleteTaskDefinitions: only INACTIVE revisions (→ DELETE_IN_PROGRESS with
/// `deleteRequestedAt`); ACTIVE or unknown ones become `failures[]` entries. At most 10.
pub(crate) fn delete(world: &mut World, body: &Value) -> Result<Value, ApiError> {
    let refs: Vec<&str> = body
        .get("taskDefinitions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if refs.is_empty() {
        return Err(ApiError::invalid_parameter(
            "taskDefinitions can not be empty.",
        ));
    }
    if refs.len() > 10 {
        return Err(ApiError::invalid_parameter(
            "taskDefinitions can have at most 10 items.",
        ));
    }
    let now_secs = world.now_secs();
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    for reference in refs {
        let (family, rev) = match revision_reference(world, reference) {
            Ok(fr) => fr,
            Err(e) => {
                failures.push(json!({"arn": reference, "reason": e.message}));
                continue;
            }
        };
        let arn = world.arn("ecs", &format!("task-definition/{family}:{rev}"));
        match find_mut(world, &family, rev) {
            None => failures.push(json!({
                "arn": arn,
                "reason": "The specified task definition does not exist. Specify a valid account, family, revision and try again.",
            })),
            Some(td) if td.status == "ACTIVE" => failures.push(json!({
                "arn": arn,
                "reason": "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
            })),
            Some(td) => {
                if td.status == "INACTIVE" {
                    td.status = "DELETE_IN_PROGRESS".into();
                    td.body.insert("status".into(), json!("DELETE_IN_PROGRESS"));
                    td.body.insert("deleteRequestedAt".into(), json!(now_secs));
                }
                deleted.push(Value::Object(td.body.clone()));
            }
        }
    }
    Ok(json!({"taskDefinitions": deleted, "failures": failures}))
}
