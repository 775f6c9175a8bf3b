//! The `ecspress` binary: parse, run, map the outcome to a documented exit code.

use std::process::ExitCode;

use clap::Parser;
use ecspress::cli::Cli;
use ecspress::exit::ExitStatus;
use ecspress::output::render_error;
use ecspress::settings::GlobalSettings;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors and 0 for --help/--version, matching our codes.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let settings = GlobalSettings::from_args(&cli.global);
    ecspress::output::secrets::show_user_secrets(cli.global.show_secrets);
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
            printer.finish(ExitStatus::Error, Some("cannot start the async runtime"));
            return ExitStatus::Error.into();
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            r = ecspress::commands::dispatch(cli, &settings, &printer) => r,
            _ = tokio::signal::ctrl_c() => Ok(ExitStatus::Interrupted),
        }
    });
    if matches!(outcome, Ok(ExitStatus::Interrupted)) {
        // The command was dropped: give its Slack notifier a bounded moment to post the
        // `interrupted` final message.
        for w in runtime.block_on(ecspress::slack::notify::drain_orphans(
            std::time::Duration::from_secs(5),
        )) {
            printer.warn(&w);
        }
    }
    // Don't wait for blocking tasks (e.g. a template render) still running after Ctrl-C.
    runtime.shutdown_background();
    // JSON Lines: the stream ends with exactly one `verdict` record carrying the exit code.
    match outcome {
        Ok(status) => {
            printer.finish(status, None);
            status.into()
        }
        Err(err) => {
            render_error(&printer, &err, ExitStatus::Error);
            printer.finish(ExitStatus::Error, Some(&err.to_string()));
            ExitStatus::Error.into()
        }
    }
}

/// clap's usage error (or `--help`/`--version`): clap prints and picks the code (2 / 0). With
/// `--output json` on the command line, a usage error also closes the JSON Lines stream with an
/// `error` record and a `verdict` (the contract holds even when parsing fails).
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let informational = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    let args: Vec<String> = std::env::args().collect();
    let json = args
        .windows(2)
        .any(|w| w[0] == "--output" && w[1] == "json")
        || args.iter().any(|a| a == "--output=json");
    if informational || !json {
        e.exit();
    }
    let _ = e.print();
    let printer = ecspress::output::Printer::new(
        ecspress::output::OutputFormat::Json,
        ecspress::output::ColorChoice::Never,
    );
    let message = e.kind().to_string();
    render_error(
        &printer,
        &anyhow::anyhow!("invalid command line: {message}"),
        ExitStatus::Error,
    );
    printer.finish(
        ExitStatus::Error,
        Some(&format!("invalid command line: {message}")),
    );
    ExitStatus::Error.into()
}
