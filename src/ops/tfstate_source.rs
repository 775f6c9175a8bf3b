//! Fetch a Terraform state from where a tfstate plugin says it is.
//!
//! Locations (tfstate-lookup's `ReadURL`, reference §6.1):
//!
//! - a local path, relative to the config file's directory; a directory means its
//!   `terraform.tfstate`, else its `.terraform/terraform.tfstate`;
//! - `file://path` (relative or absolute);
//! - `s3://bucket/key`, through the [`ObjectStore`] trait (the adapter finds the bucket region);
//! - `http://` / `https://`: a plain GET with timeouts. Unlike tfstate-lookup we check the status,
//!   so a 404 page is reported as a 404 rather than as "invalid JSON" (reference §9 takeaways).
//!
//! A *backend pointer* (`.terraform/terraform.tfstate` written by `terraform init`, holding a
//! `backend` block instead of resources) is followed: for the `s3` backend the real state is read
//! from `bucket`/`key`, and for a workspace other than `default` from
//! `<workspace_key_prefix, default "env:">/<workspace>/<key>`, which is where Terraform's s3 backend
//! stores workspace states. The workspace is `TF_WORKSPACE`, else the `environment` file next to the
//! pointer (`terraform workspace select` writes `.terraform/environment`), else `default`. Other
//! backend types are reported as not supported, as tfstate-lookup does for http, consul, pg, etc.
//!
//! Only this module does I/O for tfstate; indexing and lookups are pure ([`crate::model::tfstate`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::aws::ObjectStore;
use crate::model::tfstate::{BackendPointer, StateDocument, TfState};

/// Connecting to an HTTP state server.
const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// No progress while reading the response.
const HTTP_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The whole request, body included (large states over slow links still fit).
const HTTP_TOTAL_TIMEOUT: Duration = Duration::from_secs(600);
/// Terraform's workspace when none is selected.
const DEFAULT_WORKSPACE: &str = "default";
/// Terraform's s3 backend default for `workspace_key_prefix`.
const DEFAULT_WORKSPACE_KEY_PREFIX: &str = "env:";
/// The file `terraform workspace select` writes next to the backend pointer.
const ENVIRONMENT_FILE: &str = "environment";

/// Read and index the state at `location` (see the module docs for the forms). Relative local
/// paths are resolved against `base_dir`. Errors name the location.
pub async fn read_state(
    location: &str,
    base_dir: &Path,
    s3: &dyn ObjectStore,
) -> anyhow::Result<TfState> {
    let env = |name: &str| std::env::var(name).ok();
    read_state_with_env(location, base_dir, s3, &env).await
}

/// An environment variable lookup, injectable so tests need not touch the process environment.
type EnvLookup<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

async fn read_state_with_env(
    location: &str,
    base_dir: &Path,
    s3: &dyn ObjectStore,
    env: EnvLookup<'_>,
) -> anyhow::Result<TfState> {
    let source = Source::parse(location, base_dir)
        .with_context(|| format!("invalid tfstate location {location}"))?;
    let source_name = source.display_name(location);
    let fetched = source
        .fetch(s3)
        .await
        .with_context(|| format!("cannot read tfstate {source_name}"))?;
    // Tfstate errors name the source themselves; no extra context needed.
    let document = TfState::parse_document(fetched.bytes, &source_name)?;
    let pointer = match document {
        StateDocument::State(state) => return Ok(state),
        StateDocument::Backend(pointer) => pointer,
    };

    let environment_file = match &fetched.local_path {
        Some(path) => read_environment_file(path).await?,
        None => None,
    };
    let workspace = resolve_workspace(env, environment_file.as_deref());
    let (bucket, key) = s3_backend_object(&pointer, &workspace)
        .with_context(|| format!("cannot follow the backend pointer {source_name}"))?;
    let object = format!("s3://{bucket}/{key}");
    let bytes = s3.get_object(&bucket, &key).await.with_context(|| {
        format!(
            "cannot read tfstate {object} (the s3 backend of {source_name}, workspace {workspace})"
        )
    })?;
    let name = format!("{source_name} ({object})");
    match TfState::parse_document(bytes, &name)? {
        StateDocument::State(state) => Ok(state),
        StateDocument::Backend(_) => {
            bail!("{name} is another backend pointer; refusing to follow pointers in a chain")
        }
    }
}

/// Where a location points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A local file or directory.
    Local(PathBuf),
    /// An S3 object.
    S3 { bucket: String, key: String },
    /// An HTTP(S) URL.
    Http(url::Url),
}

/// Bytes as fetched, and for local files the path they came from (for the `environment` file).
struct Fetched {
    bytes: Vec<u8>,
    local_path: Option<PathBuf>,
}

impl Source {
    fn parse(location: &str, base_dir: &Path) -> anyhow::Result<Source> {
        let location = location.trim();
        if location.is_empty() {
            bail!("the location is empty");
        }
        let Some((scheme, rest)) = split_scheme(location) else {
            return Ok(Source::Local(base_dir.join(location)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "s3" => match rest.split_once('/') {
                Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Source::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                }),
                _ => bail!("an S3 location must look like s3://bucket/key"),
            },
            "file" => Ok(Source::Local(file_url_path(location, rest, base_dir))),
            "http" | "https" => Ok(Source::Http(url::Url::parse(location)?)),
            other => bail!(
                "the URL scheme {other}:// is not supported; use a local path, file://, s3:// or http(s)://"
            ),
        }
    }

    /// The name errors and lookups use: the location as given, minus any URL password.
    fn display_name(&self, location: &str) -> String {
        match self {
            Source::Http(url) if url.password().is_some() => redacted(url),
            _ => location.trim().to_owned(),
        }
    }

    async fn fetch(&self, s3: &dyn ObjectStore) -> anyhow::Result<Fetched> {
        match self {
            Source::Local(path) => {
                let path = resolve_local(path).await?;
                let bytes = tokio::fs::read(&path)
                    .await
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Ok(Fetched {
                    bytes,
                    local_path: Some(path),
                })
            }
            Source::S3 { bucket, key } => Ok(Fetched {
                bytes: s3.get_object(bucket, key).await?,
                local_path: None,
            }),
            Source::Http(url) => Ok(Fetched {
                bytes: fetch_http(url).await?,
                local_path: None,
            }),
        }
    }
}

/// `scheme://rest` when the location starts with a URL scheme (RFC 3986 characters).
fn split_scheme(location: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = location.split_once("://")?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    (first_ok && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then_some((scheme, rest))
}

/// `file:///abs/path` (percent-decoded), `file://localhost/abs`, or tfstate-lookup's relative
/// `file://dir/terraform.tfstate` (resolved against `base_dir`).
fn file_url_path(location: &str, rest: &str, base_dir: &Path) -> PathBuf {
    if rest.starts_with('/') || rest.starts_with("localhost/") {
        if let Ok(Ok(path)) = url::Url::parse(location).map(|u| u.to_file_path()) {
            return path;
        }
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        return PathBuf::from(rest);
    }
    base_dir.join(rest)
}

/// A directory stands for the state inside it: `terraform.tfstate` (local backend), else the
/// backend pointer `.terraform/terraform.tfstate`, like tfstate-lookup's CLI default.
async fn resolve_local(path: &Path) -> anyhow::Result<PathBuf> {
    let is_dir = tokio::fs::metadata(path)
        .await
        .map(|m| m.is_dir())
        .unwrap_or(false);
    if !is_dir {
        return Ok(path.to_owned());
    }
    let candidates = [
        path.join("terraform.tfstate"),
        path.join(".terraform").join("terraform.tfstate"),
    ];
    for candidate in &candidates {
        if tokio::fs::metadata(candidate)
            .await
            .is_ok_and(|m| m.is_file())
        {
            return Ok(candidate.clone());
        }
    }
    bail!(
        "{} is a directory with neither {} nor {}",
        path.display(),
        candidates[0].display(),
        candidates[1].display()
    )
}

/// The `environment` file next to a state file, trimmed; `None` when it does not exist.
async fn read_environment_file(state_path: &Path) -> anyhow::Result<Option<String>> {
    let path = state_path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(ENVIRONMENT_FILE);
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// `TF_WORKSPACE`, else the `environment` file's contents, else `default` (blank = unset).
fn resolve_workspace(env: EnvLookup<'_>, environment_file: Option<&str>) -> String {
    env("TF_WORKSPACE")
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .or_else(|| environment_file.map(str::trim).filter(|s| !s.is_empty()))
        .unwrap_or(DEFAULT_WORKSPACE)
        .to_owned()
}

/// The bucket and key Terraform's s3 backend uses for `workspace`.
fn s3_backend_object(
    pointer: &BackendPointer,
    workspace: &str,
) -> anyhow::Result<(String, String)> {
    if pointer.backend_type != "s3" {
        bail!(
            "backend type {} is not supported (ecspress follows s3 backend pointers; \
             give the state's s3://, http(s):// or file location instead)",
            pointer.backend_type
        );
    }
    let Some(bucket) = pointer.config_str("bucket") else {
        bail!("the s3 backend config has no bucket");
    };
    let Some(key) = pointer.config_str("key") else {
        bail!("the s3 backend config has no key");
    };
    if workspace == DEFAULT_WORKSPACE {
        return Ok((bucket.to_owned(), key.to_owned()));
    }
    let prefix = pointer
        .config_str("workspace_key_prefix")
        .unwrap_or(DEFAULT_WORKSPACE_KEY_PREFIX);
    Ok((bucket.to_owned(), format!("{prefix}/{workspace}/{key}")))
}

async fn fetch_http(url: &url::Url) -> anyhow::Result<Vec<u8>> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(HTTP_CONNECT_TIMEOUT)
        .read_timeout(HTTP_READ_TIMEOUT)
        .timeout(HTTP_TOTAL_TIMEOUT)
        .user_agent(concat!("ecspress/", env!("CARGO_PKG_VERSION")));
    // Like Go's ProxyFromEnvironment: never send loopback requests through a proxy.
    if is_loopback(url) {
        builder = builder.no_proxy();
    }
    let client = builder.build().context("cannot set up the HTTP client")?;
    let shown = redacted(url);
    let response = client
        .get(url.clone())
        .send()
        .await
        .with_context(|| format!("GET {shown} failed"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET {shown} returned HTTP {status}");
    }
    let body = response
        .bytes()
        .await
        .with_context(|| format!("GET {shown}: reading the body failed"))?;
    Ok(Vec::from(body))
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn redacted(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot carry a password, and this one does.
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
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
            ("gs://bucket/key", vec!["gs:// is not supported"]),
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
                json!({"type": "gcs", "config": {"bucket": "b", "prefix": "p"}}),
                "backend type gcs is not supported",
            ),
            (
                json!({"type": "cloud", "config": {"organization": "o"}}),
                "backend type cloud is not supported",
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
        let set = |value: &'static str| {
            move |name: &str| (name == "TF_WORKSPACE").then(|| value.to_owned())
        };
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
    fn s3_backend_keys() {
        let pointer = |config: serde_json::Value| BackendPointer {
            backend_type: "s3".into(),
            config: config.as_object().unwrap().clone(),
        };
        let cases = [
            (
                json!({"bucket": "b", "key": "k.tfstate"}),
                "default",
                "k.tfstate",
            ),
            (
                json!({"bucket": "b", "key": "k.tfstate"}),
                "dev",
                "env:/dev/k.tfstate",
            ),
            (
                json!({"bucket": "b", "key": "a/k", "workspace_key_prefix": "ws"}),
                "dev",
                "ws/dev/a/k",
            ),
            (
                json!({"bucket": "b", "key": "a/k", "workspace_key_prefix": null}),
                "dev",
                "env:/dev/a/k",
            ),
            (
                json!({"bucket": "b", "key": "a/k", "workspace_key_prefix": "ws"}),
                "default",
                "a/k",
            ),
        ];
        for (config, ws, want) in cases {
            let (bucket, key) = s3_backend_object(&pointer(config.clone()), ws).unwrap();
            assert_eq!(
                (bucket.as_str(), key.as_str()),
                ("b", want),
                "{config} {ws}"
            );
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
}
