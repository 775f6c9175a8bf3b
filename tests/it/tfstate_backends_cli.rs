//! `ecspress tfstate lookup` against Terraform Cloud/Enterprise, GCS and Azure Blob stand-ins
//! (axum servers on 127.0.0.1 that check credentials the way the real services do, and answer
//! error statuses), and against moto for the s3 backend's `assume_role` and `profile`.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ecspress::model::tfstate_backend::{azure_shared_key_signature, azure_string_to_sign};

use crate::support::{bin, code, example, moto, repo, rewrite, run, stderr, stdout};

/// Azurite's published development key (not a secret).
const AZURE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const TFE_TOKEN: &str = "tfe-good-token";
const GCS_TOKEN: &str = "ya29.gcs-good-token";

/// The hello example's state with `output.cluster_name` = `cluster`.
fn state_named(cluster: &str) -> Vec<u8> {
    std::fs::read_to_string(repo().join("examples/hello/terraform.tfstate"))
        .unwrap()
        .replace("\"value\": \"hello\"", &format!("\"value\": \"{cluster}\""))
        .into_bytes()
}

/// Serve `router` on a free 127.0.0.1 port for the rest of the test binary; returns `host:port`.
fn serve(router: Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    addr.to_string()
}

/// The binary with no cloud credentials from the developer's environment, and a `HOME` without
/// a Terraform credentials file.
fn cmd(home: &Path) -> Command {
    let mut c = bin();
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().to_string();
        if k.starts_with("TF_TOKEN_")
            || k.starts_with("TF_CLOUD_")
            || k.starts_with("ARM_")
            || k.starts_with("AZURE_")
            || k.starts_with("GOOGLE_")
            || k == "TFE_TOKEN"
            || k == "STORAGE_EMULATOR_HOST"
            || k == "GCE_METADATA_HOST"
        {
            c.env_remove(&k);
        }
    }
    c.env("HOME", home);
    c
}

fn lookup(mut c: Command, state: &str) -> Output {
    run(c.args(["tfstate", "lookup", "--state", state, "output.cluster_name"]))
}

#[track_caller]
fn assert_value(o: &Output, want: &str) {
    assert_eq!(code(o), 0, "{}", stderr(o));
    assert_eq!(stdout(o).trim_end(), want);
}

#[track_caller]
fn assert_error(o: &Output, wants: &[&str]) {
    assert_eq!(code(o), 2, "stdout {} stderr {}", stdout(o), stderr(o));
    let err = stderr(o);
    for want in wants {
        assert!(err.contains(want), "missing {want:?} in: {err}");
    }
}

/// A `.terraform/terraform.tfstate` backend pointer (and optional environment file) in `dir`.
fn write_pointer(dir: &Path, backend: serde_json::Value, environment: Option<&str>) {
    std::fs::create_dir_all(dir.join(".terraform")).unwrap();
    let pointer =
        serde_json::json!({"version": 3, "serial": 1, "lineage": "x", "backend": backend});
    std::fs::write(
        dir.join(".terraform/terraform.tfstate"),
        pointer.to_string(),
    )
    .unwrap();
    if let Some(ws) = environment {
        std::fs::write(dir.join(".terraform/environment"), ws).unwrap();
    }
}

/// The hello example with its tfstate plugin pointed at `url`.
fn config_with_url(url: &str) -> tempfile::TempDir {
    example("hello", |dir| {
        rewrite(
            dir,
            "ecspress.yml",
            "path: terraform.tfstate",
            &format!("url: {url}"),
        )
    })
}

// ---------------------------------------------------------------- Terraform Cloud/Enterprise

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn jsonapi_error(status: StatusCode, title: &str) -> Response {
    (
        status,
        [("content-type", "application/vnd.api+json")],
        serde_json::json!({"errors": [{"status": status.as_str(), "title": title}]}).to_string(),
    )
        .into_response()
}

/// Workspaces of organization `acme`: `web`, `web-prod` (with states), `empty` (no state
/// version), `broken` (a 500), `archived` (its state is on `archivist`, another host, as a
/// pre-signed URL that must not get the token).
fn tfe_router(archivist: String) -> Router {
    async fn workspace(
        UrlPath((org, ws)): UrlPath<(String, String)>,
        headers: HeaderMap,
    ) -> Response {
        if bearer(&headers) != Some(TFE_TOKEN) {
            return jsonapi_error(StatusCode::UNAUTHORIZED, "unauthorized");
        }
        match (org.as_str(), ws.as_str()) {
            ("acme", "web" | "web-prod" | "empty" | "archived") => serde_json::json!({
                "data": {"id": format!("ws-{ws}"), "type": "workspaces", "attributes": {"name": ws}}
            })
            .to_string()
            .into_response(),
            ("acme", "broken") => {
                (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response()
            }
            _ => jsonapi_error(StatusCode::NOT_FOUND, "not found"),
        }
    }
    async fn current_state_version(
        State(archivist): State<String>,
        UrlPath(id): UrlPath<String>,
        headers: HeaderMap,
    ) -> Response {
        if bearer(&headers) != Some(TFE_TOKEN) {
            return jsonapi_error(StatusCode::UNAUTHORIZED, "unauthorized");
        }
        let Some(ws) = id.strip_prefix("ws-").filter(|w| *w != "empty") else {
            return jsonapi_error(StatusCode::NOT_FOUND, "not found");
        };
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let url = if ws == "archived" {
            format!("http://{archivist}/signed/{ws}?sig=presigned")
        } else {
            format!("http://{host}/_archivist/{ws}")
        };
        serde_json::json!({"data": {"id": "sv-1", "type": "state-versions", "attributes": {
            "hosted-state-download-url": url
        }}})
        .to_string()
        .into_response()
    }
    async fn download(UrlPath(ws): UrlPath<String>, headers: HeaderMap) -> Response {
        if bearer(&headers) != Some(TFE_TOKEN) {
            return (StatusCode::UNAUTHORIZED, "no token").into_response();
        }
        state_named(&format!("hello-{ws}")).into_response()
    }
    Router::new()
        .route(
            "/api/v2/organizations/{org}/workspaces/{ws}",
            get(workspace),
        )
        .route(
            "/api/v2/workspaces/{id}/current-state-version",
            get(current_state_version),
        )
        .route("/_archivist/{ws}", get(download))
        .with_state(archivist)
}

/// A pre-signed download host: refuses any request that carries an Authorization header.
fn archivist() -> String {
    async fn signed(UrlPath(ws): UrlPath<String>, headers: HeaderMap) -> Response {
        if headers.contains_key("authorization") {
            return (StatusCode::BAD_REQUEST, "unexpected Authorization header").into_response();
        }
        state_named(&format!("hello-{ws}")).into_response()
    }
    serve(Router::new().route("/signed/{ws}", get(signed)))
}

#[test]
fn tfe_remote_urls_tokens_and_error_statuses() {
    let host = serve(tfe_router(archivist()));
    let home = tempfile::tempdir().unwrap();
    let url = |ws: &str| format!("remote://{host}/acme/{ws}");
    let with_token = |token: &str| {
        let mut c = cmd(home.path());
        c.env("TFE_TOKEN", token);
        c
    };

    assert_value(&lookup(with_token(TFE_TOKEN), &url("web")), "hello-web");
    // A download URL on another host gets no token.
    assert_value(
        &lookup(with_token(TFE_TOKEN), &url("archived")),
        "hello-archived",
    );

    // Terraform's per-host variable, then the `terraform login` credentials file.
    let mut c = cmd(home.path());
    c.env("TF_TOKEN_127_0_0_1", TFE_TOKEN);
    assert_value(&lookup(c, &url("web-prod")), "hello-web-prod");
    let no_token = lookup(cmd(home.path()), &url("web"));
    assert_error(
        &no_token,
        &[
            "no Terraform Cloud/Enterprise token",
            "TF_TOKEN_127_0_0_1",
            "terraform login",
        ],
    );
    std::fs::create_dir(home.path().join(".terraform.d")).unwrap();
    std::fs::write(
        home.path().join(".terraform.d/credentials.tfrc.json"),
        serde_json::json!({"credentials": {host.clone(): {"token": TFE_TOKEN}}}).to_string(),
    )
    .unwrap();
    assert_value(&lookup(cmd(home.path()), &url("web")), "hello-web");

    // Error statuses name the backend, the object, the status, the API's messages and a hint.
    assert_error(
        &lookup(with_token("wrong"), &url("web")),
        &[
            "Terraform Cloud/Enterprise",
            &url("web"),
            "HTTP 401 Unauthorized",
            "unauthorized",
            "check the token",
        ],
    );
    assert_error(
        &lookup(with_token(TFE_TOKEN), &url("nope")),
        &[
            &url("nope"),
            "HTTP 404 Not Found: not found",
            "check the organization \"acme\" and workspace \"nope\"",
        ],
    );
    assert_error(
        &lookup(with_token(TFE_TOKEN), &url("empty")),
        &["current-state-version", "HTTP 404", "no state yet"],
    );
    assert_error(
        &lookup(with_token(TFE_TOKEN), &url("broken")),
        &[&url("broken"), "HTTP 500", "upstream exploded"],
    );
}

#[test]
fn tfe_remote_and_cloud_backend_pointers_and_config_plugin() {
    let host = serve(tfe_router(archivist()));
    let home = tempfile::tempdir().unwrap();
    let run_in = |dir: &Path, env: &[(&str, &str)]| {
        let mut c = cmd(home.path());
        c.current_dir(dir)
            .env("TFE_TOKEN", TFE_TOKEN)
            .envs(env.iter().copied());
        lookup(c, ".")
    };

    // `remote` with workspaces.prefix: prefix + selected workspace.
    let dir = tempfile::tempdir().unwrap();
    write_pointer(
        dir.path(),
        serde_json::json!({"type": "remote", "hash": 1, "config": {
            "hostname": host, "organization": "acme", "token": null,
            "workspaces": {"name": null, "prefix": "web-"}
        }}),
        None,
    );
    assert_value(
        &run_in(dir.path(), &[("TF_WORKSPACE", "prod")]),
        "hello-web-prod",
    );
    // A token written in the backend config beats the environment's.
    let named = tempfile::tempdir().unwrap();
    write_pointer(
        named.path(),
        serde_json::json!({"type": "remote", "hash": 1, "config": {
            "hostname": host, "organization": "acme", "token": TFE_TOKEN,
            "workspaces": {"name": "web", "prefix": null}
        }}),
        None,
    );
    let mut c = cmd(home.path());
    c.current_dir(named.path()).env("TFE_TOKEN", "wrong");
    assert_value(&lookup(c, "."), "hello-web");
    assert_error(
        &run_in(dir.path(), &[]),
        &[
            "remote backend config uses workspaces.prefix",
            "TF_WORKSPACE",
        ],
    );

    // `cloud` with tags: the workspace selected in .terraform/environment.
    let dir = tempfile::tempdir().unwrap();
    write_pointer(
        dir.path(),
        serde_json::json!({"type": "cloud", "hash": 1, "config": {
            "hostname": host, "organization": "acme",
            "workspaces": {"name": null, "tags": ["app"], "project": null}
        }}),
        Some("web"),
    );
    assert_value(&run_in(dir.path(), &[]), "hello-web");
    let o = run_in(dir.path(), &[("TF_WORKSPACE", "nope")]);
    assert_error(
        &o,
        &[
            "the cloud backend of .",
            "workspace nope",
            &format!("remote://{host}/acme/nope"),
            "HTTP 404",
        ],
    );

    // A config's tfstate plugin URL.
    let cfg = config_with_url(&format!("remote://{host}/acme/web"));
    let mut c = cmd(home.path());
    c.current_dir(cfg.path()).env("TFE_TOKEN", TFE_TOKEN).args([
        "tfstate",
        "lookup",
        "output.cluster_name",
    ]);
    assert_value(&run(&mut c), "hello-web");
}

// ---------------------------------------------------------------- GCS

/// Bucket `states` holds `app/default.tfstate` and `app/prod.tfstate`; bucket `flaky` answers
/// 503. The metadata server hands out the good token.
fn gcs_router(public_key: Vec<u8>) -> Router {
    async fn object(
        UrlPath((bucket, object)): UrlPath<(String, String)>,
        uri: Uri,
        headers: HeaderMap,
    ) -> Response {
        // The object name is one percent-encoded path segment, and the media is asked for.
        let raw = format!("/storage/v1/b/{bucket}/o/{}", object.replace('/', "%2F"));
        if uri.path() != raw || uri.query() != Some("alt=media") {
            return (StatusCode::BAD_REQUEST, format!("bad request {uri}")).into_response();
        }
        let error = |status: StatusCode, message: &str| {
            (
                status,
                serde_json::json!({"error": {"code": status.as_u16(), "message": message}})
                    .to_string(),
            )
                .into_response()
        };
        if bearer(&headers) != Some(GCS_TOKEN) {
            return error(StatusCode::UNAUTHORIZED, "Invalid Credentials");
        }
        match (bucket.as_str(), object.as_str()) {
            ("states", "app/default.tfstate") => state_named("hello-gcs").into_response(),
            ("states", "app/prod.tfstate") => state_named("hello-gcs-prod").into_response(),
            ("flaky", _) => error(StatusCode::SERVICE_UNAVAILABLE, "Backend Error"),
            _ => error(
                StatusCode::NOT_FOUND,
                &format!("No such object: {bucket}/{object}"),
            ),
        }
    }
    async fn metadata(headers: HeaderMap) -> Response {
        if headers.get("metadata-flavor").and_then(|v| v.to_str().ok()) != Some("Google") {
            return (StatusCode::FORBIDDEN, "missing Metadata-Flavor").into_response();
        }
        serde_json::json!({"access_token": GCS_TOKEN, "expires_in": 3599, "token_type": "Bearer"})
            .to_string()
            .into_response()
    }
    /// Google's token endpoint: a JWT-bearer assertion signed by `public_key`'s private key,
    /// or the refresh token `good-refresh`.
    async fn token(State(public_key): State<Vec<u8>>, body: String) -> Response {
        use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let bad = |why: &str| {
            (
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "invalid_grant", "error_description": why}).to_string(),
            )
                .into_response()
        };
        let granted = serde_json::json!({"access_token": GCS_TOKEN, "expires_in": 3599})
            .to_string()
            .into_response();
        match form.get("grant_type").map(String::as_str) {
            Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
                let jwt = form.get("assertion").cloned().unwrap_or_default();
                let Some((input, sig)) = jwt.rsplit_once('.') else {
                    return bad("not a JWT");
                };
                let sig = URL_SAFE_NO_PAD.decode(sig).unwrap_or_default();
                if UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public_key)
                    .verify(input.as_bytes(), &sig)
                    .is_err()
                {
                    return bad("Invalid JWT Signature.");
                }
                let claims: serde_json::Value = serde_json::from_slice(
                    &URL_SAFE_NO_PAD
                        .decode(input.split('.').nth(1).unwrap_or_default())
                        .unwrap_or_default(),
                )
                .unwrap_or_default();
                if claims["iss"] != "reader@proj.iam.gserviceaccount.com"
                    || !claims["aud"]
                        .as_str()
                        .unwrap_or_default()
                        .ends_with("/token")
                    || claims["scope"] != "https://www.googleapis.com/auth/devstorage.read_only"
                {
                    return bad(&format!("unexpected claims {claims}"));
                }
                granted
            }
            Some("refresh_token")
                if form.get("refresh_token").map(String::as_str) == Some("good-refresh") =>
            {
                granted
            }
            _ => bad("Bad Request"),
        }
    }
    Router::new()
        .route("/storage/v1/b/{bucket}/o/{object}", get(object))
        .route(
            "/computeMetadata/v1/instance/service-accounts/default/token",
            get(metadata),
        )
        .route("/token", post(token))
        .with_state(public_key)
}

/// A fresh RSA key: its PKCS#8 PEM and its public key (PKCS#1 DER).
fn rsa_key() -> (String, Vec<u8>) {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::KeyPair as _;
    use base64::Engine as _;
    let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let der: Pkcs8V1Der = key.as_der().unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    (pem, key.public_key().as_ref().to_vec())
}

#[test]
fn gcs_urls_pointers_tokens_and_error_statuses() {
    let (private_pem, public_key) = rsa_key();
    let host = serve(gcs_router(public_key));
    let home = tempfile::tempdir().unwrap();
    let gcs = |token: Option<&str>| {
        let mut c = cmd(home.path());
        c.env("STORAGE_EMULATOR_HOST", &host);
        if let Some(t) = token {
            c.env("GOOGLE_OAUTH_ACCESS_TOKEN", t);
        }
        c
    };

    assert_value(
        &lookup(gcs(Some(GCS_TOKEN)), "gs://states/app/default.tfstate"),
        "hello-gcs",
    );
    // A token from the metadata server.
    let mut c = gcs(None);
    c.env("GCE_METADATA_HOST", &host);
    assert_value(&lookup(c, "gs://states/app/prod.tfstate"), "hello-gcs-prod");

    assert_error(
        &lookup(gcs(Some("expired")), "gs://states/app/default.tfstate"),
        &[
            "GCS",
            "gs://states/app/default.tfstate",
            "HTTP 401 Unauthorized: Invalid Credentials",
            "GOOGLE_OAUTH_ACCESS_TOKEN",
        ],
    );
    // The emulator without any token is anonymous, which this bucket refuses.
    assert_error(
        &lookup(gcs(None), "gs://states/app/default.tfstate"),
        &["HTTP 401"],
    );
    assert_error(
        &lookup(gcs(Some(GCS_TOKEN)), "gs://states/app/nope.tfstate"),
        &[
            "gs://states/app/nope.tfstate",
            "HTTP 404 Not Found: No such object: states/app/nope.tfstate",
        ],
    );
    assert_error(
        &lookup(gcs(Some(GCS_TOKEN)), "gs://flaky/x.tfstate"),
        &["gs://flaky/x.tfstate", "HTTP 503", "Backend Error"],
    );

    // The gcs backend: <prefix>/<workspace>.tfstate.
    let dir = tempfile::tempdir().unwrap();
    write_pointer(
        dir.path(),
        serde_json::json!({"type": "gcs", "hash": 1, "config": {
            "bucket": "states", "prefix": "app", "credentials": null, "encryption_key": null
        }}),
        None,
    );
    let mut c = gcs(Some(GCS_TOKEN));
    c.current_dir(dir.path());
    assert_value(&lookup(c, "."), "hello-gcs");
    let mut c = gcs(Some(GCS_TOKEN));
    c.current_dir(dir.path()).env("TF_WORKSPACE", "prod");
    assert_value(&lookup(c, "."), "hello-gcs-prod");
    // `access_token` written in the backend config beats GOOGLE_OAUTH_ACCESS_TOKEN.
    let dir = tempfile::tempdir().unwrap();
    write_pointer(
        dir.path(),
        serde_json::json!({"type": "gcs", "config": {
            "bucket": "states", "prefix": "app", "access_token": GCS_TOKEN
        }}),
        None,
    );
    let mut c = gcs(Some("expired"));
    c.current_dir(dir.path());
    assert_value(&lookup(c, "."), "hello-gcs");

    // Service-account keys: GOOGLE_APPLICATION_CREDENTIALS, and the backend's `credentials`
    // (which beats the environment's file, here one with a key the token endpoint refuses).
    let keys = tempfile::tempdir().unwrap();
    let sa = |pem: &str| {
        serde_json::json!({
            "type": "service_account", "project_id": "proj", "private_key_id": "k1",
            "private_key": pem, "client_email": "reader@proj.iam.gserviceaccount.com",
            "token_uri": format!("http://{host}/token")
        })
        .to_string()
    };
    let good_key = keys.path().join("good.json");
    std::fs::write(&good_key, sa(&private_pem)).unwrap();
    let (other_pem, _) = rsa_key();
    let other_key = keys.path().join("other.json");
    std::fs::write(&other_key, sa(&other_pem)).unwrap();
    let mut c = gcs(None);
    c.env("GOOGLE_APPLICATION_CREDENTIALS", &good_key);
    assert_value(&lookup(c, "gs://states/app/default.tfstate"), "hello-gcs");
    let mut c = gcs(None);
    c.env("GOOGLE_APPLICATION_CREDENTIALS", &other_key);
    assert_error(
        &lookup(c, "gs://states/app/default.tfstate"),
        &[
            "cannot get a Google access token from",
            "other.json",
            "/token returned HTTP 400 Bad Request: invalid_grant: Invalid JWT Signature.",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    write_pointer(
        dir.path(),
        serde_json::json!({"type": "gcs", "config": {
            "bucket": "states", "prefix": "app", "credentials": good_key.display().to_string()
        }}),
        None,
    );
    let mut c = gcs(None);
    c.current_dir(dir.path())
        .env("GOOGLE_APPLICATION_CREDENTIALS", &other_key);
    assert_value(&lookup(c, "."), "hello-gcs");
    let dir = tempfile::tempdir().unwrap();
    write_pointer(
        dir.path(),
        serde_json::json!({"type": "gcs", "config": {
            "bucket": "states", "prefix": "app", "credentials": "/keys/missing.json"
        }}),
        None,
    );
    let mut c = cmd(home.path());
    c.current_dir(dir.path());
    assert_error(
        &lookup(c, "."),
        &["cannot read the gcs backend's credentials /keys/missing.json"],
    );

    // gcloud's application-default credentials (an authorized user's refresh token). Against
    // the emulator requests stay anonymous unless GCE_METADATA_HOST is set, so set it (to a
    // closed port): the ADC file comes before the metadata server.
    let adc_home = tempfile::tempdir().unwrap();
    let adc = adc_home.path().join(".config/gcloud");
    std::fs::create_dir_all(&adc).unwrap();
    let user = |refresh: &str| {
        serde_json::json!({"type": "authorized_user", "client_id": "cid", "client_secret": "cs",
            "refresh_token": refresh, "token_uri": format!("http://{host}/token")})
        .to_string()
    };
    let adc_file = adc.join("application_default_credentials.json");
    std::fs::write(&adc_file, user("good-refresh")).unwrap();
    let adc_cmd = || {
        let mut c = cmd(adc_home.path());
        c.env("STORAGE_EMULATOR_HOST", &host)
            .env("GCE_METADATA_HOST", "127.0.0.1:1");
        c
    };
    assert_value(
        &lookup(adc_cmd(), "gs://states/app/default.tfstate"),
        "hello-gcs",
    );
    std::fs::write(&adc_file, user("revoked")).unwrap();
    assert_error(
        &lookup(adc_cmd(), "gs://states/app/default.tfstate"),
        &[
            "application_default_credentials.json",
            "invalid_grant: Bad Request",
        ],
    );

    // A config's tfstate plugin URL.
    let cfg = config_with_url("gs://states/app/default.tfstate");
    let mut c = gcs(Some(GCS_TOKEN));
    c.current_dir(cfg.path())
        .args(["tfstate", "lookup", "output.cluster_name"]);
    assert_value(&run(&mut c), "hello-gcs");
}

// ---------------------------------------------------------------- Azure Blob Storage

/// Azurite-style paths `/ACCOUNT/CONTAINER/BLOB`, checking Shared Key signatures with the
/// Azurite key, or a SAS whose `sig` is `good`. Container `broken` answers 500.
fn azure_router(blobs: HashMap<String, Vec<u8>>) -> Router {
    async fn blob(
        State(blobs): State<HashMap<String, Vec<u8>>>,
        UrlPath((account, container, name)): UrlPath<(String, String, String)>,
        uri: Uri,
        headers: HeaderMap,
    ) -> Response {
        let error = |status: StatusCode, code: &str, message: &str| {
            (
                status,
                [("x-ms-error-code", code.to_owned())],
                format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code>\
                     <Message>{message}\nRequestId:1\nTime:now</Message></Error>"
                ),
            )
                .into_response()
        };
        let header = |k: &str| {
            headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let authorized = if let Some(auth) = headers.get("authorization") {
            let sts = azure_string_to_sign(
                "GET",
                &account,
                uri.path(),
                &query,
                &[
                    ("x-ms-date".into(), header("x-ms-date")),
                    ("x-ms-version".into(), header("x-ms-version")),
                ],
            );
            let want = format!(
                "SharedKey {account}:{}",
                azure_shared_key_signature(AZURE_KEY, &sts).unwrap()
            );
            let auth = auth.to_str().unwrap_or_default();
            // OAuth (Entra ID) tokens need x-ms-version >= 2017-11-09.
            auth == want
                || (auth == "Bearer aad-good-token"
                    && header("x-ms-version").as_str() >= "2017-11-09")
        } else {
            query.iter().any(|(k, v)| k == "sig" && v == "good")
        };
        if !authorized {
            return error(
                StatusCode::FORBIDDEN,
                "AuthenticationFailed",
                "Server failed to authenticate the request.",
            );
        }
        if container == "broken" {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "The server encountered an internal error.",
            );
        }
        match blobs.get(&format!("{account}/{container}/{name}")) {
            Some(b) => b.clone().into_response(),
            None => error(
                StatusCode::NOT_FOUND,
                "BlobNotFound",
                "The specified blob does not exist.",
            ),
        }
    }
    Router::new()
        .route("/{account}/{container}/{*blob}", get(blob))
        .with_state(blobs)
}

#[test]
fn azurerm_urls_pointers_auth_and_error_statuses() {
    let blobs = HashMap::from([
        (
            "acct/tfstate/app/terraform.tfstate".to_owned(),
            state_named("hello-azure"),
        ),
        (
            "acct/tfstate/app/terraform.tfstateenv:dev".to_owned(),
            state_named("hello-azure-dev"),
        ),
    ]);
    let host = serve(azure_router(blobs));
    let home = tempfile::tempdir().unwrap();
    let azure = |env: &[(&str, &str)]| {
        let mut c = cmd(home.path());
        c.env("AZURE_STORAGE_BLOB_ENDPOINT", format!("http://{host}/acct"))
            .envs(env.iter().copied());
        c
    };
    let url = "azurerm://sub-1@rg/acct/tfstate/app/terraform.tfstate";

    assert_value(
        &lookup(azure(&[("ARM_ACCESS_KEY", AZURE_KEY)]), url),
        "hello-azure",
    );
    assert_value(
        &lookup(azure(&[("AZURE_STORAGE_ACCESS_KEY", AZURE_KEY)]), url),
        "hello-azure",
    );
    assert_value(
        &lookup(azure(&[("ARM_SAS_TOKEN", "?sv=2021-08-06&sig=good")]), url),
        "hello-azure",
    );
    assert_value(
        &lookup(azure(&[("ARM_ACCESS_TOKEN", "aad-good-token")]), url),
        "hello-azure",
    );
    assert_error(
        &lookup(azure(&[("ARM_ACCESS_TOKEN", "aad-expired")]), url),
        &["HTTP 403", "AuthenticationFailed"],
    );

    let other_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_error(
        &lookup(azure(&[("ARM_ACCESS_KEY", other_key)]), url),
        &[
            "Azure Blob",
            "azurerm://acct/tfstate/app/terraform.tfstate",
            "HTTP 403 Forbidden: AuthenticationFailed: Server failed to authenticate the request.",
            "check the access key",
        ],
    );
    let o = lookup(azure(&[("ARM_SAS_TOKEN", "sv=1&sig=bad")]), url);
    assert_error(&o, &["HTTP 403", "AuthenticationFailed"]);
    assert!(!stderr(&o).contains("sig=bad"), "a SAS is never printed");
    assert_error(
        &lookup(
            azure(&[("ARM_ACCESS_KEY", AZURE_KEY)]),
            "azurerm://rg/acct/tfstate/nope.tfstate",
        ),
        &[
            "azurerm://acct/tfstate/nope.tfstate",
            "HTTP 404 Not Found: BlobNotFound: The specified blob does not exist.",
        ],
    );
    assert_error(
        &lookup(
            azure(&[("ARM_ACCESS_KEY", AZURE_KEY)]),
            "azurerm://rg/acct/broken/x",
        ),
        &["azurerm://acct/broken/x", "HTTP 500", "InternalError"],
    );
    assert_error(
        &lookup(azure(&[]), url),
        &[
            "no Azure storage credentials for account acct",
            "ARM_ACCESS_KEY",
        ],
    );

    // The azurerm backend: key, or key + "env:" + workspace; access_key from the config.
    let dir = tempfile::tempdir().unwrap();
    write_pointer(
        dir.path(),
        serde_json::json!({"type": "azurerm", "hash": 1, "config": {
            "storage_account_name": "acct", "container_name": "tfstate",
            "key": "app/terraform.tfstate", "resource_group_name": "rg", "access_key": AZURE_KEY
        }}),
        Some("dev"),
    );
    let mut c = azure(&[]);
    c.current_dir(dir.path());
    assert_value(&lookup(c, "."), "hello-azure-dev");
    let mut c = azure(&[("TF_WORKSPACE", "default")]);
    c.current_dir(dir.path());
    assert_value(&lookup(c, "."), "hello-azure");

    // A config's tfstate plugin URL.
    let cfg = config_with_url(url);
    let mut c = azure(&[("ARM_ACCESS_KEY", AZURE_KEY)]);
    c.current_dir(cfg.path())
        .args(["tfstate", "lookup", "output.cluster_name"]);
    assert_value(&run(&mut c), "hello-azure");
}

// ---------------------------------------------------------------- S3 assume_role / profile

#[tokio::test(flavor = "multi_thread")]
async fn s3_backend_assume_role_and_profile_against_moto() {
    let cfg = moto::sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("tfstate-roles")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("tfstate-roles")
        .key("app/terraform.tfstate")
        .body(state_named("hello-role").into())
        .send()
        .await
        .unwrap();

    let home = tempfile::tempdir().unwrap();
    let role = "arn:aws:iam::123456789012:role/state-reader";
    let pointer_dir = |extra: serde_json::Value| {
        let dir = tempfile::tempdir().unwrap();
        let mut config = serde_json::json!({
            "bucket": "tfstate-roles", "key": "app/terraform.tfstate", "region": "us-east-1"
        });
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        write_pointer(
            dir.path(),
            serde_json::json!({"type": "s3", "hash": 1, "config": config}),
            None,
        );
        dir
    };
    let in_dir = |dir: &Path, env: &[(&str, String)]| {
        let mut c = cmd(home.path());
        c.current_dir(dir)
            .env("AWS_ENDPOINT_URL", moto::endpoint())
            .envs(env.iter().map(|(k, v)| (*k, v.clone())));
        lookup(c, ".")
    };
    // Nothing listens here: proves the read goes through STS when a role is configured.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };

    for extra in [
        serde_json::json!({"assume_role": {
            "role_arn": role, "session_name": "ci", "external_id": "ext-1", "duration": "1h",
            "policy_arns": [], "tags": null, "source_identity": null, "transitive_tag_keys": null
        }}),
        serde_json::json!({"role_arn": role, "session_name": "legacy", "assume_role_duration_seconds": 900}),
    ] {
        let dir = pointer_dir(extra.clone());
        assert_value(&in_dir(dir.path(), &[]), "hello-role");
        assert_error(
            &in_dir(dir.path(), &[("AWS_ENDPOINT_URL_STS", closed.clone())]),
            &[
                "cannot read tfstate s3://tfstate-roles/app/terraform.tfstate",
                "the s3 backend of .",
                &format!("assuming role {role}"),
            ],
        );
    }

    // `endpoints.s3` written in the backend (no AWS_ENDPOINT_URL): the state comes from there;
    // the same pointer without it would go to the real S3 and fail.
    let dir = pointer_dir(serde_json::json!({
        "endpoints": {"s3": moto::endpoint()}, "use_path_style": true,
        "access_key": "AKIDCONFIG", "secret_key": "config-secret"
    }));
    let mut c = cmd(home.path());
    c.current_dir(dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true");
    assert_value(&lookup(c, "."), "hello-role");
    let dir = pointer_dir(serde_json::json!({"endpoints": {"s3": closed.clone()}}));
    let mut c = cmd(home.path());
    c.current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", moto::endpoint());
    assert_error(
        &lookup(c, "."),
        &[&format!("endpoint {closed}"), "GetObject"],
    );

    // `profile`: the named profile's credentials, not the environment's.
    let aws_dir = tempfile::tempdir().unwrap();
    let config_file = aws_dir.path().join("config");
    let credentials_file = aws_dir.path().join("credentials");
    std::fs::write(&config_file, "[profile states]\nregion = us-east-1\n").unwrap();
    std::fs::write(
        &credentials_file,
        "[states]\naws_access_key_id = AKIDSTATES\naws_secret_access_key = secret\n",
    )
    .unwrap();
    let files = [
        ("AWS_CONFIG_FILE", config_file.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials_file.display().to_string(),
        ),
    ];
    let dir = pointer_dir(serde_json::json!({"profile": "states"}));
    assert_value(&in_dir(dir.path(), &files), "hello-role");
    let dir = pointer_dir(serde_json::json!({"profile": "nope"}));
    assert_error(
        &in_dir(dir.path(), &files),
        &["the s3 backend of .", "profile nope", "nope"],
    );
    // A role assumed with a profile's credentials.
    let dir =
        pointer_dir(serde_json::json!({"profile": "states", "assume_role": {"role_arn": role}}));
    assert_value(&in_dir(dir.path(), &files), "hello-role");
}
