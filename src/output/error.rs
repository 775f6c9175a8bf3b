//! The one error renderer (called from `main`): `error:` line, `caused by:` chain.
//!
//! AWS errors already carry operation, target, code, message and request id in their Display
//! (see `aws::AwsError`); template errors carry file:line:col and a snippet (tera 2).

use super::{Event, OutputFormat, Printer};
use crate::exit::ExitStatus;
use console::Style;

/// Print `err` for a human (stderr) or as an `error` JSON record (stdout) plus the human form.
pub fn render_error(printer: &Printer, err: &anyhow::Error, status: ExitStatus) {
    let mut chain = err.chain().map(|e| e.to_string());
    let message = chain.next().unwrap_or_default();
    // Drop causes whose text is already contained in the message above them.
    let mut causes: Vec<String> = Vec::new();
    let mut previous = message.clone();
    for c in chain {
        if !previous.contains(c.as_str()) {
            causes.push(c.clone());
        }
        previous = c;
    }
    if printer.format() == OutputFormat::Json {
        printer.event(&Event::Error {
            message: message.clone(),
            causes: causes.clone(),
            exit_code: status.code(),
        });
    }
    let mut text = format!(
        "{}: {}\n",
        printer.paint_stderr("error", Style::new().red().bold()),
        message
    );
    for c in &causes {
        let indented = c.replace('\n', "\n    ");
        text.push_str(&format!("  caused by: {indented}\n"));
    }
    printer.stderr_block(&text);
}
