//! `ecspress tfstate list|lookup` over local files, file://, http(s) and S3 (moto).

use crate::support::{bin, code, moto, repo, run, serve_static, stderr, stdout};

fn hello_state() -> std::path::PathBuf {
    repo().join("examples/hello/terraform.tfstate")
}

#[test]
fn list_prints_every_instance_address() {
    let o = run(bin()
        .args(["tfstate", "list", "--state"])
        .arg(hello_state()));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    for want in [
        "output.private_subnet_ids",
        "data.aws_caller_identity.current",
        "aws_iam_role.execution",
        "aws_subnet.private[0]",
        "aws_subnet.private[1]",
        "aws_lb_target_group.app[\"blue\"]",
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "missing {want} in {lines:?}"
        );
    }
    assert!(
        !lines.iter().any(|l| l == "aws_subnet.private"),
        "parent keys are not listed"
    );
}

#[test]
fn lookup_strings_raw_and_others_compact_json() {
    for (addr, want) in [
        (
            "aws_iam_role.execution.arn",
            "arn:aws:iam::123456789012:role/hello-execution",
        ),
        (
            "output.private_subnet_ids",
            r#"["subnet-0a1b2c3d4e5f60001","subnet-0a1b2c3d4e5f60002"]"#,
        ),
        ("output.private_subnet_ids[-1]", "subnet-0a1b2c3d4e5f60002"),
        ("aws_cloudwatch_log_group.app.retention_in_days", "30"),
        ("aws_lb_target_group.app['green'].name", "hello-green"),
        ("aws_subnet.private[1].cidr_block", "10.0.2.0/24"),
    ] {
        let o = run(bin()
            .args(["tfstate", "lookup", "--state"])
            .arg(hello_state())
            .arg(addr));
        assert_eq!(code(&o), 0, "{addr}: {}", stderr(&o));
        assert_eq!(stdout(&o).trim_end(), want, "{addr}");
    }
}

#[test]
fn lookup_miss_exits_1_with_hint() {
    let o = run(bin()
        .args(["tfstate", "lookup", "--state"])
        .arg(hello_state())
        .arg("aws_iam_role.executio.arn"));
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(
        err.contains("aws_iam_role.executio.arn is not found"),
        "{err}"
    );
    assert!(
        err.contains("aws_iam_role.execution"),
        "hint names the closest address: {err}"
    );
}

#[test]
fn lookup_uses_the_config_plugin_when_state_is_omitted() {
    let o = run(bin().current_dir(repo().join("examples/hello")).args([
        "tfstate",
        "lookup",
        "output.cluster_name",
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "hello");
}

#[test]
fn file_url_and_json_output() {
    let url = format!("file://{}", hello_state().display());
    let o = run(bin().args([
        "--output",
        "json",
        "tfstate",
        "lookup",
        "--state",
        &url,
        "aws_security_group.app.id",
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "a record, then the closing verdict: {out}");
    let verdict: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(verdict["type"], "verdict");
    let rec: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(rec["type"], "tfstate_value");
    assert_eq!(rec["data"]["value"], "sg-0123456789abcdef0");
    assert!(rec["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn http_state_and_404() {
    let body = std::fs::read(hello_state()).unwrap();
    let base = serve_static(vec![("/state.json", 200, body)]);
    let o = run(bin().args([
        "tfstate",
        "lookup",
        "--state",
        &format!("{base}/state.json"),
        "output.cluster_name",
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "hello");

    let o = run(bin().args([
        "tfstate",
        "list",
        "--state",
        &format!("{base}/missing.json"),
    ]));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("404"), "{err}");
    assert!(err.contains("/missing.json"), "names the URL: {err}");
}

#[test]
fn unsupported_state_version_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("old.tfstate");
    std::fs::write(&p, r#"{"version": 3, "modules": []}"#).unwrap();
    let o = run(bin().args(["tfstate", "list", "--state"]).arg(&p));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unsupported state version 3"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_state_and_backend_pointer_with_workspace() {
    let cfg = moto::sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("tfstate-it")
        .send()
        .await
        .unwrap();
    let body = std::fs::read(hello_state()).unwrap();
    s3.put_object()
        .bucket("tfstate-it")
        .key("app/terraform.tfstate")
        .body(body.clone().into())
        .send()
        .await
        .unwrap();
    // Workspace "staging": same state with another cluster name.
    let staging = String::from_utf8(body)
        .unwrap()
        .replace("\"value\": \"hello\"", "\"value\": \"hello-staging\"");
    s3.put_object()
        .bucket("tfstate-it")
        .key("env:/staging/app/terraform.tfstate")
        .body(staging.into_bytes().into())
        .send()
        .await
        .unwrap();

    let o = run(bin().env("AWS_ENDPOINT_URL", moto::endpoint()).args([
        "tfstate",
        "lookup",
        "--state",
        "s3://tfstate-it/app/terraform.tfstate",
        "output.cluster_name",
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "hello");

    let o = run(bin().env("AWS_ENDPOINT_URL", moto::endpoint()).args([
        "tfstate",
        "list",
        "--state",
        "s3://tfstate-it/app/nope.tfstate",
    ]));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("NoSuchKey"), "{}", stderr(&o));

    // A `terraform init`-style backend pointer.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".terraform")).unwrap();
    let pointer = serde_json::json!({
        "version": 3, "serial": 1, "lineage": "x",
        "backend": {"type": "s3", "config": {"bucket": "tfstate-it", "key": "app/terraform.tfstate", "region": "us-east-1"}, "hash": 1}
    });
    std::fs::write(
        dir.path().join(".terraform/terraform.tfstate"),
        pointer.to_string(),
    )
    .unwrap();
    let lookup = |ws: Option<&str>| {
        let mut cmd = bin();
        cmd.env("AWS_ENDPOINT_URL_S3", moto::endpoint())
            .current_dir(dir.path())
            .args([
                "tfstate",
                "lookup",
                "--state",
                ".terraform/terraform.tfstate",
                "output.cluster_name",
            ]);
        if let Some(ws) = ws {
            cmd.env("TF_WORKSPACE", ws);
        }
        run(&mut cmd)
    };
    let o = lookup(None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "hello");
    let o = lookup(Some("staging"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim_end(), "hello-staging");
    // Workspace from .terraform/environment (terraform workspace select).
    std::fs::write(dir.path().join(".terraform/environment"), "staging").unwrap();
    let o = lookup(None);
    assert_eq!(stdout(&o).trim_end(), "hello-staging", "{}", stderr(&o));
}
