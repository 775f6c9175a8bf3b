//! `ecspress init`: shape live DescribeServices / DescribeTaskDefinition output into files a
//! deploy can take back. Pure.
//!
//! Read-only members (the same lists `deploy` strips: [`TASK_DEFINITION_READ_ONLY`],
//! [`SERVICE_READ_ONLY`]) and empty values (`null`, `[]`, `{}`: AWS treats them as absent,
//! ecspresso.md §1.18) are dropped; keys come out sorted (serde_json's map), so re-running
//! init on an unchanged service writes the same bytes. What remains is what `diff` compares,
//! so `diff --exit-code` right after init is 0.

use serde_json::{Map, Value};

use crate::model::revision::{SERVICE_READ_ONLY, TASK_DEFINITION_READ_ONLY};

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
    without(live, TASK_DEFINITION_READ_ONLY)
}

/// The service definition file from DescribeServices output. `propagateTags: NONE` and
/// `enableECSManagedTags: false` are AWS defaults and are dropped.
pub fn service_file(live: &Value) -> Value {
    let mut v = without(live, SERVICE_READ_ONLY);
    if let Some(m) = v.as_object_mut() {
        if m.get("propagateTags").and_then(Value::as_str) == Some("NONE") {
            m.remove("propagateTags");
        }
        if m.get("enableECSManagedTags") == Some(&Value::Bool(false)) {
            m.remove("enableECSManagedTags");
        }
    }
    v
}

/// `ecspress.yml` for a service (`service` and its file) or a task definition only.
pub fn config_yaml(
    region: Option<&str>,
    cluster: &str,
    service: Option<&str>,
    task_definition_file: &str,
    service_definition_file: Option<&str>,
) -> String {
    let mut out = String::from("# Written by `ecspress init`.\n");
    if let Some(r) = region {
        out.push_str(&format!("region: {r}\n"));
    }
    out.push_str(&format!("cluster: {cluster}\n"));
    if let (Some(s), Some(f)) = (service, service_definition_file) {
        out.push_str(&format!("service: {s}\nservice_definition: {f}\n"));
    }
    out.push_str(&format!("task_definition: {task_definition_file}\n"));
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
        assert_eq!(
            config_yaml(
                None,
                "prod",
                Some("web"),
                "ecs-task-def.json",
                Some("ecs-service-def.json")
            ),
            "# Written by `ecspress init`.\ncluster: prod\nservice: web\nservice_definition: ecs-service-def.json\ntask_definition: ecs-task-def.json\n"
        );
        assert!(!config_yaml(Some("eu-west-1"), "prod", None, "td.json", None).contains("service"));
    }
}
