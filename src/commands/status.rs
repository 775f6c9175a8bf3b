//! `ecspress status` (being implemented for issue 4).

use crate::cli::StatusArgs;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &StatusArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let _ = (args, settings, printer);
    anyhow::bail!("ecspress status is not implemented yet")
}
