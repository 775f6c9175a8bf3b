//! `ecspress deploy` (being implemented for issue 4).

use crate::cli::DeployArgs;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &DeployArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let _ = (args, settings, printer);
    anyhow::bail!("ecspress deploy is not implemented yet")
}
