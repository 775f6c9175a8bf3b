//! The audit trail: one JSON line per request when it is decided, and one more with the verdict
//! and exit code when its work ends (same `request_id`). Refused and unsigned requests are
//! audited too; unsigned ones carry no user fields (nothing in them can be trusted).

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use serde::Serialize;

/// One line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditRecord {
    /// RFC 3339.
    pub time: String,
    /// Our id for the request (links its decision and outcome lines).
    pub request_id: String,
    /// `command`, `interaction` or `outcome`.
    pub kind: String,
    /// Slack user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Slack user name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Slack channel id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// `/deploy prod web v2`, or the button action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `prod/web`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `accepted`, `refused`, `unauthorized`, `bad_signature`, `finished`.
    pub decision: String,
    /// Why, for refusals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The verdict message (outcome lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// The exit code the same CLI command would have had (outcome lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
}

/// Where audit lines go (append-only file, or stderr).
pub struct Audit {
    out: Mutex<Box<dyn Write + Send>>,
}

impl Audit {
    /// Append to `path`, or write to stderr when `None`.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        let out: Box<dyn Write + Send> = match path {
            Some(p) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .with_context(|| format!("cannot open the audit log {}", p.display()))?,
            ),
            None => Box::new(std::io::stderr()),
        };
        Ok(Audit {
            out: Mutex::new(out),
        })
    }

    /// Write one record (time filled in). An audit write failure is reported on stderr but does
    /// not stop the server: Slack would only see a timeout.
    pub fn record(&self, mut rec: AuditRecord) {
        rec.time = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
        let line = serde_json::to_string(&rec).unwrap_or_default();
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "{line}").and_then(|_| out.flush());
    }
}
