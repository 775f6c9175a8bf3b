//! `ecspress diff [--exit-code] [--external CMD] [--strict]`

use anyhow::bail;

use crate::cli::DiffArgs;
use crate::exit::ExitStatus;
use crate::ops::diff::{DiffOptions, diff_project, run_external};
use crate::ops::render::load_project;
use crate::output::{Event, OutputFormat, Printer};
use crate::settings::GlobalSettings;

/// Diff the service, then the task definition; exit 1 with `--exit-code` when they differ.
pub async fn run(
    args: &DiffArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let external = args.external.as_deref().filter(|c| !c.trim().is_empty());
    if external.is_some() && printer.format() == OutputFormat::Json {
        bail!("--external cannot be combined with --output json (its output is not JSON Lines)");
    }
    let project = load_project(&settings.project).await?;
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
