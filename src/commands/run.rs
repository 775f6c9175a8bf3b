//! `ecspress run`: flags → `ops::run` → the task ARNs (`--no-wait`) and the exit status.

use anyhow::Context;

use crate::cli::{RunArgs, RunWaitUntil};
use crate::exit::ExitStatus;
use crate::ops::render::load_project;
use crate::ops::run::{self, RunOptions};
use crate::output::{OutputFormat, Printer};
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &RunArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    crate::model::run::check_count(args.count).map_err(|e| anyhow::anyhow!(e))?;
    let overrides = overrides(args)?;
    let (timeout, poll_interval) =
        crate::settings::parse_timing(args.timeout.as_deref(), &args.poll_interval)?;
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let opts = RunOptions {
        dry_run: args.dry_run,
        count: args.count,
        wait_until: (!args.no_wait).then_some(match args.wait_until {
            RunWaitUntil::Running => run::RunWaitUntil::Running,
            RunWaitUntil::Stopped => run::RunWaitUntil::Stopped,
        }),
        watch_container: args.watch_container.clone(),
        revision: args.revision,
        latest_task_definition: args.latest_task_definition,
        started_by: args.started_by.clone(),
        overrides,
        logs: !args.no_logs,
        timeout: timeout.unwrap_or(project.config().timeout),
        poll_interval,
    };
    let outcome = run::run_project(&project, &opts, printer).await?;
    // `--no-wait`: the ARNs are the result (stdout, one per line; JSON mode has `task_started`).
    if args.no_wait && printer.format() == OutputFormat::Text && !outcome.task_arns.is_empty() {
        printer.data(&outcome.task_arns.join("\n"));
    }
    Ok(outcome.status)
}

/// `--overrides JSON` or `--overrides-file F`, parsed.
fn overrides(args: &RunArgs) -> anyhow::Result<Option<serde_json::Value>> {
    let (text, source) = match (&args.overrides, &args.overrides_file) {
        (Some(j), _) => (j.clone(), "--overrides".to_owned()),
        (None, Some(f)) => (
            std::fs::read_to_string(f)
                .with_context(|| format!("--overrides-file {}: cannot read it", f.display()))?,
            format!("--overrides-file {}", f.display()),
        ),
        (None, None) => return Ok(None),
    };
    serde_json::from_str(&text)
        .map(Some)
        .with_context(|| format!("{source}: not valid JSON"))
}
