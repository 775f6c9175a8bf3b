//! Deployment metadata: which commit, which ref, who, which build. Attached to notifications
//! and to the `deployment_metadata` JSON event so a deployment can be traced back to its source.
//!
//! Pure resolution from (flags, environment, git facts): CodeBuild's variables first, because
//! CodeBuild sets neither `CI` nor a git checkout with a branch (it builds a detached commit;
//! ../shared/reference/ecs-platform-and-peers.md §8.4): `CODEBUILD_RESOLVED_SOURCE_VERSION` is
//! the commit, `CODEBUILD_SOURCE_VERSION` / `CODEBUILD_WEBHOOK_HEAD_REF` /
//! `CODEBUILD_WEBHOOK_TRIGGER` the ref, `CODEBUILD_INITIATOR` who started it,
//! `CODEBUILD_BUILD_URL` / `CODEBUILD_BUILD_ID` the build. Outside CodeBuild: git, then
//! `$USER@hostname`. Flags beat everything.

use std::collections::BTreeMap;

use serde::Serialize;

/// Where a deployment comes from. Every field is optional: absent when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeployMetadata {
    /// The source commit (full SHA when known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Branch, tag, PR trigger or source version.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// Who or what started it (`CODEBUILD_INITIATOR`, `user@host`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The build's web page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_url: Option<String>,
    /// The build id (`project:uuid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// A free note (`--meta-note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `--meta-*` flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataOverrides {
    /// `--meta-commit`.
    pub commit: Option<String>,
    /// `--meta-ref`.
    pub git_ref: Option<String>,
    /// `--meta-by`.
    pub by: Option<String>,
    /// `--meta-url`.
    pub build_url: Option<String>,
    /// `--meta-note`.
    pub note: Option<String>,
}

/// Facts read from git in the config's directory (None when it is not a git repo).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitFacts {
    /// `git rev-parse HEAD`.
    pub commit: Option<String>,
    /// `git rev-parse --abbrev-ref HEAD` (None when detached).
    pub branch: Option<String>,
}

/// Facts about the local user (outside CI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalFacts {
    /// `$USER` (or `$USERNAME`).
    pub user: Option<String>,
    /// The host name.
    pub host: Option<String>,
}

/// The tags `notify.tag_resources` sets: commit, who, build.
pub const TAG_KEYS: [&str; 3] = ["ecspress:commit", "ecspress:deployed-by", "ecspress:build"];

/// Whether `key` is one of ecspress's metadata tags (never diffed, never "changed").
pub fn is_metadata_tag(key: &str) -> bool {
    TAG_KEYS.contains(&key)
}

/// A tag value within AWS limits: at most 256 characters of letters, digits, spaces and
/// `_ . : / = + - @` (ECS TagResource; other characters are replaced by `_`, and longer
/// values are cut — a build URL's query string, say).
pub fn sanitize_tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " _.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(256)
        .collect()
}

impl DeployMetadata {
    /// The metadata tags (only the known values), values sanitised.
    pub fn tags(&self) -> Vec<(String, String)> {
        let build = self.build_url.as_ref().or(self.build_id.as_ref());
        [
            (TAG_KEYS[0], self.commit.as_ref()),
            (TAG_KEYS[1], self.by.as_ref()),
            (TAG_KEYS[2], build),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), sanitize_tag_value(v))))
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == DeployMetadata::default()
    }

    /// Resolve: flags, then CodeBuild variables, then git / local facts.
    pub fn resolve(
        overrides: &MetadataOverrides,
        env: &BTreeMap<String, String>,
        git: &GitFacts,
        local: &LocalFacts,
    ) -> Self {
        let var = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let flag = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let commit = flag(&overrides.commit)
            .or_else(|| var("CODEBUILD_RESOLVED_SOURCE_VERSION").map(str::to_owned))
            .or_else(|| git.commit.clone());
        // A webhook build names its head ref (`refs/heads/main`) and trigger (`branch/main`,
        // `pr/42`); a manual build only has the source version (a branch, tag or commit).
        let git_ref = flag(&overrides.git_ref)
            .or_else(|| var("CODEBUILD_WEBHOOK_HEAD_REF").map(str::to_owned))
            .or_else(|| var("CODEBUILD_WEBHOOK_TRIGGER").map(str::to_owned))
            .or_else(|| var("CODEBUILD_SOURCE_VERSION").map(str::to_owned))
            .or_else(|| git.branch.clone().filter(|b| b != "HEAD"));
        let by = flag(&overrides.by)
            .or_else(|| var("CODEBUILD_INITIATOR").map(str::to_owned))
            .or_else(|| match (&local.user, &local.host) {
                (Some(u), Some(h)) => Some(format!("{u}@{h}")),
                (Some(u), None) => Some(u.clone()),
                _ => None,
            });
        DeployMetadata {
            commit,
            git_ref,
            by,
            build_url: flag(&overrides.build_url)
                .or_else(|| var("CODEBUILD_BUILD_URL").map(str::to_owned)),
            build_id: var("CODEBUILD_BUILD_ID").map(str::to_owned),
            note: flag(&overrides.note),
        }
    }

    /// The commit shortened to 12 characters for display.
    pub fn short_commit(&self) -> Option<&str> {
        self.commit.as_deref().map(|c| c.get(..12).unwrap_or(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn resolution_table() {
        let git = GitFacts {
            commit: Some("abc123".into()),
            branch: Some("main".into()),
        };
        let local = LocalFacts {
            user: Some("ana".into()),
            host: Some("laptop".into()),
        };
        let codebuild = env(&[
            ("CODEBUILD_RESOLVED_SOURCE_VERSION", "f00d"),
            ("CODEBUILD_SOURCE_VERSION", "refs/heads/dev"),
            ("CODEBUILD_INITIATOR", "codepipeline/app"),
            ("CODEBUILD_BUILD_URL", "https://console/build"),
            ("CODEBUILD_BUILD_ID", "app:1234"),
        ]);
        let webhook = env(&[
            ("CODEBUILD_WEBHOOK_TRIGGER", "pr/42"),
            ("CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/feature"),
            ("CODEBUILD_SOURCE_VERSION", "pr/42"),
        ]);
        let flags = MetadataOverrides {
            commit: Some("c0ffee".into()),
            git_ref: Some("v1".into()),
            by: Some("release-bot".into()),
            build_url: Some("https://ci/1".into()),
            note: Some("hotfix".into()),
        };
        let none = MetadataOverrides::default();
        type Case<'a> = (
            &'a str,
            &'a MetadataOverrides,
            BTreeMap<String, String>,
            GitFacts,
            LocalFacts,
            [Option<&'a str>; 5],
        );
        let cases: Vec<Case> = vec![
            (
                "local git",
                &none,
                env(&[]),
                git.clone(),
                local.clone(),
                [Some("abc123"), Some("main"), Some("ana@laptop"), None, None],
            ),
            (
                "codebuild beats git",
                &none,
                codebuild.clone(),
                git.clone(),
                local.clone(),
                [
                    Some("f00d"),
                    Some("refs/heads/dev"),
                    Some("codepipeline/app"),
                    Some("https://console/build"),
                    Some("app:1234"),
                ],
            ),
            (
                "webhook head ref first",
                &none,
                webhook,
                GitFacts::default(),
                LocalFacts::default(),
                [None, Some("refs/heads/feature"), None, None, None],
            ),
            (
                "flags beat all",
                &flags,
                codebuild,
                git.clone(),
                local.clone(),
                [
                    Some("c0ffee"),
                    Some("v1"),
                    Some("release-bot"),
                    Some("https://ci/1"),
                    Some("app:1234"),
                ],
            ),
            (
                "detached head, no user",
                &none,
                env(&[("CODEBUILD_INITIATOR", " ")]),
                GitFacts {
                    commit: None,
                    branch: Some("HEAD".into()),
                },
                LocalFacts::default(),
                [None, None, None, None, None],
            ),
            (
                "user without host",
                &none,
                env(&[]),
                GitFacts::default(),
                LocalFacts {
                    user: Some("ci".into()),
                    host: None,
                },
                [None, None, Some("ci"), None, None],
            ),
        ];
        for (name, flags, env, git, local, want) in cases {
            let m = DeployMetadata::resolve(flags, &env, &git, &local);
            let got = [
                m.commit.as_deref(),
                m.git_ref.as_deref(),
                m.by.as_deref(),
                m.build_url.as_deref(),
                m.build_id.as_deref(),
            ];
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn tags_are_sanitised_to_aws_limits() {
        let m = DeployMetadata {
            commit: Some("abc".into()),
            by: Some("ana <ana@example.com>; rm -rf".into()),
            build_url: Some(format!("https://x/?q={}", "a".repeat(300))),
            ..Default::default()
        };
        let tags = m.tags();
        assert_eq!(tags[0], ("ecspress:commit".into(), "abc".into()));
        assert_eq!(tags[1].1, "ana _ana@example.com__ rm -rf");
        assert_eq!(tags[2].1.chars().count(), 256);
        assert!(tags[2].1.starts_with("https://x/_q=aaa"));
        assert!(DeployMetadata::default().tags().is_empty());
        assert!(is_metadata_tag("ecspress:build") && !is_metadata_tag("ecspress:other"));
    }

    #[test]
    fn metadata_tags_never_make_a_definition_changed() {
        use crate::model::normalize::{NormalizeOptions, task_definition_for_diff};
        let opts = NormalizeOptions::new(&[]);
        let file = serde_json::json!({"family": "web", "tags": [{"key": "team", "value": "a"}]});
        let live = serde_json::json!({"family": "web", "tags": [
            {"key": "ecspress:commit", "value": "abc"},
            {"key": "team", "value": "a"},
            {"key": "ecspress:deployed-by", "value": "ana"},
            {"key": "ecspress:build", "value": "web:1"}]});
        assert_eq!(
            task_definition_for_diff(&file, &opts),
            task_definition_for_diff(&live, &opts)
        );
        let delta = crate::model::revision::tag_delta(&file, &live, &[]);
        assert!(delta.set.is_empty() && delta.remove.is_empty(), "{delta:?}");
    }

    #[test]
    fn short_commit_and_empty() {
        let m = DeployMetadata {
            commit: Some("0123456789abcdef".into()),
            ..Default::default()
        };
        assert_eq!(m.short_commit(), Some("0123456789ab"));
        assert!(DeployMetadata::default().is_empty());
        assert!(!m.is_empty());
    }
}
