//! ChatOps test support: a fake Slack that records what it is sent (response_url posts and Web
//! API calls), an `ecspress chatops serve` process, and signed requests to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The signing secret the tests' server uses.
pub const SECRET: &str = "test-signing-secret-0123456789";

/// One request the fake Slack received.
#[derive(Debug, Clone)]
pub struct Post {
    /// Request path (`/hooks/1`, `/api/chat.postMessage`).
    pub path: String,
    /// JSON body.
    pub body: Value,
}

/// A fake Slack on a free port; lives until the test binary exits.
pub struct FakeSlack {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    posts: Arc<Mutex<Vec<Post>>>,
}

impl FakeSlack {
    /// Start it.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let posts = Arc::new(Mutex::new(Vec::new()));
        let record = posts.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':')
                        && k.eq_ignore_ascii_case("content-length")
                    {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                record.lock().expect("lock").push(Post { path, body });
                let resp = br#"{"ok":true,"ts":"1700000000.000100"}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n",
                    resp.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(resp);
            }
        });
        FakeSlack { url, posts }
    }

    /// Everything posted to `path`, in arrival order.
    pub fn posts(&self, path: &str) -> Vec<Post> {
        self.posts
            .lock()
            .expect("lock")
            .iter()
            .filter(|p| p.path == path)
            .cloned()
            .collect()
    }

    /// Every post.
    pub fn all(&self) -> Vec<Post> {
        self.posts.lock().expect("lock").clone()
    }

    /// Wait until a post to `path` satisfies `pred`; returns all posts to `path` then.
    pub async fn wait_for(
        &self,
        path: &str,
        what: &str,
        pred: impl Fn(&Post) -> bool,
    ) -> Vec<Post> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let posts = self.posts(path);
            if posts.iter().any(&pred) {
                return posts;
            }
            assert!(
                Instant::now() < deadline,
                "no post to {path} {what} within 60 s; got {posts:#?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// A running `ecspress chatops serve`.
pub struct ChatopsProcess {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    child: Child,
}

impl Drop for ChatopsProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `ecspress --config CONFIG chatops serve --listen 127.0.0.1:0` with `env`.
pub fn serve(config: &Path, env: &[(&str, &str)]) -> ChatopsProcess {
    let mut cmd = super::bin();
    cmd.env("SLACK_SIGNING_SECRET", SECRET);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .arg("--config")
        .arg(config)
        .args(["chatops", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ecspress chatops serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let url = line
        .trim()
        .strip_prefix("ecspress chatops listening on ")
        .unwrap_or_else(|| panic!("unexpected ready line {line:?}"))
        .to_owned();
    ChatopsProcess { url, child }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A form body.
pub fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// How to sign a request.
pub enum Signing<'a> {
    /// Correctly, now.
    Valid,
    /// With this secret and timestamp.
    With(&'a str, i64),
    /// No signature headers.
    None,
}

/// POST `body` to `path`; returns (status, body text).
pub async fn post(
    server: &ChatopsProcess,
    path: &str,
    body: &str,
    signing: Signing<'_>,
) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    let (secret, ts) = match signing {
        Signing::Valid => (Some(SECRET), now()),
        Signing::With(s, ts) => (Some(s), ts),
        Signing::None => (None, 0),
    };
    if let Some(secret) = secret {
        let sig =
            ecspress::chatops::signing::sign(secret.as_bytes(), &ts.to_string(), body.as_bytes());
        req = req
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", sig);
    }
    let resp = req.send().await.expect("post to chatops");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// A slash command body.
pub fn command(command: &str, text: &str, user: &str, channel: &str, response_url: &str) -> String {
    form(&[
        ("token", "deprecated"),
        ("team_id", "T1"),
        ("channel_id", channel),
        ("channel_name", "deploys"),
        ("user_id", user),
        ("user_name", "alice"),
        ("command", command),
        ("text", text),
        ("response_url", response_url),
        ("trigger_id", "1.2.3"),
    ])
}

/// A block_actions interaction body clicking the button with `value`.
pub fn interaction(
    value: &str,
    action_id: &str,
    user: &str,
    channel: &str,
    response_url: &str,
) -> String {
    let payload = serde_json::json!({
        "type": "block_actions",
        "user": { "id": user, "username": "alice" },
        "channel": { "id": channel, "name": "deploys" },
        "response_url": response_url,
        "actions": [{ "action_id": action_id, "value": value, "type": "button" }],
    });
    form(&[("payload", &payload.to_string())])
}

/// The `value` of the button `action_id` in a post's blocks.
pub fn button_value(post: &Post, action_id: &str) -> Option<String> {
    post.body["blocks"]
        .as_array()?
        .iter()
        .filter_map(|b| b["elements"].as_array())
        .flatten()
        .find(|e| e["action_id"] == action_id)
        .and_then(|e| e["value"].as_str())
        .map(str::to_owned)
}

/// The text of a post.
pub fn text(post: &Post) -> String {
    post.body["text"].as_str().unwrap_or_default().to_owned()
}
