//! `ecspress migrate`: read an ecspresso config and the definition files it names, write
//! `ecspress.yml` and the converted templates ([`crate::model::migrate`] does the converting).
//!
//! Output goes to a separate directory (default `<config dir>/ecspress/`) so the ecspresso
//! project keeps working while a team switches; paths that pointed outside the config's
//! directory (tfstate `path`) are rebased so they still reach the same file. Nothing is
//! overwritten without `--force`, and nothing is written when a file cannot be read.
//!
//! Jsonnet stays Jsonnet: ecspresso's native functions have the same names and arguments here,
//! so only the Go template calls inside strings are converted (with quotes that survive the
//! JSON text they are rendered from, [`Quotes::Jsonnet`]), and files a Jsonnet file imports
//! from inside the config's directory are converted and copied along, so relative imports
//! still resolve. A Jsonnet config is not rewritten: it is *evaluated* (the `env` natives only,
//! no AWS) to find its definition files and plugins, and each path or key that needs a change
//! is reported with the value to write. Evaluating it fully with placeholders instead would
//! bake placeholder values into the output.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::model::migrate::{
    ConfigPlan, Problem, Quotes, convert_config, convert_template, convert_template_with,
    jsonnet_imports, plan_jsonnet_config,
};
use crate::output::{Event, EventSink};
use crate::template::{Engine, ProcessEnv, is_jsonnet};

/// What to convert and where.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// `--from` (default: the first of ecspresso.yml/.yaml/.json in the current directory).
    pub from: Option<PathBuf>,
    /// `--out` (default: `ecspress/` next to the ecspresso config).
    pub out: Option<PathBuf>,
    /// `--force`.
    pub force: bool,
}

/// What was done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateSummary {
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Template calls converted.
    pub converted: usize,
    /// Constructs left for the user.
    pub left: usize,
}

/// The config names ecspresso looks for.
const DEFAULT_CONFIGS: &[&str] = &[
    "ecspresso.yml",
    "ecspresso.yaml",
    "ecspresso.json",
    "ecspresso.jsonnet",
];

/// Convert and write.
pub fn migrate(opts: &MigrateOptions, sink: &dyn EventSink) -> anyhow::Result<MigrateSummary> {
    let from = match &opts.from {
        Some(p) => p.clone(),
        None => DEFAULT_CONFIGS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .with_context(|| {
                format!(
                    "no ecspresso config here ({}); pass --from FILE",
                    DEFAULT_CONFIGS.join(", ")
                )
            })?,
    };
    let src_dir = parent_dir(&from);
    let out = opts.out.clone().unwrap_or_else(|| src_dir.join("ecspress"));
    let text = std::fs::read_to_string(&from)
        .with_context(|| format!("cannot read the ecspresso config {}", from.display()))?;
    let rebase = |p: &str| rebase(&src_dir, &out, p);
    let jsonnet_config = is_jsonnet(&from);
    let plan = if jsonnet_config {
        plan_jsonnet(&from, &text, &rebase)?
    } else {
        convert_config(&text, &rebase).map_err(|e| anyhow::anyhow!("{}: {e}", from.display()))?
    };
    let mut summary = MigrateSummary {
        converted: plan.converted,
        ..MigrateSummary::default()
    };
    let mut left: Vec<(PathBuf, Problem)> = plan
        .problems
        .iter()
        .map(|p| (from.clone(), p.clone()))
        .collect();
    let config_name = if jsonnet_config {
        "ecspress.jsonnet"
    } else {
        "ecspress.yml"
    };
    let mut files = vec![(out.join(config_name), plan.yaml.clone())];
    let mut imports: Vec<(PathBuf, PathBuf)> = Vec::new();
    if jsonnet_config {
        imports.push((from.clone(), out.join(config_name)));
    }
    for (original, target) in &plan.definitions {
        let path = src_dir.join(original);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the definition file {}", path.display()))?;
        if is_jsonnet(&path) {
            let converted = convert_template_with(&text, &plan.prefixes, Quotes::Jsonnet);
            summary.converted += converted.converted();
            left.extend(converted.problems.iter().map(|p| (path.clone(), p.clone())));
            files.push((out.join(target), converted.text));
            imports.push((path, out.join(target)));
            continue;
        }
        let converted = convert_template(&text, &plan.prefixes);
        summary.converted += converted.converted();
        left.extend(converted.problems.iter().map(|p| (path.clone(), p.clone())));
        files.push((out.join(target), converted.text));
    }
    // Files Jsonnet imports, converted and copied next to their importers (transitively).
    let mut seen: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    while let Some((importer, written_as)) = imports.pop() {
        let text = std::fs::read_to_string(&importer).unwrap_or_default();
        for (line, import) in jsonnet_imports(&text) {
            let p = Path::new(&import);
            let (from_dir, to_dir) = (parent_dir(&importer), parent_dir(&written_as));
            if p.is_absolute() {
                continue;
            }
            let source = from_dir.join(p);
            let target = to_dir.join(p);
            let inside = std::path::absolute(&source)
                .ok()
                .zip(std::path::absolute(&src_dir).ok())
                .is_some_and(|(s, d)| normalize(&s).starts_with(normalize(&d)));
            if !inside || !source.is_file() {
                left.push((
                    importer.clone(),
                    Problem {
                        line,
                        text: import.clone(),
                        reason: format!(
                            "imported from outside the ecspresso config's directory (or missing): not copied; from {} it resolves to {}",
                            written_as.display(),
                            to_dir.join(p).display()
                        ),
                        left: true,
                    },
                ));
                continue;
            }
            let target = normalize(&target);
            if seen.contains(&target) {
                continue;
            }
            seen.push(target.clone());
            let text = std::fs::read_to_string(&source)
                .with_context(|| format!("cannot read {}", source.display()))?;
            let converted = if import.ends_with("sonnet") {
                let c = convert_template_with(&text, &plan.prefixes, Quotes::Jsonnet);
                summary.converted += c.converted();
                left.extend(c.problems.iter().map(|p| (source.clone(), p.clone())));
                imports.push((source.clone(), target.clone()));
                c.text
            } else {
                text
            };
            files.push((target, converted));
        }
    }
    crate::ops::init::write_new_files(&files, opts.force, " (or --out DIR)", sink)?;
    summary.files = files.iter().map(|(p, _)| p.clone()).collect();
    summary.left = left.iter().filter(|(_, p)| p.left).count();
    for (file, p) in left {
        if p.left {
            sink.emit(Event::MigrateLeft {
                file: file.display().to_string(),
                line: p.line,
                text: p.text,
                reason: p.reason,
            });
        } else {
            sink.emit(Event::Warning {
                message: format!("{}:{}: {}: {}", file.display(), p.line, p.text, p.reason),
            });
        }
    }
    sink.emit(Event::Info {
        message: format!(
            "converted {} template call(s); {} left for you{}",
            summary.converted,
            summary.left,
            if summary.left == 0 {
                format!(
                    " — next: `ecspress --config {} diff`",
                    out.join(config_name).display()
                )
            } else {
                " (listed above, with file:line)".to_owned()
            }
        ),
    });
    Ok(summary)
}

/// Evaluate a Jsonnet ecspresso config without AWS (env natives only, from the process
/// environment) and plan it: see the module docs.
fn plan_jsonnet(
    from: &Path,
    text: &str,
    rebase: &dyn Fn(&str) -> String,
) -> anyhow::Result<ConfigPlan> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let abs = std::path::absolute(from).unwrap_or_else(|_| from.to_path_buf());
    let engine = Engine::new(std::sync::Arc::new(ProcessEnv));
    let (keys, fields) = engine.outline_jsonnet(
        &abs,
        &from.display().to_string(),
        text.to_owned(),
        &cwd,
        &["plugins", "task_definition", "service_definition"],
    )?;
    Ok(plan_jsonnet_config(text, &keys, &fields, rebase))
}

/// `.` and `..` resolved lexically (no file system access).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn parent_dir(p: &Path) -> PathBuf {
    p.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `path` (relative to `src_dir`) relative to `out`; absolute paths stay as they are.
fn rebase(src_dir: &Path, out: &Path, path: &str) -> String {
    let p = Path::new(path);
    if p.is_absolute() {
        return path.to_owned();
    }
    let abs = |d: &Path| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf());
    pathdiff::diff_paths(abs(&src_dir.join(p)), abs(out))
        .map(|r| r.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebases_relative_paths_onto_the_output_directory() {
        let cases = [
            (
                "proj",
                "proj/ecspress",
                "terraform.tfstate",
                "../terraform.tfstate",
            ),
            (
                "proj",
                "proj",
                "../tf/terraform.tfstate",
                "../tf/terraform.tfstate",
            ),
            ("proj", "other/out", "s.tfstate", "../../proj/s.tfstate"),
            ("proj", "proj/ecspress", "/abs/s.tfstate", "/abs/s.tfstate"),
        ];
        for (src, out, path, want) in cases {
            assert_eq!(
                rebase(Path::new(src), Path::new(out), path),
                want,
                "{src} {out} {path}"
            );
        }
    }
}
