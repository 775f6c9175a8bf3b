//! `ecspress rollback` (being implemented for issue 4).

use crate::cli::RollbackArgs;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &RollbackArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let _ = (args, settings, printer);
    anyhow::bail!("ecspress rollback is not implemented yet")
}
