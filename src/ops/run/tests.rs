//! `run` orchestration against the simulator in-process (real ECS adapter over HTTP, a fast
//! scaled clock) with a scripted CloudWatch Logs fake: token following, a stream that does
//! not exist yet, and a logs error that must not end the run.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::aws::{AwsError, AwsResult, Clients};
use crate::ops::render::{ProjectOptions, load_project_with_env};
use crate::output::RecordingSink;
use crate::sim::{Clock, ECS_TARGET_PREFIX, Sim, SimOptions, server};

/// One GetLogEvents call: (region, group, stream, nextToken).
type Call = (Option<String>, String, String, Option<String>);

/// GetLogEvents answers in order; once they run out, the end of the stream (no events, the
/// same token).
struct ScriptedLogs {
    script: Mutex<VecDeque<AwsResult<Value>>>,
    calls: Mutex<Vec<Call>>,
}

impl ScriptedLogs {
    fn new(script: Vec<AwsResult<Value>>) -> Self {
        ScriptedLogs {
            script: Mutex::new(script.into()),
            calls: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait::async_trait]
impl LogsApi for ScriptedLogs {
    async fn get_log_events(
        &self,
        region: Option<&str>,
        group: &str,
        stream: &str,
        next_token: Option<&str>,
    ) -> AwsResult<Value> {
        self.calls.lock().unwrap().push((
            region.map(str::to_owned),
            group.to_owned(),
            stream.to_owned(),
            next_token.map(str::to_owned),
        ));
        self.script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Ok(json!({"events": [], "nextForwardToken": next_token})))
    }
}

fn error(kind: AwsErrorKind, code: &str) -> AwsError {
    AwsError {
        kind,
        operation: "GetLogEvents",
        target: "g/s".into(),
        code: Some(code.into()),
        message: code.into(),
        request_id: Some("req-1".into()),
    }
}

fn page(messages: &[&str], token: &str) -> AwsResult<Value> {
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"timestamp": 1_800_000_000_000_i64 + i as i64, "message": m}))
        .collect();
    Ok(json!({"events": events, "nextForwardToken": token}))
}

/// `examples/hello` against an in-process simulator whose clock runs 1000× faster.
async fn project(image_tag: &str) -> (Sim, Project) {
    let sim = Sim::new(SimOptions::default(), Clock::scaled(0.001));
    sim.call(
        &format!("{ECS_TARGET_PREFIX}CreateCluster"),
        &json!({"clusterName": "hello"}),
    )
    .expect("CreateCluster");
    let (addr, serve) = server::bind(sim.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    tokio::spawn(serve);
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://{addr}"))
        .region(aws_types::region::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "t", "t", None, None, "t",
        ))
        .load()
        .await;
    let env: HashMap<String, String> = [("IMAGE_TAG".to_owned(), image_tag.to_owned())].into();
    let opts = ProjectOptions {
        config_path: Some(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello/ecspress.yml"),
        ),
        ..ProjectOptions::default()
    };
    let cwd = std::env::current_dir().unwrap();
    let project = load_project_with_env(&opts, Clients::from_sdk(&cfg), Arc::new(env), &cwd)
        .await
        .expect("load examples/hello");
    (sim, project)
}

fn opts() -> RunOptions {
    RunOptions {
        dry_run: false,
        count: 1,
        wait_until: Some(RunWaitUntil::Stopped),
        watch_container: None,
        revision: None,
        latest_task_definition: false,
        started_by: None,
        overrides: None,
        logs: true,
        timeout: Duration::from_secs(60),
        // ≥ one simulated second apart (the sim ticks in whole seconds).
        poll_interval: Duration::from_millis(5),
    }
}

fn logs_of(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Log { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_follow_the_forward_token_and_print_each_line_once() {
    let (_sim, project) = project("exit2").await;
    let logs = ScriptedLogs::new(vec![
        // The stream does not exist before the container logs: retried.
        Err(error(AwsErrorKind::NotFound, "ResourceNotFoundException")),
        page(&["a", "b"], "f/2"),
        page(&["c"], "f/3"),
    ]);
    let sink = RecordingSink::new();
    let out = run(&project, &opts(), Some(&logs), &sink).await.unwrap();
    assert_eq!(out.status, ExitStatus::TaskExited(2));
    let events = sink.events();
    assert_eq!(logs_of(&events), ["a", "b", "c"], "{events:#?}");
    let calls = logs.calls.lock().unwrap().clone();
    let id = run::task_id(&out.task_arns[0]).to_owned();
    // Region, group and stream from the container's awslogs options.
    assert_eq!(
        (&calls[0].0, calls[0].1.as_str(), calls[0].2.clone()),
        (
            &Some("us-east-1".to_owned()),
            "/ecs/hello",
            format!("app/app/{id}")
        )
    );
    let tokens: Vec<Option<&str>> = calls.iter().map(|c| c.3.as_deref()).collect();
    assert_eq!(&tokens[..4], [None, None, Some("f/2"), Some("f/3")]);
    assert!(tokens[4..].iter().all(|t| *t == Some("f/3")), "{tokens:?}");
    // The last word is the verdict.
    assert!(matches!(events.last(), Some(Event::Verdict(v)) if v.exit_code == 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_logs_error_warns_once_and_the_run_goes_on() {
    let (_sim, project) = project("1.27").await;
    let logs = ScriptedLogs::new(vec![Err(error(
        AwsErrorKind::AccessDenied,
        "AccessDeniedException",
    ))]);
    let sink = RecordingSink::new();
    let out = run(&project, &opts(), Some(&logs), &sink).await.unwrap();
    assert_eq!(out.status, ExitStatus::Success);
    let events = sink.events();
    let warnings: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Warning { message } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{events:#?}");
    assert!(
        warnings[0].contains("AccessDeniedException") && warnings[0].contains("req-1"),
        "{}",
        warnings[0]
    );
    assert_eq!(logs.calls.lock().unwrap().len(), 1, "streaming stopped");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_logs_reads_none_and_wait_until_running_ends_at_running() {
    let (_sim, project) = project("1.27").await;
    let logs = ScriptedLogs::new(vec![]);
    let sink = RecordingSink::new();
    let mut o = opts();
    o.watch_container = Some("app".into());
    o.overrides = Some(json!({"containerOverrides": [{"name": "app", "command": ["true"]}]}));
    // --wait-until running ends at RUNNING (the job runs 10 simulated seconds).
    o.wait_until = Some(RunWaitUntil::Running);
    o.logs = false;
    let out = run(&project, &o, Some(&logs), &sink).await.unwrap();
    assert_eq!(out.status, ExitStatus::Success);
    assert!(logs.calls.lock().unwrap().is_empty());
    let events = sink.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TaskRunning { .. })),
        "{events:#?}"
    );
}
