//! `ecspress deploy`: flags → [`DeployOptions`] → [`crate::ops::deploy::deploy`].

use std::sync::Arc;

use crate::aws::ratelimit::RateLimiter;
use crate::cli::DeployArgs;
use crate::exit::ExitStatus;
use crate::model::codedeploy::parse_rollback_events;
use crate::ops::deploy::{DeployOptions, deploy};
use crate::ops::render::load_project;
use crate::ops::watch::WatchOptions;
use crate::output::Printer;
use crate::settings::{GlobalSettings, WatchSettings};

/// Run the command: one config, or several (`--config` repeated or a glob), each service
/// deployed and watched on its own, all ECS/CodeDeploy calls under one shared rate limit.
pub async fn run(
    args: &DeployArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    // Flag errors once, before any service starts.
    WatchSettings::from_args(&args.watch)?;
    crate::settings::auto_scaling_change(&args.auto_scaling)?;
    super::fleet::each_config(
        "deploy",
        &args.fleet,
        settings,
        printer,
        |settings, printer, limiter| async move {
            run_one(args, &settings, &printer, limiter.as_ref()).await
        },
    )
    .await
}

/// Deploy one config; `limiter`: the run's shared API budget (several configs).
async fn run_one(
    args: &DeployArgs,
    settings: &GlobalSettings,
    printer: &Printer,
    limiter: Option<&Arc<RateLimiter>>,
) -> anyhow::Result<ExitStatus> {
    let watch = WatchSettings::from_args(&args.watch)?;
    // ecspresso's `--tasks -1` means "keep the current count"; other negatives are mistakes.
    let tasks = match args.tasks {
        Some(-1) | None => None,
        Some(n) if n < 0 => anyhow::bail!("--tasks {n}: expected a count ≥ 0 (or -1: keep)"),
        Some(n) => Some(n),
    };
    let rollback_events = args
        .rollback_events
        .as_deref()
        .map(parse_rollback_events)
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?;
    let auto_scaling = crate::settings::auto_scaling_change(&args.auto_scaling)?;
    let mut project = load_project(&settings.project).await?;
    if let Some(limiter) = limiter {
        project.map_clients(|c| c.rate_limited(limiter));
    }
    for w in project.warnings() {
        printer.warn(w);
    }
    let opts = DeployOptions {
        dry_run: args.dry_run,
        tasks,
        skip_task_definition: args.skip_task_definition,
        revision: args.revision,
        latest_task_definition: args.latest_task_definition,
        force_new_deployment: args.force_new_deployment,
        update_service: !args.no_update_service,
        wait: !args.no_wait,
        strict: args.strict,
        watch: WatchOptions {
            timeout: watch.timeout.unwrap_or(project.config().timeout),
            poll_interval: watch.poll_interval,
            max_poll_interval: watch.max_poll_interval,
            wait_until: watch.wait_until,
        },
        codedeploy_config: args.codedeploy_config.clone(),
        rollback_events,
        auto_scaling,
    };
    super::notified_and_locked(
        &project,
        "deploy",
        args.lock.as_deref(),
        args.dry_run,
        settings,
        printer,
        async |sink| deploy(&project, &opts, sink).await,
    )
    .await
}
