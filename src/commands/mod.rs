//! One thin file per subcommand: resolve settings, call `ops`, hand results to `output`.

mod appspec;
mod chatops;
mod completion;
mod continue_;
mod deploy;
mod deregister;
mod diff;
mod fleet;
mod init;
mod migrate;
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
    crate::aws::check_timeout_env()?;
    // `deploy`, `diff`, `wait` and `status` run over several configs; the others refuse a
    // second one.
    let single;
    let settings = match &cli.command {
        Command::Deploy(_)
        | Command::Diff(_)
        | Command::Wait(_)
        | Command::Status(_)
        | Command::Version
        | Command::Completion(_)
        | Command::Sim(_) => settings,
        other => {
            single = settings.single_config(command_name(other))?;
            &single
        }
    };
    match cli.command {
        Command::Diff(args) => diff::run(&args, settings, printer).await,
        Command::Deploy(args) => deploy::run(&args, settings, printer).await,
        Command::Rollback(args) => rollback::run(&args, settings, printer).await,
        Command::Status(args) => status::run(&args, settings, printer).await,
        Command::Revisions(args) => revisions::run(&args, settings, printer).await,
        Command::Deregister(args) => deregister::run(&args, settings, printer).await,
        Command::Init(args) => init::run(&args, settings, printer).await,
        Command::Migrate(args) => migrate::run(&args, printer),
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

/// The subcommand's name as typed (for messages).
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Diff(_) => "diff",
        Command::Deploy(_) => "deploy",
        Command::Rollback(_) => "rollback",
        Command::Status(_) => "status",
        Command::Revisions(_) => "revisions",
        Command::Deregister(_) => "deregister",
        Command::Init(_) => "init",
        Command::Migrate(_) => "migrate",
        Command::Run(_) => "run",
        Command::Wait(_) => "wait",
        Command::Continue(_) => "continue",
        Command::Appspec(_) => "appspec",
        Command::Render(_) => "render",
        Command::Verify(_) => "verify",
        Command::Tfstate(_) => "tfstate",
        Command::Chatops(_) => "chatops serve",
        Command::Sim(_) => "sim",
        Command::Notify(_) => "notify",
        Command::Version => "version",
        Command::Completion(_) => "completion",
        Command::Scale(_) => "scale",
        Command::Refresh(_) => "refresh",
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
