//! Terminal or CI? One pure decision for the whole output layer.
//!
//! CI logs are files, not terminals: cursor movement and progress bars turn into noise, and
//! colour codes into garbage. CodeBuild is the trap: it sets neither `CI=true` nor a TTY on
//! stderr reliably, but always `CODEBUILD_BUILD_ID`
//! (../shared/reference/ecs-platform-and-peers.md §8.4). Nothing in ecspress reads stdin, so a
//! CI run can never hang on a prompt.

/// How stderr chatter looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interactivity {
    /// Live progress bars, cursor movement, untimestamped lines.
    pub live: bool,
    /// Whether this run is in CI (`CI` / `CODEBUILD_BUILD_ID`).
    pub ci: bool,
}

/// Decide from whether stderr is a terminal and the environment (`var(name)` → value).
/// Live output only on a terminal outside CI; `CI` counts when non-empty and not `false`/`0`.
pub fn interactivity(stderr_tty: bool, var: impl Fn(&str) -> Option<String>) -> Interactivity {
    let set = |name: &str| {
        var(name).is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            !v.is_empty() && v != "false" && v != "0"
        })
    };
    let ci = set("CI") || set("CODEBUILD_BUILD_ID");
    Interactivity {
        live: stderr_tty && !ci,
        ci,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_table() {
        type Case<'a> = (bool, &'a [(&'a str, &'a str)], bool, bool);
        let cases: &[Case] = &[
            // tty, env, live, ci
            (true, &[], true, false),
            (false, &[], false, false),
            (true, &[("CI", "true")], false, true),
            (true, &[("CI", "1")], false, true),
            (true, &[("CI", "false")], true, false),
            (true, &[("CI", "FALSE")], true, false),
            (true, &[("CI", "0")], true, false),
            (true, &[("CI", "")], true, false),
            (true, &[("CODEBUILD_BUILD_ID", "app:1234")], false, true),
            (true, &[("CODEBUILD_BUILD_ID", "")], true, false),
            (false, &[("CODEBUILD_BUILD_ID", "app:1")], false, true),
        ];
        for (tty, env, live, ci) in cases {
            let got = interactivity(*tty, |k| {
                env.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            });
            assert_eq!(
                got,
                Interactivity {
                    live: *live,
                    ci: *ci
                },
                "tty={tty} env={env:?}"
            );
        }
    }
}
