//! Azure Blob Storage state reads (`azurerm://`, `azurerm` backend).
//!
//! One Get Blob call: `GET https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB`.
//!
//! Credentials, first found (the azurerm backend's own order puts the access key first):
//! - Shared Key: the backend config's `access_key`, `ARM_ACCESS_KEY` (the backend's variable),
//!   `AZURE_STORAGE_ACCESS_KEY` (tfstate-lookup's and the az CLI's); the request is signed with
//!   HMAC-SHA256 over the canonical string ([`crate::model::tfstate_backend::azure_string_to_sign`]);
//! - a SAS token: the backend config's `sas_token`, else `ARM_SAS_TOKEN`, appended to the URL;
//! - an OAuth bearer token for `https://storage.azure.com/` in `ARM_ACCESS_TOKEN` (an ecspress
//!   variable; e.g. `az account get-access-token --resource https://storage.azure.com/`).
//!
//! Not supported: ARM `ListKeys` with the az CLI login or a service principal, which
//! tfstate-lookup falls back to; the resource group and subscription of an `azurerm://` URL are
//! therefore only used in messages.
//!
//! Endpoint: `AZURE_STORAGE_BLOB_ENDPOINT` replaces `https://ACCOUNT.blob.core.windows.net`, e.g.
//! Azurite's `http://127.0.0.1:10000/devstoreaccount1` (the account is then part of the path,
//! and of the signed resource, as Azurite expects).

use anyhow::{Context, bail};

use super::{EnvLookup, body_excerpt, http_client};
use crate::model::tfstate_backend::{AzureBlob, azure_shared_key_signature, azure_string_to_sign};

/// The REST API version we speak (Get Blob; bearer tokens need ≥ 2017-11-09).
const API_VERSION: &str = "2021-08-06";

enum Auth {
    SharedKey(String),
    Sas(String),
    Bearer(String),
}

/// The bytes of `blob`.
pub(super) async fn fetch(blob: &AzureBlob, env: EnvLookup<'_>) -> anyhow::Result<Vec<u8>> {
    let set = |k: &str| {
        env(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let auth = if let Some(k) = blob
        .access_key
        .clone()
        .or_else(|| set("ARM_ACCESS_KEY"))
        .or_else(|| set("AZURE_STORAGE_ACCESS_KEY"))
    {
        Auth::SharedKey(k)
    } else if let Some(s) = blob.sas_token.clone().or_else(|| set("ARM_SAS_TOKEN")) {
        Auth::Sas(s)
    } else if let Some(t) = set("ARM_ACCESS_TOKEN") {
        Auth::Bearer(t)
    } else {
        bail!(
            "no Azure storage credentials for account {}: set ARM_ACCESS_KEY (or \
             AZURE_STORAGE_ACCESS_KEY), ARM_SAS_TOKEN, or ARM_ACCESS_TOKEN (ecspress does not \
             call ARM ListKeys)",
            blob.account
        );
    };

    let endpoint = match set("AZURE_STORAGE_BLOB_ENDPOINT") {
        Some(e) => e,
        None => format!("https://{}.blob.core.windows.net", blob.account),
    };
    let mut url =
        url::Url::parse(&endpoint).with_context(|| format!("invalid blob endpoint {endpoint}"))?;
    url.path_segments_mut()
        .map_err(|()| anyhow::anyhow!("{endpoint} cannot be a base URL"))?
        .pop_if_empty()
        .push(&blob.container)
        .extend(blob.blob.split('/'));
    if let Auth::Sas(sas) = &auth {
        url.set_query(Some(sas.trim_start_matches('?')));
    }

    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let mut request = http_client(&url)?
        .get(url.clone())
        .header("x-ms-date", &date)
        .header("x-ms-version", API_VERSION);
    match &auth {
        Auth::SharedKey(key) => {
            let query: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let headers = [
                ("x-ms-date".to_owned(), date.clone()),
                ("x-ms-version".to_owned(), API_VERSION.to_owned()),
            ];
            let sts = azure_string_to_sign("GET", &blob.account, url.path(), &query, &headers);
            let signature = azure_shared_key_signature(key, &sts).map_err(anyhow::Error::msg)?;
            request = request.header(
                "Authorization",
                format!("SharedKey {}:{signature}", blob.account),
            );
        }
        Auth::Bearer(token) => request = request.bearer_auth(token),
        Auth::Sas(_) => {}
    }
    // Never print a SAS signature.
    let shown = blob.display();
    let response = request
        .send()
        .await
        .with_context(|| format!("Azure Blob: GET {shown} failed"))?;
    let status = response.status();
    let error_code = response
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .bytes()
        .await
        .with_context(|| format!("Azure Blob: GET {shown}: reading the body failed"))?;
    if status.is_success() {
        return Ok(body.to_vec());
    }
    let text = String::from_utf8_lossy(&body);
    let code = error_code.or_else(|| xml_element(&text, "Code"));
    let message = xml_element(&text, "Message")
        .map(|m| m.lines().next().unwrap_or_default().to_owned())
        .unwrap_or_else(|| body_excerpt(&body));
    let hint = match status.as_u16() {
        403 => "; check the access key, SAS token or bearer token and its permissions",
        404 => "; check the storage account, container, key and workspace",
        _ => "",
    };
    bail!(
        "Azure Blob: reading {shown} returned HTTP {status}: {}{message}{hint}",
        code.map(|c| format!("{c}: ")).unwrap_or_default()
    )
}

/// The text of the first `<name>…</name>` in an Azure error document.
fn xml_element(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    Some(text[start..end].trim().to_owned())
}
