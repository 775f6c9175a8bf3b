//! `ecspress migrate` end to end: an ecspresso project that uses every construct the converter
//! handles (tests/fixtures/ecspresso), migrated, then rendered by `ecspress render` against moto
//! (SSM, Secrets Manager). The expected renderings (`expected-*.json`) are what ecspresso
//! renders for the same inputs by its documented semantics (reference ecspresso.md §3.2: `env`
//! with an empty value → the default, `must_env` accepts an empty value, `json_escape`,
//! single-quoted tfstate keys, non-string tfstate values as JSON, StringList index from 0).

use std::path::Path;
use std::process::Output;

use crate::support::{bin, code, moto, repo, run, stderr, stdout};

/// The fixture copied into a temp dir, with the hello state as both tfstate plugins' files.
fn fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(proj.join("network")).expect("mkdir");
    for entry in std::fs::read_dir(repo().join("tests/fixtures/ecspresso")).expect("fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), proj.join(entry.file_name())).expect("copy");
    }
    let state = repo().join("examples/hello/terraform.tfstate");
    std::fs::copy(&state, proj.join("terraform.tfstate")).expect("copy");
    std::fs::copy(&state, proj.join("network/terraform.tfstate")).expect("copy");
    tmp
}

fn ecspress(dir: &Path, args: &[&str]) -> Output {
    run(bin()
        .current_dir(dir)
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("FAMILY", "migrated")
        .env("IMAGE_TAG", "")
        .env("GREETING", "say \"hi\"")
        .env("EMPTY_VAR", "")
        .env_remove("MIGRATE_IT_NOT_SET")
        .args(args))
}

/// SSM parameters and the secret the fixture reads; returns the secret's ARN.
async fn aws_values() -> String {
    use aws_sdk_ssm::types::ParameterType;
    moto::put_parameters(&[
        ("/migrate-it/db/host", "db.internal", ParameterType::String),
        ("/migrate-it/zones", "a,b,c", ParameterType::StringList),
    ])
    .await;
    moto::secret_arn("migrate-it/db", "pw").await
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn migrated_project_renders_like_ecspresso() {
    let secret_arn = aws_values().await;
    let tmp = fixture();
    let o = ecspress(tmp.path(), &["migrate", "--from", "proj/ecspresso.yml"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("converted 17 template call(s); 0 left"),
        "{err}"
    );
    assert!(
        err.contains("ecspresso.yml:2: required_version: dropped"),
        "dropped keys are noted with file:line: {err}"
    );
    let out = tmp.path().join("proj/ecspress");
    let config = std::fs::read_to_string(out.join("ecspress.yml")).expect("config");
    insta::assert_snapshot!("migrated_config", config);
    let task = std::fs::read_to_string(out.join("ecs-task-def.json")).expect("task");
    insta::assert_snapshot!("migrated_task_definition", task);

    // Rendered by ecspress = rendered by ecspresso.
    let config_arg = "proj/ecspress/ecspress.yml";
    let o = ecspress(tmp.path(), &["--config", config_arg, "render", "taskdef"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let want =
        std::fs::read_to_string(repo().join("tests/fixtures/ecspresso/expected-taskdef.json"))
            .expect("expected")
            .replace("SECRET_ARN", &secret_arn);
    assert_eq!(json(&stdout(&o)), json(&want));
    let o = ecspress(
        tmp.path(),
        &["--config", config_arg, "render", "servicedef"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let want =
        std::fs::read_to_string(repo().join("tests/fixtures/ecspresso/expected-servicedef.json"))
            .expect("expected");
    assert_eq!(json(&stdout(&o)), json(&want));
    let o = ecspress(tmp.path(), &["--config", config_arg, "render", "config"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rendered = json(&stdout(&o));
    assert_eq!(rendered["cluster"], "hello");
    assert_eq!(rendered["region"], "us-east-1");
    assert_eq!(
        rendered["codedeploy"]["deployment_group_name"],
        "DgpECS-hello"
    );

    // Nothing is overwritten without --force.
    let o = ecspress(tmp.path(), &["migrate", "--from", "proj/ecspresso.yml"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let o = ecspress(
        tmp.path(),
        &["migrate", "--from", "proj/ecspresso.yml", "--force"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn unconvertible_constructs_are_listed_with_file_and_line() {
    let tmp = fixture();
    let proj = tmp.path().join("proj");
    std::fs::write(
        proj.join("ecs-task-def.json"),
        "{\n  \"family\": \"{{ must_env `FAMILY` }}\",\n  \"x\": \"{{ cfn_output `stack` `Key` }}\",\n  {{ if env `DEBUG` }}\"debug\": true,{{ end }}\n  \"containerDefinitions\": []\n}\n",
    )
    .expect("write");
    let o = ecspress(
        tmp.path(),
        &[
            "--output",
            "json",
            "migrate",
            "--from",
            "proj/ecspresso.yml",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let left: Vec<(String, u64, String)> = stdout(&o)
        .lines()
        .map(json)
        .filter(|r| r["type"] == "migrate_left")
        .map(|r| {
            let d = &r["data"];
            (
                Path::new(d["file"].as_str().expect("file"))
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
                d["line"].as_u64().expect("line"),
                d["text"].as_str().expect("text").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        left,
        [
            (
                "ecs-task-def.json".to_owned(),
                3,
                "{{ cfn_output `stack` `Key` }}".to_owned()
            ),
            (
                "ecs-task-def.json".to_owned(),
                4,
                "{{ if env `DEBUG` }}".to_owned()
            ),
            ("ecs-task-def.json".to_owned(), 4, "{{ end }}".to_owned()),
        ]
    );
    let task = std::fs::read_to_string(proj.join("ecspress/ecs-task-def.json")).expect("written");
    assert!(
        task.contains("{{ cfn_output `stack` `Key` }}")
            && task.contains("{{ must_env(name=\"FAMILY\") }}"),
        "left as it was, the rest converted: {task}"
    );
}
