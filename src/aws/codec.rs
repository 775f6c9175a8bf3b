//! JSON (AWS API/CLI camelCase shape) ↔ typed SDK values, through the SDK's own schema codec.
//!
//! Why: aws-sdk-ecs carries a Smithy schema for every shape, and `aws_smithy_json`'s
//! `JsonCodec` reads and writes the awsJson1_1 member names — exactly the names users write in
//! their files and see in `aws ecs describe-*`. No hand-written mirror structs to keep in sync.
//!
//! Its measured pitfalls (../shared/reference/rust-deps.md §4) are handled here:
//! 1. unknown keys are skipped silently → [`unknown_fields`] round-trips a document and reports
//!    every key that did not survive (by path), so nothing the user wrote is dropped unseen;
//! 2. type errors carry no path → callers pre-parse with serde_json (rendered files already
//!    are), and [`parse`] names the shape that failed;
//! 3. missing required fields default to empty → callers validate (`family`,
//!    `containerDefinitions`);
//! 4. the codec is young (aws-smithy-schema 1.x, aws-smithy-json 0.x) → all use is in this one
//!    module, pinned by round-trip tests.

use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::{SerializableStruct, ShapeDeserializer, ShapeSerializer};
use serde_json::Value;

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;

/// awsJson1_1 settings: member names (ignore `@jsonName`), epoch-seconds timestamps.
fn codec() -> JsonCodec {
    JsonCodec::new(JsonCodecSettings::builder().use_json_name(false).build())
}

/// A JSON document could not be read as the named AWS shape.
#[derive(Debug, thiserror::Error)]
#[error("not a valid {shape}: {message}")]
pub struct CodecError {
    /// The AWS shape, e.g. `RegisterTaskDefinitionInput`.
    pub shape: &'static str,
    /// The codec's message (it has no path; see the module docs).
    pub message: String,
}

/// Parse JSON into an SDK shape with its generated `deserialize`.
pub fn parse<T>(
    shape: &'static str,
    value: &Value,
    deserialize: fn(&mut dyn ShapeDeserializer) -> Result<T, aws_smithy_schema::serde::SerdeError>,
) -> Result<T, CodecError> {
    let bytes = serde_json::to_vec(value).map_err(|e| CodecError {
        shape,
        message: e.to_string(),
    })?;
    let mut de = codec().create_deserializer(&bytes);
    deserialize(&mut de).map_err(|e| CodecError {
        shape,
        message: e.to_string(),
    })
}

/// Serialize an SDK value to API-shaped JSON.
pub fn to_json<T: SerializableStruct>(value: &T) -> Value {
    let mut ser = codec().create_serializer();
    if ser.write_struct(value.schema(), value).is_err() {
        return Value::Null;
    }
    serde_json::from_slice(&ser.finish()).unwrap_or(Value::Null)
}

/// `RegisterTaskDefinitionInput` from a task definition file (a `{"taskDefinition": {...}}`
/// wrapper and read-only fields are accepted: the caller strips them).
pub fn register_task_definition_input(
    v: &Value,
) -> Result<RegisterTaskDefinitionInput, CodecError> {
    parse("RegisterTaskDefinitionInput", v, |d| {
        RegisterTaskDefinitionInput::deserialize(d)
    })
}

/// `CreateServiceInput` from a service definition (+ `cluster`, `serviceName`, `taskDefinition`).
pub fn create_service_input(v: &Value) -> Result<CreateServiceInput, CodecError> {
    parse("CreateServiceInput", v, |d| {
        CreateServiceInput::deserialize(d)
    })
}

/// `UpdateServiceInput` from an update document (+ `cluster`, `service`).
pub fn update_service_input(v: &Value) -> Result<UpdateServiceInput, CodecError> {
    parse("UpdateServiceInput", v, |d| {
        UpdateServiceInput::deserialize(d)
    })
}

/// `RunTaskInput` from a RunTask document (`ecspress run`).
pub fn run_task_input(v: &Value) -> Result<RunTaskInput, CodecError> {
    parse("RunTaskInput", v, |d| RunTaskInput::deserialize(d))
}

/// Fields of a RunTask document the SDK model does not know (e.g. a misspelt
/// `overrides.containerOverrides[0].comand`), by path. A document that does not even parse
/// reports its codec error instead.
pub fn unknown_run_task_fields(v: &Value) -> Result<Vec<String>, CodecError> {
    let input = run_task_input(v)?;
    Ok(unknown_fields(v, &to_json(&input), &[]))
}

/// Read-only keys allowed in files (users paste `describe-*` output); one list for the whole
/// crate, kept with the other pure rules.
pub use crate::model::revision::{SERVICE_READ_ONLY, TASK_DEFINITION_READ_ONLY};

/// Keys (as paths like `containerDefinitions[0].futureField`) present in `original` but missing
/// after a parse → serialize round trip through `shape`: fields the compiled SDK does not know.
pub fn unknown_fields(original: &Value, round_tripped: &Value, ignore_top: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    walk(original, round_tripped, "", &mut out, ignore_top, true);
    out
}

fn walk(a: &Value, b: &Value, path: &str, out: &mut Vec<String>, ignore_top: &[&str], top: bool) {
    match (a, b) {
        (Value::Object(am), Value::Object(bm)) => {
            for (k, av) in am {
                if av.is_null() || (top && ignore_top.contains(&k.as_str())) {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match bm.get(k) {
                    Some(bv) => walk(av, bv, &p, out, ignore_top, false),
                    None => out.push(p),
                }
            }
        }
        (Value::Array(aa), Value::Array(ba)) => {
            for (i, (av, bv)) in aa.iter().zip(ba.iter()).enumerate() {
                walk(av, bv, &format!("{path}[{i}]"), out, ignore_top, false);
            }
        }
        _ => {}
    }
}

/// Fields of a task definition document the SDK model does not know (read-only keys and the
/// `taskDefinition` wrapper allowed).
pub fn unknown_task_definition_fields(v: &Value) -> Vec<String> {
    let body = v
        .get("taskDefinition")
        .filter(|_| v.as_object().is_some_and(|m| m.len() <= 2))
        .unwrap_or(v);
    match register_task_definition_input(body) {
        Ok(input) => unknown_fields(body, &to_json(&input), TASK_DEFINITION_READ_ONLY),
        Err(_) => Vec::new(),
    }
}

/// Fields of a service definition document the SDK model does not know (checked against
/// CreateServiceInput, which takes every attribute UpdateService does and more).
pub fn unknown_service_fields(v: &Value) -> Vec<String> {
    match create_service_input(v) {
        Ok(input) => unknown_fields(v, &to_json(&input), SERVICE_READ_ONLY),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kitchen_sink_task_definition() -> Value {
        json!({
            "family": "web",
            "taskRoleArn": "arn:aws:iam::123456789012:role/task",
            "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
            "ephemeralStorage": {"sizeInGiB": 30},
            "enableFaultInjection": true,
            "pidMode": "task",
            "volumes": [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED"}}],
            "tags": [{"key": "team", "value": "a"}],
            "containerDefinitions": [{
                "name": "app",
                "image": "nginx:1",
                "cpu": 0,
                "essential": true,
                "command": ["nginx", "-g", "daemon off;"],
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp", "name": "http", "appProtocol": "http"}],
                "environment": [{"name": "A", "value": "1"}],
                "secrets": [{"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "app"}},
                "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost"], "interval": 30, "retries": 3},
                "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
                "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
                "dockerLabels": {"com.example": "x"},
                "stopTimeout": 30,
                "restartPolicy": {"enabled": true, "restartAttemptPeriod": 60}
            }]
        })
    }

    #[test]
    fn task_definition_round_trips_with_camel_case_names() {
        let v = kitchen_sink_task_definition();
        let input = register_task_definition_input(&v).unwrap();
        assert_eq!(input.family.as_deref(), Some("web"));
        assert_eq!(input.container_definitions.as_ref().unwrap()[0].cpu, 0);
        let back = to_json(&input);
        assert_eq!(
            back, v,
            "parse → serialize is lossless for every known field"
        );
        assert!(unknown_task_definition_fields(&v).is_empty());
    }

    #[test]
    fn unknown_fields_are_reported_by_path_and_read_only_keys_allowed() {
        let mut v = kitchen_sink_task_definition();
        v["containerDefinitions"][0]["futureFieldNotInModel"] = json!(1);
        v["container_definitions"] = json!([]);
        v["revision"] = json!(3);
        v["taskDefinitionArn"] = json!("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3");
        let mut unknown = unknown_task_definition_fields(&v);
        unknown.sort();
        assert_eq!(
            unknown,
            [
                "containerDefinitions[0].futureFieldNotInModel",
                "container_definitions"
            ]
        );
        let wrapped = json!({"taskDefinition": kitchen_sink_task_definition(), "tags": []});
        assert!(unknown_task_definition_fields(&wrapped).is_empty());
    }

    #[test]
    fn service_definitions_round_trip_and_report_unknown_fields() {
        let v = json!({
            "cluster": "c", "serviceName": "s", "taskDefinition": "web:1", "desiredCount": 2,
            "launchType": "FARGATE",
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": true, "rollback": true},
                "alarms": {"alarmNames": ["a"], "enable": true, "rollback": true},
                "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s1"], "securityGroups": ["g"], "assignPublicIp": "DISABLED"}},
            "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "app", "containerPort": 80}],
            "enableExecuteCommand": true,
            "tags": [{"key": "k", "value": "v"}]
        });
        let input = create_service_input(&v).unwrap();
        assert_eq!(to_json(&input), v);
        let mut bad = v.clone();
        bad["deploymentConfiguration"]["circuitBreaker"] = json!({"enable": true});
        assert_eq!(
            unknown_service_fields(&bad),
            ["deploymentConfiguration.circuitBreaker"]
        );
    }

    #[test]
    fn type_errors_name_the_shape() {
        let e = register_task_definition_input(&json!({"family": "f", "memory": 512})).unwrap_err();
        assert_eq!(e.shape, "RegisterTaskDefinitionInput");
        assert!(e.to_string().contains("RegisterTaskDefinitionInput"), "{e}");
    }
}
