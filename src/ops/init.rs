//! `ecspress init`: write `ecspress.yml`, the service definition and the task definition files
//! from a live service (or, with `--task-definition` and no service, a task definition only).
//! Shaping is [`crate::model::init`]; this module reads AWS and writes files. It never prompts
//! (no stdin) and refuses to overwrite an existing file without `--force`, before writing any.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::aws::ecs::EcsApi;
use crate::model::init::{config_yaml, service_file, task_definition_file};
use crate::output::{Event, EventSink};

/// The task definition file name init writes.
pub const TASK_DEFINITION_FILE: &str = "ecs-task-def.json";
/// The service definition file name init writes.
pub const SERVICE_DEFINITION_FILE: &str = "ecs-service-def.json";

/// What to read and where to write.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// `--cluster`.
    pub cluster: String,
    /// `--service` (absent: task definition only).
    pub service: Option<String>,
    /// `--task-definition family:rev` (absent: the service's).
    pub task_definition: Option<String>,
    /// The config file to write (`--config`, else `ecspress.yml`); the definition files go next
    /// to it.
    pub config_path: PathBuf,
    /// `--region`, written into the config when given.
    pub region: Option<String>,
    /// `--force`: overwrite existing files.
    pub force: bool,
}

/// Read the live service / task definition and write the files.
pub async fn init(
    ecs: &dyn EcsApi,
    opts: &InitOptions,
    sink: &dyn EventSink,
) -> anyhow::Result<()> {
    let service = match &opts.service {
        Some(name) => Some(
            ecs.describe_service(&opts.cluster, name)
                .await
                .with_context(|| {
                    format!("cannot describe service {name} in cluster {}", opts.cluster)
                })?
                .ok_or_else(|| anyhow!("service {name} not found in cluster {}", opts.cluster))?,
        ),
        None => None,
    };
    let td_ref = match (&opts.task_definition, &service) {
        (Some(td), _) => td.clone(),
        (None, Some(s)) => s
            .get("taskDefinition")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("the service has no taskDefinition"))?
            .to_owned(),
        (None, None) => bail!("give --service, --task-definition, or both"),
    };
    let td = ecs
        .describe_task_definition(&td_ref)
        .await
        .with_context(|| format!("cannot describe task definition {td_ref}"))?;
    let dir = opts
        .config_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let svc_name = service.as_ref().map(|_| SERVICE_DEFINITION_FILE);
    files.push((
        opts.config_path.clone(),
        config_yaml(
            opts.region.as_deref(),
            &opts.cluster,
            opts.service.as_deref(),
            TASK_DEFINITION_FILE,
            svc_name,
        ),
    ));
    if let Some(s) = &service {
        files.push((
            dir.join(SERVICE_DEFINITION_FILE),
            json_text(&service_file(s))?,
        ));
    }
    files.push((
        dir.join(TASK_DEFINITION_FILE),
        json_text(&task_definition_file(&td))?,
    ));
    if !opts.force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(p, _)| p.exists())
            .map(|(p, _)| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist(s); pass --force to overwrite",
                existing.join(", ")
            );
        }
    }
    for (path, text) in &files {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        sink.emit(Event::Info {
            message: format!("wrote {}", path.display()),
        });
    }
    Ok(())
}

fn json_text(v: &Value) -> anyhow::Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(v)?))
}
