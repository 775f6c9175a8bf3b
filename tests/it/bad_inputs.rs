//! The bad-input corpus (tests/bad_inputs/*.case, format in its README): every case exits 2
//! with a message that points at the file:line or flag, and makes no AWS call (the endpoint is
//! a listener that must see no connection). All messages are snapshotted together, so a
//! change in any of them is reviewed.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;

use crate::support::{bin, code, repo, stderr};

struct Case {
    name: String,
    args: Vec<String>,
    expect: Vec<String>,
    env: Vec<(String, String)>,
    files: Vec<(String, Vec<u8>)>,
}

fn parse(name: &str, bytes: &[u8]) -> Case {
    let mut case = Case {
        name: name.to_owned(),
        args: Vec::new(),
        expect: Vec::new(),
        env: Vec::new(),
        files: Vec::new(),
    };
    let mut current: Option<(String, Vec<u8>)> = None;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"--- ") {
            if let Some(f) = current.take() {
                case.files.push(f);
            }
            let file = String::from_utf8_lossy(rest).trim().to_owned();
            current = Some((file, Vec::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.extend_from_slice(line);
        } else {
            let text = String::from_utf8_lossy(line);
            let text = text.trim();
            if let Some(a) = text.strip_prefix("# args:") {
                case.args = a.split_whitespace().map(str::to_owned).collect();
            } else if let Some(e) = text.strip_prefix("# expect:") {
                case.expect.push(e.trim().to_owned());
            } else if let Some(e) = text.strip_prefix("# env:") {
                let (k, v) = e.trim().split_once('=').expect("NAME=VALUE");
                case.env.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    case.files.extend(current);
    assert!(!case.args.is_empty(), "{name}: no `# args:` line");
    assert!(!case.expect.is_empty(), "{name}: no `# expect:` line");
    case
}

fn cases() -> Vec<Case> {
    let dir = repo().join("tests/bad_inputs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            let name = p.file_stem().expect("name").to_string_lossy().into_owned();
            parse(&name, &std::fs::read(p).expect("read case"))
        })
        .collect()
}

/// Replace the temp dir in messages so the snapshot is stable.
fn stable(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "<dir>")
        .lines()
        .map(|l| {
            // Non-TTY lines start with an RFC 3339 timestamp.
            match l.split_once(' ') {
                Some((ts, rest)) if ts.len() == 20 && ts.ends_with('Z') => rest.to_owned(),
                _ => l.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_bad_input_exits_2_with_a_located_message_and_no_aws_call() {
    let cases = cases();
    assert!(cases.len() >= 110, "the corpus shrank: {}", cases.len());
    let mut report = String::new();
    let mut failures = Vec::new();
    for case in &cases {
        // A listener per case: a connection is charged to the case that made it.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let dir = tempfile::tempdir().expect("tempdir");
        for (file, body) in &case.files {
            let path = dir.path().join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, body).expect("write");
        }
        let o = bin()
            .current_dir(dir.path())
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bad-inputs")
            .env("AWS_SECRET_ACCESS_KEY", "bad-inputs")
            .envs(case.env.iter().map(|(k, v)| (k, v)))
            .args(&case.args)
            .output()
            .expect("run ecspress");
        let err = stable(&stderr(&o), dir.path());
        if code(&o) != 2 {
            failures.push(format!("{}: exit {} (want 2):\n{err}", case.name, code(&o)));
        }
        for e in &case.expect {
            if !err.contains(e.as_str()) {
                failures.push(format!("{}: {e:?} not in:\n{err}", case.name));
            }
        }
        match listener.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Ok((_, peer)) => {
                failures.push(format!("{}: an AWS call was made (from {peer})", case.name))
            }
            Err(e) => panic!("accept: {e}"),
        }
        report.push_str(&format!(
            "== {} (ecspress {})\n{}\n",
            case.name,
            case.args.join(" "),
            err.trim_end()
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    insta::assert_snapshot!("bad_inputs", report);
}
