//! `ecspress rollback`: flags → [`RollbackOptions`] → [`crate::ops::rollback::rollback`].

use crate::cli::RollbackArgs;
use crate::exit::ExitStatus;
use crate::model::codedeploy::parse_rollback_events;
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
    let rollback_events = args
        .rollback_events
        .as_deref()
        .map(parse_rollback_events)
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?;
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
            max_poll_interval: watch.max_poll_interval,
            wait_until: watch.wait_until,
        },
        rollback_events,
    };
    super::notified_and_locked(
        &project,
        "rollback",
        args.lock.as_deref(),
        args.dry_run,
        settings,
        printer,
        async |sink| rollback(&project, &opts, sink).await,
    )
    .await
}
