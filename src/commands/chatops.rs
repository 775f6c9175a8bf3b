//! `ecspress chatops serve --listen ADDR [--config chatops.yml]`.

use std::path::PathBuf;

use anyhow::Context;

use crate::chatops::Server;
use crate::chatops::config::ChatopsConfig;
use crate::chatops::server::router;
use crate::cli::ChatopsCommand;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::settings::GlobalSettings;

/// Load chatops.yml, resolve secrets, serve until interrupted. Prints exactly one line to
/// stdout when ready: `ecspress chatops listening on http://ADDR` (scripts wait for it).
pub async fn run(
    cmd: &ChatopsCommand,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let ChatopsCommand::Serve(args) = cmd;
    let path = settings
        .project
        .config_path
        .clone()
        .unwrap_or_else(|| PathBuf::from("chatops.yml"));
    let config = ChatopsConfig::load(&path)?;
    let server = Server::new(config, settings.project.aws.clone()).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr().context("no local address")?;
    printer.data(&format!("ecspress chatops listening on http://{addr}"));
    axum::serve(listener, router(server))
        .await
        .context("chatops server failed")?;
    Ok(ExitStatus::Success)
}
