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
    }
}
