//! `ecspress init`: shape live DescribeServices / DescribeTaskDefinition output into files a
//! deploy can take back. Pure.
//!
//! Read-only members (the same lists `deploy` strips: [`TASK_DEFINITION_READ_ONLY`],
//! [`SERVICE_READ_ONLY`]) and empty values (`null`, `[]`, `{}`: AWS treats them as absent,
//! ecspresso.md §1.18) are dropped; keys come out sorted (serde_json's map), so re-running
//! init on an unchanged service writes the same bytes. What remains is what `diff` compares,
//! so `diff --exit-code` right after init is 0.
//!
//! Values equal to what AWS fills in (`essential: true`, `protocol: "tcp"`, container `cpu: 0`,
//! health check `interval/timeout/retries` 30/5/3, `platformVersion: "LATEST"`, the
//! deployment-configuration defaults, ...) are dropped by [`strip_defaults`]: rather than keep a
//! second list of defaults that could drift from [`crate::model::normalize`], it removes each
//! scalar whose removal leaves the normalised form unchanged — so the file is, by construction,
//! what `diff` considers equal to the live definition.

use serde_json::{Map, Value};

use crate::model::normalize::{NormalizeOptions, service_for_diff, task_definition_for_diff};
use crate::model::revision::{SERVICE_READ_ONLY, TASK_DEFINITION_READ_ONLY};

/// Top-level service members init keeps even when they equal the value `diff` assumes:
/// `availabilityZoneRebalancing` defaults to `DISABLED` on UpdateService but to `ENABLED` on
/// CreateService (AWS API reference), so dropping it would change a service created from the
/// file; the launch members decide whether `diff` compares the launch at all.
const SERVICE_KEEP: &[&str] = &[
    "availabilityZoneRebalancing",
    "launchType",
    "capacityProviderStrategy",
    "desiredCount",
];

/// Remove every scalar member (at any depth, inside objects and list items) whose removal
/// leaves `normalize(doc)` unchanged, then the objects and lists that became empty. Members
/// named in `keep` at the top level are left alone. List items themselves are never removed.
pub fn strip_defaults(doc: &Value, normalize: &dyn Fn(&Value) -> Value, keep: &[&str]) -> Value {
    let target = normalize(doc);
    let mut out = doc.clone();
    let mut paths = Vec::new();
    scalar_paths(doc, &mut Vec::new(), &mut paths);
    for path in paths {
        if path.len() == 1 && matches!(&path[0], Step::Key(k) if keep.contains(&k.as_str())) {
            continue;
        }
        let mut candidate = out.clone();
        if remove_at(&mut candidate, &path) && normalize(&candidate) == target {
            out = candidate;
        }
    }
    prune(&out).unwrap_or(Value::Object(Map::new()))
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn scalar_paths(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                at.push(Step::Key(k.clone()));
                scalar_paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                // Scalars in lists (subnets, command words) are data, not defaults.
                if child.is_object() {
                    at.push(Step::Index(i));
                    scalar_paths(child, at, out);
                    at.pop();
                }
            }
        }
        _ => out.push(at.clone()),
    }
}

/// Remove the object member at `path` (its last step must be a key).
fn remove_at(v: &mut Value, path: &[Step]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut cur = v;
    for step in parents {
        let next = match step {
            Step::Key(k) => cur.get_mut(k.as_str()),
            Step::Index(i) => cur.get_mut(*i),
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    match (last, cur.as_object_mut()) {
        (Step::Key(k), Some(m)) => m.remove(k).is_some(),
        _ => false,
    }
}

/// Drop `null`, `[]` and `{}` members recursively.
fn prune(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        Value::Array(a) => Some(Value::Array(a.iter().filter_map(prune).collect())),
        Value::Object(o) => {
            let m: Map<String, Value> = o
                .iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k.clone(), v)))
                .collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        other => Some(other.clone()),
    }
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut m = v.as_object().cloned().unwrap_or_default();
    for k in keys {
        m.remove(*k);
    }
    prune(&Value::Object(m)).unwrap_or(Value::Object(Map::new()))
}

/// The task definition file from DescribeTaskDefinition output (with `tags` inside).
pub fn task_definition_file(live: &Value) -> Value {
    let opts = NormalizeOptions::default();
    strip_defaults(
        &without(live, TASK_DEFINITION_READ_ONLY),
        &|v| task_definition_for_diff(v, &opts),
        &[],
    )
}

/// The service definition file from DescribeServices output, AWS defaults dropped (e.g.
/// `propagateTags: NONE`, `enableECSManagedTags: false`). Defaults are judged with every
/// member compared and target groups kept (as if the controller were ECS): a CodeDeploy
/// service's file must still name its target group for CreateService.
pub fn service_file(live: &Value) -> Value {
    let opts = NormalizeOptions::default();
    strip_defaults(
        &without(live, SERVICE_READ_ONLY),
        &|v| service_for_diff(v, &opts),
        SERVICE_KEEP,
    )
}

/// What `ecspress.yml` names.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile<'a> {
    /// `region` (written only when given).
    pub region: Option<&'a str>,
    /// `cluster`.
    pub cluster: &'a str,
    /// `service` and its definition file (absent: task definition only).
    pub service: Option<(&'a str, &'a str)>,
    /// `task_definition` file.
    pub task_definition: &'a str,
    /// `codedeploy.application_name` / `deployment_group_name` for a CODE_DEPLOY service
    /// (ecspresso.md §1.18 step 6), so deploys skip the search.
    pub codedeploy: Option<(&'a str, &'a str)>,
}

/// `ecspress.yml` text. Values go through the YAML serializer, so names that YAML would read
/// as something else (`yes`, `1.0`, `a: b`) come out quoted.
pub fn config_yaml(c: &ConfigFile<'_>) -> String {
    let scalar = |s: &str| {
        serde_yaml_ng::to_string(s)
            .map(|t| t.trim_end().to_owned())
            .unwrap_or_else(|_| format!("{s:?}"))
    };
    let mut out = String::from("# Written by `ecspress init`.\n");
    if let Some(r) = c.region {
        out.push_str(&format!("region: {}\n", scalar(r)));
    }
    out.push_str(&format!("cluster: {}\n", scalar(c.cluster)));
    if let Some((s, f)) = c.service {
        out.push_str(&format!(
            "service: {}\nservice_definition: {}\n",
            scalar(s),
            scalar(f)
        ));
    }
    out.push_str(&format!("task_definition: {}\n", scalar(c.task_definition)));
    if let Some((app, group)) = c.codedeploy {
        out.push_str(&format!(
            "codedeploy:\n  application_name: {}\n  deployment_group_name: {}\n",
            scalar(app),
            scalar(group)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn files_drop_read_only_empty_and_default_members() {
        let td = json!({"taskDefinitionArn": "arn:...:web:3", "revision": 3, "status": "ACTIVE",
            "family": "web", "volumes": [], "containerDefinitions": [{"name": "app",
            "environment": [], "mountPoints": [], "image": "nginx"}], "tags": []});
        assert_eq!(
            task_definition_file(&td),
            json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx"}]})
        );
        let svc = json!({"serviceArn": "x", "serviceName": "web", "status": "ACTIVE",
            "desiredCount": 2, "deployments": [{}], "events": [], "propagateTags": "NONE",
            "enableECSManagedTags": false, "taskDefinition": "web:3", "launchType": "FARGATE",
            "loadBalancers": []});
        assert_eq!(
            service_file(&svc),
            json!({"desiredCount": 2, "launchType": "FARGATE"})
        );
        let svc = json!({"propagateTags": "SERVICE", "enableECSManagedTags": true});
        assert_eq!(service_file(&svc), svc, "non-default values stay");
    }

    #[test]
    fn config_names_the_files() {
        let c = ConfigFile {
            cluster: "prod",
            service: Some(("web", "ecs-service-def.json")),
            task_definition: "ecs-task-def.json",
            ..ConfigFile::default()
        };
        assert_eq!(
            config_yaml(&c),
            "# Written by `ecspress init`.\ncluster: prod\nservice: web\nservice_definition: ecs-service-def.json\ntask_definition: ecs-task-def.json\n"
        );
        let c = ConfigFile {
            region: Some("eu-west-1"),
            cluster: "true",
            task_definition: "td.yml",
            codedeploy: Some(("AppECS-prod-web", "DgpECS-prod-web")),
            ..ConfigFile::default()
        };
        let text = config_yaml(&c);
        assert!(!text.contains("service:"), "{text}");
        assert!(
            text.contains("cluster: 'true'\n"),
            "YAML booleans quoted: {text}"
        );
        assert!(
            text.ends_with(
                "codedeploy:\n  application_name: AppECS-prod-web\n  deployment_group_name: DgpECS-prod-web\n"
            ),
            "{text}"
        );
        // What init writes parses back as the config it means.
        let parsed: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("yaml");
        assert_eq!(parsed["cluster"].as_str(), Some("true"));
        assert_eq!(
            parsed["codedeploy"]["deployment_group_name"].as_str(),
            Some("DgpECS-prod-web")
        );
    }

    /// A live task definition and service with every default AWS fills in: the files keep
    /// only what the user chose, and normalise exactly like the live objects.
    #[test]
    fn defaults_aws_fills_in_are_dropped_and_diff_stays_equal() {
        let td = json!({"family": "web", "networkMode": "awsvpc", "cpu": "256", "memory": "512",
            "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [{"name": "app", "image": "nginx", "essential": true,
                "cpu": 0, "portMappings": [{"containerPort": 80, "hostPort": 80,
                "protocol": "tcp", "name": "http"}],
                "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5,
                    "retries": 3},
                "environment": [{"name": "A", "value": "1"}]},
                {"name": "side", "image": "busybox", "essential": false, "cpu": 10}]});
        let file = task_definition_file(&td);
        let c = &file["containerDefinitions"];
        assert!(c[0].get("essential").is_none(), "{file}");
        assert!(c[0].get("cpu").is_none(), "{file}");
        assert!(c[0]["portMappings"][0].get("protocol").is_none(), "{file}");
        assert_eq!(c[0]["portMappings"][0]["name"], "http");
        assert!(c[0]["healthCheck"].get("interval").is_none(), "{file}");
        assert_eq!(c[0]["healthCheck"]["command"], json!(["CMD", "true"]));
        assert_eq!(c[0]["environment"], json!([{"name": "A", "value": "1"}]));
        assert_eq!(c[1]["essential"], false, "non-default kept");
        assert_eq!(c[1]["cpu"], 10);
        assert_eq!(file["cpu"], "256");
        let opts = NormalizeOptions::default();
        assert_eq!(
            task_definition_for_diff(&file, &opts),
            task_definition_for_diff(&td, &opts)
        );

        let svc = json!({"serviceName": "web", "desiredCount": 2, "launchType": "FARGATE",
            "platformVersion": "LATEST", "schedulingStrategy": "REPLICA",
            "availabilityZoneRebalancing": "DISABLED", "enableExecuteCommand": false,
            "deploymentController": {"type": "ECS"},
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": true, "rollback": true},
                "strategy": "ROLLING"},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"],
                "assignPublicIp": "DISABLED"}},
            "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "app",
                "containerPort": 80}]});
        let file = service_file(&svc);
        for gone in [
            "platformVersion",
            "schedulingStrategy",
            "enableExecuteCommand",
            "deploymentController",
        ] {
            assert!(file.get(gone).is_none(), "{gone} kept: {file}");
        }
        assert_eq!(
            file["availabilityZoneRebalancing"], "DISABLED",
            "kept: Create defaults to ENABLED"
        );
        assert_eq!(file["desiredCount"], 2);
        assert_eq!(
            file["deploymentConfiguration"],
            json!({"deploymentCircuitBreaker": {"enable": true, "rollback": true}})
        );
        assert_eq!(
            file["networkConfiguration"],
            json!({"awsvpcConfiguration": {"subnets": ["subnet-1"]}})
        );
        assert_eq!(file["loadBalancers"][0]["targetGroupArn"], "arn:tg");
        assert_eq!(
            service_for_diff(&file, &opts),
            service_for_diff(&svc, &opts)
        );

        // A CODE_DEPLOY service keeps its target group (CreateService needs it) and controller.
        let mut cd = svc.clone();
        cd["deploymentController"] = json!({"type": "CODE_DEPLOY"});
        let file = service_file(&cd);
        assert_eq!(file["deploymentController"]["type"], "CODE_DEPLOY");
        assert_eq!(file["loadBalancers"][0]["targetGroupArn"], "arn:tg");
    }

    #[test]
    fn strip_defaults_keeps_named_members_and_list_scalars() {
        // A normaliser that fills `a: 1` and drops everything named `noise`.
        let normalize = |v: &Value| {
            let mut v = v.clone();
            if let Some(m) = v.as_object_mut() {
                m.entry("a").or_insert(json!(1));
                m.remove("noise");
            }
            v
        };
        let doc = json!({"a": 1, "b": 1, "noise": "x", "list": [1, 1]});
        assert_eq!(
            strip_defaults(&doc, &normalize, &[]),
            json!({"b": 1, "list": [1, 1]})
        );
        assert_eq!(
            strip_defaults(&doc, &normalize, &["a"]),
            json!({"a": 1, "b": 1, "list": [1, 1]})
        );
    }
}
