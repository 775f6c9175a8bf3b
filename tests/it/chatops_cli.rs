//! `ecspress chatops serve` end to end: the real binary against a real `ecspress sim`, with a
//! fake Slack receiving response_url posts. Signed slash commands deploy and report in order;
//! unsigned or forged requests and unauthorised users change nothing (simulator call counters);
//! a paused ECS-native blue/green deployment offers Approve and Roll back buttons that work.
//! Also the DynamoDB deploy lock against moto (store semantics, and `deploy --lock` twice).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::chatops::{
    self, ChatopsProcess, FakeSlack, Post, SECRET, Signing, button_value, command, interaction,
    now, text,
};
use crate::support::sim::{self, SimProcess};
use crate::support::{bin, code, repo, stderr};

const SCALE: f64 = 0.005;

/// A copy of `examples/<name>` in `dir/<name>`.
fn copy_example(name: &str, dir: &Path) {
    let to = dir.join(name);
    std::fs::create_dir_all(&to).expect("mkdir");
    for entry in std::fs::read_dir(repo().join("examples").join(name)).expect("example") {
        let entry = entry.expect("entry");
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// A tempdir with examples/hello (dev/web) and examples/bluegreen (prod/web) and a chatops.yml.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_example("hello", dir.path());
    copy_example("bluegreen", dir.path());
    std::fs::write(
        dir.path().join("chatops.yml"),
        r#"
audit_log: audit.jsonl
poll_interval: 50ms
targets:
  dev/web: { config: hello/ecspress.yml, image_tag_env: IMAGE_TAG }
  prod/web: { config: bluegreen/ecspress.yml, image_tag_env: IMAGE_TAG }
  prod/api: { config: bluegreen/ecspress.yml }
environments:
  dev:
    users: [U1, U2]
    channels: [C1]
  prod:
    users: [U1, U2]
    channels: [C1]
    commands:
      deploy: { users: [U1], channels: [C1] }
      rollback: { users: [U1], channels: [C1] }
"#,
    )
    .expect("chatops.yml");
    dir
}

async fn start_sim(clusters: &[&str]) -> SimProcess {
    let sim = sim::start(SCALE);
    let ecs = sim.ecs().await;
    for c in clusters {
        ecs.create_cluster()
            .cluster_name(*c)
            .send()
            .await
            .expect("CreateCluster");
    }
    sim
}

fn serve(dir: &Path, sim: &SimProcess) -> ChatopsProcess {
    chatops::serve(
        &dir.join("chatops.yml"),
        &[("AWS_ENDPOINT_URL", sim.url.as_str())],
    )
}

async fn total_calls(sim: &SimProcess) -> u64 {
    let calls: BTreeMap<String, u64> =
        serde_json::from_value(sim.state().await["counters"]["calls"].clone()).unwrap_or_default();
    calls.values().sum()
}

fn audit(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn is_final(p: &Post) -> bool {
    text(p).contains("(exit ")
}

fn ack_text(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"));
    assert_eq!(v["response_type"], "ephemeral", "{body}");
    v["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_deploy_acks_then_posts_progress_ending_with_the_verdict() {
    let dir = workspace();
    let sim = start_sim(&["hello"]).await;
    let fake = FakeSlack::start();
    let server = serve(dir.path(), &sim);
    let hook = format!("{}/hooks/deploy", fake.url);
    let (status, body) = chatops::post(
        &server,
        "/slack/commands",
        &command("/deploy", "dev web 1.27", "U1", "C1", &hook),
        Signing::Valid,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(ack_text(&body).contains("Working on it"), "{body}");
    // The ack does not wait for the work: no verdict has been posted when it arrives.
    assert!(!fake.posts("/hooks/deploy").iter().any(is_final));
    let posts = fake
        .wait_for("/hooks/deploy", "with the verdict", is_final)
        .await;
    let texts: Vec<String> = posts.iter().map(text).collect();
    assert!(texts[0].contains("deployment started"), "{texts:#?}");
    assert!(
        texts.last().is_some_and(|t| t.contains("(exit 0)")),
        "{texts:#?}"
    );
    assert!(texts.len() <= 5, "{texts:#?}");
    // Give a late post the chance to show up, then count again: never more than 5.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fake.posts("/hooks/deploy").len(), posts.len());
    assert!(sim.calls("UpdateService").await + sim.calls("CreateService").await >= 1);
    // Audited: accepted, then finished with the exit code.
    let lines = audit(dir.path());
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["decision"], "accepted");
    assert_eq!(lines[0]["user_id"], "U1");
    assert_eq!(lines[0]["target"], "dev/web");
    assert_eq!(lines[1]["decision"], "finished");
    assert_eq!(lines[1]["exit_code"], 0);
    assert_eq!(lines[0]["request_id"], lines[1]["request_id"]);
    // The image tag reached the template through the overlay (not the process env).
    let td = sim
        .ecs()
        .await
        .describe_task_definition()
        .task_definition("hello")
        .send()
        .await
        .expect("DescribeTaskDefinition");
    let image = td.task_definition().expect("td").container_definitions()[0]
        .image()
        .unwrap_or_default()
        .to_owned();
    assert!(image.ends_with(":1.27"), "{image}");

    // /status and /diff answer with a summary (and change nothing).
    let before = sim.calls("UpdateService").await;
    for (cmd, hook_path, want) in [
        ("/status", "/hooks/status", "running"),
        ("/diff", "/hooks/diff", "no changes"),
    ] {
        let (status, body) = chatops::post(
            &server,
            "/slack/commands",
            &command(
                cmd,
                "dev web",
                "U2",
                "C1",
                &format!("{}{hook_path}", fake.url),
            ),
            Signing::Valid,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let posts = fake.wait_for(hook_path, "with the result", is_final).await;
        let t = text(&posts[posts.len() - 1]);
        assert!(t.contains(want) && t.contains("(exit 0)"), "{cmd}: {t}");
    }
    assert_eq!(sim.calls("UpdateService").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_or_forged_requests_get_401_and_make_no_aws_call() {
    let dir = workspace();
    let sim = start_sim(&[]).await;
    let fake = FakeSlack::start();
    let server = serve(dir.path(), &sim);
    let body = command("/deploy", "dev web", "U1", "C1", &format!("{}/h", fake.url));
    let cases = [
        ("unsigned", Signing::None),
        ("wrong secret", Signing::With("not-the-secret", now())),
        ("old timestamp", Signing::With(SECRET, now() - 600)),
        ("future timestamp", Signing::With(SECRET, now() + 600)),
    ];
    for (name, signing) in cases {
        for path in ["/slack/commands", "/slack/interactions"] {
            let signing = match &signing {
                Signing::None => Signing::None,
                Signing::With(s, t) => Signing::With(s, *t),
                Signing::Valid => Signing::Valid,
            };
            let (status, text) = chatops::post(&server, path, &body, signing).await;
            assert_eq!(status, 401, "{name} {path}: {text}");
        }
    }
    // A tampered body with a valid signature of another body.
    let sig = ecspress::chatops::signing::sign(SECRET.as_bytes(), &now().to_string(), b"x=1");
    let resp = reqwest::Client::new()
        .post(format!("{}/slack/commands", server.url))
        .header("x-slack-request-timestamp", now().to_string())
        .header("x-slack-signature", sig)
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        total_calls(&sim).await,
        0,
        "no AWS call for refused requests"
    );
    assert!(fake.all().is_empty(), "nothing posted to Slack");
    let lines = audit(dir.path());
    assert_eq!(lines.len(), 9, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|l| l["decision"] == "bad_signature" && l.get("user_id").is_none())
    );
    // Health check for load balancers.
    let health = reqwest::get(format!("{}/healthz", server.url))
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthorised_users_and_malformed_commands_are_refused_without_aws_calls() {
    let dir = workspace();
    let sim = start_sim(&[]).await;
    let fake = FakeSlack::start();
    let server = serve(dir.path(), &sim);
    let hook = format!("{}/h", fake.url);
    let cases = [
        // U2 may status/diff in prod, but not deploy or rollback (command override).
        (
            "/deploy",
            "prod web",
            "U2",
            "C1",
            "you are not allowed to deploy in `prod`",
        ),
        (
            "/rollback",
            "prod web",
            "U2",
            "C1",
            "you are not allowed to rollback",
        ),
        (
            "/deploy",
            "dev web",
            "U9",
            "C1",
            "you are not allowed to deploy in `dev`",
        ),
        (
            "/deploy",
            "dev web",
            "U1",
            "C9",
            "not allowed from this channel",
        ),
        (
            "/deploy",
            "dev db",
            "U1",
            "C1",
            "unknown service `db` in `dev`; services there: web",
        ),
        (
            "/deploy",
            "qa web",
            "U1",
            "C1",
            "unknown environment `qa`; environments: dev, prod",
        ),
        (
            "/deploy",
            "prod api v2",
            "U1",
            "C1",
            "does not take an image tag",
        ),
        ("/deploy", "dev web; rm -rf /", "U1", "C1", "usage: /deploy"),
        ("/deploy", "dev web $(id)", "U1", "C1", "invalid image tag"),
        (
            "/deploy",
            "dev web {{env}}",
            "U1",
            "C1",
            "invalid image tag",
        ),
        ("/deploy", "dev web\nv2", "U1", "C1", "only plain ASCII"),
        ("/deploy", "dev w\u{0435}b", "U1", "C1", "only plain ASCII"),
        ("/shell", "dev web", "U1", "C1", "unknown command"),
    ];
    for (cmd, txt, user, channel, want) in cases {
        let (status, body) = chatops::post(
            &server,
            "/slack/commands",
            &command(cmd, txt, user, channel, &hook),
            Signing::Valid,
        )
        .await;
        assert_eq!(status, 200, "{cmd} {txt:?}: {body}");
        let t = ack_text(&body);
        assert!(
            t.starts_with("Refused: ") && t.contains(want),
            "{cmd} {txt:?}: {t}"
        );
        assert!(
            !t.contains("U1") || user == "U1" && !t.contains("U2"),
            "{t}"
        );
    }
    // A forged button (valid signature, but a value we would never have built).
    let (status, body) = chatops::post(
        &server,
        "/slack/interactions",
        &interaction(
            r#"{"action":"continue","env":"prod","service":"web; id","deployment":"x"}"#,
            "ecspress_continue",
            "U1",
            "C1",
            &hook,
        ),
        Signing::Valid,
    )
    .await;
    assert_eq!(status, 200);
    assert!(ack_text(&body).starts_with("Refused: "), "{body}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        total_calls(&sim).await,
        0,
        "no AWS call for refused requests"
    );
    assert!(fake.all().is_empty(), "{:#?}", fake.all());
    let lines = audit(dir.path());
    assert_eq!(lines.len(), cases.len() + 1);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["decision"] == "unauthorized")
            .count(),
        4
    );
    assert!(lines.iter().all(|l| l["decision"] != "accepted"));
}

/// Deploy prod/web with `tag` through Slack; wait for the paused post; return its buttons'
/// values (approve, roll back) and the deploy's hook path.
async fn deploy_until_paused(
    server: &ChatopsProcess,
    fake: &FakeSlack,
    tag: &str,
) -> (String, String, String) {
    let path = format!("/hooks/deploy-{tag}");
    let (status, body) = chatops::post(
        server,
        "/slack/commands",
        &command(
            "/deploy",
            &format!("prod web {tag}"),
            "U1",
            "C1",
            &format!("{}{path}", fake.url),
        ),
        Signing::Valid,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let posts = fake
        .wait_for(&path, "with buttons", |p| {
            button_value(p, "ecspress_continue").is_some()
        })
        .await;
    let paused = posts
        .iter()
        .find(|p| button_value(p, "ecspress_continue").is_some())
        .expect("paused post");
    assert!(
        text(paused).contains("paused at POST_TEST_TRAFFIC_SHIFT"),
        "{paused:#?}"
    );
    (
        button_value(paused, "ecspress_continue").expect("approve"),
        button_value(paused, "ecspress_rollback").expect("roll back"),
        path,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn paused_bluegreen_buttons_approve_then_roll_back() {
    let dir = workspace();
    let sim = start_sim(&["bluegreen"]).await;
    let fake = FakeSlack::start();
    let server = serve(dir.path(), &sim);

    // 1. Approve: ContinueServiceDeployment, both runs end with success.
    let (approve, _, deploy_path) = deploy_until_paused(&server, &fake, "1.27").await;
    let v: Value = serde_json::from_str(&approve).expect("value");
    assert_eq!(v["env"], "prod");
    assert!(
        v["deployment"]
            .as_str()
            .unwrap_or_default()
            .starts_with("arn:"),
        "{v}"
    );
    // U2 may not approve in prod (continue follows the deploy override).
    let (_, body) = chatops::post(
        &server,
        "/slack/interactions",
        &interaction(
            &approve,
            "ecspress_continue",
            "U2",
            "C1",
            &format!("{}/hooks/x", fake.url),
        ),
        Signing::Valid,
    )
    .await;
    assert!(
        ack_text(&body).contains("not allowed to continue"),
        "{body}"
    );
    assert_eq!(sim.calls("ContinueServiceDeployment").await, 0);
    let (status, body) = chatops::post(
        &server,
        "/slack/interactions",
        &interaction(
            &approve,
            "ecspress_continue",
            "U1",
            "C1",
            &format!("{}/hooks/approve", fake.url),
        ),
        Signing::Valid,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let posts = fake
        .wait_for("/hooks/approve", "with the verdict", is_final)
        .await;
    let last = text(&posts[posts.len() - 1]);
    assert!(last.contains("(exit 0)"), "{last}");
    let posts = fake
        .wait_for(&deploy_path, "with the verdict", is_final)
        .await;
    let texts: Vec<String> = posts.iter().map(text).collect();
    assert!(texts[0].contains("deployment started"), "{texts:#?}");
    assert!(
        texts.last().is_some_and(|t| t.contains("(exit 0)")),
        "{texts:#?}"
    );
    assert!(texts.len() <= 5);
    assert_eq!(sim.calls("ContinueServiceDeployment").await, 1);
    // The same Approve button again: that deployment is over, nothing is continued.
    let (status, _) = chatops::post(
        &server,
        "/slack/interactions",
        &interaction(
            &approve,
            "ecspress_continue",
            "U1",
            "C1",
            &format!("{}/hooks/stale", fake.url),
        ),
        Signing::Valid,
    )
    .await;
    assert_eq!(status, 200);
    let posts = fake
        .wait_for("/hooks/stale", "with the refusal", is_final)
        .await;
    let last = text(&posts[posts.len() - 1]);
    assert!(
        last.contains("no longer in progress") && last.contains("(exit 2)"),
        "{last}"
    );
    assert_eq!(sim.calls("ContinueServiceDeployment").await, 1);

    // 2. Roll back at the pause: ContinueServiceDeployment(ROLLBACK); the deploy reports 3.
    let (_, roll_back, deploy_path) = deploy_until_paused(&server, &fake, "1.28").await;
    let (status, body) = chatops::post(
        &server,
        "/slack/interactions",
        &interaction(
            &roll_back,
            "ecspress_rollback",
            "U1",
            "C1",
            &format!("{}/hooks/rollback", fake.url),
        ),
        Signing::Valid,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let posts = fake
        .wait_for("/hooks/rollback", "with the verdict", is_final)
        .await;
    let last = text(&posts[posts.len() - 1]);
    assert!(
        last.contains("rolled back") && last.contains("(exit 0)"),
        "{last}"
    );
    let posts = fake
        .wait_for(&deploy_path, "with the verdict", is_final)
        .await;
    let last = text(&posts[posts.len() - 1]);
    assert!(last.contains("(exit 3)"), "{last}");
    assert_eq!(sim.calls("ContinueServiceDeployment").await, 2);
    assert_eq!(sim.calls("StopServiceDeployment").await, 0);
    let lines = audit(dir.path());
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "interaction" && l["decision"] == "accepted"),
        "{lines:#?}"
    );
}

// ---- DynamoDB deploy lock (moto) ----

async fn lock_table(name: &str) {
    let client = aws_sdk_dynamodb::Client::new(&crate::support::moto::sdk_config().await);
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("lock_id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attr"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("lock_id")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_store_acquire_contention_expiry_and_release_only_by_holder() {
    use ecspress::aws::dynamodb::{LockItem, LockStore, LockWrite, SdkLockStore};
    lock_table("locks-store").await;
    let store = SdkLockStore::new(&crate::support::moto::sdk_config().await);
    let t = "locks-store";
    let item = |holder: &str, at: i64| LockItem {
        lock_id: "c/web".into(),
        holder: holder.into(),
        holder_info: format!("{holder} info"),
        acquired_at: at,
        expires_at: at + 300,
    };
    let now = 1_700_000_000;
    assert_eq!(
        store.acquire(t, &item("a", now), now).await.expect("a"),
        LockWrite::Done
    );
    // Contention: refused, naming the holder.
    match store
        .acquire(t, &item("b", now + 10), now + 10)
        .await
        .expect("b")
    {
        LockWrite::Refused(Some(cur)) => {
            assert_eq!(cur.holder_info, "a info");
            assert_eq!(cur.acquired_at, now);
        }
        other => panic!("{other:?}"),
    }
    // Release and refresh only by the holder.
    assert!(matches!(
        store.release(t, "c/web", "b").await.expect("rel"),
        LockWrite::Refused(_)
    ));
    assert!(matches!(
        store
            .refresh(t, "c/web", "b", now + 999)
            .await
            .expect("refresh"),
        LockWrite::Refused(_)
    ));
    assert_eq!(
        store
            .refresh(t, "c/web", "a", now + 600)
            .await
            .expect("refresh"),
        LockWrite::Done
    );
    assert_eq!(
        store
            .get(t, "c/web")
            .await
            .expect("get")
            .expect("item")
            .expires_at,
        now + 600
    );
    // Expiry takeover: once expires_at is in the past, another holder gets it.
    assert!(matches!(
        store
            .acquire(t, &item("b", now + 500), now + 500)
            .await
            .expect("b"),
        LockWrite::Refused(_)
    ));
    assert_eq!(
        store
            .acquire(t, &item("b", now + 601), now + 601)
            .await
            .expect("b"),
        LockWrite::Done
    );
    assert!(matches!(
        store.release(t, "c/web", "a").await.expect("rel"),
        LockWrite::Refused(_)
    ));
    assert_eq!(
        store.release(t, "c/web", "b").await.expect("rel"),
        LockWrite::Done
    );
    assert_eq!(store.get(t, "c/web").await.expect("get"), None);
    // Another service's lock is independent.
    assert_eq!(
        store.acquire(t, &item("a", now), now).await.expect("a"),
        LockWrite::Done
    );
    let other = LockItem {
        lock_id: "c/api".into(),
        ..item("b", now)
    };
    assert_eq!(
        store.acquire(t, &other, now).await.expect("api"),
        LockWrite::Done
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_lock_twice_concurrently_refuses_the_second_and_releases() {
    lock_table("locks-cli").await;
    // Four times slower than the other tests: the first deploy (a service creation, several
    // simulated minutes) is still running while the second one starts.
    let sim = sim::start(SCALE * 4.0);
    sim.create_cluster("hello").await;
    let dir = tempfile::tempdir().expect("tempdir");
    copy_example("hello", dir.path());
    let project = dir.path().join("hello");
    let run = |tag: &str| {
        let mut cmd = bin();
        cmd.current_dir(&project)
            .env("AWS_ENDPOINT_URL", &sim.url)
            .env(
                "AWS_ENDPOINT_URL_DYNAMODB",
                crate::support::moto::endpoint(),
            )
            .env("IMAGE_TAG", tag)
            .args([
                "deploy",
                "--lock",
                "dynamodb://locks-cli",
                "--poll-interval",
                "50ms",
            ]);
        cmd
    };
    let mut first = run("1.27")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("first deploy");
    // Wait until the first holds the lock (the item exists) and is deploying.
    let client = aws_sdk_dynamodb::Client::new(&crate::support::moto::sdk_config().await);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = client
            .get_item()
            .table_name("locks-cli")
            .key(
                "lock_id",
                aws_sdk_dynamodb::types::AttributeValue::S("hello/hello".into()),
            )
            .send()
            .await
            .expect("GetItem");
        if out.item.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first deploy never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        first.try_wait().expect("try_wait").is_none(),
        "the first deploy ended too early"
    );
    let second = run("1.28").output().expect("second deploy");
    assert!(
        first.try_wait().expect("try_wait").is_none(),
        "the first deploy ended too early"
    );
    let err = stderr(&second);
    assert_eq!(code(&second), 2, "{err}");
    assert!(
        err.contains("held by")
            && err.contains("ecspress deploy")
            && err.contains("nothing was changed"),
        "{err}"
    );
    let first = first.wait_with_output().expect("first");
    assert_eq!(
        code(&first),
        0,
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // The second changed nothing: the first's calls only (it registers + creates once).
    assert_eq!(sim.calls("RegisterTaskDefinition").await, 1);
    // Released on exit: the item is gone, and a third deploy gets the lock.
    let out = client
        .get_item()
        .table_name("locks-cli")
        .key(
            "lock_id",
            aws_sdk_dynamodb::types::AttributeValue::S("hello/hello".into()),
        )
        .send()
        .await
        .expect("GetItem");
    assert!(out.item.is_none(), "lock not released: {:?}", out.item);
    let third = run("1.28").output().expect("third deploy");
    assert_eq!(code(&third), 0, "{}", stderr(&third));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_bot_token_progress_goes_to_one_thread() {
    let dir = workspace();
    let fake = FakeSlack::start();
    let cfg = std::fs::read_to_string(dir.path().join("chatops.yml")).expect("read");
    std::fs::write(
        dir.path().join("chatops.yml"),
        format!(
            "bot_token: {{ env: TEST_SLACK_BOT_TOKEN }}\nslack_api_url: {}/api\n{cfg}",
            fake.url
        ),
    )
    .expect("write");
    let sim = start_sim(&["hello"]).await;
    let server = chatops::serve(
        &dir.path().join("chatops.yml"),
        &[
            ("AWS_ENDPOINT_URL", sim.url.as_str()),
            ("TEST_SLACK_BOT_TOKEN", "xoxb-test"),
        ],
    );
    let (status, body) = chatops::post(
        &server,
        "/slack/commands",
        &command(
            "/deploy",
            "dev web",
            "U1",
            "C1",
            &format!("{}/hooks/unused", fake.url),
        ),
        Signing::Valid,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let posts = fake
        .wait_for("/api/chat.postMessage", "with the verdict", is_final)
        .await;
    assert!(fake.posts("/hooks/unused").is_empty());
    assert!(posts.len() >= 2, "{posts:#?}");
    assert!(
        posts.iter().all(|p| p.body["channel"] == "C1"),
        "{posts:#?}"
    );
    // The first post starts the thread; every later one replies in it.
    assert!(posts[0].body.get("thread_ts").is_none(), "{posts:#?}");
    assert!(
        posts[1..]
            .iter()
            .all(|p| p.body["thread_ts"] == "1700000000.000100"),
        "{posts:#?}"
    );
}
