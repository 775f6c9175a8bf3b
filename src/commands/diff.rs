//! `ecspress diff [--exit-code] [--external CMD] [--strict]`

use std::sync::Arc;

use anyhow::bail;

use crate::aws::ratelimit::RateLimiter;
use crate::cli::DiffArgs;
use crate::exit::ExitStatus;
use crate::ops::diff::{DiffOptions, diff_project, run_external};
use crate::ops::render::load_project;
use crate::output::{Event, OutputFormat, Printer};
use crate::settings::GlobalSettings;

/// Diff the service, then the task definition; exit 1 with `--exit-code` when they differ.
/// Several configs: each service's diff (every unified diff names its ARN and file), exit
/// the worst (2 for an error beats 1 for changes).
pub async fn run(
    args: &DiffArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    if args
        .external
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty())
        && printer.format() == OutputFormat::Json
    {
        bail!("--external cannot be combined with --output json (its output is not JSON Lines)");
    }
    super::fleet::each_config(
        "diff",
        &args.fleet,
        settings,
        printer,
        |settings, printer, limiter| async move {
            run_one(args, &settings, &printer, limiter.as_ref()).await
        },
    )
    .await
}

/// Diff one config; `limiter`: the run's shared API budget (several configs).
async fn run_one(
    args: &DiffArgs,
    settings: &GlobalSettings,
    printer: &Printer,
    limiter: Option<&Arc<RateLimiter>>,
) -> anyhow::Result<ExitStatus> {
    let external = args.external.as_deref().filter(|c| !c.trim().is_empty());
    let mut project = load_project(&settings.project).await?;
    if let Some(limiter) = limiter {
        project.map_clients(|c| c.rate_limited(limiter));
    }
    for w in project.warnings() {
        printer.warn(w);
    }
    let report = diff_project(
        &project,
        DiffOptions {
            strict: args.strict,
        },
    )
    .await?;
    for w in &report.warnings {
        printer.warn(w);
    }
    match external {
        Some(cmd) => run_external(cmd, &report).await?,
        None => {
            for side in &report.sides {
                printer.event(&Event::Diff {
                    kind: side.kind.as_str().to_owned(),
                    changed: side.diff.has_changes(),
                    diff: side.diff.clone(),
                });
            }
        }
    }
    Ok(if args.exit_code && report.has_changes() {
        ExitStatus::Negative
    } else {
        ExitStatus::Success
    })
}
