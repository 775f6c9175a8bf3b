//! `ecspress init`: flags → [`InitOptions`] → [`crate::ops::init::init`] (no config needed).

use crate::aws::{Clients, load_sdk_config};
use crate::cli::InitArgs;
use crate::exit::ExitStatus;
use crate::ops::init::{DefinitionFormat, InitOptions, init};
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Run the command.
pub async fn run(
    args: &InitArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let clients = Clients::from_sdk(&load_sdk_config(&settings.project.aws).await);
    let opts = InitOptions {
        cluster: args.cluster.clone(),
        service: args.service.clone(),
        task_definition: args.task_definition.clone(),
        config_path: settings.project.config_path.clone().unwrap_or_else(|| {
            if args.jsonnet {
                "ecspress.jsonnet".into()
            } else {
                "ecspress.yml".into()
            }
        }),
        region: settings.project.aws.region.clone(),
        force: args.force,
        format: if args.yaml {
            DefinitionFormat::Yaml
        } else if args.jsonnet {
            DefinitionFormat::Jsonnet
        } else {
            DefinitionFormat::Json
        },
    };
    init(
        clients.ecs.as_ref(),
        clients.codedeploy.as_ref(),
        &opts,
        printer,
    )
    .await?;
    Ok(ExitStatus::Success)
}
