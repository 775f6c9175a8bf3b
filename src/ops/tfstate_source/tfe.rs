//! Terraform Cloud / Enterprise state reads (`remote://`, `remote` and `cloud` backends).
//!
//! The same three calls as tfstate-lookup's go-tfe use (reference §6.1): read the workspace by
//! organization and name (`data.id`), read its current state version
//! (`data.attributes.hosted-state-download-url`), then GET that URL.
//!
//! Token, first found: the backend config's `token`; `TFE_TOKEN` (go-tfe's and tfstate-lookup's
//! variable); `TF_TOKEN_<host>` (Terraform's own per-host variable); the CLI credentials file
//! `~/.terraform.d/credentials.tfrc.json` written by `terraform login`. The download URL gets the
//! token only when it is on the API's own origin: Terraform Cloud serves states there, and a
//! pre-signed archive URL on another host needs no token, so it is never sent to a third party.
//!
//! Scheme: always `https`, except for a loopback host (`127.0.0.1`, `[::1]`, `localhost`, with a
//! port), which is spoken to over plain `http`. That is docker's insecure-loopback rule, and it
//! is what lets the integration tests use a local stand-in; no remote host is ever plain http.

use anyhow::{Context, bail};
use serde_json::Value;

use super::{EnvLookup, body_excerpt, http_client, is_loopback};
use crate::model::tfstate_backend::{
    TfeWorkspace, credentials_file_token, jsonapi_error_messages, tfe_token_env_name,
};

/// The state of `workspace`, as the bytes of its current state version.
pub(super) async fn fetch(workspace: &TfeWorkspace, env: EnvLookup<'_>) -> anyhow::Result<Vec<u8>> {
    let base = api_base(&workspace.host)?;
    let token = token(workspace, env).await?;
    let client = http_client(&base)?;

    let mut ws_url = base.clone();
    ws_url
        .path_segments_mut()
        .map_err(|()| anyhow::anyhow!("{base} cannot be a base URL"))?
        .extend([
            "api",
            "v2",
            "organizations",
            &workspace.organization,
            "workspaces",
            &workspace.workspace,
        ]);
    let ws = get_json(&client, &ws_url, &token, workspace, Call::Workspace).await?;
    let Some(id) = ws.pointer("/data/id").and_then(Value::as_str) else {
        bail!("Terraform Cloud/Enterprise: GET {ws_url} returned no data.id");
    };

    let mut sv_url = base.clone();
    sv_url
        .path_segments_mut()
        .map_err(|()| anyhow::anyhow!("{base} cannot be a base URL"))?
        .extend(["api", "v2", "workspaces", id, "current-state-version"]);
    let sv = get_json(&client, &sv_url, &token, workspace, Call::StateVersion).await?;
    let Some(download) = sv
        .pointer("/data/attributes/hosted-state-download-url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    else {
        bail!(
            "Terraform Cloud/Enterprise: the current state version of {} has no \
             hosted-state-download-url",
            workspace.display()
        );
    };
    let download_url = base
        .join(download)
        .with_context(|| format!("invalid hosted-state-download-url {download}"))?;
    let same_origin = download_url.origin() == base.origin();
    let mut request = http_client(&download_url)?.get(download_url.clone());
    if same_origin {
        request = request.bearer_auth(&token);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("Terraform Cloud/Enterprise: GET {download_url} failed"))?;
    let status = response.status();
    let body = response.bytes().await.with_context(|| {
        format!("Terraform Cloud/Enterprise: GET {download_url}: reading the body failed")
    })?;
    if !status.is_success() {
        bail!(
            "Terraform Cloud/Enterprise: downloading the state of {} (GET {download_url}) \
             returned HTTP {status}: {}",
            workspace.display(),
            body_excerpt(&body)
        );
    }
    Ok(body.to_vec())
}

/// `https://host/`, or `http://host/` for a loopback host (tests; see the module docs).
fn api_base(host: &str) -> anyhow::Result<url::Url> {
    let plain = url::Url::parse(&format!("http://{host}/"))
        .with_context(|| format!("invalid Terraform Cloud/Enterprise host {host}"))?;
    if is_loopback(&plain) {
        return Ok(plain);
    }
    url::Url::parse(&format!("https://{host}/"))
        .with_context(|| format!("invalid Terraform Cloud/Enterprise host {host}"))
}

async fn token(workspace: &TfeWorkspace, env: EnvLookup<'_>) -> anyhow::Result<String> {
    let set = |k: &str| {
        env(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    if let Some(t) = &workspace.token {
        return Ok(t.clone());
    }
    if let Some(t) = set("TFE_TOKEN") {
        return Ok(t);
    }
    let host_var = tfe_token_env_name(&workspace.host);
    if let Some(t) = set(&host_var) {
        return Ok(t);
    }
    let host = workspace.host.split(':').next().unwrap_or(&workspace.host);
    if let Some(home) = set("HOME") {
        let path = std::path::Path::new(&home).join(".terraform.d/credentials.tfrc.json");
        match tokio::fs::read_to_string(&path).await {
            Ok(text) => {
                let found = credentials_file_token(&text, &workspace.host)
                    .and_then(|t| match t {
                        Some(t) => Ok(Some(t)),
                        None => credentials_file_token(&text, host),
                    })
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                if let Some(t) = found {
                    return Ok(t);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
    bail!(
        "no Terraform Cloud/Enterprise token for {}: set TFE_TOKEN or {host_var}, or run \
         `terraform login {}`",
        workspace.host,
        workspace.host
    )
}

#[derive(Clone, Copy)]
enum Call {
    Workspace,
    StateVersion,
}

async fn get_json(
    client: &reqwest::Client,
    url: &url::Url,
    token: &str,
    workspace: &TfeWorkspace,
    call: Call,
) -> anyhow::Result<Value> {
    let response = client
        .get(url.clone())
        .bearer_auth(token)
        .header("Accept", "application/vnd.api+json")
        .send()
        .await
        .with_context(|| format!("Terraform Cloud/Enterprise: GET {url} failed"))?;
    let status = response.status();
    let body = response.bytes().await.with_context(|| {
        format!("Terraform Cloud/Enterprise: GET {url}: reading the body failed")
    })?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .with_context(|| format!("Terraform Cloud/Enterprise: GET {url}: invalid JSON"));
    }
    let messages = jsonapi_error_messages(&body);
    let detail = if messages.is_empty() {
        body_excerpt(&body)
    } else {
        messages.join("; ")
    };
    let hint = match (status.as_u16(), call) {
        (401, _) => format!(
            "; check the token (TFE_TOKEN, {}, or `terraform login`)",
            tfe_token_env_name(&workspace.host)
        ),
        // The API answers 404 for a workspace the token may not see, too.
        (404, Call::Workspace) => format!(
            "; check the organization {:?} and workspace {:?}, and that the token can read them",
            workspace.organization, workspace.workspace
        ),
        (404, Call::StateVersion) => "; the workspace may have no state yet".to_owned(),
        _ => String::new(),
    };
    bail!(
        "Terraform Cloud/Enterprise: GET {url} (workspace {}) returned HTTP {status}: {detail}{hint}",
        workspace.display()
    )
}
