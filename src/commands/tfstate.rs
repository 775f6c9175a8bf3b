//! `ecspress tfstate list|lookup`: the state as templates see it.

use anyhow::{Context, bail};

use crate::aws::{Clients, load_sdk_config};
use crate::cli::{TfstateArgs, TfstateCommand};
use crate::exit::ExitStatus;
use crate::model::tfstate::{TfState, TfstateError};
use crate::ops::render::load_project;
use crate::ops::tfstate_source::read_state;
use crate::output::{Event, Printer};
use crate::settings::GlobalSettings;

/// Run `tfstate list` or `tfstate lookup`.
pub async fn run(
    cmd: &TfstateCommand,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    match cmd {
        TfstateCommand::List(args) => {
            let (location, state) = open(args, settings, printer).await?;
            printer.event(&Event::TfstateList {
                state: location,
                addresses: state.list(),
            });
            Ok(ExitStatus::Success)
        }
        TfstateCommand::Lookup(args) => {
            let (location, state) = open(&args.state, settings, printer).await?;
            match state.lookup(&args.address) {
                Ok(value) => {
                    printer.event(&Event::TfstateValue {
                        state: location,
                        address: args.address.clone(),
                        value,
                        found: true,
                    });
                    Ok(ExitStatus::Success)
                }
                Err(e @ TfstateError::NotFound { .. }) => {
                    printer.event(&Event::TfstateValue {
                        state: location,
                        address: args.address.clone(),
                        value: serde_json::Value::Null,
                        found: false,
                    });
                    printer.warn(&e.to_string());
                    Ok(ExitStatus::Negative)
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Read the state named by `--state`, or the config's only tfstate plugin.
async fn open(
    args: &TfstateArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<(String, TfState)> {
    if let Some(location) = &args.state {
        let cfg = load_sdk_config(&settings.project.aws).await;
        let clients = Clients::from_sdk(&cfg);
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let state = read_state(location, &cwd, clients.s3.as_ref()).await?;
        return Ok((location.clone(), state));
    }
    let project = load_project(&settings.project)
        .await
        .context("--state was not given, so the config's tfstate plugin is used")?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let mut locations = project.tfstate_locations();
    if locations.len() != 1 {
        bail!(
            "{} has {} tfstate plugins; pass --state <path|url> to choose one",
            project.config_path().display(),
            locations.len()
        );
    }
    let (_, location, base_dir) = locations.remove(0);
    let state = read_state(&location, &base_dir, project.clients().s3.as_ref()).await?;
    Ok((location, state))
}
