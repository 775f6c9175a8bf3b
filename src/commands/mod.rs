//! One thin file per subcommand: resolve settings, call `ops`, hand results to `output`.

mod appspec;
mod chatops;
mod completion;
mod continue_;
mod deploy;
mod deregister;
mod diff;
mod init;
mod notify;
mod refresh;
mod render;
mod revisions;
mod rollback;
mod run;
mod scale;
mod sim;
mod status;
mod tfstate;
mod verify;
mod wait;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the parsed command line.
pub async fn dispatch(
    cli: Cli,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Diff(args) => diff::run(&args, settings, printer).await,
        Command::Deploy(args) => deploy::run(&args, settings, printer).await,
        Command::Rollback(args) => rollback::run(&args, settings, printer).await,
        Command::Status(args) => status::run(&args, settings, printer).await,
        Command::Revisions(args) => revisions::run(&args, settings, printer).await,
        Command::Deregister(args) => deregister::run(&args, settings, printer).await,
        Command::Init(args) => init::run(&args, settings, printer).await,
        Command::Wait(args) => wait::run(&args, settings, printer).await,
        Command::Continue(args) => continue_::run(&args, settings, printer).await,
        Command::Appspec(args) => appspec::run(&args, settings, printer).await,
        Command::Render(args) => render::run(&args, settings, printer).await,
        Command::Verify(args) => verify::run(&args, settings, printer).await,
        Command::Tfstate(cmd) => tfstate::run(&cmd, settings, printer).await,
        Command::Chatops(cmd) => chatops::run(&cmd, settings, printer).await,
        Command::Sim(args) => sim::run(&args, printer).await,
        Command::Notify(args) => notify::run(&args, settings, printer).await,
        Command::Version => {
            let version = format!("ecspress {}", env!("CARGO_PKG_VERSION"));
            if printer.format() == crate::output::OutputFormat::Json {
                printer.event(&crate::output::Event::Info { message: version });
            } else {
                printer.data(&version);
            }
            Ok(ExitStatus::Success)
        }
        Command::Completion(args) => completion::run(&args, printer),
        Command::Scale(args) => scale::run(&args, settings, printer).await,
        Command::Refresh(args) => refresh::run(&args, settings, printer).await,
        Command::Run(args) => run::run(&args, settings, printer).await,
    }
}

/// Run a command that changes things the way every such command does: Slack notifications
/// around it (the config's `notify:`; none for a dry run) and the deploy lock (`--lock`; a dry
/// run changes nothing, so it neither needs nor blocks the lock).
pub(crate) async fn notified_and_locked(
    project: &crate::ops::render::Project,
    command: &str,
    lock: Option<&str>,
    dry_run: bool,
    settings: &GlobalSettings,
    printer: &Printer,
    op: impl AsyncFnOnce(&dyn crate::output::EventSink) -> anyhow::Result<ExitStatus>,
) -> anyhow::Result<ExitStatus> {
    let notifications =
        crate::ops::notify::begin(project, command, &settings.metadata, printer, !dry_run).await;
    let sink = notifications.sink(printer);
    let lock = lock.filter(|_| !dry_run);
    let holder = crate::ops::lock::cli_holder_info(command);
    let result = crate::ops::lock::locked(project, lock, &holder, op(sink.as_ref())).await;
    drop(sink);
    notifications.finish(&result, printer).await;
    result
}
