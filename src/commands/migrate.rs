//! `ecspress migrate`: flags → [`MigrateOptions`] → [`crate::ops::migrate::migrate`] (no AWS).

use crate::cli::MigrateArgs;
use crate::exit::ExitStatus;
use crate::ops::migrate::{MigrateOptions, migrate};
use crate::output::Printer;

/// Run the command: exit 0 when everything was converted, 1 when something is left for the
/// user (each listed with file:line), 2 on errors (nothing written).
pub fn run(args: &MigrateArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let opts = MigrateOptions {
        from: args.from.clone(),
        out: args.out.clone(),
        force: args.force,
    };
    let summary = migrate(&opts, printer)?;
    Ok(if summary.left == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Negative
    })
}
