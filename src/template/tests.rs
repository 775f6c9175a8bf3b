//! Engine, functions, error locations and file formats.
//!
//! The tfstate tests read `tests/fixtures/render/*.tfstate` through the real
//! [`crate::model::tfstate::TfState`].

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::testing::{Fakes, env_of, fixture};
use super::*;
use crate::model::tfstate::TfState;

fn engine(env: &[(&str, &str)]) -> Engine {
    Engine::new(Arc::new(env_of(env)))
}

fn state(name: &str) -> Arc<TfState> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    Arc::new(TfState::from_bytes(bytes, name).unwrap())
}

/// An engine with everything: app.tfstate unprefixed, network.tfstate as `network_`, the
/// standard fakes for ssm / secretsmanager_arn.
fn full_engine(env: &[(&str, &str)], fakes: &Fakes) -> Engine {
    let mut e = engine(env);
    let lookups = Arc::new(AwsLookups::new(&fakes.clients()));
    e.register_tfstate("", state("app.tfstate"));
    e.register_tfstate("network_", state("network.tfstate"));
    e.register_ssm("", Arc::clone(&lookups));
    e.register_secretsmanager("", lookups);
    e
}

/// Expected outcome of a render.
enum Want {
    Ok(&'static str),
    /// Error whose Display contains all of these, at this line.
    Err(usize, &'static [&'static str]),
}

async fn check(e: &Engine, cases: &[(&str, Want)]) {
    for (i, (tpl, want)) in cases.iter().enumerate() {
        let got = e.render("dir/task.json", (*tpl).to_owned()).await;
        match (want, got) {
            (Want::Ok(expected), Ok(out)) => assert_eq!(out, *expected, "case {i}: {tpl}"),
            (Want::Err(line, needles), Err(err)) => {
                let text = err.to_string();
                assert_eq!(err.file, "dir/task.json", "case {i}: {text}");
                assert_eq!(err.line, Some(*line), "case {i}: {text}");
                assert!(
                    text.contains(&format!("dir/task.json:{line}:")),
                    "case {i}: {text}"
                );
                for n in *needles {
                    assert!(text.contains(n), "case {i}: {n:?} not in {text}");
                }
            }
            (Want::Ok(_), Err(err)) => panic!("case {i}: {tpl}: unexpected error {err}"),
            (Want::Err(..), Ok(out)) => panic!("case {i}: {tpl}: expected an error, got {out:?}"),
        }
    }
}

#[tokio::test]
async fn env_must_env_and_json_escape() {
    let e = engine(&[
        ("A", "x"),
        ("EMPTY", ""),
        ("MOTD", "say \"hi\"\n\ttab\\ é </"),
    ]);
    check(
        &e,
        &[
            (r#"{{ env(name="A") }}"#, Want::Ok("x")),
            (r#"{{ env(name="A", default="d") }}"#, Want::Ok("x")),
            (r#"{{ env(name="NOPE", default="d") }}"#, Want::Ok("d")),
            (r#"{{ env(name="NOPE") }}"#, Want::Ok("")),
            (r#"{{ env(name="EMPTY", default="d") }}"#, Want::Ok("d")),
            (r#"{{ env(name="NOPE", default=3) }}"#, Want::Ok("3")),
            (r#"{{ must_env(name="A") }}"#, Want::Ok("x")),
            (r#"{{ must_env(name="EMPTY") }}"#, Want::Ok("")),
            (
                "{\n  \"a\": \"{{ must_env(name=\"NOPE_VAR\") }}\"\n}",
                Want::Err(2, &["NOPE_VAR", "not set", "must_env"]),
            ),
            (
                r#"{{ env(nme="A") }}"#,
                Want::Err(1, &["unknown argument `nme`", "`name`, `default`"]),
            ),
            (r#"{{ env() }}"#, Want::Err(1, &["missing argument `name`"])),
            (
                r#"{{ must_env(name=1) }}"#,
                Want::Err(1, &["must_env: argument `name`"]),
            ),
            (
                r#"{{ env(name="MOTD") | json_escape }}"#,
                Want::Ok(r#"say \"hi\"\n\ttab\\ é </"#),
            ),
            (r#"{{ 3 | json_escape }}"#, Want::Ok("3")),
            (r#"{{ "plain" | json_escape }}"#, Want::Ok("plain")),
        ],
    )
    .await;
}

#[tokio::test]
async fn json_escape_output_parses_back() {
    let raw = "quote \" backslash \\ newline \n tab \t ctrl \u{1} unicode ✓";
    let e = engine(&[("V", raw)]);
    let out = e
        .render(
            "t.json",
            r#"{"v": "{{ env(name="V") | json_escape }}"}"#.to_owned(),
        )
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["v"], raw);
}

#[tokio::test]
async fn tfstate_functions() {
    let fakes = Fakes::standard();
    let e = full_engine(&[], &fakes);
    check(
        &e,
        &[
            (
                "{{ tfstate(addr='aws_ecr_repository.app.repository_url') }}",
                Want::Ok("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"),
            ),
            ("{{ tfstate(addr='output.image_tag') }}", Want::Ok("v1.2.3")),
            (
                r#"{{ tfstate(addr='module.app.aws_lb_target_group.web["blue"].port') }}"#,
                Want::Ok("80"),
            ),
            (
                r#"{{ tfstate(addr="module.app.aws_lb_target_group.web['green'].port") }}"#,
                Want::Ok("8080"),
            ),
            (
                "{{ tfstatef(fmt='module.app.aws_lb_target_group.web[\"%s\"].port', args=['green']) }}",
                Want::Ok("8080"),
            ),
            (
                "{{ network_tfstatef(fmt='aws_subnet.private[%d].id', args=[1]) }}",
                Want::Ok("subnet-bbb"),
            ),
            (
                "{{ network_tfstate(addr='aws_security_group.app.id') }}",
                Want::Ok("sg-123"),
            ),
            (
                // Each prefix has its own state.
                "\n{{ tfstate(addr='aws_security_group.app.id') }}",
                Want::Err(2, &["aws_security_group.app.id", "app.tfstate"]),
            ),
            (
                "{\n  \"image\": \"{{ tfstate(addr='aws_ecr_repository.ap.repository_url') }}\"\n}",
                Want::Err(
                    2,
                    &[
                        "aws_ecr_repository.ap.repository_url",
                        "did you mean",
                        "aws_ecr_repository.app",
                    ],
                ),
            ),
            (
                "{{ network_tfstatef(fmt='aws_subnet.private[%d].id', args=0) }}",
                Want::Err(1, &["network_tfstatef", "must be a list"]),
            ),
            (
                "{{ network_tfstatef(fmt='aws_subnet.private[%d].id') }}",
                Want::Err(1, &["%d needs argument 1"]),
            ),
            (
                "{{ tfstate(address='x') }}",
                Want::Err(1, &["tfstate: unknown argument `address`"]),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn tfstate_non_strings_render_as_compact_json() {
    let fakes = Fakes::standard();
    let e = full_engine(&[], &fakes);
    let cases = [
        (
            r#"{"subnet": {{ network_tfstate(addr='aws_subnet.private[0]') }}}"#,
            json!({"subnet": {"id": "subnet-aaa", "cidr_block": "10.0.1.0/24"}}),
        ),
        (
            r#"{"subnets": {{ network_tfstate(addr='aws_subnet.private') }}}"#,
            json!({"subnets": [
                {"id": "subnet-aaa", "cidr_block": "10.0.1.0/24"},
                {"id": "subnet-bbb", "cidr_block": "10.0.2.0/24"}
            ]}),
        ),
        (
            r#"{"port": {{ tfstate(addr='module.app.aws_lb_target_group.web["blue"].port') }}}"#,
            json!({"port": 80}),
        ),
    ];
    for (tpl, want) in cases {
        let out = e.render("s.json", tpl.to_owned()).await.unwrap();
        assert!(!out.contains('\n'), "compact: {out}");
        let got: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(got, want, "{tpl}");
    }
}

#[tokio::test]
async fn ssm_and_secretsmanager_functions() {
    let fakes = Fakes::standard();
    let e = full_engine(&[], &fakes);
    check(
        &e,
        &[
            ("{{ ssm(name='/app/db/host') }}", Want::Ok("db.internal")),
            (
                "{{ ssm(name='/app/db/password') | json_escape }}",
                Want::Ok(r#"p@ss\"word"#),
            ),
            (
                "{{ ssm(name='/app/hosts', index=1) }}",
                Want::Ok("b.internal"),
            ),
            (
                "{{ ssm(name='/app/hosts', index=0) }}",
                Want::Ok("a.internal"),
            ),
            (
                "\n\n{{ ssm(name='/app/hosts') }}",
                Want::Err(3, &["/app/hosts", "StringList", "index=N"]),
            ),
            (
                "{{ ssm(name='/app/db/host', index=0) }}",
                Want::Err(1, &["only allowed for StringList", "/app/db/host"]),
            ),
            (
                "{{ ssm(name='/app/hosts', index=2) }}",
                Want::Err(1, &["index 2 is out of range", "2 elements"]),
            ),
            (
                "{{ ssm(name='/app/hosts', index=-1) }}",
                Want::Err(1, &["index -1 is out of range"]),
            ),
            (
                "{{ ssm(name='/nope') }}",
                Want::Err(1, &["GetParameter /nope failed", "NotFound"]),
            ),
            (
                "{{ secretsmanager_arn(id='app/db') }}",
                Want::Ok("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf"),
            ),
            (
                "{{ secretsmanager_arn(id='nope') }}",
                Want::Err(1, &["DescribeSecret nope failed"]),
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn aws_lookups_happen_once_per_name_across_templates() {
    let fakes = Fakes::standard();
    let lookups = Arc::new(AwsLookups::new(&fakes.clients()));
    let mut e = engine(&[]);
    e.register_ssm("", Arc::clone(&lookups));
    e.register_secretsmanager("", Arc::clone(&lookups));
    // A prefixed ssm (a listed `ssm` plugin with func_prefix) shares the cache.
    e.register_ssm("x_", Arc::clone(&lookups));
    let tpl = "{{ ssm(name='/app/db/host') }} {{ x_ssm(name='/app/db/host') }} \
               {{ ssm(name='/app/hosts', index=0) }} {{ ssm(name='/app/hosts', index=1) }} \
               {{ secretsmanager_arn(id='app/db') }} {{ secretsmanager_arn(id='app/db') }}";
    for name in ["a.json", "b.json", "c.yaml"] {
        e.render(name, tpl.to_owned()).await.unwrap();
    }
    // Concurrent renders share one in-flight request per name.
    let renders: Vec<_> = (0..8)
        .map(|i| {
            let e = e.clone();
            tokio::spawn(async move {
                e.render(&format!("{i}.json"), "{{ ssm(name='/app/region') }}".into())
                    .await
            })
        })
        .collect();
    for r in renders {
        assert_eq!(r.await.unwrap().unwrap(), "ap-northeast-1");
    }
    assert_eq!(
        fakes.ssm.calls(),
        3,
        "/app/db/host, /app/hosts, /app/region"
    );
    assert_eq!(fakes.secrets.calls(), 1);
}

#[tokio::test]
async fn failed_lookups_are_not_cached() {
    let fakes = Fakes::standard();
    let e = full_engine(&[], &fakes);
    for _ in 0..2 {
        assert!(
            e.render("a.json", "{{ ssm(name='/nope') }}".into())
                .await
                .is_err()
        );
    }
    assert_eq!(fakes.ssm.calls(), 2);
}

/// The fakes await a spawned task and a timer, like the SDK; the render must neither deadlock
/// nor panic on either runtime flavor.
async fn lookups_do_not_block_the_runtime() {
    let fakes = Fakes::standard();
    let e = full_engine(&[], &fakes);
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        e.render(
            "a.json",
            "{{ ssm(name='/app/db/host') }}/{{ secretsmanager_arn(id='app/db') }}".into(),
        ),
    )
    .await
    .expect("render did not finish: deadlock")
    .unwrap();
    assert_eq!(
        out,
        "db.internal/arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn lookups_on_current_thread_runtime() {
    lookups_do_not_block_the_runtime().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn lookups_on_one_worker_multi_thread_runtime() {
    lookups_do_not_block_the_runtime().await;
}

#[tokio::test]
async fn syntax_and_unknown_names_are_located() {
    let e = engine(&[]);
    let cases: &[(&str, usize, TemplateErrorKind, &str)] = &[
        (
            "{\n  \"a\": \"{{ env(name='X' }}\"\n}",
            2,
            TemplateErrorKind::Syntax,
            "",
        ),
        (
            "{\n\n  \"a\": \"{{ nope(a=1) }}\"\n}",
            3,
            TemplateErrorKind::Syntax,
            "nope",
        ),
        (
            "{\n  \"a\": \"{{ 'x' | nofilter }}\"\n}",
            2,
            TemplateErrorKind::Syntax,
            "nofilter",
        ),
        (
            "\n\n\n{{ undefined_var }}",
            4,
            TemplateErrorKind::Render,
            "",
        ),
    ];
    for (tpl, line, kind, needle) in cases {
        let err = e
            .render("svc.json", (*tpl).to_owned())
            .await
            .expect_err(tpl);
        let text = err.to_string();
        assert_eq!(err.kind, *kind, "{text}");
        assert_eq!(err.line, Some(*line), "{text}");
        assert!(text.starts_with(&format!("svc.json:{line}:")), "{text}");
        assert!(text.contains(needle), "{text}");
        assert!(err.snippet.is_some(), "{text}");
    }
}

#[tokio::test]
async fn unknown_functions_get_a_hint() {
    let fakes = Fakes::standard();
    let e = full_engine(&[], &fakes);
    let cases = [
        (
            "{{ networks_tfstate(addr='x') }}",
            "did you mean `network_tfstate`?",
        ),
        ("{{ must_evn(name='x') }}", "did you mean `must_env`?"),
        (
            "{{ vpc_tfstatef(fmt='x') }}",
            "a tfstate function needs a tfstate plugin",
        ),
    ];
    for (tpl, hint) in cases {
        let err = e.render("a.json", tpl.into()).await.unwrap_err();
        assert_eq!(err.kind, TemplateErrorKind::Syntax, "{err}");
        assert!(err.message.contains(hint), "{err}");
    }
}

#[test]
fn plugin_function_calls_are_found() {
    let cases: &[(&str, &[&str])] = &[
        ("{{ tfstate(addr='x') }}", &["tfstate"]),
        (
            "{{ network_tfstatef (fmt='x') }} {{ a_ssm(name='y') }}",
            &["a_ssm", "network_tfstatef"],
        ),
        (
            "{{ secretsmanager_arn(id='a') }} {{ env(name='tfstate') }}",
            &["secretsmanager_arn"],
        ),
        ("tfstate: no call here; mytfstate_x()", &[]),
        ("{{ x.tfstate(y) }}", &["tfstate"]),
    ];
    for (text, want) in cases {
        let got: Vec<String> = plugin_function_calls(text).into_iter().collect();
        assert_eq!(got, *want, "{text}");
    }
}

#[tokio::test]
async fn placeholders_ignore_arguments() {
    let mut e = engine(&[]);
    e.register_placeholders(["tfstate".to_owned(), "x_ssm".to_owned()], "0");
    let out = e
        .render(
            "c.yml",
            "a: {{ tfstate(addr='nope') }}\nb: {{ x_ssm(name='n', index=3) }}".into(),
        )
        .await
        .unwrap();
    assert_eq!(out, "a: 0\nb: 0");
}

#[test]
fn comments_are_stripped_keeping_positions() {
    let text =
        "/* a\n b */ {\n  \"u\": \"http://x/*y*/\", // tail\n  \"v\": \"q\\\"//é\" /* é */\n}";
    let stripped = strip_json_comments(text);
    assert_eq!(stripped.len(), text.len());
    assert_eq!(stripped.lines().count(), text.lines().count());
    let v: serde_json::Value = serde_json::from_str(&stripped).unwrap();
    assert_eq!(v, json!({"u": "http://x/*y*/", "v": "q\"//é"}));

    // After a multi-line block comment, parse errors still point at the right line.
    let bad = "/* one\n two\n three */\n{\n  \"a\": 1,,\n}";
    let err = parse_rendered(bad, FileFormat::Json, "bad.jsonc").unwrap_err();
    assert_eq!(err.line, Some(5), "{err}");
    assert_eq!(err.kind, TemplateErrorKind::Format);
    assert!(err.to_string().contains("\"a\": 1,,"), "snippet: {err}");
}

/// Parse errors that name their cause (the bad-input corpus, #10): `(text, file, location,
/// message part)`.
#[test]
fn parse_errors_carry_a_hint() {
    type Location = (Option<usize>, Option<usize>);
    let cases: &[(&str, &str, Location, &str)] = &[
        // An unterminated block comment, not the "key must be a string" after it.
        (
            "{\n  \"a\": 1, /* open\n}",
            "d.jsonc",
            (Some(2), Some(11)),
            "comment is never closed",
        ),
        (
            "{ \"é\": 1 /* x",
            "d.json",
            (Some(1), Some(10)),
            "comment is never closed",
        ),
        (
            "",
            "d.json",
            (None, None),
            "the file is empty after rendering",
        ),
        (
            "  \n// only a comment\n",
            "d.json",
            (None, None),
            "the file is empty after rendering",
        ),
        // Any other extension is read as JSON (as ecspresso does); the message says so.
        (
            "family = \"f\"",
            "d.toml",
            (Some(1), Some(3)),
            "a .toml file is read as JSON",
        ),
        (
            "family: f",
            "d.ymal",
            (Some(1), Some(3)),
            "YAML (.yml, .yaml)",
        ),
        // serde_json's column 0 (end of input after a newline) is shown as column 1.
        (
            "{\"a\": 1\n",
            "d.json",
            (Some(2), Some(1)),
            "EOF while parsing an object",
        ),
    ];
    for (text, file, (line, column), part) in cases {
        let err = parse_rendered(text, FileFormat::Json, file).unwrap_err();
        assert_eq!((err.line, err.column), (*line, *column), "{file}: {err}");
        assert!(err.message.contains(part), "{file}: {err}");
        if !file.ends_with(".toml") && !file.ends_with(".ymal") {
            assert!(!err.message.contains("is read as JSON"), "{file}: {err}");
        }
    }
}

#[test]
fn a_definition_that_is_not_an_object_says_what_it_is() {
    for (value, found) in [
        (json!([]), "found a list"),
        (json!("x"), "found a string"),
        (json!(null), "found nothing (null)"),
        (json!(1), "found a number"),
        (json!(true), "found a boolean"),
    ] {
        let err = DefinitionKind::Service
            .normalize("s.json", value)
            .unwrap_err();
        assert!(
            err.message
                .contains("a service definition must be a JSON object")
                && err.message.contains(found),
            "{err}"
        );
    }
}

#[test]
fn formats_parse_to_the_same_value() {
    let want = json!({"a": [1, "x", {"b": true}], "c": null});
    let cases = [
        (
            FileFormat::Json,
            r#"{"a": [1, "x", {"b": true}], "c": null}"#,
        ),
        (
            FileFormat::Json,
            "{\n // c\n \"a\": [1, \"x\", /* in */ {\"b\": true}],\n \"c\": null /* end\n */\n}",
        ),
        (FileFormat::Yaml, "a:\n  - 1\n  - x\n  - b: true\nc: null\n"),
        (
            FileFormat::Yaml,
            "base: &b {b: true}\na: [1, x, {<<: *b}]\nc: ~\n",
        ),
    ];
    for (format, text) in cases {
        let mut got = parse_rendered(text, format, "f").unwrap();
        if let Some(m) = got.as_object_mut() {
            m.remove("base");
        }
        assert_eq!(got, want, "{text}");
    }
}

#[test]
fn parse_errors_are_located() {
    let cases = [
        (FileFormat::Json, "{\n  \"a\": 1\n  \"b\": 2\n}", 3),
        (FileFormat::Yaml, "a: 1\nb: [1, 2\nc: 3\n", 3),
        (FileFormat::Json, "{\n  \"a\": // c\n}", 3),
        // An unbalanced quote from a template, then a comment on a later line.
        (
            FileFormat::Json,
            "{\n  \"a\": \"x\"b\", // c\n  \"c\": 1\n}",
            2,
        ),
        (FileFormat::Json, "{\n  \"a\": 1 / 2\n}", 2),
        (FileFormat::Json, "{\n  \"a\": 1\n}\n/* open", 4),
    ];
    for (format, text, line) in cases {
        let err = parse_rendered(text, format, "def.file").unwrap_err();
        assert_eq!(err.line, Some(line), "{err}");
        assert!(
            err.to_string().starts_with(&format!("def.file:{line}:")),
            "{err}"
        );
    }
}

#[test]
fn definition_formats_by_extension() {
    use std::path::Path;
    let cases = [
        ("a.json", Some(FileFormat::Json)),
        ("a.jsonc", Some(FileFormat::Json)),
        ("a.JSON", Some(FileFormat::Json)),
        ("a.json.tmpl", Some(FileFormat::Json)),
        ("a.yaml", Some(FileFormat::Yaml)),
        ("a.yml", Some(FileFormat::Yaml)),
        ("a.jsonnet", Some(FileFormat::Jsonnet)),
        ("a.libsonnet", Some(FileFormat::Jsonnet)),
    ];
    for (path, want) in cases {
        assert_eq!(
            FileFormat::for_definition(Path::new(path)).ok(),
            want,
            "{path}"
        );
    }
    let cases = [
        ("c.yml", Some(FileFormat::Yaml)),
        ("c.yaml", Some(FileFormat::Yaml)),
        ("c.json", Some(FileFormat::Json)),
        ("c.jsonnet", Some(FileFormat::Jsonnet)),
        ("c.libsonnet", None),
        ("c.toml", None),
    ];
    for (path, want) in cases {
        assert_eq!(FileFormat::for_config(Path::new(path)), want, "{path}");
    }
}

#[test]
fn task_definition_wrapper_is_unwrapped() {
    let inner = json!({"family": "app", "containerDefinitions": []});
    let cases = [
        (DefinitionKind::Task, inner.clone(), Some(inner.clone())),
        (
            DefinitionKind::Task,
            json!({"taskDefinition": inner.clone()}),
            Some(inner.clone()),
        ),
        (
            DefinitionKind::Task,
            json!({"taskDefinition": inner.clone(), "tags": [{"key": "k", "value": "v"}]}),
            Some(json!({"family": "app", "containerDefinitions": [],
                        "tags": [{"key": "k", "value": "v"}]})),
        ),
        (
            // Not the describe shape: left alone.
            DefinitionKind::Task,
            json!({"taskDefinition": inner.clone(), "family": "x"}),
            Some(json!({"taskDefinition": inner.clone(), "family": "x"})),
        ),
        (
            // describe-services output is not unwrapped.
            DefinitionKind::Service,
            json!({"services": [{"serviceName": "a"}]}),
            Some(json!({"services": [{"serviceName": "a"}]})),
        ),
        (
            DefinitionKind::Service,
            json!({"taskDefinition": inner.clone()}),
            Some(json!({"taskDefinition": inner.clone()})),
        ),
        (DefinitionKind::Task, json!([inner.clone()]), None),
        (DefinitionKind::Service, json!(null), None),
    ];
    for (kind, input, want) in cases {
        let got = kind.normalize("f.json", input.clone()).ok();
        assert_eq!(got, want, "{kind:?} {input}");
    }
}
