//! `ecspress render` end to end: the bundled example, every file format, template functions
//! backed by moto (SSM, Secrets Manager, S3 tfstate), and template errors with file:line.

use std::path::Path;

use crate::support::{bin, code, moto, repo, run, stderr, stdout};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn hello_example_renders() {
    let o = run(bin().current_dir(repo().join("examples/hello")).args([
        "render",
        "servicedef",
        "taskdef",
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("render_hello", stdout(&o));
}

#[test]
fn render_json_lines() {
    let o = run(bin()
        .args(["--output", "json", "--config"])
        .arg(repo().join("examples/hello/ecspress.yml"))
        .arg("render"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let (rendered, last) = out.trim_end().rsplit_once('\n').expect("several lines");
    let last: serde_json::Value = serde_json::from_str(last).expect("JSON");
    assert_eq!(last["type"], "verdict", "the closing verdict");
    assert_eq!(last["data"]["exit_code"], 0);
    let kinds: Vec<String> = rendered
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
            assert_eq!(v["type"], "rendered");
            v["data"]["kind"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(kinds, ["config", "servicedef", "taskdef"]);
}

/// A project (`<tmp>/project`) with the task definition in `taskdef_name`, whose tfstate
/// plugin reads `../state/terraform.tfstate` (a path outside the config's directory).
struct Project {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
}

impl Project {
    fn path(&self) -> &Path {
        &self.dir
    }
}

fn project(taskdef_name: &str, taskdef: &str) -> Project {
    // Both directories live inside this test's own temp dir: a shared `../state` next to
    // the temp dir was rewritten by concurrent tests while others read it (a flaky exit 2).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&state).unwrap();
    write(
        &dir,
        "ecspress.yml",
        &format!(
            "cluster: c\ntask_definition: {taskdef_name}\nplugins:\n  - name: tfstate\n    config:\n      path: ../state/terraform.tfstate\n"
        ),
    );
    write(&dir, taskdef_name, taskdef);
    std::fs::copy(
        repo().join("examples/hello/terraform.tfstate"),
        state.join("terraform.tfstate"),
    )
    .unwrap();
    Project { _tmp: tmp, dir }
}

#[test]
fn json_jsonc_and_yaml_definitions_render_alike() {
    let json = r#"{"family": "f", "containerDefinitions": [{"name": "app", "image": "x:{{ env(name="TAG", default="1") }}", "cpu": 0}]}"#;
    let jsonc = "{\n  // line comment\n  \"family\": \"f\", /* block */\n  \"containerDefinitions\": [{\"name\": \"app\", \"image\": \"x:{{ env(name=\"TAG\", default=\"1\") }}\", \"cpu\": 0}]\n}\n";
    let yaml = "family: f\ncontainerDefinitions:\n  - name: app\n    image: 'x:{{ env(name=\"TAG\", default=\"1\") }}'\n    cpu: 0\n";
    let wrapped = format!("{{\"taskDefinition\": {json}}}");
    let mut outs = vec![];
    for (name, text) in [
        ("td.json", json),
        ("td.jsonc", jsonc),
        ("td.yaml", yaml),
        ("td-wrapped.json", wrapped.as_str()),
    ] {
        let p = project(name, text);
        let o = run(bin()
            .current_dir(p.path())
            .args(["render", "taskdef"])
            .env("TAG", "7"));
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        outs.push((name, stdout(&o)));
    }
    for (name, out) in &outs[1..] {
        assert_eq!(out, &outs[0].1, "{name} renders like td.json");
    }
    assert!(outs[0].1.contains("\"image\": \"x:7\""));
}

#[test]
fn must_env_missing_names_variable_file_and_line() {
    let p = project(
        "td.json",
        "{\n  \"family\": \"f\",\n  \"x\": \"{{ must_env(name=\"NOPE_VAR\") }}\"\n}\n",
    );
    let o = run(bin().current_dir(p.path()).args(["render", "taskdef"]));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("NOPE_VAR"), "{err}");
    assert!(err.contains("td.json:3"), "file:line in {err}");
}

#[test]
fn tfstate_miss_names_address_file_line_and_hint() {
    let p = project(
        "td.json",
        "{\n  \"family\": \"f\",\n\n  \"executionRoleArn\": \"{{ tfstate(addr=\"aws_iam_role.executon.arn\") }}\"\n}\n",
    );
    let o = run(bin().current_dir(p.path()).args(["render", "taskdef"]));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("aws_iam_role.executon.arn"), "{err}");
    assert!(err.contains("td.json:4"), "file:line in {err}");
    assert!(err.contains("aws_iam_role.execution"), "hint in {err}");
    assert_eq!(stdout(&o), "", "nothing rendered on error");
}

#[test]
fn non_string_tfstate_values_render_as_json() {
    let p = project(
        "td.json",
        r#"{"family": "f", "subnets": {{ tfstate(addr="output.private_subnet_ids") }}, "n": {{ tfstate(addr="aws_cloudwatch_log_group.app.retention_in_days") }}, "first": "{{ tfstatef(fmt="aws_subnet.private[%d].id", args=[1]) }}"}"#,
    );
    let o = run(bin().current_dir(p.path()).args(["render", "taskdef"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["subnets"][1], "subnet-0a1b2c3d4e5f60002");
    assert_eq!(v["n"], 30);
    assert_eq!(v["first"], "subnet-0a1b2c3d4e5f60002");
}

#[test]
fn prefixed_plugins_read_separate_states() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("examples/hello/terraform.tfstate"),
        dir.path().join("app.tfstate"),
    )
    .unwrap();
    write(
        dir.path(),
        "net.tfstate",
        r#"{"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "n", "outputs": {"vpc_id": {"value": "vpc-net", "type": "string"}}, "resources": []}"#,
    );
    write(
        dir.path(),
        "ecspress.yml",
        "task_definition: td.json\nplugins:\n  - name: tfstate\n    config: {path: app.tfstate}\n  - name: tfstate\n    func_prefix: network_\n    config: {path: net.tfstate}\n",
    );
    write(
        dir.path(),
        "td.json",
        r#"{"family": "{{ tfstate(addr="output.cluster_name") }}", "vpc": "{{ network_tfstate(addr="output.vpc_id") }}"}"#,
    );
    let o = run(bin().current_dir(dir.path()).args(["render", "taskdef"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["family"], "hello");
    assert_eq!(v["vpc"], "vpc-net");
}

#[tokio::test(flavor = "multi_thread")]
async fn ssm_secretsmanager_and_s3_plugin_via_moto() {
    use aws_sdk_ssm::types::ParameterType;
    moto::put_parameters(&[
        ("/render-it/db/host", "db.internal", ParameterType::String),
        (
            "/render-it/db/password",
            "s3cr3t\"quoted",
            ParameterType::SecureString,
        ),
        ("/render-it/zones", "a,b,c", ParameterType::StringList),
    ])
    .await;
    let secret_arn = moto::secret_arn("render-it/db", "pw").await;
    let cfg = moto::sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cfg)
            .force_path_style(true)
            .build(),
    );
    let _ = s3.create_bucket().bucket("render-it").send().await;
    s3.put_object()
        .bucket("render-it")
        .key("hello.tfstate")
        .body(
            std::fs::read(repo().join("examples/hello/terraform.tfstate"))
                .unwrap()
                .into(),
        )
        .send()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ecspress.yml",
        "region: us-east-1\ntask_definition: td.json\nplugins:\n  - name: tfstate\n    config:\n      url: s3://render-it/hello.tfstate\n",
    );
    write(
        dir.path(),
        "td.json",
        r#"{
  "family": "{{ tfstate(addr="output.cluster_name") }}",
  "host": "{{ ssm(name="/render-it/db/host") }}",
  "again": "{{ ssm(name="/render-it/db/host") }}",
  "password": "{{ ssm(name="/render-it/db/password") | json_escape }}",
  "zone": "{{ ssm(name="/render-it/zones", index=1) }}",
  "secret": "{{ secretsmanager_arn(id="render-it/db") }}"
}
"#,
    );
    let o = run(bin()
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        // SecureString values are masked in output unless --show-secrets (secrets_cli.rs).
        .args(["--show-secrets", "render", "taskdef"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["family"], "hello");
    assert_eq!(v["host"], "db.internal");
    assert_eq!(
        v["password"], "s3cr3t\"quoted",
        "SecureString is decrypted and escaped"
    );
    assert_eq!(v["zone"], "b");
    assert_eq!(v["secret"], secret_arn.as_str());

    // A missing parameter: AWS error code, and where in which file.
    write(
        dir.path(),
        "td.json",
        "{\n  \"host\": \"{{ ssm(name=\"/render-it/missing\") }}\"\n}\n",
    );
    let o = run(bin()
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        .args(["render", "taskdef"]));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("ParameterNotFound"), "{err}");
    assert!(err.contains("td.json:2"), "{err}");
}
