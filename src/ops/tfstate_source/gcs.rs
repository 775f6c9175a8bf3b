//! Google Cloud Storage state reads (`gs://`, `gcs` backend).
//!
//! One JSON API call: `GET https://storage.googleapis.com/storage/v1/b/BUCKET/o/OBJECT?alt=media`
//! (the object name percent-encoded as one path segment, `/` included).
//!
//! Credentials, first found (Google's application-default order, after Terraform's variable):
//! - the backend config's `access_token`, else `GOOGLE_OAUTH_ACCESS_TOKEN` (the Terraform google
//!   provider's variable; e.g. `$(gcloud auth print-access-token)`);
//! - the backend config's `credentials` (a file path or the JSON itself), else the file named by
//!   `GOOGLE_APPLICATION_CREDENTIALS`: a `service_account` key signs an RS256 JWT-bearer assertion
//!   (aws-lc-rs) exchanged at its `token_uri`; an `authorized_user` file's refresh token is
//!   exchanged likewise;
//! - with `STORAGE_EMULATOR_HOST` set (the standard GCS emulator variable, `host:port` or a URL),
//!   requests go there, unauthenticated when none of the above is given (unless
//!   `GCE_METADATA_HOST` is set too);
//! - gcloud's `~/.config/gcloud/application_default_credentials.json`;
//! - the metadata server (GCE, GKE workload identity, Cloud Run), at `GCE_METADATA_HOST` or
//!   `metadata.google.internal`.
//!
//! Not supported: `external_account` (workload identity federation) and impersonation files.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

use super::{EnvLookup, body_excerpt, http_client};
use crate::model::tfstate_backend::{
    GcsObject, GoogleCredentials, google_jwt_signing_input, parse_google_credentials,
    pkcs8_pem_to_der,
};

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
        None => match explicit_credentials(object, env).await? {
            Some((name, text)) => Some(
                exchange(&name, &text)
                    .await
                    .with_context(|| format!("cannot get a Google access token from {name}"))?,
            ),
            None if emulator.is_some() && set("GCE_METADATA_HOST").is_none() => None,
            None => match well_known_file(env).await? {
                Some((name, text)) => Some(
                    exchange(&name, &text)
                        .await
                        .with_context(|| format!("cannot get a Google access token from {name}"))?,
                ),
                None => Some(metadata_token(env).await?),
            },
        },
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
                          $(gcloud auth print-access-token)) or GOOGLE_APPLICATION_CREDENTIALS, \
                          or run on Google Cloud";
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

/// The backend's `credentials` (path or inline JSON), else `GOOGLE_APPLICATION_CREDENTIALS`:
/// a name for messages and the JSON text.
async fn explicit_credentials(
    object: &GcsObject,
    env: EnvLookup<'_>,
) -> anyhow::Result<Option<(String, String)>> {
    if let Some(c) = &object.credentials {
        if c.trim_start().starts_with('{') {
            return Ok(Some((
                "the gcs backend's inline credentials".to_owned(),
                c.clone(),
            )));
        }
        let text = tokio::fs::read_to_string(c)
            .await
            .with_context(|| format!("cannot read the gcs backend's credentials {c}"))?;
        return Ok(Some((c.clone(), text)));
    }
    match env("GOOGLE_APPLICATION_CREDENTIALS").filter(|p| !p.trim().is_empty()) {
        Some(path) => {
            let text = tokio::fs::read_to_string(&path).await.with_context(|| {
                format!("cannot read GOOGLE_APPLICATION_CREDENTIALS file {path}")
            })?;
            Ok(Some((path, text)))
        }
        None => Ok(None),
    }
}

/// gcloud's application-default credentials file, when it exists.
async fn well_known_file(env: EnvLookup<'_>) -> anyhow::Result<Option<(String, String)>> {
    let Some(home) = env("HOME").filter(|h| !h.trim().is_empty()) else {
        return Ok(None);
    };
    let path =
        std::path::Path::new(&home).join(".config/gcloud/application_default_credentials.json");
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => Ok(Some((path.display().to_string(), text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// An access token for a credentials file: a signed JWT-bearer assertion (service account) or
/// a refresh token (authorized user), POSTed to the file's `token_uri`.
async fn exchange(name: &str, text: &str) -> anyhow::Result<String> {
    let credentials = parse_google_credentials(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let (token_uri, form) = match &credentials {
        GoogleCredentials::ServiceAccount {
            client_email,
            private_key,
            private_key_id,
            token_uri,
        } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let input =
                google_jwt_signing_input(client_email, private_key_id.as_deref(), token_uri, now);
            let jwt = format!("{input}.{}", sign_rs256(private_key, &input)?);
            let form = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
                .append_pair("assertion", &jwt)
                .finish();
            (token_uri.clone(), form)
        }
        GoogleCredentials::AuthorizedUser {
            client_id,
            client_secret,
            refresh_token,
            token_uri,
        } => {
            let form = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "refresh_token")
                .append_pair("client_id", client_id)
                .append_pair("client_secret", client_secret)
                .append_pair("refresh_token", refresh_token)
                .finish();
            (token_uri.clone(), form)
        }
    };
    let url =
        url::Url::parse(&token_uri).with_context(|| format!("invalid token_uri {token_uri}"))?;
    let response = http_client(&url)?
        .post(url.clone())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .with_context(|| format!("POST {url} failed"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .with_context(|| format!("POST {url}: reading the body failed"))?;
    let doc = serde_json::from_slice::<Value>(&body).ok();
    if !status.is_success() {
        // OAuth errors: {"error": "invalid_grant", "error_description": "..."}
        let detail = doc
            .as_ref()
            .and_then(|d| {
                let e = d.get("error").and_then(Value::as_str)?;
                Some(match d.get("error_description").and_then(Value::as_str) {
                    Some(desc) => format!("{e}: {desc}"),
                    None => e.to_owned(),
                })
            })
            .unwrap_or_else(|| body_excerpt(&body));
        bail!("POST {url} returned HTTP {status}: {detail}");
    }
    doc.as_ref()
        .and_then(|d| d.get("access_token").and_then(Value::as_str))
        .map(str::to_owned)
        .with_context(|| format!("POST {url} returned no access_token"))
}

/// `base64url(RS256(key, input))` with a PKCS#8 PEM RSA key.
fn sign_rs256(private_key_pem: &str, input: &str) -> anyhow::Result<String> {
    use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
    use base64::Engine as _;
    let der = pkcs8_pem_to_der(private_key_pem).map_err(anyhow::Error::msg)?;
    let key = RsaKeyPair::from_pkcs8(&der)
        .map_err(|e| anyhow::anyhow!("the service-account private key is not usable: {e}"))?;
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| anyhow::anyhow!("signing the JWT assertion failed"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature))
}
