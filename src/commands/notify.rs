//! `ecspress notify --status success|failure|<exit code> [--message TEXT]`: one Slack message
//! from `notify:` (a CI post_build step reporting the build's result).

use crate::cli::NotifyArgs;
use crate::exit::ExitStatus;
use crate::ops::render::load_project;
use crate::output::{Event, Printer};
use crate::settings::GlobalSettings;

/// `success`/`ok`/`0` → success; `failure`/`failed`/`1`... → the failure statuses. A number is
/// an exit code: ecspress's own codes keep their meaning, any other non-zero is a failure.
pub fn parse_status(text: &str) -> anyhow::Result<ExitStatus> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "success" | "succeeded" | "ok" => return Ok(ExitStatus::Success),
        "failure" | "failed" | "fail" => return Ok(ExitStatus::FailedNotRolledBack),
        _ => {}
    }
    let code: u16 = t.parse().map_err(|_| {
        anyhow::anyhow!("--status {text}: expected success, failure or an exit code")
    })?;
    Ok(ExitStatus::ALL
        .into_iter()
        .find(|s| u16::from(s.code()) == code)
        .filter(|s| *s != ExitStatus::Negative)
        .unwrap_or(if code == 0 {
            ExitStatus::Success
        } else {
            ExitStatus::FailedNotRolledBack
        }))
}

/// Run the command.
pub async fn run(
    args: &NotifyArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let status = parse_status(&args.status)?;
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let dir = project
        .config_path()
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let metadata = crate::ops::metadata::resolve(&settings.metadata, &dir).await;
    printer.event(&Event::DeploymentMetadata(metadata.clone()));
    crate::ops::notify::notify_once(&project, &metadata, status, args.message.as_deref()).await?;
    printer.event(&Event::Info {
        message: format!("notified Slack: {}", status.meaning()),
    });
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_values() {
        for (text, want) in [
            ("success", ExitStatus::Success),
            ("OK", ExitStatus::Success),
            ("0", ExitStatus::Success),
            ("failure", ExitStatus::FailedNotRolledBack),
            ("1", ExitStatus::FailedNotRolledBack),
            ("3", ExitStatus::RolledBack),
            ("2", ExitStatus::Error),
            ("5", ExitStatus::TimedOut),
            ("137", ExitStatus::FailedNotRolledBack),
        ] {
            assert_eq!(parse_status(text).unwrap(), want, "{text}");
        }
        assert!(parse_status("maybe").is_err());
    }
}
