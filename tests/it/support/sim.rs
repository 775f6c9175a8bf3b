//! A real `ecspress sim` process per test, on a free port, stopped on drop; SDK clients for it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A running simulator.
pub struct SimProcess {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    child: Child,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `ecspress sim --listen 127.0.0.1:0 --time-scale SCALE` and wait for its ready line.
pub fn start(time_scale: f64) -> SimProcess {
    let mut cmd = super::bin();
    let mut child = cmd
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--time-scale",
            &time_scale.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ecspress sim");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let url = line
        .trim()
        .strip_prefix("ecspress sim listening on ")
        .unwrap_or_else(|| panic!("unexpected ready line {line:?}"))
        .to_owned();
    SimProcess { url, child }
}

impl SimProcess {
    /// CreateCluster `name` (through the SDK).
    pub async fn create_cluster(&self, name: &str) {
        self.ecs()
            .await
            .create_cluster()
            .cluster_name(name)
            .send()
            .await
            .expect("CreateCluster");
    }

    /// SDK config pointed at this simulator; `attempts` = SDK max attempts.
    pub async fn sdk_config(&self, attempts: u32) -> aws_types::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(aws_types::region::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(attempts))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_secs(5))
                    .build(),
            )
            .load()
            .await
    }

    /// ECS client.
    pub async fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.sdk_config(1).await)
    }

    /// CodeDeploy client.
    pub async fn codedeploy(&self) -> aws_sdk_codedeploy::Client {
        aws_sdk_codedeploy::Client::new(&self.sdk_config(1).await)
    }

    /// POST a control endpoint (`/_sim/...`).
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let resp = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .body(body.to_string())
            .send()
            .await
            .expect("control request");
        let status = resp.status();
        let v: Value = serde_json::from_str(&resp.text().await.expect("body")).expect("json");
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// GET `/_sim/state`.
    pub async fn state(&self) -> Value {
        let text = reqwest::get(format!("{}/_sim/state", self.url))
            .await
            .expect("state")
            .text()
            .await
            .expect("body");
        serde_json::from_str(&text).expect("json")
    }

    /// Calls counted per operation by the simulator.
    pub async fn calls(&self, operation: &str) -> u64 {
        self.state().await["counters"]["calls"][operation]
            .as_u64()
            .unwrap_or(0)
    }
}

/// Run an `aws` CLI command against the simulator; returns (exit code, stdout, stderr).
pub fn aws_cli(sim: &SimProcess, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(super::moto::venv_bin("aws"));
    super::hermetic_env(&mut cmd);
    let o = cmd
        .env("AWS_ENDPOINT_URL", &sim.url)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_PAGER", "")
        .args(args)
        .args(["--output", "json"])
        .output()
        .expect("run aws");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `ecspress ARGS` in `dir` against `sim`, with extra environment variables.
pub fn command(
    sim: &SimProcess,
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> Command {
    super::command_at(&sim.url, dir, env, args)
}

/// Run [`command`] and capture its output.
pub fn ecspress(
    sim: &SimProcess,
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    command(sim, dir, env, args).output().expect("run ecspress")
}
