//! The `ecspress` binary: parse, run, map the outcome to a documented exit code.

use std::process::ExitCode;

use clap::Parser;
use ecspress::cli::Cli;
use ecspress::exit::ExitStatus;
use ecspress::output::render_error;
use ecspress::settings::GlobalSettings;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors and 0 for --help/--version, matching our codes.
    let cli = Cli::parse();
    let settings = GlobalSettings::from_args(&cli.global);
    let printer = settings.printer();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            render_error(
                &printer,
                &anyhow::Error::new(e).context("cannot start the async runtime"),
                ExitStatus::Error,
            );
            return ExitStatus::Error.into();
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = ecspress::commands::dispatch(cli, &settings, &printer) => r,
            _ = tokio::signal::ctrl_c() => Ok(ExitStatus::Interrupted),
        }
    });
    // Don't wait for blocking tasks (e.g. a template render) still running after Ctrl-C.
    runtime.shutdown_background();
    match outcome {
        Ok(status) => status.into(),
        Err(err) => {
            render_error(&printer, &err, ExitStatus::Error);
            ExitStatus::Error.into()
        }
    }
}
