//! The only module that writes to stdout or stderr.
//!
//! Operations and commands hand typed [`Event`]s and data to a [`Printer`]; the printer decides
//! the look (uv's `Printer`, ripgrep's JSON printer):
//!
//! - data a user may pipe (rendered JSON, diffs, lookup values) goes to **stdout**;
//! - chatter (status, warnings, errors) goes to **stderr**: colored status lines on a terminal,
//!   plain timestamped lines otherwise (CodeBuild has no TTY and no `CI=true`);
//! - `--output json` writes JSON Lines on stdout, one `{"type", "time", "data"}` record per
//!   event, and nothing human to stdout.
//!
//! `NO_COLOR` (any non-empty value, <https://no-color.org>) turns colors off unless
//! `--color always`.

mod error;

use std::io::{IsTerminal, Write};
use std::time::SystemTime;

use console::Style;
use serde::Serialize;
use serde_json::Value;

pub use error::render_error;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable.
    Text,
    /// JSON Lines on stdout.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// Terminal and no NO_COLOR.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// A typed event. Serialized as `{"type": <snake_case variant>, "time": RFC 3339, "data": {...}}`
/// in `--output json` mode.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// A file was rendered (`render`). `kind` is `config`, `taskdef` or `servicedef`.
    Rendered {
        /// What was rendered.
        kind: String,
        /// The file it came from.
        file: String,
        /// The rendered JSON.
        definition: Value,
    },
    /// Every address of a state (`tfstate list`).
    TfstateList {
        /// The state location.
        state: String,
        /// Addresses in state order.
        addresses: Vec<String>,
    },
    /// One looked-up value (`tfstate lookup`); `value` is null when not found.
    TfstateValue {
        /// The state location.
        state: String,
        /// The address asked for.
        address: String,
        /// The value, or null.
        value: Value,
        /// Whether the address was found.
        found: bool,
    },
    /// Something the user should know that does not stop the command.
    Warning {
        /// The message.
        message: String,
    },
    /// The command failed; the last record of a failed run.
    Error {
        /// The top-level message.
        message: String,
        /// The chain of causes, outermost first.
        causes: Vec<String>,
        /// The process exit code.
        exit_code: u8,
    },
}

/// Writes events and data; the single place that knows about terminals and colors.
#[derive(Debug, Clone)]
pub struct Printer {
    format: OutputFormat,
    color_stdout: bool,
    color_stderr: bool,
    stderr_tty: bool,
}

fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Printer {
    /// A printer for this process's real stdout/stderr.
    pub fn new(format: OutputFormat, color: ColorChoice) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let (color_stdout, color_stderr) = match color {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto if no_color_env() => (false, false),
            ColorChoice::Auto => (stdout_tty, stderr_tty),
        };
        // console decides per Style::apply_to; force its global switches to our decision.
        console::set_colors_enabled(color_stdout);
        console::set_colors_enabled_stderr(color_stderr);
        Printer {
            format,
            color_stdout: color_stdout && format == OutputFormat::Text,
            color_stderr,
            stderr_tty,
        }
    }

    /// The output format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Whether stdout data may carry ANSI colors.
    pub fn stdout_colored(&self) -> bool {
        self.color_stdout
    }

    /// Data for stdout, as is (a trailing newline is added when missing).
    /// A closed pipe (`| head`) is not an error.
    pub fn data(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// Emit an event: a JSON Lines record in JSON mode, otherwise its human form.
    pub fn event(&self, event: &Event) {
        match self.format {
            OutputFormat::Json => self.json_record(event),
            OutputFormat::Text => self.human(event),
        }
    }

    fn json_record(&self, event: &Event) {
        self.data(&json_line(event, SystemTime::now()));
    }

    fn human(&self, event: &Event) {
        match event {
            Event::Rendered { definition, .. } => self.data(&pretty_json(definition)),
            Event::TfstateList { addresses, .. } => {
                let mut text = addresses.join("\n");
                text.push('\n');
                if !addresses.is_empty() {
                    self.data(&text);
                }
            }
            Event::TfstateValue { value, found, .. } => {
                if *found {
                    self.data(&value_text(value));
                }
            }
            Event::Warning { message } => self.warn(message),
            Event::Error { .. } => {}
        }
    }

    /// A `warning: ...` line on stderr (JSON mode: a `warning` record).
    pub fn warn(&self, message: &str) {
        if self.format == OutputFormat::Json {
            self.json_record(&Event::Warning {
                message: message.to_owned(),
            });
            return;
        }
        let label = self.paint_stderr("warning", Style::new().yellow().bold());
        self.stderr_line(&format!("{label}: {message}"));
    }

    /// A cargo-style status line on stderr: `   Verb message`. Text mode only.
    pub fn status(&self, verb: &str, message: &str) {
        if self.format == OutputFormat::Json {
            return;
        }
        let verb = self.paint_stderr(&format!("{verb:>12}"), Style::new().green().bold());
        self.stderr_line(&format!("{verb} {message}"));
    }

    /// Write one line to stderr; plain timestamped when stderr is not a terminal.
    fn stderr_line(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        let _ = if self.stderr_tty {
            writeln!(err, "{line}")
        } else {
            let ts = humantime::format_rfc3339_seconds(SystemTime::now());
            writeln!(err, "{ts} {}", line.trim_start())
        };
    }

    pub(crate) fn paint_stderr(&self, text: &str, style: Style) -> String {
        if self.color_stderr {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_owned()
        }
    }

    /// Raw stderr text (multi-line blocks such as error reports); no timestamp.
    pub(crate) fn stderr_block(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }
}

/// One JSON Lines record: `{"type": ..., "time": RFC 3339 (ms, UTC), "data": {...}}`, written
/// in that key order for people reading the stream (serde_json maps would sort the keys).
pub fn json_line(event: &Event, at: SystemTime) -> String {
    let value = serde_json::to_value(event).unwrap_or(Value::Null);
    let kind = value.get("type").cloned().unwrap_or(Value::Null);
    let data = value.get("data").cloned().unwrap_or(Value::Null);
    let time = Value::String(humantime::format_rfc3339_millis(at).to_string());
    format!("{{\"type\":{kind},\"time\":{time},\"data\":{data}}}")
}

/// JSON with two-space indentation and keys in sorted (stable) order.
pub fn pretty_json(value: &Value) -> String {
    // serde_json's Map is a BTreeMap (no `preserve_order` feature), so keys come out sorted.
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

/// How a looked-up value is printed: strings raw, everything else compact JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_text_rules() {
        assert_eq!(value_text(&Value::String("a\"b".into())), "a\"b");
        assert_eq!(value_text(&serde_json::json!(30)), "30");
        assert_eq!(value_text(&serde_json::json!(["x", 1])), "[\"x\",1]");
        assert_eq!(
            value_text(&serde_json::json!({"b":1,"a":2})),
            "{\"a\":2,\"b\":1}"
        );
    }

    #[test]
    fn pretty_json_sorts_keys_and_indents_two_spaces() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1], "c": true}});
        assert_eq!(
            pretty_json(&v),
            "{\n  \"a\": {\n    \"c\": true,\n    \"d\": [\n      1\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }

    #[test]
    fn event_envelope_shape() {
        let ev = Event::TfstateValue {
            state: "s".into(),
            address: "output.x".into(),
            value: serde_json::json!("v"),
            found: true,
        };
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_795_000_000_123);
        assert_eq!(
            json_line(&ev, at),
            r#"{"type":"tfstate_value","time":"2026-11-18T11:06:40.123Z","data":{"address":"output.x","found":true,"state":"s","value":"v"}}"#
        );
    }
}
