//! `ecspress refresh`: ecspresso's `refresh` (reference ecspresso.md §1.5), i.e. deploy with
//! `--skip-task-definition --no-update-service --force-new-deployment`: new tasks of the
//! revision the service already runs (picks up a moved image tag, rotated secrets), watched
//! to the same verdicts as `deploy`.

use crate::cli::RefreshArgs;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &RefreshArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    super::scale::run_deploy("refresh", &args.common, None, true, settings, printer).await
}
