//! Secret hygiene through the binary (#10): secret-named environment values and SecureString
//! parameters never reach stdout/stderr/JSON records unless `--show-secrets`; Slack webhook
//! URLs never, not even in a request error.

use std::path::Path;
use std::process::Output;

use crate::support::sim::{self, SimProcess};
use crate::support::slack::FakeSlack;
use crate::support::{command_at, example, expect_exit, moto, rewrite, stderr, stdout};

const OLD: &str = "hunter2-old-value";
const NEW: &str = "hunter2-new-value";

/// examples/hello with a `DB_PASSWORD` (default pattern) and an `APP_PASSPHRASE` (masked by
/// `mask.env_names`) taken from the environment.
fn project() -> tempfile::TempDir {
    example("hello", |dir| {
        rewrite(
            dir,
            "ecs-task-def.json",
            r#""environment": ["#,
            r#""environment": [
        { "name": "DB_PASSWORD", "value": "{{ env(name="DB_PW") }}" },
        { "name": "APP_PASSPHRASE", "value": "{{ env(name="PASSPHRASE") }}" },"#,
        );
        let cfg = dir.join("ecspress.yml");
        let mut text = std::fs::read_to_string(&cfg).expect("config");
        text.push_str("mask:\n  env_names: [\"*PASSPHRASE*\"]\n");
        std::fs::write(&cfg, text).expect("write");
    })
}

fn ecspress(sim: &SimProcess, dir: &Path, pw: &str, args: &[&str]) -> Output {
    command_at(
        &sim.url,
        dir,
        &[("DB_PW", pw), ("PASSPHRASE", "correct horse battery")],
        args,
    )
    .output()
    .expect("run ecspress")
}

#[track_caller]
fn assert_hidden(o: &Output, values: &[&str]) {
    for out in [stdout(o), stderr(o)] {
        for v in values {
            assert!(!out.contains(v), "{v} printed:\n{out}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_environment_values_are_masked_unless_show_secrets() {
    let sim = sim::start(0.005);
    sim.create_cluster("hello").await;
    let dir = project();
    let o = ecspress(
        &sim,
        dir.path(),
        OLD,
        &["deploy", "--poll-interval", "50ms"],
    );
    expect_exit(&o, 0);
    assert_hidden(&o, &[OLD, "correct horse battery"]);

    // A changed secret: the diff shows that the line changed, never the values (the live
    // side's old value is masked too).
    let o = ecspress(&sim, dir.path(), NEW, &["diff"]);
    expect_exit(&o, 0);
    assert_hidden(&o, &[OLD, NEW, "correct horse battery"]);
    let out = stdout(&o);
    assert!(
        out.contains("-          \"value\": \"***\"")
            && out.contains("+          \"value\": \"***\""),
        "the change is still visible:\n{out}"
    );
    // JSON Lines records, render output and the dry-run deploy too.
    for args in [
        &["--output", "json", "diff"][..],
        &["render", "taskdef"][..],
        &["--output", "json", "render", "taskdef"][..],
        &["deploy", "--dry-run"][..],
    ] {
        let o = ecspress(&sim, dir.path(), NEW, args);
        assert_hidden(&o, &[OLD, NEW, "correct horse battery"]);
    }
    // --show-secrets shows user secrets again.
    let o = ecspress(&sim, dir.path(), NEW, &["--show-secrets", "diff"]);
    let out = stdout(&o);
    assert!(out.contains(OLD) && out.contains(NEW), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn secure_string_parameters_are_masked() {
    use aws_sdk_ssm::types::ParameterType;
    moto::put_parameters(&[
        (
            "/secrets-it/api",
            "sk_live_very_secret",
            ParameterType::SecureString,
        ),
        (
            "/secrets-it/host",
            "db.internal.example",
            ParameterType::String,
        ),
    ])
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("ecspress.yml"),
        "region: us-east-1\ntask_definition: td.json\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("td.json"),
        r#"{"family": "f", "containerDefinitions": [{"name": "app", "image": "x",
  "environment": [{"name": "UPSTREAM", "value": "{{ ssm(name="/secrets-it/api") }}"},
                  {"name": "HOST", "value": "{{ ssm(name="/secrets-it/host") }}"}]}]}"#,
    )
    .expect("write");
    let run = |args: &[&str]| {
        command_at(moto::endpoint(), dir.path(), &[], args)
            .output()
            .expect("run")
    };
    let o = run(&["render", "taskdef"]);
    expect_exit(&o, 0);
    assert_hidden(&o, &["sk_live_very_secret"]);
    assert!(
        stdout(&o).contains("db.internal.example"),
        "a String parameter is no secret"
    );
    let o = run(&["--show-secrets", "render", "taskdef"]);
    assert!(stdout(&o).contains("sk_live_very_secret"), "{}", stdout(&o));
}

/// Slack texts go through the same mask: a secret value that also appears in what the
/// message shows (here, contrived: the image tag equals the password) is `***` in Slack.
#[tokio::test(flavor = "multi_thread")]
async fn slack_messages_are_masked_too() {
    let sim = sim::start(0.005);
    sim.create_cluster("hello").await;
    let slack = FakeSlack::start(vec![]);
    let dir = project();
    let cfg = dir.path().join("ecspress.yml");
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    text.push_str("notify:\n  slack:\n    webhook_url: {env: TEST_SLACK_WEBHOOK}\n");
    std::fs::write(&cfg, text).expect("write");
    let hook = format!("{}/services/T0/B0/XyZs3cr3tHook", slack.url);
    let o = command_at(
        &sim.url,
        dir.path(),
        &[
            ("DB_PW", OLD),
            ("IMAGE_TAG", OLD),
            ("PASSPHRASE", "correct horse battery"),
            ("TEST_SLACK_WEBHOOK", hook.as_str()),
        ],
        &["deploy", "--poll-interval", "50ms"],
    )
    .output()
    .expect("run");
    expect_exit(&o, 0);
    assert_hidden(&o, &[OLD, "XyZs3cr3tHook"]);
    let bodies: Vec<String> = slack
        .requests()
        .iter()
        .map(|r| r.body.to_string())
        .collect();
    assert!(!bodies.is_empty(), "Slack was called");
    let all = bodies.join("\n");
    assert!(!all.contains(OLD), "secret in a Slack message: {all}");
    assert!(
        all.contains("nginx:***"),
        "the image line is still there, masked: {all}"
    );
}
