//! Table tests against `tests/fixtures/tfstate/terraform.tfstate`, organised by the
//! tfstate-lookup test categories (reference §6.4).

use super::*;
use serde_json::json;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/tfstate/terraform.tfstate"
);

fn fixture() -> TfState {
    let bytes = std::fs::read(FIXTURE).expect("fixture is readable");
    TfState::from_bytes(bytes, "fixture.tfstate").expect("fixture parses")
}

/// `None` = must be NotFound.
fn lookup_table() -> Vec<(&'static str, Option<Value>)> {
    let kms = "arn:aws:kms:ap-northeast-1:123456789012:key/500193e3-ddd9-4581-ab0c-fd7aeaedf3e1";
    vec![
        // 1. data sources
        (
            "data.aws_caller_identity.current.account_id",
            Some(json!("123456789012")),
        ),
        ("data.aws_caller_identity.xxxx.account_id", None),
        ("data.aws_caller_identity.current.nope", None),
        // 2. plain resource attributes, misses and the prefix boundary
        (
            "aws_acm_certificate.main.validation_method",
            Some(json!("DNS")),
        ),
        ("aws_acm_certificate.main2", None),
        ("aws_acm_certificate.main2.validation_method", None),
        ("aws_acm_certificate.mai", None),
        ("aws_acm_certificate.main.validation_method_xxx", None),
        ("aws_acm_certificate.main.tags.env", Some(json!("world"))),
        (
            "aws_acm_certificate.main.tags[\"aws:cloudformation:stack-name\"]",
            Some(json!("certs")),
        ),
        (
            "aws_acm_certificate.main.tags.aws:cloudformation:stack-name",
            Some(json!("certs")),
        ),
        (
            "aws_acm_certificate.main.tags['Cost Center']",
            Some(json!("42")),
        ),
        (
            "aws_acm_certificate.main.certificate_body",
            Some(Value::Null),
        ),
        // a member of null is a miss, not null (jq would say null; we say not found)
        ("aws_acm_certificate.main.certificate_body.x", None),
        // a string has no members
        ("aws_acm_certificate.main.validation_method.x", None),
        // 3. lists inside attributes
        (
            "aws_acm_certificate.main.subject_alternative_names",
            Some(json!(["*.example.com"])),
        ),
        (
            "aws_acm_certificate.main.subject_alternative_names[0]",
            Some(json!("*.example.com")),
        ),
        (
            "aws_acm_certificate.main.subject_alternative_names[2]",
            None,
        ),
        (
            "aws_acm_certificate.main.subject_alternative_names[-1]",
            Some(json!("*.example.com")),
        ),
        (
            "aws_acm_certificate.main.subject_alternative_names[-2]",
            None,
        ),
        ("aws_acm_certificate.main.validation_emails[0]", None),
        (
            "aws_acm_certificate.main.domain_validation_options[1].domain_name",
            Some(json!("*.example.com")),
        ),
        (
            "aws_acm_certificate.main.domain_validation_options.[1].domain_name",
            Some(json!("*.example.com")),
        ),
        // an index on an object, a key on a list
        ("aws_acm_certificate.main.tags[0]", None),
        ("aws_acm_certificate.main.subject_alternative_names.x", None),
        // 4. for_each inside modules
        (
            "module.logs.aws_cloudwatch_log_group.main[\"app\"].id",
            Some(json!("/main/app")),
        ),
        (
            "module.logs.aws_cloudwatch_log_group.main[\"app\"].retention_in_days",
            Some(json!(30)),
        ),
        (
            "module.logs.aws_cloudwatch_log_group.main['web'].retention_in_days",
            Some(json!(14)),
        ),
        (
            "module.logs.aws_cloudwatch_log_group.main[\"vanish\"]",
            None,
        ),
        (
            "module.logs.aws_cloudwatch_log_group.main[\"vanish\"].id",
            None,
        ),
        ("module.xxx.aws_cloudwatch_log_group.main[\"app\"].id", None),
        ("module.logs.aws_cloudwatch_log_group.ma", None),
        ("module.logs.aws_cloudwatch_log_group.ma[\"app\"].id", None),
        // 5. count indexes
        (
            "aws_iam_role_policy_attachment.ec2[1].id",
            Some(json!("ec2-20190801065413531100000001")),
        ),
        (
            "aws_iam_role_policy_attachment.ec2[0].id",
            Some(json!("ec2-20190801065413533200000002")),
        ),
        ("aws_iam_role_policy_attachment.ec2[2].id", None),
        ("aws_iam_role_policy_attachment.ec2[-1].id", None),
        ("aws_iam_role_policy_attachment.ec2[\"0\"].id", None),
        ("aws_iam_role_policy_attachment.ec2.id", None),
        // 6. outputs
        ("output.foo", Some(json!("FOO"))),
        ("output.bar", Some(json!(["A", "B", "C"]))),
        ("output.bar[1]", Some(json!("B"))),
        ("output.bar[3]", None),
        ("output.baz", None),
        ("output.foo2", None),
        ("output.dash-tuple", Some(json!([3, 2, 1]))),
        ("output.dash-tuple[1]", Some(json!(2))),
        ("output.dash-tuple[-1]", Some(json!(1))),
        ("output.dash-tuple[-3]", Some(json!(3))),
        ("output.dash-tuple[-4]", None),
        ("output.db_password", Some(json!("s3cret"))),
        // 7. nested modules
        (
            "module.webapp.module.ecs_task_roles.aws_iam_role.task_execution_role.name",
            Some(json!("task-execution-role")),
        ),
        (
            "module.webapp.module.ecs_task_roles.aws_iam_role.task_execution_role.max_session_duration",
            Some(json!(3600)),
        ),
        (
            "module.webapp.xxxx.ecs_task_roles.aws_iam_role.task_execution_role.name",
            None,
        ),
        (
            "xxxx.webapp.module.ecs_task_roles.aws_iam_role.task_execution_role.name",
            None,
        ),
        (
            "module.ecs_task_roles.aws_iam_role.task_execution_role.name",
            None,
        ),
        // 8. module with count: a counted resource in a module, and a counted module
        (
            "module.subnets.aws_subnet.main[0].cidr_block",
            Some(json!("10.11.12.0/22")),
        ),
        (
            "module.subnets.aws_subnet.main[1].cidr_block",
            Some(json!("10.11.15.0/22")),
        ),
        ("module.subnets.aws_subnet.main[2].cidr_block", None),
        (
            "module.workers[1].aws_instance.this.instance_type",
            Some(json!("t3.small")),
        ),
        ("module.workers[2].aws_instance.this.id", None),
        ("module.workers.aws_instance.this.id", None),
        // 9. for_each keys containing dots (resource and module)
        (
            "aws_iam_user.users[\"foo.bar\"].name",
            Some(json!("foo.bar")),
        ),
        (
            "aws_iam_user.users['hoge.fuga'].id",
            Some(json!("hoge.fuga")),
        ),
        ("aws_iam_user.users[\"foo\"].name", None),
        ("aws_iam_user.users.foo.bar.name", None),
        (
            "module.service[\"api.v2\"].aws_ecs_service.this.desired_count",
            Some(json!(2)),
        ),
        (
            "module.service['api.v2'].aws_ecs_service.this.name",
            Some(json!("api-v2")),
        ),
        ("module.service[\"api\"].aws_ecs_service.this.name", None),
        // 10. for_each data source
        (
            "data.aws_lb_target_group.app[\"dev1\"].name",
            Some(json!("dev-dev1-app")),
        ),
        (
            "data.aws_lb_target_group.app[\"dev2\"].health_check[0].path",
            Some(json!("/healthz")),
        ),
        ("data.aws_lb_target_group.app[\"dev3\"].name", None),
        // 11. terraform_remote_state (outputs unwrapped, hyphenated names)
        (
            "data.terraform_remote_state.remote.outputs.kms_key.arn",
            Some(json!(kms)),
        ),
        (
            "data.terraform_remote_state.remote.outputs.kms_key_arn",
            Some(json!(kms)),
        ),
        (
            "data.terraform_remote_state.remote.outputs.mylist[1]",
            Some(json!(2)),
        ),
        (
            "data.terraform_remote_state.remote.outputs.kms_key.tags",
            Some(json!({"env": "remote"})),
        ),
        ("data.terraform_remote_state.remote.outputs.value", None),
        ("data.terraform_remote_state.remote.outputs.nope", None),
        // only `outputs` is unwrapped
        (
            "data.terraform_remote_state.remote.config.value.bucket",
            Some(json!("remote-bucket")),
        ),
        (
            "data.terraform_remote_state.hyphenated-id.outputs.repository-uri",
            Some(json!(
                "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app"
            )),
        ),
        (
            "data.terraform_remote_state.hyphenated-id.outputs[\"repository-uri\"]",
            Some(json!(
                "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app"
            )),
        ),
        // 14. single quotes as in templates
        (
            "module.logs.aws_cloudwatch_log_group.main['app'].retention_in_days",
            Some(json!(30)),
        ),
        // 16. boundary and exact-beats-prefix (`a` is an attribute, `publican` a miss)
        ("aws_subnet.public.a", Some(json!("A"))),
        ("aws_subnet.publican", None),
        ("aws_subnet.public.id", Some(json!("subnet-public"))),
        // parent keys: count → array by index with gaps null; for_each → object
        (
            "aws_iam_role_policy_attachment.ec2",
            Some(json!([
                {"id": "ec2-20190801065413533200000002", "policy_arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "role": "ec2"},
                {"id": "ec2-20190801065413531100000001", "policy_arn": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser", "role": "ec2"}
            ])),
        ),
        (
            "aws_subnet.sparse",
            Some(json!([
                {"id": "subnet-sparse-0", "cidr_block": "10.0.0.0/24"},
                null,
                {"id": "subnet-sparse-2", "cidr_block": "10.0.2.0/24"}
            ])),
        ),
        (
            "aws_iam_user.users",
            Some(json!({
                "foo.bar": {"arn": "arn:aws:iam::123456789012:user/foo.bar", "id": "foo.bar", "name": "foo.bar"},
                "hoge.fuga": {"arn": "arn:aws:iam::123456789012:user/hoge.fuga", "id": "hoge.fuga", "name": "hoge.fuga"}
            })),
        ),
        (
            "module.subnets.aws_subnet.main",
            Some(json!([
                {"cidr_block": "10.11.12.0/22", "id": "subnet-01234567890123456", "vpc_id": "vpc-01234567"},
                {"cidr_block": "10.11.15.0/22", "id": "subnet-90123456789012345", "vpc_id": "vpc-01234567"}
            ])),
        ),
        // parent keys answer exact lookups only (tfstate-lookup): no attribute path below them
        ("aws_iam_user.users.foo", None),
        // legacy attributes_flat is returned as stored (not re-nested)
        ("aws_security_group.legacy.ingress.#", None),
        ("aws_security_group.legacy[\"ingress.#\"]", Some(json!("1"))),
        (
            "aws_security_group.legacy.id",
            Some(json!("sg-0123456789abcdef0")),
        ),
        // deposed objects are skipped: the current object answers
        (
            "aws_lb.main.dns_name",
            Some(json!("current.elb.amazonaws.com")),
        ),
        // modes other than managed and data are not indexed
        (
            "ephemeral.aws_secretsmanager_secret_version.never_indexed",
            None,
        ),
        ("aws_secretsmanager_secret_version.never_indexed", None),
        // whitespace around the address is ignored
        ("  output.foo  ", Some(json!("FOO"))),
    ]
}

#[test]
fn lookup_table_matches_tfstate_lookup() {
    let state = fixture();
    let mut failures = Vec::new();
    for (address, want) in lookup_table() {
        let got = state.lookup(address);
        match (&want, got) {
            (Some(want), Ok(got)) if *want == got => {}
            (
                None,
                Err(TfstateError::NotFound {
                    address: a,
                    source_name,
                    ..
                }),
            ) if a == address && source_name == "fixture.tfstate" => {}
            (want, got) => failures.push(format!("{address}: want {want:?}, got {got:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lookups_are_repeatable_through_the_cache() {
    let state = fixture();
    for _ in 0..3 {
        for (address, want) in lookup_table() {
            assert_eq!(state.lookup(address).ok(), want, "{address}");
        }
    }
}

#[test]
fn list_has_every_instance_in_state_order_and_no_parent_keys() {
    let state = fixture();
    let want = vec![
        "output.foo",
        "output.bar",
        "output.dash-tuple",
        "output.db_password",
        "data.terraform_remote_state.remote",
        "data.terraform_remote_state.hyphenated-id",
        "data.aws_caller_identity.current",
        "aws_acm_certificate.main",
        "module.logs.aws_cloudwatch_log_group.main[\"app\"]",
        "module.logs.aws_cloudwatch_log_group.main[\"web\"]",
        "aws_iam_role_policy_attachment.ec2[0]",
        "aws_iam_role_policy_attachment.ec2[1]",
        "module.webapp.module.ecs_task_roles.aws_iam_role.task_execution_role",
        "module.subnets.aws_subnet.main[0]",
        "module.subnets.aws_subnet.main[1]",
        "module.workers[0].aws_instance.this",
        "module.workers[1].aws_instance.this",
        "module.service[\"api.v2\"].aws_ecs_service.this",
        "aws_iam_user.users[\"foo.bar\"]",
        "aws_iam_user.users[\"hoge.fuga\"]",
        "data.aws_lb_target_group.app[\"dev1\"]",
        "data.aws_lb_target_group.app[\"dev2\"]",
        "aws_subnet.sparse[2]",
        "aws_subnet.sparse[0]",
        "aws_subnet.public",
        "aws_security_group.legacy",
        "aws_lb.main",
        "null_resource.ignored_mode_check",
    ];
    assert_eq!(state.list(), want);
}

#[test]
fn every_listed_address_looks_up_non_null() {
    // tfstate-lookup's roundtrip test (category 18) and Dump() == Lookup (category 12).
    let state = fixture();
    for address in state.list() {
        let v = state
            .lookup(&address)
            .unwrap_or_else(|e| panic!("{address}: {e}"));
        assert!(!v.is_null(), "{address} is null");
    }
}

/// Found by fuzzing (`fuzz` target `tfstate`, docs/fuzzing.md): names that are not Terraform
/// identifiers made `list` return addresses that did not parse. Resources with such a type,
/// name or module are left out; such outputs are spelt as keys.
#[test]
fn names_that_are_not_identifiers_never_list_unreachable_addresses() {
    let doc = json!({
        "version": 4,
        "outputs": {"a.b": {"value": 1}, "x[0]": {"value": 2}, " sp": {"value": 3}, "ok": {"value": 4}},
        "resources": [
            {"mode": "managed", "type": "aws_s[curity_group", "name": "app",
             "instances": [{"attributes": {"id": "sg-1"}}]},
            {"mode": "managed", "type": "aws_vpc", "name": "main ",
             "instances": [{"attributes": {"id": "vpc-1"}}]},
            {"module": " module.x", "mode": "managed", "type": "aws_vpc", "name": "m",
             "instances": [{"attributes": {"id": "vpc-2"}}]},
            {"module": "module.a..b", "mode": "managed", "type": "aws_vpc", "name": "m",
             "instances": [{"attributes": {"id": "vpc-3"}}]},
            {"module": "module.y[\"k.1\"]", "mode": "managed", "type": "aws_vpc", "name": "n",
             "instances": [{"attributes": {"id": "vpc-4"}}]}
        ]
    });
    let state = TfState::from_bytes(doc.to_string().into_bytes(), "t.tfstate").unwrap();
    let listed = state.list();
    assert_eq!(
        listed,
        [
            // json! sorts the outputs.
            "output[\" sp\"]",
            "output[\"a.b\"]",
            "output.ok",
            "output[\"x[0]\"]",
            "module.y[\"k.1\"].aws_vpc.n"
        ]
    );
    for address in listed {
        let v = state
            .lookup(&address)
            .unwrap_or_else(|e| panic!("{address}: {e}"));
        assert!(!v.is_null(), "{address} is null");
    }
    assert_eq!(state.lookup("output[\"a.b\"]").unwrap(), json!(1));
}

#[test]
fn remote_state_instance_is_unwrapped_as_a_whole() {
    let state = fixture();
    let v = state
        .lookup("data.terraform_remote_state.hyphenated-id")
        .unwrap();
    assert_eq!(
        v["outputs"],
        json!({"repository-uri": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app"})
    );
    assert_eq!(v["backend"], json!("local"));
}

#[test]
fn remote_state_outputs_unwrapping_rules() {
    let cases = [
        // Terraform ≥ 0.12: one wrapper around the whole object
        (
            json!({"outputs": {"value": {"a": 1}, "type": ["object", {"a": "number"}]}}),
            json!({"outputs": {"a": 1}}),
        ),
        // a map of per-output wrappers
        (
            json!({"outputs": {"a": {"value": 1, "type": "number"}, "b": {"value": "x", "type": "string"}}}),
            json!({"outputs": {"a": 1, "b": "x"}}),
        ),
        // outputs that happen to be named `value` and `type` are not a wrapper
        (
            json!({"outputs": {"value": {"value": 1, "type": "number"}, "type": {"value": "t", "type": "string"}}}),
            json!({"outputs": {"value": 1, "type": "t"}}),
        ),
        // plain outputs left alone
        (json!({"outputs": {"a": 1}}), json!({"outputs": {"a": 1}})),
        (json!({"backend": "s3"}), json!({"backend": "s3"})),
    ];
    for (input, want) in cases {
        assert_eq!(unwrap_remote_outputs(input.clone()), want, "{input}");
    }
}

#[test]
fn hints_name_the_closest_addresses() {
    let state = fixture();
    let cases: &[(&str, &[&str])] = &[
        ("aws_acm_certificate.main2", &["aws_acm_certificate.main"]),
        (
            "data.aws_caller_identity.xxxx.account_id",
            &["data.aws_caller_identity.current"],
        ),
        ("output.baz", &["output.bar"]),
        (
            "aws_acm_certificate.main.validation_method_xxx",
            &["aws_acm_certificate.main.validation_method"],
        ),
        (
            "aws_acm_certificate.main.subject_alternative_names[2]",
            &["aws_acm_certificate.main.subject_alternative_names[0]"],
        ),
        (
            "aws_acm_certificate.main.tags.Cost_Center",
            &["aws_acm_certificate.main.tags[\"Cost Center\"]"],
        ),
        (
            "module.logs.aws_cloudwatch_log_group.main[\"apps\"].id",
            &["module.logs.aws_cloudwatch_log_group.main[\"app\"]"],
        ),
        (
            "aws_iam_role_policy_attachment.ec2.id",
            &["aws_iam_role_policy_attachment.ec2"],
        ),
    ];
    for (address, want_first) in cases {
        match state.lookup(address) {
            Err(e @ TfstateError::NotFound { .. }) => {
                let TfstateError::NotFound { hints, .. } = &e else {
                    unreachable!()
                };
                assert!(hints.len() <= MAX_HINTS, "{address}: {hints:?}");
                assert_eq!(
                    &hints[..want_first.len()],
                    *want_first,
                    "{address}: {hints:?}"
                );
                let msg = e.to_string();
                assert!(
                    msg.starts_with(&format!(
                        "{address} is not found in tfstate fixture.tfstate; did you mean: {}",
                        want_first[0]
                    )),
                    "{msg}"
                );
            }
            other => panic!("{address}: expected NotFound, got {other:?}"),
        }
    }
}

#[test]
fn far_away_addresses_get_no_hints() {
    let state = fixture();
    for address in [
        "zzzzzzzz.qqqqqqqqq",
        "aws_acm_certificate.main.zzzzzzzzzzzz",
    ] {
        match state.lookup(address) {
            Err(e @ TfstateError::NotFound { .. }) => {
                let TfstateError::NotFound { hints, .. } = &e else {
                    unreachable!()
                };
                assert!(hints.is_empty(), "{address}: {hints:?}");
                assert_eq!(
                    e.to_string(),
                    format!("{address} is not found in tfstate fixture.tfstate")
                );
            }
            other => panic!("{address}: expected NotFound, got {other:?}"),
        }
    }
}

#[test]
fn invalid_addresses_are_errors_not_misses() {
    let state = fixture();
    for address in ["", "output.", "a[\"x", "aws_subnet.sparse[]", ".output.foo"] {
        assert!(
            matches!(
                state.lookup(address),
                Err(TfstateError::InvalidAddress { .. })
            ),
            "{address}"
        );
    }
}

#[test]
fn only_version_4_is_read() {
    for (doc, want) in [
        (r#"{"version": 3, "modules": []}"#, Some(3)),
        (r#"{"version": 5, "resources": [{"weird": true}]}"#, Some(5)),
        (r#"{"resources": "not even a list", "version": 1}"#, Some(1)),
        (r#"{"version": 4}"#, None),
        (r#"{"version": 4, "resources": [], "outputs": {}}"#, None),
        (
            r#"{"version": 4, "resources": null, "outputs": null}"#,
            None,
        ),
    ] {
        match (
            TfState::from_bytes(doc.as_bytes().to_vec(), "v.tfstate"),
            want,
        ) {
            (Err(e @ TfstateError::UnsupportedVersion { version, .. }), Some(w)) => {
                assert_eq!(version, w);
                assert_eq!(
                    e.to_string(),
                    format!(
                        "unsupported state version {w} in v.tfstate: ecspress reads Terraform state format 4"
                    )
                );
            }
            (Ok(state), None) => assert!(state.list().is_empty(), "{doc}"),
            (got, _) => panic!("{doc}: got {got:?}"),
        }
    }
}

#[test]
fn not_a_state() {
    let err = TfState::from_bytes(br#"{"hello": "world"}"#.to_vec(), "x.json").unwrap_err();
    assert!(matches!(err, TfstateError::NotAState { .. }), "{err:?}");
    assert!(err.to_string().contains("x.json"), "{err}");
}

#[test]
fn documents_that_are_not_json_objects_get_a_hint() {
    for doc in [
        "this is not a state",
        "",
        "  \n",
        "[1]",
        "resource \"x\" \"y\" {}",
    ] {
        let err = TfState::from_bytes(doc.as_bytes().to_vec(), "t.tfstate").unwrap_err();
        assert!(
            err.to_string().contains("`terraform state pull`"),
            "{doc:?}: {err}"
        );
    }
    // A JSON object with a syntax error is located, without the hint.
    let err = TfState::from_bytes(b"{\"version\": 4,,}".to_vec(), "t.tfstate").unwrap_err();
    assert!(!err.to_string().contains("terraform state pull"), "{err}");
}

#[test]
fn parse_errors_carry_document_positions() {
    let cases: &[(&str, usize, usize)] = &[
        // syntax errors found by the first scan
        (
            "{\n  \"version\": 4,\n  \"outputs\": {\n    \"a\": {\"value\": 1,}\n  }\n}",
            4,
            22,
        ),
        ("<html>404</html>", 1, 1),
        ("{\"version\": 4}\ntrailing", 2, 1),
        ("", 1, 0),
        // shape errors inside a resource (typed during the scan)
        ("{\"version\": 4,\n \"resources\": [{\"mode\": 1}]}", 2, 25),
        // shape errors found when deferred parts are parsed (resources before version)
        (
            "{\"resources\": [\n {\"name\": 7}],\n \"version\": 4}",
            2,
            11,
        ),
        ("{\"resources\": [{\"name\": 7}], \"version\": 4}", 1, 25),
        // a syntax error inside a captured output is found by the first scan
        (
            "{\"version\": 4, \"outputs\": {\n  \"o\": {\"value\": 1, \"value\" 2}}}",
            2,
            29,
        ),
        // outputs of the wrong shape are found when they are indexed
        ("{\"version\": 4,\n \"outputs\": [1]}", 2, 12),
    ];
    for &(doc, line, column) in cases {
        match TfState::from_bytes(doc.as_bytes().to_vec(), "bad.tfstate") {
            Err(e @ TfstateError::Parse { .. }) => {
                let TfstateError::Parse {
                    line: l, column: c, ..
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!((*l, *c), (line, column), "{doc:?}: {e}");
                let msg = e.to_string();
                assert!(
                    msg.starts_with(&format!(
                        "invalid tfstate bad.tfstate at line {line} column {column}: "
                    )),
                    "{msg}"
                );
                assert!(!msg.ends_with(&format!("column {column}")), "{msg}");
            }
            other => panic!("{doc:?}: expected Parse, got {other:?}"),
        }
    }
}

#[test]
fn backend_pointer_is_recognised() {
    let doc = br#"{
      "version": 3,
      "serial": 1,
      "backend": {
        "type": "s3",
        "config": {"bucket": "b", "key": "app/terraform.tfstate", "region": "ap-northeast-1", "workspace_key_prefix": null},
        "hash": 1234
      },
      "modules": [{"path": ["root"], "outputs": {}, "resources": {}}]
    }"#;
    match TfState::parse_document(doc.to_vec(), "p").unwrap() {
        StateDocument::Backend(b) => {
            assert_eq!(b.backend_type, "s3");
            assert_eq!(b.config_str("bucket"), Some("b"));
            assert_eq!(b.config_str("key"), Some("app/terraform.tfstate"));
            assert_eq!(b.config_str("workspace_key_prefix"), None);
            assert_eq!(b.config_str("missing"), None);
        }
        other => panic!("{other:?}"),
    }
    let err = TfState::from_bytes(doc.to_vec(), ".terraform/terraform.tfstate").unwrap_err();
    assert!(
        err.to_string().starts_with(
            ".terraform/terraform.tfstate is a Terraform backend pointer (backend type s3)"
        ),
        "{err}"
    );
}

#[test]
fn empty_state_answers_nothing() {
    let state = TfState::empty("none");
    assert_eq!(state.source_name(), "none");
    assert!(state.list().is_empty());
    assert!(matches!(
        state.lookup("output.foo"),
        Err(TfstateError::NotFound { ref hints, .. }) if hints.is_empty()
    ));
}

#[test]
fn escaped_keys_and_module_paths_meet_typed_addresses() {
    let doc = r#"{"version": 4, "resources": [
      {"module": "module.m[\"a\\\"b\"]", "mode": "managed", "type": "t", "name": "n",
       "instances": [{"index_key": "k\u002ey", "attributes": {"id": "x"}}]}
    ]}"#;
    let state = TfState::from_bytes(doc.as_bytes().to_vec(), "e").unwrap();
    assert_eq!(state.list(), vec![r#"module.m["a\"b"].t.n["k.y"]"#]);
    assert_eq!(
        state.lookup(r#"module.m['a"b'].t.n['k.y'].id"#).unwrap(),
        json!("x")
    );
}

#[test]
fn state_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TfState>();
}

#[test]
fn concurrent_lookups_agree() {
    let state = std::sync::Arc::new(fixture());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let state = std::sync::Arc::clone(&state);
            std::thread::spawn(move || {
                for (address, want) in lookup_table() {
                    assert_eq!(state.lookup(address).ok(), want, "{address}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("lookup thread");
    }
}

#[test]
fn cache_stays_bounded() {
    // Big instances hit the byte bound, small ones the entry bound; neither may be crossed, and
    // the instance just looked up is always cached. One instance over the per-entry limit is
    // never cached.
    for (blob, n) in [
        (256 << 10, CACHE_MAX_BYTES / (256 << 10) + 10),
        (1 << 10, CACHE_MAX_ENTRIES + 10),
        (CACHE_MAX_ENTRY_BYTES + 1, 2),
    ] {
        let big = "x".repeat(blob);
        let instances: Vec<String> = (0..n)
            .map(|i| {
                format!(r#"{{"index_key": {i}, "attributes": {{"id": "{i}", "blob": "{big}"}}}}"#)
            })
            .collect();
        let doc = format!(
            r#"{{"version": 4, "resources": [{{"mode": "managed", "type": "t", "name": "n", "instances": [{}]}}]}}"#,
            instances.join(",")
        );
        let state = TfState::from_bytes(doc.into_bytes(), "big").unwrap();
        for i in 0..n {
            assert_eq!(
                state.lookup(&format!("t.n[{i}].id")).unwrap(),
                json!(i.to_string())
            );
            let cache = state.lock_cache();
            assert!(cache.bytes <= CACHE_MAX_BYTES, "{blob}: {}", cache.bytes);
            assert!(
                cache.values.len() <= CACHE_MAX_ENTRIES,
                "{blob}: {}",
                cache.values.len()
            );
            let cached = cache.values.contains_key(&(i as u32));
            assert_eq!(
                cached,
                blob <= CACHE_MAX_ENTRY_BYTES,
                "{blob}: instance {i}"
            );
        }
    }
}

#[test]
fn stray_huge_count_index_does_not_blow_up_the_parent_array() {
    let doc = r#"{"version": 4, "resources": [{"mode": "managed", "type": "t", "name": "n",
      "instances": [
        {"index_key": 0, "attributes": {"id": "zero"}},
        {"index_key": 1000000000000, "attributes": {"id": "huge"}}
      ]}]}"#;
    let state = TfState::from_bytes(doc.as_bytes().to_vec(), "h").unwrap();
    assert_eq!(state.lookup("t.n").unwrap(), json!([{"id": "zero"}]));
    assert_eq!(
        state.lookup("t.n[1000000000000].id").unwrap(),
        json!("huge")
    );
}
