//! `ecspress deregister`: flags → [`DeregisterOptions`] → [`crate::ops::deregister::deregister`].

use crate::cli::DeregisterArgs;
use crate::exit::ExitStatus;
use crate::ops::deregister::{DeregisterOptions, deregister};
use crate::ops::render::load_project;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &DeregisterArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let opts = DeregisterOptions {
        revision: args.revision,
        keeps: args.keeps,
        delete: args.delete,
        dry_run: args.dry_run,
    };
    deregister(&project, &opts, printer).await
}
