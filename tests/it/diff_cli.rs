//! `ecspress diff` end to end: the real binary against a real `ecspress sim` process, the
//! example project (`examples/hello`), and a service created the way another tool would
//! (typed SDK calls, not ecspress).

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition,
    DeploymentCircuitBreaker, DeploymentConfiguration, KeyValuePair, LaunchType, LoadBalancer,
    LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode, PortMapping, TransportProtocol,
};
use serde_json::Value;

use crate::support::sim::{self, SimProcess};
use crate::support::{bin, code, repo, run, stderr, stdout};

const CONFIG: &str = "examples/hello/ecspress.yml";

/// `ecspress --config examples/hello/ecspress.yml ARGS...` against the simulator.
fn ecspress(sim: &SimProcess, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = bin();
    cmd.current_dir(repo())
        .env("AWS_ENDPOINT_URL", &sim.url)
        .args(["--config", CONFIG])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// The rendered example (task definition, service definition), via `ecspress render`.
fn rendered(sim: &SimProcess) -> (Value, Value) {
    let out = ecspress(sim, &[], &["render", "taskdef", "servicedef"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    let docs: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("two JSON documents");
    (docs[0].clone(), docs[1].clone())
}

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} in {v}"))
}

async fn create_cluster(ecs: &aws_sdk_ecs::Client) {
    ecs.create_cluster()
        .cluster_name("hello")
        .send()
        .await
        .expect("create cluster");
}

/// Register the example's task definition and create its service with typed SDK calls, as
/// Terraform or the console would: only what the files say, no ecspress involved.
async fn create_example_directly(sim: &SimProcess) {
    let (td, svc) = rendered(sim);
    let ecs = sim.ecs().await;
    create_cluster(&ecs).await;
    let mut log = LogConfiguration::builder().log_driver(LogDriver::Awslogs);
    for (k, v) in td
        .pointer("/containerDefinitions/0/logConfiguration/options")
        .and_then(Value::as_object)
        .expect("log options")
    {
        log = log.options(k, v.as_str().expect("string option"));
    }
    let container = ContainerDefinition::builder()
        .name("app")
        .image(s(&td, "/containerDefinitions/0/image"))
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .container_port(80)
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .environment(
            KeyValuePair::builder()
                .name("GREETING")
                .value(s(&td, "/containerDefinitions/0/environment/0/value"))
                .build(),
        )
        .log_configuration(log.build().expect("log configuration"))
        .build();
    let arn = ecs
        .register_task_definition()
        .family("hello")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .execution_role_arn(s(&td, "/executionRoleArn"))
        .task_role_arn(s(&td, "/taskRoleArn"))
        .container_definitions(container)
        .send()
        .await
        .expect("register")
        .task_definition
        .and_then(|t| t.task_definition_arn)
        .expect("arn");
    let mut vpc = AwsVpcConfiguration::builder()
        .security_groups(s(
            &svc,
            "/networkConfiguration/awsvpcConfiguration/securityGroups/0",
        ))
        .assign_public_ip(AssignPublicIp::Disabled);
    for subnet in svc
        .pointer("/networkConfiguration/awsvpcConfiguration/subnets")
        .and_then(Value::as_array)
        .expect("subnets")
    {
        vpc = vpc.subnets(subnet.as_str().expect("subnet"));
    }
    ecs.create_service()
        .cluster("hello")
        .service_name("hello")
        .task_definition(arn)
        .launch_type(LaunchType::Fargate)
        .desired_count(2)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .minimum_healthy_percent(100)
                .maximum_percent(200)
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(vpc.build().expect("awsvpc"))
                .build(),
        )
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(s(&svc, "/loadBalancers/0/targetGroupArn"))
                .container_name("app")
                .container_port(80)
                .build(),
        )
        .send()
        .await
        .expect("create service");
}

/// The `-`/`+` lines of a unified diff (headers excluded).
fn changed_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            (l.starts_with('-') && !l.starts_with("---"))
                || (l.starts_with('+') && !l.starts_with("+++"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_that_does_not_exist_yet_diffs_as_all_added() {
    let sim = sim::start(0.01);
    create_cluster(&sim.ecs().await).await;
    let out = ecspress(&sim, &[], &["diff", "--exit-code"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "--- /dev/null (service hello not found in cluster hello)\n+++ examples/hello/ecs-service-def.json\n@@ -0,0 +1,"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "--- /dev/null (no ACTIVE task definition in family hello)\n+++ examples/hello/ecs-task-def.json\n"
        ),
        "{text}"
    );
    // Every body line is an addition.
    for line in text.lines() {
        assert!(
            line.starts_with('+') || line.starts_with("---") || line.starts_with("@@"),
            "not an addition: {line:?}"
        );
    }
    assert!(text.contains("+  \"desiredCount\": 2,"), "{text}");
    // Without --exit-code a difference is still success; nothing was created.
    let out = ecspress(&sim, &[], &["diff"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(sim.calls("CreateService").await, 0);
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 0);
    assert_eq!(sim.calls("DescribeServices").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn deployed_example_has_zero_noise_and_an_image_change_is_one_line() {
    let sim = sim::start(0.01);
    create_example_directly(&sim).await;

    // Zero noise: nothing on stdout, exit 0, a note per side on stderr.
    let out = ecspress(&sim, &[], &["diff", "--exit-code"]);
    assert_eq!(
        code(&out),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.contains("Unchanged service: arn:aws:ecs:us-east-1:123456789012:service/hello/hello"),
        "{err}"
    );
    assert!(
        err.contains(
            "Unchanged task definition: arn:aws:ecs:us-east-1:123456789012:task-definition/hello:1"
        ),
        "{err}"
    );

    // A new image tag through the template's env(): exactly that line changes.
    let env = [("IMAGE_TAG", "1.28")];
    let out = ecspress(&sim, &env, &["diff", "--exit-code"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "--- arn:aws:ecs:us-east-1:123456789012:task-definition/hello:1\n+++ examples/hello/ecs-task-def.json\n@@ "
        ),
        "{text}"
    );
    assert_eq!(
        changed_lines(&text),
        [
            "-      \"image\": \"public.ecr.aws/nginx/nginx:1.27\",",
            "+      \"image\": \"public.ecr.aws/nginx/nginx:1.28\","
        ]
    );
    assert!(!text.contains('\u{1b}'), "NO_COLOR: no escapes");

    // --color always paints it (NO_COLOR is only a default).
    let out = ecspress(&sim, &env, &["--color", "always", "diff"]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).contains("\u{1b}[31m-      \"image\""),
        "{}",
        stdout(&out)
    );

    // --output json: one diff record per side.
    let out = ecspress(&sim, &env, &["--output", "json", "diff", "--exit-code"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let records: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(records[2]["type"], "verdict", "the closing verdict");
    assert_eq!(records[2]["data"]["outcome"], "negative");
    assert_eq!(records[2]["data"]["exit_code"], 1);
    assert_eq!(records[0]["type"], "diff");
    assert_eq!(records[0]["data"]["kind"], "service");
    assert_eq!(records[0]["data"]["changed"], false);
    assert_eq!(records[0]["data"]["changes"], serde_json::json!([]));
    assert_eq!(records[1]["data"]["kind"], "taskdef");
    assert_eq!(records[1]["data"]["changed"], true);
    assert_eq!(
        records[1]["data"]["changes"],
        serde_json::json!([{
            "path": "containerDefinitions[name=app].image",
            "op": "change",
            "from": "public.ecr.aws/nginx/nginx:1.27",
            "to": "public.ecr.aws/nginx/nginx:1.28"
        }])
    );
    assert_eq!(
        changed_lines(records[1]["data"]["unified"].as_str().unwrap_or_default()).len(),
        2
    );

    // --external 'diff -u': the program's output, remote and local files in that order; its
    // exit status 1 ("different") is not an error; --exit-code still reports the difference.
    let out = ecspress(
        &sim,
        &env,
        &["diff", "--external", "diff -u", "--exit-code"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("--- remote/taskdef.json"), "{text}");
    assert!(text.contains("+++ local/taskdef.json"), "{text}");
    assert_eq!(
        changed_lines(&text),
        [
            "-      \"image\": \"public.ecr.aws/nginx/nginx:1.27\",",
            "+      \"image\": \"public.ecr.aws/nginx/nginx:1.28\","
        ]
    );
    let out = ecspress(&sim, &env, &["diff", "--external", "diff -u"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A failing program (exit 2: diff's "trouble") is an error.
    let out = ecspress(&sim, &env, &["diff", "--external", "diff --no-such-flag"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("exit status 2"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_fields_warn_and_strict_fails_before_any_aws_call() {
    let sim = sim::start(0.01);
    create_cluster(&sim.ecs().await).await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("ecspress.yml"),
        "cluster: hello\nservice: hello\nservice_definition: svc.json\ntask_definition: td.json\n",
    )
    .expect("config");
    std::fs::write(dir.path().join("svc.json"), r#"{"launchType": "EC2"}"#).expect("svc");
    std::fs::write(
        dir.path().join("td.json"),
        r#"{"family": "hello", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128, "futureField": 1}]}"#,
    )
    .expect("td");
    let config = dir.path().join("ecspress.yml");
    let diff = |extra: &[&str]| {
        let mut cmd = bin();
        cmd.current_dir(dir.path())
            .env("AWS_ENDPOINT_URL", &sim.url)
            .arg("--config")
            .arg(&config)
            .arg("diff")
            .args(extra);
        run(&mut cmd)
    };
    let out = diff(&["--strict"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("containerDefinitions[0].futureField"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sim.calls("DescribeServices").await, 0, "failed before AWS");
    let out = diff(&[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: td.json: field is not in the AWS API model"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sim.calls("DescribeServices").await, 1);
}
