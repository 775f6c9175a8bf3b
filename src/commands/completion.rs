//! `ecspress completion bash|zsh|fish`.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionArgs, ShellArg};
use crate::exit::ExitStatus;
use crate::output::Printer;

/// Print the completion script for the shell.
pub fn run(args: &CompletionArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let shell = match args.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ecspress", &mut buf);
    printer.data(&String::from_utf8_lossy(&buf));
    Ok(ExitStatus::Success)
}
