//! How a definition diff looks to a person: the unified text on stdout (it is data: `diff |
//! less`, `diff > review.patch`), colored like `git diff` when stdout takes colors (red `-`,
//! green `+`, cyan hunk headers, bold file headers); a status line on stderr when a side has
//! no changes, so silence on stdout still says what was compared.

use console::Style;

use super::Printer;
use crate::model::diff::DefinitionDiff;

/// Print one definition's diff (text mode).
pub(super) fn render(printer: &Printer, kind: &str, diff: &DefinitionDiff) {
    if diff.unified.is_empty() {
        printer.status("Unchanged", &format!("{}: {}", noun(kind), diff.remote));
        return;
    }
    printer.data(&paint_unified(&diff.unified, printer.stdout_colored()));
}

/// `service` → "service", `taskdef` → "task definition".
fn noun(kind: &str) -> &str {
    match kind {
        "taskdef" => "task definition",
        other => other,
    }
}

/// Color a unified diff line by line (unchanged when `colored` is false).
pub fn paint_unified(text: &str, colored: bool) -> String {
    if !colored {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let style = if body.starts_with("---") || body.starts_with("+++") {
            Some(Style::new().bold())
        } else if body.starts_with("@@") {
            Some(Style::new().cyan())
        } else if body.starts_with('-') {
            Some(Style::new().red())
        } else if body.starts_with('+') {
            Some(Style::new().green())
        } else {
            None
        };
        match style {
            Some(s) => out.push_str(&s.force_styling(true).apply_to(body).to_string()),
            None => out.push_str(body),
        }
        out.push_str(nl);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "--- arn\n+++ file\n@@ -1,3 +1,3 @@\n {\n-  \"a\": 1\n+  \"a\": 2\n }\n";

    #[test]
    fn no_color_is_verbatim() {
        assert_eq!(paint_unified(TEXT, false), TEXT);
    }

    #[test]
    fn colors_per_line_kind() {
        let painted = paint_unified(TEXT, true);
        let lines: Vec<&str> = painted.lines().collect();
        assert_eq!(lines[0], "\u{1b}[1m--- arn\u{1b}[0m");
        assert_eq!(lines[1], "\u{1b}[1m+++ file\u{1b}[0m");
        assert_eq!(lines[2], "\u{1b}[36m@@ -1,3 +1,3 @@\u{1b}[0m");
        assert_eq!(lines[3], " {");
        assert_eq!(lines[4], "\u{1b}[31m-  \"a\": 1\u{1b}[0m");
        assert_eq!(lines[5], "\u{1b}[32m+  \"a\": 2\u{1b}[0m");
        assert!(painted.ends_with(" }\n"));
        // Stripping the escapes gives the text back.
        assert_eq!(console::strip_ansi_codes(&painted), TEXT);
    }
}
