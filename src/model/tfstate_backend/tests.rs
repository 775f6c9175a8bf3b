use std::time::Duration;

use serde_json::json;

use super::*;

fn pointer(backend_type: &str, config: Value) -> BackendPointer {
    BackendPointer {
        backend_type: backend_type.into(),
        config: config.as_object().unwrap().clone(),
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn url_forms() {
    assert_eq!(
        parse_remote_url("app.terraform.io/acme/web-prod").unwrap(),
        TfeWorkspace {
            host: "app.terraform.io".into(),
            organization: "acme".into(),
            workspace: "web-prod".into(),
            token: None,
        }
    );
    assert_eq!(
        parse_gs_url("bkt/states/default.tfstate").unwrap(),
        GcsObject {
            bucket: "bkt".into(),
            object: "states/default.tfstate".into(),
            access_token: None,
            credentials: None,
        }
    );
    let blob = parse_azurerm_url("sub-1@rg/acct/tfstate/app/prod.terraform.tfstate").unwrap();
    assert_eq!(blob.subscription.as_deref(), Some("sub-1"));
    assert_eq!(blob.resource_group.as_deref(), Some("rg"));
    assert_eq!(
        (
            blob.account.as_str(),
            blob.container.as_str(),
            blob.blob.as_str()
        ),
        ("acct", "tfstate", "app/prod.terraform.tfstate")
    );
    let blob = parse_azurerm_url("rg/acct/c/b").unwrap();
    assert_eq!(blob.subscription, None);
    assert_eq!(blob.display(), "azurerm://acct/c/b");

    for bad in ["", "host/org", "host/org/ws/extra", "/org/ws", "host//ws"] {
        assert!(parse_remote_url(bad).is_err(), "{bad}");
    }
    for bad in ["", "bucket", "bucket/", "/obj"] {
        assert!(parse_gs_url(bad).is_err(), "{bad}");
    }
    for bad in [
        "rg/acct/c",
        "@rg/acct/c/b",
        "rg//c/b",
        "a/b@rg/acct/c/b",
        "rg/acct/c/",
    ] {
        assert!(parse_azurerm_url(bad).is_err(), "{bad}");
    }
}

#[test]
fn backend_targets_per_type_and_workspace() {
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "s3",
            json!({"bucket": "b", "key": "k"}),
            "default",
            "s3://b/k",
        ),
        (
            "s3",
            json!({"bucket": "b", "key": "k"}),
            "dev",
            "s3://b/env:/dev/k",
        ),
        (
            "s3",
            json!({"bucket": "b", "key": "a/k", "workspace_key_prefix": "ws"}),
            "dev",
            "s3://b/ws/dev/a/k",
        ),
        (
            "gcs",
            json!({"bucket": "g", "prefix": "app/"}),
            "default",
            "gs://g/app/default.tfstate",
        ),
        (
            "gcs",
            json!({"bucket": "g", "prefix": "app"}),
            "prod",
            "gs://g/app/prod.tfstate",
        ),
        (
            "gcs",
            json!({"bucket": "g", "prefix": null}),
            "prod",
            "gs://g/prod.tfstate",
        ),
        (
            "azurerm",
            json!({"storage_account_name": "a", "container_name": "c", "key": "prod.tfstate"}),
            "default",
            "azurerm://a/c/prod.tfstate",
        ),
        (
            "azurerm",
            json!({"storage_account_name": "a", "container_name": "c", "key": "prod.tfstate"}),
            "dev",
            "azurerm://a/c/prod.tfstateenv:dev",
        ),
        (
            "remote",
            json!({"organization": "acme", "workspaces": {"name": "web", "prefix": null}}),
            "default",
            "remote://app.terraform.io/acme/web",
        ),
        (
            "remote",
            json!({"hostname": "tfe.example.com", "organization": "acme",
                   "workspaces": [{"name": null, "prefix": "web-"}]}),
            "prod",
            "remote://tfe.example.com/acme/web-prod",
        ),
        (
            "cloud",
            json!({"organization": "acme", "workspaces": {"name": "web", "tags": null}}),
            "default",
            "remote://app.terraform.io/acme/web",
        ),
        (
            "cloud",
            json!({"organization": "acme", "workspaces": {"name": null, "tags": ["web"]}}),
            "web-prod",
            "remote://app.terraform.io/acme/web-prod",
        ),
    ];
    for (ty, config, ws, want) in cases {
        let target = resolve_backend(&pointer(ty, config.clone()), ws, &no_env)
            .unwrap_or_else(|e| panic!("{ty} {config} {ws}: {e}"));
        assert_eq!(target.display(), want, "{ty} {config} {ws}");
    }

    // cloud: organization and hostname from the environment
    let env = |k: &str| match k {
        "TF_CLOUD_ORGANIZATION" => Some("env-org".to_owned()),
        "TF_CLOUD_HOSTNAME" => Some("tfe.internal".to_owned()),
        _ => None,
    };
    let t = resolve_backend(
        &pointer("cloud", json!({"workspaces": {"tags": ["x"]}})),
        "a",
        &env,
    )
    .unwrap();
    assert_eq!(t.display(), "remote://tfe.internal/env-org/a");
    assert_eq!(t.feature(), Some("tfe"));
    // remote ignores TF_CLOUD_* (they are the cloud block's)
    assert!(
        resolve_backend(
            &pointer("remote", json!({"workspaces": {"name": "w"}})),
            "default",
            &env
        )
        .is_err()
    );
    // a token in the config is kept
    let BackendTarget::Tfe(w) = resolve_backend(
        &pointer(
            "remote",
            json!({"organization": "o", "token": "cfg-token", "workspaces": {"name": "w"}}),
        ),
        "default",
        &no_env,
    )
    .unwrap() else {
        panic!("not tfe")
    };
    assert_eq!(w.token.as_deref(), Some("cfg-token"));
}

#[test]
fn backend_config_errors() {
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "consul",
            json!({}),
            "default",
            "backend type consul is not supported",
        ),
        (
            "s3",
            json!({"key": "k"}),
            "default",
            "s3 backend config has no bucket",
        ),
        (
            "gcs",
            json!({"prefix": "p"}),
            "default",
            "gcs backend config has no bucket",
        ),
        (
            "gcs",
            json!({"bucket": "b", "encryption_key": "x"}),
            "default",
            "sets encryption_key",
        ),
        (
            "azurerm",
            json!({"storage_account_name": "a", "key": "k"}),
            "default",
            "has no container_name",
        ),
        (
            "remote",
            json!({"workspaces": {"name": "w"}}),
            "default",
            "has no organization",
        ),
        (
            "remote",
            json!({"organization": "o"}),
            "default",
            "has no workspaces block",
        ),
        (
            "remote",
            json!({"organization": "o", "workspaces": {"prefix": "web-"}}),
            "default",
            "select a workspace with TF_WORKSPACE",
        ),
        (
            "remote",
            json!({"organization": "o", "workspaces": {}}),
            "default",
            "neither workspaces.name nor workspaces.prefix",
        ),
        (
            "cloud",
            json!({"organization": "o", "workspaces": {"tags": ["a"]}}),
            "default",
            "selects workspaces by tags",
        ),
        (
            "s3",
            json!({"bucket": "b", "key": "k", "role_arn": "arn:a", "assume_role": {"role_arn": "arn:b"}}),
            "default",
            "sets both role_arn and an assume_role block",
        ),
        (
            "s3",
            json!({"bucket": "b", "key": "k", "assume_role": {"session_name": "x"}}),
            "default",
            "assume_role block without role_arn",
        ),
        (
            "s3",
            json!({"bucket": "b", "key": "k", "assume_role": {"role_arn": "arn:b", "duration": "soon"}}),
            "default",
            "assume_role.duration \"soon\" is not a duration",
        ),
        (
            "s3",
            json!({"bucket": "b", "key": "k", "assume_role": {"role_arn": "arn:b", "source_identity": "me"}}),
            "default",
            "assume_role.source_identity is not supported",
        ),
        (
            "s3",
            json!({"bucket": "b", "key": "k", "assume_role": {"role_arn": "arn:b", "policy_arns": "x"}}),
            "default",
            "policy_arns must be a list of strings",
        ),
    ];
    for (ty, config, ws, want) in cases {
        let err = resolve_backend(&pointer(ty, config.clone()), ws, &no_env).unwrap_err();
        assert!(err.to_string().contains(want), "{ty} {config}: {err}");
    }
}

#[test]
fn s3_access_from_backend_config() {
    let cases: Vec<(Value, S3Access)> = vec![
        (json!({}), S3Access::default()),
        (
            json!({"profile": "states", "region": "eu-west-1", "role_arn": null, "assume_role": null}),
            S3Access {
                profile: Some("states".into()),
                region: Some("eu-west-1".into()),
                ..S3Access::default()
            },
        ),
        // Terraform >= 1.6 block
        (
            json!({"assume_role": {
                "role_arn": "arn:aws:iam::123456789012:role/state-reader",
                "session_name": "ci", "external_id": "ext", "duration": "1h30m",
                "policy": "{}", "policy_arns": ["arn:p"], "tags": {"team": "web"},
                "source_identity": null, "transitive_tag_keys": []
            }}),
            S3Access {
                assume_role: Some(AssumeRole {
                    role_arn: "arn:aws:iam::123456789012:role/state-reader".into(),
                    session_name: Some("ci".into()),
                    external_id: Some("ext".into()),
                    duration: Some(Duration::from_secs(5400)),
                    policy: Some("{}".into()),
                    policy_arns: vec!["arn:p".into()],
                    tags: vec![("team".into(), "web".into())],
                }),
                ..S3Access::default()
            },
        ),
        // the block as a one-element list (older pointer files)
        (
            json!({"assume_role": [{"role_arn": "arn:r"}]}),
            S3Access {
                assume_role: Some(AssumeRole {
                    role_arn: "arn:r".into(),
                    ..AssumeRole::default()
                }),
                ..S3Access::default()
            },
        ),
        // legacy top-level settings
        (
            json!({"role_arn": "arn:legacy", "session_name": "s", "external_id": "e",
                   "assume_role_duration_seconds": 900, "assume_role_policy_arns": ["arn:p1"],
                   "assume_role_tags": {"k": "v"}}),
            S3Access {
                assume_role: Some(AssumeRole {
                    role_arn: "arn:legacy".into(),
                    session_name: Some("s".into()),
                    external_id: Some("e".into()),
                    duration: Some(Duration::from_secs(900)),
                    policy: None,
                    policy_arns: vec!["arn:p1".into()],
                    tags: vec![("k".into(), "v".into())],
                }),
                ..S3Access::default()
            },
        ),
    ];
    let extra: Vec<(Value, S3Access)> = vec![
        // keys, endpoints and path style written in the config (Terraform >= 1.6 names)
        (
            json!({"access_key": "AKID", "secret_key": "S", "token": "T",
                   "endpoints": {"s3": "http://minio:9000", "sts": "http://sts:1"},
                   "use_path_style": true}),
            S3Access {
                static_credentials: Some(StaticCredentials {
                    access_key_id: "AKID".into(),
                    secret_access_key: "S".into(),
                    session_token: Some("T".into()),
                }),
                endpoint: Some("http://minio:9000".into()),
                sts_endpoint: Some("http://sts:1".into()),
                path_style: true,
                ..S3Access::default()
            },
        ),
        // legacy names
        (
            json!({"endpoint": "http://minio:9000", "sts_endpoint": "http://sts:1",
                   "force_path_style": true, "endpoints": null}),
            S3Access {
                endpoint: Some("http://minio:9000".into()),
                sts_endpoint: Some("http://sts:1".into()),
                path_style: true,
                ..S3Access::default()
            },
        ),
        // only the region: the run's client (with bucket-region detection) still fits
        (
            json!({"region": "eu-west-1", "use_path_style": false, "access_key": null}),
            S3Access {
                region: Some("eu-west-1".into()),
                ..S3Access::default()
            },
        ),
    ];
    for (config, want) in cases.into_iter().chain(extra) {
        let got = s3_access(config.as_object().unwrap()).unwrap();
        assert_eq!(got, want, "{config}");
        let default = want.profile.is_none()
            && want.assume_role.is_none()
            && want.static_credentials.is_none()
            && want.endpoint.is_none()
            && !want.path_style;
        assert_eq!(got.is_default(), default, "{config}");
    }
    for (config, want) in [
        (
            json!({"access_key": "AKID"}),
            "only one of access_key and secret_key",
        ),
        (
            json!({"sse_customer_key": "a2V5"}),
            "sse_customer_key (SSE-C)",
        ),
    ] {
        let err = s3_access(config.as_object().unwrap()).unwrap_err();
        assert!(err.to_string().contains(want), "{config}: {err}");
    }
    // Keys never reach Debug output.
    let creds = StaticCredentials {
        access_key_id: "AKID".into(),
        secret_access_key: "very-secret".into(),
        session_token: None,
    };
    assert!(!format!("{creds:?}").contains("very-secret"));
}

#[test]
fn go_durations() {
    let cases = [
        ("1h", Some(3600)),
        ("15m", Some(900)),
        ("1h30m", Some(5400)),
        ("900s", Some(900)),
        ("2h0m0s", Some(7200)),
        ("", None),
        ("15", None),
        ("1d", None),
        ("m", None),
        ("1.5h", None),
    ];
    for (text, want) in cases {
        assert_eq!(
            parse_go_duration(text),
            want.map(Duration::from_secs),
            "{text}"
        );
    }
}

#[test]
fn workspace_object_names() {
    assert_eq!(
        gcs_object_name(Some("a/b"), "default"),
        "a/b/default.tfstate"
    );
    assert_eq!(gcs_object_name(Some("a/b//"), "x"), "a/b/x.tfstate");
    assert_eq!(gcs_object_name(Some(""), "x"), "x.tfstate");
    assert_eq!(gcs_object_name(None, "default"), "default.tfstate");
    assert_eq!(azure_blob_name("k.tfstate", "default"), "k.tfstate");
    assert_eq!(azure_blob_name("k.tfstate", "dev"), "k.tfstateenv:dev");
}

#[test]
fn terraform_token_variables_and_credentials_file() {
    let cases = [
        ("app.terraform.io", "TF_TOKEN_app_terraform_io"),
        ("tfe.my-corp.example", "TF_TOKEN_tfe_my__corp_example"),
        ("127.0.0.1:8080", "TF_TOKEN_127_0_0_1"),
    ];
    for (host, want) in cases {
        assert_eq!(tfe_token_env_name(host), want, "{host}");
    }

    let file = r#"{"credentials": {"app.terraform.io": {"token": "abc.atlasv1.xyz"},
                                   "empty.example": {"token": ""}}}"#;
    assert_eq!(
        credentials_file_token(file, "app.terraform.io")
            .unwrap()
            .as_deref(),
        Some("abc.atlasv1.xyz")
    );
    assert_eq!(credentials_file_token(file, "other.example").unwrap(), None);
    assert_eq!(credentials_file_token(file, "empty.example").unwrap(), None);
    assert_eq!(credentials_file_token("{}", "x").unwrap(), None);
    assert!(
        credentials_file_token("{", "x")
            .unwrap_err()
            .contains("invalid JSON")
    );
}

#[test]
fn jsonapi_errors() {
    let cases: [(&[u8], Vec<&str>); 5] = [
        (
            br#"{"errors":[{"status":"404","title":"not found"}]}"#,
            vec!["not found"],
        ),
        (
            br#"{"errors":[{"title":"unauthorized","detail":"token invalid"},{"detail":"x"}]}"#,
            vec!["unauthorized: token invalid", "x"],
        ),
        (br#"{"errors":["plain"]}"#, vec!["plain"]),
        (b"<html>", vec![]),
        (br#"{"data":{}}"#, vec![]),
    ];
    for (body, want) in cases {
        assert_eq!(
            jsonapi_error_messages(body),
            want,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

/// The Azure docs' "Authorize with Shared Key" example request (GET container metadata, version
/// 2009-09-19, with an Azurite-style account-in-path URL); the signature was computed
/// independently with Python's hmac over the same string and Azurite's well-known
/// devstoreaccount1 key.
#[test]
fn azure_shared_key_vector() {
    let query = [
        ("restype".to_owned(), "container".to_owned()),
        ("comp".to_owned(), "metadata".to_owned()),
        ("timeout".to_owned(), "20".to_owned()),
    ];
    let headers = [
        ("x-ms-version".to_owned(), "2009-09-19".to_owned()),
        (
            "X-Ms-Date".to_owned(),
            "Sun, 11 Oct 2009 21:49:13 GMT".to_owned(),
        ),
    ];
    let sts = azure_string_to_sign(
        "GET",
        "myaccount",
        "/myaccount/mycontainer",
        &query,
        &headers,
    );
    assert_eq!(
        sts,
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n\
         /myaccount/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20"
    );
    let key =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    assert_eq!(
        azure_shared_key_signature(key, &sts).unwrap(),
        "Su5rvibNeMxB7A4I87rOtEgCDtdICsL8v5H+yJs0W+M="
    );
    // repeated query names join their values
    let sts = azure_string_to_sign(
        "GET",
        "a",
        "/c/b",
        &[("B".into(), "2".into()), ("b".into(), "1".into())],
        &[],
    );
    assert!(sts.ends_with("/a/c/b\nb:1,2"), "{sts}");
    assert!(azure_shared_key_signature("not base64!", "x").is_err());
}

#[test]
fn google_credentials_files() {
    let sa = r#"{"type": "service_account", "project_id": "p", "private_key_id": "kid1",
        "private_key": "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n",
        "client_email": "reader@p.iam.gserviceaccount.com"}"#;
    assert_eq!(
        parse_google_credentials(sa).unwrap(),
        GoogleCredentials::ServiceAccount {
            client_email: "reader@p.iam.gserviceaccount.com".into(),
            private_key: "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n".into(),
            private_key_id: Some("kid1".into()),
            token_uri: GOOGLE_TOKEN_URI.into(),
        }
    );
    let user = r#"{"type": "authorized_user", "client_id": "c", "client_secret": "s",
        "refresh_token": "r", "token_uri": "http://127.0.0.1:1/token"}"#;
    assert_eq!(
        parse_google_credentials(user).unwrap(),
        GoogleCredentials::AuthorizedUser {
            client_id: "c".into(),
            client_secret: "s".into(),
            refresh_token: "r".into(),
            token_uri: "http://127.0.0.1:1/token".into(),
        }
    );
    let cases = [
        ("{", "invalid JSON"),
        ("[]", "not a JSON object"),
        (r#"{"client_email": "x"}"#, "has no type"),
        (
            r#"{"type": "external_account"}"#,
            "external_account are not supported",
        ),
        (
            r#"{"type": "service_account", "client_email": "x"}"#,
            "has no private_key",
        ),
        (
            r#"{"type": "authorized_user", "client_id": "c"}"#,
            "has no client_secret",
        ),
    ];
    for (text, want) in cases {
        let err = parse_google_credentials(text).unwrap_err();
        assert!(err.contains(want), "{text}: {err}");
    }

    assert_eq!(
        pkcs8_pem_to_der("-----BEGIN PRIVATE KEY-----\nAAEC\nAw==\n-----END PRIVATE KEY-----\n")
            .unwrap(),
        vec![0, 1, 2, 3]
    );
    assert!(pkcs8_pem_to_der("-----BEGIN RSA PRIVATE KEY-----\nAAEC\n").is_err());
    assert!(pkcs8_pem_to_der("-----BEGIN PRIVATE KEY-----\nAAEC\n").is_err());
}

#[test]
fn google_jwt_claims() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input =
        google_jwt_signing_input("sa@p.iam", Some("kid1"), "https://t/token", 1_700_000_000);
    let (header, claims) = input.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(header, json!({"alg": "RS256", "typ": "JWT", "kid": "kid1"}));
    assert_eq!(
        claims,
        json!({"iss": "sa@p.iam", "scope": GCS_READ_SCOPE, "aud": "https://t/token",
               "iat": 1_700_000_000u64, "exp": 1_700_003_600u64})
    );
    let input = google_jwt_signing_input("sa@p.iam", None, "https://t/token", 0);
    let header = input.split('.').next().unwrap();
    assert!(
        !String::from_utf8(URL_SAFE_NO_PAD.decode(header).unwrap())
            .unwrap()
            .contains("kid")
    );
}

#[test]
fn debug_output_hides_secrets() {
    let config = json!({
        "storage_account_name": "a", "container_name": "c", "key": "k",
        "access_key": "azure-secret", "sas_token": "sig=sas-secret"
    });
    let azure = resolve_backend(&pointer("azurerm", config), "default", &no_env).unwrap();
    let tfe = resolve_backend(
        &pointer(
            "remote",
            json!({"organization": "o", "token": "tfe-secret", "workspaces": {"name": "w"}}),
        ),
        "default",
        &no_env,
    )
    .unwrap();
    let gcs = resolve_backend(
        &pointer(
            "gcs",
            json!({"bucket": "b", "access_token": "gcs-secret", "credentials": "{\"sa-json\": 1}"}),
        ),
        "default",
        &no_env,
    )
    .unwrap();
    let shown = format!("{azure:?} {tfe:?} {gcs:?}");
    for secret in [
        "azure-secret",
        "sas-secret",
        "tfe-secret",
        "gcs-secret",
        "sa-json",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("access_key: Some(\"***\")"), "{shown}");
    assert!(shown.contains("account: \"a\""), "{shown}");
}
