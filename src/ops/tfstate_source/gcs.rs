//! Google Cloud Storage state reads (`gs://`, `gcs` backend).
//!
//! One JSON API call: `GET https://storage.googleapis.com/storage/v1/b/BUCKET/o/OBJECT?alt=media`
//! (the object name percent-encoded as one path segment, `/` included).
//!
//! Credentials, first found:
//! - the backend config's `access_token`, else `GOOGLE_OAUTH_ACCESS_TOKEN` (the Terraform google
//!   provider's variable; e.g. `$(gcloud auth print-access-token)`);
//! - with `STORAGE_EMULATOR_HOST` set (the standard GCS emulator variable, `host:port` or a URL),
//!   requests go there, unauthenticated when no token is given (unless `GCE_METADATA_HOST` is
//!   set too);
//! - the metadata server (GCE, GKE workload identity, Cloud Run), at `GCE_METADATA_HOST` or
//!   `metadata.google.internal`.
//!
//! Not supported: service-account key files (`GOOGLE_APPLICATION_CREDENTIALS`, the backend's
//! `credentials`): the JWT-bearer exchange needs RS256 signing, which this build does not carry.
//! A `credentials` setting in the backend config is reported rather than ignored.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

use super::{EnvLookup, body_excerpt, http_client};
use crate::model::tfstate_backend::GcsObject;

const DEFAULT_ENDPOINT: &str = "https://storage.googleapis.com/";
const DEFAULT_METADATA_HOST: &str = "metadata.google.internal";
/// Off Google Cloud the metadata host does not resolve or answer; do not wait long for it.
const METADATA_TIMEOUT: Duration = Duration::from_secs(3);

/// The bytes of `object`.
pub(super) async fn fetch(object: &GcsObject, env: EnvLookup<'_>) -> anyhow::Result<Vec<u8>> {
    let set = |k: &str| {
        env(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let emulator = set("STORAGE_EMULATOR_HOST");
    let base = match &emulator {
        Some(host) if host.contains("://") => url::Url::parse(host),
        Some(host) => url::Url::parse(&format!("http://{host}/")),
        None => url::Url::parse(DEFAULT_ENDPOINT),
    }
    .context("invalid STORAGE_EMULATOR_HOST")?;

    let token = match object
        .access_token
        .clone()
        .or_else(|| set("GOOGLE_OAUTH_ACCESS_TOKEN"))
    {
        Some(t) => Some(t),
        None if emulator.is_some() && set("GCE_METADATA_HOST").is_none() => None,
        None => {
            if let Some(c) = &object.credentials {
                let shown = if c.trim_start().starts_with('{') {
                    "(inline JSON)"
                } else {
                    c.as_str()
                };
                bail!(
                    "the gcs backend's credentials {shown} are a service-account key, which \
                     ecspress cannot sign with; set GOOGLE_OAUTH_ACCESS_TOKEN (e.g. \
                     $(gcloud auth print-access-token --impersonate-service-account=...))"
                );
            }
            Some(metadata_token(env).await?)
        }
    };

    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| anyhow::anyhow!("{base} cannot be a base URL"))?
        .pop_if_empty()
        .extend(["storage", "v1", "b", &object.bucket, "o", &object.object]);
    url.set_query(Some("alt=media"));

    let mut request = http_client(&url)?.get(url.clone());
    if let Some(t) = &token {
        request = request.bearer_auth(t);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("GCS: GET {url} failed"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .with_context(|| format!("GCS: GET {url}: reading the body failed"))?;
    if status.is_success() {
        return Ok(body.to_vec());
    }
    let detail = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| body_excerpt(&body));
    let hint = match status.as_u16() {
        401 => "; check the access token (GOOGLE_OAUTH_ACCESS_TOKEN expires after an hour)",
        403 => "; the credentials lack storage.objects.get on the bucket",
        404 => "; check the bucket, prefix and workspace",
        _ => "",
    };
    bail!(
        "GCS: reading {} returned HTTP {status}: {detail}{hint}",
        object.display()
    )
}

/// An access token from the metadata server (`GCE_METADATA_HOST` overrides the host).
async fn metadata_token(env: EnvLookup<'_>) -> anyhow::Result<String> {
    let host = env("GCE_METADATA_HOST")
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_METADATA_HOST.to_owned());
    let url = url::Url::parse(&format!(
        "http://{host}/computeMetadata/v1/instance/service-accounts/default/token"
    ))
    .with_context(|| format!("invalid GCE_METADATA_HOST {host}"))?;
    let no_credentials = "no Google credentials: set GOOGLE_OAUTH_ACCESS_TOKEN (e.g. \
                          $(gcloud auth print-access-token)) or run on Google Cloud; \
                          service-account key files are not supported";
    let client = reqwest::Client::builder()
        .connect_timeout(METADATA_TIMEOUT)
        .timeout(METADATA_TIMEOUT)
        .no_proxy()
        .build()
        .context("cannot set up the HTTP client")?;
    let response = client
        .get(url.clone())
        .header("Metadata-Flavor", "Google")
        .send()
        .await
        .with_context(|| format!("{no_credentials} (the metadata server {host} did not answer)"))?;
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    if !status.is_success() {
        bail!(
            "{no_credentials} (GET {url} returned HTTP {status}: {})",
            body_excerpt(&body)
        );
    }
    serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("access_token")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .with_context(|| format!("{no_credentials} (GET {url} returned no access_token)"))
}
