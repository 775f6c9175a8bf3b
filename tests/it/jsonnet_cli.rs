//! Jsonnet configs and definitions end to end: imports, `--ext-str`/`--ext-code`, every native
//! function (SSM and Secrets Manager against moto), tera templates inside Jsonnet strings, and
//! located errors.

use std::net::TcpListener;
use std::path::Path;

use crate::support::{bin, code, moto, repo, run, stderr, stdout};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const CONFIG: &str = r#"// ecspress.jsonnet
local env = std.native('env');
{
  region: 'us-east-1',
  cluster: std.native('tfstate')('output.cluster_name') + '-' + std.extVar('stage'),
  service: 'hello',
  task_definition: 'defs/ecs-task-def.jsonnet',
  plugins: [
    { name: 'tfstate', config: { path: env('STATE_FILE', 'missing.tfstate') } },
    { name: 'tfstate', func_prefix: 'vpc_', config: { path: 'net.tfstate' } },
  ],
}
"#;

const TASK_DEF: &str = r#"local common = import 'lib/common.libsonnet';
local tfstate = std.native('tfstate');
local ssm = std.native('ssm');
common {
  family: 'hello-' + std.extVar('stage'),
  cpu: std.toString(std.extVar('size').cpu),
  subnets: [s.id for s in tfstate('aws_subnet.private')],
  retention: tfstate('aws_cloudwatch_log_group.app.retention_in_days'),
  vpc: std.native('vpc_tfstate')('output.vpc_id'),
  host: ssm('/jsonnet-it/db/host'),
  zone: std.native('ssm_list')('/jsonnet-it/zones', 2),
  secret: std.native('secretsmanager_arn')('jsonnet-it/db'),
  tag: std.native('must_env')('IMAGE_TAG'),
  home: std.native('env')('JSONNET_IT_UNSET', 'default'),
  templated: "{{ ssm(name='/jsonnet-it/db/host') }}:{{ env(name='IMAGE_TAG') }}",
}
"#;

fn project() -> tempfile::TempDir {
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
    write(dir.path(), "ecspress.jsonnet", CONFIG);
    write(
        dir.path(),
        "defs/lib/common.libsonnet",
        "{ memory: '512', networkMode: 'awsvpc' }\n",
    );
    write(dir.path(), "defs/ecs-task-def.jsonnet", TASK_DEF);
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonnet_config_and_task_definition_render_with_every_native_function() {
    use aws_sdk_ssm::types::ParameterType;
    moto::put_parameters(&[
        ("/jsonnet-it/db/host", "db.internal", ParameterType::String),
        ("/jsonnet-it/zones", "a,b,c", ParameterType::StringList),
    ])
    .await;
    let secret_arn = moto::secret_arn("jsonnet-it/db", "pw").await;

    let dir = project();
    let o = run(bin()
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        .env("STATE_FILE", "app.tfstate")
        .env("IMAGE_TAG", "v42")
        .args(["--ext-str", "stage=prod", "--ext-code"])
        .arg("size={ cpu: 256 }")
        .args(["render", "config", "taskdef"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    // `render config taskdef` prints two JSON documents.
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(docs.len(), 2, "{out}");
    assert_eq!(docs[0]["cluster"], "hello-prod", "config from Jsonnet");
    assert_eq!(
        docs[1],
        serde_json::json!({
            "family": "hello-prod",
            "cpu": "256",
            "memory": "512",
            "networkMode": "awsvpc",
            "subnets": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
            "retention": 30,
            "vpc": "vpc-net",
            "host": "db.internal",
            "zone": "c",
            "secret": secret_arn,
            "tag": "v42",
            "home": "default",
            "templated": "db.internal:v42",
        })
    );

    // A native function failing: the function, its argument and where.
    write(
        dir.path(),
        "defs/ecs-task-def.jsonnet",
        "{\n  family: 'x',\n  host: std.native('ssm')('/jsonnet-it/missing'),\n}\n",
    );
    let o = run(bin()
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        .env("STATE_FILE", "app.tfstate")
        .args(["--ext-str", "stage=prod", "render", "taskdef"]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("defs/ecs-task-def.jsonnet:3:9"),
        "file:line:col in {err}"
    );
    assert!(err.contains("ssm('/jsonnet-it/missing')"), "{err}");
    assert!(err.contains("ParameterNotFound"), "{err}");
}

#[test]
fn jsonnet_syntax_error_is_located_and_calls_no_aws() {
    // Anything listening here would be an AWS call: none may reach it.
    let endpoint = TcpListener::bind("127.0.0.1:0").unwrap();
    endpoint.set_nonblocking(true).unwrap();
    let dir = project();
    write(
        dir.path(),
        "defs/ecs-task-def.jsonnet",
        "{\n  host: std.native('ssm')('/x'),\n  family: 'x',,\n}\n",
    );
    let o = run(bin()
        .current_dir(dir.path())
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://{}", endpoint.local_addr().unwrap()),
        )
        .env("STATE_FILE", "app.tfstate")
        .args(["--ext-str", "stage=dev", "render", "taskdef"]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("defs/ecs-task-def.jsonnet:3:15: Jsonnet syntax error"),
        "{err}"
    );
    assert_eq!(stdout(&o), "", "nothing rendered");
    assert!(
        matches!(endpoint.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "no AWS request was made"
    );
}

#[test]
fn missing_ext_var_and_bad_flag() {
    let dir = project();
    let o = run(bin()
        .current_dir(dir.path())
        .env("STATE_FILE", "app.tfstate")
        .args(["render", "config"]));
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    // jrsonnet keeps no position for `std.extVar(..)`: the call naming the variable is
    // located in the file, and the field is named.
    assert!(
        err.contains(
            "ecspress.jsonnet:5:65: external variable is not defined: stage (in field cluster)"
        ),
        "{err}"
    );

    let o = run(bin()
        .current_dir(dir.path())
        .args(["--ext-str", "nonsense", "render", "config"]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("expected NAME=VALUE"), "{}", stderr(&o));
}

/// An ecspresso Jsonnet project: config, a definition that imports a library, Go template
/// calls (backtick strings: the only ones that survive ecspresso's JSON text) inside `"..."`
/// and `'...'` strings.
fn ecspresso_jsonnet_project(plugin_path: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let proj = dir.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::copy(
        repo().join("examples/hello/terraform.tfstate"),
        proj.join("terraform.tfstate"),
    )
    .unwrap();
    write(
        &proj,
        "ecspresso.jsonnet",
        &format!(
            "local env = std.native('env');\n{{\n  region: 'us-east-1',\n  cluster: 'c',\n{extra}  task_definition: 'ecs-task-def.jsonnet',\n  plugins: [{{ name: 'tfstate', config: {{ path: {plugin_path} }} }}],\n}}\n"
        ),
    );
    write(
        &proj,
        "ecs-task-def.jsonnet",
        "local common = import 'lib/common.libsonnet';\nlocal tfstate = std.native('tfstate');\ncommon {\n  family: \"{{ must_env `FAMILY` }}\",\n  subnets: [s.id for s in tfstate('aws_subnet.private')],\n  containerDefinitions: [{ name: 'app', image: 'nginx:{{ env `IMAGE_TAG` `latest` }}' }],\n}\n",
    );
    write(
        &proj,
        "lib/common.libsonnet",
        "{ cpu: \"{{ env `CPU` `256` }}\" }\n",
    );
    dir
}

#[test]
fn migrate_ecspresso_jsonnet_project_then_render() {
    let dir = ecspresso_jsonnet_project("std.native('must_env')('STATE')", "");
    let proj = dir.path().join("proj");
    let state = proj.join("terraform.tfstate");
    let o = run(bin().current_dir(&proj).env("STATE", &state).args([
        "migrate",
        "--from",
        "ecspresso.jsonnet",
    ]));
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = proj.join("ecspress");
    let task = std::fs::read_to_string(out.join("ecs-task-def.jsonnet")).unwrap();
    assert!(
        task.contains("family: \"{{ must_env(name='FAMILY') }}\""),
        "{task}"
    );
    assert!(
        task.contains("image: 'nginx:{{ env(name=`IMAGE_TAG`, default=`latest`) }}'"),
        "{task}"
    );
    let lib = std::fs::read_to_string(out.join("lib/common.libsonnet")).unwrap();
    assert_eq!(lib, "{ cpu: \"{{ env(name='CPU', default='256') }}\" }\n");
    let config = std::fs::read_to_string(out.join("ecspress.jsonnet")).unwrap();
    assert!(
        config.contains("std.native('must_env')('STATE')"),
        "{config}"
    );

    let o = run(bin()
        .current_dir(&proj)
        .env("STATE", &state)
        .env("FAMILY", "fam")
        .args(["--config", "ecspress/ecspress.jsonnet", "render", "taskdef"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "cpu": "256",
            "family": "fam",
            "subnets": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
            "containerDefinitions": [{"name": "app", "image": "nginx:latest"}],
        })
    );
}

#[test]
fn migrate_jsonnet_config_reports_what_to_edit() {
    let dir = ecspresso_jsonnet_project("'terraform.tfstate'", "  required_version: '>= 2',\n");
    let proj = dir.path().join("proj");
    let o = run(bin()
        .current_dir(&proj)
        .args(["migrate", "--from", "ecspresso.jsonnet"]));
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        all.contains("write '../terraform.tfstate' here"),
        "the rebased tfstate path: {all}"
    );
    assert!(all.contains("required_version"), "{all}");
    assert!(proj.join("ecspress/ecspress.jsonnet").is_file());
}
