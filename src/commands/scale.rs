//! `ecspress scale --tasks N`: ecspresso's `scale` (reference ecspresso.md §1.5), i.e. deploy
//! with `--skip-task-definition --no-update-service --tasks N`: the same reads, refusals, lock,
//! notifications, watcher and verdicts as `deploy`, but only `desiredCount` changes.

use crate::cli::{OperatorArgs, ScaleArgs};
use crate::exit::ExitStatus;
use crate::ops::deploy::{DeployOptions, deploy};
use crate::ops::render::load_project;
use crate::ops::watch::WatchOptions;
use crate::output::Printer;
use crate::settings::{GlobalSettings, WatchSettings};

/// Run the command.
pub async fn run(
    args: &ScaleArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if let Some(n) = args.tasks.filter(|n| *n < 0) {
        anyhow::bail!("--tasks {n}: expected a count ≥ 0");
    }
    run_deploy("scale", &args.common, args.tasks, false, settings, printer).await
}

/// The deploy path with the task definition and service attributes kept as they are:
/// shared by `scale` (a new count) and `refresh` (a forced new deployment).
pub(super) async fn run_deploy(
    command: &str,
    common: &OperatorArgs,
    tasks: Option<i32>,
    force_new_deployment: bool,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let watch = WatchSettings::from_args(&common.watch)?;
    let auto_scaling = crate::settings::auto_scaling_change(&common.auto_scaling)?;
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let opts = DeployOptions {
        dry_run: common.dry_run,
        tasks,
        skip_task_definition: true,
        revision: None,
        latest_task_definition: false,
        force_new_deployment,
        update_service: false,
        wait: !common.no_wait,
        strict: false,
        watch: WatchOptions {
            timeout: watch.timeout.unwrap_or(project.config().timeout),
            poll_interval: watch.poll_interval,
            max_poll_interval: watch.max_poll_interval,
            wait_until: watch.wait_until,
        },
        codedeploy_config: None,
        rollback_events: None,
        auto_scaling,
    };
    super::notified_and_locked(
        &project,
        command,
        common.lock.as_deref(),
        common.dry_run,
        settings,
        printer,
        async |sink| deploy(&project, &opts, sink).await,
    )
    .await
}
