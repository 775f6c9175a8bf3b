//! `ecspress status`: the service, its deployments, auto scaling and recent events.

use crate::cli::StatusArgs;
use crate::exit::ExitStatus;
use crate::ops::render::load_project;
use crate::ops::status::status;
use crate::output::{Event, Printer};
use crate::settings::GlobalSettings;

/// Run the command (once per config with several).
pub async fn run(
    args: &StatusArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    super::fleet::each_config(
        "status",
        &args.fleet,
        settings,
        printer,
        |settings, printer, limiter| async move {
            run_one(args, &settings, &printer, limiter.as_ref()).await
        },
    )
    .await
}

async fn run_one(
    args: &StatusArgs,
    settings: &GlobalSettings,
    printer: &Printer,
    limiter: Option<&std::sync::Arc<crate::aws::ratelimit::RateLimiter>>,
) -> anyhow::Result<ExitStatus> {
    let mut project = load_project(&settings.project).await?;
    if let Some(limiter) = limiter {
        project.map_clients(|c| c.rate_limited(limiter));
    }
    for w in project.warnings() {
        printer.warn(w);
    }
    let report = status(&project, args.events).await?;
    printer.event(&Event::Status(Box::new(report)));
    Ok(ExitStatus::Success)
}
