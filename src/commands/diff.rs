//! `ecspress diff` (being implemented for issue 4).

use crate::cli::DiffArgs;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &DiffArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let _ = (args, settings, printer);
    anyhow::bail!("ecspress diff is not implemented yet")
}
