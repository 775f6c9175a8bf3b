//! `ecspress sim` over HTTP: the real binary serving awsJson1_1 to the AWS SDK for Rust and the
//! AWS CLI, plus the `/_sim/*` control endpoints (faults, alarms, state, reset).

use std::time::Duration;

use aws_sdk_ecs::types::{
    AwsVpcConfiguration, ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration,
    DesiredStatus, KeyValuePair, NetworkConfiguration, PortMapping, Tag,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::json;

use crate::support::sim::{self, SimProcess, aws_cli};

fn container(name: &str, image: &str) -> ContainerDefinition {
    ContainerDefinition::builder()
        .name(name)
        .image(image)
        .port_mappings(PortMapping::builder().container_port(80).build())
        .environment(KeyValuePair::builder().name("A").value("1").build())
        .build()
}

fn network() -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets("subnet-1")
                .security_groups("sg-1")
                .build()
                .unwrap(),
        )
        .build()
}

async fn register(ecs: &aws_sdk_ecs::Client, family: &str, image: &str) -> String {
    ecs.register_task_definition()
        .family(family)
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(container("app", image))
        .send()
        .await
        .expect("register")
        .task_definition
        .unwrap()
        .task_definition_arn
        .unwrap()
}

/// Poll DescribeServices until the PRIMARY deployment's rolloutState is terminal.
async fn wait_rollout(ecs: &aws_sdk_ecs::Client, cluster: &str, service: &str) -> String {
    for _ in 0..400 {
        let out = ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .unwrap();
        let svc = &out.services()[0];
        let primary = svc
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .unwrap();
        let state = primary
            .rollout_state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        if state != "IN_PROGRESS" && svc.deployments().len() == 1 {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("rollout did not finish");
}

#[tokio::test(flavor = "multi_thread")]
async fn ecs_operations_over_http_with_the_sdk() {
    let sim = sim::start(0.005);
    let ecs = sim.ecs().await;

    // Clusters.
    ecs.create_cluster()
        .cluster_name("web")
        .send()
        .await
        .unwrap();
    let clusters = ecs
        .describe_clusters()
        .clusters("web")
        .clusters("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(clusters.clusters()[0].cluster_name(), Some("web"));
    assert_eq!(clusters.failures()[0].reason(), Some("MISSING"));

    // Task definitions: AWS defaults and read-only fields come back.
    let td1 = register(&ecs, "web", "nginx:1").await;
    assert!(td1.ends_with(":task-definition/web:1"), "{td1}");
    let described = ecs
        .describe_task_definition()
        .task_definition("web")
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap();
    let td = described.task_definition().unwrap();
    let c = &td.container_definitions()[0];
    assert_eq!(c.essential(), Some(true));
    assert_eq!(
        c.port_mappings()[0].host_port(),
        Some(80),
        "awsvpc hostPort = containerPort"
    );
    assert_eq!(
        c.port_mappings()[0].protocol().map(|p| p.as_str()),
        Some("tcp")
    );
    assert!(td.registered_at().is_some() && td.revision() == 1);
    let td2 = register(&ecs, "web", "nginx:2").await;
    let listed = ecs
        .list_task_definitions()
        .family_prefix("web")
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.task_definition_arns(), std::slice::from_ref(&td2));
    assert!(listed.next_token().is_some(), "paginated");
    let families = ecs
        .list_task_definition_families()
        .family_prefix("we")
        .send()
        .await
        .unwrap();
    assert_eq!(families.families(), ["web"]);
    let err = ecs
        .describe_task_definition()
        .task_definition("nope:1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClientException"));

    // Services and the rolling deployment.
    let svc = ecs
        .create_service()
        .cluster("web")
        .service_name("api")
        .task_definition(&td1)
        .desired_count(2)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(network())
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .tags(Tag::builder().key("team").value("a").build())
        .send()
        .await
        .unwrap()
        .service
        .unwrap();
    let service_arn = svc.service_arn().unwrap().to_owned();
    assert_eq!(svc.deployments().len(), 1);
    assert_eq!(wait_rollout(&ecs, "web", "api").await, "COMPLETED");
    let listed = ecs.list_services().cluster("web").send().await.unwrap();
    assert_eq!(listed.service_arns(), std::slice::from_ref(&service_arn));
    let tasks = ecs
        .list_tasks()
        .cluster("web")
        .service_name("api")
        .send()
        .await
        .unwrap();
    assert_eq!(tasks.task_arns().len(), 2);
    let described = ecs
        .describe_tasks()
        .cluster("web")
        .set_tasks(Some(tasks.task_arns().to_vec()))
        .send()
        .await
        .unwrap();
    assert!(
        described
            .tasks()
            .iter()
            .all(|t| t.last_status() == Some("RUNNING"))
    );

    ecs.update_service()
        .cluster("web")
        .service("api")
        .task_definition("web")
        .send()
        .await
        .unwrap();
    assert_eq!(wait_rollout(&ecs, "web", "api").await, "COMPLETED");
    let svc = ecs
        .describe_services()
        .cluster("web")
        .services("api")
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone();
    assert_eq!(
        svc.task_definition(),
        Some(td2.as_str()),
        "family resolves to the latest revision"
    );
    assert!(svc.events().iter().any(|e| {
        e.message()
            .unwrap_or("")
            .contains("has reached a steady state")
    }));

    // Service deployments and revisions.
    let deployments = ecs
        .list_service_deployments()
        .cluster("web")
        .service("api")
        .send()
        .await
        .unwrap();
    assert_eq!(deployments.service_deployments().len(), 2);
    let newest = &deployments.service_deployments()[0];
    assert_eq!(newest.status().map(|s| s.as_str()), Some("SUCCESSFUL"));
    let full = ecs
        .describe_service_deployments()
        .service_deployment_arns(newest.service_deployment_arn().unwrap())
        .send()
        .await
        .unwrap();
    let target = full.service_deployments()[0]
        .target_service_revision()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let revisions = ecs
        .describe_service_revisions()
        .service_revision_arns(&target)
        .send()
        .await
        .unwrap();
    assert_eq!(
        revisions.service_revisions()[0].task_definition(),
        Some(td2.as_str())
    );

    // StopServiceDeployment(ROLLBACK) on an in-flight (slow) deployment.
    let td3 = register(&ecs, "web", "nginx:3-slow").await;
    ecs.update_service()
        .cluster("web")
        .service("api")
        .task_definition(&td3)
        .send()
        .await
        .unwrap();
    let current = ecs
        .describe_services()
        .cluster("web")
        .services("api")
        .send()
        .await
        .unwrap()
        .services()[0]
        .current_service_deployment()
        .unwrap()
        .to_owned();
    ecs.stop_service_deployment()
        .service_deployment_arn(&current)
        .stop_type(aws_sdk_ecs::types::StopServiceDeploymentStopType::Rollback)
        .send()
        .await
        .unwrap();
    for _ in 0..400 {
        let d = ecs
            .describe_service_deployments()
            .service_deployment_arns(&current)
            .send()
            .await
            .unwrap();
        if d.service_deployments()[0].status().map(|s| s.as_str()) == Some("ROLLBACK_SUCCESSFUL") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let d = ecs
        .describe_service_deployments()
        .service_deployment_arns(&current)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.service_deployments()[0].status().map(|s| s.as_str()),
        Some("ROLLBACK_SUCCESSFUL")
    );

    // RunTask: the container exit code comes from the image tag.
    let job = register(&ecs, "job", "busybox:exit3").await;
    let run = ecs
        .run_task()
        .cluster("web")
        .task_definition(&job)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(network())
        .send()
        .await
        .unwrap();
    let task_arn = run.tasks()[0].task_arn().unwrap().to_owned();
    let mut exit = None;
    for _ in 0..400 {
        let t = ecs
            .describe_tasks()
            .cluster("web")
            .tasks(&task_arn)
            .send()
            .await
            .unwrap();
        if t.tasks()[0].last_status() == Some("STOPPED") {
            exit = t.tasks()[0].containers()[0].exit_code();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(exit, Some(3));
    let stopped = ecs
        .list_tasks()
        .cluster("web")
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await
        .unwrap();
    assert!(stopped.task_arns().contains(&task_arn));
    let running = ecs
        .list_tasks()
        .cluster("web")
        .service_name("api")
        .send()
        .await
        .unwrap();
    let stop = ecs
        .stop_task()
        .cluster("web")
        .task(&running.task_arns()[0])
        .reason("test")
        .send()
        .await
        .unwrap();
    assert_eq!(stop.task().unwrap().stopped_reason(), Some("test"));

    // Tags.
    ecs.tag_resource()
        .resource_arn(&service_arn)
        .tags(Tag::builder().key("env").value("dev").build())
        .send()
        .await
        .unwrap();
    ecs.untag_resource()
        .resource_arn(&service_arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = ecs
        .list_tags_for_resource()
        .resource_arn(&service_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags()
            .iter()
            .map(|t| t.key().unwrap())
            .collect::<Vec<_>>(),
        ["env"]
    );

    // Deregister and delete.
    ecs.deregister_task_definition()
        .task_definition(&td1)
        .send()
        .await
        .unwrap();
    let deleted = ecs
        .delete_task_definitions()
        .task_definitions(&td1)
        .task_definitions(&td2)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.task_definitions().len(), 1, "only the INACTIVE one");
    assert_eq!(deleted.failures().len(), 1, "the ACTIVE one is a failure");
    ecs.update_service()
        .cluster("web")
        .service("api")
        .desired_count(0)
        .send()
        .await
        .unwrap();
    ecs.delete_service()
        .cluster("web")
        .service("api")
        .send()
        .await
        .unwrap();
    let err = ecs
        .update_service()
        .cluster("web")
        .service("missing")
        .desired_count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ServiceNotFoundException"));
    let err = ecs
        .create_service()
        .cluster("nope")
        .service_name("x")
        .task_definition(&td2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ClusterNotFoundException"));
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_alarms_state_and_reset() {
    let sim = sim::start(0.005);
    let ecs = sim.ecs().await;
    ecs.create_cluster().cluster_name("f").send().await.unwrap();

    // Throttling answers ThrottlingException the way AWS does.
    sim.control(
        "/_sim/faults",
        json!({"throttle_tps": 1, "operations": ["DescribeClusters"]}),
    )
    .await;
    let mut throttled = None;
    for _ in 0..5 {
        if let Err(e) = ecs.describe_clusters().clusters("f").send().await {
            throttled = Some(e);
            break;
        }
    }
    let e = throttled.expect("a burst over 1 TPS is throttled");
    assert_eq!(e.code(), Some("ThrottlingException"));
    ecs.list_task_definitions()
        .send()
        .await
        .expect("other operations are not throttled");

    // Injected server errors.
    sim.control("/_sim/faults", json!({"error_rate": 1.0}))
        .await;
    let e = ecs.list_task_definitions().send().await.unwrap_err();
    assert_eq!(e.code(), Some("ServerException"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 500);

    // Latency beyond the client's attempt timeout.
    sim.control("/_sim/faults", json!({"latency_ms": 1500}))
        .await;
    let cfg = sim
        .sdk_config(1)
        .await
        .into_builder()
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(300))
                .build(),
        )
        .build();
    let slow = aws_sdk_ecs::Client::new(&cfg);
    let e = slow.list_task_definitions().send().await.unwrap_err();
    assert!(format!("{e:?}").to_lowercase().contains("timeout"), "{e:?}");
    sim.control("/_sim/faults", json!({})).await;

    // Counters count every call, faulted or not.
    assert!(sim.calls("DescribeClusters").await >= 2);
    let bad = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.url))
        .body(r#"{"throttle": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400, "unknown fault keys are refused");

    // Alarms and state.
    sim.control("/_sim/alarms", json!({"name": "api-5xx", "state": "ALARM"}))
        .await;
    let state = sim.state().await;
    assert_eq!(state["alarms"]["api-5xx"], "ALARM");
    sim.control("/_sim/reset", json!({})).await;
    let e = ecs.describe_clusters().clusters("f").send().await.unwrap();
    assert_eq!(e.failures().len(), 1, "reset dropped the cluster");
}

#[test]
fn aws_cli_agrees_with_the_wire_format() {
    let sim: SimProcess = sim::start(0.005);
    let dir = tempfile::tempdir().unwrap();
    let td = dir.path().join("td.json");
    std::fs::write(
        &td,
        json!({
            "family": "cli", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "nginx:1", "portMappings": [{"containerPort": 80}]}]
        })
        .to_string(),
    )
    .unwrap();
    let ok = |r: (i32, String, String)| {
        assert_eq!(r.0, 0, "aws failed: {}", r.2);
        if r.1.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str::<serde_json::Value>(&r.1).unwrap()
        }
    };
    ok(aws_cli(
        &sim,
        &["ecs", "create-cluster", "--cluster-name", "cli"],
    ));
    let reg = ok(aws_cli(
        &sim,
        &[
            "ecs",
            "register-task-definition",
            "--cli-input-json",
            &format!("file://{}", td.display()),
        ],
    ));
    assert_eq!(
        reg["taskDefinition"]["containerDefinitions"][0]["portMappings"][0]["hostPort"],
        80
    );
    let net = "awsvpcConfiguration={subnets=[subnet-1],securityGroups=[sg-1]}";
    ok(aws_cli(
        &sim,
        &[
            "ecs",
            "create-service",
            "--cluster",
            "cli",
            "--service-name",
            "web",
            "--task-definition",
            "cli",
            "--desired-count",
            "2",
            "--launch-type",
            "FARGATE",
            "--network-configuration",
            net,
        ],
    ));
    ok(aws_cli(
        &sim,
        &[
            "ecs",
            "register-task-definition",
            "--cli-input-json",
            &format!("file://{}", td.display()),
        ],
    ));
    ok(aws_cli(
        &sim,
        &[
            "ecs",
            "update-service",
            "--cluster",
            "cli",
            "--service",
            "web",
            "--task-definition",
            "cli:2",
        ],
    ));
    std::thread::sleep(Duration::from_secs(1));
    ok(aws_cli(
        &sim,
        &[
            "ecs",
            "wait",
            "services-stable",
            "--cluster",
            "cli",
            "--services",
            "web",
        ],
    ));
    let services = ok(aws_cli(
        &sim,
        &[
            "ecs",
            "describe-services",
            "--cluster",
            "cli",
            "--services",
            "web",
        ],
    ));
    assert!(
        services["services"][0]["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("cli:2")
    );
    let list = ok(aws_cli(
        &sim,
        &[
            "ecs",
            "list-service-deployments",
            "--cluster",
            "cli",
            "--service",
            "web",
        ],
    ));
    let statuses: Vec<&str> = list["serviceDeployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["SUCCESSFUL", "SUCCESSFUL"]);
}

/// Poll until `f` returns Some, at most ~10 s real.
async fn until<T, F, Fut>(mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..400 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached");
}

#[tokio::test(flavor = "multi_thread")]
async fn native_blue_green_pause_hook_and_continue() {
    use aws_sdk_ecs::types::{
        DeploymentLifecycleHook, DeploymentLifecycleHookStage, DeploymentLifecycleHookTargetType,
        DeploymentStrategy,
    };
    let sim = sim::start(0.005);
    let ecs = sim.ecs().await;
    ecs.create_cluster()
        .cluster_name("bg")
        .send()
        .await
        .unwrap();
    let td1 = register(&ecs, "bg", "nginx:1").await;
    ecs.create_service()
        .cluster("bg")
        .service_name("web")
        .task_definition(&td1)
        .desired_count(2)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(network())
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .strategy(DeploymentStrategy::BlueGreen)
                .bake_time_in_minutes(1)
                .lifecycle_hooks(
                    DeploymentLifecycleHook::builder()
                        .target_type(DeploymentLifecycleHookTargetType::Pause)
                        .lifecycle_stages(DeploymentLifecycleHookStage::PostTestTrafficShift)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let td2 = register(&ecs, "bg", "nginx:2").await;
    ecs.update_service()
        .cluster("bg")
        .service("web")
        .task_definition(&td2)
        .send()
        .await
        .unwrap();
    let arn = ecs
        .describe_services()
        .cluster("bg")
        .services("web")
        .send()
        .await
        .unwrap()
        .services()[0]
        .current_service_deployment()
        .unwrap()
        .to_owned();
    let hook_id = until(|| {
        let ecs = ecs.clone();
        let arn = arn.clone();
        async move {
            let d = ecs
                .describe_service_deployments()
                .service_deployment_arns(&arn)
                .send()
                .await
                .unwrap();
            let sd = &d.service_deployments()[0];
            sd.lifecycle_hook_details()
                .iter()
                .find(|h| h.status().map(|s| s.as_str()) == Some("AWAITING_ACTION"))
                .and_then(|h| h.hook_id().map(str::to_owned))
        }
    })
    .await;
    let d = ecs
        .describe_service_deployments()
        .service_deployment_arns(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.service_deployments()[0]
            .lifecycle_stage()
            .map(|s| s.as_str()),
        Some("POST_TEST_TRAFFIC_SHIFT")
    );
    ecs.continue_service_deployment()
        .service_deployment_arn(&arn)
        .hook_id(&hook_id)
        .send()
        .await
        .unwrap();
    let status = until(|| {
        let ecs = ecs.clone();
        let arn = arn.clone();
        async move {
            let d = ecs
                .describe_service_deployments()
                .service_deployment_arns(&arn)
                .send()
                .await
                .unwrap();
            let s = d.service_deployments()[0]
                .status()
                .map(|s| s.as_str().to_owned())?;
            (s != "IN_PROGRESS" && s != "PENDING").then_some(s)
        }
    })
    .await;
    assert_eq!(status, "SUCCESSFUL");
}

#[tokio::test(flavor = "multi_thread")]
async fn codedeploy_operations_over_http_with_the_sdk() {
    use aws_sdk_codedeploy::types::{
        AppSpecContent, ComputePlatform, DeploymentOption, DeploymentStatus, DeploymentStyle,
        DeploymentType, EcsService, RevisionLocation, RevisionLocationType,
    };
    let sim = sim::start(0.005);
    let ecs = sim.ecs().await;
    let cd = sim.codedeploy().await;
    ecs.create_cluster()
        .cluster_name("cd")
        .send()
        .await
        .unwrap();
    let td1 = register(&ecs, "cd", "nginx:1").await;
    ecs.create_service()
        .cluster("cd")
        .service_name("web")
        .task_definition(&td1)
        .desired_count(2)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(network())
        .deployment_controller(
            aws_sdk_ecs::types::DeploymentController::builder()
                .r#type(aws_sdk_ecs::types::DeploymentControllerType::CodeDeploy)
                .build()
                .unwrap(),
        )
        .load_balancers(
            aws_sdk_ecs::types::LoadBalancer::builder()
                .target_group_arn(
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
                )
                .container_name("app")
                .container_port(80)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let sets = ecs
        .describe_task_sets()
        .cluster("cd")
        .service("web")
        .send()
        .await
        .unwrap();
    assert_eq!(sets.task_sets().len(), 1);
    assert_eq!(sets.task_sets()[0].status(), Some("PRIMARY"));
    let td2 = register(&ecs, "cd", "nginx:2").await;
    let err = ecs
        .update_service()
        .cluster("cd")
        .service("web")
        .task_definition(&td2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some("InvalidParameterException"),
        "CODE_DEPLOY refuses a new task definition"
    );

    cd.create_application()
        .application_name("app")
        .compute_platform(ComputePlatform::Ecs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        cd.get_application()
            .application_name("app")
            .send()
            .await
            .unwrap()
            .application()
            .unwrap()
            .application_name(),
        Some("app")
    );
    assert_eq!(
        cd.list_applications().send().await.unwrap().applications(),
        ["app"]
    );
    assert_eq!(
        cd.batch_get_applications()
            .application_names("app")
            .send()
            .await
            .unwrap()
            .applications_info()
            .len(),
        1
    );
    cd.create_deployment_group()
        .application_name("app")
        .deployment_group_name("dg")
        .service_role_arn("arn:aws:iam::123456789012:role/cd")
        .deployment_config_name("CodeDeployDefault.ECSAllAtOnce")
        .ecs_services(
            EcsService::builder()
                .cluster_name("cd")
                .service_name("web")
                .build(),
        )
        .deployment_style(
            DeploymentStyle::builder()
                .deployment_type(DeploymentType::BlueGreen)
                .deployment_option(DeploymentOption::WithTrafficControl)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        cd.get_deployment_group()
            .application_name("app")
            .deployment_group_name("dg")
            .send()
            .await
            .unwrap()
            .deployment_group_info()
            .is_some()
    );
    assert_eq!(
        cd.list_deployment_groups()
            .application_name("app")
            .send()
            .await
            .unwrap()
            .deployment_groups(),
        ["dg"]
    );
    assert_eq!(
        cd.batch_get_deployment_groups()
            .application_name("app")
            .deployment_group_names("dg")
            .send()
            .await
            .unwrap()
            .deployment_groups_info()
            .len(),
        1
    );
    let appspec = format!(
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"{td2}\"\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 80\n"
    );
    let dep = cd
        .create_deployment()
        .application_name("app")
        .deployment_group_name("dg")
        .revision(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::AppSpecContent)
                .app_spec_content(AppSpecContent::builder().content(appspec).build())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .deployment_id
        .unwrap();
    let status = until(|| {
        let cd = cd.clone();
        let dep = dep.clone();
        async move {
            let d = cd
                .get_deployment()
                .deployment_id(&dep)
                .send()
                .await
                .unwrap();
            let s = d.deployment_info()?.status()?.clone();
            matches!(
                s,
                DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
            )
            .then_some(s)
        }
    })
    .await;
    assert_eq!(status, DeploymentStatus::Succeeded);
    assert_eq!(
        cd.list_deployments()
            .application_name("app")
            .deployment_group_name("dg")
            .send()
            .await
            .unwrap()
            .deployments(),
        std::slice::from_ref(&dep)
    );
    let targets = cd
        .list_deployment_targets()
        .deployment_id(&dep)
        .send()
        .await
        .unwrap();
    assert_eq!(targets.target_ids(), ["cd:web"]);
    let batch = cd
        .batch_get_deployment_targets()
        .deployment_id(&dep)
        .target_ids("cd:web")
        .send()
        .await
        .unwrap();
    let events: Vec<String> = batch.deployment_targets()[0]
        .ecs_target()
        .unwrap()
        .lifecycle_events()
        .iter()
        .map(|e| {
            format!(
                "{}={}",
                e.lifecycle_event_name().unwrap(),
                e.status().unwrap().as_str()
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            "BeforeInstall=Succeeded",
            "Install=Succeeded",
            "AfterInstall=Succeeded",
            "AllowTestTraffic=Succeeded",
            "AfterAllowTestTraffic=Succeeded",
            "BeforeAllowTraffic=Succeeded",
            "AllowTraffic=Succeeded",
            "AfterAllowTraffic=Succeeded",
        ]
    );
    let one = cd
        .get_deployment_target()
        .deployment_id(&dep)
        .target_id("cd:web")
        .send()
        .await
        .unwrap();
    assert!(one.deployment_target().unwrap().ecs_target().is_some());
    let svc = ecs
        .describe_services()
        .cluster("cd")
        .services("web")
        .send()
        .await
        .unwrap()
        .services()[0]
        .clone();
    assert_eq!(svc.task_definition(), Some(td2.as_str()));

    // Stop an in-flight deployment with rollback; Continue on a non-Ready deployment is refused.
    let td3 = register(&ecs, "cd", "nginx:3-slow").await;
    let appspec3 = format!(
        r#"{{"version": 0.0, "Resources": [{{"TargetService": {{"Type": "AWS::ECS::Service", "Properties": {{"TaskDefinition": "{td3}", "LoadBalancerInfo": {{"ContainerName": "app", "ContainerPort": 80}}}}}}}}]}}"#
    );
    let dep3 = cd
        .create_deployment()
        .application_name("app")
        .deployment_group_name("dg")
        .revision(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::AppSpecContent)
                .app_spec_content(AppSpecContent::builder().content(appspec3).build())
                .build(),
        )
        .send()
        .await
        .unwrap()
        .deployment_id
        .unwrap();
    let e = cd
        .continue_deployment()
        .deployment_id(&dep3)
        .deployment_wait_type(aws_sdk_codedeploy::types::DeploymentWaitType::ReadyWait)
        .send()
        .await
        .unwrap_err();
    assert!(e.code().is_some(), "{e:?}");
    cd.stop_deployment()
        .deployment_id(&dep3)
        .auto_rollback_enabled(true)
        .send()
        .await
        .unwrap();
    let status = until(|| {
        let cd = cd.clone();
        let dep3 = dep3.clone();
        async move {
            let d = cd
                .get_deployment()
                .deployment_id(&dep3)
                .send()
                .await
                .unwrap();
            let s = d.deployment_info()?.status()?.clone();
            matches!(
                s,
                DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
            )
            .then_some(s)
        }
    })
    .await;
    assert_eq!(status, DeploymentStatus::Stopped);
    let e = cd
        .get_deployment_group()
        .application_name("app")
        .deployment_group_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("DeploymentGroupDoesNotExistException"));
}
