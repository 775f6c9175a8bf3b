//! Slack notifications and the JSON Lines contract, through the real binary against
//! `ecspress sim` and a fake Slack (tests/it/support/slack.rs).

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::sim::{self, SimProcess};
use crate::support::slack::{FakeSlack, Reply};
use crate::support::{bin, code, describe, repo, stderr, stdout};

const WEBHOOK_PATH: &str = "/services/T000/B000/s3cr3tW3bh00k";
const TOKEN: &str = "xoxb-000-s3cr3tT0ken";

/// A copy of `examples/hello` with `extra` appended to its ecspress.yml.
fn project(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(repo().join("examples/hello")).expect("examples/hello") {
        let entry = entry.expect("entry");
        if entry.path().is_file() && entry.file_name() != "demo.sh" {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
    }
    let cfg = dir.path().join("ecspress.yml");
    let mut text = std::fs::read_to_string(&cfg).expect("read");
    text.push_str(extra);
    std::fs::write(&cfg, text).expect("write");
    dir
}

const WEBHOOK_CONFIG: &str = "notify:\n  slack:\n    webhook_url: {env: TEST_SLACK_WEBHOOK}\n";
const BOT_CONFIG: &str =
    "notify:\n  slack:\n    bot_token: {env: TEST_SLACK_TOKEN}\n    channel: deploys\n";

async fn start_sim() -> SimProcess {
    let sim = sim::start(0.005);
    sim.create_cluster("hello").await;
    sim
}

fn ecspress(sim: &SimProcess, dir: &Path, slack: &FakeSlack, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", &sim.url)
        .env("TEST_SLACK_WEBHOOK", format!("{}{WEBHOOK_PATH}", slack.url))
        .env("TEST_SLACK_TOKEN", TOKEN)
        .env("ECSPRESS_SLACK_API_URL", format!("{}/api", slack.url))
        .env("CODEBUILD_BUILD_ID", "hello-build:42")
        .args(args)
        .args(if watches(args) {
            &["--poll-interval", "50ms"][..]
        } else {
            &[]
        })
        .output()
        .expect("run ecspress")
}

/// Whether the command takes watch flags (poll fast).
fn watches(args: &[&str]) -> bool {
    args.iter()
        .any(|a| matches!(*a, "deploy" | "rollback" | "wait"))
}

/// Neither the webhook URL's secret part nor the token is printed anywhere.
#[track_caller]
fn assert_no_credentials(o: &Output) {
    for out in [stdout(o), stderr(o)] {
        assert!(
            !out.contains("s3cr3tW3bh00k"),
            "webhook URL printed:\n{out}"
        );
        assert!(!out.contains("s3cr3tT0ken"), "token printed:\n{out}");
    }
}

fn text_of(body: &Value) -> String {
    body["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_posts_start_then_the_final_verdict_in_order() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = project(WEBHOOK_CONFIG);
    let o = ecspress(&sim, dir.path(), &slack, &["deploy"]);
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_no_credentials(&o);
    assert!(!stderr(&o).contains("warning"), "{}", describe(&o));
    let reqs = slack.requests();
    let texts: Vec<String> = reqs.iter().map(|r| text_of(&r.body)).collect();
    assert_eq!(
        texts.len(),
        2,
        "start and final only (updates off): {texts:?}"
    );
    assert!(
        reqs.iter()
            .all(|r| r.path == WEBHOOK_PATH && r.method == "POST")
    );
    assert!(texts[0].contains("deploy hello started"), "{texts:?}");
    assert!(texts[1].contains("succeeded (exit 0)"), "{texts:?}");
    let all = serde_json::to_string(&reqs[1].body).unwrap();
    assert!(
        all.contains("hello:1"),
        "revision in the final message: {all}"
    );
    assert!(
        all.contains("hello-build:42"),
        "build id in the message: {all}"
    );
    assert!(
        all.contains("ecs/v2/clusters/hello/services/hello/deployments"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_429_then_success_is_delivered_and_exit_is_0() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![
        Reply::new(429, "rate_limited").header("Retry-After", "1"),
    ]);
    let dir = project(WEBHOOK_CONFIG);
    let o = ecspress(&sim, dir.path(), &slack, &["deploy"]);
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert!(!stderr(&o).contains("warning"), "{}", describe(&o));
    let texts: Vec<String> = slack.requests().iter().map(|r| text_of(&r.body)).collect();
    assert_eq!(texts.len(), 3, "start (429), start again, final: {texts:?}");
    assert_eq!(texts[0], texts[1], "the same message is retried");
    assert!(texts[2].contains("exit 0"), "{texts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_404_is_one_warning_and_the_deploy_still_exits_0() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![Reply::new(404, "no_service")]);
    let dir = project(WEBHOOK_CONFIG);
    let o = ecspress(&sim, dir.path(), &slack, &["deploy"]);
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_no_credentials(&o);
    let err = stderr(&o);
    assert_eq!(err.matches("warning").count(), 1, "{err}");
    assert!(err.contains("404") && err.contains("no_service"), "{err}");
    assert_eq!(
        slack.requests().len(),
        1,
        "no retry of a 404, no further posts after a failure"
    );

    // JSON mode: the warning is a record, and the verdict still ends the stream.
    let slack = FakeSlack::start(vec![Reply::new(404, "no_service")]);
    let o = ecspress(
        &sim,
        dir.path(),
        &slack,
        &["--output", "json", "deploy", "--force-new-deployment"],
    );
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_no_credentials(&o);
    let records = json_records(&o);
    assert_one_closing_verdict(&records, 0);
    assert!(
        records.iter().any(|r| r["type"] == "warning"
            && r["data"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("no_service")),
        "{}",
        describe(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bot_token_posts_then_replies_in_the_thread_then_updates_the_head() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = project(BOT_CONFIG);
    let o = ecspress(&sim, dir.path(), &slack, &["deploy"]);
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_no_credentials(&o);
    assert!(!stderr(&o).contains("warning"), "{}", describe(&o));
    let reqs = slack.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/chat.postMessage",
            "/api/chat.postMessage",
            "/api/chat.update"
        ],
        "head, final reply, head update"
    );
    for r in &reqs {
        assert_eq!(
            r.headers.get("authorization").map(String::as_str),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    assert_eq!(reqs[0].body["channel"], "deploys");
    assert!(
        reqs[0].body.get("thread_ts").is_none(),
        "the head is not a reply"
    );
    let head_ts = "1.000100"; // the fake's answer to the first request
    assert_eq!(reqs[1].body["thread_ts"], head_ts);
    assert!(text_of(&reqs[1].body).contains("exit 0"));
    assert_eq!(reqs[2].body["ts"], head_ts);
    assert_eq!(
        reqs[2].body["channel"], "C0TEST",
        "chat.update uses the channel id"
    );
    assert!(text_of(&reqs[2].body).contains("exit 0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_command_posts_the_build_result() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = project(WEBHOOK_CONFIG);
    let o = ecspress(
        &sim,
        dir.path(),
        &slack,
        &[
            "notify",
            "--status",
            "failure",
            "--message",
            "unit tests failed",
        ],
    );
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_no_credentials(&o);
    let reqs = slack.requests();
    assert_eq!(reqs.len(), 1);
    let all = serde_json::to_string(&reqs[0].body).unwrap();
    assert!(all.contains("unit tests failed"), "{all}");
    assert!(all.contains("hello-build:42"), "{all}");

    // A failing post is the command's failure (exit 2), with no credential in the error.
    let slack = FakeSlack::start(vec![Reply::new(410, "channel_is_archived")]);
    let o = ecspress(&sim, dir.path(), &slack, &["notify", "--status", "0"]);
    assert_eq!(code(&o), 2, "{}", describe(&o));
    assert!(
        stderr(&o).contains("channel_is_archived"),
        "{}",
        describe(&o)
    );
    assert_no_credentials(&o);
}

pub(crate) fn json_records(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l}\n{}", describe(o)))
        })
        .collect()
}

/// Exactly one `verdict`, the last record, carrying `exit`.
#[track_caller]
pub(crate) fn assert_one_closing_verdict(records: &[Value], exit: i32) {
    let verdicts = records.iter().filter(|r| r["type"] == "verdict").count();
    assert_eq!(verdicts, 1, "{records:#?}");
    let last = records.last().expect("records");
    assert_eq!(last["type"], "verdict", "{records:#?}");
    assert_eq!(last["data"]["exit_code"], exit, "{last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_mode_every_command_ends_with_one_verdict_carrying_the_exit_code() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = project("");
    let run = |args: &[&str]| {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        ecspress(&sim, dir.path(), &slack, &all)
    };
    // (args, expected exit): a first deploy, no-change deploy, --no-wait, dry run, diff
    // (with and without changes), status, wait, rollback (nothing to roll back to: error).
    let cases: &[(&[&str], i32)] = &[
        (&["status"], 2),
        (&["deploy"], 0),
        (&["deploy"], 0),
        (&["deploy", "--dry-run"], 0),
        (&["deploy", "--no-wait", "--force-new-deployment"], 0),
        (&["wait"], 0),
        (&["status"], 0),
        (&["diff", "--exit-code"], 0),
        (&["deploy", "--tasks", "-7"], 2),
        (&["rollback"], 2),
        (&["deploy", "--no-such-flag"], 2),
    ];
    for (args, exit) in cases {
        let o = run(args);
        assert_eq!(code(&o), *exit, "{args:?}\n{}", describe(&o));
        let records = json_records(&o);
        assert_one_closing_verdict(&records, *exit);
        if *exit == 2 {
            let n = records.len();
            assert!(
                n >= 2 && records[n - 2]["type"] == "error",
                "{args:?}: {records:#?}"
            );
        }
    }
    // A real change: diff --exit-code is 1; a rollback to revision 1 watches and succeeds.
    let td = dir.path().join("ecs-task-def.json");
    let text = std::fs::read_to_string(&td).unwrap();
    assert!(text.contains(r#""memory": "512""#));
    std::fs::write(
        &td,
        text.replace(r#""memory": "512""#, r#""memory": "1024""#),
    )
    .unwrap();
    for (args, exit) in [
        (&["diff", "--exit-code"][..], 1),
        (&["deploy"][..], 0),
        (&["rollback"][..], 0),
    ] {
        let o = run(args);
        assert_eq!(code(&o), exit, "{args:?}\n{}", describe(&o));
        assert_one_closing_verdict(&json_records(&o), exit);
    }
}

/// Split a shell line into words: whitespace separates, double and single quotes group.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Every `ecspress ...` command in examples/codebuild/buildspec.yml parses with the real CLI,
/// so the example cannot rot when flags change.
#[test]
fn codebuild_example_commands_parse_with_the_real_cli() {
    use clap::Parser;
    let path = repo().join("examples/codebuild/buildspec.yml");
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&path).expect("buildspec")).expect("YAML");
    let mut found = Vec::new();
    let phases = doc["phases"].as_mapping().expect("phases");
    for (phase, body) in phases {
        for cmd in body["commands"].as_sequence().expect("commands") {
            let text = cmd.as_str().expect("a command is a string");
            for line in text.lines() {
                for segment in line.split(['|', ';', '&']) {
                    let words = shell_words(segment.trim());
                    if words.first().map(String::as_str) != Some("ecspress") {
                        continue;
                    }
                    if let Err(e) = ecspress::cli::Cli::try_parse_from(&words) {
                        panic!("{phase:?}: {segment:?} does not parse:\n{e}");
                    }
                    found.push(words[1..].join(" "));
                }
            }
        }
    }
    let has = |sub: &str| {
        found
            .iter()
            .any(|c| c.starts_with(sub) || c.contains(&format!(" {sub}")))
    };
    for expected in ["diff", "deploy", "notify --status"] {
        assert!(
            has(expected),
            "no `ecspress {expected}` in the buildspec: {found:?}"
        );
    }
}

async fn tags_of(sim: &SimProcess, arn: &str) -> std::collections::BTreeMap<String, String> {
    let out = sim
        .ecs()
        .await
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("ListTagsForResource");
    out.tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `notify.tag_resources`: the service and the new revision carry the metadata tags, and the
/// tags never make the revision "changed" (no new registration) nor show in `diff`.
#[tokio::test(flavor = "multi_thread")]
async fn metadata_tags_on_service_and_revision_never_count_as_changes() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = project("notify:\n  tag_resources: true\n");
    let o = ecspress(
        &sim,
        dir.path(),
        &slack,
        &[
            "--meta-commit",
            "c0ffee1",
            "--meta-by",
            "ana <a@b>",
            "deploy",
        ],
    );
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert!(stderr(&o).contains("Tagged"), "{}", describe(&o));
    let svc = sim
        .ecs()
        .await
        .describe_services()
        .cluster("hello")
        .services("hello")
        .send()
        .await
        .expect("DescribeServices");
    let svc = &svc.services()[0];
    let want = [
        ("ecspress:commit", "c0ffee1"),
        ("ecspress:deployed-by", "ana _a@b_"),
        ("ecspress:build", "hello-build:42"),
    ];
    for arn in [
        svc.service_arn().unwrap_or_default(),
        svc.task_definition().unwrap_or_default(),
    ] {
        let tags = tags_of(&sim, arn).await;
        for (k, v) in want {
            assert_eq!(tags.get(k).map(String::as_str), Some(v), "{arn}: {tags:?}");
        }
    }
    // Another commit: same revision (no registration), no diff.
    let o = ecspress(
        &sim,
        dir.path(),
        &slack,
        &["--meta-commit", "d00d", "deploy"],
    );
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_eq!(
        sim.calls("RegisterTaskDefinition").await,
        1,
        "{}",
        describe(&o)
    );
    let o = ecspress(&sim, dir.path(), &slack, &["diff", "--exit-code"]);
    assert_eq!(
        code(&o),
        0,
        "metadata tags are no difference:\n{}",
        describe(&o)
    );
    assert_eq!(
        tags_of(&sim, svc.service_arn().unwrap_or_default()).await["ecspress:commit"],
        "d00d"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn render_config_shows_the_credential_reference_not_its_value() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = project(WEBHOOK_CONFIG);
    let o = ecspress(&sim, dir.path(), &slack, &["render", "config"]);
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_no_credentials(&o);
    let config: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(
        config["notify"]["slack"]["webhook_url"],
        serde_json::json!({"env": "TEST_SLACK_WEBHOOK"})
    );
    assert!(slack.requests().is_empty());
}

/// A copy of `examples/bluegreen` (PAUSE hook at POST_TEST_TRAFFIC_SHIFT) + `extra` config.
fn bluegreen(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(repo().join("examples/bluegreen")).expect("bluegreen") {
        let entry = entry.expect("entry");
        if entry.path().is_file() && entry.file_name() != "demo.sh" {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
    }
    let cfg = dir.path().join("ecspress.yml");
    let text = std::fs::read_to_string(&cfg).unwrap() + extra;
    std::fs::write(&cfg, text).unwrap();
    dir
}

async fn bluegreen_sim() -> SimProcess {
    let sim = sim::start(0.005);
    sim.create_cluster("bluegreen").await;
    sim
}

/// Webhook mode: start, the pause, the verdict; stage changes only with `updates: true`.
#[tokio::test(flavor = "multi_thread")]
async fn webhook_posts_stage_changes_only_with_updates() {
    let sim = bluegreen_sim().await;
    for (updates, want_stages) in [(false, false), (true, true)] {
        let slack = FakeSlack::start(vec![]);
        let dir = bluegreen(&format!("{WEBHOOK_CONFIG}    updates: {updates}\n"));
        let o = ecspress(
            &sim,
            dir.path(),
            &slack,
            &["deploy", "--force-new-deployment", "--wait-until", "paused"],
        );
        assert_eq!(code(&o), 0, "{}", describe(&o));
        // Release the pause so that the next round starts a fresh deployment.
        let c = ecspress(&sim, dir.path(), &slack, &["continue", "--no-wait"]);
        assert_eq!(code(&c), 0, "{}", describe(&c));
        let texts: Vec<String> = slack
            .requests()
            .iter()
            .take_while(|r| r.path == WEBHOOK_PATH)
            .map(|r| text_of(&r.body))
            .collect();
        assert!(texts[0].contains("started"), "{texts:?}");
        assert!(
            texts
                .iter()
                .any(|t| t.contains("paused at POST_TEST_TRAFFIC_SHIFT")),
            "{texts:?}"
        );
        assert!(
            texts.last().is_some_and(|t| t.contains("exit 0")),
            "{texts:?}"
        );
        let stages = texts
            .iter()
            .filter(|t| t.starts_with("deploy web: "))
            .count();
        assert_eq!(stages > 0, want_stages, "updates: {updates}: {texts:?}");
    }
}

/// Bot mode on an ECS-native blue/green service with a PAUSE hook: the head message, then in
/// its thread the stage changes (each stage once), the pause with the commands, the verdict,
/// and the head updated last.
#[tokio::test(flavor = "multi_thread")]
async fn bot_token_threads_stage_changes_and_the_pause() {
    let sim = bluegreen_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = bluegreen(BOT_CONFIG);
    let o = ecspress(
        &sim,
        dir.path(),
        &slack,
        &["deploy", "--wait-until", "paused"],
    );
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_no_credentials(&o);
    let reqs = slack.requests();
    let (head, rest) = reqs.split_first().expect("a head message");
    assert_eq!(head.path, "/api/chat.postMessage");
    assert!(head.body.get("thread_ts").is_none());
    let (update, replies) = rest.split_last().expect("an update");
    assert_eq!(update.path, "/api/chat.update");
    assert!(!replies.is_empty());
    let texts: Vec<String> = replies.iter().map(|r| text_of(&r.body)).collect();
    for r in replies {
        assert_eq!(r.path, "/api/chat.postMessage");
        assert_eq!(
            r.body["thread_ts"], "1.000100",
            "a reply in the head's thread: {texts:?}"
        );
    }
    let stages: Vec<&String> = texts
        .iter()
        .filter(|t| t.starts_with("deploy web: "))
        .collect();
    assert!(!stages.is_empty(), "stage changes are posted: {texts:?}");
    let mut dedup = stages.clone();
    dedup.dedup();
    assert_eq!(dedup, stages, "no stage posted twice in a row: {texts:?}");
    let paused = replies
        .iter()
        .find(|r| text_of(&r.body).contains("paused at POST_TEST_TRAFFIC_SHIFT"))
        .unwrap_or_else(|| panic!("a paused reply: {texts:?}"));
    let body = paused.body.to_string();
    assert!(body.contains("ecspress continue --rollback"), "{body}");
    assert!(
        texts.last().is_some_and(|t| t.contains("exit 0")),
        "{texts:?}"
    );
}

/// Credentials from SSM (SecureString) and Secrets Manager, through the run's AWS clients
/// (moto); a missing parameter is a clear error naming the reference, not a value.
#[tokio::test(flavor = "multi_thread")]
async fn credentials_from_ssm_and_secrets_manager() {
    let cfg = crate::support::moto::sdk_config().await;
    let slack = FakeSlack::start(vec![]);
    let hook = format!("{}{WEBHOOK_PATH}", slack.url);
    aws_sdk_ssm::Client::new(&cfg)
        .put_parameter()
        .name("/notify-it/slack-hook")
        .value(&hook)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&cfg);
    let _ = sm
        .create_secret()
        .name("notify-it/slack-token")
        .secret_string(TOKEN)
        .send()
        .await;
    let run = |extra: &str, args: &[&str]| {
        let dir = project(extra);
        bin()
            .current_dir(dir.path())
            .env("AWS_ENDPOINT_URL", crate::support::moto::endpoint())
            .env("ECSPRESS_SLACK_API_URL", format!("{}/api", slack.url))
            .args(args)
            .output()
            .expect("run ecspress")
    };
    let o = run(
        "notify:\n  slack:\n    webhook_url: {ssm: /notify-it/slack-hook}\n",
        &["notify", "--status", "success"],
    );
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert_no_credentials(&o);
    let o = run(
        "notify:\n  slack:\n    bot_token: {secretsmanager: notify-it/slack-token}\n    channel: C9\n",
        &["notify", "--status", "3"],
    );
    assert_eq!(code(&o), 0, "{}", describe(&o));
    let reqs = slack.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[0].path, WEBHOOK_PATH);
    assert_eq!(reqs[1].path, "/api/chat.postMessage");
    assert_eq!(
        reqs[1].headers.get("authorization").map(String::as_str),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(text_of(&reqs[1].body).contains("exit 3"));

    let o = run(
        "notify:\n  slack:\n    webhook_url: {ssm: /notify-it/missing}\n",
        &["notify", "--status", "success"],
    );
    assert_eq!(code(&o), 2, "{}", describe(&o));
    assert!(
        stderr(&o).contains("/notify-it/missing"),
        "{}",
        describe(&o)
    );
}

/// Ctrl-C while watching: exit 130, and the Slack conversation is closed with the
/// `interrupted` verdict (thread reply + head update) before the process exits.
#[tokio::test(flavor = "multi_thread")]
async fn interrupt_closes_the_slack_thread_with_the_interrupted_verdict() {
    let sim = bluegreen_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = bluegreen(BOT_CONFIG);
    let child = bin()
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", &sim.url)
        .env("TEST_SLACK_TOKEN", TOKEN)
        .env("ECSPRESS_SLACK_API_URL", format!("{}/api", slack.url))
        .args(["--output", "json", "deploy", "--poll-interval", "50ms"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // The deployment stops at its PAUSE hook: wait for the `paused` reply, then Ctrl-C.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !slack
        .requests()
        .iter()
        .any(|r| text_of(&r.body).contains("paused at"))
    {
        assert!(std::time::Instant::now() < deadline, "no paused message");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(code(&o), 130, "{}", describe(&o));
    assert_one_closing_verdict(&json_records(&o), 130);
    let reqs = slack.requests();
    let last = reqs.last().expect("requests");
    assert_eq!(last.path, "/api/chat.update", "{reqs:?}");
    assert!(
        text_of(&last.body).contains("interrupted (exit 130)"),
        "{reqs:?}"
    );
}

/// Webhook and bot together: both conversations happen, independently.
#[tokio::test(flavor = "multi_thread")]
async fn webhook_and_bot_token_together_both_get_the_messages() {
    let sim = start_sim().await;
    let slack = FakeSlack::start(vec![]);
    let dir = project(
        "notify:\n  slack:\n    webhook_url: {env: TEST_SLACK_WEBHOOK}\n    bot_token: {env: TEST_SLACK_TOKEN}\n    channel: deploys\n",
    );
    let o = ecspress(&sim, dir.path(), &slack, &["deploy"]);
    assert_eq!(code(&o), 0, "{}", describe(&o));
    assert!(!stderr(&o).contains("warning"), "{}", describe(&o));
    let reqs = slack.requests();
    let webhook = reqs.iter().filter(|r| r.path == WEBHOOK_PATH).count();
    let api: Vec<&str> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(webhook, 2, "{reqs:?}");
    assert_eq!(
        api,
        [
            "/api/chat.postMessage",
            "/api/chat.postMessage",
            "/api/chat.update"
        ]
    );
}
