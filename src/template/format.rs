//! Definition and config file formats: rendered text → `serde_json::Value`.
//!
//! Unlike ecspresso (strict JSON only, §3.1), definition files may be JSON, JSON with `//` and
//! `/* */` comments, or YAML; all produce the same value, keys kept as written. Templates are
//! rendered first, then parsed, so a template may produce any part of the document.
//!
//! Comments are blanked by [`strip_json_comments`], which keeps every byte offset *and* newline,
//! so serde_json's line numbers match the file. (`json_comments` 0.2 keeps offsets but turns the
//! newlines inside a multi-line `/* */` into spaces, shifting every later line number, and fails
//! without a position on an unbalanced quote; hence our own small state machine.)

use std::path::Path;

use serde_json::Value;

use super::{TemplateError, TemplateErrorKind};

/// How a file's rendered text is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// JSON; `//` and `/* */` comments are allowed.
    Json,
    /// YAML (1.2 via serde_yaml_ng), with `<<` merge keys applied.
    Yaml,
    /// Jsonnet (`.jsonnet`, `.libsonnet`): evaluated first (see [`super::jsonnet`]); the
    /// resulting JSON text is rendered and parsed as JSON.
    Jsonnet,
}

impl FileFormat {
    /// By extension: `.yml`/`.yaml` are YAML, `.jsonnet`/`.libsonnet` Jsonnet, `.json`/`.jsonc`
    /// and anything else JSON (as in ecspresso, where any non-Jsonnet extension is JSON).
    pub fn for_definition(path: &Path) -> Result<FileFormat, TemplateError> {
        match extension(path).as_deref() {
            Some("yml" | "yaml") => Ok(FileFormat::Yaml),
            Some("jsonnet" | "libsonnet") => Ok(FileFormat::Jsonnet),
            _ => Ok(FileFormat::Json),
        }
    }

    /// Config files: `.yml`, `.yaml`, `.json` (and `.jsonc`), `.jsonnet`; anything else is an
    /// error.
    pub fn for_config(path: &Path) -> Option<FileFormat> {
        match extension(path).as_deref() {
            Some("yml" | "yaml") => Some(FileFormat::Yaml),
            Some("json" | "jsonc") => Some(FileFormat::Json),
            Some("jsonnet") => Some(FileFormat::Jsonnet),
            _ => None,
        }
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Which definition a file holds; decides the accepted wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionKind {
    /// `register-task-definition` input, or describe-task-definition output
    /// `{"taskDefinition": {...}, "tags": [...]}` (unwrapped; `tags` moved inside).
    Task,
    /// `create-service` input. describe-services output (`{"services": [...]}`) is **not**
    /// unwrapped: it may hold several services.
    Service,
}

impl DefinitionKind {
    fn noun(self) -> &'static str {
        match self {
            DefinitionKind::Task => "task definition",
            DefinitionKind::Service => "service definition",
        }
    }

    /// Check the shape and unwrap the accepted wrapper.
    pub fn normalize(self, file: &str, value: Value) -> Result<Value, TemplateError> {
        let Value::Object(mut map) = value else {
            let found = match value {
                Value::Null => "nothing (null)",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "a list",
                Value::Object(_) => "an object",
            };
            return Err(TemplateError::whole_file(
                file,
                TemplateErrorKind::Format,
                format!(
                    "a {} must be a JSON object (a map of fields), found {found}",
                    self.noun()
                ),
            ));
        };
        if self == DefinitionKind::Task
            && matches!(map.get("taskDefinition"), Some(Value::Object(_)))
            && map.keys().all(|k| k == "taskDefinition" || k == "tags")
        {
            let tags = map.remove("tags");
            if let Some(Value::Object(mut inner)) = map.remove("taskDefinition") {
                if let Some(tags) = tags
                    && !inner.contains_key("tags")
                {
                    inner.insert("tags".to_owned(), tags);
                }
                return Ok(Value::Object(inner));
            }
        }
        Ok(Value::Object(map))
    }
}

/// Blank `//` and `/* */` comments (outside strings) with spaces, keeping every newline, so
/// line and column numbers are unchanged. Never fails: whatever is left that is not JSON (a
/// stray `/`, an unterminated comment or string) is reported, with its position, by the JSON
/// parser. A raw newline ends a string here (JSON strings cannot hold one), so an unbalanced
/// quote cannot swallow comments on later lines.
pub fn strip_json_comments(text: &str) -> String {
    strip_comments(text).0
}

/// [`strip_json_comments`], and the byte offset of an unterminated `/*` comment.
fn strip_comments(text: &str) -> (String, Option<usize>) {
    #[derive(Clone, Copy)]
    enum S {
        Code,
        Str,
        Escape,
        Line,
        Block,
    }
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut state = S::Code;
    let mut block_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let newline = matches!(c, b'\n' | b'\r');
        state = match state {
            S::Code if c == b'"' => S::Str,
            S::Code if c == b'/' && next == Some(b'/') => {
                out[i] = b' ';
                out[i + 1] = b' ';
                i += 1;
                S::Line
            }
            S::Code if c == b'/' && next == Some(b'*') => {
                block_start = i;
                out[i] = b' ';
                out[i + 1] = b' ';
                i += 1;
                S::Block
            }
            S::Code => S::Code,
            S::Str if c == b'\\' => S::Escape,
            S::Str if c == b'"' || newline => S::Code,
            S::Str | S::Escape => S::Str,
            S::Line if newline => S::Code,
            S::Line => {
                out[i] = b' ';
                S::Line
            }
            S::Block if c == b'*' && next == Some(b'/') => {
                out[i] = b' ';
                out[i + 1] = b' ';
                i += 1;
                S::Code
            }
            S::Block => {
                if !newline {
                    out[i] = b' ';
                }
                S::Block
            }
        };
        i += 1;
    }
    let unterminated = matches!(state, S::Block).then_some(block_start);
    if unterminated.is_some() {
        // Unterminated: leave it for the parser to report where it starts.
        out[block_start..].copy_from_slice(&bytes[block_start..]);
    }
    // Comments are blanked byte by byte, whole characters included, so this is still UTF-8.
    let out = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    (out, unterminated)
}

/// 1-based line and column of byte `offset` in `text` (columns count characters).
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Why a file that failed to parse as JSON was read as JSON, when its extension does not say
/// so: ecspresso (and ecspress) read every definition file that is not YAML or Jsonnet as JSON.
fn json_extension_hint(file: &str) -> String {
    match Path::new(file).extension().and_then(|e| e.to_str()) {
        Some(ext)
            if !["json", "jsonc", "jsonnet", "libsonnet"]
                .iter()
                .any(|j| ext.eq_ignore_ascii_case(j)) =>
        {
            format!(
                " (a .{ext} file is read as JSON: definition files are JSON or JSONC (.json, \
                 .jsonc), YAML (.yml, .yaml) or Jsonnet (.jsonnet, .libsonnet))"
            )
        }
        _ => String::new(),
    }
}

/// The `line`-th line of `text` (1-based) as a snippet, for parse errors.
pub(super) fn line_snippet(text: &str, line: usize, column: usize) -> Option<String> {
    let src = text.lines().nth(line.checked_sub(1)?)?;
    let gutter = line.to_string();
    let pad = " ".repeat(gutter.len());
    let caret = " ".repeat(column.saturating_sub(1));
    Some(format!("{pad} |\n{gutter} | {src}\n{pad} | {caret}^"))
}

/// serde's messages end with " at line L column C"; we print the location separately.
fn without_location(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    }
}

/// Parse rendered text. Errors point at the rendered text's line and show it.
pub fn parse_rendered(text: &str, format: FileFormat, file: &str) -> Result<Value, TemplateError> {
    let located = |line: usize, column: usize, message: String| TemplateError {
        file: file.to_owned(),
        line: Some(line),
        column: Some(column),
        kind: TemplateErrorKind::Format,
        message,
        snippet: line_snippet(text, line, column),
    };
    match format {
        FileFormat::Json | FileFormat::Jsonnet => {
            let (stripped, unterminated) = strip_comments(text);
            serde_json::from_str(&stripped).map_err(|e| {
                if let Some(start) = unterminated {
                    let (line, column) = line_column(text, start);
                    return located(
                        line,
                        column,
                        "invalid JSON after rendering: this `/*` comment is never closed (no `*/`)"
                            .into(),
                    );
                }
                if stripped.trim().is_empty() {
                    return TemplateError::whole_file(
                        file,
                        TemplateErrorKind::Format,
                        format!(
                            "the file is empty after rendering: expected a JSON object{}",
                            json_extension_hint(file)
                        ),
                    );
                }
                located(
                    e.line(),
                    // serde_json says column 0 at the start of a line (after its newline).
                    e.column().max(1),
                    format!(
                        "invalid JSON after rendering: {}{}",
                        without_location(&e.to_string()),
                        json_extension_hint(file)
                    ),
                )
            })
        }
        FileFormat::Yaml => {
            let yaml_err = |e: serde_yaml_ng::Error| {
                let message = format!(
                    "invalid YAML after rendering: {}",
                    without_location(&e.to_string())
                );
                match e.location() {
                    Some(loc) => located(loc.line(), loc.column(), message),
                    None => TemplateError::whole_file(file, TemplateErrorKind::Format, message),
                }
            };
            let mut doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(yaml_err)?;
            doc.apply_merge().map_err(yaml_err)?;
            serde_json::to_value(doc).map_err(|e| {
                TemplateError::whole_file(
                    file,
                    TemplateErrorKind::Format,
                    format!("YAML value has no JSON equivalent: {e}"),
                )
            })
        }
    }
}
