//! `ecspress rollback`: flags → [`RollbackOptions`] → [`crate::ops::rollback::rollback`].

use crate::cli::RollbackArgs;
use crate::exit::ExitStatus;
use crate::model::codedeploy::parse_rollback_events;
use crate::ops::lock::{cli_holder_info, locked};
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
            wait_until: watch.wait_until,
        },
        rollback_events,
    };
    let notifications = crate::ops::notify::begin(
        &project,
        "rollback",
        &settings.metadata,
        printer,
        !args.dry_run,
    )
    .await;
    let sink = notifications.sink(printer);
    // A dry run changes nothing, so it neither needs nor blocks the lock.
    let lock = args.lock.as_deref().filter(|_| !args.dry_run);
    let holder = cli_holder_info("rollback");
    let result = locked(
        &project,
        lock,
        &holder,
        rollback(&project, &opts, sink.as_ref()),
    )
    .await;
    drop(sink);
    notifications.finish(&result, printer).await;
    result
}
