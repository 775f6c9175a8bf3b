//! The ECS AppSpec a CodeDeploy deployment carries inline (`revisionType: AppSpecContent`).
//!
//! Why built here and not written by hand: for a CODE_DEPLOY service ECS refuses to change
//! the task definition, network configuration, load balancers, platform version and capacity
//! provider strategy through UpdateService; those travel in the AppSpec's
//! `Resources[0].TargetService.Properties` (ecs-platform-and-peers.md §7). So the AppSpec is
//! derived from the same service definition the user keeps in git, plus the task definition
//! deploy chose, plus the config's `appspec` (Lambda hooks, mostly; ecspresso.md §1.14).
//!
//! Merge rules (keys matched case-insensitively, as CodeDeploy and `aws ecs deploy` do):
//! - `TaskDefinition` is always the one deployed (a value in the config is replaced, with a
//!   note: that is the whole point of the AppSpec);
//! - `LoadBalancerInfo`, `PlatformVersion`, `NetworkConfiguration`, `CapacityProviderStrategy`
//!   written in the config win over the service definition (the user said so explicitly);
//! - every other key the user wrote (top level, resource, properties) is kept as written; known
//!   keys are respelled canonically so a `hooks:` and a generated `Hooks` never both appear;
//! - `Hooks` entries must name one of the five hookable events (AWS rejects others): an error
//!   here, before any change, instead of a failed CreateDeployment.
//!
//! The content sent is YAML (what ecspresso sends) in AWS's documented key order, and its
//! SHA-256 goes along as `appSpecContent.sha256`.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Lifecycle events that accept a Lambda hook in an ECS AppSpec (ecs-platform-and-peers.md §7).
pub const HOOKABLE_EVENTS: [&str; 5] = [
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// Why no AppSpec could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppSpecError {
    /// Neither the service nor the config's appspec names the container behind the load balancer.
    #[error(
        "the service has no loadBalancers (containerName/containerPort) and the config's appspec no LoadBalancerInfo: CodeDeploy blue/green needs the container that receives traffic"
    )]
    NoLoadBalancer,
    /// A hook on an event that takes none.
    #[error("appspec Hooks: {0:?} is not a lifecycle event that takes a hook (one of {events})", events = HOOKABLE_EVENTS.join(", "))]
    BadHook(String),
    /// Some part has the wrong type.
    #[error("appspec: {0}")]
    Shape(String),
}

/// An AppSpec and the notes made while building it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSpec {
    /// The AppSpec as JSON (canonical key spelling).
    pub value: Value,
    /// Things the user should know (a replaced TaskDefinition, ...).
    pub notes: Vec<String>,
}

const TOP_ORDER: [&str; 3] = ["version", "Resources", "Hooks"];
const PROPERTY_ORDER: [&str; 5] = [
    "TaskDefinition",
    "LoadBalancerInfo",
    "PlatformVersion",
    "NetworkConfiguration",
    "CapacityProviderStrategy",
];

/// The canonical spelling of `key` among `known`, else the key as written.
fn canonical(key: &str, known: &[&str]) -> String {
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(key))
        .map_or_else(|| key.to_owned(), |k| (*k).to_owned())
}

/// `m` with its known keys respelled canonically.
fn canonical_map(m: &Map<String, Value>, known: &[&str]) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| (canonical(k, known), v.clone()))
        .collect()
}

/// Capitalise the first letter: the AppSpec spelling of an ECS API member.
fn pascal(key: &str) -> String {
    let mut c = key.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// An ECS API object (camelCase members) in AppSpec spelling (PascalCase), recursively.
fn pascal_object(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (pascal(k), pascal_object(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(pascal_object).collect()),
        other => other.clone(),
    }
}

/// The properties the service definition (file or live) implies.
fn service_properties(service: &Value) -> Map<String, Value> {
    let mut p = Map::new();
    if let Some(lb) = service
        .get("loadBalancers")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
    {
        let mut info = Map::new();
        if let Some(n) = lb.get("containerName").filter(|v| !v.is_null()) {
            info.insert("ContainerName".into(), n.clone());
        }
        if let Some(port) = lb.get("containerPort").filter(|v| !v.is_null()) {
            info.insert("ContainerPort".into(), port.clone());
        }
        if !info.is_empty() {
            p.insert("LoadBalancerInfo".into(), Value::Object(info));
        }
    }
    if let Some(v) = service.get("platformVersion").filter(|v| !v.is_null()) {
        p.insert("PlatformVersion".into(), v.clone());
    }
    if let Some(v) = service
        .pointer("/networkConfiguration/awsvpcConfiguration")
        .filter(|v| v.is_object())
    {
        p.insert(
            "NetworkConfiguration".into(),
            json!({"AwsvpcConfiguration": pascal_object(v)}),
        );
    }
    if let Some(v) = service
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        p.insert(
            "CapacityProviderStrategy".into(),
            pascal_object(&Value::Array(v.clone())),
        );
    }
    p
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, AppSpecError> {
    v.as_object()
        .ok_or_else(|| AppSpecError::Shape(format!("{what} must be a mapping, found {v}")))
}

/// A resource: its name and body.
type Resource = (String, Map<String, Value>);

/// The user's single resource (name, body), if they wrote one.
fn user_resource(user: &Map<String, Value>) -> Result<Option<Resource>, AppSpecError> {
    let Some(resources) = user.get("Resources") else {
        return Ok(None);
    };
    let list = resources
        .as_array()
        .ok_or_else(|| AppSpecError::Shape("Resources must be a list".into()))?;
    match list.as_slice() {
        [] => Ok(None),
        [one] => {
            let m = object(one, "a Resources entry")?;
            let mut it = m.iter();
            match (it.next(), it.next()) {
                (Some((name, body)), None) => {
                    Ok(Some((name.clone(), object(body, "a resource")?.clone())))
                }
                _ => Err(AppSpecError::Shape(
                    "a Resources entry must have exactly one key (the resource name)".into(),
                )),
            }
        }
        _ => Err(AppSpecError::Shape(
            "an ECS AppSpec has exactly one resource (the service)".into(),
        )),
    }
}

/// Build the AppSpec for deploying `task_definition` to the service described by `service`
/// (the service definition file, else the live service), with the config's `appspec`.
pub fn build(
    task_definition: &str,
    service: &Value,
    user: Option<&Value>,
) -> Result<AppSpec, AppSpecError> {
    let mut notes = Vec::new();
    let user = match user {
        Some(u) if !u.is_null() => canonical_map(object(u, "the config's appspec")?, &TOP_ORDER),
        _ => Map::new(),
    };
    let (name, resource) =
        user_resource(&user)?.unwrap_or_else(|| ("TargetService".into(), Map::new()));
    let mut resource = canonical_map(&resource, &["Type", "Properties"]);
    let user_props = match resource.get("Properties") {
        Some(p) => canonical_map(object(p, "Properties")?, &PROPERTY_ORDER),
        None => Map::new(),
    };
    if let Some(old) = user_props.get("TaskDefinition")
        && old.as_str() != Some(task_definition)
    {
        notes.push(format!(
            "the config's appspec TaskDefinition {old} is replaced by the task definition deployed"
        ));
    }
    let mut props = service_properties(service);
    for (k, v) in user_props {
        props.insert(k, v);
    }
    props.insert("TaskDefinition".into(), json!(task_definition));
    if !props.contains_key("LoadBalancerInfo") {
        return Err(AppSpecError::NoLoadBalancer);
    }
    resource
        .entry("Type")
        .or_insert_with(|| json!("AWS::ECS::Service"));
    resource.insert("Properties".into(), Value::Object(props));

    let mut out = user;
    out.entry("version").or_insert_with(|| json!(0.0));
    out.insert(
        "Resources".into(),
        json!([{ name: Value::Object(resource) }]),
    );
    if let Some(hooks) = out.get("Hooks") {
        let hooks = hooks
            .as_array()
            .ok_or_else(|| AppSpecError::Shape("Hooks must be a list".into()))?;
        let mut fixed = Vec::new();
        for h in hooks {
            let m = object(h, "a Hooks entry")?;
            let mut entry = Map::new();
            for (k, v) in m {
                let event = HOOKABLE_EVENTS
                    .iter()
                    .find(|e| e.eq_ignore_ascii_case(k))
                    .ok_or_else(|| AppSpecError::BadHook(k.clone()))?;
                entry.insert((*event).to_owned(), v.clone());
            }
            fixed.push(Value::Object(entry));
        }
        out.insert("Hooks".into(), Value::Array(fixed));
    }
    Ok(AppSpec {
        value: Value::Object(out),
        notes,
    })
}

/// Whether `new` asks for nothing `old` does not already have: every key of `new` objects is
/// in `old` with a covered value, lists match in length (lists of scalars in any order: subnet
/// and security group order means nothing), scalars are equal. What a file leaves out (a
/// `PlatformVersion` or `AssignPublicIp` AWS fills in) is therefore no change.
pub fn covers(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => n
            .iter()
            .all(|(k, nv)| o.get(k).is_some_and(|ov| covers(ov, nv))),
        (Value::Array(o), Value::Array(n)) => {
            if o.len() != n.len() {
                return false;
            }
            let scalar = |v: &Value| !v.is_object() && !v.is_array();
            if o.iter().chain(n.iter()).all(scalar) {
                let key = |v: &Value| v.to_string();
                let mut a: Vec<String> = o.iter().map(key).collect();
                let mut b: Vec<String> = n.iter().map(key).collect();
                a.sort();
                b.sort();
                a == b
            } else {
                o.iter().zip(n).all(|(ov, nv)| covers(ov, nv))
            }
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (o, n) => o == n,
    }
}

/// The rank of `key` in `order` (unknown keys after, alphabetically).
fn ordered(m: &Map<String, Value>, order: &[&str]) -> Vec<(String, Value)> {
    let mut v: Vec<(String, Value)> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort_by_key(|(k, _)| {
        (
            order.iter().position(|o| o == k).unwrap_or(order.len()),
            k.clone(),
        )
    });
    v
}

fn yaml_value(v: &Value, depth: usize) -> serde_yaml_ng::Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Value::Null => Y::Null,
        Value::Bool(b) => Y::Bool(*b),
        Value::Number(n) => serde_yaml_ng::to_value(n).unwrap_or(Y::Null),
        Value::String(s) => Y::String(s.clone()),
        Value::Array(a) => Y::Sequence(a.iter().map(|x| yaml_value(x, depth + 1)).collect()),
        Value::Object(m) => {
            let order: &[&str] = if depth == 0 {
                &TOP_ORDER
            } else if m.contains_key("TaskDefinition") {
                &PROPERTY_ORDER
            } else {
                &["Type", "Properties"]
            };
            let mut out = serde_yaml_ng::Mapping::new();
            for (k, v) in ordered(m, order) {
                out.insert(Y::String(k), yaml_value(&v, depth + 1));
            }
            Y::Mapping(out)
        }
    }
}

/// The AppSpec as YAML, keys in AWS's documented order (`version`, `Resources`, `Hooks`;
/// `TaskDefinition` first among the properties).
pub fn to_yaml(appspec: &Value) -> String {
    serde_yaml_ng::to_string(&yaml_value(appspec, 0)).unwrap_or_default()
}

/// Lower-case hex SHA-256 of `content` (CreateDeployment `appSpecContent.sha256`).
pub fn sha256_hex(content: &str) -> String {
    Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The CreateDeployment `revision` for `content`.
pub fn revision(content: &str) -> Value {
    json!({
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": content, "sha256": sha256_hex(content)},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";

    fn service() -> Value {
        json!({
            "launchType": "FARGATE",
            "platformVersion": "1.4.0",
            "loadBalancers": [
                {"targetGroupArn": "tg-blue", "containerName": "app", "containerPort": 80},
                {"targetGroupArn": "tg-other", "containerName": "side", "containerPort": 9000},
            ],
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"
            }},
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
        })
    }

    fn props(a: &AppSpec) -> Value {
        a.value["Resources"][0]["TargetService"]["Properties"].clone()
    }

    #[test]
    fn built_from_the_service_definition() {
        let a = build(TD, &service(), None).unwrap();
        assert_eq!(
            a.value,
            json!({
                "version": 0.0,
                "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
                    "TaskDefinition": TD,
                    "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 80},
                    "PlatformVersion": "1.4.0",
                    "NetworkConfiguration": {"AwsvpcConfiguration": {
                        "Subnets": ["subnet-1", "subnet-2"], "SecurityGroups": ["sg-1"], "AssignPublicIp": "DISABLED"
                    }},
                    "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1, "Base": 0}],
                }}}],
            })
        );
        assert!(a.notes.is_empty());
    }

    #[test]
    fn user_appspec_merge_table() {
        // (config appspec, check on the result)
        type Check = fn(&AppSpec);
        let cases: Vec<(Value, Check)> = vec![
            // Hooks kept, keys respelled; case-insensitive top-level keys.
            (
                json!({"hooks": [{"beforeinstall": "fn-a"}, {"AfterAllowTestTraffic": "fn-b"}]}),
                |a| {
                    assert_eq!(
                        a.value["Hooks"],
                        json!([{"BeforeInstall": "fn-a"}, {"AfterAllowTestTraffic": "fn-b"}])
                    );
                    assert!(a.value.get("hooks").is_none());
                },
            ),
            // The user's LoadBalancerInfo and PlatformVersion win; TaskDefinition is replaced.
            (
                json!({"Resources": [{"Web": {"properties": {
                    "taskdefinition": "web:1",
                    "loadBalancerInfo": {"ContainerName": "proxy", "ContainerPort": 8080},
                    "PlatformVersion": "LATEST",
                }}}]}),
                |a| {
                    let p = &a.value["Resources"][0]["Web"]["Properties"];
                    assert_eq!(p["TaskDefinition"], TD);
                    assert_eq!(
                        p["LoadBalancerInfo"],
                        json!({"ContainerName": "proxy", "ContainerPort": 8080})
                    );
                    assert_eq!(p["PlatformVersion"], "LATEST");
                    assert_eq!(
                        p["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
                        json!(["subnet-1", "subnet-2"])
                    );
                    assert_eq!(a.value["Resources"][0]["Web"]["Type"], "AWS::ECS::Service");
                    assert_eq!(a.notes.len(), 1, "{:?}", a.notes);
                    assert!(a.notes[0].contains("web:1"));
                },
            ),
            // Unknown keys are kept, never dropped; the user's version wins.
            (
                json!({"version": 1, "Extra": {"x": 1}, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Note": "n", "Properties": {"Custom": true}}}]}),
                |a| {
                    assert_eq!(a.value["version"], 1);
                    assert_eq!(a.value["Extra"], json!({"x": 1}));
                    assert_eq!(a.value["Resources"][0]["TargetService"]["Note"], "n");
                    assert_eq!(props(a)["Custom"], true);
                },
            ),
        ];
        for (user, check) in cases {
            let a = build(TD, &service(), Some(&user)).unwrap_or_else(|e| panic!("{user}: {e}"));
            check(&a);
        }
    }

    #[test]
    fn refusals() {
        let no_lb = json!({"launchType": "FARGATE"});
        for (svc, user, want) in [
            (no_lb.clone(), None, AppSpecError::NoLoadBalancer),
            (
                service(),
                Some(json!({"Hooks": [{"Install": "fn"}]})),
                AppSpecError::BadHook("Install".into()),
            ),
            (
                service(),
                Some(json!({"Resources": [{"A": {}}, {"B": {}}]})),
                AppSpecError::Shape("an ECS AppSpec has exactly one resource (the service)".into()),
            ),
            (
                service(),
                Some(json!("text")),
                AppSpecError::Shape(
                    "the config's appspec must be a mapping, found \"text\"".into(),
                ),
            ),
        ] {
            assert_eq!(build(TD, &svc, user.as_ref()).unwrap_err(), want);
        }
        // The user may supply the load balancer the service lacks.
        let user = json!({"Resources": [{"TargetService": {"Properties": {"LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 80}}}}]});
        assert!(build(TD, &no_lb, Some(&user)).is_ok());
    }

    #[test]
    fn covers_table() {
        let net = |subnets: Value, extra: Value| {
            let mut a = json!({"Subnets": subnets, "SecurityGroups": ["sg-1"]});
            if let (Some(m), Value::Object(e)) = (a.as_object_mut(), extra) {
                m.extend(e);
            }
            json!({"NetworkConfiguration": {"AwsvpcConfiguration": a}})
        };
        for (old, new, want) in [
            // A key AWS filled in that the file leaves out: covered.
            (
                net(json!(["a", "b"]), json!({"AssignPublicIp": "DISABLED"})),
                net(json!(["a", "b"]), json!({})),
                true,
            ),
            // Subnet order means nothing.
            (
                net(json!(["a", "b"]), json!({})),
                net(json!(["b", "a"]), json!({})),
                true,
            ),
            // A different or an extra subnet is a change.
            (
                net(json!(["a", "b"]), json!({})),
                net(json!(["a", "c"]), json!({})),
                false,
            ),
            (
                net(json!(["a"]), json!({})),
                net(json!(["a", "b"]), json!({})),
                false,
            ),
            // The file sets what live lacks.
            (json!({}), json!({"PlatformVersion": "1.4.0"}), false),
            (
                json!({"PlatformVersion": "LATEST"}),
                json!({"PlatformVersion": "1.4.0"}),
                false,
            ),
            (
                json!({"LoadBalancerInfo": {"ContainerPort": 80}}),
                json!({"LoadBalancerInfo": {"ContainerPort": 80.0}}),
                true,
            ),
            (
                json!({"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1, "Base": 0}]}),
                json!({"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}]}),
                true,
            ),
        ] {
            assert_eq!(covers(&old, &new), want, "{old} ⊇ {new}");
        }
    }

    #[test]
    fn yaml_in_documented_order_and_sha256() {
        let a = build(
            TD,
            &service(),
            Some(&json!({"Hooks": [{"BeforeInstall": "fn-a"}]})),
        )
        .unwrap();
        let y = to_yaml(&a.value);
        assert_eq!(
            y,
            format!(
                "version: 0.0\nResources:\n- TargetService:\n    Type: AWS::ECS::Service\n    Properties:\n      TaskDefinition: {TD}\n      LoadBalancerInfo:\n        ContainerName: app\n        ContainerPort: 80\n      PlatformVersion: 1.4.0\n      NetworkConfiguration:\n        AwsvpcConfiguration:\n          AssignPublicIp: DISABLED\n          SecurityGroups:\n          - sg-1\n          Subnets:\n          - subnet-1\n          - subnet-2\n      CapacityProviderStrategy:\n      - Base: 0\n        CapacityProvider: FARGATE_SPOT\n        Weight: 1\nHooks:\n- BeforeInstall: fn-a\n"
            )
        );
        // YAML reads back to the same document.
        let back: Value = serde_yaml_ng::from_str(&y).unwrap();
        assert_eq!(back, a.value);
        // echo -n abc | sha256sum
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            revision("abc")["appSpecContent"]["sha256"],
            sha256_hex("abc")
        );
    }
}
