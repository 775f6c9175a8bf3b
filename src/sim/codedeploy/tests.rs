//! CodeDeploy scenario tests, in-process with a manual clock, driven through `Sim::call`
//! exactly as clients drive the simulator. Each scenario samples what a watcher polling
//! GetDeployment + GetDeploymentTarget once per simulated second would see, and asserts the
//! exact sequence of distinct states (with the second at which each first appears).

use std::time::Duration;

use serde_json::{Value, json};

use crate::sim::{ApiError, CODEDEPLOY_TARGET_PREFIX, Clock, ECS_TARGET_PREFIX, Sim, SimOptions};

const T0_MS: i64 = 1_800_000_000_000;
const ROLE: &str = "arn:aws:iam::123456789012:role/codedeploy";
const TG_BLUE: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef";
const PROD_LISTENER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/prod";
const TEST_LISTENER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/test";

fn ecs(sim: &Sim, op: &str, body: Value) -> Value {
    sim.call(&format!("{ECS_TARGET_PREFIX}{op}"), &body)
        .unwrap_or_else(|e| panic!("{op} {body}: {e}"))
}

fn call(sim: &Sim, op: &str, body: Value) -> Result<Value, ApiError> {
    sim.call(&format!("{CODEDEPLOY_TARGET_PREFIX}{op}"), &body)
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

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
    base
}

fn register(sim: &Sim, image: &str) -> String {
    let td = ecs(
        sim,
        "RegisterTaskDefinition",
        json!({
            "family": "web",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{"name": "app", "image": image, "portMappings": [{"containerPort": 8080}]}],
        }),
    );
    td["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .expect("RegisterTaskDefinition returns an ARN")
        .to_owned()
}

/// Cluster `main`, CODE_DEPLOY service `web` (nginx:1, `desired` tasks behind `web-blue`) at
/// steady state, CodeDeploy application `app`. Returns the sim and the first task definition.
fn setup(desired: i64) -> (Sim, String) {
    let sim = Sim::new(SimOptions::default(), Clock::manual(T0_MS));
    ecs(&sim, "CreateCluster", json!({"clusterName": "main"}));
    let td1 = register(&sim, "nginx:1");
    ecs(
        &sim,
        "CreateService",
        json!({
            "cluster": "main",
            "serviceName": "web",
            "taskDefinition": td1,
            "desiredCount": desired,
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}},
            "deploymentController": {"type": "CODE_DEPLOY"},
            "loadBalancers": [{"targetGroupArn": TG_BLUE, "containerName": "app", "containerPort": 8080}],
        }),
    );
    ok(
        &sim,
        "CreateApplication",
        json!({"applicationName": "app", "computePlatform": "ECS"}),
    );
    sim.advance(Duration::from_secs(20));
    (sim, td1)
}

fn group_body(extra: Value) -> Value {
    merge(
        json!({
            "applicationName": "app",
            "deploymentGroupName": "dg",
            "serviceRoleArn": ROLE,
            "ecsServices": [{"clusterName": "main", "serviceName": "web"}],
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "loadBalancerInfo": {"targetGroupPairInfoList": [{
                "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
                "prodTrafficRoute": {"listenerArns": [PROD_LISTENER]},
                "testTrafficRoute": {"listenerArns": [TEST_LISTENER]},
            }]},
        }),
        extra,
    )
}

fn create_group(sim: &Sim, extra: Value) {
    ok(sim, "CreateDeploymentGroup", group_body(extra));
}

fn appspec_yaml(td: &str) -> String {
    format!(
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"{td}\"\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 8080\nHooks:\n  - AfterAllowTestTraffic: smoke-test\n"
    )
}

fn appspec_json(td: &str) -> String {
    format!(
        r#"{{"version": 0.0, "Resources": [{{"TargetService": {{"Type": "AWS::ECS::Service", "Properties": {{"TaskDefinition": "{td}", "LoadBalancerInfo": {{"ContainerName": "app", "ContainerPort": 8080}}}}}}}}]}}"#
    )
}

fn deployment_body(content: &str, extra: Value) -> Value {
    merge(
        json!({
            "applicationName": "app",
            "deploymentGroupName": "dg",
            "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
        }),
        extra,
    )
}

fn deploy(sim: &Sim, content: &str, extra: Value) -> String {
    ok(sim, "CreateDeployment", deployment_body(content, extra))["deploymentId"]
        .as_str()
        .expect("CreateDeployment returns an id")
        .to_owned()
}

fn info(sim: &Sim, id: &str) -> Value {
    ok(sim, "GetDeployment", json!({"deploymentId": id}))["deploymentInfo"].clone()
}

fn target(sim: &Sim, id: &str) -> Value {
    ok(
        sim,
        "GetDeploymentTarget",
        json!({"deploymentId": id, "targetId": "main:web"}),
    )["deploymentTarget"]["ecsTarget"]
        .clone()
}

fn service(sim: &Sim) -> Value {
    ecs(
        sim,
        "DescribeServices",
        json!({"cluster": "main", "services": ["web"]}),
    )["services"][0]
        .clone()
}

/// One letter per lifecycle event status.
fn code(status: &str) -> char {
    match status {
        "Pending" => '.',
        "InProgress" => 'I',
        "Succeeded" => 'S',
        "Failed" => 'F',
        "Skipped" => 'K',
        _ => '?',
    }
}

/// What a watcher sees now: `status events target-status Blue=w Green=w`.
fn sample(sim: &Sim, id: &str) -> String {
    let status = info(sim, id)["status"].as_str().unwrap_or("?").to_owned();
    let t = match call(
        sim,
        "GetDeploymentTarget",
        json!({"deploymentId": id, "targetId": "main:web"}),
    ) {
        Err(e) if e.code == "DeploymentNotStartedException" => return status,
        Err(e) => panic!("GetDeploymentTarget: {e}"),
        Ok(t) => t["deploymentTarget"]["ecsTarget"].clone(),
    };
    let events: String = t["lifecycleEvents"]
        .as_array()
        .map(|es| {
            es.iter()
                .map(|e| code(e["status"].as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let sets: Vec<String> = t["taskSetsInfo"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|s| {
                    format!(
                        "{}={}",
                        s["taskSetLabel"].as_str().unwrap_or("?"),
                        s["trafficWeight"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{status} {events} {} {}",
        t["status"].as_str().unwrap_or("?"),
        sets.join(" ")
    )
}

/// `terminalAt` of deployment `id` in `/_sim/state`.
fn state_terminal_at(sim: &Sim, id: &str) -> Value {
    let state = sim.state();
    let found = state["codedeploy"]["deployments"]
        .as_array()
        .and_then(|l| l.iter().find(|d| d["deploymentInfo"]["deploymentId"] == id))
        .cloned();
    found.map_or(Value::String("missing".into()), |d| d["terminalAt"].clone())
}

fn is_terminal(s: &str) -> bool {
    s.starts_with("Succeeded") || s.starts_with("Failed") || s.starts_with("Stopped")
}

/// Poll every simulated second from now until `until` holds (or `limit_secs`), returning
/// the distinct samples prefixed with the seconds elapsed since `t0_ms`.
fn watch_until(
    sim: &Sim,
    id: &str,
    t0_ms: i64,
    limit_secs: u64,
    until: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut last = String::new();
    for _ in 0..=limit_secs {
        let s = sample(sim, id);
        if s != last {
            let t = (sim.clock().now() - t0_ms) / 1000;
            seen.push(format!("{t:>4} {s}"));
            last = s.clone();
        }
        if until(&s) {
            return seen;
        }
        sim.advance(Duration::from_secs(1));
    }
    panic!("{id} did not reach the expected state in {limit_secs} s: {seen:#?}");
}

fn watch(sim: &Sim, id: &str, t0_ms: i64, limit_secs: u64) -> Vec<String> {
    watch_until(sim, id, t0_ms, limit_secs, is_terminal)
}

/// `(status, task definition family:revision)` of the service's task sets, oldest first
/// (DescribeServices has no traffic weights: CodeDeploy's deployment target reports them).
fn task_sets(sim: &Sim) -> Vec<(String, String)> {
    let svc = service(sim);
    svc["taskSets"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|t| {
                    (
                        t["status"].as_str().unwrap_or("?").to_owned(),
                        t["taskDefinition"]
                            .as_str()
                            .unwrap_or("?")
                            .rsplit('/')
                            .next()
                            .unwrap_or("?")
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set(status: &str, td: &str) -> (String, String) {
    (status.to_owned(), td.to_owned())
}

/// Service events, oldest first, with task ids and task set ids replaced by placeholders.
fn service_events(sim: &Sim, blue: &str, green: &str) -> Vec<String> {
    let svc = service(sim);
    let mut out: Vec<String> = svc["events"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    out.reverse();
    out.into_iter()
        .map(|m| {
            let m = m.replace(blue, "BLUE").replace(green, "GREEN");
            // (task 0123abcd...) → (task *)
            let mut s = String::new();
            let mut rest = m.as_str();
            while let Some(i) = rest.find("(task ") {
                s.push_str(&rest[..i]);
                s.push_str("(task *)");
                rest = rest[i..].split_once(')').map_or("", |(_, r)| r);
            }
            s.push_str(rest);
            s
        })
        .collect()
}

fn green_and_blue(sim: &Sim, id: &str) -> (String, String) {
    let t = target(sim, id);
    let find = |label: &str| {
        t["taskSetsInfo"]
            .as_array()
            .and_then(|l| l.iter().find(|s| s["taskSetLabel"] == label))
            .and_then(|s| s["identifer"].as_str())
            .unwrap_or("")
            .to_owned()
    };
    (find("Blue"), find("Green"))
}

// ---- scenarios ------------------------------------------------------------------------

#[test]
fn all_at_once_deployment_walks_every_lifecycle_event_and_replaces_blue() {
    let (sim, _) = setup(2);
    create_group(
        &sim,
        json!({"deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce"}),
    );
    let td2 = register(&sim, "nginx:2");
    let t0 = sim.clock().now();
    let id = deploy(&sim, &appspec_yaml(&td2), json!({"description": "v2"}));
    assert_eq!(
        watch(&sim, &id, t0, 120),
        [
            "   0 Created",
            "   1 InProgress I....... InProgress Blue=100.0",
            "   2 InProgress SI...... InProgress Blue=100.0 Green=0.0",
            // Green tasks: PROVISIONING 2 s, PENDING 4 s, RUNNING + healthy after 5 s.
            "  13 InProgress SSI..... InProgress Blue=100.0 Green=0.0",
            "  14 InProgress SSSI.... InProgress Blue=100.0 Green=0.0",
            "  15 InProgress SSSSI... InProgress Blue=100.0 Green=0.0",
            "  16 InProgress SSSSSI.. InProgress Blue=100.0 Green=0.0",
            "  17 InProgress SSSSSSI. InProgress Blue=0.0 Green=100.0",
            "  18 InProgress SSSSSSSI InProgress Blue=0.0 Green=100.0",
            "  19 Succeeded SSSSSSSS Succeeded Blue=0.0 Green=100.0",
        ]
    );
    let d = info(&sim, &id);
    assert_eq!(d["creator"], "user");
    assert_eq!(d["description"], "v2");
    assert_eq!(d["deploymentConfigName"], "CodeDeployDefault.ECSAllAtOnce");
    assert_eq!(d["computePlatform"], "ECS");
    assert_eq!(d["createTime"], json!(1_800_000_020.0));
    assert_eq!(d["startTime"], json!(1_800_000_021.0));
    assert_eq!(d["completeTime"], json!(1_800_000_039.0));
    assert_eq!(
        d["deploymentOverview"],
        json!({"Pending": 0, "InProgress": 0, "Succeeded": 1, "Failed": 0, "Skipped": 0, "Ready": 0})
    );
    assert!(d.get("errorInformation").is_none() && d.get("rollbackInfo").is_none());
    assert_eq!(d["instanceTerminationWaitTimeStarted"], true);
    assert_eq!(d["revision"]["revisionType"], "AppSpecContent");

    // The target: timestamps per event, the Green task set on the other target group.
    let t = target(&sim, &id);
    assert_eq!(t["targetId"], "main:web");
    assert_eq!(t["targetArn"], service(&sim)["serviceArn"]);
    assert_eq!(t["lifecycleEvents"][1]["lifecycleEventName"], "Install");
    assert_eq!(t["lifecycleEvents"][1]["startTime"], json!(1_800_000_022.0));
    assert_eq!(t["lifecycleEvents"][1]["endTime"], json!(1_800_000_033.0));
    let green = &t["taskSetsInfo"][1];
    assert_eq!(green["taskSetLabel"], "Green");
    assert_eq!(green["targetGroup"], json!({"name": "web-green"}));
    assert_eq!(
        (
            green["desiredCount"].as_i64(),
            green["runningCount"].as_i64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(
        t["taskSetsInfo"][0]["targetGroup"],
        json!({"name": "web-blue"})
    );

    // ECS side: green PRIMARY with the new task definition; blue drains, then is gone.
    assert_eq!(service(&sim)["taskDefinition"], td2.as_str());
    assert_eq!(
        task_sets(&sim),
        [set("DRAINING", "web:1"), set("PRIMARY", "web:2")]
    );
    let (blue, green) = green_and_blue(&sim, &id);
    sim.advance(Duration::from_secs(10));
    assert_eq!(task_sets(&sim), [set("PRIMARY", "web:2")]);
    let svc = service(&sim);
    assert_eq!(
        (svc["runningCount"].as_i64(), svc["pendingCount"].as_i64()),
        (Some(2), Some(0))
    );
    let ts = &svc["taskSets"][0];
    assert_eq!(ts["id"], green.as_str());
    assert_eq!(ts["externalId"], id.as_str());
    assert_eq!(ts["startedBy"], "CODE_DEPLOY");
    assert_eq!(ts["stabilityStatus"], "STEADY_STATE");
    assert_eq!(ts["scale"], json!({"value": 100.0, "unit": "PERCENT"}));
    assert_eq!(
        ts["loadBalancers"][0]["targetGroupArn"]
            .as_str()
            .and_then(|a| a.split('/').nth(1)),
        Some("web-green")
    );
    let running = ecs(
        &sim,
        "ListTasks",
        json!({"cluster": "main", "serviceName": "web", "desiredStatus": "RUNNING"}),
    );
    let arns = running["taskArns"].as_array().cloned().unwrap_or_default();
    let tasks = ecs(
        &sim,
        "DescribeTasks",
        json!({"cluster": "main", "tasks": arns}),
    );
    let tds: Vec<&str> = tasks["tasks"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|t| t["taskDefinitionArn"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(tds, [td2.as_str(), td2.as_str()]);
    assert_eq!(tasks["tasks"][0]["startedBy"], green.as_str());
    assert_eq!(
        service_events(&sim, &blue, &green),
        [
            "(service web, taskSet BLUE) has started 2 tasks: (task *) (task *).".to_owned(),
            format!("(service web, taskSet BLUE) registered 2 targets in (target-group {TG_BLUE})"),
            "(service web) has reached a steady state.".to_owned(),
            "(service web, taskSet GREEN) has started 2 tasks: (task *) (task *).".to_owned(),
            format!(
                "(service web, taskSet GREEN) registered 2 targets in (target-group {})",
                green_tg_arn(&sim)
            ),
            "(service web) has reached a steady state.".to_owned(),
            "(service web, taskSet BLUE) has stopped 2 running tasks: (task *) (task *)."
                .to_owned(),
            "(service web) has reached a steady state.".to_owned(),
        ]
    );
}

fn green_tg_arn(sim: &Sim) -> String {
    service(sim)["taskSets"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|t| t["status"] == "PRIMARY" || t["status"] == "ACTIVE")
        })
        .and_then(|t| t["loadBalancers"][0]["targetGroupArn"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn linear_and_canary_configs_move_traffic_weights_over_time() {
    for (config, want) in [
        (
            "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
            vec![
                (0, 10.0),
                (60, 20.0),
                (120, 30.0),
                (180, 40.0),
                (240, 50.0),
                (300, 60.0),
                (360, 70.0),
                (420, 80.0),
                (480, 90.0),
                (540, 100.0),
            ],
        ),
        (
            "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
            (1..=10)
                .map(|i| ((i - 1) * 180, f64::from(i as i32 * 10)))
                .collect(),
        ),
        (
            "CodeDeployDefault.ECSCanary10Percent5Minutes",
            vec![(0, 10.0), (300, 100.0)],
        ),
        (
            "CodeDeployDefault.ECSCanary10Percent15Minutes",
            vec![(0, 10.0), (900, 100.0)],
        ),
    ] {
        let (sim, _) = setup(1);
        // The group says AllAtOnce; the deployment overrides it.
        create_group(&sim, json!({}));
        let td2 = register(&sim, "nginx:2");
        let id = deploy(
            &sim,
            &appspec_json(&td2),
            json!({"deploymentConfigName": config}),
        );
        assert_eq!(info(&sim, &id)["deploymentConfigName"], config);
        // Until AllowTraffic starts, all traffic is on blue.
        let mut shifted: Vec<(i64, f64)> = Vec::new();
        let mut allow_traffic_start = None;
        for _ in 0..2000 {
            sim.advance(Duration::from_secs(1));
            let t = target(&sim, &id);
            let ev = &t["lifecycleEvents"][6];
            let Some(start) = ev["startTime"].as_f64() else {
                assert_eq!(t["taskSetsInfo"][0]["trafficWeight"], json!(100.0));
                continue;
            };
            let start = *allow_traffic_start.get_or_insert(start as i64);
            let green = t["taskSetsInfo"][1]["trafficWeight"]
                .as_f64()
                .unwrap_or(-1.0);
            let blue = t["taskSetsInfo"][0]["trafficWeight"]
                .as_f64()
                .unwrap_or(-1.0);
            assert_eq!(blue + green, 100.0, "{config}");
            let now = sim.clock().now() / 1000;
            if shifted.last().map(|(_, w)| *w) != Some(green) {
                shifted.push((now - start, green));
            }
            if info(&sim, &id)["status"] == "Succeeded" {
                // AllowTraffic ends one second after the last shift.
                assert_eq!(ev["status"], "Succeeded");
                let last = shifted.last().map_or(0, |(t, _)| *t);
                assert_eq!(
                    ev["endTime"].as_f64(),
                    Some((start + last + 1) as f64),
                    "{config}"
                );
                break;
            }
        }
        assert_eq!(shifted, want, "{config}");
        assert_eq!(info(&sim, &id)["status"], "Succeeded", "{config}");
    }
}

#[test]
fn ready_wait_holds_until_continue_deployment_then_succeeds() {
    let (sim, _) = setup(1);
    create_group(
        &sim,
        json!({"blueGreenDeploymentConfiguration": {
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        }}),
    );
    let td2 = register(&sim, "nginx:2");
    let t0 = sim.clock().now();
    let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
    // Not Ready yet: Continue is refused.
    let e = err(
        &sim,
        "ContinueDeployment",
        json!({"deploymentId": id, "deploymentWaitType": "READY_WAIT"}),
    );
    assert_eq!(e.code, "DeploymentIsNotInReadyStateException");
    let before = watch_until(&sim, &id, t0, 60, |s| s.starts_with("Ready"));
    assert_eq!(
        before,
        [
            "   0 Created",
            "   1 InProgress I....... InProgress Blue=100.0",
            "   2 InProgress SI...... InProgress Blue=100.0 Green=0.0",
            "  13 InProgress SSI..... InProgress Blue=100.0 Green=0.0",
            "  14 InProgress SSSI.... InProgress Blue=100.0 Green=0.0",
            "  15 InProgress SSSSI... InProgress Blue=100.0 Green=0.0",
            "  16 Ready SSSSS... Ready Blue=100.0 Green=0.0",
        ]
    );
    let d = info(&sim, &id);
    assert_eq!(d["deploymentOverview"]["Ready"], 1);
    // It waits (test traffic only) for as long as the wait time allows.
    sim.advance(Duration::from_secs(29 * 60));
    assert_eq!(
        sample(&sim, &id),
        "Ready SSSSS... Ready Blue=100.0 Green=0.0"
    );
    ok(
        &sim,
        "ContinueDeployment",
        json!({"deploymentId": id, "deploymentWaitType": "READY_WAIT"}),
    );
    let t1 = sim.clock().now();
    assert_eq!(
        watch(&sim, &id, t1, 60),
        [
            "   0 InProgress SSSSSI.. InProgress Blue=100.0 Green=0.0",
            "   1 InProgress SSSSSSI. InProgress Blue=0.0 Green=100.0",
            "   2 InProgress SSSSSSSI InProgress Blue=0.0 Green=100.0",
            "   3 Succeeded SSSSSSSS Succeeded Blue=0.0 Green=100.0",
        ]
    );
    assert_eq!(service(&sim)["taskDefinition"], td2.as_str());
    // Finished: Continue and Stop are refused.
    let e = err(&sim, "ContinueDeployment", json!({"deploymentId": id}));
    assert_eq!(e.code, "DeploymentAlreadyCompletedException");
    let e = err(&sim, "StopDeployment", json!({"deploymentId": id}));
    assert_eq!(e.code, "DeploymentAlreadyCompletedException");
}

#[test]
fn ready_wait_timeout_with_stop_deployment_stops_and_removes_green() {
    let (sim, _) = setup(1);
    create_group(
        &sim,
        json!({"blueGreenDeploymentConfiguration": {
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 1},
        }}),
    );
    let td2 = register(&sim, "nginx:2");
    let t0 = sim.clock().now();
    let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
    let seen = watch(&sim, &id, t0, 200);
    assert_eq!(
        seen[seen.len() - 2..],
        [
            "  16 Ready SSSSS... Ready Blue=100.0 Green=0.0",
            // waitTimeInMinutes 1: Stopped 60 s later, traffic never moved.
            "  76 Stopped SSSSSKKK Skipped Blue=100.0 Green=0.0",
        ]
    );
    let d = info(&sim, &id);
    assert_eq!(d["errorInformation"]["code"], "TIMEOUT");
    assert!(d.get("rollbackInfo").is_none());
    sim.advance(Duration::from_secs(10));
    assert_eq!(task_sets(&sim), [set("PRIMARY", "web:1")]);
    let svc = service(&sim);
    assert_eq!(
        svc["taskDefinition"]
            .as_str()
            .and_then(|t| t.rsplit('/').next()),
        Some("web:1")
    );
    // The group is free again.
    deploy(&sim, &appspec_yaml(&td2), json!({}));
}

#[test]
fn unhealthy_green_fails_install_and_auto_rollback_restores_blue() {
    let (sim, td1) = setup(2);
    create_group(
        &sim,
        json!({"autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]}}),
    );
    let td2 = register(&sim, "nginx:2-unhealthy");
    let t0 = sim.clock().now();
    let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
    assert_eq!(
        watch(&sim, &id, t0, 120),
        [
            "   0 Created",
            "   1 InProgress I....... InProgress Blue=100.0",
            "   2 InProgress SI...... InProgress Blue=100.0 Green=0.0",
            // RUNNING at 8, UNHEALTHY at 13 and stopped (no grace period), 5 s deregistration
            // delay, then STOPPING and DEPROVISIONING: STOPPED at 21.
            "  21 Failed SFKKKKKK Failed Blue=100.0 Green=0.0",
        ]
    );
    let d = info(&sim, &id);
    assert_eq!(d["errorInformation"]["code"], "HEALTH_CONSTRAINTS");
    let rollback_id = d["rollbackInfo"]["rollbackDeploymentId"]
        .as_str()
        .expect("a rollback deployment")
        .to_owned();
    assert!(
        d["rollbackInfo"]["rollbackMessage"]
            .as_str()
            .is_some_and(|m| m.contains(&rollback_id))
    );
    assert_eq!(
        watch(&sim, &rollback_id, t0, 60),
        [
            "  21 Created",
            "  22 InProgress KKKKKI.. InProgress Blue=100.0 Green=0.0",
            "  23 InProgress KKKKKSI. InProgress Blue=100.0 Green=0.0",
            "  24 InProgress KKKKKSSI InProgress Blue=100.0 Green=0.0",
            "  25 Succeeded KKKKKSSS Succeeded Blue=100.0 Green=0.0",
        ]
    );
    let r = info(&sim, &rollback_id);
    assert_eq!(r["creator"], "codeDeployRollback");
    assert_eq!(
        r["rollbackInfo"]["rollbackTriggeringDeploymentId"],
        id.as_str()
    );
    assert!(r.get("errorInformation").is_none());
    // The original deployment says how its rollback went.
    let d = info(&sim, &id);
    assert!(
        d["rollbackInfo"]["rollbackMessage"]
            .as_str()
            .is_some_and(|m| m.contains("succeeded"))
    );
    assert_eq!(d["status"], "Failed");
    // Traffic and the service are back on blue; green is deleted.
    sim.advance(Duration::from_secs(15));
    assert_eq!(service(&sim)["taskDefinition"], td1.as_str());
    assert_eq!(task_sets(&sim), [set("PRIMARY", "web:1")]);
    let ls = ok(
        &sim,
        "ListDeployments",
        json!({"applicationName": "app", "deploymentGroupName": "dg"}),
    );
    assert_eq!(ls["deployments"], json!([rollback_id, id]));
    let g = ok(
        &sim,
        "GetDeploymentGroup",
        json!({"applicationName": "app", "deploymentGroupName": "dg"}),
    );
    assert_eq!(
        g["deploymentGroupInfo"]["lastAttemptedDeployment"]["deploymentId"],
        rollback_id.as_str()
    );
    assert_eq!(
        g["deploymentGroupInfo"]["lastSuccessfulDeployment"]["deploymentId"],
        rollback_id.as_str()
    );
}

#[test]
fn crashing_green_without_rollback_fails_and_leaves_blue_serving() {
    for (image, code, stop_code) in [
        (
            "nginx:2-crash",
            "ECS_UPDATE_ERROR",
            "Essential container in task exited",
        ),
        (
            "nginx:2-pullfail",
            "ECS_UPDATE_ERROR",
            "CannotPullContainerError",
        ),
    ] {
        let (sim, td1) = setup(1);
        create_group(&sim, json!({}));
        let td2 = register(&sim, image);
        let t0 = sim.clock().now();
        let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
        let seen = watch(&sim, &id, t0, 120);
        assert_eq!(
            seen.last().map(|s| &s[5..]),
            Some("Failed SFKKKKKK Failed Blue=100.0 Green=0.0"),
            "{image}"
        );
        let d = info(&sim, &id);
        assert_eq!(d["errorInformation"]["code"], code, "{image}");
        assert!(
            d["errorInformation"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(stop_code)),
            "{image}: {}",
            d["errorInformation"]
        );
        assert!(d.get("rollbackInfo").is_none(), "{image}");
        sim.advance(Duration::from_secs(15));
        assert_eq!(service(&sim)["taskDefinition"], td1.as_str());
        assert_eq!(task_sets(&sim), [set("PRIMARY", "web:1")], "{image}");
    }
}

/// Deploy with Linear10PercentEvery1Minutes and stop once 30 % of traffic is on green.
fn deploy_and_reach_30_percent(sim: &Sim) -> (String, String) {
    create_group(
        sim,
        json!({"deploymentConfigName": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"}),
    );
    let td2 = register(sim, "nginx:2");
    let t0 = sim.clock().now();
    let id = deploy(sim, &appspec_yaml(&td2), json!({}));
    watch_until(sim, &id, t0, 400, |s| s.ends_with("Green=30.0"));
    (id, td2)
}

#[test]
fn stop_deployment_with_rollback_reroutes_traffic_to_blue() {
    let (sim, td1) = setup(2);
    let (id, _) = deploy_and_reach_30_percent(&sim);
    let out = ok(
        &sim,
        "StopDeployment",
        json!({"deploymentId": id, "autoRollbackEnabled": true}),
    );
    assert_eq!(out["status"], "Pending");
    let d = info(&sim, &id);
    assert_eq!(d["status"], "Stopped");
    assert_eq!(d["errorInformation"]["code"], "MANUAL_STOP");
    let rollback_id = d["rollbackInfo"]["rollbackDeploymentId"]
        .as_str()
        .expect("a rollback deployment")
        .to_owned();
    assert_eq!(
        sample(&sim, &id),
        "Stopped SSSSSSKK Skipped Blue=70.0 Green=30.0"
    );
    let t0 = sim.clock().now();
    assert_eq!(
        watch(&sim, &rollback_id, t0, 60),
        [
            "   0 Created",
            "   1 InProgress KKKKKI.. InProgress Blue=70.0 Green=30.0",
            "   2 InProgress KKKKKSI. InProgress Blue=100.0 Green=0.0",
            "   3 InProgress KKKKKSSI InProgress Blue=100.0 Green=0.0",
            "   4 Succeeded KKKKKSSS Succeeded Blue=100.0 Green=0.0",
        ]
    );
    sim.advance(Duration::from_secs(15));
    assert_eq!(service(&sim)["taskDefinition"], td1.as_str());
    assert_eq!(task_sets(&sim), [set("PRIMARY", "web:1")]);
}

#[test]
fn stop_deployment_without_rollback_leaves_traffic_where_it_was() {
    let (sim, td1) = setup(2);
    let (id, td2) = deploy_and_reach_30_percent(&sim);
    let out = ok(&sim, "StopDeployment", json!({"deploymentId": id}));
    assert_eq!(out["status"], "Succeeded");
    assert_eq!(
        sample(&sim, &id),
        "Stopped SSSSSSKK Skipped Blue=70.0 Green=30.0"
    );
    assert!(info(&sim, &id).get("rollbackInfo").is_none());
    sim.advance(Duration::from_secs(120));
    // Nothing moves any more: both task sets keep running and serving their share.
    assert_eq!(
        sample(&sim, &id),
        "Stopped SSSSSSKK Skipped Blue=70.0 Green=30.0"
    );
    assert_eq!(
        task_sets(&sim),
        [set("PRIMARY", "web:1"), set("ACTIVE", "web:2"),]
    );
    assert_eq!(service(&sim)["taskDefinition"], td1.as_str());
    assert_eq!(service(&sim)["runningCount"], 4);
    // The next deployment replaces the leftover set at Install.
    let id2 = deploy(&sim, &appspec_yaml(&td2), json!({}));
    let t0 = sim.clock().now();
    let seen = watch(&sim, &id2, t0, 900);
    assert!(
        seen.last().is_some_and(|s| s.contains("Succeeded")),
        "{seen:#?}"
    );
    sim.advance(Duration::from_secs(15));
    assert_eq!(task_sets(&sim), [set("PRIMARY", "web:2")]);
}

#[test]
fn termination_wait_keeps_blue_until_it_ends_or_continue_deployment() {
    let (sim, _) = setup(1);
    create_group(
        &sim,
        json!({"blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 60},
        }}),
    );
    let td2 = register(&sim, "nginx:2");
    let t0 = sim.clock().now();
    let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
    let seen = watch_until(&sim, &id, t0, 60, |s| s.starts_with("InProgress SSSSSSSS"));
    assert_eq!(
        seen[seen.len() - 3..],
        [
            "  17 InProgress SSSSSSI. InProgress Blue=0.0 Green=100.0",
            "  18 InProgress SSSSSSSI InProgress Blue=0.0 Green=100.0",
            "  19 InProgress SSSSSSSS InProgress Blue=0.0 Green=100.0",
        ]
    );
    let d = info(&sim, &id);
    assert_eq!(d["instanceTerminationWaitTimeStarted"], true);
    // Green serves and is PRIMARY; blue stays (ACTIVE, no traffic) for an instant rollback.
    assert_eq!(
        task_sets(&sim),
        [set("ACTIVE", "web:1"), set("PRIMARY", "web:2"),]
    );
    assert_eq!(service(&sim)["taskDefinition"], td2.as_str());
    sim.advance(Duration::from_secs(30 * 60));
    assert_eq!(info(&sim, &id)["status"], "InProgress");
    assert_eq!(state_terminal_at(&sim, &id), Value::Null, "still running");
    let e = err(
        &sim,
        "ContinueDeployment",
        json!({"deploymentId": id, "deploymentWaitType": "READY_WAIT"}),
    );
    assert_eq!(e.code, "DeploymentIsNotInReadyStateException");
    ok(
        &sim,
        "ContinueDeployment",
        json!({"deploymentId": id, "deploymentWaitType": "TERMINATION_WAIT"}),
    );
    let d = info(&sim, &id);
    assert_eq!(d["status"], "Succeeded");
    assert_eq!(
        d["completeTime"].as_f64(),
        Some(sim.clock().now() as f64 / 1000.0)
    );
    // `/_sim/state` says when it ended (a manual clock's wall time is its simulated time),
    // and keeps saying so: later ticks do not move it.
    let ended = sim.clock().now();
    sim.advance(Duration::from_secs(10));
    assert_eq!(state_terminal_at(&sim, &id), json!(ended));
    assert_eq!(task_sets(&sim), [set("PRIMARY", "web:2")]);

    // Without ContinueDeployment the wait simply runs out.
    let td3 = register(&sim, "nginx:3");
    let t0 = sim.clock().now();
    let id = deploy(&sim, &appspec_yaml(&td3), json!({}));
    let seen = watch(&sim, &id, t0, 3700);
    assert_eq!(
        seen.last().map(String::as_str),
        Some(&*format!(
            "{:>4} Succeeded SSSSSSSS Succeeded Blue=0.0 Green=100.0",
            19 + 3600
        ))
    );
}

#[test]
fn keep_alive_keeps_blue_without_a_termination_wait() {
    let (sim, _) = setup(1);
    create_group(
        &sim,
        json!({"blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "KEEP_ALIVE", "terminationWaitTimeInMinutes": 60},
        }}),
    );
    let td2 = register(&sim, "nginx:2");
    let t0 = sim.clock().now();
    let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
    let seen = watch(&sim, &id, t0, 60);
    assert_eq!(
        seen.last().map(String::as_str),
        Some("  19 Succeeded SSSSSSSS Succeeded Blue=0.0 Green=100.0")
    );
    assert_eq!(info(&sim, &id)["instanceTerminationWaitTimeStarted"], false);
    sim.advance(Duration::from_secs(120));
    assert_eq!(
        task_sets(&sim),
        [set("ACTIVE", "web:1"), set("PRIMARY", "web:2")]
    );
}

#[test]
fn alarm_stops_the_deployment_and_rolls_back() {
    let (sim, td1) = setup(1);
    create_group(
        &sim,
        json!({
            "alarmConfiguration": {"enabled": true, "alarms": [{"name": "web-5xx"}]},
            "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_STOP_ON_ALARM"]},
            "deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent5Minutes",
        }),
    );
    let td2 = register(&sim, "nginx:2");
    let t0 = sim.clock().now();
    let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
    watch_until(&sim, &id, t0, 60, |s| s.ends_with("Green=10.0"));
    sim.set_alarm("web-5xx", "ALARM")
        .expect("valid alarm state");
    sim.advance(Duration::from_secs(1));
    let d = info(&sim, &id);
    assert_eq!(d["status"], "Stopped");
    assert_eq!(d["errorInformation"]["code"], "ALARM_ACTIVE");
    assert!(
        d["errorInformation"]["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("Activated alarms: web-5xx"))
    );
    let rollback_id = d["rollbackInfo"]["rollbackDeploymentId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let seen = watch(&sim, &rollback_id, t0, 60);
    assert!(
        seen.last()
            .is_some_and(|s| s.contains("Succeeded KKKKKSSS")),
        "{seen:#?}"
    );
    sim.advance(Duration::from_secs(15));
    assert_eq!(service(&sim)["taskDefinition"], td1.as_str());
}

#[test]
fn desired_count_changes_flow_into_task_sets() {
    let (sim, _) = setup(1);
    ecs(
        &sim,
        "UpdateService",
        json!({"cluster": "main", "service": "web", "desiredCount": 3}),
    );
    let svc = service(&sim);
    assert_eq!(svc["taskSets"][0]["computedDesiredCount"], 3);
    assert_eq!(svc["taskSets"][0]["stabilityStatus"], "STABILIZING");
    sim.advance(Duration::from_secs(15));
    let svc = service(&sim);
    assert_eq!(
        (
            svc["runningCount"].as_i64(),
            svc["taskSets"][0]["runningCount"].as_i64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(svc["taskSets"][0]["stabilityStatus"], "STEADY_STATE");
    let sets = ecs(
        &sim,
        "DescribeTaskSets",
        json!({"cluster": "main", "service": "web"}),
    );
    assert_eq!(sets["taskSets"][0]["computedDesiredCount"], 3);
}

// ---- operations and errors ------------------------------------------------------------

#[test]
fn applications_and_groups_echo_what_aws_returns() {
    let (sim, _) = setup(1);
    let app = ok(&sim, "GetApplication", json!({"applicationName": "app"}))["application"].clone();
    assert_eq!(app["applicationName"], "app");
    assert_eq!(app["computePlatform"], "ECS");
    assert_eq!(app["linkedToGitHub"], false);
    assert_eq!(app["createTime"], json!(1_800_000_000.0));
    let id = ok(&sim, "CreateDeploymentGroup", group_body(json!({})))["deploymentGroupId"].clone();
    let g = ok(
        &sim,
        "GetDeploymentGroup",
        json!({"applicationName": "app", "deploymentGroupName": "dg"}),
    )["deploymentGroupInfo"]
        .clone();
    assert_eq!(g["deploymentGroupId"], id);
    assert_eq!(g["deploymentConfigName"], "CodeDeployDefault.ECSAllAtOnce");
    assert_eq!(g["computePlatform"], "ECS");
    assert_eq!(
        g["ecsServices"],
        json!([{"serviceName": "web", "clusterName": "main"}])
    );
    assert_eq!(
        g["blueGreenDeploymentConfiguration"],
        json!({
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
        })
    );
    assert_eq!(
        g["alarmConfiguration"],
        json!({"enabled": false, "ignorePollAlarmFailure": false, "alarms": []})
    );
    assert_eq!(
        g["loadBalancerInfo"]["targetGroupPairInfoList"][0]["targetGroups"][1]["name"],
        "web-green"
    );
    assert!(g.get("lastAttemptedDeployment").is_none());
    assert_eq!(
        ok(
            &sim,
            "ListDeploymentGroups",
            json!({"applicationName": "app"})
        )["deploymentGroups"],
        json!(["dg"])
    );
    let batch = ok(
        &sim,
        "BatchGetDeploymentGroups",
        json!({"applicationName": "app", "deploymentGroupNames": ["dg", "nope"]}),
    );
    assert_eq!(
        batch["deploymentGroupsInfo"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(
        batch["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("nope"))
    );
    let batch = ok(
        &sim,
        "BatchGetApplications",
        json!({"applicationNames": ["app"]}),
    );
    assert_eq!(batch["applicationsInfo"][0]["applicationName"], "app");
    let cfg = ok(
        &sim,
        "GetDeploymentConfig",
        json!({"deploymentConfigName": "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"}),
    );
    assert_eq!(
        cfg["deploymentConfigInfo"]["trafficRoutingConfig"],
        json!({"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3}})
    );
}

#[test]
fn list_applications_pages_by_100() {
    let sim = Sim::new(SimOptions::default(), Clock::manual(T0_MS));
    for i in 0..101 {
        ok(
            &sim,
            "CreateApplication",
            json!({"applicationName": format!("app{i:03}")}),
        );
    }
    let first = ok(&sim, "ListApplications", json!({}));
    assert_eq!(first["applications"].as_array().map(Vec::len), Some(100));
    assert_eq!(first["applications"][0], "app000");
    let token = first["nextToken"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let second = ok(&sim, "ListApplications", json!({"nextToken": token}));
    assert_eq!(second["applications"], json!(["app100"]));
    assert!(second.get("nextToken").is_none());
    let e = err(&sim, "ListApplications", json!({"nextToken": "garbage"}));
    assert_eq!(e.code, "InvalidNextTokenException");
}

#[test]
fn list_deployments_filters_and_orders_newest_first() {
    let (sim, _) = setup(1);
    create_group(&sim, json!({}));
    let td2 = register(&sim, "nginx:2");
    let a = deploy(&sim, &appspec_yaml(&td2), json!({}));
    ok(&sim, "StopDeployment", json!({"deploymentId": a}));
    sim.advance(Duration::from_secs(5));
    let b = deploy(&sim, &appspec_yaml(&td2), json!({}));
    let all = ok(&sim, "ListDeployments", json!({}));
    assert_eq!(all["deployments"], json!([b, a]));
    let stopped = ok(
        &sim,
        "ListDeployments",
        json!({"applicationName": "app", "deploymentGroupName": "dg", "includeOnlyStatuses": ["Stopped"]}),
    );
    assert_eq!(stopped["deployments"], json!([a]));
    let active = ok(
        &sim,
        "ListDeployments",
        json!({"applicationName": "app", "deploymentGroupName": "dg", "includeOnlyStatuses": ["Created", "Queued", "InProgress", "Ready"]}),
    );
    assert_eq!(active["deployments"], json!([b]));
    let range = ok(
        &sim,
        "ListDeployments",
        json!({"createTimeRange": {"start": (T0_MS / 1000 + 22) as f64}}),
    );
    assert_eq!(range["deployments"], json!([b]));
    let targets = ok(&sim, "ListDeploymentTargets", json!({"deploymentId": a}));
    assert_eq!(targets["targetIds"], json!(["main:web"]));
    let none = ok(
        &sim,
        "ListDeploymentTargets",
        json!({"deploymentId": a, "targetFilters": {"TargetStatus": ["Succeeded"]}}),
    );
    assert_eq!(none["targetIds"], json!([]));
    let batch = ok(
        &sim,
        "BatchGetDeployments",
        json!({"deploymentIds": [a, b]}),
    );
    assert_eq!(batch["deploymentsInfo"].as_array().map(Vec::len), Some(2));
    let rev = ok(
        &sim,
        "GetApplicationRevision",
        json!({"applicationName": "app", "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec_yaml(&td2)}}}),
    );
    assert_eq!(rev["revisionInfo"]["deploymentGroups"], json!(["dg"]));
    let bt = ok(
        &sim,
        "BatchGetDeploymentTargets",
        json!({"deploymentId": a, "targetIds": ["main:web"]}),
    );
    assert_eq!(
        bt["deploymentTargets"][0]["deploymentTargetType"],
        "ECSTarget"
    );
}

#[test]
fn operations_refuse_bad_input_with_codedeploy_error_codes() {
    let (sim, _) = setup(1);
    create_group(&sim, json!({}));
    let td2 = register(&sim, "nginx:2");
    let good = appspec_yaml(&td2);
    let running = deploy(&sim, &good, json!({}));
    let bad_td = appspec_yaml("arn:aws:ecs:us-east-1:123456789012:task-definition/web:99");
    let bad_container = good.replace("ContainerName: app", "ContainerName: nope");
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "CreateApplication",
            json!({}),
            "ApplicationNameRequiredException",
        ),
        (
            "CreateApplication",
            json!({"applicationName": "app"}),
            "ApplicationAlreadyExistsException",
        ),
        (
            "CreateApplication",
            json!({"applicationName": "x", "computePlatform": "K8S"}),
            "InvalidComputePlatformException",
        ),
        (
            "CreateApplication",
            json!({"applicationName": "x".repeat(101)}),
            "InvalidApplicationNameException",
        ),
        (
            "CreateApplication",
            json!({"applicationName": "x", "bogus": 1}),
            "SerializationException",
        ),
        (
            "CreateApplication",
            json!({"applicationName": 5}),
            "SerializationException",
        ),
        (
            "GetApplication",
            json!({"applicationName": "nope"}),
            "ApplicationDoesNotExistException",
        ),
        (
            "BatchGetApplications",
            json!({"applicationNames": ["app", "nope"]}),
            "ApplicationDoesNotExistException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(json!({"applicationName": "nope"})),
            "ApplicationDoesNotExistException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(json!({})),
            "DeploymentGroupAlreadyExistsException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(json!({"deploymentGroupName": "dg2", "serviceRoleArn": null})),
            "RoleRequiredException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(json!({"deploymentGroupName": "dg2"})),
            "ECSServiceMappingLimitExceededException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "ecsServices": [{"clusterName": "main", "serviceName": "nope"}]}),
            ),
            "InvalidECSServiceException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(json!({"deploymentGroupName": "dg2", "ecsServices": []})),
            "InvalidECSServiceException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}}),
            ),
            "InvalidDeploymentStyleException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "deploymentConfigName": "CodeDeployDefault.OneAtATime"}),
            ),
            "InvalidDeploymentConfigNameException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(json!({"deploymentGroupName": "dg2", "deploymentConfigName": "Mine"})),
            "DeploymentConfigDoesNotExistException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "autoRollbackConfiguration": {"enabled": true, "events": ["NOPE"]}}),
            ),
            "InvalidAutoRollbackConfigException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "autoRollbackConfiguration": {"enabled": true, "events": []}}),
            ),
            "InvalidAutoRollbackConfigException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "alarmConfiguration": {"enabled": true, "alarms": []}}),
            ),
            "InvalidAlarmConfigException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "alarmConfiguration": {"enabled": true, "alarms": (0..11).map(|i| json!({"name": format!("a{i}")})).collect::<Vec<_>>()}}),
            ),
            "AlarmsLimitExceededException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "blueGreenDeploymentConfiguration": {"deploymentReadyOption": {"actionOnTimeout": "WAIT"}}}),
            ),
            "InvalidBlueGreenDeploymentConfigurationException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"terminationWaitTimeInMinutes": 2881}}}),
            ),
            "InvalidBlueGreenDeploymentConfigurationException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "loadBalancerInfo": {"targetGroupPairInfoList": [{"targetGroups": [{"name": "a"}], "prodTrafficRoute": {"listenerArns": [PROD_LISTENER]}}]}}),
            ),
            "InvalidTargetGroupPairException",
        ),
        (
            "CreateDeploymentGroup",
            group_body(
                json!({"deploymentGroupName": "dg2", "loadBalancerInfo": {"elbInfoList": [{"name": "a"}]}}),
            ),
            "InvalidLoadBalancerInfoException",
        ),
        (
            "GetDeploymentGroup",
            json!({"applicationName": "app", "deploymentGroupName": "nope"}),
            "DeploymentGroupDoesNotExistException",
        ),
        (
            "GetDeploymentGroup",
            json!({"applicationName": "app"}),
            "DeploymentGroupNameRequiredException",
        ),
        (
            "ListDeploymentGroups",
            json!({"applicationName": "nope"}),
            "ApplicationDoesNotExistException",
        ),
        (
            "CreateDeployment",
            deployment_body(&good, json!({})),
            "DeploymentLimitExceededException",
        ),
        (
            "CreateDeployment",
            deployment_body(&good, json!({"deploymentGroupName": "nope"})),
            "DeploymentGroupDoesNotExistException",
        ),
        (
            "CreateDeployment",
            deployment_body(&good, json!({"applicationName": "nope"})),
            "ApplicationDoesNotExistException",
        ),
        (
            "CreateDeployment",
            json!({"applicationName": "app", "deploymentGroupName": "dg"}),
            "RevisionRequiredException",
        ),
        (
            "CreateDeployment",
            deployment_body("version: 0.0\nResources: []", json!({})),
            "InvalidRevisionException",
        ),
        (
            "CreateDeployment",
            deployment_body(&bad_td, json!({})),
            "InvalidRevisionException",
        ),
        (
            "CreateDeployment",
            deployment_body(&bad_container, json!({})),
            "InvalidRevisionException",
        ),
        (
            "CreateDeployment",
            json!({"applicationName": "app", "deploymentGroupName": "dg", "revision": {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k"}}}),
            "InvalidRevisionException",
        ),
        (
            "CreateDeployment",
            deployment_body(
                &good,
                json!({"deploymentConfigName": "CodeDeployDefault.Nope"}),
            ),
            "DeploymentConfigDoesNotExistException",
        ),
        (
            "CreateDeployment",
            deployment_body(&good, json!({"description": "x".repeat(513)})),
            "DescriptionTooLongException",
        ),
        (
            "CreateDeployment",
            deployment_body(&good, json!({"unknownMember": true})),
            "SerializationException",
        ),
        ("GetDeployment", json!({}), "DeploymentIdRequiredException"),
        (
            "GetDeployment",
            json!({"deploymentId": "nope"}),
            "InvalidDeploymentIdException",
        ),
        (
            "GetDeployment",
            json!({"deploymentId": "d-AAAAAAAAA"}),
            "DeploymentDoesNotExistException",
        ),
        (
            "ListDeployments",
            json!({"applicationName": "app"}),
            "DeploymentGroupNameRequiredException",
        ),
        (
            "ListDeployments",
            json!({"deploymentGroupName": "dg"}),
            "ApplicationNameRequiredException",
        ),
        (
            "ListDeployments",
            json!({"includeOnlyStatuses": ["Done"]}),
            "InvalidDeploymentStatusException",
        ),
        (
            "ListDeploymentTargets",
            json!({"deploymentId": running}),
            "DeploymentNotStartedException",
        ),
        (
            "GetDeploymentTarget",
            json!({"deploymentId": running, "targetId": "main:web"}),
            "DeploymentNotStartedException",
        ),
        (
            "GetDeploymentTarget",
            json!({"deploymentId": running}),
            "DeploymentTargetIdRequiredException",
        ),
        (
            "BatchGetDeploymentTargets",
            json!({"deploymentId": running, "targetIds": (0..26).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
            "DeploymentTargetListSizeExceededException",
        ),
        (
            "StopDeployment",
            json!({"deploymentId": "d-AAAAAAAAA"}),
            "DeploymentDoesNotExistException",
        ),
        (
            "ContinueDeployment",
            json!({"deploymentId": running, "deploymentWaitType": "NOW"}),
            "InvalidDeploymentWaitTypeException",
        ),
        (
            "ContinueDeployment",
            json!({"deploymentId": running}),
            "DeploymentIsNotInReadyStateException",
        ),
        (
            "GetDeploymentConfig",
            json!({"deploymentConfigName": "Nope"}),
            "DeploymentConfigDoesNotExistException",
        ),
        (
            "GetApplicationRevision",
            json!({"applicationName": "app", "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": "other"}}}),
            "RevisionDoesNotExistException",
        ),
        (
            "RegisterApplicationRevision",
            json!({}),
            "UnknownOperationException",
        ),
    ];
    for (op, body, code) in cases {
        let e = err(&sim, op, body.clone());
        assert_eq!(e.code, code, "{op} {body}: {}", e.message);
        assert_eq!(e.status, 400, "{op}");
    }
    // Once started, targets exist; a wrong target id is reported as such.
    sim.advance(Duration::from_secs(2));
    let e = err(
        &sim,
        "GetDeploymentTarget",
        json!({"deploymentId": running, "targetId": "main:other"}),
    );
    assert_eq!(e.code, "DeploymentTargetDoesNotExistException");
}

#[test]
fn deleting_the_service_fails_a_running_deployment() {
    let (sim, _) = setup(1);
    create_group(&sim, json!({}));
    let td2 = register(&sim, "nginx:2");
    let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
    sim.advance(Duration::from_secs(3));
    ecs(
        &sim,
        "DeleteService",
        json!({"cluster": "main", "service": "web", "force": true}),
    );
    sim.advance(Duration::from_secs(1));
    let d = info(&sim, &id);
    assert_eq!(d["status"], "Failed");
    assert_eq!(d["errorInformation"]["code"], "INVALID_ECS_SERVICE");
}

#[test]
fn state_dump_lists_codedeploy_resources() {
    let (sim, _) = setup(1);
    create_group(&sim, json!({}));
    let td2 = register(&sim, "nginx:2");
    let id = deploy(&sim, &appspec_yaml(&td2), json!({}));
    let state = sim.state();
    let cd = &state["codedeploy"];
    assert_eq!(cd["applications"][0]["applicationName"], "app");
    assert_eq!(cd["deploymentGroups"][0]["deploymentGroupName"], "dg");
    assert_eq!(
        cd["deployments"][0]["deploymentInfo"]["deploymentId"],
        id.as_str()
    );
    assert_eq!(
        cd["deployments"][0]["deploymentTarget"]["ecsTarget"]["targetId"],
        "main:web"
    );
    assert_eq!(
        cd["deployments"][0]["appSpecHooks"],
        json!([{"event": "AfterAllowTestTraffic", "function": "smoke-test"}])
    );
    assert_eq!(cd["applications"][0]["tags"], json!([]));
}
