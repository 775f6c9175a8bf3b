//! `ecspress init`: write `ecspress.yml`, the service definition and the task definition files
//! from a live service (or, with `--task-definition` and no service, a task definition only).
//! Shaping is [`crate::model::init`]; this module reads AWS and writes files. It never prompts
//! (no stdin) and refuses to overwrite an existing file without `--force`, before writing any.
//!
//! A service under the `CODE_DEPLOY` controller gets its CodeDeploy application and deployment
//! group searched once here and pinned in `ecspress.yml` (as ecspresso's init does, §1.18), so
//! later deploys skip the search.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::aws::codedeploy::CodeDeployApi;
use crate::aws::ecs::EcsApi;
use crate::model::init::{ConfigFile, config_yaml, service_file, task_definition_file};
use crate::ops::codedeploy::search_group;
use crate::ops::deploy::string_field;
use crate::output::{Event, EventSink};

/// The format of the definition files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionFormat {
    /// `ecs-*-def.json` (the AWS CLI shape, pasteable both ways).
    Json,
    /// `ecs-*-def.yml` (same keys; `render` reads it back like JSON).
    Yaml,
    /// `ecs-*-def.jsonnet`, and the config too when it is a `.jsonnet` file: pretty JSON, which
    /// is valid Jsonnet, ready for locals, imports and native functions.
    Jsonnet,
}

impl DefinitionFormat {
    /// The task and service definition file names init writes.
    pub fn file_names(self) -> (&'static str, &'static str) {
        match self {
            DefinitionFormat::Json => ("ecs-task-def.json", "ecs-service-def.json"),
            DefinitionFormat::Yaml => ("ecs-task-def.yml", "ecs-service-def.yml"),
            DefinitionFormat::Jsonnet => ("ecs-task-def.jsonnet", "ecs-service-def.jsonnet"),
        }
    }

    fn text(self, v: &Value) -> anyhow::Result<String> {
        Ok(match self {
            DefinitionFormat::Json | DefinitionFormat::Jsonnet => {
                format!("{}\n", serde_json::to_string_pretty(v)?)
            }
            DefinitionFormat::Yaml => serde_yaml_ng::to_string(v)?,
        })
    }
}

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
    /// `--yaml`: YAML definition files.
    pub format: DefinitionFormat,
}

/// Read the live service / task definition and write the files.
pub async fn init(
    ecs: &dyn EcsApi,
    codedeploy: &dyn CodeDeployApi,
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
    let codedeploy_group = match (&service, &opts.service) {
        (Some(s), Some(name))
            if s.pointer("/deploymentController/type")
                .and_then(Value::as_str)
                == Some("CODE_DEPLOY") =>
        {
            let (app, info) = search_group(codedeploy, None, &opts.cluster, name)
                .await
                .with_context(|| {
                    format!(
                        "service {name} uses the CODE_DEPLOY controller: cannot find its CodeDeploy deployment group"
                    )
                })?;
            let group = string_field(&info, "deploymentGroupName").unwrap_or_default();
            Some((app, group))
        }
        _ => None,
    };
    let (td_file, svc_file) = opts.format.file_names();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let config = config_yaml(&ConfigFile {
        region: opts.region.as_deref(),
        cluster: &opts.cluster,
        service: opts
            .service
            .as_deref()
            .filter(|_| service.is_some())
            .map(|s| (s, svc_file)),
        task_definition: td_file,
        codedeploy: codedeploy_group
            .as_ref()
            .map(|(a, g)| (a.as_str(), g.as_str())),
    });
    // A `.jsonnet` config is written as JSON (valid Jsonnet); any other name gets YAML.
    let config = if crate::template::is_jsonnet(&opts.config_path) {
        let value: Value = serde_yaml_ng::from_str(&config).context("cannot convert the config")?;
        format!("{}\n", serde_json::to_string_pretty(&value)?)
    } else {
        config
    };
    files.push((opts.config_path.clone(), config));
    if let Some(s) = &service {
        files.push((dir.join(svc_file), opts.format.text(&service_file(s))?));
    }
    files.push((
        dir.join(td_file),
        opts.format.text(&task_definition_file(&td))?,
    ));
    write_new_files(&files, opts.force, "", sink)?;
    Ok(())
}

/// Write generated files (init, migrate): refuse, before writing any, when one exists and
/// `force` is off (`hint` is added to that error); create parent directories; one `wrote`
/// line per file.
pub(crate) fn write_new_files(
    files: &[(PathBuf, String)],
    force: bool,
    hint: &str,
    sink: &dyn EventSink,
) -> anyhow::Result<()> {
    if !force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(p, _)| p.exists())
            .map(|(p, _)| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist(s); pass --force to overwrite{hint}",
                existing.join(", ")
            );
        }
    }
    for (path, text) in files {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        sink.emit(Event::Info {
            message: format!("wrote {}", path.display()),
        });
    }
    Ok(())
}
