//! `ecspress revisions`: flags → [`crate::ops::revisions::revisions`] → one `revisions` event.

use crate::cli::RevisionsArgs;
use crate::exit::ExitStatus;
use crate::ops::render::load_project;
use crate::ops::revisions::revisions;
use crate::output::{Event, Printer};
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &RevisionsArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let survey = revisions(&project, args.limit).await?;
    printer.event(&Event::Revisions {
        family: survey.family,
        current: survey.current,
        revisions: survey.rows,
    });
    Ok(ExitStatus::Success)
}
