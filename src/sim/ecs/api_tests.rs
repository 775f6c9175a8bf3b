//! Tests of the ECS API handlers, driven through `Sim::call` exactly as clients drive them
//! (the HTTP layer only adds the wire framing). Table tests for validations; flows for
//! lifecycles. They avoid depending on rollout dynamics (the deployment engine's), except
//! where time must pass for tasks to stop.

use std::time::Duration;

use serde_json::{Value, json};

use crate::sim::{ApiError, Clock, ECS_TARGET_PREFIX, Sim, SimOptions};

const T0_MS: i64 = 1_800_000_000_000;
const T0: f64 = 1_800_000_000.0;
const ACCOUNT: &str = "123456789012";

fn sim() -> Sim {
    Sim::new(SimOptions::default(), Clock::manual(T0_MS))
}

fn call(sim: &Sim, op: &str, body: Value) -> Result<Value, ApiError> {
    sim.call(&format!("{ECS_TARGET_PREFIX}{op}"), &body)
}

fn ok(sim: &Sim, op: &str, body: Value) -> Value {
    call(sim, op, body.clone()).unwrap_or_else(|e| panic!("{op} {body}: {e}"))
}

fn err(sim: &Sim, op: &str, body: Value) -> ApiError {
    match call(sim, op, body.clone()) {
        Ok(v) => panic!("{op} {body}: expected an error, got {v}"),
        Err(e) => e,
    }
}

fn arn(resource: &str) -> String {
    format!("arn:aws:ecs:us-east-1:{ACCOUNT}:{resource}")
}

fn fargate_td(family: &str, image: &str) -> Value {
    json!({
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{
            "name": "app",
            "image": image,
            "portMappings": [{"containerPort": 8080}],
        }],
    })
}

fn ec2_td(family: &str, image: &str) -> Value {
    json!({
        "family": family,
        "containerDefinitions": [{"name": "app", "image": image, "memory": 128}],
    })
}

fn network() -> Value {
    json!({"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}})
}

/// A cluster `main` with a FARGATE family `web` (revision 1).
fn setup() -> Sim {
    let sim = sim();
    ok(&sim, "CreateCluster", json!({"clusterName": "main"}));
    ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx:1"));
    sim
}

fn create_web(sim: &Sim, extra: Value) -> Value {
    let mut body = json!({
        "cluster": "main",
        "serviceName": "web",
        "taskDefinition": "web",
        "desiredCount": 2,
        "launchType": "FARGATE",
        "networkConfiguration": network(),
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    ok(sim, "CreateService", body)["service"].clone()
}

fn describe_service(sim: &Sim, name: &str) -> Value {
    ok(
        sim,
        "DescribeServices",
        json!({"cluster": "main", "services": [name]}),
    )["services"][0]
        .clone()
}

fn assert_error(e: &ApiError, code: &str, message: &str) {
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (code, message),
        "status {}",
        e.status
    );
    assert_eq!(e.status, 400);
}

// ---- task definitions -----------------------------------------------------------------

#[test]
fn register_fills_aws_defaults_and_read_only_fields() {
    let sim = sim();
    let out = ok(
        &sim,
        "RegisterTaskDefinition",
        json!({
            "family": "web",
            "taskRoleArn": "arn:aws:iam::123456789012:role/task",
            "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "0.25 vCPU",
            "memory": "0.5 GB",
            "containerDefinitions": [
                {
                    "name": "app",
                    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1",
                    "portMappings": [{"containerPort": 8080}, {"containerPort": 9090, "protocol": "udp", "hostPort": 9090}],
                    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
                    "secrets": [{"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}],
                },
                {"name": "sidecar", "image": "envoy:1", "essential": false, "cpu": 64},
            ],
            "tags": [{"key": "team", "value": "core"}],
        }),
    );
    let registered_by = format!("arn:aws:sts::{ACCOUNT}:assumed-role/ecspress-sim/ecspress");
    assert_eq!(
        out,
        json!({
            "taskDefinition": {
                "taskDefinitionArn": arn("task-definition/web:1"),
                "family": "web",
                "revision": 1,
                "status": "ACTIVE",
                "taskRoleArn": "arn:aws:iam::123456789012:role/task",
                "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
                "networkMode": "awsvpc",
                "requiresCompatibilities": ["FARGATE"],
                "compatibilities": ["EC2", "FARGATE"],
                "cpu": "256",
                "memory": "512",
                "volumes": [],
                "placementConstraints": [],
                "registeredAt": T0,
                "registeredBy": registered_by,
                "requiresAttributes": [
                    {"name": "com.amazonaws.ecs.capability.task-iam-role"},
                    {"name": "ecs.capability.task-eni"},
                    {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"},
                    {"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
                    {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.19"},
                    {"name": "ecs.capability.execution-role-awslogs"},
                    {"name": "com.amazonaws.ecs.capability.ecr-auth"},
                    {"name": "ecs.capability.execution-role-ecr-pull"},
                    {"name": "ecs.capability.secrets.ssm.environment-variables"},
                ],
                "containerDefinitions": [
                    {
                        "name": "app",
                        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1",
                        "cpu": 0,
                        "essential": true,
                        "portMappings": [
                            {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"},
                            {"containerPort": 9090, "hostPort": 9090, "protocol": "udp"},
                        ],
                        "environment": [],
                        "mountPoints": [],
                        "volumesFrom": [],
                        "systemControls": [],
                        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
                        "secrets": [{"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}],
                    },
                    {
                        "name": "sidecar",
                        "image": "envoy:1",
                        "cpu": 64,
                        "essential": false,
                        "portMappings": [],
                        "environment": [],
                        "mountPoints": [],
                        "volumesFrom": [],
                        "systemControls": [],
                    },
                ],
            },
            "tags": [{"key": "team", "value": "core"}],
        })
    );
    // A second registration is revision 2; bridge mode keeps hostPort absent but gets tcp.
    let second = ok(
        &sim,
        "RegisterTaskDefinition",
        json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 64, "portMappings": [{"containerPort": 80}]}]}),
    );
    assert_eq!(second["taskDefinition"]["revision"], 2);
    assert_eq!(
        second["taskDefinition"]["containerDefinitions"][0]["portMappings"],
        json!([{"containerPort": 80, "protocol": "tcp"}])
    );
    assert_eq!(second["taskDefinition"]["compatibilities"], json!(["EC2"]));
    assert_eq!(second["tags"], json!([]));
}

#[test]
fn register_validations_answer_with_aws_messages() {
    let base = fargate_td("web", "nginx");
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "no family",
            json!({"family": null}),
            "ClientException",
            "Family can not be blank.",
        ),
        (
            "bad family",
            json!({"family": "web.app"}),
            "ClientException",
            "Family contains invalid characters.",
        ),
        (
            "no containers",
            json!({"containerDefinitions": []}),
            "ClientException",
            "Container list cannot be empty.",
        ),
        (
            "no container name",
            json!({"containerDefinitions": [{"image": "nginx"}]}),
            "ClientException",
            "Container.name should not be null or empty.",
        ),
        (
            "bad container name",
            json!({"containerDefinitions": [{"name": "a b", "image": "nginx"}]}),
            "ClientException",
            "Container.name contains invalid characters.",
        ),
        (
            "no image",
            json!({"containerDefinitions": [{"name": "app"}]}),
            "ClientException",
            "Container.image should not be null or empty.",
        ),
        (
            "duplicate names",
            json!({"containerDefinitions": [{"name": "app", "image": "a"}, {"name": "app", "image": "b"}]}),
            "ClientException",
            "Duplicate container name found: app",
        ),
        (
            "no essential container",
            json!({"containerDefinitions": [{"name": "app", "image": "a", "essential": false}]}),
            "ClientException",
            "Invalid setting: a task definition must have at least one essential container.",
        ),
        (
            "fargate bridge",
            json!({"networkMode": "bridge"}),
            "ClientException",
            "Fargate only supports network mode \u{2018}awsvpc\u{2019}.",
        ),
        (
            "fargate without cpu",
            json!({"cpu": null}),
            "ClientException",
            "Fargate requires that 'cpu' be defined at the task level.",
        ),
        (
            "fargate without memory",
            json!({"memory": null}),
            "ClientException",
            "Fargate requires that 'memory' be defined at the task level.",
        ),
        (
            "fargate size",
            json!({"memory": "4096"}),
            "ClientException",
            "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.",
        ),
        (
            "bad cpu text",
            json!({"cpu": "lots"}),
            "ClientException",
            "Invalid 'cpu' setting for task.",
        ),
        (
            "awsvpc host port",
            json!({"containerDefinitions": [{"name": "app", "image": "a", "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]}),
            "ClientException",
            "When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
        ),
        (
            "bad protocol",
            json!({"containerDefinitions": [{"name": "app", "image": "a", "portMappings": [{"containerPort": 80, "protocol": "sctp"}]}]}),
            "ClientException",
            "Invalid 'protocol' setting for container 'app': sctp. Valid values are tcp and udp.",
        ),
        (
            "no container port",
            json!({"containerDefinitions": [{"name": "app", "image": "a", "portMappings": [{"hostPort": 80}]}]}),
            "ClientException",
            "Invalid 'containerPort' setting for container 'app'.",
        ),
        (
            "ec2 without memory",
            json!({"requiresCompatibilities": ["EC2"], "memory": null, "containerDefinitions": [{"name": "app", "image": "a"}]}),
            "ClientException",
            "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
        ),
        (
            "unknown network mode",
            json!({"networkMode": "nat"}),
            "ClientException",
            "Invalid networkMode 'nat'. Valid values are bridge, host, awsvpc and none.",
        ),
        (
            "top-level unknown member",
            json!({"familly": "x"}),
            "SerializationException",
            "Unrecognized field \"familly\" in RegisterTaskDefinitionRequest: it is not a member of this structure",
        ),
        (
            "unknown container member",
            json!({"containerDefinitions": [{"name": "app", "image": "a", "essentials": true}]}),
            "SerializationException",
            "Unrecognized field \"essentials\" in ContainerDefinition (at containerDefinitions[0]): it is not a member of this structure",
        ),
        (
            "wrong type",
            json!({"cpu": 256}),
            "SerializationException",
            "NUMBER_VALUE can not be converted to a String",
        ),
    ];
    for (what, patch, code, message) in cases {
        let sim = sim();
        let mut body = base.clone();
        for (k, v) in patch.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        let e = err(&sim, "RegisterTaskDefinition", body);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (code, message),
            "{what}"
        );
        assert_eq!(e.status, 400, "{what}");
        // Nothing was registered.
        let families = ok(&sim, "ListTaskDefinitionFamilies", json!({}));
        assert_eq!(families["families"], json!([]), "{what}");
    }
}

#[test]
fn fargate_task_sizes_follow_the_aws_table() {
    let valid = [
        ("256", "512"),
        ("256", "1024"),
        ("256", "2048"),
        ("512", "1024"),
        ("512", "4096"),
        ("1024", "2048"),
        ("1024", "8192"),
        ("2048", "4096"),
        ("2048", "16384"),
        ("4096", "8192"),
        ("4096", "30720"),
        ("8192", "16384"),
        ("8192", "61440"),
        ("16384", "32768"),
        ("16384", "122880"),
        ("1 vCPU", "2 GB"),
        ("4 vcpu", "30GB"),
    ];
    let invalid = [
        ("256", "4096"),
        ("256", "1536"),
        ("512", "512"),
        ("512", "5120"),
        ("1024", "1024"),
        ("1024", "9216"),
        ("2048", "3072"),
        ("4096", "31744"),
        ("8192", "18432"),
        ("16384", "36864"),
        ("128", "512"),
        ("32768", "65536"),
    ];
    let sim = sim();
    for (cpu, memory) in valid {
        let mut td = fargate_td("sizes", "nginx");
        td["cpu"] = json!(cpu);
        td["memory"] = json!(memory);
        call(&sim, "RegisterTaskDefinition", td).unwrap_or_else(|e| panic!("{cpu}/{memory}: {e}"));
    }
    for (cpu, memory) in invalid {
        let mut td = fargate_td("sizes", "nginx");
        td["cpu"] = json!(cpu);
        td["memory"] = json!(memory);
        let e = err(&sim, "RegisterTaskDefinition", td);
        assert_eq!(
            e.message,
            format!(
                "No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values."
            )
        );
    }
    let normalised = ok(
        &sim,
        "DescribeTaskDefinition",
        json!({"taskDefinition": "sizes"}),
    );
    assert_eq!(normalised["taskDefinition"]["cpu"], "4096");
    assert_eq!(normalised["taskDefinition"]["memory"], "30720");
}

#[test]
fn describe_task_definition_resolves_family_revision_and_arn() {
    let sim = setup();
    ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx:2"));
    ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx:3"));
    ok(
        &sim,
        "DeregisterTaskDefinition",
        json!({"taskDefinition": "web:3"}),
    );
    let image = |r: &str| {
        ok(&sim, "DescribeTaskDefinition", json!({"taskDefinition": r}))["taskDefinition"]
            ["containerDefinitions"][0]["image"]
            .clone()
    };
    // Family alone = latest ACTIVE revision (3 is INACTIVE).
    assert_eq!(image("web"), "nginx:2");
    assert_eq!(image("web:1"), "nginx:1");
    assert_eq!(image(&arn("task-definition/web:2")), "nginx:2");
    // INACTIVE revisions stay describable by revision.
    let inactive = ok(
        &sim,
        "DescribeTaskDefinition",
        json!({"taskDefinition": "web:3"}),
    );
    assert_eq!(inactive["taskDefinition"]["status"], "INACTIVE");
    assert_eq!(inactive["taskDefinition"]["deregisteredAt"], json!(T0));
    assert!(inactive.get("tags").is_none());
    for missing in [
        "web:9",
        "nope",
        "arn:aws:ecs:us-east-1:1:task-definition/x:1",
        "",
    ] {
        let e = err(
            &sim,
            "DescribeTaskDefinition",
            json!({"taskDefinition": missing}),
        );
        assert_error(&e, "ClientException", "Unable to describe task definition.");
    }
    let mut tagged = fargate_td("tagged", "nginx");
    tagged["tags"] = json!([{"key": "a", "value": "1"}]);
    ok(&sim, "RegisterTaskDefinition", tagged);
    let with_tags = ok(
        &sim,
        "DescribeTaskDefinition",
        json!({"taskDefinition": "tagged", "include": ["TAGS"]}),
    );
    assert_eq!(with_tags["tags"], json!([{"key": "a", "value": "1"}]));
    assert!(with_tags["taskDefinition"].get("tags").is_none());
}

#[test]
fn list_task_definitions_filters_sorts_and_paginates() {
    let sim = sim();
    for family in ["web", "web-app", "api"] {
        for _ in 0..3 {
            ok(&sim, "RegisterTaskDefinition", ec2_td(family, "nginx"));
        }
    }
    ok(
        &sim,
        "DeregisterTaskDefinition",
        json!({"taskDefinition": "web:2"}),
    );
    let list = |body: Value| -> Vec<String> {
        ok(&sim, "ListTaskDefinitions", body)["taskDefinitionArns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| {
                v.as_str()
                    .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())
            })
            .collect()
    };
    assert_eq!(
        list(json!({})),
        [
            "api:1",
            "api:2",
            "api:3",
            "web:1",
            "web:3",
            "web-app:1",
            "web-app:2",
            "web-app:3"
        ]
    );
    // familyPrefix is an exact family in ListTaskDefinitions.
    assert_eq!(list(json!({"familyPrefix": "web"})), ["web:1", "web:3"]);
    assert_eq!(
        list(json!({"familyPrefix": "web", "sort": "DESC"})),
        ["web:3", "web:1"]
    );
    assert_eq!(
        list(json!({"familyPrefix": "web", "status": "INACTIVE"})),
        ["web:2"]
    );
    // Pagination: pages of 3 chained by nextToken.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"maxResults": 3});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = ok(&sim, "ListTaskDefinitions", body);
        let arns = page["taskDefinitionArns"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(arns.len() <= 3);
        seen.extend(arns);
        pages += 1;
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 8));
    for (body, message) in [
        (
            json!({"maxResults": 0}),
            "maxResults must be between 1 and 100 (got 0).",
        ),
        (
            json!({"maxResults": 101}),
            "maxResults must be between 1 and 100 (got 101).",
        ),
        (
            json!({"nextToken": "garbage"}),
            "The nextToken provided is not valid.",
        ),
        (
            json!({"status": "GONE"}),
            "Invalid status 'GONE'. Valid values are ACTIVE, INACTIVE and DELETE_IN_PROGRESS.",
        ),
        (
            json!({"sort": "UP"}),
            "Invalid sort 'UP'. Valid values are ASC and DESC.",
        ),
    ] {
        let e = err(&sim, "ListTaskDefinitions", body);
        assert_error(&e, "InvalidParameterException", message);
    }
    // A token of another operation is refused too.
    for _ in 0..2 {
        ok(
            &sim,
            "CreateCluster",
            json!({"clusterName": format!("c{}", pages)}),
        );
        pages += 1;
    }
    let other = ok(&sim, "ListClusters", json!({"maxResults": 1}));
    let t = other["nextToken"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let e = err(&sim, "ListTaskDefinitions", json!({"nextToken": t}));
    assert_error(
        &e,
        "InvalidParameterException",
        "The nextToken provided is not valid.",
    );
}

#[test]
fn list_task_definition_families_uses_a_true_prefix_and_status() {
    let sim = sim();
    for family in ["web", "web-app", "api"] {
        ok(&sim, "RegisterTaskDefinition", ec2_td(family, "nginx"));
    }
    ok(
        &sim,
        "DeregisterTaskDefinition",
        json!({"taskDefinition": "web-app:1"}),
    );
    let families = |body: Value| ok(&sim, "ListTaskDefinitionFamilies", body)["families"].clone();
    assert_eq!(families(json!({})), json!(["api", "web", "web-app"]));
    assert_eq!(
        families(json!({"familyPrefix": "web"})),
        json!(["web", "web-app"])
    );
    assert_eq!(families(json!({"status": "ACTIVE"})), json!(["api", "web"]));
    assert_eq!(families(json!({"status": "INACTIVE"})), json!(["web-app"]));
    let page = ok(&sim, "ListTaskDefinitionFamilies", json!({"maxResults": 2}));
    assert_eq!(page["families"], json!(["api", "web"]));
    let rest = ok(
        &sim,
        "ListTaskDefinitionFamilies",
        json!({"nextToken": page["nextToken"]}),
    );
    assert_eq!(rest["families"], json!(["web-app"]));
    assert!(rest.get("nextToken").is_none());
}

#[test]
fn deregister_and_delete_task_definitions() {
    let sim = sim();
    ok(&sim, "RegisterTaskDefinition", ec2_td("job", "busybox"));
    ok(&sim, "RegisterTaskDefinition", ec2_td("job", "busybox"));
    sim.advance(Duration::from_secs(5));
    let dereg = ok(
        &sim,
        "DeregisterTaskDefinition",
        json!({"taskDefinition": arn("task-definition/job:1")}),
    );
    assert_eq!(dereg["taskDefinition"]["status"], "INACTIVE");
    assert_eq!(dereg["taskDefinition"]["deregisteredAt"], json!(T0 + 5.0));
    // Idempotent.
    let again = ok(
        &sim,
        "DeregisterTaskDefinition",
        json!({"taskDefinition": "job:1"}),
    );
    assert_eq!(again["taskDefinition"]["deregisteredAt"], json!(T0 + 5.0));
    let e = err(
        &sim,
        "DeregisterTaskDefinition",
        json!({"taskDefinition": "job"}),
    );
    assert_error(
        &e,
        "ClientException",
        "The task definition 'job' must include a revision (family:revision or the full ARN).",
    );
    let e = err(
        &sim,
        "DeregisterTaskDefinition",
        json!({"taskDefinition": "job:7"}),
    );
    assert_error(
        &e,
        "ClientException",
        "The specified task definition does not exist.",
    );

    let out = ok(
        &sim,
        "DeleteTaskDefinitions",
        json!({"taskDefinitions": ["job:1", "job:2", "job:9"]}),
    );
    assert_eq!(out["taskDefinitions"].as_array().map(Vec::len), Some(1));
    assert_eq!(out["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS");
    assert_eq!(
        out["taskDefinitions"][0]["deleteRequestedAt"],
        json!(T0 + 5.0)
    );
    assert_eq!(
        out["failures"],
        json!([
            {"arn": arn("task-definition/job:2"), "reason": "The specified task definition is still in ACTIVE status. Please deregister the target and try again."},
            {"arn": arn("task-definition/job:9"), "reason": "The specified task definition does not exist. Specify a valid account, family, revision and try again."},
        ])
    );
    let listed = ok(
        &sim,
        "ListTaskDefinitions",
        json!({"status": "DELETE_IN_PROGRESS"}),
    );
    assert_eq!(
        listed["taskDefinitionArns"],
        json!([arn("task-definition/job:1")])
    );
    // Revisions are never reused.
    let third = ok(&sim, "RegisterTaskDefinition", ec2_td("job", "busybox"));
    assert_eq!(third["taskDefinition"]["revision"], 3);
    let e = err(
        &sim,
        "DeleteTaskDefinitions",
        json!({"taskDefinitions": (1..=11).map(|r| format!("job:{r}")).collect::<Vec<_>>()}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "taskDefinitions can have at most 10 items.",
    );
}

// ---- clusters -------------------------------------------------------------------------

#[test]
fn clusters_create_describe_list_delete() {
    let sim = sim();
    let created = ok(
        &sim,
        "CreateCluster",
        json!({"clusterName": "main", "tags": [{"key": "env", "value": "dev"}]}),
    );
    assert_eq!(
        created["cluster"],
        json!({
            "clusterArn": arn("cluster/main"),
            "clusterName": "main",
            "status": "ACTIVE",
            "registeredContainerInstancesCount": 0,
            "runningTasksCount": 0,
            "pendingTasksCount": 0,
            "activeServicesCount": 0,
            "statistics": [],
            "settings": [{"name": "containerInsights", "value": "disabled"}],
            "capacityProviders": [],
            "defaultCapacityProviderStrategy": [],
            "tags": [{"key": "env", "value": "dev"}],
        })
    );
    // Idempotent on the name.
    ok(&sim, "CreateCluster", json!({"clusterName": "main"}));
    let d = ok(
        &sim,
        "DescribeClusters",
        json!({"clusters": ["main", arn("cluster/main"), "nope"]}),
    );
    assert_eq!(d["clusters"].as_array().map(Vec::len), Some(2));
    assert!(d["clusters"][0].get("tags").is_none());
    assert_eq!(
        d["failures"],
        json!([{"arn": arn("cluster/nope"), "reason": "MISSING"}])
    );
    let tagged = ok(
        &sim,
        "DescribeClusters",
        json!({"clusters": ["main"], "include": ["TAGS"]}),
    );
    assert_eq!(
        tagged["clusters"][0]["tags"],
        json!([{"key": "env", "value": "dev"}])
    );
    // No names = the `default` cluster.
    let d = ok(&sim, "DescribeClusters", json!({}));
    assert_eq!(d["failures"][0]["arn"], arn("cluster/default"));
    ok(&sim, "CreateCluster", json!({}));
    assert_eq!(
        ok(&sim, "ListClusters", json!({}))["clusterArns"],
        json!([arn("cluster/default"), arn("cluster/main")])
    );
    let e = err(&sim, "CreateCluster", json!({"clusterName": "bad name"}));
    assert_eq!(e.code, "InvalidParameterException");

    // Delete refuses while services are active.
    ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx"));
    let svc = json!({"cluster": "main", "serviceName": "web", "taskDefinition": "web",
        "desiredCount": 0, "launchType": "FARGATE", "networkConfiguration": network()});
    ok(&sim, "CreateService", svc);
    let e = err(&sim, "DeleteCluster", json!({"cluster": "main"}));
    assert_error(
        &e,
        "ClusterContainsServicesException",
        "The Cluster cannot be deleted while Services are active.",
    );
    assert_eq!(
        ok(&sim, "DescribeClusters", json!({"clusters": ["main"]}))["clusters"][0]["activeServicesCount"],
        1
    );
    let deleted = ok(&sim, "DeleteCluster", json!({"cluster": "default"}));
    assert_eq!(deleted["cluster"]["status"], "INACTIVE");
    let d = ok(&sim, "DescribeClusters", json!({"clusters": ["default"]}));
    assert_eq!(d["clusters"][0]["status"], "INACTIVE");
    assert_eq!(
        ok(&sim, "ListClusters", json!({}))["clusterArns"],
        json!([arn("cluster/main")])
    );
    let e = err(&sim, "DeleteCluster", json!({"cluster": "default"}));
    assert_error(&e, "ClusterNotFoundException", "Cluster not found.");
}

// ---- services -------------------------------------------------------------------------

#[test]
fn create_service_fills_aws_defaults() {
    let sim = setup();
    let svc = create_web(&sim, json!({"tags": [{"key": "app", "value": "web"}]}));
    let expect = |k: &str, v: Value| assert_eq!(svc[k], v, "{k}");
    expect("serviceArn", json!(arn("service/main/web")));
    expect("serviceName", json!("web"));
    expect("clusterArn", json!(arn("cluster/main")));
    expect("status", json!("ACTIVE"));
    expect("desiredCount", json!(2));
    expect("taskDefinition", json!(arn("task-definition/web:1")));
    expect("launchType", json!("FARGATE"));
    expect("platformVersion", json!("LATEST"));
    expect("platformFamily", json!("Linux"));
    expect("loadBalancers", json!([]));
    expect("serviceRegistries", json!([]));
    expect("placementConstraints", json!([]));
    expect("placementStrategy", json!([]));
    expect("schedulingStrategy", json!("REPLICA"));
    expect("deploymentController", json!({"type": "ECS"}));
    expect(
        "deploymentConfiguration",
        json!({
            "deploymentCircuitBreaker": {"enable": false, "rollback": false},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "strategy": "ROLLING",
        }),
    );
    expect(
        "networkConfiguration",
        json!({"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}),
    );
    expect("propagateTags", json!("NONE"));
    expect("enableECSManagedTags", json!(false));
    expect("enableExecuteCommand", json!(false));
    expect("availabilityZoneRebalancing", json!("ENABLED"));
    expect("createdAt", json!(T0));
    expect(
        "createdBy",
        json!(format!("arn:aws:iam::{ACCOUNT}:role/ecspress-sim")),
    );
    expect("tags", json!([{"key": "app", "value": "web"}]));
    assert!(svc.get("healthCheckGracePeriodSeconds").is_none());
    assert!(svc.get("roleArn").is_none());
    assert!(svc["deployments"].is_array());
    assert!(svc.get("taskSets").is_none());
    for k in ["runningCount", "pendingCount"] {
        assert!(svc[k].is_i64(), "{k}");
    }
    // What DescribeServices shows is the same service (tags only on request).
    let described = describe_service(&sim, "web");
    assert_eq!(
        described["deploymentConfiguration"],
        svc["deploymentConfiguration"]
    );
    assert!(described.get("tags").is_none());

    // EC2 service: launchType EC2 default, no platform fields; LB → service-linked role.
    ok(
        &sim,
        "RegisterTaskDefinition",
        json!({"family": "legacy", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128, "portMappings": [{"containerPort": 80}]}]}),
    );
    let legacy = ok(
        &sim,
        "CreateService",
        json!({
            "cluster": "main", "serviceName": "legacy", "taskDefinition": "legacy:1",
            "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1", "containerName": "app", "containerPort": 80}],
            "healthCheckGracePeriodSeconds": 30,
            "deploymentConfiguration": {"maximumPercent": 150, "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
        }),
    )["service"]
        .clone();
    assert_eq!(legacy["launchType"], "EC2");
    assert_eq!(legacy["desiredCount"], 0);
    assert!(legacy.get("platformVersion").is_none());
    assert!(legacy.get("platformFamily").is_none());
    assert_eq!(legacy["healthCheckGracePeriodSeconds"], 30);
    assert_eq!(
        legacy["roleArn"],
        format!(
            "arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
        )
    );
    assert_eq!(
        legacy["deploymentConfiguration"],
        json!({"maximumPercent": 150, "minimumHealthyPercent": 100, "strategy": "ROLLING",
            "deploymentCircuitBreaker": {"enable": true, "rollback": true}})
    );
}

#[test]
fn create_service_fills_native_strategy_and_hook_defaults() {
    let sim = setup();
    let svc = create_web(
        &sim,
        json!({"deploymentConfiguration": {
            "strategy": "LINEAR",
            "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}],
        }}),
    );
    assert_eq!(
        svc["deploymentConfiguration"],
        json!({
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "deploymentCircuitBreaker": {"enable": false, "rollback": false},
            "strategy": "LINEAR",
            "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6},
            "lifecycleHooks": [{
                "targetType": "PAUSE",
                "lifecycleStages": ["POST_SCALE_UP"],
                "timeoutConfiguration": {"timeoutInMinutes": 1440, "action": "ROLLBACK"},
            }],
        })
    );
}

#[test]
fn create_service_errors() {
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "missing cluster",
            json!({"cluster": "nope"}),
            "ClusterNotFoundException",
            "Cluster not found.",
        ),
        (
            "missing task definition",
            json!({"taskDefinition": "nope"}),
            "ClientException",
            "TaskDefinition not found.",
        ),
        (
            "inactive task definition",
            json!({"taskDefinition": "web:2"}),
            "ClientException",
            "TaskDefinition is inactive",
        ),
        (
            "awsvpc without network",
            json!({"networkConfiguration": null}),
            "InvalidParameterException",
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        ),
        (
            "network for bridge",
            json!({"taskDefinition": "legacy", "launchType": "EC2"}),
            "InvalidParameterException",
            "Network Configuration is not valid for the given networkMode of this task definition.",
        ),
        (
            "fargate on EC2-only definition",
            json!({"taskDefinition": "legacy", "networkConfiguration": null}),
            "InvalidParameterException",
            "Task definition does not support launch_type FARGATE.",
        ),
        (
            "launch type and capacity providers",
            json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]}),
            "InvalidParameterException",
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        ),
        (
            "empty subnets",
            json!({"networkConfiguration": {"awsvpcConfiguration": {"subnets": []}}}),
            "InvalidParameterException",
            "subnets can not be empty.",
        ),
        (
            "negative desired count",
            json!({"desiredCount": -1}),
            "InvalidParameterException",
            "desiredCount must be greater than or equal to 0.",
        ),
        (
            "bad strategy",
            json!({"deploymentConfiguration": {"strategy": "BOGUS"}}),
            "InvalidParameterException",
            "Invalid deployment strategy 'BOGUS'. Valid values are ROLLING, BLUE_GREEN, LINEAR and CANARY.",
        ),
        (
            "pause hook at a traffic shift",
            json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}]}}),
            "InvalidParameterException",
            "PAUSE lifecycle hooks are not supported at the PRODUCTION_TRAFFIC_SHIFT lifecycle stage.",
        ),
        (
            "bad controller",
            json!({"deploymentController": {"type": "SPINNAKER"}}),
            "InvalidParameterException",
            "Invalid value 'SPINNAKER' for deploymentController.type. Valid values are ECS, CODE_DEPLOY, EXTERNAL.",
        ),
        (
            "load balancer container missing",
            json!({"loadBalancers": [{"targetGroupArn": "tg", "containerName": "web", "containerPort": 8080}]}),
            "InvalidParameterException",
            "The container web does not exist in the task definition.",
        ),
        (
            "load balancer port missing",
            json!({"loadBalancers": [{"targetGroupArn": "tg", "containerName": "app", "containerPort": 80}]}),
            "InvalidParameterException",
            "The container app did not have a container port 80 defined.",
        ),
        (
            "blank name",
            json!({"serviceName": ""}),
            "InvalidParameterException",
            "serviceName can not be blank.",
        ),
        (
            "unknown member",
            json!({"desiredcount": 1}),
            "SerializationException",
            "Unrecognized field \"desiredcount\" in CreateServiceRequest: it is not a member of this structure",
        ),
        (
            "string count",
            json!({"desiredCount": "2"}),
            "SerializationException",
            "STRING_VALUE can not be converted to an Integer",
        ),
    ];
    for (what, patch, code, message) in cases {
        let sim = setup();
        ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx:2"));
        ok(
            &sim,
            "DeregisterTaskDefinition",
            json!({"taskDefinition": "web:2"}),
        );
        ok(&sim, "RegisterTaskDefinition", ec2_td("legacy", "nginx"));
        let mut body = json!({
            "cluster": "main", "serviceName": "web", "taskDefinition": "web:1", "desiredCount": 1,
            "launchType": "FARGATE", "networkConfiguration": network(),
        });
        for (k, v) in patch.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        let e = err(&sim, "CreateService", body);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (code, message),
            "{what}"
        );
        assert_eq!(e.status, 400);
        let listed = call(&sim, "ListServices", json!({"cluster": "main"}));
        assert_eq!(
            listed.map(|l| l["serviceArns"].clone()).ok(),
            Some(json!([])),
            "{what}"
        );
    }
    // The same name twice.
    let sim = setup();
    create_web(&sim, json!({}));
    let e = err(
        &sim,
        "CreateService",
        json!({"cluster": "main", "serviceName": "web", "taskDefinition": "web", "launchType": "FARGATE", "networkConfiguration": network()}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "Creation of service was not idempotent.",
    );
}

#[test]
fn update_service_changes_only_given_members() {
    let sim = setup();
    let lb = json!([{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1", "containerName": "app", "containerPort": 8080}]);
    create_web(
        &sim,
        json!({"loadBalancers": lb, "healthCheckGracePeriodSeconds": 60, "enableExecuteCommand": true}),
    );
    ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx:2"));
    ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx:3"));
    ok(
        &sim,
        "DeregisterTaskDefinition",
        json!({"taskDefinition": "web:3"}),
    );
    // Family alone → latest ACTIVE revision, stored as the full ARN.
    let updated = ok(
        &sim,
        "UpdateService",
        json!({"cluster": "main", "service": "web", "taskDefinition": "web"}),
    )["service"]
        .clone();
    assert_eq!(updated["taskDefinition"], arn("task-definition/web:2"));
    assert_eq!(updated["desiredCount"], 2);
    assert_eq!(updated["loadBalancers"], lb);
    assert_eq!(updated["healthCheckGracePeriodSeconds"], 60);
    assert_eq!(updated["enableExecuteCommand"], true);
    assert!(updated.get("tags").is_none());
    // desiredCount only.
    let scaled = ok(
        &sim,
        "UpdateService",
        json!({"cluster": arn("cluster/main"), "service": arn("service/main/web"), "desiredCount": 5}),
    )["service"]
        .clone();
    assert_eq!(scaled["desiredCount"], 5);
    assert_eq!(scaled["taskDefinition"], arn("task-definition/web:2"));
    // An explicitly empty list clears; deploymentConfiguration gets its defaults back.
    let cleared = ok(
        &sim,
        "UpdateService",
        json!({"cluster": "main", "service": "web", "loadBalancers": [],
            "deploymentConfiguration": {"minimumHealthyPercent": 50},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-2"], "assignPublicIp": "ENABLED"}}}),
    )["service"]
        .clone();
    assert_eq!(cleared["loadBalancers"], json!([]));
    assert_eq!(
        cleared["deploymentConfiguration"],
        json!({"maximumPercent": 200, "minimumHealthyPercent": 50, "strategy": "ROLLING",
            "deploymentCircuitBreaker": {"enable": false, "rollback": false}})
    );
    assert_eq!(
        cleared["networkConfiguration"],
        json!({"awsvpcConfiguration": {"subnets": ["subnet-2"], "assignPublicIp": "ENABLED"}})
    );
    assert_eq!(cleared["healthCheckGracePeriodSeconds"], 60);
    assert_eq!(describe_service(&sim, "web")["loadBalancers"], json!([]));
    ok(&sim, "RegisterTaskDefinition", ec2_td("legacy", "nginx"));

    for (what, body, code, message) in [
        (
            "inactive revision",
            json!({"taskDefinition": "web:3"}),
            "ClientException",
            "TaskDefinition is inactive",
        ),
        (
            "missing service",
            json!({"service": "nope"}),
            "ServiceNotFoundException",
            "Service not found.",
        ),
        (
            "missing cluster",
            json!({"cluster": "nope"}),
            "ClusterNotFoundException",
            "Cluster not found.",
        ),
        (
            "EC2-only definition on a FARGATE service",
            json!({"taskDefinition": "legacy"}),
            "InvalidParameterException",
            "Task definition does not support launch_type FARGATE.",
        ),
    ] {
        let mut b = json!({"cluster": "main", "service": "web"});
        for (k, v) in body.as_object().into_iter().flatten() {
            b[k] = v.clone();
        }
        let e = err(&sim, "UpdateService", b);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (code, message),
            "{what}"
        );
    }
    // A refused update changed nothing.
    assert_eq!(
        describe_service(&sim, "web")["taskDefinition"],
        arn("task-definition/web:2")
    );
}

#[test]
fn code_deploy_services_refuse_new_task_definitions() {
    let sim = setup();
    let lb = json!([{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1", "containerName": "app", "containerPort": 8080}]);
    let svc = create_web(
        &sim,
        json!({"deploymentController": {"type": "CODE_DEPLOY"}, "loadBalancers": lb}),
    );
    assert_eq!(svc["deploymentController"], json!({"type": "CODE_DEPLOY"}));
    assert_eq!(
        svc["deploymentConfiguration"],
        json!({"maximumPercent": 200, "minimumHealthyPercent": 100})
    );
    assert_eq!(svc["availabilityZoneRebalancing"], "DISABLED");
    assert_eq!(svc["deployments"], json!([]));
    assert!(svc["taskSets"].is_array());
    ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx:2"));
    for (body, message) in [
        (
            json!({"taskDefinition": "web:2"}),
            "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.",
        ),
        (
            json!({"networkConfiguration": network()}),
            "Unable to update network parameters on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.",
        ),
        (
            json!({"platformVersion": "1.4.0"}),
            "Unable to update platform version on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.",
        ),
        (
            json!({"loadBalancers": []}),
            "Unable to update load balancers on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.",
        ),
    ] {
        let mut b = json!({"cluster": "main", "service": "web"});
        for (k, v) in body.as_object().into_iter().flatten() {
            b[k] = v.clone();
        }
        let e = err(&sim, "UpdateService", b);
        assert_error(&e, "InvalidParameterException", message);
    }
    // desiredCount and configuration still change.
    let scaled = ok(
        &sim,
        "UpdateService",
        json!({"cluster": "main", "service": "web", "desiredCount": 3, "healthCheckGracePeriodSeconds": 10}),
    )["service"]
        .clone();
    assert_eq!(scaled["desiredCount"], 3);
    assert_eq!(scaled["healthCheckGracePeriodSeconds"], 10);
    assert_eq!(scaled["taskDefinition"], arn("task-definition/web:1"));
    // DescribeTaskSets works for it (and not for ECS-controller services).
    let sets = ok(
        &sim,
        "DescribeTaskSets",
        json!({"cluster": "main", "service": "web"}),
    );
    assert_eq!(sets["taskSets"], describe_service(&sim, "web")["taskSets"]);
    let missing = ok(
        &sim,
        "DescribeTaskSets",
        json!({"cluster": "main", "service": "web", "taskSets": ["ecs-svc/0"]}),
    );
    assert_eq!(
        missing["failures"],
        json!([{"arn": "ecs-svc/0", "reason": "MISSING"}])
    );
    ok(
        &sim,
        "CreateService",
        json!({"cluster": "main", "serviceName": "rolling", "taskDefinition": "web", "launchType": "FARGATE", "networkConfiguration": network()}),
    );
    let e = err(
        &sim,
        "DescribeTaskSets",
        json!({"cluster": "main", "service": "rolling"}),
    );
    assert_eq!(e.code, "InvalidParameterException");
}

#[test]
fn describe_services_failures_and_limits() {
    let sim = setup();
    create_web(&sim, json!({"tags": [{"key": "k", "value": "v"}]}));
    let out = ok(
        &sim,
        "DescribeServices",
        json!({"cluster": "main", "services": ["web", "ghost", arn("service/main/web")], "include": ["TAGS"]}),
    );
    assert_eq!(out["services"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        out["services"][0]["tags"],
        json!([{"key": "k", "value": "v"}])
    );
    assert_eq!(
        out["failures"],
        json!([{"arn": arn("service/main/ghost"), "reason": "MISSING"}])
    );
    let names: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let e = err(
        &sim,
        "DescribeServices",
        json!({"cluster": "main", "services": names}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "service names can have at most 10 items.",
    );
    let e = err(
        &sim,
        "DescribeServices",
        json!({"cluster": "main", "services": []}),
    );
    assert_error(&e, "InvalidParameterException", "Services cannot be empty.");
    let e = err(
        &sim,
        "DescribeServices",
        json!({"cluster": "ghost", "services": ["web"]}),
    );
    assert_error(&e, "ClusterNotFoundException", "Cluster not found.");
    // Another cluster's service of the same name is not this one.
    ok(&sim, "CreateCluster", json!({"clusterName": "other"}));
    let out = ok(
        &sim,
        "DescribeServices",
        json!({"cluster": "other", "services": ["web"]}),
    );
    assert_eq!(out["services"], json!([]));
}

#[test]
fn list_services_paginates_and_filters() {
    let sim = setup();
    ok(&sim, "RegisterTaskDefinition", ec2_td("legacy", "nginx"));
    for n in 0..12 {
        create_web(
            &sim,
            json!({"serviceName": format!("web{n:02}"), "desiredCount": 0}),
        );
    }
    ok(
        &sim,
        "CreateService",
        json!({"cluster": "main", "serviceName": "legacy", "taskDefinition": "legacy"}),
    );
    let first = ok(&sim, "ListServices", json!({"cluster": "main"}));
    // AWS's default page size for ListServices is 10.
    assert_eq!(first["serviceArns"].as_array().map(Vec::len), Some(10));
    assert_eq!(first["serviceArns"][0], arn("service/main/web00"));
    let second = ok(
        &sim,
        "ListServices",
        json!({"cluster": "main", "nextToken": first["nextToken"]}),
    );
    assert_eq!(
        second["serviceArns"],
        json!([
            arn("service/main/web10"),
            arn("service/main/web11"),
            arn("service/main/legacy")
        ])
    );
    assert!(second.get("nextToken").is_none());
    let ec2 = ok(
        &sim,
        "ListServices",
        json!({"cluster": "main", "launchType": "EC2"}),
    );
    assert_eq!(ec2["serviceArns"], json!([arn("service/main/legacy")]));
    let daemons = ok(
        &sim,
        "ListServices",
        json!({"cluster": "main", "schedulingStrategy": "DAEMON"}),
    );
    assert_eq!(daemons["serviceArns"], json!([]));
    let big = ok(
        &sim,
        "ListServices",
        json!({"cluster": "main", "maxResults": 100}),
    );
    assert_eq!(big["serviceArns"].as_array().map(Vec::len), Some(13));
}

#[test]
fn delete_service_drains_then_goes_inactive() {
    for controller in ["ECS", "CODE_DEPLOY"] {
        let sim = setup();
        let lb = json!([{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1", "containerName": "app", "containerPort": 8080}]);
        create_web(
            &sim,
            json!({"deploymentController": {"type": controller}, "loadBalancers": lb}),
        );
        sim.advance(Duration::from_secs(60));
        let running = ok(
            &sim,
            "ListTasks",
            json!({"cluster": "main", "serviceName": "web"}),
        )["taskArns"]
            .clone();
        assert_eq!(running.as_array().map(Vec::len), Some(2), "{controller}");
        let e = err(
            &sim,
            "DeleteService",
            json!({"cluster": "main", "service": "web"}),
        );
        assert_error(
            &e,
            "InvalidParameterException",
            "The service cannot be stopped while it is scaled above 0.",
        );
        let deleted = ok(
            &sim,
            "DeleteService",
            json!({"cluster": "main", "service": "web", "force": true}),
        );
        assert_eq!(deleted["service"]["status"], "DRAINING", "{controller}");
        assert_eq!(deleted["service"]["desiredCount"], 0);
        let e = err(
            &sim,
            "UpdateService",
            json!({"cluster": "main", "service": "web", "desiredCount": 1}),
        );
        assert_error(&e, "ServiceNotActiveException", "Service was not ACTIVE.");
        // What a watcher sees: DRAINING while the tasks drain, then INACTIVE for good.
        let mut statuses: Vec<String> = Vec::new();
        for _ in 0..60 {
            let st = describe_service(&sim, "web")["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if statuses.last() != Some(&st) {
                statuses.push(st);
            }
            sim.advance(Duration::from_secs(1));
        }
        assert_eq!(statuses, ["DRAINING", "INACTIVE"], "{controller}");
        let live = ok(
            &sim,
            "ListTasks",
            json!({"cluster": "main", "serviceName": "web"}),
        );
        assert_eq!(live["taskArns"], json!([]), "{controller}");
        let stopped = ok(
            &sim,
            "DescribeTasks",
            json!({"cluster": "main", "tasks": running}),
        );
        for t in stopped["tasks"].as_array().into_iter().flatten() {
            assert_eq!(t["lastStatus"], "STOPPED", "{controller}");
        }
        assert_eq!(
            ok(&sim, "ListServices", json!({"cluster": "main"}))["serviceArns"],
            json!([])
        );
        let e = err(
            &sim,
            "DeleteService",
            json!({"cluster": "main", "service": "web"}),
        );
        assert_error(&e, "ServiceNotActiveException", "Service was not ACTIVE.");
        // The name can be used again; the new service replaces the INACTIVE one.
        let again = create_web(&sim, json!({"desiredCount": 0}));
        assert_eq!(again["status"], "ACTIVE");
        let out = ok(
            &sim,
            "DescribeServices",
            json!({"cluster": "main", "services": ["web"]}),
        );
        assert_eq!(out["services"].as_array().map(Vec::len), Some(1));
        assert_eq!(out["services"][0]["status"], "ACTIVE");
    }
}

// ---- tasks ----------------------------------------------------------------------------

#[test]
fn run_task_exit_code_flow() {
    let sim = setup();
    ok(
        &sim,
        "RegisterTaskDefinition",
        fargate_td("job", "busybox:exit3"),
    );
    let run = ok(
        &sim,
        "RunTask",
        json!({"cluster": "main", "taskDefinition": "job", "launchType": "FARGATE",
            "networkConfiguration": network(), "startedBy": "ci", "tags": [{"key": "run", "value": "1"}],
            "overrides": {"containerOverrides": [{"name": "app", "command": ["sh", "-c", "exit 3"]}]}}),
    );
    assert_eq!(run["failures"], json!([]));
    let task = &run["tasks"][0];
    assert_eq!(task["lastStatus"], "PROVISIONING");
    assert_eq!(task["desiredStatus"], "RUNNING");
    assert_eq!(task["group"], "family:job");
    assert_eq!(task["startedBy"], "ci");
    assert_eq!(task["launchType"], "FARGATE");
    assert_eq!(task["cpu"], "256");
    assert_eq!(task["memory"], "512");
    assert_eq!(task["taskDefinitionArn"], arn("task-definition/job:1"));
    assert_eq!(task["tags"], json!([{"key": "run", "value": "1"}]));
    assert_eq!(
        task["overrides"],
        json!({"containerOverrides": [{"name": "app", "command": ["sh", "-c", "exit 3"]}], "inferenceAcceleratorOverrides": []})
    );
    let task_arn = task["taskArn"].as_str().expect("taskArn").to_owned();
    let describe = || {
        ok(
            &sim,
            "DescribeTasks",
            json!({"cluster": "main", "tasks": [task_arn]}),
        )["tasks"][0]
            .clone()
    };
    // Sample the lifecycle a watcher sees (PROVISIONING 2 s, PENDING 4 s, RUNNING 10 s).
    let mut statuses = vec![
        describe()["lastStatus"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ];
    for _ in 0..25 {
        sim.advance(Duration::from_secs(1));
        let s = describe()["lastStatus"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if statuses.last() != Some(&s) {
            statuses.push(s);
        }
    }
    assert_eq!(
        statuses,
        [
            "PROVISIONING",
            "PENDING",
            "RUNNING",
            "DEPROVISIONING",
            "STOPPED"
        ]
    );
    let stopped = describe();
    assert_eq!(stopped["containers"][0]["exitCode"], 3);
    assert_eq!(stopped["stopCode"], "EssentialContainerExited");
    assert_eq!(stopped["desiredStatus"], "STOPPED");
    assert!(stopped.get("tags").is_none());
    let listed = |body: Value| ok(&sim, "ListTasks", body)["taskArns"].clone();
    assert_eq!(listed(json!({"cluster": "main"})), json!([]));
    assert_eq!(
        listed(json!({"cluster": "main", "desiredStatus": "STOPPED"})),
        json!([task_arn])
    );
}

#[test]
fn run_task_validations() {
    let sim = setup();
    ok(&sim, "RegisterTaskDefinition", ec2_td("legacy", "nginx"));
    for (what, body, message) in [
        (
            "count 0",
            json!({"count": 0}),
            "count must be between 1 and 10.",
        ),
        (
            "count 11",
            json!({"count": 11}),
            "count must be between 1 and 10.",
        ),
        (
            "no network",
            json!({"networkConfiguration": null}),
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        ),
        (
            "fargate on EC2 definition",
            json!({"taskDefinition": "legacy", "networkConfiguration": null}),
            "Task definition does not support launch_type FARGATE.",
        ),
        (
            "unknown override",
            json!({"overrides": {"containerOverrides": [{"name": "db"}]}}),
            "Override for container named db is not a container in the TaskDefinition.",
        ),
    ] {
        let mut b = json!({"cluster": "main", "taskDefinition": "web", "launchType": "FARGATE", "networkConfiguration": network()});
        for (k, v) in body.as_object().into_iter().flatten() {
            b[k] = v.clone();
        }
        let e = err(&sim, "RunTask", b);
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("InvalidParameterException", message),
            "{what}"
        );
    }
    let e = err(
        &sim,
        "RunTask",
        json!({"cluster": "main", "taskDefinition": "ghost"}),
    );
    assert_error(&e, "ClientException", "TaskDefinition not found.");
    let many = ok(
        &sim,
        "RunTask",
        json!({"cluster": "main", "taskDefinition": "legacy", "count": 10}),
    );
    assert_eq!(many["tasks"].as_array().map(Vec::len), Some(10));
    assert_eq!(many["tasks"][0]["launchType"], "EC2");
}

#[test]
fn list_tasks_filters_and_describe_tasks_failures() {
    let sim = setup();
    ok(&sim, "RegisterTaskDefinition", ec2_td("batch", "busybox"));
    ok(&sim, "RegisterTaskDefinition", ec2_td("report", "busybox"));
    let run = |td: &str, started_by: &str| -> String {
        ok(
            &sim,
            "RunTask",
            json!({"cluster": "main", "taskDefinition": td, "startedBy": started_by}),
        )["tasks"][0]["taskArn"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let a = run("batch", "nightly");
    let b = run("batch", "manual");
    let c = run("report", "nightly");
    let list = |body: Value| ok(&sim, "ListTasks", body)["taskArns"].clone();
    assert_eq!(
        list(json!({"cluster": "main", "family": "batch"})),
        json!([a, b])
    );
    assert_eq!(
        list(json!({"cluster": "main", "startedBy": "nightly"})),
        json!([a, c])
    );
    assert_eq!(
        list(json!({"cluster": "main", "launchType": "EC2", "family": "report"})),
        json!([c])
    );
    let page = ok(
        &sim,
        "ListTasks",
        json!({"cluster": "main", "maxResults": 2}),
    );
    assert_eq!(page["taskArns"], json!([a, b]));
    let rest = ok(
        &sim,
        "ListTasks",
        json!({"cluster": "main", "maxResults": 2, "nextToken": page["nextToken"]}),
    );
    assert_eq!(rest["taskArns"], json!([c]));
    let e = err(
        &sim,
        "ListTasks",
        json!({"cluster": "main", "serviceName": "ghost"}),
    );
    assert_error(&e, "ServiceNotFoundException", "Service not found.");
    let e = err(
        &sim,
        "ListTasks",
        json!({"cluster": "main", "family": "bad family"}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "family must match ^[a-zA-Z0-9\\-_]+$",
    );
    // Service tasks are found by serviceName (and only them).
    create_web(&sim, json!({"desiredCount": 1}));
    sim.advance(Duration::from_secs(1));
    let service_tasks = list(json!({"cluster": "main", "serviceName": "web"}));
    assert_eq!(service_tasks.as_array().map(Vec::len), Some(1));
    let st = ok(
        &sim,
        "DescribeTasks",
        json!({"cluster": "main", "tasks": service_tasks}),
    );
    assert_eq!(st["tasks"][0]["group"], "service:web");
    assert_eq!(
        list(json!({"cluster": "main"})).as_array().map(Vec::len),
        Some(4)
    );

    let id = a.rsplit('/').next().unwrap_or_default().to_owned();
    let d = ok(
        &sim,
        "DescribeTasks",
        json!({"cluster": "main", "tasks": [id, "0000", arn("task/main/ffff")], "include": ["TAGS"]}),
    );
    assert_eq!(d["tasks"][0]["taskArn"], json!(a));
    assert_eq!(d["tasks"][0]["tags"], json!([]));
    assert_eq!(
        d["failures"],
        json!([
            {"arn": arn("task/main/0000"), "reason": "MISSING"},
            {"arn": arn("task/main/ffff"), "reason": "MISSING"},
        ])
    );
    let e = err(
        &sim,
        "DescribeTasks",
        json!({"cluster": "main", "tasks": []}),
    );
    assert_error(&e, "InvalidParameterException", "Tasks cannot be empty.");
}

#[test]
fn stop_task_records_reason_and_user_initiated() {
    let sim = setup();
    ok(&sim, "RegisterTaskDefinition", ec2_td("batch", "busybox"));
    let t = ok(
        &sim,
        "RunTask",
        json!({"cluster": "main", "taskDefinition": "batch"}),
    )["tasks"][0]["taskArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    sim.advance(Duration::from_secs(8));
    let stopped = ok(
        &sim,
        "StopTask",
        json!({"cluster": "main", "task": t, "reason": "deploy cancelled"}),
    )["task"]
        .clone();
    assert_eq!(stopped["desiredStatus"], "STOPPED");
    assert_eq!(stopped["stoppedReason"], "deploy cancelled");
    assert_eq!(stopped["stopCode"], "UserInitiated");
    sim.advance(Duration::from_secs(10));
    let d = ok(
        &sim,
        "DescribeTasks",
        json!({"cluster": "main", "tasks": [t]}),
    );
    assert_eq!(d["tasks"][0]["lastStatus"], "STOPPED");
    assert_eq!(d["tasks"][0]["stoppedReason"], "deploy cancelled");
    let e = err(&sim, "StopTask", json!({"cluster": "main", "task": "nope"}));
    assert_error(
        &e,
        "InvalidParameterException",
        "The referenced task was not found.",
    );
    ok(&sim, "CreateCluster", json!({"clusterName": "other"}));
    let e = err(&sim, "StopTask", json!({"cluster": "other", "task": t}));
    assert_error(
        &e,
        "InvalidParameterException",
        "The referenced task was not found.",
    );
}

// ---- tags -----------------------------------------------------------------------------

#[test]
fn tags_on_every_resource_kind() {
    let sim = setup();
    create_web(&sim, json!({"desiredCount": 0}));
    ok(&sim, "RegisterTaskDefinition", ec2_td("batch", "busybox"));
    let task = ok(
        &sim,
        "RunTask",
        json!({"cluster": "main", "taskDefinition": "batch"}),
    )["tasks"][0]["taskArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for resource in [
        arn("cluster/main"),
        arn("service/main/web"),
        arn("task-definition/web:1"),
        task.clone(),
    ] {
        let tags = |sim: &Sim| {
            ok(sim, "ListTagsForResource", json!({"resourceArn": resource}))["tags"].clone()
        };
        assert_eq!(tags(&sim), json!([]), "{resource}");
        ok(
            &sim,
            "TagResource",
            json!({"resourceArn": resource, "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]}),
        );
        ok(
            &sim,
            "TagResource",
            json!({"resourceArn": resource, "tags": [{"key": "a", "value": "3"}]}),
        );
        assert_eq!(
            tags(&sim),
            json!([{"key": "b", "value": "2"}, {"key": "a", "value": "3"}]),
            "{resource}"
        );
        ok(
            &sim,
            "UntagResource",
            json!({"resourceArn": resource, "tagKeys": ["b", "zzz"]}),
        );
        assert_eq!(
            tags(&sim),
            json!([{"key": "a", "value": "3"}]),
            "{resource}"
        );
    }
    // Tags show up where AWS shows them.
    let d = ok(
        &sim,
        "DescribeTasks",
        json!({"cluster": "main", "tasks": [task], "include": ["TAGS"]}),
    );
    assert_eq!(d["tasks"][0]["tags"], json!([{"key": "a", "value": "3"}]));
    let s = ok(
        &sim,
        "DescribeServices",
        json!({"cluster": "main", "services": ["web"], "include": ["TAGS"]}),
    );
    assert_eq!(
        s["services"][0]["tags"],
        json!([{"key": "a", "value": "3"}])
    );
    for (arn_, code) in [
        (arn("cluster/ghost"), "ClusterNotFoundException"),
        (arn("service/main/ghost"), "InvalidParameterException"),
        (arn("task-definition/ghost:1"), "InvalidParameterException"),
        (arn("task/main/ghost"), "InvalidParameterException"),
        (
            "arn:aws:s3:::bucket".to_owned(),
            "InvalidParameterException",
        ),
    ] {
        let e = err(&sim, "ListTagsForResource", json!({"resourceArn": arn_}));
        assert_eq!(e.code, code, "{arn_}");
    }
    let e = err(
        &sim,
        "TagResource",
        json!({"resourceArn": arn("cluster/main"), "tags": [{"key": "aws:x", "value": "1"}]}),
    );
    assert_error(
        &e,
        "InvalidParameterException",
        "Tag keys starting with 'aws:' are reserved for AWS use.",
    );
}

#[test]
fn dump_shows_clusters_task_definitions_and_services() {
    let sim = setup();
    create_web(&sim, json!({"desiredCount": 0}));
    let state = sim.state();
    let ecs = &state["ecs"];
    assert_eq!(ecs["clusters"][0]["clusterName"], "main");
    assert_eq!(
        ecs["taskDefinitions"],
        json!([{"taskDefinitionArn": arn("task-definition/web:1"), "family": "web", "revision": 1, "status": "ACTIVE"}])
    );
    assert_eq!(ecs["services"][0]["serviceArn"], arn("service/main/web"));
    assert_eq!(ecs["services"][0]["status"], "ACTIVE");
    assert!(ecs["serviceDeployments"].is_array());
}

#[test]
fn dump_says_when_a_service_deployment_became_terminal() {
    let sim = setup();
    create_web(&sim, json!({}));
    let terminal_at = |sim: &Sim| sim.state()["ecs"]["serviceDeployments"][0]["terminalAt"].clone();
    assert_eq!(terminal_at(&sim), Value::Null, "in progress");
    let mut finished = None;
    for _ in 0..600 {
        sim.advance(Duration::from_secs(1));
        let arn = describe_service(&sim, "web")["currentServiceDeployment"].clone();
        let d = ok(
            &sim,
            "DescribeServiceDeployments",
            json!({"serviceDeploymentArns": [arn]}),
        )["serviceDeployments"][0]
            .clone();
        if d["status"] == "SUCCESSFUL" {
            finished = d["finishedAt"].as_f64();
            break;
        }
        assert_eq!(terminal_at(&sim), Value::Null, "{d}");
    }
    let finished = finished.expect("the deployment succeeds within 10 minutes");
    // Later ticks do not move it; a manual clock's wall time is its simulated time.
    sim.advance(Duration::from_secs(30));
    assert_eq!(terminal_at(&sim), json!((finished * 1000.0).round() as i64));
}

#[test]
fn non_object_bodies_and_unknown_operations() {
    let sim = sim();
    let e = err(&sim, "ListClusters", json!([1]));
    assert_eq!(e.code, "SerializationException");
    let e = err(&sim, "PutAccountSetting", json!({}));
    assert_eq!(e.code, "UnknownOperationException");
}

#[test]
fn update_service_starts_a_deployment_only_when_tasks_must_change() {
    let sim = setup();
    create_web(&sim, json!({"healthCheckGracePeriodSeconds": 10}));
    ok(&sim, "RegisterTaskDefinition", fargate_td("web", "nginx:2"));
    let current = |sim: &Sim| {
        let s = describe_service(sim, "web");
        (
            s["currentServiceDeployment"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            s["deployments"][0]["desiredCount"].clone(),
        )
    };
    let (first, desired) = current(&sim);
    assert!(
        first.starts_with(&arn("service-deployment/main/web/")),
        "{first}"
    );
    assert_eq!(desired, 2);
    let update = |body: Value| {
        let mut b = json!({"cluster": "main", "service": "web"});
        for (k, v) in body.as_object().into_iter().flatten() {
            b[k] = v.clone();
        }
        ok(&sim, "UpdateService", b);
        sim.advance(Duration::from_secs(1));
        current(&sim).0
    };
    // No deployment: same values, scaling, configuration-only members.
    let mut last = first.clone();
    for (what, body) in [
        ("same task definition", json!({"taskDefinition": "web:1"})),
        ("same network", json!({"networkConfiguration": network()})),
        ("desired count", json!({"desiredCount": 3})),
        ("grace period", json!({"healthCheckGracePeriodSeconds": 30})),
        (
            "deployment configuration",
            json!({"deploymentConfiguration": {"maximumPercent": 150}}),
        ),
        ("tags propagation", json!({"propagateTags": "SERVICE"})),
    ] {
        assert_eq!(update(body), last, "{what} must not start a deployment");
    }
    assert_eq!(
        current(&sim).1,
        3,
        "the PRIMARY deployment follows desiredCount"
    );
    // A deployment each: new task definition, forced, network, load balancers, ECS Exec.
    for (what, body) in [
        ("new task definition", json!({"taskDefinition": "web"})),
        ("forced", json!({"forceNewDeployment": true})),
        (
            "network",
            json!({"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-9"]}}}),
        ),
        (
            "load balancers",
            json!({"loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1", "containerName": "app", "containerPort": 8080}]}),
        ),
        ("exec", json!({"enableExecuteCommand": true})),
    ] {
        let next = update(body);
        assert_ne!(next, last, "{what} must start a deployment");
        last = next;
    }
    assert_eq!(
        describe_service(&sim, "web")["deployments"][0]["taskDefinition"],
        arn("task-definition/web:2")
    );
}
