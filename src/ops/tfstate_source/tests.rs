use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::aws::{AwsError, AwsErrorKind, AwsResult};

const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tfstate");

fn fixture_bytes() -> Vec<u8> {
    std::fs::read(Path::new(FIXTURE_DIR).join("terraform.tfstate")).expect("fixture")
}

/// An in-memory S3 that records every GetObject.
#[derive(Default)]
struct FakeS3 {
    objects: HashMap<(String, String), Vec<u8>>,
    calls: Mutex<Vec<(String, String)>>,
}

impl FakeS3 {
    fn with(objects: &[(&str, &str, Vec<u8>)]) -> FakeS3 {
        FakeS3 {
            objects: objects
                .iter()
                .map(|(b, k, v)| ((b.to_string(), k.to_string()), v.clone()))
                .collect(),
            calls: Mutex::new(Vec::new()),
        }
    }
    fn calls(&self) -> Vec<(String, String)> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl ObjectStore for FakeS3 {
    async fn get_object(&self, bucket: &str, key: &str) -> AwsResult<Vec<u8>> {
        self.calls
            .lock()
            .unwrap()
            .push((bucket.to_owned(), key.to_owned()));
        self.objects
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
            .ok_or_else(|| AwsError {
                kind: AwsErrorKind::NotFound,
                operation: "GetObject",
                target: format!("s3://{bucket}/{key}"),
                code: Some("NoSuchKey".into()),
                message: "The specified key does not exist.".into(),
                request_id: Some("REQ123".into()),
            })
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn tf_workspace_prod(name: &str) -> Option<String> {
    (name == "TF_WORKSPACE").then(|| "prod".to_owned())
}

fn tf_workspace_blank(name: &str) -> Option<String> {
    (name == "TF_WORKSPACE").then(String::new)
}

fn assert_fixture(state: &TfState) {
    assert_eq!(state.list().len(), 28);
    assert_eq!(
        state
            .lookup("module.logs.aws_cloudwatch_log_group.main['app'].retention_in_days")
            .unwrap(),
        json!(30)
    );
}

fn chain(e: &anyhow::Error) -> String {
    format!("{e:#}")
}

#[tokio::test]
async fn reads_local_paths_and_file_urls() {
    let s3 = FakeS3::default();
    let fixtures_root = Path::new(FIXTURE_DIR).parent().unwrap();
    let absolute = format!("{FIXTURE_DIR}/terraform.tfstate");
    let file_abs = format!("file://{absolute}");
    let cases: Vec<(&str, &Path)> = vec![
        ("terraform.tfstate", Path::new(FIXTURE_DIR)),
        ("tfstate/terraform.tfstate", fixtures_root),
        // a directory stands for its terraform.tfstate
        ("tfstate", fixtures_root),
        (absolute.as_str(), Path::new("/nonexistent")),
        ("file://tfstate/terraform.tfstate", fixtures_root),
        (file_abs.as_str(), Path::new("/nonexistent")),
    ];
    for (location, base) in cases {
        let state = read_state(location, base, &s3)
            .await
            .unwrap_or_else(|e| panic!("{location}: {e:#}"));
        assert_eq!(state.source_name(), location);
        assert_fixture(&state);
    }
    assert!(s3.calls().is_empty());
}

#[tokio::test]
async fn local_errors_name_the_location() {
    let s3 = FakeS3::default();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.tfstate"),
        "{\n  \"version\": 4,\n  oops\n}",
    )
    .unwrap();
    std::fs::write(dir.path().join("v3.tfstate"), r#"{"version": 3}"#).unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let cases = [
        (
            "missing.tfstate",
            vec!["cannot read tfstate missing.tfstate", "missing.tfstate"],
        ),
        (
            "bad.tfstate",
            vec!["invalid tfstate bad.tfstate at line 3 column 3: "],
        ),
        (
            "v3.tfstate",
            vec!["unsupported state version 3 in v3.tfstate"],
        ),
        ("empty", vec!["is a directory with neither", ".terraform"]),
        ("ftp://host/key", vec!["ftp:// is not supported"]),
        ("gs://bucket", vec!["gs://bucket/object"]),
        (
            "remote://host/org",
            vec!["remote://host/organization/workspace"],
        ),
        (
            "azurerm://rg/acct/c",
            vec!["azurerm://[subscription@]resource_group"],
        ),
        ("s3://bucket-only", vec!["s3://bucket/key"]),
        ("s3:///key", vec!["s3://bucket/key"]),
        ("", vec!["location is empty"]),
    ];
    for (location, wants) in cases {
        let err = read_state(location, dir.path(), &s3).await.unwrap_err();
        let msg = chain(&err);
        for want in wants {
            assert!(msg.contains(want), "{location}: {msg}");
        }
    }
    assert!(s3.calls().is_empty());
}

#[tokio::test]
async fn reads_s3_urls_through_the_object_store() {
    let s3 = FakeS3::with(&[("states", "app/terraform.tfstate", fixture_bytes())]);
    let state = read_state("s3://states/app/terraform.tfstate", Path::new("."), &s3)
        .await
        .unwrap();
    assert_eq!(state.source_name(), "s3://states/app/terraform.tfstate");
    assert_fixture(&state);
    assert_eq!(
        s3.calls(),
        vec![("states".to_owned(), "app/terraform.tfstate".to_owned())]
    );

    let err = read_state("s3://states/missing.tfstate", Path::new("."), &s3)
        .await
        .unwrap_err();
    let msg = chain(&err);
    assert!(
        msg.contains("cannot read tfstate s3://states/missing.tfstate"),
        "{msg}"
    );
    assert!(msg.contains("NoSuchKey"), "{msg}");
    let aws = err
        .downcast_ref::<AwsError>()
        .expect("the AwsError is kept");
    assert_eq!(aws.kind, AwsErrorKind::NotFound);
}

/// A `.terraform` directory holding an s3 backend pointer, and optionally an environment file.
fn pointer_dir(backend: serde_json::Value, environment: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let dot = dir.path().join(".terraform");
    std::fs::create_dir(&dot).unwrap();
    let pointer = json!({
        "version": 3,
        "serial": 1,
        "lineage": "x",
        "backend": backend,
        "modules": [{"path": ["root"], "outputs": {}, "resources": {}, "depends_on": []}]
    });
    std::fs::write(dot.join("terraform.tfstate"), pointer.to_string()).unwrap();
    if let Some(ws) = environment {
        std::fs::write(dot.join("environment"), ws).unwrap();
    }
    dir
}

#[tokio::test]
async fn follows_s3_backend_pointers_with_workspaces() {
    let s3_backend = |prefix: serde_json::Value| {
        json!({
            "type": "s3",
            "config": {
                "bucket": "tf-states",
                "key": "app/terraform.tfstate",
                "region": "ap-northeast-1",
                "workspace_key_prefix": prefix
            },
            "hash": 1
        })
    };
    type Env = &'static (dyn Fn(&str) -> Option<String> + Sync);
    let cases: Vec<(serde_json::Value, Option<&str>, Env, &str, &str)> = vec![
        // no workspace anywhere: the key itself
        (
            s3_backend(json!(null)),
            None,
            &no_env,
            ".terraform/terraform.tfstate",
            "app/terraform.tfstate",
        ),
        // the environment file next to the pointer, default prefix
        (
            s3_backend(json!(null)),
            Some("staging\n"),
            &no_env,
            ".terraform/terraform.tfstate",
            "env:/staging/app/terraform.tfstate",
        ),
        // TF_WORKSPACE beats the environment file; custom prefix
        (
            s3_backend(json!("workspaces")),
            Some("staging"),
            &tf_workspace_prod,
            ".terraform/terraform.tfstate",
            "workspaces/prod/app/terraform.tfstate",
        ),
        // a blank TF_WORKSPACE counts as unset
        (
            s3_backend(json!("workspaces")),
            Some("staging"),
            &tf_workspace_blank,
            ".terraform/terraform.tfstate",
            "workspaces/staging/app/terraform.tfstate",
        ),
        // the environment file says default
        (
            s3_backend(json!("workspaces")),
            Some("default"),
            &no_env,
            ".terraform/terraform.tfstate",
            "app/terraform.tfstate",
        ),
        // the directory itself: no terraform.tfstate, so the pointer
        (
            s3_backend(json!(null)),
            Some("staging"),
            &no_env,
            ".",
            "env:/staging/app/terraform.tfstate",
        ),
    ];
    for (backend, environment, env, location, want_key) in cases {
        let dir = pointer_dir(backend, environment);
        let s3 = FakeS3::with(&[("tf-states", want_key, fixture_bytes())]);
        let state = read_state_with_env(location, dir.path(), &s3, env)
            .await
            .unwrap_or_else(|e| panic!("{location} {want_key}: {e:#}"));
        assert_eq!(
            s3.calls(),
            vec![("tf-states".to_owned(), want_key.to_owned())]
        );
        assert_eq!(
            state.source_name(),
            format!("{location} (s3://tf-states/{want_key})")
        );
        assert_fixture(&state);
    }
}

#[tokio::test]
async fn backend_pointer_errors() {
    let cases = [
        (
            json!({"type": "consul", "config": {"path": "p"}}),
            "backend type consul is not supported",
        ),
        (
            json!({"type": "cloud", "config": {"organization": "o"}}),
            "selects workspaces by tags",
        ),
        (
            json!({"type": "s3", "config": {"bucket": "b", "key": "k", "profile": "other"}}),
            "cannot switch credentials",
        ),
        (
            json!({"type": "s3", "config": {"key": "k"}}),
            "has no bucket",
        ),
        (
            json!({"type": "s3", "config": {"bucket": "b", "key": null}}),
            "has no key",
        ),
        (
            json!({"type": "s3", "config": {"bucket": "b", "key": "missing"}}),
            "cannot read tfstate s3://b/missing (the s3 backend of .terraform/terraform.tfstate, workspace default)",
        ),
    ];
    for (backend, want) in cases {
        let dir = pointer_dir(backend.clone(), None);
        let s3 = FakeS3::default();
        let err = read_state_with_env(".terraform/terraform.tfstate", dir.path(), &s3, &no_env)
            .await
            .unwrap_err();
        let msg = chain(&err);
        assert!(msg.contains(want), "{backend}: {msg}");
        assert!(
            msg.contains(".terraform/terraform.tfstate"),
            "{backend}: {msg}"
        );
    }

    // A pointer whose target is itself a pointer is not followed again.
    let dir = pointer_dir(
        json!({"type": "s3", "config": {"bucket": "b", "key": "k"}}),
        None,
    );
    let again = std::fs::read(dir.path().join(".terraform/terraform.tfstate")).unwrap();
    let s3 = FakeS3::with(&[("b", "k", again)]);
    let err = read_state_with_env(".terraform/terraform.tfstate", dir.path(), &s3, &no_env)
        .await
        .unwrap_err();
    assert!(chain(&err).contains("another backend pointer"), "{err:#}");
}

#[test]
fn workspace_resolution() {
    let set =
        |value: &'static str| move |name: &str| (name == "TF_WORKSPACE").then(|| value.to_owned());
    type BoxedEnv = Box<dyn Fn(&str) -> Option<String> + Sync>;
    let cases: Vec<(BoxedEnv, Option<&str>, &str)> = vec![
        (Box::new(no_env), None, "default"),
        (Box::new(no_env), Some("staging\n"), "staging"),
        (Box::new(no_env), Some("  \n"), "default"),
        (Box::new(set("prod")), Some("staging"), "prod"),
        (Box::new(set(" prod ")), None, "prod"),
        (Box::new(set("")), Some("staging"), "staging"),
        // other variables are not consulted
        (
            Box::new(|n: &str| (n == "WORKSPACE").then(|| "x".to_owned())),
            None,
            "default",
        ),
    ];
    for (env, file, want) in cases {
        assert_eq!(resolve_workspace(&*env, file), want, "{file:?}");
    }
}

#[test]
fn location_forms() {
    let base = Path::new("/cfg");
    let cases = [
        (
            "terraform.tfstate",
            Source::Local(PathBuf::from("/cfg/terraform.tfstate")),
        ),
        (
            "../infra/terraform.tfstate",
            Source::Local(PathBuf::from("/cfg/../infra/terraform.tfstate")),
        ),
        (
            "/abs/terraform.tfstate",
            Source::Local(PathBuf::from("/abs/terraform.tfstate")),
        ),
        (
            "file://rel/x.tfstate",
            Source::Local(PathBuf::from("/cfg/rel/x.tfstate")),
        ),
        (
            "file:///abs/my%20x.tfstate",
            Source::Local(PathBuf::from("/abs/my x.tfstate")),
        ),
        (
            "file://localhost/abs/x",
            Source::Local(PathBuf::from("/abs/x")),
        ),
        (
            "s3://bucket/path/to/key.tfstate",
            Source::S3 {
                bucket: "bucket".into(),
                key: "path/to/key.tfstate".into(),
            },
        ),
        (
            "S3://bucket/k",
            Source::S3 {
                bucket: "bucket".into(),
                key: "k".into(),
            },
        ),
        (
            "https://example.com/state?x=1",
            Source::Http(url::Url::parse("https://example.com/state?x=1").unwrap()),
        ),
        (
            "remote://app.terraform.io/acme/web",
            Source::Remote(BackendTarget::Tfe(
                backend::parse_remote_url("app.terraform.io/acme/web").unwrap(),
            )),
        ),
        (
            "gs://b/p/default.tfstate",
            Source::Remote(BackendTarget::Gcs(
                backend::parse_gs_url("b/p/default.tfstate").unwrap(),
            )),
        ),
        (
            "azurerm://sub@rg/acct/c/k.tfstate",
            Source::Remote(BackendTarget::Azure(
                backend::parse_azurerm_url("sub@rg/acct/c/k.tfstate").unwrap(),
            )),
        ),
        // not a scheme: a local path that happens to contain ://
        (
            "dir with :// in it",
            Source::Local(PathBuf::from("/cfg/dir with :// in it")),
        ),
    ];
    for (location, want) in cases {
        assert_eq!(Source::parse(location, base).unwrap(), want, "{location}");
    }
    let secret = Source::parse("https://user:pw@example.com/s", base).unwrap();
    assert_eq!(
        secret.display_name("https://user:pw@example.com/s"),
        "https://user:***@example.com/s"
    );
}

/// A one-file HTTP/1.1 server on 127.0.0.1: `/terraform.tfstate` is the fixture, anything
/// else is a 404 page (as a misconfigured static host would return).
async fn serve_fixture() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = fixture_bytes();
    let handle = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let path = text.split_whitespace().nth(1).unwrap_or("").to_owned();
                let (status, body) = if path == "/terraform.tfstate" {
                    ("200 OK", body)
                } else {
                    (
                        "404 Not Found",
                        b"<html><body>404 page not found</body></html>".to_vec(),
                    )
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), handle)
}

#[tokio::test]
async fn reads_http_and_reports_status() {
    let (base_url, server) = serve_fixture().await;
    let s3 = FakeS3::default();

    let url = format!("{base_url}/terraform.tfstate");
    let state = read_state(&url, Path::new("."), &s3).await.unwrap();
    assert_eq!(state.source_name(), url);
    assert_fixture(&state);

    let missing = format!("{base_url}/nope.tfstate");
    let err = read_state(&missing, Path::new("."), &s3).await.unwrap_err();
    let msg = chain(&err);
    assert!(
        msg.contains(&format!("GET {missing} returned HTTP 404 Not Found")),
        "{msg}"
    );
    assert!(!msg.contains("invalid tfstate"), "{msg}");

    // Nothing listening: a transport error naming the URL.
    server.abort();
    let _ = server.await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!(
        "http://{}/terraform.tfstate",
        listener.local_addr().unwrap()
    );
    drop(listener);
    let err = read_state(&closed, Path::new("."), &s3).await.unwrap_err();
    assert!(
        chain(&err).contains(&format!("GET {closed} failed")),
        "{err:#}"
    );
    assert!(s3.calls().is_empty());
}

/// A build without an optional backend names the missing feature (run with
/// `cargo test --lib --no-default-features feature_off`).
#[cfg(not(all(feature = "tfe", feature = "gcs", feature = "azurerm")))]
#[tokio::test]
async fn feature_off_backends_name_the_feature() {
    let s3 = FakeS3::default();
    let cases = [
        ("tfe", "remote://app.terraform.io/acme/web"),
        ("gcs", "gs://bucket/key.tfstate"),
        ("azurerm", "azurerm://rg/acct/container/key.tfstate"),
    ];
    let mut checked = 0;
    for (feature, location) in cases {
        let on = match feature {
            "tfe" => cfg!(feature = "tfe"),
            "gcs" => cfg!(feature = "gcs"),
            _ => cfg!(feature = "azurerm"),
        };
        if on {
            continue;
        }
        let err = read_state_with_env(location, Path::new("."), &s3, &no_env)
            .await
            .unwrap_err();
        let msg = chain(&err);
        assert!(
            msg.contains(&format!("needs the `{feature}` feature")),
            "{location}: {msg}"
        );
        assert!(msg.contains(&format!("--features {feature}")), "{msg}");
        checked += 1;
    }
    assert!(checked > 0);
}
