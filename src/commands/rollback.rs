//! `ecspress rollback`: flags → [`RollbackOptions`] → [`crate::ops::rollback::rollback`].

use crate::cli::RollbackArgs;
use crate::exit::ExitStatus;
use crate::ops::render::load_project;
use crate::ops::rollback::{RollbackOptions, rollback};
use crate::ops::watch::WatchOptions;
use crate::output::Printer;
use crate::settings::{GlobalSettings, WatchSettings};

/// Run the command.
pub async fn run(
    args: &RollbackArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let watch = WatchSettings::from_args(&args.watch)?;
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let opts = RollbackOptions {
        revision: args.revision,
        deregister: args.deregister_task_definition,
        dry_run: args.dry_run,
        wait: !args.no_wait,
        watch: WatchOptions {
            timeout: watch.timeout.unwrap_or(project.config().timeout),
            poll_interval: watch.poll_interval,
            wait_until: watch.wait_until,
        },
    };
    rollback(&project, &opts, printer).await
}
