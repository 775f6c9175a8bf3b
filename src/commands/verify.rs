//! `ecspress verify`

use crate::cli::VerifyArgs;
use crate::exit::ExitStatus;
use crate::model::verify::CheckNode;
use crate::ops::render::load_project;
use crate::ops::verify::verify_project;
use crate::output::{Event, Printer};
use crate::settings::GlobalSettings;

/// Print the check tree; exit 1 when any check is NG.
pub async fn run(
    _args: &VerifyArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let checks = verify_project(&project).await?;
    let ok = !checks.iter().any(CheckNode::has_ng);
    printer.event(&Event::Verify { ok, checks });
    Ok(if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Negative
    })
}
