//! `ecspress status`: the service, its deployments, auto scaling and recent events.

use crate::cli::StatusArgs;
use crate::exit::ExitStatus;
use crate::ops::render::load_project;
use crate::ops::status::status;
use crate::output::{Event, Printer};
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &StatusArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let report = status(&project, args.events).await?;
    printer.event(&Event::Status(Box::new(report)));
    Ok(ExitStatus::Success)
}
