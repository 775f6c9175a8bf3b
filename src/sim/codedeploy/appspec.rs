//! The ECS AppSpec a `CreateDeployment` carries inline (`revisionType: AppSpecContent`).
//!
//! AWS accepts the AppSpec as YAML or JSON; YAML is a superset of JSON, so one YAML parse
//! reads both. Keys are matched case-insensitively, as CodeDeploy (and the AWS CLI's
//! `aws ecs deploy`, which rewrites `TaskDefinition` in place) do. Shape (ECS):
//!
//! ```yaml
//! version: 0.0
//! Resources:
//!   - TargetService:
//!       Type: AWS::ECS::Service
//!       Properties:
//!         TaskDefinition: arn:aws:ecs:...:task-definition/web:2
//!         LoadBalancerInfo: {ContainerName: app, ContainerPort: 80}
//!         PlatformVersion: LATEST                       # optional
//!         NetworkConfiguration:                         # optional
//!           AwsvpcConfiguration: {Subnets: [..], SecurityGroups: [..], AssignPublicIp: DISABLED}
//!         CapacityProviderStrategy: [{CapacityProvider: FARGATE, Base: 0, Weight: 1}]  # optional
//! Hooks:
//!   - BeforeInstall: LambdaFunctionName
//! ```
//!
//! Only the five Before/After events accept hooks (AWS rejects others).

use serde_json::{Map, Value, json};

/// Lifecycle events that accept a Lambda hook in an ECS AppSpec.
pub(crate) const HOOKABLE: [&str; 5] = [
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// What the simulator needs from an ECS AppSpec.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AppSpec {
    /// `Properties.TaskDefinition` as written (an ARN, normally).
    pub task_definition: String,
    pub container_name: Option<String>,
    pub container_port: Option<i64>,
    pub platform_version: Option<String>,
    /// `NetworkConfiguration`, converted to the ECS API shape (`awsvpcConfiguration {...}`).
    pub network_configuration: Option<Value>,
    /// `CapacityProviderStrategy`, converted to the ECS API shape.
    pub capacity_provider_strategy: Option<Value>,
    /// `(lifecycle event, Lambda function)` in AppSpec order.
    pub hooks: Vec<(String, String)>,
}

/// Case-insensitive member lookup (AWS matches AppSpec keys case-insensitively).
fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(v: Option<&Value>, what: &str) -> Result<Option<Value>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| scalar_string(i).map(Value::String))
            .collect::<Option<Vec<_>>>()
            .map(|l| Some(Value::Array(l)))
            .ok_or_else(|| format!("{what} must be a list of strings")),
        Some(_) => Err(format!("{what} must be a list of strings")),
    }
}

/// Parse AppSpec content (YAML or JSON). The error is the message of the
/// `InvalidRevisionException` CreateDeployment answers with.
pub(crate) fn parse(content: &str) -> Result<AppSpec, String> {
    let doc: Value = serde_yaml_ng::from_str(content)
        .map_err(|e| format!("The AppSpec file is not valid YAML or JSON: {e}"))?;
    let Value::Object(root) = doc else {
        return Err("The AppSpec file must be a mapping with version and Resources".into());
    };
    match get(&root, "version") {
        Some(v) if v.as_f64() == Some(0.0) || v.as_str() == Some("0.0") => {}
        Some(v) => return Err(format!("The AppSpec version {v} is not supported; use 0.0")),
        None => return Err("The AppSpec file is missing version".into()),
    }
    let resources = match get(&root, "resources") {
        Some(Value::Array(r)) if !r.is_empty() => r,
        _ => return Err("The AppSpec file must list one AWS::ECS::Service in Resources".into()),
    };
    if resources.len() != 1 {
        return Err(format!(
            "The AppSpec file for an ECS deployment must have exactly one resource, found {}",
            resources.len()
        ));
    }
    // Each resource is `{<any name>: {Type, Properties}}` (the docs call it TargetService).
    let resource = match &resources[0] {
        Value::Object(m) if m.len() == 1 => m.values().next(),
        _ => None,
    };
    let Some(Value::Object(resource)) = resource else {
        return Err(
            "An AppSpec resource must be a single named mapping with Type and Properties".into(),
        );
    };
    match get(resource, "type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("AWS::ECS::Service") => {}
        Some(t) => {
            return Err(format!(
                "The AppSpec resource type {t} is not AWS::ECS::Service"
            ));
        }
        None => return Err("The AppSpec resource is missing Type".into()),
    }
    let Some(Value::Object(props)) = get(resource, "properties") else {
        return Err("The AppSpec resource is missing Properties".into());
    };
    let task_definition = get(props, "taskdefinition")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("The AppSpec resource is missing Properties.TaskDefinition")?
        .to_owned();
    let (container_name, container_port) = match get(props, "loadbalancerinfo") {
        None | Some(Value::Null) => (None, None),
        Some(Value::Object(lb)) => {
            let name = get(lb, "containername")
                .and_then(Value::as_str)
                .ok_or("LoadBalancerInfo.ContainerName is required")?
                .to_owned();
            let port = get(lb, "containerport")
                .and_then(|p| {
                    p.as_i64()
                        .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
                })
                .filter(|p| (1..=65535).contains(p))
                .ok_or("LoadBalancerInfo.ContainerPort must be a port number")?;
            (Some(name), Some(port))
        }
        Some(_) => return Err("LoadBalancerInfo must be a mapping".into()),
    };
    let platform_version = get(props, "platformversion").and_then(scalar_string);
    let network_configuration = match get(props, "networkconfiguration") {
        None | Some(Value::Null) => None,
        Some(Value::Object(nc)) => {
            let Some(Value::Object(vpc)) = get(nc, "awsvpcconfiguration") else {
                return Err("NetworkConfiguration must contain AwsvpcConfiguration".into());
            };
            let mut out = Map::new();
            if let Some(s) = string_list(get(vpc, "subnets"), "Subnets")? {
                out.insert("subnets".into(), s);
            }
            if let Some(s) = string_list(get(vpc, "securitygroups"), "SecurityGroups")? {
                out.insert("securityGroups".into(), s);
            }
            if let Some(a) = get(vpc, "assignpublicip").and_then(scalar_string) {
                out.insert("assignPublicIp".into(), Value::String(a));
            }
            Some(json!({ "awsvpcConfiguration": out }))
        }
        Some(_) => return Err("NetworkConfiguration must be a mapping".into()),
    };
    let capacity_provider_strategy = match get(props, "capacityproviderstrategy") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                let Value::Object(i) = item else {
                    return Err("CapacityProviderStrategy items must be mappings".into());
                };
                let mut e = Map::new();
                let provider = get(i, "capacityprovider")
                    .and_then(Value::as_str)
                    .ok_or("CapacityProviderStrategy items need CapacityProvider")?;
                e.insert("capacityProvider".into(), json!(provider));
                if let Some(w) = get(i, "weight").and_then(Value::as_i64) {
                    e.insert("weight".into(), json!(w));
                }
                if let Some(b) = get(i, "base").and_then(Value::as_i64) {
                    e.insert("base".into(), json!(b));
                }
                out.push(Value::Object(e));
            }
            Some(Value::Array(out))
        }
        Some(_) => return Err("CapacityProviderStrategy must be a list".into()),
    };
    let hooks = parse_hooks(get(&root, "hooks"))?;
    Ok(AppSpec {
        task_definition,
        container_name,
        container_port,
        platform_version,
        network_configuration,
        capacity_provider_strategy,
        hooks,
    })
}

/// `Hooks: [{BeforeInstall: fn}, ...]` (the documented list form; a plain mapping is accepted too).
fn parse_hooks(v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(&String, &Value)> = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let mut pairs = Vec::new();
            for item in items {
                let Value::Object(m) = item else {
                    return Err(
                        "Hooks items must be mappings of lifecycle event to function".into(),
                    );
                };
                pairs.extend(m.iter());
            }
            pairs
        }
        Some(Value::Object(m)) => m.iter().collect(),
        Some(_) => return Err("Hooks must be a list".into()),
    };
    pairs
        .into_iter()
        .map(|(event, function)| {
            let name = HOOKABLE
                .iter()
                .find(|h| h.eq_ignore_ascii_case(event))
                .ok_or_else(|| {
                    format!(
                        "The lifecycle event {event} does not accept hooks in an ECS deployment (allowed: {})",
                        HOOKABLE.join(", ")
                    )
                })?;
            let function = function
                .as_str()
                .filter(|f| !f.is_empty())
                .ok_or_else(|| format!("The {name} hook must name a Lambda function"))?;
            Ok(((*name).to_owned(), function.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";

    #[test]
    fn yaml_and_json_forms_parse_to_the_same_appspec() {
        let yaml = format!(
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"{TD}\"\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 80\n        PlatformVersion: LATEST\n        NetworkConfiguration:\n          AwsvpcConfiguration:\n            Subnets: [subnet-1]\n            SecurityGroups: [sg-1]\n            AssignPublicIp: DISABLED\nHooks:\n  - BeforeInstall: check-before\n  - AfterAllowTestTraffic: smoke\n"
        );
        // Lower-case keys, port as a string, JSON syntax: AWS matches keys case-insensitively.
        let json = format!(
            r#"{{"version": "0.0", "resources": [{{"myService": {{"type": "AWS::ECS::Service", "properties": {{"taskDefinition": "{TD}", "loadBalancerInfo": {{"containerName": "app", "containerPort": "80"}}, "platformVersion": "LATEST", "networkConfiguration": {{"awsvpcConfiguration": {{"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}}}}}}}}}], "hooks": [{{"beforeinstall": "check-before"}}, {{"AfterAllowTestTraffic": "smoke"}}]}}"#
        );
        let a = parse(&yaml).unwrap();
        let b = parse(&json).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.task_definition, TD);
        assert_eq!(a.container_name.as_deref(), Some("app"));
        assert_eq!(a.container_port, Some(80));
        assert_eq!(
            a.network_configuration,
            Some(
                json!({"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}})
            )
        );
        assert_eq!(
            a.hooks,
            vec![
                ("BeforeInstall".to_owned(), "check-before".to_owned()),
                ("AfterAllowTestTraffic".to_owned(), "smoke".to_owned())
            ]
        );
    }

    #[test]
    fn invalid_appspecs_are_rejected_with_a_reason() {
        let ok_props = format!("TaskDefinition: {TD}");
        let wrap = |props: &str| {
            format!(
                "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties: {{{props}}}\n"
            )
        };
        for (content, want) in [
            ("[1, 2".to_owned(), "not valid YAML"),
            ("just a string".to_owned(), "must be a mapping"),
            ("Resources: []".to_owned(), "missing version"),
            ("version: 1.0\nResources: []".to_owned(), "not supported"),
            ("version: 0.0\nResources: []".to_owned(), "one AWS::ECS::Service"),
            (
                "version: 0.0\nResources:\n  - A: {Type: AWS::ECS::Service}\n  - B: {Type: AWS::ECS::Service}".to_owned(),
                "exactly one resource",
            ),
            (
                "version: 0.0\nResources:\n  - A: {Type: AWS::Lambda::Function, Properties: {}}".to_owned(),
                "not AWS::ECS::Service",
            ),
            (wrap("LoadBalancerInfo: {ContainerName: a, ContainerPort: 80}"), "missing Properties.TaskDefinition"),
            (wrap(&format!("{ok_props}, LoadBalancerInfo: {{ContainerPort: 80}}")), "ContainerName is required"),
            (wrap(&format!("{ok_props}, LoadBalancerInfo: {{ContainerName: a, ContainerPort: 0}}")), "port number"),
            (format!("{}Hooks:\n  - Install: fn\n", wrap(&ok_props)), "does not accept hooks"),
            (format!("{}Hooks:\n  - BeforeInstall: ''\n", wrap(&ok_props)), "must name a Lambda"),
        ] {
            let err = parse(&content).unwrap_err();
            assert!(err.contains(want), "{content:?}: {err}");
        }
        assert!(parse(&wrap(&ok_props)).is_ok());
    }
}
