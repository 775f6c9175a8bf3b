//! Read the facts [`crate::model::metadata::DeployMetadata`] is resolved from: the process
//! environment, git in the config's directory (best effort: quietly absent when git is missing
//! or the directory is not a repository), and the local user.

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::metadata::{DeployMetadata, GitFacts, LocalFacts, MetadataOverrides};

/// The environment variables metadata resolution reads.
const ENV_VARS: &[&str] = &[
    "CODEBUILD_RESOLVED_SOURCE_VERSION",
    "CODEBUILD_SOURCE_VERSION",
    "CODEBUILD_WEBHOOK_TRIGGER",
    "CODEBUILD_WEBHOOK_HEAD_REF",
    "CODEBUILD_INITIATOR",
    "CODEBUILD_BUILD_URL",
    "CODEBUILD_BUILD_ID",
];

/// Resolve the metadata of this run; `dir` is the config's directory.
pub async fn resolve(overrides: &MetadataOverrides, dir: &Path) -> DeployMetadata {
    let env: BTreeMap<String, String> = ENV_VARS
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect();
    // CodeBuild gives the commit; git is only asked when it is still unknown.
    let need_git = (overrides.commit.is_none()
        && !env.contains_key("CODEBUILD_RESOLVED_SOURCE_VERSION"))
        || (overrides.git_ref.is_none() && !env.keys().any(|k| k.starts_with("CODEBUILD_")));
    let git = if need_git {
        GitFacts {
            commit: git(dir, &["rev-parse", "HEAD"]).await,
            branch: git(dir, &["rev-parse", "--abbrev-ref", "HEAD"]).await,
        }
    } else {
        GitFacts::default()
    };
    let local = LocalFacts {
        user: std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .ok()
            .filter(|u| !u.is_empty()),
        host: hostname().await,
    };
    DeployMetadata::resolve(overrides, &env, &git, &local)
}

/// One line of `git ARGS` output in `dir`, or None (no git, not a repo, error, 5 s limit).
async fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output(),
    )
    .await
    .ok()?
    .ok()?;
    if !out.status.success() {
        return None;
    }
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!line.is_empty()).then_some(line)
}

async fn hostname() -> Option<String> {
    if let Ok(h) = std::env::var("HOSTNAME").map(|h| h.trim().to_owned())
        && !h.is_empty()
    {
        return Some(h);
    }
    let h = tokio::fs::read_to_string("/etc/hostname").await.ok()?;
    let h = h.trim();
    (!h.is_empty()).then(|| h.to_owned())
}
