//! `ecspress migrate`: read an ecspresso config and the definition files it names, write
//! `ecspress.yml` and the converted templates ([`crate::model::migrate`] does the converting).
//!
//! Output goes to a separate directory (default `<config dir>/ecspress/`) so the ecspresso
//! project keeps working while a team switches; paths that pointed outside the config's
//! directory (tfstate `path`) are rebased so they still reach the same file. Nothing is
//! overwritten without `--force`, and nothing is written when a file cannot be read.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::model::migrate::{Problem, convert_config, convert_template};
use crate::output::{Event, EventSink};

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
const DEFAULT_CONFIGS: &[&str] = &["ecspresso.yml", "ecspresso.yaml", "ecspresso.json"];

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
    if from.extension().is_some_and(|e| e == "jsonnet") {
        bail!(
            "{}: Jsonnet ecspresso configs are not supported yet (Jsonnet support is tracked in #8); evaluate it with `jsonnet` to JSON and pass that with --from",
            from.display()
        );
    }
    let src_dir = parent_dir(&from);
    let out = opts.out.clone().unwrap_or_else(|| src_dir.join("ecspress"));
    let text = std::fs::read_to_string(&from)
        .with_context(|| format!("cannot read the ecspresso config {}", from.display()))?;
    let rebase = |p: &str| rebase(&src_dir, &out, p);
    let plan =
        convert_config(&text, &rebase).map_err(|e| anyhow::anyhow!("{}: {e}", from.display()))?;
    let mut summary = MigrateSummary {
        converted: plan.converted,
        ..MigrateSummary::default()
    };
    let mut left: Vec<(PathBuf, Problem)> = plan
        .problems
        .iter()
        .map(|p| (from.clone(), p.clone()))
        .collect();
    let mut files = vec![(out.join("ecspress.yml"), plan.yaml.clone())];
    for (original, target) in &plan.definitions {
        let path = src_dir.join(original);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the definition file {}", path.display()))?;
        if path.extension().is_some_and(|e| e == "jsonnet") {
            left.push((
                path.clone(),
                Problem {
                    line: 1,
                    text: original.clone(),
                    reason: "Jsonnet definitions are copied as they are: Jsonnet support is tracked in #8".into(),
                    left: true,
                },
            ));
            files.push((out.join(target), text));
            continue;
        }
        let converted = convert_template(&text, &plan.prefixes);
        summary.converted += converted.converted();
        left.extend(converted.problems.iter().map(|p| (path.clone(), p.clone())));
        files.push((out.join(target), converted.text));
    }
    if !opts.force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(p, _)| p.exists())
            .map(|(p, _)| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist(s); pass --force to overwrite (or --out DIR)",
                existing.join(", ")
            );
        }
    }
    for (path, text) in &files {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        sink.emit(Event::Info {
            message: format!("wrote {}", path.display()),
        });
        summary.files.push(path.clone());
    }
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
                    out.join("ecspress.yml").display()
                )
            } else {
                " (listed above, with file:line)".to_owned()
            }
        ),
    });
    Ok(summary)
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
