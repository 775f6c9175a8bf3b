//! The tera engine that renders `ecspress.yml` and the definition files, and its functions.
//!
//! # Why tera 2 and how it is wired
//!
//! ecspresso uses Go text/template; we use tera 2 because its render errors carry the template
//! name, line, column and a snippet even when the error comes from one of *our* functions (the
//! VM turns a function's `Err` into a `RenderingError` at the call's span, though it keeps only
//! the error's `Display`; checked in `tests::tfstate_functions` and friends). Templates are
//! registered under the file's display path, so every message points at the user's file.
//! Definition files also accept YAML and JSON comments (see [`format`]), and Jsonnet: evaluated
//! first, with native functions sharing this engine's state, then rendered (see [`jsonnet`]).
//!
//! Functions (tera named arguments):
//!
//! - `env(name=, default=)`, `must_env(name=)` and the `json_escape` filter: always available;
//!   the environment is injectable ([`EnvSource`]) so tests never mutate the process env;
//! - `tfstate(addr=)`, `tfstatef(fmt=, args=[..])`: one pair per tfstate plugin, named with the
//!   plugin's `func_prefix` (`network_tfstate`); non-string values render as compact JSON text;
//! - `ssm(name=, index=)` and `secretsmanager_arn(id=)`: looked up through [`AwsLookups`], which
//!   caches each name once per run across every template and both config passes.
//!
//! # Async lookups from sync functions
//!
//! tera functions are synchronous. [`Engine::render`] runs the whole render on tokio's blocking
//! pool (`spawn_blocking`), and the AWS functions call `Handle::block_on` there, which is legal
//! on a blocking-pool thread and leaves the runtime's workers free to drive the request (tested
//! on the current-thread runtime and on a one-worker multi-thread runtime). There is no
//! synchronous render entry point, so a function can never block a runtime worker.

mod format;
mod functions;
mod jsonnet;
mod lookups;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::model::tfstate::TfState;

pub use format::{DefinitionKind, FileFormat, parse_rendered, strip_json_comments};
pub use jsonnet::{ExtVars, SSM_LIST_FUNCTION, is_jsonnet, parse_ext_var};
pub use lookups::AwsLookups;

/// Where `env` and `must_env` read variables from.
pub trait EnvSource: Send + Sync {
    /// The variable's value, `None` when unset (or not valid UTF-8).
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl EnvSource for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Variables that win over another source: the ChatOps server passes a request's image tag this
/// way, because it serves several requests at once and must never set the process environment.
#[derive(Clone)]
pub struct OverlayEnv {
    /// Consulted first.
    pub overlay: HashMap<String, String>,
    /// Consulted when the overlay does not have the name.
    pub base: Arc<dyn EnvSource>,
}

impl EnvSource for OverlayEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.overlay
            .get(name)
            .cloned()
            .or_else(|| self.base.var(name))
    }
}

/// What went wrong with a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// The template does not parse (tera syntax, unknown function or filter).
    Syntax,
    /// A render-time failure, including errors raised by our functions (missing variable,
    /// tfstate address not found, SSM failure, ...).
    Render,
    /// The rendered text is not valid JSON / YAML, or not the expected shape.
    Format,
}

/// A template or definition-file error, located in the user's file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TemplateError {
    /// The file, as displayed (the name the template was registered under).
    pub file: String,
    /// 1-based line, when known. For [`TemplateErrorKind::Format`] it is a line of the
    /// *rendered* text (the same as the source unless a template expanded to several lines).
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Which stage failed.
    pub kind: TemplateErrorKind,
    /// The message, without location.
    pub message: String,
    /// The offending source line with a caret, when known.
    pub snippet: Option<String>,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(col)) => write!(f, "{}:{line}:{col}: {}", self.file, self.message)?,
            (Some(line), None) => write!(f, "{}:{line}: {}", self.file, self.message)?,
            _ => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}

impl TemplateError {
    /// An error about the whole file (no position).
    pub fn whole_file(file: &str, kind: TemplateErrorKind, message: impl Into<String>) -> Self {
        TemplateError {
            file: file.to_owned(),
            line: None,
            column: None,
            kind,
            message: message.into(),
            snippet: None,
        }
    }

    /// Convert a tera error for template `file`.
    fn from_tera(file: &str, err: &tera::Error) -> Self {
        let (kind, report) = match err.kind() {
            tera::ErrorKind::SyntaxError(r) => (TemplateErrorKind::Syntax, Some(r)),
            tera::ErrorKind::RenderingError(r) => (TemplateErrorKind::Render, Some(r)),
            _ => (TemplateErrorKind::Syntax, None),
        };
        let text = err.to_string();
        if let Some(report) = report {
            let span = report.span();
            return TemplateError {
                file: file.to_owned(),
                line: Some(span.start_line),
                column: Some(span.start_col + 1),
                kind,
                message: report.message().to_owned(),
                snippet: snippet_of(&text),
            };
        }
        // Other kinds (e.g. "Unknown function" found while adding the template) are plain
        // messages holding one or more rendered reports; take the first location.
        let (line, column) = location_in_report(&text, file).unzip();
        let message = text
            .lines()
            .next()
            .map(|l| l.strip_prefix("error: ").unwrap_or(l).to_owned())
            .unwrap_or_default();
        TemplateError {
            file: file.to_owned(),
            line,
            column,
            kind,
            message,
            snippet: snippet_of(&text),
        }
    }
}

/// The lines after the first ` --> file:line:col` line of a tera report, up to the next blank
/// line (the gutter, source line and caret).
fn snippet_of(report: &str) -> Option<String> {
    let mut lines = report.lines();
    lines.find(|l| l.trim_start().starts_with("--> "))?;
    let snippet: Vec<&str> = lines.take_while(|l| !l.trim().is_empty()).collect();
    (!snippet.is_empty()).then(|| snippet.join("\n"))
}

/// `(line, column)` from the first ` --> file:line:col` line of a tera report.
fn location_in_report(report: &str, file: &str) -> Option<(usize, usize)> {
    let arrow = report
        .lines()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix("--> "))?;
    let rest = arrow.strip_prefix(file)?.strip_prefix(':')?;
    let (line, col) = rest.split_once(':')?;
    Some((line.trim().parse().ok()?, col.trim().parse().ok()?))
}

/// The base names of plugin functions (before any `func_prefix`).
pub const TFSTATE_FUNCTIONS: [&str; 2] = ["tfstate", "tfstatef"];
/// The SSM plugin's function.
pub const SSM_FUNCTION: &str = "ssm";
/// The Secrets Manager plugin's function.
pub const SECRETSMANAGER_FUNCTION: &str = "secretsmanager_arn";
/// Functions every engine has; plugins cannot take these names.
pub const BUILTIN_FUNCTIONS: [&str; 2] = ["env", "must_env"];

/// A tera instance with our functions registered. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    tera: tera::Tera,
    /// The functions we registered, for "did you mean" on an unknown function.
    functions: Vec<String>,
    /// The same functions for Jsonnet files (native functions), and the ext vars.
    natives: jsonnet::Natives,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine with `env`, `must_env` and the `json_escape` filter, autoescaping off.
    pub fn new(env: Arc<dyn EnvSource>) -> Self {
        let mut tera = tera::Tera::new();
        tera.autoescape_on(Vec::<&'static str>::new());
        functions::register_builtins(&mut tera, Arc::clone(&env));
        Engine {
            tera,
            functions: BUILTIN_FUNCTIONS.iter().map(|f| (*f).to_owned()).collect(),
            natives: jsonnet::Natives::new(env),
        }
    }

    /// Jsonnet external variables (`std.extVar`) for [`Engine::evaluate_jsonnet`].
    pub fn set_ext_vars(&mut self, ext: ExtVars) {
        self.natives.ext = ext;
    }

    /// Register functions that ignore their arguments and return `placeholder` (config pass 1,
    /// where plugin functions are not available yet).
    pub fn register_placeholders<I>(&mut self, names: I, placeholder: &str)
    where
        I: IntoIterator<Item = String>,
    {
        for name in names {
            self.functions.push(name.clone());
            functions::register_placeholder(&mut self.tera, name, placeholder);
        }
    }

    /// Register `{prefix}tfstate` and `{prefix}tfstatef` over `state`.
    pub fn register_tfstate(&mut self, prefix: &str, state: Arc<TfState>) {
        for base in TFSTATE_FUNCTIONS {
            self.functions.push(format!("{prefix}{base}"));
        }
        self.natives
            .tfstates
            .push((prefix.to_owned(), Arc::clone(&state)));
        functions::register_tfstate(&mut self.tera, prefix, state);
    }

    /// Register `{prefix}ssm`.
    pub fn register_ssm(&mut self, prefix: &str, lookups: Arc<AwsLookups>) {
        self.functions.push(format!("{prefix}{SSM_FUNCTION}"));
        self.natives
            .ssm
            .push((prefix.to_owned(), Arc::clone(&lookups)));
        functions::register_ssm(&mut self.tera, prefix, lookups);
    }

    /// Register `{prefix}secretsmanager_arn`.
    pub fn register_secretsmanager(&mut self, prefix: &str, lookups: Arc<AwsLookups>) {
        self.functions
            .push(format!("{prefix}{SECRETSMANAGER_FUNCTION}"));
        self.natives
            .secrets
            .push((prefix.to_owned(), Arc::clone(&lookups)));
        functions::register_secretsmanager(&mut self.tera, prefix, lookups);
    }

    /// Render `text` as template `name` (the file's display path, used in errors).
    ///
    /// Runs on tokio's blocking pool (see the module docs); must be called inside a runtime.
    pub async fn render(&self, name: &str, text: String) -> Result<String, TemplateError> {
        let mut tera = self.tera.clone();
        let file = name.to_owned();
        let task = tokio::task::spawn_blocking(move || {
            tera.add_raw_template(&file, &text)
                .map_err(|e| TemplateError::from_tera(&file, &e))?;
            tera.render(&file, &tera::Context::new())
                .map_err(|e| TemplateError::from_tera(&file, &e))
        });
        match task.await {
            Ok(result) => result.map_err(|e| self.with_function_hint(e)),
            Err(join) => Err(TemplateError::whole_file(
                name,
                TemplateErrorKind::Render,
                format!("template rendering did not finish: {join}"),
            )),
        }
    }
}

impl Engine {
    /// Evaluate the Jsonnet file `path` (absolute; imports resolve next to it) whose text is
    /// `text`, to pretty JSON text, ready for [`Engine::render`]. `display` names the file in
    /// messages; other files are shown relative to `cwd`. With `fields`, only those top-level
    /// fields are evaluated (`(required, optional)`: an optional field that fails is left out),
    /// which is how config pass 1 reads `plugins` without touching plugin calls elsewhere.
    pub async fn evaluate_jsonnet(
        &self,
        path: &Path,
        display: &str,
        text: String,
        cwd: &Path,
        fields: Option<(&'static [&'static str], &'static [&'static str])>,
    ) -> Result<String, TemplateError> {
        let natives = self.natives.clone();
        let source = jsonnet::Source {
            path: path.to_path_buf(),
            display: display.to_owned(),
            text,
            cwd: cwd.to_path_buf(),
        };
        let task = tokio::task::spawn_blocking(move || {
            let output = match fields {
                None => jsonnet::Output::Whole,
                Some((required, optional)) => jsonnet::Output::Fields { required, optional },
            };
            jsonnet::evaluate(&natives, &source, output)
        });
        match task.await {
            Ok(result) => result,
            Err(join) => Err(TemplateError::whole_file(
                display,
                TemplateErrorKind::Render,
                format!("Jsonnet evaluation did not finish: {join}"),
            )),
        }
    }

    /// The top-level field names of the Jsonnet config `path`, and those of `fields` that
    /// evaluate: `(keys, {field: value})`. Synchronous, for `ecspress migrate`: use an engine
    /// without AWS functions (its natives would block on AWS).
    pub fn outline_jsonnet(
        &self,
        path: &Path,
        display: &str,
        text: String,
        cwd: &Path,
        fields: &[&str],
    ) -> Result<(Vec<String>, serde_json::Value), TemplateError> {
        let source = jsonnet::Source {
            path: path.to_path_buf(),
            display: display.to_owned(),
            text,
            cwd: cwd.to_path_buf(),
        };
        let json = jsonnet::evaluate(&self.natives, &source, jsonnet::Output::Outline(fields))?;
        let mut value: serde_json::Value = serde_json::from_str(&json).map_err(|e| {
            TemplateError::whole_file(display, TemplateErrorKind::Format, e.to_string())
        })?;
        let keys = value["keys"]
            .as_array()
            .map(|k| {
                k.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok((keys, value["fields"].take()))
    }

    /// Add a hint to tera's "Unknown function `x`": the closest function we have, or that
    /// plugin functions need a `plugins` entry.
    fn with_function_hint(&self, mut err: TemplateError) -> TemplateError {
        let Some(name) = err
            .message
            .strip_prefix("Unknown function `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
        else {
            return err;
        };
        let plugin_functions: Vec<String> = TFSTATE_FUNCTIONS
            .iter()
            .chain([&SSM_FUNCTION, &SECRETSMANAGER_FUNCTION])
            .map(|f| (*f).to_owned())
            .collect();
        if plugin_functions.contains(&name) {
            // A plugin function under its own name: the plugin is missing, not the spelling.
            err.message
                .push_str(" (it comes from a tfstate plugin: add one under `plugins`)");
            return err;
        }
        let close_registered = self
            .functions
            .iter()
            .any(|f| strsim::jaro_winkler(&name, f) >= 0.8 && *f != name);
        if let Some(base) = TFSTATE_FUNCTIONS
            .iter()
            .filter(|b| name.len() > b.len() && name.ends_with(*b))
            .max_by_key(|b| b.len())
            && !close_registered
        {
            let prefix = &name[..name.len() - base.len()];
            err.message.push_str(&format!(
                " (it comes from a tfstate plugin with `func_prefix: {prefix}` under `plugins`)"
            ));
            return err;
        }
        // Candidates: what this engine has, and the plugin functions a `plugins` entry would
        // add (a typo of `tfstate` in a project without a tfstate plugin still gets a hint).
        let candidates: Vec<String> = self
            .functions
            .iter()
            .cloned()
            .chain(plugin_functions)
            .collect();
        let closest = candidates
            .iter()
            .map(|f| (strsim::jaro_winkler(&name, f), f))
            .filter(|(score, f)| *score >= 0.8 && **f != name)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let mut plugin_hint = TFSTATE_FUNCTIONS
            .iter()
            .chain([&SSM_FUNCTION, &SECRETSMANAGER_FUNCTION])
            .any(|b| name.ends_with(b));
        if let Some((_, f)) = closest {
            err.message.push_str(&format!("; did you mean `{f}`?"));
            if !self.functions.contains(f) {
                err.message.push_str(&format!(
                    " (`{f}` comes from a tfstate plugin: add one under `plugins`)"
                ));
                plugin_hint = false;
            }
        }
        if plugin_hint {
            err.message.push_str(
                " (prefixed plugin functions come from `plugins` entries, named with their \
                 func_prefix; a tfstate function needs a tfstate plugin)",
            );
        }
        err
    }
}

/// The plugin functions `text` appears to call: identifiers followed by `(` whose name ends
/// with a plugin function's base name (`tfstate`, `network_tfstatef`, `ssm`, ...).
///
/// Config pass 1 registers placeholders for these; the prefixes are not known before the
/// `plugins` key has been read.
pub fn plugin_function_calls(text: &str) -> BTreeSet<String> {
    let bases: Vec<&str> = TFSTATE_FUNCTIONS
        .iter()
        .copied()
        .chain([SSM_FUNCTION, SECRETSMANAGER_FUNCTION])
        .collect();
    let bytes = text.as_bytes();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let starts_ident = (c.is_ascii_alphabetic() || c == b'_')
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if !starts_ident {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        let ident = &text[start..i];
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if bytes.get(j) == Some(&b'(') && bases.iter().any(|b| ident.ends_with(b)) {
            found.insert(ident.to_owned());
        }
    }
    found
}
