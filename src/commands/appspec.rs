//! `ecspress appspec`: print the CodeDeploy AppSpec deploy would send.

use crate::cli::AppspecArgs;
use crate::exit::ExitStatus;
use crate::ops::codedeploy::{AppSpecTaskDefinition, appspec};
use crate::ops::render::load_project;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &AppspecArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let which = match args.task_definition.as_deref() {
        None => AppSpecTaskDefinition::Deploy,
        Some("current") => AppSpecTaskDefinition::Current,
        Some("latest") => AppSpecTaskDefinition::Latest,
        Some(name) => AppSpecTaskDefinition::Named(name.to_owned()),
    };
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    appspec(&project, &which, printer).await
}
