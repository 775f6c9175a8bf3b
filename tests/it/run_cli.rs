//! `ecspress run`: the real binary against a real `ecspress sim` process (ECS; its tasks
//! follow the image tag: `crash` exits 1, `exitN` exits N, `pullfail` fails to start, anything
//! else exits 0) and, for log streaming, moto (CloudWatch Logs).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;

use crate::support::sim::{self, SimProcess};
use crate::support::{command_at, describe, example, expect_exit, json_lines, stdout};

/// `ecspress run ARGS --poll-interval 50ms` with `IMAGE_TAG=tag` (None: the example's).
fn run(sim: &SimProcess, dir: &Path, tag: Option<&str>, args: &[&str]) -> Output {
    let mut full = vec!["run", "--poll-interval", "50ms"];
    full.extend_from_slice(args);
    let env: Vec<(&str, &str)> = tag.map(|t| ("IMAGE_TAG", t)).into_iter().collect();
    command_at(&sim.url, dir, &env, &full)
        .output()
        .expect("run ecspress")
}

async fn started() -> (SimProcess, tempfile::TempDir) {
    started_at(0.005).await
}

/// A simulator at `time_scale` with cluster `hello`, and a copy of `examples/hello`. At most
/// 0.05: 50 ms polls must be at least one simulated second apart (the sim's tick).
async fn started_at(time_scale: f64) -> (SimProcess, tempfile::TempDir) {
    let sim = sim::start(time_scale);
    sim.create_cluster("hello").await;
    (sim, example("hello", |_| {}))
}

fn records<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|r| r["type"] == kind).collect()
}

fn verdict(lines: &[Value]) -> &Value {
    let last = lines.last().expect("a record");
    assert_eq!(last["type"], "verdict", "{lines:#?}");
    &last["data"]
}

/// The DescribeTasks entries of these ARNs, through the SDK.
async fn describe_tasks(sim: &SimProcess, arns: &[String]) -> Vec<Value> {
    let out = sim
        .ecs()
        .await
        .describe_tasks()
        .cluster("hello")
        .set_tasks(Some(arns.to_vec()))
        .send()
        .await
        .expect("DescribeTasks");
    out.tasks()
        .iter()
        .map(|t| {
            serde_json::json!({
                "lastStatus": t.last_status(),
                "startedBy": t.started_by(),
                "overrides": t.overrides().map(|o| serde_json::json!({
                    "containerOverrides": o.container_overrides().iter().map(|c| serde_json::json!({
                        "name": c.name(),
                        "command": c.command(),
                        "environment": c.environment().iter().map(|e| serde_json::json!({"name": e.name(), "value": e.value()})).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "cpu": o.cpu(),
                })),
            })
        })
        .collect()
}

fn task_arns(lines: &[Value]) -> Vec<String> {
    records(lines, "task_started")
        .iter()
        .map(|r| r["data"]["task_arn"].as_str().expect("arn").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_exit_code_is_the_watched_containers() {
    let (sim, dir) = started().await;
    // (image tag, exit code, verdict status)
    let cases = [
        (None, 0, "success"),
        (Some("crash"), 1, "task_exited"),
        (Some("exit3"), 3, "task_exited"),
        (Some("exit300"), 255, "task_exited"),
    ];
    for (tag, code, status) in cases {
        let o = run(&sim, dir.path(), tag, &["--no-logs", "--output", "json"]);
        expect_exit(&o, code);
        let lines = json_lines(&o);
        let v = verdict(&lines);
        assert_eq!(
            (v["status"].as_str(), v["exit_code"].as_i64()),
            (Some(status), Some(code as i64)),
            "{tag:?}: {v}"
        );
        let stopped = records(&lines, "task_stopped");
        assert_eq!(stopped.len(), 1, "{tag:?}: {}", describe(&o));
        assert_eq!(stopped[0]["data"]["stop_code"], "EssentialContainerExited");
        assert_eq!(records(&lines, "task_running").len(), 1, "{tag:?}");
    }
    // The task definition was registered once per distinct image, never for an unchanged file.
    let o = run(
        &sim,
        dir.path(),
        Some("exit300"),
        &["--no-logs", "--output", "json"],
    );
    expect_exit(&o, 255);
    let lines = json_lines(&o);
    assert!(
        records(&lines, "task_definition_registered").is_empty(),
        "{}",
        describe(&o)
    );
    assert_eq!(records(&lines, "task_definition_selected").len(), 1);
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn count_two_exits_with_the_first_non_zero_code() {
    let (sim, dir) = started().await;
    let o = run(
        &sim,
        dir.path(),
        Some("exit7"),
        &["--count", "2", "--no-logs", "--output", "json"],
    );
    expect_exit(&o, 7);
    let lines = json_lines(&o);
    assert_eq!(task_arns(&lines).len(), 2);
    assert_eq!(records(&lines, "task_stopped").len(), 2);
    let o = run(
        &sim,
        dir.path(),
        None,
        &["--count", "2", "--no-logs", "--output", "json"],
    );
    expect_exit(&o, 0);
    assert_eq!(
        verdict(&json_lines(&o))["message"],
        "all 2 tasks: container app exited with code 0"
    );
    // RunTask's limit is 10.
    let o = run(&sim, dir.path(), None, &["--count", "11", "--no-logs"]);
    expect_exit(&o, 2);
    assert!(
        crate::support::stderr(&o).contains("1 to 10"),
        "{}",
        describe(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_until_running_and_no_wait_leave_the_task_running() {
    // A RunTask job runs 10 simulated seconds: 400 ms here, several polls.
    let (sim, dir) = started_at(0.04).await;
    let o = run(
        &sim,
        dir.path(),
        None,
        &["--wait-until", "running", "--no-logs", "--output", "json"],
    );
    expect_exit(&o, 0);
    let lines = json_lines(&o);
    assert_eq!(records(&lines, "task_running").len(), 1, "{}", describe(&o));
    assert!(records(&lines, "task_stopped").is_empty());
    let arns = task_arns(&lines);
    assert_eq!(
        describe_tasks(&sim, &arns).await[0]["lastStatus"],
        "RUNNING"
    );

    let before = sim.calls("DescribeTasks").await;
    let o = run(
        &sim,
        dir.path(),
        None,
        &["--no-wait", "--started-by", "migrations"],
    );
    expect_exit(&o, 0);
    // Text mode: stdout is the task ARN, nothing else.
    let arn = stdout(&o).trim().to_owned();
    assert!(arn.contains(":task/hello/"), "{}", describe(&o));
    assert_eq!(
        sim.calls("DescribeTasks").await,
        before,
        "--no-wait never polls"
    );
    let t = &describe_tasks(&sim, &[arn]).await[0];
    assert_ne!(t["lastStatus"], "STOPPED");
    assert_eq!(t["startedBy"], "migrations");
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_sends_nothing_and_shows_the_run_task_input() {
    let (sim, dir) = started().await;
    let o = run(
        &sim,
        dir.path(),
        None,
        &[
            "--dry-run",
            "--output",
            "json",
            "--overrides",
            r#"{"cpu":"512"}"#,
        ],
    );
    expect_exit(&o, 0);
    let state = sim.state().await;
    let mutating: Vec<(&String, &Value)> = state["counters"]["calls"]
        .as_object()
        .expect("counters")
        .iter()
        .filter(|(op, n)| {
            !(op.starts_with("Describe") || op.starts_with("List") || *op == "CreateCluster")
                && n.as_u64() != Some(0)
        })
        .collect();
    assert!(mutating.is_empty(), "{mutating:?}");
    let lines = json_lines(&o);
    let calls: Vec<&str> = records(&lines, "dry_run_call")
        .iter()
        .map(|r| r["data"]["operation"].as_str().expect("op"))
        .collect();
    assert_eq!(calls, ["RegisterTaskDefinition", "RunTask"]);
    let input = &records(&lines, "dry_run_call")[1]["data"]["input"];
    // The service definition's launch type and network configuration; the family stands in
    // for the revision that would be registered.
    assert_eq!(input["launchType"], "FARGATE");
    assert_eq!(input["taskDefinition"], "hello");
    assert_eq!(input["overrides"]["cpu"], "512");
    assert!(
        input["networkConfiguration"]["awsvpcConfiguration"]["subnets"].is_array(),
        "{input}"
    );
    assert!(input.get("loadBalancers").is_none() && input.get("desiredCount").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn overrides_reach_the_task_and_unknown_fields_are_refused() {
    let (sim, dir) = started().await;
    let overrides = r#"{"containerOverrides":[{"name":"app","command":["./migrate","up"],"environment":[{"name":"STEP","value":"1"}]}]}"#;
    let file = dir.path().join("overrides.json");
    std::fs::write(&file, overrides).expect("write");
    let o = run(
        &sim,
        dir.path(),
        None,
        &[
            "--overrides-file",
            "overrides.json",
            "--no-logs",
            "--output",
            "json",
        ],
    );
    expect_exit(&o, 0);
    let t = &describe_tasks(&sim, &task_arns(&json_lines(&o))).await[0];
    assert_eq!(
        t["overrides"]["containerOverrides"][0]["command"],
        serde_json::json!(["./migrate", "up"]),
        "{t}"
    );
    assert_eq!(
        t["overrides"]["containerOverrides"][0]["environment"][0]["value"],
        "1"
    );

    let registered = sim.calls("RegisterTaskDefinition").await;
    let cases = [
        (
            r#"{"containerOverrides":[{"name":"app","comand":["x"]}]}"#,
            "overrides.containerOverrides[0].comand",
        ),
        (
            r#"{"containerOverrides":[{"name":"db"}]}"#,
            "name db is not a container",
        ),
        ("{not json", "--overrides: not valid JSON"),
    ];
    for (bad, why) in cases {
        let o = run(
            &sim,
            dir.path(),
            Some("v2"),
            &["--overrides", bad, "--no-logs"],
        );
        expect_exit(&o, 2);
        assert!(
            crate::support::stderr(&o).contains(why),
            "{bad}: {}",
            describe(&o)
        );
    }
    // Refused before any write (the v2 image would have registered a revision).
    assert_eq!(sim.calls("RegisterTaskDefinition").await, registered);
    assert_eq!(sim.calls("RunTask").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_that_fails_to_start_exits_4_with_its_reason() {
    let (sim, dir) = started().await;
    let o = run(
        &sim,
        dir.path(),
        Some("pullfail"),
        &["--no-logs", "--output", "json"],
    );
    expect_exit(&o, 4);
    let lines = json_lines(&o);
    let v = verdict(&lines);
    assert_eq!(v["status"], "failed_not_rolled_back");
    let message = v["message"].as_str().expect("message");
    assert!(
        message.contains("TaskFailedToStart: CannotPullContainerError"),
        "{message}"
    );
    assert!(records(&lines, "task_running").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn revision_and_watch_container_flags() {
    let (sim, dir) = started().await;
    expect_exit(&run(&sim, dir.path(), None, &["--no-logs"]), 0);
    expect_exit(&run(&sim, dir.path(), Some("crash"), &["--no-logs"]), 1);
    // --revision 1: the first (healthy) revision, whatever the file says; nothing registered.
    let o = run(
        &sim,
        dir.path(),
        Some("exit9"),
        &["--revision", "1", "--no-logs", "--output", "json"],
    );
    expect_exit(&o, 0);
    let lines = json_lines(&o);
    let td = records(&lines, "task_started")[0]["data"]["task_definition"]
        .as_str()
        .expect("td")
        .to_owned();
    assert!(td.ends_with("hello:1"), "{td}");
    // --latest-task-definition: revision 2 (crash).
    expect_exit(
        &run(
            &sim,
            dir.path(),
            Some("exit9"),
            &["--latest-task-definition", "--no-logs"],
        ),
        1,
    );
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 2);
    let o = run(
        &sim,
        dir.path(),
        None,
        &["--watch-container", "nope", "--no-logs"],
    );
    expect_exit(&o, 2);
    assert!(
        crate::support::stderr(&o).contains("--watch-container nope"),
        "{}",
        describe(&o)
    );
}

/// Task ids, ARNs' random parts and times out of a record stream, for a stable snapshot.
fn normalised(lines: &[Value]) -> Vec<Value> {
    let arns = task_arns(lines);
    lines
        .iter()
        .map(|r| {
            let mut text = serde_json::to_string(r).expect("json");
            for (i, arn) in arns.iter().enumerate() {
                let id = arn.rsplit('/').next().expect("id");
                text = text.replace(id, &format!("TASK{i}"));
            }
            let mut v: Value = serde_json::from_str(&text).expect("json");
            v["time"] = Value::from("TIME");
            v
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lines_of_a_crashing_run() {
    let (sim, dir) = started().await;
    let o = run(
        &sim,
        dir.path(),
        Some("crash"),
        &["--no-logs", "--output", "json"],
    );
    expect_exit(&o, 1);
    insta::assert_json_snapshot!(normalised(&json_lines(&o)));
}

/// The watched container's awslogs stream (moto), created while the task runs: every event
/// printed once, in order, including those written just before the task stopped.
#[tokio::test(flavor = "multi_thread")]
async fn logs_are_streamed_from_cloudwatch() {
    // Slow enough that the test writes the events while the task runs (~9 s of it).
    let sim = sim::start(0.5);
    sim.create_cluster("hello").await;
    let dir = example("hello", |_| {});
    let logs = aws_sdk_cloudwatchlogs::Client::new(&crate::support::moto::sdk_config().await);
    let group = "/ecs/hello";
    let _ = logs.create_log_group().log_group_name(group).send().await;
    let mut child = command_at(
        &sim.url,
        dir.path(),
        &[(
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
            crate::support::moto::endpoint(),
        )],
        &[
            "run",
            "--poll-interval",
            "600ms", // ≥ 1 simulated second between calls: the sim ticks in whole seconds from its last call
            "--timeout",
            "1h",
            "--output",
            "json",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn ecspress");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    let stream = loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).expect("read") > 0,
            "ended early: {lines:?}"
        );
        let v: Value = serde_json::from_str(&line).expect("json");
        lines.push(v.clone());
        if v["type"] == "task_started" {
            break v["data"]["log_stream"]
                .as_str()
                .expect("log_stream")
                .to_owned();
        }
    };
    assert!(stream.starts_with("app/app/"), "{stream}");
    // The stream does not exist yet: ecspress retries. Now the task "logs" three lines.
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(&stream)
        .send()
        .await
        .expect("CreateLogStream");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as i64;
    for (i, message) in ["migrating", "step 1 done", "all done"].iter().enumerate() {
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(&stream)
            .log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now + i as i64)
                    .message(*message)
                    .build()
                    .expect("event"),
            )
            .send()
            .await
            .expect("PutLogEvents");
    }
    for line in reader.lines() {
        lines.push(serde_json::from_str(&line.expect("line")).expect("json"));
    }
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{lines:#?}");
    let messages: Vec<&str> = records(&lines, "log")
        .iter()
        .map(|r| r["data"]["message"].as_str().expect("message"))
        .collect();
    assert_eq!(
        messages,
        ["migrating", "step 1 done", "all done"],
        "{lines:#?}"
    );
    assert!(records(&lines, "warning").is_empty(), "{lines:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_exits_5_and_leaves_the_task_running() {
    // Real time: the job needs 16 s to finish, the run waits 1 s.
    let (sim, dir) = started_at(1.0).await;
    let o = command_at(
        &sim.url,
        dir.path(),
        &[],
        &[
            "run",
            "--poll-interval",
            "200ms",
            "--timeout",
            "1s",
            "--no-logs",
            "--output",
            "json",
        ],
    )
    .output()
    .expect("run ecspress");
    expect_exit(&o, 5);
    let lines = json_lines(&o);
    let v = verdict(&lines);
    assert_eq!(v["status"], "timed_out", "{v}");
    assert!(
        v["hint"].as_str().is_some_and(|h| h.contains("stop-task")),
        "{v}"
    );
    let t = &describe_tasks(&sim, &task_arns(&lines)).await[0];
    assert_ne!(t["lastStatus"], "STOPPED");
}
