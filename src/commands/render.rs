//! `ecspress render [config|taskdef|servicedef]...`

use crate::cli::{RenderArgs, RenderTarget};
use crate::exit::ExitStatus;
use crate::ops::render::load_project;
use crate::output::{Event, Printer};
use crate::settings::GlobalSettings;

/// Render the requested files and print them (all are rendered before anything is printed).
pub async fn run(
    args: &RenderArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let project = load_project(&settings.project).await?;
    for w in project.warnings() {
        printer.warn(w);
    }
    let config = project.config();
    let targets: Vec<RenderTarget> = if args.targets.is_empty() {
        let mut t = vec![RenderTarget::Config];
        if config.service_definition.is_some() {
            t.push(RenderTarget::Servicedef);
        }
        if config.task_definition.is_some() {
            t.push(RenderTarget::Taskdef);
        }
        t
    } else {
        args.targets.clone()
    };
    let mut events = Vec::with_capacity(targets.len());
    for target in targets {
        let (kind, file, definition) = match target {
            RenderTarget::Config => (
                "config",
                project.config_path().display().to_string(),
                project.config_json(),
            ),
            RenderTarget::Taskdef => (
                "taskdef",
                display_opt(config.task_definition.as_deref()),
                project.render_task_definition().await?,
            ),
            RenderTarget::Servicedef => (
                "servicedef",
                display_opt(config.service_definition.as_deref()),
                project.render_service_definition().await?,
            ),
        };
        events.push(Event::Rendered {
            kind: kind.into(),
            file,
            definition,
        });
    }
    for e in &events {
        printer.event(e);
    }
    Ok(ExitStatus::Success)
}

fn display_opt(p: Option<&std::path::Path>) -> String {
    p.map(|p| p.display().to_string()).unwrap_or_default()
}
