//! A moto server for the services our adapters call (S3, SSM, Secrets Manager, ...).
//!
//! moto is installed on first use into `target/tmp/moto-venv` with pip (pinned version), so a
//! plain `cargo test` works on a fresh machine that has python3. `MOTO_SERVER_PYTHON` may point
//! at an existing interpreter that has moto. One server per test binary; it exits by itself
//! when this process goes away (it polls its parent pid), so no test leaves it running.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What the test virtualenv holds: moto (the version ../shared/reference/moto.md evaluated)
/// and the AWS CLI v1 (a third-party client that must agree with `ecspress sim`'s wire format).
const REQUIREMENTS: &[&str] = &["moto[server]==5.2.5", "awscli==1.46.3"];

const LAUNCHER: &str = r#"
import os, sys, time
from moto.server import ThreadedMotoServer
parent = os.getppid()
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("ready", flush=True)
while os.getppid() == parent:
    time.sleep(0.5)
server.stop()
"#;

/// A program installed in the test virtualenv (e.g. `aws`), installing the venv if needed.
pub fn venv_bin(name: &str) -> PathBuf {
    python().with_file_name(name)
}

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("MOTO_SERVER_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("moto-venv");
    let py = venv.join("bin/python");
    let marker = venv.join(".installed-moto-5.2.5-awscli-1.46.3");
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if !marker.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv")
            .success();
        assert!(ok, "creating the moto virtualenv failed");
        let ok = Command::new(&py)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(REQUIREMENTS)
            .status()
            .expect("pip install")
            .success();
        assert!(ok, "pip install {REQUIREMENTS:?} failed");
        std::fs::write(&marker, b"").expect("marker");
    }
    py
}

/// The endpoint URL of this binary's moto server, started on first call.
pub fn endpoint() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = Command::new(python())
            .arg("-c")
            .arg(LAUNCHER)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let stdout = child.stdout.take().expect("stdout");
        // The launcher exits by itself when this process goes away; reap it if it ends earlier.
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("moto did not start within 60 s");
        assert_eq!(line.trim(), "ready", "moto launcher said {line:?}");
        let url = format!("http://127.0.0.1:{port}");
        // First call per service is slow in moto (lazy backend import); warm up once.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        url
    })
}

/// An SDK config pointed at moto (for seeding data from tests).
pub async fn sdk_config() -> aws_types::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_types::region::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await
}

/// Put (overwrite) SSM parameters `(name, value, type)` in moto.
pub async fn put_parameters(params: &[(&str, &str, aws_sdk_ssm::types::ParameterType)]) {
    let ssm = aws_sdk_ssm::Client::new(&sdk_config().await);
    for (name, value, kind) in params {
        ssm.put_parameter()
            .name(*name)
            .value(*value)
            .r#type(kind.clone())
            .overwrite(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutParameter {name}: {e:?}"));
    }
}

/// The ARN of Secrets Manager secret `name` in moto, created with `value` if it does not
/// exist yet (moto lives as long as the test binary, so another test may have made it).
pub async fn secret_arn(name: &str, value: &str) -> String {
    let sm = aws_sdk_secretsmanager::Client::new(&sdk_config().await);
    if let Ok(found) = sm.describe_secret().secret_id(name).send().await {
        return found.arn.expect("arn");
    }
    sm.create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateSecret {name}: {e:?}"))
        .arn
        .expect("arn")
}
