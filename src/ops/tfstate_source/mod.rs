//! Fetch a Terraform state from where a tfstate plugin says it is.
//!
//! Locations (tfstate-lookup's `ReadURL`, reference §6.1):
//!
//! - a local path, relative to the config file's directory; a directory means its
//!   `terraform.tfstate`, else its `.terraform/terraform.tfstate`;
//! - `file://path` (relative or absolute);
//! - `s3://bucket/key`, through the [`ObjectStore`] trait (the adapter finds the bucket region);
//! - `http://` / `https://`: a plain GET with timeouts. Unlike tfstate-lookup we check the status,
//!   so a 404 page is reported as a 404 rather than as "invalid JSON" (reference §9 takeaways);
//! - `remote://host/org/workspace`: Terraform Cloud/Enterprise ([`tfe`], feature `tfe`);
//! - `gs://bucket/object`: Google Cloud Storage ([`gcs`], feature `gcs`);
//! - `azurerm://[subscription@]rg/account/container/blob`: Azure Blob Storage ([`azure`], feature
//!   `azurerm`).
//!
//! A *backend pointer* (`.terraform/terraform.tfstate` written by `terraform init`, holding a
//! `backend` block instead of resources) is followed for the `s3`, `gcs`, `azurerm`, `remote` and
//! `cloud` types; where each keeps a workspace's state, and which credentials the config names, is
//! decided in [`crate::model::tfstate_backend`]. The workspace is `TF_WORKSPACE`, else the
//! `environment` file next to the pointer (`terraform workspace select` writes
//! `.terraform/environment`), else `default`. Other backend types are reported as not supported,
//! as tfstate-lookup does for http, consul, pg, etc.
//!
//! Only this module does I/O for tfstate; indexing and lookups are pure ([`crate::model::tfstate`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::aws::ObjectStore;
use crate::model::tfstate::{StateDocument, TfState};
use crate::model::tfstate_backend::{self as backend, BackendTarget, DEFAULT_WORKSPACE, S3Access};

#[cfg(feature = "azurerm")]
mod azure;
#[cfg(feature = "gcs")]
mod gcs;
#[cfg(feature = "tfe")]
mod tfe;

/// Connecting to an HTTP state server.
const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// No progress while reading the response.
const HTTP_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The whole request, body included (large states over slow links still fit).
const HTTP_TOTAL_TIMEOUT: Duration = Duration::from_secs(600);
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
        .fetch(s3, env)
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
    let target = backend::resolve_backend(&pointer, &workspace, env)
        .with_context(|| format!("cannot follow the backend pointer {source_name}"))?;
    let object = target.display();
    let bytes = fetch_target(&target, s3, env).await.with_context(|| {
        format!(
            "cannot read tfstate {object} (the {} backend of {source_name}, workspace {workspace}{})",
            pointer.backend_type,
            access_note(&target)
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
    /// Terraform Cloud/Enterprise, GCS or Azure.
    Remote(BackendTarget),
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
            "remote" => Ok(Source::Remote(BackendTarget::Tfe(
                backend::parse_remote_url(rest)?,
            ))),
            "gs" => Ok(Source::Remote(BackendTarget::Gcs(backend::parse_gs_url(
                rest,
            )?))),
            "azurerm" => Ok(Source::Remote(BackendTarget::Azure(
                backend::parse_azurerm_url(rest)?,
            ))),
            other => bail!(
                "the URL scheme {other}:// is not supported; use a local path, file://, s3://, \
                 gs://, azurerm://, remote:// or http(s)://"
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

    async fn fetch(&self, s3: &dyn ObjectStore, env: EnvLookup<'_>) -> anyhow::Result<Fetched> {
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
            Source::Remote(target) => Ok(Fetched {
                bytes: fetch_target(target, s3, env).await?,
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

/// The state bytes at a remote backend target.
async fn fetch_target(
    target: &BackendTarget,
    s3: &dyn ObjectStore,
    env: EnvLookup<'_>,
) -> anyhow::Result<Vec<u8>> {
    let _ = env; // unused when every optional backend is compiled out
    match target {
        BackendTarget::S3 {
            bucket,
            key,
            access,
        } => Ok(if access.is_default() {
            s3.get_object(bucket, key).await?
        } else {
            s3.get_object_with(bucket, key, access).await?
        }),
        #[cfg(feature = "tfe")]
        BackendTarget::Tfe(workspace) => tfe::fetch(workspace, env).await,
        #[cfg(feature = "gcs")]
        BackendTarget::Gcs(object) => gcs::fetch(object, env).await,
        #[cfg(feature = "azurerm")]
        BackendTarget::Azure(blob) => azure::fetch(blob, env).await,
        #[allow(unreachable_patterns)]
        other => bail!(
            "{} needs the `{}` feature, which this ecspress build leaves out \
             (build with `cargo install ecspress --features {}`)",
            other.display(),
            other.feature().unwrap_or("?"),
            other.feature().unwrap_or("?")
        ),
    }
}

/// `, as profile P, assuming role R` for an s3 target read with other credentials.
fn access_note(target: &BackendTarget) -> String {
    let BackendTarget::S3 { access, .. } = target else {
        return String::new();
    };
    let S3Access {
        profile,
        assume_role,
        ..
    } = &**access;
    let mut note = String::new();
    if let Some(p) = profile {
        note.push_str(&format!(", profile {p}"));
    }
    if let Some(r) = assume_role {
        note.push_str(&format!(", assuming role {}", r.role_arn));
    }
    if access.static_credentials.is_some() {
        note.push_str(", with the backend's access_key");
    }
    if let Some(e) = &access.endpoint {
        note.push_str(&format!(", endpoint {e}"));
    }
    note
}

/// An HTTP client with the tfstate timeouts; loopback URLs bypass any proxy, like Go's
/// ProxyFromEnvironment.
fn http_client(url: &url::Url) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(HTTP_CONNECT_TIMEOUT)
        .read_timeout(HTTP_READ_TIMEOUT)
        .timeout(HTTP_TOTAL_TIMEOUT)
        .user_agent(concat!("ecspress/", env!("CARGO_PKG_VERSION")));
    if is_loopback(url) {
        builder = builder.no_proxy();
    }
    builder.build().context("cannot set up the HTTP client")
}

/// The first 300 characters of an error body, on one line (for messages).
#[cfg_attr(
    not(any(feature = "tfe", feature = "gcs", feature = "azurerm")),
    allow(dead_code)
)]
fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(300).collect();
    if one_line.chars().count() > 300 {
        out.push('…');
    }
    out
}

async fn fetch_http(url: &url::Url) -> anyhow::Result<Vec<u8>> {
    let client = http_client(url)?;
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
mod tests;
