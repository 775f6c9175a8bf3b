//! How one service of a multi-config run looks (`deploy --config a.yml --config b.yml`).
//!
//! Each service gets a scoped clone of the run's [`Printer`] ([`Printer::scoped`]):
//!
//! - human lines on stderr start with `[label]` (timestamped lines: after the timestamp);
//! - JSON Lines records carry `"config": "<path>"` in the envelope (between `time` and `data`,
//!   so no record's `data` changes shape); its own verdict becomes a `service_verdict` record,
//!   since the stream's one `verdict` record is the run's (the worst, written by `finish`);
//! - on a terminal every service's bar lives in one `indicatif::MultiProgress`, one line per
//!   service, with the label as the bar's prefix.

use std::sync::Arc;

use indicatif::ProgressBar;

use super::{Event, OutputFormat, Printer};
use crate::exit::ExitStatus;
use crate::model::rollout::{Verdict, closing_verdict};

/// What marks one service's output.
#[derive(Debug)]
pub(crate) struct Scope {
    /// `[label]` on human lines.
    pub(crate) label: String,
    /// The config path as given (JSON Lines `config`).
    pub(crate) config: String,
}

impl Printer {
    /// This printer for one service of a multi-config run: same stdout/stderr, its own
    /// progress bar and held verdict, lines prefixed with `[label]`, records with `config`.
    pub fn scoped(&self, label: &str, config: &str) -> Printer {
        if self.stderr_tty && self.format == OutputFormat::Text {
            self.multi.get_or_init(indicatif::MultiProgress::new);
        }
        Printer {
            progress: Default::default(),
            held_verdict: Default::default(),
            scope: Some(Arc::new(Scope {
                label: label.to_owned(),
                config: config.to_owned(),
            })),
            ..self.clone()
        }
    }

    /// End one service of a multi-config run and return its verdict: the watch verdict when
    /// one was emitted and agrees with `status`, else one built from `status` (`message`: the
    /// error's). JSON: written as this service's `service_verdict` record. Text: a `Verdict`
    /// line unless the watch printed one.
    pub fn finish_service(&self, status: ExitStatus, message: Option<&str>) -> Verdict {
        let held = self
            .held_verdict
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let (verdict, printed) = match held {
            Some(v) if v.status == status => (v, true),
            _ => (closing_verdict(status, message), false),
        };
        match self.format {
            OutputFormat::Json => self.json_record(&Event::ServiceVerdict(verdict.clone())),
            OutputFormat::Text if !printed => self.human(&Event::ServiceVerdict(verdict.clone())),
            OutputFormat::Text => {}
        }
        verdict
    }

    /// `[label] line` for a scoped printer (after any indentation: status verbs are
    /// right-aligned and timestamped lines trim it anyway).
    pub(crate) fn prefixed(&self, line: &str) -> String {
        match &self.scope {
            Some(s) => format!("[{}] {}", s.label, line.trim_start()),
            None => line.to_owned(),
        }
    }

    /// [`Printer::prefixed`] on every line of a block.
    pub(crate) fn prefixed_block(&self, text: &str) -> String {
        if self.scope.is_none() {
            return text.to_owned();
        }
        let mut out = String::new();
        for line in text.lines() {
            out.push_str(&self.prefixed(line));
            out.push('\n');
        }
        out
    }

    /// Run `f` (which writes to stderr) with the live bars hidden.
    pub(crate) fn suspend_bars<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.multi.get() {
            Some(m) => m.suspend(f),
            None => self.progress.suspend(f),
        }
    }

    /// A new live bar: in the run's MultiProgress with the service label as prefix when
    /// scoped, else `bar` as is.
    pub(crate) fn new_bar(&self, bar: ProgressBar) -> ProgressBar {
        match (self.multi.get(), &self.scope) {
            (Some(m), Some(s)) => {
                let bar = m.add(bar);
                bar.set_prefix(format!("[{}] ", s.label));
                bar
            }
            _ => bar,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::ColorChoice;

    #[test]
    fn scoped_lines_and_records() {
        let root = Printer::new(OutputFormat::Text, ColorChoice::Never);
        let web = root.scoped("web", "services/web/ecspress.yml");
        assert_eq!(root.prefixed("   Updated x"), "   Updated x");
        assert_eq!(web.prefixed("   Updated x"), "[web] Updated x");
        assert_eq!(
            web.prefixed_block("error: boom\n  caused by: x\n"),
            "[web] error: boom\n[web] caused by: x\n"
        );
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_795_000_000_123);
        let ev = Event::Info {
            message: "hi".into(),
        };
        assert_eq!(
            super::super::json_line_scoped(&ev, at, Some("services/web/ecspress.yml")),
            r#"{"type":"info","time":"2026-11-18T11:06:40.123Z","config":"services/web/ecspress.yml","data":{"message":"hi"}}"#
        );
    }

    #[test]
    fn a_service_verdict_is_the_watch_one_when_it_agrees() {
        let root = Printer::new(OutputFormat::Json, ColorChoice::Never);
        let web = root.scoped("web", "web.yml");
        // No watch verdict: built from the status.
        let v = web.finish_service(ExitStatus::Error, Some("boom"));
        assert_eq!((v.status, v.message.as_str()), (ExitStatus::Error, "boom"));
        // A watch verdict that agrees is kept (and only once).
        let watched = closing_verdict(ExitStatus::RolledBack, Some("rolled back by ECS"));
        web.event(&Event::Verdict(watched.clone()));
        assert_eq!(web.finish_service(ExitStatus::RolledBack, None), watched);
        let again = web.finish_service(ExitStatus::Success, None);
        assert_eq!(again.message, "completed");
        // The run's own held verdict is untouched by its services'.
        assert!(root.held_verdict.lock().unwrap().is_none());
    }
}
