//! `ecspress continue`: flags → [`ContinueOptions`] → [`crate::ops::continue_::continue_deployment`].

use crate::cli::ContinueArgs;
use crate::exit::ExitStatus;
use crate::ops::continue_::{ContinueOptions, continue_deployment};
use crate::ops::render::load_project;
use crate::ops::watch::WatchOptions;
use crate::output::Printer;
use crate::settings::{GlobalSettings, WatchSettings};

/// Run the command.
pub async fn run(
    args: &ContinueArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let watch = WatchSettings::from_args(&args.watch)?;
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let opts = ContinueOptions {
        rollback: args.rollback,
        finish: args.finish,
        wait: !args.no_wait,
        watch: WatchOptions {
            timeout: watch.timeout.unwrap_or(project.config().timeout),
            poll_interval: watch.poll_interval,
            max_poll_interval: watch.max_poll_interval,
            wait_until: watch.wait_until,
        },
    };
    continue_deployment(&project, &opts, printer).await
}
