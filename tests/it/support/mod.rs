//! Test support: run the real binary, serve files over HTTP, and a moto server.
//!
//! Everything binds to 127.0.0.1 on free ports and is stopped when the test binary exits.

pub mod chatops;
pub mod moto;
pub mod proxy;
pub mod sim;
pub mod slack;

use std::path::Path;
use std::process::{Command, Output};

/// The built `ecspress` binary.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecspress"));
    hermetic_env(&mut cmd);
    cmd
}

/// Keep the developer's real AWS config, credentials and colors out of the binary under test.
pub fn hermetic_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().to_string();
        if k.starts_with("AWS_")
            || k.starts_with("ECSPRESS_")
            || k.starts_with("CODEBUILD_")
            || k == "TF_WORKSPACE"
        {
            cmd.env_remove(&k);
        }
    }
    let none = std::env::temp_dir().join("ecspress-test-no-such-aws-file");
    cmd.env("AWS_CONFIG_FILE", &none)
        .env("AWS_SHARED_CREDENTIALS_FILE", &none)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "2")
        .env("NO_COLOR", "1")
        // Deployment metadata (`by`) is the same on every machine.
        .env("USER", "tester")
        .env("HOSTNAME", "testhost")
        .env_remove("CI");
}

/// Run and capture.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run ecspress")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code (panics on a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited by signal")
}

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Exit code, stdout and stderr of a run, for assertion messages.
pub fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// Assert the exit code, showing the whole run when it differs.
#[track_caller]
pub fn expect_exit(o: &Output, expected: i32) {
    assert_eq!(code(o), expected, "{}", describe(o));
}

/// stdout parsed as JSON Lines (panics on a line that is not JSON).
pub fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// A copy of `examples/<name>` (files only, no `demo.sh`) in a temporary directory; `edit` may
/// rewrite its files.
pub fn example(name: &str, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = repo().join("examples").join(name);
    for entry in std::fs::read_dir(&from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("entry");
        let file = entry.file_name();
        if entry.path().is_file() && file != "demo.sh" {
            std::fs::copy(entry.path(), dir.path().join(&file)).expect("copy");
        }
    }
    edit(dir.path());
    dir
}

/// Replace `from` by `to` in `file` (which must contain it).
pub fn rewrite(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} does not contain {from:?}");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

/// `ecspress ARGS` in `dir` against the endpoint `url`, with extra environment variables.
pub fn command_at(url: &str, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .env("AWS_ENDPOINT_URL", url)
        .envs(env.iter().copied())
        .args(args);
    cmd
}

/// A tiny HTTP/1.1 server on 127.0.0.1 serving fixed (path → (status, body)) routes.
/// Returns the base URL. Lives until the test binary exits.
pub fn serve_static(routes: Vec<(&'static str, u16, Vec<u8>)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
            }
            let (status, body) = routes
                .iter()
                .find(|(p, _, _)| *p == path)
                .map(|(_, s, b)| (*s, b.clone()))
                .unwrap_or((404, b"not found".to_vec()));
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}")
}
