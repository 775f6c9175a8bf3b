//! Jsonnet config and definition files, evaluated with jrsonnet (go-jsonnet semantics).
//!
//! # Why evaluate first and render after
//!
//! ecspresso evaluates a `.jsonnet` file, then renders the *resulting JSON text* as a template
//! (§3.1). We do the same with tera, so a Jsonnet file may hold `{{ must_env(name='TAG') }}` in a
//! string, exactly as a JSON file does. The JSON text is JSON-escaped, so tera string literals
//! inside Jsonnet strings must use single quotes (`name='TAG'`): a `"` would reach tera as `\"`.
//!
//! # Native functions (§3.3)
//!
//! `std.native('env')(name, default)`, `std.native('must_env')(name)`, and one set per plugin,
//! named with its `func_prefix`: `tfstate(addr)`, `ssm(name)`, `ssm_list(name, index)`,
//! `secretsmanager_arn(id)`. They share the tera functions' state: the same parsed tfstate and
//! the same [`AwsLookups`] cache, so a name looked up from Jsonnet and from a template costs one
//! API call. Unlike the tera functions, they return typed values: `tfstate` on a count or
//! for_each parent is an array or object, a number is a number. There is no `tfstatef` (as in
//! ecspresso): Jsonnet has `%` and `std.format`.
//!
//! # Threads
//!
//! jrsonnet's values are `Rc`/`Gc` and never leave the thread that made them: each evaluation
//! builds a fresh `EvaluationState` on tokio's blocking pool (like [`super::Engine::render`]),
//! and the AWS natives `block_on` their lookups there.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use jrsonnet_evaluator::error::{Error as JsonnetError, LocError};
use jrsonnet_evaluator::native::{NativeCallback, NativeCallbackHandler};
use jrsonnet_evaluator::{EvaluationState, FileImportResolver, IStr, ManifestFormat, Val};
use jrsonnet_gc::{Finalize, Gc, Trace, unsafe_empty_trace};
use jrsonnet_parser::{Param, ParamsDesc};

use super::format::line_snippet;
use super::lookups::AwsLookups;
use super::{EnvSource, SECRETSMANAGER_FUNCTION, SSM_FUNCTION, TemplateError, TemplateErrorKind};
use crate::aws::ParameterKind;
use crate::model::tfstate::TfState;

/// The SSM plugin's Jsonnet function for StringList parameters.
pub const SSM_LIST_FUNCTION: &str = "ssm_list";

/// Jsonnet external variables (`--ext-str K=V`, `--ext-code K=CODE`), read with
/// `std.extVar('K')`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtVars {
    /// `--ext-str`: string values.
    pub strs: Vec<(String, String)>,
    /// `--ext-code`: Jsonnet expressions, evaluated.
    pub codes: Vec<(String, String)>,
}

/// Parse `K=V` (a flag value). The value may contain `=`; the name may not be empty.
pub fn parse_ext_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

/// `.jsonnet` and `.libsonnet` files are Jsonnet.
pub fn is_jsonnet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonnet") || e.eq_ignore_ascii_case("libsonnet"))
}

/// What the native functions read: registered alongside the tera functions by
/// [`super::Engine`].
#[derive(Clone)]
pub(super) struct Natives {
    pub env: Arc<dyn EnvSource>,
    /// `(func_prefix, state)`.
    pub tfstates: Vec<(String, Arc<TfState>)>,
    /// `(func_prefix, cache)` of every SSM function set (`ssm`, `ssm_list`).
    pub ssm: Vec<(String, Arc<AwsLookups>)>,
    /// `(func_prefix, cache)` of every Secrets Manager function set.
    pub secrets: Vec<(String, Arc<AwsLookups>)>,
    /// `--ext-str` / `--ext-code`.
    pub ext: ExtVars,
}

impl Natives {
    pub fn new(env: Arc<dyn EnvSource>) -> Self {
        Natives {
            env,
            tfstates: Vec::new(),
            ssm: Vec::new(),
            secrets: Vec::new(),
            ext: ExtVars::default(),
        }
    }

    /// Every native function: `(name, parameter names, behaviour)`.
    fn functions(&self) -> Vec<(String, &'static [&'static str], Native)> {
        let mut out: Vec<(String, &'static [&'static str], Native)> = vec![
            ("env".into(), &["name", "default"], Native::Env),
            ("must_env".into(), &["name"], Native::MustEnv),
        ];
        for (prefix, state) in &self.tfstates {
            out.push((
                format!("{prefix}tfstate"),
                &["addr"],
                Native::Tfstate(Arc::clone(state)),
            ));
        }
        for (prefix, lookups) in &self.ssm {
            out.push((
                format!("{prefix}{SSM_FUNCTION}"),
                &["name"],
                Native::Ssm(Arc::clone(lookups)),
            ));
            out.push((
                format!("{prefix}{SSM_LIST_FUNCTION}"),
                &["name", "index"],
                Native::SsmList(Arc::clone(lookups)),
            ));
        }
        for (prefix, lookups) in &self.secrets {
            out.push((
                format!("{prefix}{SECRETSMANAGER_FUNCTION}"),
                &["id"],
                Native::SecretArn(Arc::clone(lookups)),
            ));
        }
        out
    }
}

/// One native function's behaviour.
#[derive(Clone)]
enum Native {
    Env,
    MustEnv,
    Tfstate(Arc<TfState>),
    Ssm(Arc<AwsLookups>),
    SsmList(Arc<AwsLookups>),
    SecretArn(Arc<AwsLookups>),
}

/// A registered native function.
struct Handler {
    name: String,
    params: &'static [&'static str],
    native: Native,
    env: Arc<dyn EnvSource>,
}

impl Finalize for Handler {}

// SAFETY: a Handler holds no `Gc` pointers (only `Arc`s to plain Rust data), so there is nothing
// for the collector to trace or root; this is what `unsafe_empty_trace!` is for.
unsafe impl Trace for Handler {
    unsafe_empty_trace!();
}

impl NativeCallbackHandler for Handler {
    fn call(
        &self,
        _from: Option<Rc<Path>>,
        args: &[Val],
    ) -> jrsonnet_evaluator::error::Result<Val> {
        self.invoke(args)
            .map_err(|m| LocError::new(JsonnetError::RuntimeError(m.into())))
    }
}

impl Handler {
    /// Argument `i` as a string; the error names the function and the parameter.
    fn str_arg(&self, args: &[Val], i: usize) -> Result<String, String> {
        match args.get(i) {
            Some(Val::Str(s)) => Ok(s.to_string()),
            Some(other) => Err(format!(
                "{}: argument `{}` must be a string, got {}",
                self.name,
                self.params[i],
                other.value_type()
            )),
            None => Err(format!(
                "{}: argument `{}` is missing",
                self.name, self.params[i]
            )),
        }
    }

    fn invoke(&self, args: &[Val]) -> Result<Val, String> {
        let n = &self.name;
        match &self.native {
            Native::Env => {
                let name = self.str_arg(args, 0)?;
                let default = self.str_arg(args, 1)?;
                // As the tera `env`: an empty value counts as unset.
                let value = self.env.var(&name).filter(|v| !v.is_empty());
                Ok(Val::Str(value.unwrap_or(default).into()))
            }
            Native::MustEnv => {
                let name = self.str_arg(args, 0)?;
                self.env
                    .var(&name)
                    .map(|v| Val::Str(v.into()))
                    .ok_or_else(|| format!("{n}('{name}'): environment variable {name} is not set"))
            }
            Native::Tfstate(state) => {
                let addr = self.str_arg(args, 0)?;
                state
                    .lookup(&addr)
                    .map(|v| Val::from(&v))
                    .map_err(|e| format!("{n}('{addr}'): {e}"))
            }
            Native::Ssm(lookups) => {
                let name = self.str_arg(args, 0)?;
                let p = block_on(lookups.parameter(&name))
                    .map_err(|e| format!("{n}('{name}'): {e}"))?
                    .map_err(|e| format!("{n}('{name}'): {e}"))?;
                if p.kind == ParameterKind::StringList {
                    return Err(format!(
                        "{n}('{name}'): the parameter is a StringList; use {}(name, index)",
                        n.strip_suffix(SSM_FUNCTION)
                            .map(|prefix| format!("{prefix}{SSM_LIST_FUNCTION}"))
                            .unwrap_or_else(|| SSM_LIST_FUNCTION.to_owned())
                    ));
                }
                Ok(Val::Str(p.value.into()))
            }
            Native::SsmList(lookups) => {
                let name = self.str_arg(args, 0)?;
                let index = match args.get(1) {
                    Some(Val::Num(f)) if f.fract() == 0.0 && *f >= 0.0 => *f as usize,
                    Some(other) => {
                        return Err(format!(
                            "{n}('{name}'): argument `index` must be a non-negative integer, got {}",
                            match other {
                                Val::Num(f) => f.to_string(),
                                v => v.value_type().to_string(),
                            }
                        ));
                    }
                    None => return Err(format!("{n}('{name}'): argument `index` is missing")),
                };
                let p = block_on(lookups.parameter(&name))
                    .map_err(|e| format!("{n}('{name}'): {e}"))?
                    .map_err(|e| format!("{n}('{name}'): {e}"))?;
                if p.kind != ParameterKind::StringList {
                    return Err(format!(
                        "{n}('{name}', {index}): the parameter is a {:?}, not a StringList",
                        p.kind
                    ));
                }
                let items: Vec<&str> = p.value.split(',').collect();
                items
                    .get(index)
                    .map(|s| Val::Str((*s).into()))
                    .ok_or_else(|| {
                        format!(
                            "{n}('{name}', {index}): index out of range ({} elements)",
                            items.len()
                        )
                    })
            }
            Native::SecretArn(lookups) => {
                let id = self.str_arg(args, 0)?;
                block_on(lookups.secret_arn(&id))
                    .map_err(|e| format!("{n}('{id}'): {e}"))?
                    .map(|arn| Val::Str(arn.into()))
                    .map_err(|e| format!("{n}('{id}'): {e}"))
            }
        }
    }
}

/// Run an AWS lookup from a native function (on the blocking pool, see the module docs).
fn block_on<F: std::future::Future>(fut: F) -> Result<F::Output, String> {
    tokio::runtime::Handle::try_current()
        .map(|handle| handle.block_on(fut))
        .map_err(|_| "no async runtime to call AWS from".to_owned())
}

/// Where a file is evaluated from and how it is named in messages.
#[derive(Debug, Clone)]
pub(super) struct Source {
    /// The file (absolute, so imports resolve next to it).
    pub path: PathBuf,
    /// Its display name (messages).
    pub display: String,
    /// Its text.
    pub text: String,
    /// Other files are shown relative to this directory (the current directory).
    pub cwd: PathBuf,
}

/// What to produce from the file's value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Output<'a> {
    /// The whole value, as pretty JSON text.
    Whole,
    /// Only these top-level fields, as a JSON object text: `required` fields must evaluate,
    /// `optional` ones that fail are left out. Jsonnet is lazy: fields not asked for are never
    /// evaluated (config pass 1, §2.2).
    Fields {
        required: &'a [&'a str],
        optional: &'a [&'a str],
    },
    /// `{"keys": [every top-level field], "fields": {the given fields that evaluate}}`
    /// (`ecspress migrate`, which must not call AWS).
    Outline(&'a [&'a str]),
}

/// Evaluate `source` to JSON text. Synchronous: call it on the blocking pool.
pub(super) fn evaluate(
    natives: &Natives,
    source: &Source,
    output: Output<'_>,
) -> Result<String, TemplateError> {
    let state = EvaluationState::default();
    state.with_stdlib();
    state.set_import_resolver(Box::new(FileImportResolver::default()));
    state.set_manifest_format(ManifestFormat::Json(2));
    let functions = natives.functions();
    let names: Vec<String> = functions.iter().map(|(n, _, _)| n.clone()).collect();
    let located = |e: LocError| to_template_error(&state, &e, source, &names);
    for (name, value) in &natives.ext.strs {
        state.add_ext_str(name.as_str().into(), value.as_str().into());
    }
    for (name, code) in &natives.ext.codes {
        state
            .add_ext_code(name.as_str().into(), code.as_str().into())
            .map_err(located)?;
    }
    for (name, params, native) in functions {
        let desc = ParamsDesc(Rc::new(
            params.iter().map(|p| Param((*p).into(), None)).collect(),
        ));
        let handler = Handler {
            name: name.clone(),
            params,
            native,
            env: Arc::clone(&natives.env),
        };
        state.add_native(
            name.as_str().into(),
            Gc::new(NativeCallback::new(desc, Box::new(handler))),
        );
    }
    let path: Rc<Path> = source.path.clone().into();
    let value = state
        .evaluate_snippet_raw(path, source.text.as_str().into())
        .map_err(located)?;
    match output {
        Output::Whole => Ok(state.manifest(value).map_err(located)?.to_string()),
        Output::Outline(names) => {
            let Val::Obj(obj) = &value else {
                return Err(not_an_object(source, &value));
            };
            let keys: Vec<String> = obj.fields().iter().map(|k| k.to_string()).collect();
            let mut fields = Vec::new();
            for name in names {
                let key: IStr = (*name).into();
                let manifested = state.run_in_state(|| {
                    obj.get(key)
                        .and_then(|v| v.map(|v| state.manifest(v)).transpose())
                });
                if let Ok(Some(text)) = manifested {
                    fields.push(format!(
                        "{}: {}",
                        serde_json::Value::String((*name).to_owned()),
                        text
                    ));
                }
            }
            Ok(format!(
                "{{\"keys\": {}, \"fields\": {{\n{}\n}}}}",
                serde_json::Value::from(keys),
                fields.join(",\n")
            ))
        }
        Output::Fields { required, optional } => {
            let Val::Obj(obj) = &value else {
                return Err(not_an_object(source, &value));
            };
            let mut fields = Vec::new();
            for (name, must) in required
                .iter()
                .map(|n| (n, true))
                .chain(optional.iter().map(|n| (n, false)))
            {
                let key: IStr = (*name).into();
                let manifested = state.run_in_state(|| {
                    obj.get(key)
                        .and_then(|v| v.map(|v| state.manifest(v)).transpose())
                });
                match manifested {
                    Ok(Some(text)) => fields.push(format!(
                        "{}: {}",
                        serde_json::Value::String((*name).to_owned()),
                        text
                    )),
                    Ok(None) => {}
                    Err(e) if must => {
                        let mut err = located(e);
                        err.message = format!("`{name}`: {}", err.message);
                        return Err(err);
                    }
                    Err(_) => {}
                }
            }
            Ok(format!("{{\n{}\n}}", fields.join(",\n")))
        }
    }
}

fn not_an_object(source: &Source, value: &Val) -> TemplateError {
    TemplateError::whole_file(
        &source.display,
        TemplateErrorKind::Format,
        format!(
            "a config must evaluate to an object, got {}",
            value.value_type()
        ),
    )
}

/// The byte offset of the first `std.{function}('name')` (or `"name"`, or without `std.`) in
/// `text`.
fn find_call(text: &str, function: &str, name: &str) -> Option<usize> {
    ['\'', '"']
        .iter()
        .filter_map(|q| text.find(&format!("{function}({q}{name}{q})")))
        .min()
        .map(|at| {
            if text[..at].ends_with("std.") {
                at - 4
            } else {
                at
            }
        })
}

/// 1-based `(line, column)` of byte `offset` in `text` (columns count characters).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// A jrsonnet error as a [`TemplateError`] at the innermost located frame. `natives` are the
/// native functions that exist, for "native is not defined".
fn to_template_error(
    state: &EvaluationState,
    err: &LocError,
    source: &Source,
    natives: &[String],
) -> TemplateError {
    let display = |p: &Path| -> String {
        if p == source.path {
            return source.display.clone();
        }
        let p: PathBuf = p.components().collect();
        p.strip_prefix(&source.cwd)
            .unwrap_or(&p)
            .display()
            .to_string()
    };
    if let JsonnetError::ImportSyntaxError {
        path,
        source_code,
        error,
    } = err.error()
    {
        let (line, column) = (error.location.line, error.location.column);
        return TemplateError {
            file: display(path),
            line: Some(line),
            column: Some(column),
            kind: TemplateErrorKind::Syntax,
            message: format!("Jsonnet syntax error: expected {}", error.expected),
            snippet: line_snippet(source_code, line, column),
        };
    }
    let mut message = match err.error() {
        JsonnetError::RuntimeError(m) => m.to_string(),
        JsonnetError::UndefinedExternalFunction(_) => format!(
            "{}; native functions here: {} (plugin functions exist once `plugins` is read, \
             named with their func_prefix)",
            err.error(),
            natives.join(", ")
        ),
        other => other.to_string(),
    };
    let frame = err.trace().0.iter().find_map(|f| f.location.as_ref());
    let Some(loc) = frame else {
        // jrsonnet keeps no location for some calls (`std.native(..)` itself): say where in
        // the value it happened instead.
        let path: Vec<&str> = err
            .trace()
            .0
            .iter()
            .rev()
            .filter_map(|f| f.desc.strip_prefix("field <")?.split('>').next())
            .collect();
        if !path.is_empty() {
            message.push_str(&format!(" (in field {})", path.join(".")));
        }
        // For an undefined ext var or native, the call naming it in the file is the spot.
        let call = match err.error() {
            JsonnetError::UndefinedExternalVariable(name) => {
                find_call(&source.text, "extVar", name)
            }
            JsonnetError::UndefinedExternalFunction(name) => {
                find_call(&source.text, "native", name)
            }
            _ => None,
        };
        let Some(offset) = call else {
            return TemplateError::whole_file(&source.display, TemplateErrorKind::Render, message);
        };
        let (line, column) = line_col(&source.text, offset);
        return TemplateError {
            file: source.display.clone(),
            line: Some(line),
            column: Some(column),
            kind: TemplateErrorKind::Render,
            message,
            snippet: line_snippet(&source.text, line, column),
        };
    };
    let file_text = state.get_source(&loc.0);
    let (line, column) = file_text.as_ref().map(|t| line_col(t, loc.1)).unzip();
    TemplateError {
        file: display(&loc.0),
        line,
        column,
        kind: TemplateErrorKind::Render,
        message,
        snippet: file_text
            .as_ref()
            .zip(line.zip(column))
            .and_then(|(t, (l, c))| line_snippet(t, l, c)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::template::testing::env_of;

    fn natives(env: &[(&str, &str)]) -> Natives {
        Natives::new(Arc::new(env_of(env)))
    }

    fn source(dir: &Path, name: &str, text: &str) -> Source {
        Source {
            path: dir.join(name),
            display: name.to_owned(),
            text: text.to_owned(),
            cwd: dir.to_path_buf(),
        }
    }

    fn eval(n: &Natives, text: &str) -> Result<Value, TemplateError> {
        let dir = tempfile::tempdir().unwrap();
        let json = evaluate(n, &source(dir.path(), "t.jsonnet", text), Output::Whole)?;
        Ok(serde_json::from_str(&json).unwrap())
    }

    fn tfstate() -> Arc<TfState> {
        let doc = json!({
            "version": 4,
            "outputs": {"port": {"value": 8080}},
            "resources": [
                {"mode": "managed", "type": "aws_subnet", "name": "private", "each": "list",
                 "instances": [
                    {"index_key": 0, "attributes": {"id": "subnet-a"}},
                    {"index_key": 1, "attributes": {"id": "subnet-b"}}
                 ]},
                {"mode": "managed", "type": "aws_vpc", "name": "main",
                 "instances": [{"attributes": {"id": "vpc-1", "tags": {"Name": "main"}}}]}
            ]
        });
        Arc::new(TfState::from_bytes(doc.to_string().into_bytes(), "test.tfstate").unwrap())
    }

    #[test]
    fn ext_var_pairs() {
        let cases = [
            ("A=b", Ok(("A", "b"))),
            ("A=b=c", Ok(("A", "b=c"))),
            ("A=", Ok(("A", ""))),
            ("=b", Err(())),
            ("A", Err(())),
        ];
        for (input, want) in cases {
            let got = parse_ext_var(input);
            match want {
                Ok((k, v)) => assert_eq!(got, Ok((k.to_owned(), v.to_owned())), "{input}"),
                Err(()) => assert!(got.is_err(), "{input}"),
            }
        }
    }

    #[test]
    fn env_natives_and_ext_vars() {
        let mut n = natives(&[("TAG", "v1"), ("EMPTY", "")]);
        n.ext = ExtVars {
            strs: vec![("stage".into(), "prod".into())],
            codes: vec![("replicas".into(), "1 + 2".into())],
        };
        let got = eval(
            &n,
            r#"local env = std.native('env'); local must_env = std.native('must_env');
            { tag: env('TAG', 'x'), unset: env('NOPE', 'dflt'), empty: env('EMPTY', 'd'),
              must: must_env('TAG'), empty_must: must_env('EMPTY'),
              stage: std.extVar('stage'), replicas: std.extVar('replicas') }"#,
        )
        .unwrap();
        assert_eq!(
            got,
            json!({"tag": "v1", "unset": "dflt", "empty": "d", "must": "v1", "empty_must": "",
                   "stage": "prod", "replicas": 3})
        );
    }

    #[test]
    fn tfstate_values_are_typed() {
        let mut n = natives(&[]);
        n.tfstates = vec![(String::new(), tfstate()), ("vpc_".into(), tfstate())];
        let got = eval(
            &n,
            r#"local tfstate = std.native('tfstate');
            { subnets: [s.id for s in tfstate('aws_subnet.private')],
              first: tfstate('aws_subnet.private[0].id'),
              port: tfstate('output.port') + 1,
              tags: tfstate('aws_vpc.main.tags'),
              prefixed: std.native('vpc_tfstate')('aws_vpc.main.id') }"#,
        )
        .unwrap();
        assert_eq!(
            got,
            json!({"subnets": ["subnet-a", "subnet-b"], "first": "subnet-a", "port": 8081,
                   "tags": {"Name": "main"}, "prefixed": "vpc-1"})
        );
    }

    #[test]
    fn errors_are_located_and_name_the_function() {
        let mut n = natives(&[]);
        n.tfstates = vec![(String::new(), tfstate())];
        let cases: [(&str, usize, usize, &str); 5] = [
            ("{\n  a: 1,\n  b: ,\n}", 3, 6, "Jsonnet syntax error"),
            (
                "{\n  a: std.native('tfstate')('aws_vpc.nope'),\n}",
                2,
                6,
                "tfstate('aws_vpc.nope')",
            ),
            (
                "{\n  a: std.native('must_env')('NOPE'),\n}",
                2,
                6,
                "must_env('NOPE'): environment variable NOPE is not set",
            ),
            (
                "{ a: std.native('tfstate')(1) }",
                1,
                6,
                "tfstate: argument `addr` must be a string",
            ),
            ("{\n a: error 'boom' }", 2, 5, "boom"),
        ];
        for (text, line, column, message) in cases {
            let err = eval(&n, text).unwrap_err();
            assert_eq!(err.file, "t.jsonnet", "{text}");
            assert_eq!(
                (err.line, err.column),
                (Some(line), Some(column)),
                "{text}: {err}"
            );
            assert!(err.message.contains(message), "{text}: {err}");
            assert!(err.snippet.is_some(), "{text}");
        }
    }

    #[test]
    fn imports_are_relative_to_the_file_and_errors_name_the_imported_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("defs/lib")).unwrap();
        std::fs::write(
            dir.path().join("defs/lib/common.libsonnet"),
            "{ cpu: '256' }",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("defs/lib/bad.libsonnet"),
            "{\n x: error 'in lib' }",
        )
        .unwrap();
        let n = natives(&[]);
        let mut src = source(
            dir.path(),
            "defs/task.jsonnet",
            "local c = import 'lib/common.libsonnet'; c { memory: '512' }",
        );
        let json = evaluate(&n, &src, Output::Whole).unwrap();
        let got: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(got, json!({"cpu": "256", "memory": "512"}));

        src.text = "(import 'lib/bad.libsonnet') + { y: 1 }".into();
        let err = evaluate(&n, &src, Output::Whole).unwrap_err();
        assert_eq!(err.file, "defs/lib/bad.libsonnet", "{err}");
        assert_eq!(err.line, Some(2), "{err}");
    }

    #[test]
    fn fields_output_is_lazy() {
        // A plugin native that does not exist yet (pass 1) is never reached outside the
        // requested fields; an optional field that fails is left out.
        let n = natives(&[("STAGE", "dev")]);
        let dir = tempfile::tempdir().unwrap();
        let src = source(
            dir.path(),
            "ecspress.jsonnet",
            r#"local tfstate = std.native('tfstate');
            { region: tfstate('output.region'),
              plugins: [{ name: 'tfstate', config: { path: std.native('env')('STAGE', '') + '.tfstate' } }],
              cluster: tfstate('aws_ecs_cluster.main.name') }"#,
        );
        let fields = Output::Fields {
            required: &["plugins"],
            optional: &["region", "required_version"],
        };
        let text = evaluate(&n, &src, fields).unwrap();
        let got: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            got,
            json!({"plugins": [{"name": "tfstate", "config": {"path": "dev.tfstate"}}]})
        );

        let bad = Source {
            text: "{ plugins: std.native('tfstate')('x') }".into(),
            ..src
        };
        let err = evaluate(&n, &bad, fields).unwrap_err();
        assert!(
            err.message.contains("native is not defined: tfstate"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn aws_natives_check_their_arguments_and_share_the_cache() {
        use crate::template::Engine;
        use crate::template::testing::Fakes;
        let fakes = Fakes::standard();
        let lookups = Arc::new(AwsLookups::new(&fakes.clients()));
        let mut engine = Engine::new(Arc::new(env_of(&[])));
        engine.register_ssm("", Arc::clone(&lookups));
        engine.register_ssm("p_", Arc::clone(&lookups));
        engine.register_secretsmanager("", lookups);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.jsonnet");
        let eval = |text: &str| {
            engine.evaluate_jsonnet(&file, "t.jsonnet", text.to_owned(), dir.path(), None)
        };
        let ok = eval(
            "{ a: std.native('ssm')('/app/db/host'), b: std.native('p_ssm')('/app/db/host'), \
             c: std.native('p_ssm_list')('/app/hosts', 0), \
             d: std.native('secretsmanager_arn')('app/db') }",
        )
        .await
        .unwrap();
        let v: Value = serde_json::from_str(&ok).unwrap();
        assert_eq!(v["a"], "db.internal");
        assert_eq!(v["b"], "db.internal");
        assert_eq!(v["c"], "a.internal");
        assert!(v["d"].as_str().unwrap().ends_with(":secret:app/db-AbCdEf"));
        assert_eq!(fakes.ssm.calls(), 2, "one call per name, across prefixes");

        let cases = [
            (
                "std.native('p_ssm')('/app/hosts')",
                "p_ssm('/app/hosts'): the parameter is a StringList; use p_ssm_list(name, index)",
            ),
            (
                "std.native('ssm_list')('/app/db/host', 0)",
                "ssm_list('/app/db/host', 0): the parameter is a String, not a StringList",
            ),
            (
                "std.native('ssm_list')('/app/hosts', 2)",
                "ssm_list('/app/hosts', 2): index out of range (2 elements)",
            ),
            (
                "std.native('ssm_list')('/app/hosts', 0.5)",
                "ssm_list('/app/hosts'): argument `index` must be a non-negative integer, got 0.5",
            ),
            (
                "std.native('secretsmanager_arn')('nope')",
                "secretsmanager_arn('nope'): ",
            ),
        ];
        for (expr, want) in cases {
            let err = eval(&format!("{{\n  x: {expr},\n}}")).await.unwrap_err();
            assert!(err.message.starts_with(want), "{expr}: {err}");
            assert_eq!((err.line, err.column), (Some(2), Some(6)), "{expr}: {err}");
        }
    }

    #[test]
    fn ext_code_errors_are_reported() {
        let mut n = natives(&[]);
        n.ext.codes = vec![("x".into(), "{".into())];
        let err = eval(&n, "{}").unwrap_err();
        assert!(err.message.contains("syntax error"), "{err}");
        assert!(err.file.contains("ext_code x"), "{err}");
    }
}
