//! Anonymous manifest lookups in container registries (Docker Hub, public.ecr.aws, ghcr.io,
//! quay.io, any OCI distribution registry) for `ecspress verify`.
//!
//! The flow is what `docker pull` does without credentials (OCI distribution spec, Docker
//! token authentication): `HEAD /v2/<repo>/manifests/<ref>` with every manifest media type in
//! `Accept`; on 401 with a `Bearer` challenge, GET an anonymous token from the challenge's
//! realm (`service`, `scope`) and retry once with it. Not an AWS SDK client, but it lives
//! beside them because it is the same kind of thing: the I/O behind a small trait that
//! `ops::verify` calls. Loopback hosts are plain HTTP (see
//! [`crate::model::verify::registry_base_url`]).
//!
//! A registry we cannot reach, or one that wants credentials, is not evidence that the
//! image is missing, so those outcomes are distinct from [`ManifestLookup::NotFound`].

use std::time::Duration;

use serde_json::Value;

use crate::model::verify::{
    BearerChallenge, MANIFEST_ACCEPT, manifest_path, parse_www_authenticate, registry_base_url,
};

/// What a manifest HEAD found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestLookup {
    /// 2xx: the tag or digest exists.
    Found,
    /// 404: no such manifest (or repository).
    NotFound,
    /// 401/403 even with an anonymous token: a private image.
    NeedsCredentials,
    /// Connection refused, DNS failure, timeout: why.
    Unreachable(String),
    /// Any other answer (429 rate limit, 5xx, a malformed challenge): why.
    Inconclusive(String),
}

/// Registry manifest lookups.
#[async_trait::async_trait]
pub trait RegistryApi: Send + Sync {
    /// Whether `host/repository` has a manifest for `reference` (tag or digest).
    async fn manifest(&self, host: &str, repository: &str, reference: &str) -> ManifestLookup;
}

/// Connecting may take this long (a registry behind a firewall should SKIP quickly).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// [`RegistryApi`] over reqwest.
pub struct HttpRegistry {
    /// Through `HTTPS_PROXY` etc. when set.
    proxied: reqwest::Client,
    /// Never through a proxy: for loopback registries, like Go's ProxyFromEnvironment.
    direct: reqwest::Client,
}

impl HttpRegistry {
    /// Clients with the default connect/request timeouts.
    pub fn new() -> Self {
        Self::with_timeouts(CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// Clients with these timeouts.
    pub fn with_timeouts(connect: Duration, request: Duration) -> Self {
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(connect)
                .timeout(request)
                .user_agent(concat!("ecspress/", env!("CARGO_PKG_VERSION")))
        };
        HttpRegistry {
            proxied: builder().build().unwrap_or_default(),
            direct: builder().no_proxy().build().unwrap_or_default(),
        }
    }

    fn client(&self, base: &str) -> &reqwest::Client {
        if base.starts_with("http://") {
            &self.direct
        } else {
            &self.proxied
        }
    }

    async fn head(
        &self,
        base: &str,
        url: &str,
        token: Option<&str>,
    ) -> Result<reqwest::Response, ManifestLookup> {
        let mut request = self
            .client(base)
            .head(url)
            .header(reqwest::header::ACCEPT, MANIFEST_ACCEPT);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.map_err(unreachable)
    }

    /// GET the challenge's realm with `service` and `scope` (default: pull on `repository`)
    /// and read `token` (or the OAuth2 `access_token`) from the JSON answer.
    async fn anonymous_token(
        &self,
        base: &str,
        challenge: &BearerChallenge,
        repository: &str,
    ) -> Result<String, ManifestLookup> {
        let mut url = url::Url::parse(&challenge.realm).map_err(|e| {
            ManifestLookup::Inconclusive(format!("bad token realm {:?}: {e}", challenge.realm))
        })?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = &challenge.service {
                query.append_pair("service", service);
            }
            let scope = challenge
                .scope
                .clone()
                .unwrap_or_else(|| format!("repository:{repository}:pull"));
            query.append_pair("scope", &scope);
        }
        let response = self
            .client(base)
            .get(url)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(ManifestLookup::NeedsCredentials);
        }
        if !status.is_success() {
            return Err(ManifestLookup::Inconclusive(format!(
                "token endpoint answered HTTP {}",
                status.as_u16()
            )));
        }
        let body = response.bytes().await.map_err(unreachable)?;
        let json: Value = serde_json::from_slice(&body).map_err(|e| {
            ManifestLookup::Inconclusive(format!("token endpoint answered non-JSON: {e}"))
        })?;
        json.get("token")
            .or_else(|| json.get("access_token"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ManifestLookup::Inconclusive("token endpoint answered no token".to_owned())
            })
    }
}

impl Default for HttpRegistry {
    fn default() -> Self {
        Self::new()
    }
}

fn unreachable(err: reqwest::Error) -> ManifestLookup {
    let why = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "connection failed".to_owned()
    } else {
        format!("request failed: {err}")
    };
    ManifestLookup::Unreachable(why)
}

fn by_status(status: reqwest::StatusCode) -> ManifestLookup {
    match status.as_u16() {
        200..=299 => ManifestLookup::Found,
        404 => ManifestLookup::NotFound,
        401 | 403 => ManifestLookup::NeedsCredentials,
        429 => ManifestLookup::Inconclusive("rate limited (HTTP 429)".to_owned()),
        other => ManifestLookup::Inconclusive(format!("registry answered HTTP {other}")),
    }
}

#[async_trait::async_trait]
impl RegistryApi for HttpRegistry {
    async fn manifest(&self, host: &str, repository: &str, reference: &str) -> ManifestLookup {
        let base = registry_base_url(host);
        let url = format!("{base}{}", manifest_path(repository, reference));
        let first = match self.head(&base, &url, None).await {
            Ok(r) => r,
            Err(outcome) => return outcome,
        };
        if first.status() != reqwest::StatusCode::UNAUTHORIZED {
            return by_status(first.status());
        }
        let Some(challenge) = first
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|h| h.to_str().ok())
            .and_then(parse_www_authenticate)
        else {
            // 401 with Basic (or no) challenge: anonymous pulls are not possible.
            return ManifestLookup::NeedsCredentials;
        };
        let token = match self.anonymous_token(&base, &challenge, repository).await {
            Ok(t) => t,
            Err(outcome) => return outcome,
        };
        match self.head(&base, &url, Some(&token)).await {
            Ok(r) => by_status(r.status()),
            Err(outcome) => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Response, header};

    /// A registry on 127.0.0.1 whose repositories each exercise one answer.
    async fn registry() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let host = listener.local_addr().expect("addr").to_string();
        let base = format!("http://{host}");
        let handler = move |req: axum::extract::Request| {
            let base = base.clone();
            async move {
                let path = req.uri().path().to_owned();
                let query = req.uri().query().unwrap_or_default().to_owned();
                let auth = req
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let (status, challenge, body) = match path.as_str() {
                    "/v2/basic/manifests/x" => (401, Some(r#"Basic realm="r""#.to_owned()), ""),
                    "/v2/limited/manifests/x" => (429, None, ""),
                    "/v2/broken/manifests/x" => (503, None, ""),
                    "/v2/oauth/manifests/x" if auth == "Bearer oauth-tok" => (200, None, ""),
                    "/v2/oauth/manifests/x" => (
                        401,
                        Some(format!(r#"Bearer realm="{base}/oauth",service="s""#)),
                        "",
                    ),
                    // No scope in the challenge: the default pull scope is asked for.
                    "/oauth" if query == "service=s&scope=repository%3Aoauth%3Apull" => {
                        (200, None, r#"{"access_token":"oauth-tok"}"#)
                    }
                    "/v2/denied/manifests/x" => (
                        401,
                        Some(format!(r#"Bearer realm="{base}/deny",service="s""#)),
                        "",
                    ),
                    "/deny" => (403, None, ""),
                    "/v2/garbled/manifests/x" => {
                        (401, Some(format!(r#"Bearer realm="{base}/garbled""#)), "")
                    }
                    "/garbled" => (200, None, "not json"),
                    _ => (404, None, ""),
                };
                let mut reply = Response::builder().status(status);
                if let Some(challenge) = challenge {
                    reply = reply.header(header::WWW_AUTHENTICATE, challenge);
                }
                reply
                    .body(Body::from(body))
                    .expect("a valid test registry response")
            }
        };
        tokio::spawn(async move {
            let _ = axum::serve(listener, axum::Router::new().fallback(handler)).await;
        });
        host
    }

    #[tokio::test]
    async fn maps_registry_answers_to_outcomes() {
        let host = registry().await;
        let client = HttpRegistry::new();
        let cases = [
            ("basic", ManifestLookup::NeedsCredentials),
            (
                "limited",
                ManifestLookup::Inconclusive("rate limited (HTTP 429)".into()),
            ),
            (
                "broken",
                ManifestLookup::Inconclusive("registry answered HTTP 503".into()),
            ),
            ("oauth", ManifestLookup::Found),
            ("denied", ManifestLookup::NeedsCredentials),
            ("missing", ManifestLookup::NotFound),
        ];
        for (repo, want) in cases {
            assert_eq!(client.manifest(&host, repo, "x").await, want, "{repo}");
        }
        assert_eq!(
            client.manifest("127.0.0.1:1", "any", "x").await,
            ManifestLookup::Unreachable("connection failed".into())
        );
        assert!(matches!(
            client.manifest(&host, "garbled", "x").await,
            ManifestLookup::Inconclusive(why) if why.starts_with("token endpoint answered non-JSON")
        ));
    }

    #[tokio::test]
    async fn a_registry_that_never_answers_is_unreachable_not_missing() {
        // Accepts connections and never writes a byte.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let host = listener.local_addr().expect("addr").to_string();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let client =
            HttpRegistry::with_timeouts(Duration::from_millis(200), Duration::from_millis(200));
        assert_eq!(
            client.manifest(&host, "app", "v1").await,
            ManifestLookup::Unreachable("timed out".into())
        );
    }
}
