//! `ecspress wait` (being implemented for issue 4).

use crate::cli::WaitArgs;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &WaitArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let _ = (args, settings, printer);
    anyhow::bail!("ecspress wait is not implemented yet")
}
