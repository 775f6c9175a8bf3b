//! Entry points for the cargo-fuzz targets under `fuzz/` (not a public API: hidden from the
//! docs, may change at any time).
//!
//! # Why a facade in the crate
//!
//! The targets exercise crate-private pieces (the address grammar's canonical form) and check
//! invariants that need them, and the template engine needs a runtime and AWS stores that
//! always fail. Keeping that wiring here means the targets are a few lines each and the
//! invariants are compiled (and type-checked) with the crate.
//!
//! Every function takes arbitrary input. An input the user could have written wrongly is
//! `Ok(())` (the error is the expected answer); `Err` describes a broken invariant, which the
//! fuzz target turns into a crash. A panic anywhere below is a crash as well.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

use crate::aws::{AwsError, AwsErrorKind, AwsResult, Parameter, ParameterStore, SecretStore};
use crate::config;
use crate::model::diff::diff;
use crate::model::normalize::{NormalizeOptions, service_for_diff, task_definition_for_diff};
use crate::model::tfstate::address::Address;
use crate::model::tfstate::{StateDocument, TfState, format_address};
use crate::template::{AwsLookups, Engine, FileFormat, parse_rendered, plugin_function_calls};

/// A small state the render target's `tfstate` / `tfstatef` functions read.
const STATE: &str = r#"{
  "version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "fuzz",
  "outputs": { "vpc_id": { "value": "vpc-1", "type": "string" },
               "ports": { "value": [80, 443], "type": ["list", "number"] } },
  "resources": [
    { "mode": "managed", "type": "aws_subnet", "name": "private",
      "instances": [
        { "index_key": 0, "attributes": { "id": "subnet-a", "tags": { "Name": "a" } } },
        { "index_key": 1, "attributes": { "id": "subnet-b", "tags": { "Name": "b" } } } ] },
    { "module": "module.app[\"web\"]", "mode": "data", "type": "aws_iam_role", "name": "task",
      "instances": [ { "attributes": { "arn": "arn:aws:iam::123456789012:role/task" } } ] }
  ]
}"#;

/// Load `data` as a state document, list it and look up every listed address, then look up
/// each line after the first NUL byte (the fuzzer's addresses).
///
/// Invariants: every address [`TfState::list`] returns looks up, and is already canonical.
pub fn tfstate(data: &[u8]) -> Result<(), String> {
    let (doc, addresses) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let state = match TfState::parse_document(doc.to_vec(), "fuzz.tfstate") {
        Ok(StateDocument::State(state)) => state,
        Ok(StateDocument::Backend(pointer)) => {
            let _ = pointer.config_str("bucket");
            return Ok(());
        }
        Err(_) => return Ok(()),
    };
    for listed in state.list() {
        if let Err(e) = state.lookup(&listed) {
            return Err(format!("listed address {listed:?} does not look up: {e}"));
        }
        match Address::parse(&listed) {
            Ok(a) if a.canonical == listed => {}
            Ok(a) => {
                return Err(format!(
                    "listed address {listed:?} is not canonical ({:?})",
                    a.canonical
                ));
            }
            Err(e) => return Err(format!("listed address {listed:?} does not parse: {e}")),
        }
    }
    for line in String::from_utf8_lossy(addresses).lines() {
        let _ = state.lookup(line);
    }
    Ok(())
}

/// Parse `text` as a lookup address, and as a `tfstatef` format with a few arguments.
///
/// Invariant: the canonical spelling of a parsed address parses to the same segments.
pub fn address(text: &str) -> Result<(), String> {
    if let Ok(a) = Address::parse(text) {
        match Address::parse(&a.canonical) {
            Ok(b) if b.segments == a.segments && b.canonical == a.canonical => {}
            Ok(b) => {
                return Err(format!(
                    "{text:?}: canonical {:?} parses to {:?}, not {:?}",
                    a.canonical, b.segments, a.segments
                ));
            }
            Err(e) => {
                return Err(format!(
                    "{text:?}: canonical {:?} does not parse: {e}",
                    a.canonical
                ));
            }
        }
    }
    let args = [
        json!("a.b"),
        json!(1),
        json!(2.0),
        json!(["x", {"y": null}]),
    ];
    for n in 0..=args.len() {
        let _ = format_address(text, &args[..n]);
    }
    Ok(())
}

/// SSM and Secrets Manager for the render target: every call fails, as with no credentials.
struct Offline;

fn offline(operation: &'static str, target: &str) -> AwsError {
    AwsError {
        kind: AwsErrorKind::Transport,
        operation,
        target: target.to_owned(),
        code: None,
        message: "the fuzz harness has no AWS".into(),
        request_id: None,
    }
}

#[async_trait::async_trait]
impl ParameterStore for Offline {
    async fn get_parameter(&self, name: &str) -> AwsResult<Parameter> {
        Err(offline("GetParameter", name))
    }
}

#[async_trait::async_trait]
impl SecretStore for Offline {
    async fn secret_arn(&self, id: &str) -> AwsResult<String> {
        Err(offline("DescribeSecret", id))
    }
}

fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start a tokio runtime: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The render target's engine: `env` over a fixed map, `tfstate`/`tfstatef` and
/// `net_tfstate`/`net_tfstatef` over [`STATE`], `ssm` and `secretsmanager_arn` that fail.
fn engine() -> Result<&'static Engine, String> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let env: HashMap<String, String> = [("TAG", "v1"), ("ENV", "prod"), ("EMPTY", "")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let mut engine = Engine::new(Arc::new(env));
            let state = TfState::from_bytes(STATE.as_bytes().to_vec(), "fuzz.tfstate")
                .map_err(|e| format!("the harness state does not load: {e}"))?;
            let state = Arc::new(state);
            engine.register_tfstate("", Arc::clone(&state));
            engine.register_tfstate("net_", state);
            let lookups = Arc::new(AwsLookups::from_stores(
                Arc::new(Offline),
                Arc::new(Offline),
            ));
            engine.register_ssm("", Arc::clone(&lookups));
            engine.register_secretsmanager("", lookups);
            Ok(engine)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Render `text` as a definition template, then parse the result as JSON and as YAML.
pub fn render(text: &str) -> Result<(), String> {
    let _ = plugin_function_calls(text);
    let engine = engine()?;
    let rendered = runtime()?.block_on(engine.render("fuzz.json", text.to_owned()));
    if let Ok(rendered) = rendered {
        let _ = parse_rendered(&rendered, FileFormat::Json, "fuzz.json");
        let _ = parse_rendered(&rendered, FileFormat::Yaml, "fuzz.yaml");
    }
    Ok(())
}

/// Load rendered config text: the first byte picks the format (even: YAML, odd: JSON), the
/// rest is the text; then pass 1 ([`config::preflight`]) and pass 2 ([`config::decode`]).
pub fn config(data: &[u8]) -> Result<(), String> {
    let Some((&selector, rest)) = data.split_first() else {
        return Ok(());
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return Ok(());
    };
    let file = if selector % 2 == 0 {
        Path::new("ecspress.yml")
    } else {
        Path::new("ecspress.json")
    };
    let Ok(value) = config::parse_text(text, file) else {
        return Ok(());
    };
    let _ = config::preflight(&value, &value, file, text);
    let _ = config::decode(&value, file, Path::new("/fuzz"), text);
    Ok(())
}

/// Normalise and diff the first two JSON values in `data` (a missing second value is `{}`), as
/// task definitions and as services.
///
/// Invariants: normalising is idempotent; a value diffed with itself has no changes and no
/// unified text; two normalised values differ exactly when their diff has changes.
pub fn normalize_diff(data: &[u8]) -> Result<(), String> {
    let mut values = serde_json::Deserializer::from_slice(data).into_iter::<Value>();
    let Some(Ok(a)) = values.next() else {
        return Ok(());
    };
    let b = match values.next() {
        Some(Ok(b)) => b,
        Some(Err(_)) => return Ok(()),
        None => json!({}),
    };
    let tags = ["ignored".to_owned()];
    let td_opts = NormalizeOptions::new(&tags);
    let svc_opts = NormalizeOptions::new(&tags).for_service_pair(Some(&a), &b);
    type Normaliser = fn(&Value, &NormalizeOptions) -> Value;
    let normalisers: [(&str, Normaliser, &NormalizeOptions); 2] = [
        ("task definition", task_definition_for_diff, &td_opts),
        ("service", service_for_diff, &svc_opts),
    ];
    for (what, normalise, opts) in normalisers {
        let na = normalise(&a, opts);
        let nb = normalise(&b, opts);
        for n in [&na, &nb] {
            let again = normalise(n, opts);
            if &again != n {
                return Err(format!(
                    "{what}: normalising is not idempotent: {n} became {again}"
                ));
            }
            let same = diff(Some(n), n, "a", "a");
            if same.has_changes() || !same.unified.is_empty() {
                return Err(format!("{what}: {n} differs from itself: {same:?}"));
            }
        }
        let d = diff(Some(&na), &nb, "remote", "local");
        if d.has_changes() != (na != nb) {
            return Err(format!(
                "{what}: {na} vs {nb}: has_changes() is {} but the values are {}",
                d.has_changes(),
                if na == nb { "equal" } else { "different" }
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed seeds (fuzz/seeds/<target>) pass every invariant, so the harness and the
    /// invariants are checked by `cargo test` too, without cargo-fuzz or nightly.
    #[test]
    fn seeds_keep_every_invariant() {
        type Target = fn(&[u8]) -> Result<(), String>;
        let targets: [(&str, Target); 5] = [
            ("tfstate", tfstate),
            ("address", |d| address(&String::from_utf8_lossy(d))),
            ("render", |d| render(&String::from_utf8_lossy(d))),
            ("config", config),
            ("normalize_diff", normalize_diff),
        ];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
        for (name, target) in targets {
            let mut seen = 0;
            for entry in std::fs::read_dir(root.join(name)).unwrap() {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                target(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                seen += 1;
            }
            assert!(seen > 0, "no seeds for {name}");
        }
    }

    /// The harness state loads and the render target's functions answer.
    #[test]
    fn render_harness_functions_work_and_aws_fails_cleanly() {
        let engine = engine().unwrap();
        let rt = runtime().unwrap();
        let ok = rt
            .block_on(
                engine.render(
                    "t.json",
                    "{{ env(name='TAG') }} {{ tfstate(addr='aws_subnet.private[1].id') }} \
                 {{ net_tfstatef(fmt='output.%s', args=['vpc_id']) }}"
                        .into(),
                ),
            )
            .unwrap();
        assert_eq!(ok, "v1 subnet-b vpc-1");
        for call in ["{{ ssm(name='/x') }}", "{{ secretsmanager_arn(id='s') }}"] {
            let err = rt
                .block_on(engine.render("t.json", call.into()))
                .unwrap_err();
            assert!(err.message.contains("no AWS"), "{call}: {err}");
        }
    }
}
