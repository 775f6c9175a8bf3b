//! `ecspress diff`: what deploy would change, service first, then task definition.
//!
//! 1. Render both local files and check them against the AWS API model (a field the SDK
//!    does not know is a warning, or an error with `--strict`): all before any AWS call, so a
//!    broken template fails fast and offline.
//! 2. DescribeServices (cluster and service from the config). A missing service is no error:
//!    it diffs as all-added (deploy would create it).
//! 3. The live task definition: the service's, else the newest ACTIVE revision of the local
//!    file's family (ListTaskDefinitions, newest first); none → all-added.
//! 4. Both sides of each pair through [`crate::model::normalize`], then
//!    [`crate::model::diff::diff`].
//!
//! Read-only: DescribeServices, ListTaskDefinitions, DescribeTaskDefinition (plus the
//! render's lookups). The result is data ([`DiffReport`]); commands print it.

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, anyhow};
use serde_json::Value;

use crate::aws::codec;
use crate::model::diff::{DefinitionDiff, absent_label, diff};
use crate::model::normalize::{NormalizeOptions, service_for_diff, task_definition_for_diff};
use crate::ops::render::Project;

/// `diff` flags that change what the operation does.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// `--strict`: fields unknown to the AWS API model are an error, not a warning.
    pub strict: bool,
}

/// Which definition a [`SideDiff`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffKind {
    /// The service definition.
    Service,
    /// The task definition.
    TaskDefinition,
}

impl DiffKind {
    /// `service` / `taskdef` (event `kind`, `--external` file names).
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Service => "service",
            DiffKind::TaskDefinition => "taskdef",
        }
    }
}

/// One definition compared.
#[derive(Debug, Clone)]
pub struct SideDiff {
    /// Service or task definition.
    pub kind: DiffKind,
    /// The normalised live side (`None`: it does not exist).
    pub live: Option<Value>,
    /// The normalised local side.
    pub local: Value,
    /// The diff of the two.
    pub diff: DefinitionDiff,
}

/// Everything `diff` found.
#[derive(Debug, Clone, Default)]
pub struct DiffReport {
    /// Service first (when the config has a service and a service definition), then the task
    /// definition (when it has one).
    pub sides: Vec<SideDiff>,
    /// Fields in the local files the AWS API model does not know (not `--strict`).
    pub warnings: Vec<String>,
}

impl DiffReport {
    /// Whether any side differs.
    pub fn has_changes(&self) -> bool {
        self.sides.iter().any(|s| s.diff.has_changes())
    }
}

/// Fields in a definition file that the compiled AWS SDK model does not know: they would be
/// dropped before reaching ECS, so they are never silently ignored.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {} not in the AWS API model (aws-sdk-ecs would drop {}): {}", if .fields.len() == 1 { "field is" } else { "fields are" }, if .fields.len() == 1 { "it" } else { "them" }, .fields.join(", "))]
pub struct UnknownFieldsError {
    /// The file, as displayed.
    pub file: String,
    /// Paths such as `containerDefinitions[0].futureField`.
    pub fields: Vec<String>,
}

/// Render, describe, normalise and diff (see the module docs).
pub async fn diff_project(project: &Project, opts: DiffOptions) -> anyhow::Result<DiffReport> {
    let config = project.config();
    let service_file = match (&config.service, &config.service_definition) {
        (Some(name), Some(path)) => Some((name.clone(), path.clone())),
        _ => None,
    };
    if service_file.is_none() && config.task_definition.is_none() {
        return Err(anyhow!(
            "{}: nothing to diff: the config names neither a service with a service_definition nor a task_definition",
            display_path(project.config_path())
        ));
    }

    // 1. Everything local, before any AWS call.
    let mut warnings = Vec::new();
    let local_service = match &service_file {
        Some((_, path)) => {
            let v = project.render_service_definition().await?;
            check_fields(
                display_path(path),
                codec::unknown_service_fields(&v),
                opts,
                &mut warnings,
            )?;
            Some(v)
        }
        None => None,
    };
    let local_td = match &config.task_definition {
        Some(path) => {
            let v = project.render_task_definition().await?;
            check_fields(
                display_path(path),
                codec::unknown_task_definition_fields(&v),
                opts,
                &mut warnings,
            )?;
            Some(v)
        }
        None => None,
    };

    // 2. The live service (also the source of the live task definition's ARN).
    let ecs = project.clients().ecs.clone();
    let cluster = config.cluster.as_str();
    let live_service = match &config.service {
        Some(name) => ecs
            .describe_service(cluster, name)
            .await
            .with_context(|| format!("cannot describe service {name} in cluster {cluster}"))?,
        None => None,
    };

    let mut sides = Vec::new();
    if let (Some((name, path)), Some(local)) = (&service_file, &local_service) {
        let nopts = NormalizeOptions::new(&config.ignore.tags)
            .for_service_pair(live_service.as_ref(), local);
        let live_n = live_service.as_ref().map(|l| service_for_diff(l, &nopts));
        let local_n = service_for_diff(local, &nopts);
        let remote_label = match &live_service {
            Some(l) => l
                .get("serviceArn")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_owned(),
            None => absent_label(&format!("service {name} not found in cluster {cluster}")),
        };
        let d = diff(
            live_n.as_ref(),
            &local_n,
            &remote_label,
            &display_path(path),
        );
        sides.push(SideDiff {
            kind: DiffKind::Service,
            live: live_n,
            local: local_n,
            diff: d,
        });
    }

    // 3. The live task definition.
    if let (Some(path), Some(local)) = (&config.task_definition, &local_td) {
        let family = task_definition_for_diff(local, &NormalizeOptions::default())
            .get("family")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let arn = match live_service
            .as_ref()
            .and_then(|s| s.get("taskDefinition"))
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
        {
            Some(a) => Some(a.to_owned()),
            None if family.is_empty() => None,
            None => ecs
                .list_task_definitions(&family)
                .await
                .with_context(|| format!("cannot list task definitions of family {family}"))?
                .into_iter()
                .next(),
        };
        let live_td = match &arn {
            Some(a) => Some(
                ecs.describe_task_definition(a)
                    .await
                    .with_context(|| format!("cannot describe task definition {a}"))?,
            ),
            None => None,
        };
        if let Some(l) = &live_td {
            project.register_secrets(l);
        }
        let nopts = NormalizeOptions::new(&config.ignore.tags);
        let live_n = live_td
            .as_ref()
            .map(|l| task_definition_for_diff(l, &nopts));
        let local_n = task_definition_for_diff(local, &nopts);
        let remote_label = match (&live_td, &arn) {
            (Some(l), Some(a)) => l
                .get("taskDefinitionArn")
                .and_then(Value::as_str)
                .unwrap_or(a)
                .to_owned(),
            _ if family.is_empty() => absent_label("no family in the local task definition"),
            _ => absent_label(&format!("no ACTIVE task definition in family {family}")),
        };
        let d = diff(
            live_n.as_ref(),
            &local_n,
            &remote_label,
            &display_path(path),
        );
        sides.push(SideDiff {
            kind: DiffKind::TaskDefinition,
            live: live_n,
            local: local_n,
            diff: d,
        });
    }
    Ok(DiffReport { sides, warnings })
}

/// Unknown fields: an error with `--strict`, otherwise one warning per file.
fn check_fields(
    file: String,
    fields: Vec<String>,
    opts: DiffOptions,
    warnings: &mut Vec<String>,
) -> Result<(), UnknownFieldsError> {
    if fields.is_empty() {
        return Ok(());
    }
    let err = UnknownFieldsError { file, fields };
    if opts.strict {
        return Err(err);
    }
    warnings.push(format!("{err} (--strict makes this an error)"));
    Ok(())
}

/// A path relative to the current directory when it is below it (what users typed).
fn display_path(p: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf())
        .display()
        .to_string()
}

/// `--external CMD`: write each side's normalised JSON to `remote/<kind>.json` and
/// `local/<kind>.json` in a fresh temporary directory and run `CMD remote/<kind>.json
/// local/<kind>.json` there through `sh -c` (so `CMD` may carry its own flags, as in
/// `diff -u` or `difft --color=always`). A missing live side is an empty file. Exit status
/// 0 and 1 both mean success (`diff(1)` exits 1 on a difference); anything else is an error.
/// The program writes to our stdout/stderr directly.
pub async fn run_external(cmd: &str, report: &DiffReport) -> anyhow::Result<()> {
    let dir = ExternalDir::create()?;
    for side in &report.sides {
        let name = format!("{}.json", side.kind.as_str());
        let remote = side
            .live
            .as_ref()
            .map(crate::model::diff::pretty)
            .unwrap_or_default();
        let local = crate::model::diff::pretty(&side.local);
        for (sub, text) in [("remote", remote), ("local", local)] {
            let p = dir.path.join(sub).join(&name);
            tokio::fs::write(&p, crate::output::secrets::mask(&text))
                .await
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        let status = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{cmd} \"$1\" \"$2\""))
            .arg("sh")
            .arg(format!("remote/{name}"))
            .arg(format!("local/{name}"))
            .current_dir(&dir.path)
            .stdin(Stdio::null())
            .status()
            .await
            .with_context(|| format!("cannot run the external diff command `{cmd}`"))?;
        match status.code() {
            Some(0 | 1) => {}
            Some(code) => {
                return Err(anyhow!(
                    "the external diff command `{cmd}` failed with exit status {code} on {name}"
                ));
            }
            None => {
                return Err(anyhow!(
                    "the external diff command `{cmd}` was killed by a signal on {name}"
                ));
            }
        }
    }
    Ok(())
}

/// A temporary directory with `remote/` and `local/`, removed on drop.
struct ExternalDir {
    path: std::path::PathBuf,
}

impl ExternalDir {
    fn create() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("ecspress-diff-{}-{nanos}", std::process::id()));
        for sub in ["remote", "local"] {
            std::fs::create_dir_all(path.join(sub))
                .with_context(|| format!("cannot create {}", path.join(sub).display()))?;
        }
        Ok(ExternalDir { path })
    }
}

impl Drop for ExternalDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests;
