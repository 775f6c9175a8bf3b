//! Many services in one run (`deploy --config a.yml --config b.yml`, or a glob): the pure
//! decisions.
//!
//! - [`worst`]: the run's exit status is the worst of its services' statuses, by an explicit
//!   order ([`severity`]) rather than the numeric codes (which are not ordered by gravity).
//! - [`dedup_configs`]: the config list after glob expansion, each file once, in the order the
//!   user gave (the same file named twice, or matched by two globs, deploys once).
//! - [`labels`]: the short `[label]` each service's lines carry.

use std::path::{Component, Path, PathBuf};

use crate::exit::ExitStatus;

/// How much a status needs attention, highest first. The run exits with the highest:
///
/// | rank | status | why there |
/// |---|---|---|
/// | 8 | 130 interrupted | the run itself is incomplete: nothing else it says is final |
/// | 7 | 4 failed, not rolled back | a service is live in a broken state: act now |
/// | 6 | 3 failed, rolled back | a definite failed deployment, production is safe |
/// | 5 | N task exited N (`run`) | a one-off task failed: a definite failure, nothing live changed |
/// | 4 | 2 error | a service could not be deployed (config, template, API): nothing new runs |
/// | 3 | 5 timed out | outcome unknown, the deployment goes on (may still fail) |
/// | 2 | 6 superseded | someone else's deployment took over: not a failure of ours |
/// | 1 | 1 negative | a negative answer (`diff --exit-code` found changes) |
/// | 0 | 0 success | |
///
/// 4 and 3 rank above 2 because a failed rollout is a fact about production while an error
/// means that service was (usually) not touched; every service's own verdict is in the summary.
pub fn severity(status: ExitStatus) -> u8 {
    match status {
        ExitStatus::Success => 0,
        ExitStatus::Negative => 1,
        ExitStatus::Superseded => 2,
        ExitStatus::TimedOut => 3,
        ExitStatus::Error => 4,
        ExitStatus::TaskExited(_) => 5,
        ExitStatus::RolledBack => 6,
        ExitStatus::FailedNotRolledBack => 7,
        ExitStatus::Interrupted => 8,
    }
}

/// The worst of `statuses` by [`severity`]; success for none.
pub fn worst(statuses: impl IntoIterator<Item = ExitStatus>) -> ExitStatus {
    statuses
        .into_iter()
        .max_by_key(|s| severity(*s))
        .unwrap_or(ExitStatus::Success)
}

/// Whether a `--config` value is a glob pattern we expand ourselves (a quoted glob reaches us
/// unexpanded; an unquoted one was expanded by the shell and is a plain path).
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Each config once, first occurrence wins, order kept. Paths are compared lexically
/// normalised (`./a.yml` = `a.yml`, `x/../a.yml` = `a.yml`), relative to the same directory.
pub fn dedup_configs(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    paths
        .into_iter()
        .filter(|p| seen.insert(normalize(p)))
        .collect()
}

/// Lexical normalisation: drop `.`, fold `..` into its parent where there is one.
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// The label of each config (same order): the directory name for a default-named file
/// (`services/web/ecspress.yml` → `web`), else the file stem (`api.yml` → `api`); the whole
/// path when two configs would get the same label.
pub fn labels(paths: &[PathBuf]) -> Vec<String> {
    let short: Vec<String> = paths.iter().map(|p| short_label(p)).collect();
    short
        .iter()
        .zip(paths)
        .map(|(s, p)| {
            if short.iter().filter(|o| *o == s).count() > 1 {
                p.display().to_string()
            } else {
                s.clone()
            }
        })
        .collect()
}

fn short_label(path: &Path) -> String {
    let path = normalize(path);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned());
    match parent {
        Some(dir) if stem == "ecspress" => dir,
        _ if stem.is_empty() => path.display().to_string(),
        _ => stem,
    }
}

/// One service's line of the run's summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FleetRow {
    /// The short name its lines carry (`[web]`).
    pub label: String,
    /// The config path as given.
    pub config: String,
    /// Its verdict's exit code.
    pub exit_code: u8,
    /// Its verdict's outcome (`succeeded`, `rolled_back`, `error`, ...).
    pub outcome: crate::model::rollout::Outcome,
    /// Its verdict's message.
    pub message: String,
}

/// The summary table (text mode): `SERVICE  EXIT  OUTCOME  MESSAGE`, one row per service in
/// config order.
pub fn summary_table(rows: &[FleetRow]) -> String {
    let width = rows
        .iter()
        .map(|r| r.label.len())
        .chain([7])
        .max()
        .unwrap_or(7);
    let outcome = |r: &FleetRow| {
        serde_json::to_value(r.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let owidth = rows
        .iter()
        .map(|r| outcome(r).len())
        .chain([7])
        .max()
        .unwrap_or(7);
    let mut out = format!(
        "{:<width$}  EXIT  {:<owidth$}  MESSAGE\n",
        "SERVICE", "OUTCOME"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<width$}  {:>4}  {:<owidth$}  {}\n",
            r.label,
            r.exit_code,
            outcome(r),
            r.message
        ));
    }
    out
}

/// The run's closing message: `2 services: 1 succeeded, 1 rolled_back`.
pub fn summary_message(rows: &[FleetRow]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for r in rows {
        let name = serde_json::to_value(r.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(n, c)| format!("{c} {n}")).collect();
    format!("{} services: {}", rows.len(), parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExitStatus::*;

    #[test]
    fn worst_verdict_table() {
        let cases: &[(&[ExitStatus], ExitStatus)] = &[
            (&[], Success),
            (&[Success, Success], Success),
            (&[Success, Negative], Negative),
            (&[Negative, Superseded], Superseded),
            (&[Superseded, TimedOut], TimedOut),
            (&[TimedOut, Error], Error),
            (&[Error, RolledBack], RolledBack),
            (&[RolledBack, Error, Success], RolledBack),
            (&[RolledBack, FailedNotRolledBack], FailedNotRolledBack),
            (&[FailedNotRolledBack, Interrupted], Interrupted),
            (&[Error, TaskExited(1), TimedOut], TaskExited(1)),
            (&[TaskExited(9), RolledBack], RolledBack),
            (&[Success, RolledBack], RolledBack),
        ];
        for (statuses, want) in cases {
            assert_eq!(worst(statuses.iter().copied()), *want, "{statuses:?}");
            // Order of services does not matter.
            assert_eq!(worst(statuses.iter().rev().copied()), *want, "{statuses:?}");
        }
        // A total order: every status has its own rank.
        let mut ranks: Vec<u8> = ExitStatus::ALL.iter().map(|s| severity(*s)).collect();
        ranks.sort_unstable();
        ranks.dedup();
        assert_eq!(ranks.len(), ExitStatus::ALL.len());
    }

    #[test]
    fn configs_dedup_keeps_first_and_order() {
        let p = |s: &str| PathBuf::from(s);
        let cases: &[(&[&str], &[&str])] = &[
            (&["a.yml", "b.yml"], &["a.yml", "b.yml"]),
            (&["a.yml", "a.yml"], &["a.yml"]),
            (&["b.yml", "./a.yml", "a.yml"], &["b.yml", "./a.yml"]),
            (
                &["x/../a.yml", "a.yml", "x/a.yml"],
                &["x/../a.yml", "x/a.yml"],
            ),
            (&["../a.yml", "a.yml"], &["../a.yml", "a.yml"]),
        ];
        for (input, want) in cases {
            let got = dedup_configs(input.iter().map(|s| p(s)).collect());
            let want: Vec<PathBuf> = want.iter().map(|s| p(s)).collect();
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn glob_detection() {
        for (s, want) in [
            ("a.yml", false),
            ("services/*/ecspress.yml", true),
            ("svc?.yml", true),
            ("svc[12].yml", true),
        ] {
            assert_eq!(is_glob(s), want, "{s}");
        }
    }

    #[test]
    fn labels_are_short_and_unique() {
        let p = |v: &[&str]| v.iter().map(PathBuf::from).collect::<Vec<_>>();
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["services/web/ecspress.yml", "services/api/ecspress.yaml"],
                &["web", "api"],
            ),
            (&["a.yml", "b.json"], &["a", "b"]),
            (&["ecspress.yml", "x/a.yml"], &["ecspress", "a"]),
            (
                &["prod/web.yml", "stg/web.yml", "api.yml"],
                &["prod/web.yml", "stg/web.yml", "api"],
            ),
        ];
        for (input, want) in cases {
            assert_eq!(labels(&p(input)), *want, "{input:?}");
        }
    }

    #[test]
    fn summary_shapes() {
        use crate::model::rollout::Outcome;
        let row = |label: &str, code: u8, outcome: Outcome, message: &str| FleetRow {
            label: label.into(),
            config: format!("{label}.yml"),
            exit_code: code,
            outcome,
            message: message.into(),
        };
        let rows = vec![
            row("web", 0, Outcome::Succeeded, "deployment completed"),
            row("worker-long", 3, Outcome::RolledBack, "rolled back"),
            row("api", 0, Outcome::Succeeded, "deployment completed"),
        ];
        assert_eq!(
            summary_table(&rows),
            "SERVICE      EXIT  OUTCOME      MESSAGE\n\
             web             0  succeeded    deployment completed\n\
             worker-long     3  rolled_back  rolled back\n\
             api             0  succeeded    deployment completed\n"
        );
        assert_eq!(
            summary_message(&rows),
            "3 services: 2 succeeded, 1 rolled_back"
        );
    }
}
