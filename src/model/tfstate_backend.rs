//! Where a remote Terraform state lives: URL forms and backend pointers, as pure data.
//!
//! tfstate-lookup reads states from S3, GCS, Azure Blob Storage and Terraform Cloud/Enterprise
//! (reference §6.1); ecspress does the same, and also follows the `cloud` block and the s3
//! backend's `assume_role {}` block and `profile`, which tfstate-lookup does not. This module
//! decides *what* to fetch (bucket and object names, workspace naming rules, credentials given in
//! the backend config) and builds the pieces of the requests that are pure computation (the Azure
//! Shared Key signature, Terraform's token variable names); `ops::tfstate_source` does the I/O.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::model::tfstate::BackendPointer;

/// Terraform's workspace when none is selected.
pub const DEFAULT_WORKSPACE: &str = "default";
/// Terraform's s3 backend default for `workspace_key_prefix`.
const DEFAULT_WORKSPACE_KEY_PREFIX: &str = "env:";
/// The `remote` and `cloud` backends' default host.
pub const DEFAULT_TFE_HOST: &str = "app.terraform.io";

/// Errors in a location or a backend config; the caller adds which file or URL it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// A URL that does not have the scheme's shape.
    #[error("{0}")]
    BadUrl(String),
    /// A backend type ecspress does not follow.
    #[error(
        "backend type {0} is not supported (ecspress follows s3, gcs, azurerm, remote and cloud \
         backend pointers; give the state's URL or file instead)"
    )]
    Unsupported(String),
    /// A setting is missing or has the wrong shape.
    #[error("the {backend} backend config {problem}")]
    Config {
        /// `s3`, `gcs`, ...
        backend: &'static str,
        /// What is wrong, e.g. `has no bucket`.
        problem: String,
    },
}

fn config_err(backend: &'static str, problem: impl Into<String>) -> BackendError {
    BackendError::Config {
        backend,
        problem: problem.into(),
    }
}

/// A Terraform Cloud/Enterprise workspace.
#[derive(Clone, PartialEq, Eq)]
pub struct TfeWorkspace {
    /// `app.terraform.io` or a TFE host (may carry a `:port`).
    pub host: String,
    /// The organization.
    pub organization: String,
    /// The workspace name (in TFC terms, i.e. a `remote` prefix already applied).
    pub workspace: String,
    /// A `token` written in the backend config (beats the environment, as in Terraform).
    pub token: Option<String>,
}

/// A GCS object.
#[derive(Clone, PartialEq, Eq)]
pub struct GcsObject {
    /// Bucket name.
    pub bucket: String,
    /// Object name (may contain `/`).
    pub object: String,
    /// `access_token` from the backend config.
    pub access_token: Option<String>,
    /// `credentials` from the backend config (a key file path or its JSON; not supported for
    /// signing, only reported).
    pub credentials: Option<String>,
}

/// An Azure blob and the credentials the backend config gives for it.
#[derive(Clone, PartialEq, Eq)]
pub struct AzureBlob {
    /// `azurerm://sub@…` (kept for messages; ecspress does not call ARM).
    pub subscription: Option<String>,
    /// Resource group (kept for messages; ecspress does not call ARM ListKeys).
    pub resource_group: Option<String>,
    /// Storage account name.
    pub account: String,
    /// Container name.
    pub container: String,
    /// Blob name.
    pub blob: String,
    /// `access_key` from the backend config.
    pub access_key: Option<String>,
    /// `sas_token` from the backend config.
    pub sas_token: Option<String>,
}

/// How the s3 backend wants the state read, beyond the default credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Access {
    /// `profile`: a named profile from the shared config/credentials files.
    pub profile: Option<String>,
    /// `assume_role {}` or the legacy top-level `role_arn`.
    pub assume_role: Option<AssumeRole>,
    /// `region` from the backend config (the STS and S3 region for a profile or role).
    pub region: Option<String>,
    /// `access_key` / `secret_key` / `token` written in the backend config.
    pub static_credentials: Option<StaticCredentials>,
    /// `endpoints.s3` (Terraform ≥ 1.6) or the legacy `endpoint`.
    pub endpoint: Option<String>,
    /// `endpoints.sts` or the legacy `sts_endpoint` (for `assume_role`).
    pub sts_endpoint: Option<String>,
    /// `use_path_style` or the legacy `force_path_style`.
    pub path_style: bool,
}

/// Keys written in an s3 backend config.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StaticCredentials {
    /// `access_key`
    pub access_key_id: String,
    /// `secret_key`
    pub secret_access_key: String,
    /// `token`
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl S3Access {
    /// True when the run's own S3 client reads the state as it is.
    pub fn is_default(&self) -> bool {
        self.profile.is_none()
            && self.assume_role.is_none()
            && self.static_credentials.is_none()
            && self.endpoint.is_none()
            && !self.path_style
    }
}

/// STS AssumeRole parameters (Terraform s3 backend `assume_role {}` block, ≥ 1.6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRole {
    /// `role_arn`
    pub role_arn: String,
    /// `session_name`
    pub session_name: Option<String>,
    /// `external_id`
    pub external_id: Option<String>,
    /// `duration` (Go duration) or legacy `assume_role_duration_seconds`.
    pub duration: Option<Duration>,
    /// `policy` (JSON text)
    pub policy: Option<String>,
    /// `policy_arns`
    pub policy_arns: Vec<String>,
    /// `tags`
    pub tags: Vec<(String, String)>,
}

/// Where a backend pointer's state is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendTarget {
    /// Terraform's s3 backend.
    S3 {
        /// Bucket.
        bucket: String,
        /// Key, workspace prefix applied.
        key: String,
        /// Credentials to read it with (boxed: the other variants are small).
        access: Box<S3Access>,
    },
    /// `remote` or `cloud`.
    Tfe(TfeWorkspace),
    /// `gcs`.
    Gcs(GcsObject),
    /// `azurerm`.
    Azure(AzureBlob),
}

impl BackendTarget {
    /// A URL-like name for messages: `s3://b/k`, `gs://b/o`, `remote://host/org/ws`,
    /// `azurerm://account/container/blob`.
    pub fn display(&self) -> String {
        match self {
            BackendTarget::S3 { bucket, key, .. } => format!("s3://{bucket}/{key}"),
            BackendTarget::Tfe(w) => w.display(),
            BackendTarget::Gcs(o) => o.display(),
            BackendTarget::Azure(b) => b.display(),
        }
    }

    /// The Cargo feature this target needs, if any.
    pub fn feature(&self) -> Option<&'static str> {
        match self {
            BackendTarget::S3 { .. } => None,
            BackendTarget::Tfe(_) => Some("tfe"),
            BackendTarget::Gcs(_) => Some("gcs"),
            BackendTarget::Azure(_) => Some("azurerm"),
        }
    }
}

impl TfeWorkspace {
    /// `remote://host/org/workspace`
    pub fn display(&self) -> String {
        format!(
            "remote://{}/{}/{}",
            self.host, self.organization, self.workspace
        )
    }
}

impl GcsObject {
    /// `gs://bucket/object`
    pub fn display(&self) -> String {
        format!("gs://{}/{}", self.bucket, self.object)
    }
}

impl AzureBlob {
    /// `azurerm://account/container/blob` (the storage address; no ARM names).
    pub fn display(&self) -> String {
        format!(
            "azurerm://{}/{}/{}",
            self.account, self.container, self.blob
        )
    }
}

/// `Some("***")` for a set secret: Debug output never shows tokens or keys.
fn redact(secret: &Option<String>) -> Option<&'static str> {
    secret.as_ref().map(|_| "***")
}

impl std::fmt::Debug for TfeWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TfeWorkspace")
            .field("host", &self.host)
            .field("organization", &self.organization)
            .field("workspace", &self.workspace)
            .field("token", &redact(&self.token))
            .finish()
    }
}

impl std::fmt::Debug for GcsObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsObject")
            .field("bucket", &self.bucket)
            .field("object", &self.object)
            .field("access_token", &redact(&self.access_token))
            .field("credentials", &redact(&self.credentials))
            .finish()
    }
}

impl std::fmt::Debug for AzureBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureBlob")
            .field("subscription", &self.subscription)
            .field("resource_group", &self.resource_group)
            .field("account", &self.account)
            .field("container", &self.container)
            .field("blob", &self.blob)
            .field("access_key", &redact(&self.access_key))
            .field("sas_token", &redact(&self.sas_token))
            .finish()
    }
}

/// `remote://host/org/workspace` (the part after `remote://`).
pub fn parse_remote_url(rest: &str) -> Result<TfeWorkspace, BackendError> {
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [host, org, ws] if !host.is_empty() && !org.is_empty() && !ws.is_empty() => {
            Ok(TfeWorkspace {
                host: (*host).to_owned(),
                organization: (*org).to_owned(),
                workspace: (*ws).to_owned(),
                token: None,
            })
        }
        _ => Err(BackendError::BadUrl(
            "a Terraform Cloud/Enterprise location must look like remote://host/organization/workspace"
                .into(),
        )),
    }
}

/// `gs://bucket/object` (the part after `gs://`).
pub fn parse_gs_url(rest: &str) -> Result<GcsObject, BackendError> {
    match rest.split_once('/') {
        Some((bucket, object)) if !bucket.is_empty() && !object.is_empty() => Ok(GcsObject {
            bucket: bucket.to_owned(),
            object: object.to_owned(),
            access_token: None,
            credentials: None,
        }),
        _ => Err(BackendError::BadUrl(
            "a GCS location must look like gs://bucket/object".into(),
        )),
    }
}

/// `azurerm://[subscription@]resource_group/account/container/blob` (after `azurerm://`); the
/// blob may contain `/`.
pub fn parse_azurerm_url(rest: &str) -> Result<AzureBlob, BackendError> {
    let bad = || {
        BackendError::BadUrl(
            "an Azure location must look like azurerm://[subscription@]resource_group/account/container/blob"
                .into(),
        )
    };
    let (subscription, rest) = match rest.split_once('@') {
        Some((sub, rest)) if !sub.is_empty() && !sub.contains('/') => (Some(sub.to_owned()), rest),
        Some(_) => return Err(bad()),
        None => (None, rest),
    };
    let mut parts = rest.splitn(4, '/');
    let (Some(rg), Some(account), Some(container), Some(blob)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if [rg, account, container, blob].iter().any(|s| s.is_empty()) {
        return Err(bad());
    }
    Ok(AzureBlob {
        subscription,
        resource_group: Some(rg.to_owned()),
        account: account.to_owned(),
        container: container.to_owned(),
        blob: blob.to_owned(),
        access_key: None,
        sas_token: None,
    })
}

/// Where `pointer`'s state is for `workspace`. `env` supplies `TF_CLOUD_ORGANIZATION` and
/// `TF_CLOUD_HOSTNAME`, which a `cloud` block may leave to the environment.
pub fn resolve_backend(
    pointer: &BackendPointer,
    workspace: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BackendTarget, BackendError> {
    match pointer.backend_type.as_str() {
        "s3" => s3_target(pointer, workspace),
        "gcs" => gcs_target(pointer, workspace),
        "azurerm" => azure_target(pointer, workspace),
        "remote" => remote_target(pointer, workspace),
        "cloud" => cloud_target(pointer, workspace, env),
        other => Err(BackendError::Unsupported(other.to_owned())),
    }
}

fn s3_target(pointer: &BackendPointer, workspace: &str) -> Result<BackendTarget, BackendError> {
    let bucket = pointer
        .config_str("bucket")
        .ok_or_else(|| config_err("s3", "has no bucket"))?;
    let key = pointer
        .config_str("key")
        .ok_or_else(|| config_err("s3", "has no key"))?;
    let key = if workspace == DEFAULT_WORKSPACE {
        key.to_owned()
    } else {
        let prefix = pointer
            .config_str("workspace_key_prefix")
            .unwrap_or(DEFAULT_WORKSPACE_KEY_PREFIX);
        format!("{prefix}/{workspace}/{key}")
    };
    Ok(BackendTarget::S3 {
        bucket: bucket.to_owned(),
        key,
        access: Box::new(s3_access(&pointer.config)?),
    })
}

/// A config value that is a non-empty string.
fn str_of<'a>(config: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    config
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A nested block: an object, or (older state formats) a one-element list of objects.
fn block<'a>(config: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    match config.get(key)? {
        Value::Object(m) => Some(m),
        Value::Array(items) => items.first().and_then(Value::as_object),
        _ => None,
    }
}

fn is_set(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// The s3 backend's `profile`, `assume_role {}` block and legacy top-level role settings.
pub fn s3_access(config: &Map<String, Value>) -> Result<S3Access, BackendError> {
    let region = str_of(config, "region").map(str::to_owned);
    let profile = str_of(config, "profile").map(str::to_owned);
    let assume_role = match block(config, "assume_role") {
        Some(b) => {
            if str_of(config, "role_arn").is_some() {
                return Err(config_err(
                    "s3",
                    "sets both role_arn and an assume_role block; Terraform accepts only one",
                ));
            }
            // Settings STS AssumeRole has that the SDK's provider cannot pass: refuse rather
            // than assume the role without them.
            for unsupported in ["source_identity", "transitive_tag_keys"] {
                if is_set(b.get(unsupported)) {
                    return Err(config_err(
                        "s3",
                        format!("assume_role.{unsupported} is not supported by ecspress"),
                    ));
                }
            }
            let role_arn = str_of(b, "role_arn")
                .ok_or_else(|| config_err("s3", "has an assume_role block without role_arn"))?;
            Some(AssumeRole {
                role_arn: role_arn.to_owned(),
                session_name: str_of(b, "session_name").map(str::to_owned),
                external_id: str_of(b, "external_id").map(str::to_owned),
                duration: match str_of(b, "duration") {
                    Some(d) => Some(parse_go_duration(d).ok_or_else(|| {
                        config_err(
                            "s3",
                            format!("assume_role.duration {d:?} is not a duration"),
                        )
                    })?),
                    None => None,
                },
                policy: str_of(b, "policy").map(str::to_owned),
                policy_arns: string_list(b, "policy_arns")?,
                tags: string_map(b, "tags")?,
            })
        }
        None => match str_of(config, "role_arn") {
            Some(role_arn) => Some(AssumeRole {
                role_arn: role_arn.to_owned(),
                session_name: str_of(config, "session_name").map(str::to_owned),
                external_id: str_of(config, "external_id").map(str::to_owned),
                duration: config
                    .get("assume_role_duration_seconds")
                    .and_then(Value::as_u64)
                    .filter(|s| *s > 0)
                    .map(Duration::from_secs),
                policy: str_of(config, "assume_role_policy").map(str::to_owned),
                policy_arns: string_list(config, "assume_role_policy_arns")?,
                tags: string_map(config, "assume_role_tags")?,
            }),
            None => None,
        },
    };
    if is_set(config.get("sse_customer_key")) {
        return Err(config_err(
            "s3",
            "sets sse_customer_key (SSE-C), which ecspress does not support",
        ));
    }
    let static_credentials = match (str_of(config, "access_key"), str_of(config, "secret_key")) {
        (Some(id), Some(secret)) => Some(StaticCredentials {
            access_key_id: id.to_owned(),
            secret_access_key: secret.to_owned(),
            session_token: str_of(config, "token").map(str::to_owned),
        }),
        (None, None) => None,
        _ => {
            return Err(config_err(
                "s3",
                "sets only one of access_key and secret_key",
            ));
        }
    };
    let endpoints = block(config, "endpoints");
    let endpoint_of = |block_key: &str, legacy: &str| {
        endpoints
            .and_then(|e| str_of(e, block_key))
            .or_else(|| str_of(config, legacy))
            .map(str::to_owned)
    };
    let flag = |k: &str| config.get(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(S3Access {
        profile,
        assume_role,
        region,
        static_credentials,
        endpoint: endpoint_of("s3", "endpoint"),
        sts_endpoint: endpoint_of("sts", "sts_endpoint"),
        path_style: flag("use_path_style") || flag("force_path_style"),
    })
}

fn string_list(config: &Map<String, Value>, key: &str) -> Result<Vec<String>, BackendError> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| config_err("s3", format!("{key} must be a list of strings")))
            })
            .collect(),
        Some(_) => Err(config_err("s3", format!("{key} must be a list of strings"))),
    }
}

fn string_map(
    config: &Map<String, Value>,
    key: &str,
) -> Result<Vec<(String, String)>, BackendError> {
    match config.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|v| (k.clone(), v.to_owned()))
                    .ok_or_else(|| config_err("s3", format!("{key} must map strings to strings")))
            })
            .collect(),
        Some(_) => Err(config_err(
            "s3",
            format!("{key} must map strings to strings"),
        )),
    }
}

/// A Go `time.ParseDuration` string made of h/m/s units (`1h`, `15m`, `1h30m`, `900s`); the
/// s3 backend's `assume_role.duration` is validated by Terraform to lie in 15m..12h, so
/// sub-second units are not needed.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut number = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
    }
    (any && number.is_empty()).then(|| Duration::from_secs(total))
}

fn gcs_target(pointer: &BackendPointer, workspace: &str) -> Result<BackendTarget, BackendError> {
    let bucket = pointer
        .config_str("bucket")
        .ok_or_else(|| config_err("gcs", "has no bucket"))?;
    for unsupported in [
        "encryption_key",
        "kms_encryption_key",
        "impersonate_service_account",
    ] {
        if pointer.config_str(unsupported).is_some() {
            return Err(config_err(
                "gcs",
                format!("sets {unsupported}, which ecspress does not support"),
            ));
        }
    }
    Ok(BackendTarget::Gcs(GcsObject {
        bucket: bucket.to_owned(),
        object: gcs_object_name(pointer.config_str("prefix"), workspace),
        access_token: pointer.config_str("access_token").map(str::to_owned),
        credentials: pointer.config_str("credentials").map(str::to_owned),
    }))
}

/// Terraform's gcs backend object for a workspace: `<prefix>/<workspace>.tfstate` (the default
/// workspace too), or `<workspace>.tfstate` without a prefix.
pub fn gcs_object_name(prefix: Option<&str>, workspace: &str) -> String {
    match prefix
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| !p.is_empty())
    {
        Some(p) => format!("{p}/{workspace}.tfstate"),
        None => format!("{workspace}.tfstate"),
    }
}

fn azure_target(pointer: &BackendPointer, workspace: &str) -> Result<BackendTarget, BackendError> {
    let need = |k: &str| {
        pointer
            .config_str(k)
            .map(str::to_owned)
            .ok_or_else(|| config_err("azurerm", format!("has no {k}")))
    };
    let account = need("storage_account_name")?;
    let container = need("container_name")?;
    let key = need("key")?;
    Ok(BackendTarget::Azure(AzureBlob {
        subscription: pointer.config_str("subscription_id").map(str::to_owned),
        resource_group: pointer.config_str("resource_group_name").map(str::to_owned),
        account,
        container,
        blob: azure_blob_name(&key, workspace),
        access_key: pointer.config_str("access_key").map(str::to_owned),
        sas_token: pointer.config_str("sas_token").map(str::to_owned),
    }))
}

/// Terraform's azurerm backend blob for a workspace: the key, or `key + "env:" + workspace`.
pub fn azure_blob_name(key: &str, workspace: &str) -> String {
    if workspace == DEFAULT_WORKSPACE {
        key.to_owned()
    } else {
        format!("{key}env:{workspace}")
    }
}

fn tfe_common(
    backend: &'static str,
    pointer: &BackendPointer,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, String, Option<String>), BackendError> {
    let from_env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let host = pointer
        .config_str("hostname")
        .map(str::to_owned)
        .or_else(|| {
            (backend == "cloud")
                .then(|| from_env("TF_CLOUD_HOSTNAME"))
                .flatten()
        })
        .unwrap_or_else(|| DEFAULT_TFE_HOST.to_owned());
    let organization = pointer
        .config_str("organization")
        .map(str::to_owned)
        .or_else(|| {
            (backend == "cloud")
                .then(|| from_env("TF_CLOUD_ORGANIZATION"))
                .flatten()
        })
        .ok_or_else(|| config_err(backend, "has no organization"))?;
    Ok((
        host,
        organization,
        pointer.config_str("token").map(str::to_owned),
    ))
}

/// `remote`: `workspaces.name` is the one workspace (Terraform's CLI calls it `default`);
/// `workspaces.prefix` + the selected workspace otherwise.
fn remote_target(pointer: &BackendPointer, workspace: &str) -> Result<BackendTarget, BackendError> {
    let (host, organization, token) = tfe_common("remote", pointer, &|_| None)?;
    let ws = block(&pointer.config, "workspaces")
        .ok_or_else(|| config_err("remote", "has no workspaces block"))?;
    let name = match (str_of(ws, "name"), str_of(ws, "prefix")) {
        (Some(name), _) => name.to_owned(),
        (None, Some(prefix)) => {
            if workspace == DEFAULT_WORKSPACE {
                return Err(config_err(
                    "remote",
                    format!(
                        "uses workspaces.prefix {prefix:?}: select a workspace with \
                         TF_WORKSPACE or `terraform workspace select`"
                    ),
                ));
            }
            format!("{prefix}{workspace}")
        }
        (None, None) => {
            return Err(config_err(
                "remote",
                "has neither workspaces.name nor workspaces.prefix",
            ));
        }
    };
    Ok(BackendTarget::Tfe(TfeWorkspace {
        host,
        organization,
        workspace: name,
        token,
    }))
}

/// `cloud`: `workspaces.name` is the workspace; with `workspaces.tags` (or no block) the selected
/// workspace (TF_WORKSPACE, else `.terraform/environment`) is its full name.
fn cloud_target(
    pointer: &BackendPointer,
    workspace: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BackendTarget, BackendError> {
    let (host, organization, token) = tfe_common("cloud", pointer, env)?;
    let named = block(&pointer.config, "workspaces").and_then(|ws| str_of(ws, "name"));
    let name = match named {
        Some(name) => name.to_owned(),
        None if workspace != DEFAULT_WORKSPACE => workspace.to_owned(),
        None => {
            return Err(config_err(
                "cloud",
                "selects workspaces by tags: choose one with TF_WORKSPACE or \
                 `terraform workspace select`",
            ));
        }
    };
    Ok(BackendTarget::Tfe(TfeWorkspace {
        host,
        organization,
        workspace: name,
        token,
    }))
}

/// Terraform's per-host token variable: `TF_TOKEN_` + host with `.` → `_` and `-` → `__`
/// (Terraform CLI docs, "Environment Variable Credentials").
pub fn tfe_token_env_name(host: &str) -> String {
    let host = host.split(':').next().unwrap_or(host);
    let mut name = String::from("TF_TOKEN_");
    for c in host.chars() {
        match c {
            '.' => name.push('_'),
            '-' => name.push_str("__"),
            c => name.push(c),
        }
    }
    name
}

/// The token for `host` in a `credentials.tfrc.json` (written by `terraform login`):
/// `{"credentials": {"host": {"token": "..."}}}`.
pub fn credentials_file_token(text: &str, host: &str) -> Result<Option<String>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    Ok(doc
        .get("credentials")
        .and_then(|c| c.get(host))
        .and_then(|h| h.get("token"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned))
}

/// The messages of a JSON:API error document (`{"errors": [{"title", "detail"}]}` or
/// `{"errors": ["text"]}`), for Terraform Cloud/Enterprise error statuses.
pub fn jsonapi_error_messages(body: &[u8]) -> Vec<String> {
    let Ok(doc) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let Some(errors) = doc.get("errors").and_then(Value::as_array) else {
        return Vec::new();
    };
    errors
        .iter()
        .filter_map(|e| match e {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => {
                let title = o.get("title").and_then(Value::as_str);
                let detail = o.get("detail").and_then(Value::as_str);
                match (title, detail) {
                    (Some(t), Some(d)) => Some(format!("{t}: {d}")),
                    (Some(t), None) => Some(t.to_owned()),
                    (None, Some(d)) => Some(d.to_owned()),
                    (None, None) => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// Google's OAuth token endpoint (the default `token_uri`).
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The OAuth scope a state read needs.
pub const GCS_READ_SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_only";

/// A Google credentials file (`GOOGLE_APPLICATION_CREDENTIALS`, the gcs backend's
/// `credentials`, gcloud's application-default credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoogleCredentials {
    /// `"type": "service_account"`: a key that signs a JWT-bearer assertion (RFC 7523).
    ServiceAccount {
        /// `client_email`: the JWT issuer.
        client_email: String,
        /// `private_key`: PKCS#8 PEM.
        private_key: String,
        /// `private_key_id`: the JWT `kid`.
        private_key_id: Option<String>,
        /// `token_uri`: where the assertion is exchanged.
        token_uri: String,
    },
    /// `"type": "authorized_user"` (`gcloud auth application-default login`): a refresh token.
    AuthorizedUser {
        /// `client_id`
        client_id: String,
        /// `client_secret`
        client_secret: String,
        /// `refresh_token`
        refresh_token: String,
        /// `token_uri` (rarely present; Google's endpoint otherwise).
        token_uri: String,
    },
}

/// Parse a Google credentials JSON document. Other types (`external_account`, workload identity
/// federation, `impersonated_service_account`) are reported as unsupported.
pub fn parse_google_credentials(text: &str) -> Result<GoogleCredentials, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let Some(obj) = doc.as_object() else {
        return Err("not a JSON object".into());
    };
    let field = |k: &str| {
        str_of(obj, k)
            .map(str::to_owned)
            .ok_or_else(|| format!("has no {k}"))
    };
    let token_uri = str_of(obj, "token_uri")
        .unwrap_or(GOOGLE_TOKEN_URI)
        .to_owned();
    match str_of(obj, "type") {
        Some("service_account") => Ok(GoogleCredentials::ServiceAccount {
            client_email: field("client_email")?,
            private_key: field("private_key")?,
            private_key_id: str_of(obj, "private_key_id").map(str::to_owned),
            token_uri,
        }),
        Some("authorized_user") => Ok(GoogleCredentials::AuthorizedUser {
            client_id: field("client_id")?,
            client_secret: field("client_secret")?,
            refresh_token: field("refresh_token")?,
            token_uri,
        }),
        Some(other) => Err(format!(
            "credentials of type {other} are not supported (service_account and \
             authorized_user are)"
        )),
        None => Err("has no type".into()),
    }
}

/// The JWT-bearer assertion's signing input, `base64url(header).base64url(claims)`, for an RS256
/// signature: issuer `client_email`, audience `token_uri`, the read-only storage scope, valid
/// for an hour from `now_unix` (Google's maximum).
pub fn google_jwt_signing_input(
    client_email: &str,
    private_key_id: Option<&str>,
    token_uri: &str,
    now_unix: u64,
) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    if let Some(kid) = private_key_id {
        header["kid"] = Value::String(kid.to_owned());
    }
    let claims = serde_json::json!({
        "iss": client_email,
        "scope": GCS_READ_SCOPE,
        "aud": token_uri,
        "iat": now_unix,
        "exp": now_unix + 3600,
    });
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// The DER bytes of the first `-----BEGIN PRIVATE KEY-----` (PKCS#8) block of a PEM text.
pub fn pkcs8_pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let start = pem
        .find(BEGIN)
        .ok_or_else(|| "the private key is not a PKCS#8 PEM (BEGIN PRIVATE KEY)".to_owned())?
        + BEGIN.len();
    let end = start
        + pem[start..]
            .find(END)
            .ok_or_else(|| "the private key PEM has no END line".to_owned())?;
    let body: String = pem[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    BASE64
        .decode(body)
        .map_err(|_| "the private key PEM is not valid base64".to_owned())
}

/// The Blob service Shared Key string-to-sign for a request without a body (version
/// 2009-09-19 and later; Azure Storage docs "Authorize with Shared Key"): the verb, eleven
/// standard header slots (empty for a bodiless GET), the `x-ms-*` headers sorted by name, and
/// the canonicalized resource `/account/path` followed by `\nname:value` query parameters sorted
/// by name. `path` is the request URL path as sent, so an Azurite-style
/// `http://host/account/container/blob` URL gives `/account/account/container/blob`.
pub fn azure_string_to_sign(
    verb: &str,
    account: &str,
    path: &str,
    query: &[(String, String)],
    ms_headers: &[(String, String)],
) -> String {
    let mut s = String::new();
    s.push_str(verb);
    s.push('\n');
    // Content-Encoding, -Language, -Length, -MD5, -Type, Date, If-Modified-Since, If-Match,
    // If-None-Match, If-Unmodified-Since, Range.
    for _ in 0..11 {
        s.push('\n');
    }
    let mut headers: Vec<(String, String)> = ms_headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    headers.sort();
    for (k, v) in headers {
        s.push_str(&k);
        s.push(':');
        s.push_str(&v);
        s.push('\n');
    }
    s.push('/');
    s.push_str(account);
    s.push_str(path);
    let mut params: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    params.sort();
    let mut i = 0;
    while i < params.len() {
        let name = params[i].0.clone();
        let mut values = Vec::new();
        while i < params.len() && params[i].0 == name {
            values.push(params[i].1.clone());
            i += 1;
        }
        s.push('\n');
        s.push_str(&name);
        s.push(':');
        s.push_str(&values.join(","));
    }
    s
}

/// `base64(HMAC-SHA256(base64decode(key), string_to_sign))`, the Shared Key signature.
pub fn azure_shared_key_signature(
    key_base64: &str,
    string_to_sign: &str,
) -> Result<String, String> {
    let key = BASE64
        .decode(key_base64.trim())
        .map_err(|_| "the storage access key is not valid base64".to_owned())?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
        .map_err(|_| "the storage access key cannot key HMAC-SHA256".to_owned())?;
    mac.update(string_to_sign.as_bytes());
    Ok(BASE64.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests;
