//! `chatops.yml`: targets, access rules, secrets, audit log and lock.
//!
//! Unknown keys are errors (`deny_unknown_fields`): a misspelt `chanels:` must not silently
//! leave an environment without the restriction its author meant.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::command::{Action, valid_env, valid_service};

/// Where a secret comes from: exactly one of `env`, `ssm`, `secretsmanager`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    /// An environment variable of the server process.
    #[serde(default)]
    pub env: Option<String>,
    /// An SSM parameter (SecureString, read decrypted).
    #[serde(default)]
    pub ssm: Option<String>,
    /// A Secrets Manager secret's SecretString.
    #[serde(default)]
    pub secretsmanager: Option<String>,
}

/// A validated [`SecretRef`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource<'a> {
    /// Environment variable.
    Env(&'a str),
    /// SSM parameter.
    Ssm(&'a str),
    /// Secrets Manager secret.
    SecretsManager(&'a str),
}

impl SecretRef {
    /// The one source, or `None` when zero or several are set.
    pub fn source(&self) -> Option<SecretSource<'_>> {
        match (&self.env, &self.ssm, &self.secretsmanager) {
            (Some(e), None, None) => Some(SecretSource::Env(e)),
            (None, Some(p), None) => Some(SecretSource::Ssm(p)),
            (None, None, Some(s)) => Some(SecretSource::SecretsManager(s)),
            _ => None,
        }
    }
}

/// One deployable target.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The ecspress config file (relative to chatops.yml).
    pub config: PathBuf,
    /// The variable the templates read the image tag from (`/deploy env svc TAG`); without it,
    /// an image tag is refused.
    #[serde(default)]
    pub image_tag_env: Option<String>,
}

/// Who may act, from where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// Slack user ids (`U012ABC`).
    #[serde(default)]
    pub users: Vec<String>,
    /// Slack channel ids (`C012ABC`).
    #[serde(default)]
    pub channels: Vec<String>,
}

/// An environment's access rules: `users`/`channels` for every command, and `commands` to
/// replace them for some (e.g. production deploy/rollback restricted to the on-call list).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvAccess {
    /// Slack user ids allowed by default.
    #[serde(default)]
    pub users: Vec<String>,
    /// Slack channel ids allowed by default.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Per-command replacements (`deploy`, `rollback`, `diff`, `status`, `continue`).
    #[serde(default)]
    pub commands: BTreeMap<Action, Allow>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatopsConfig {
    /// Slack signing secret source (`SLACK_SIGNING_SECRET` wins when set).
    #[serde(default)]
    pub signing_secret: Option<SecretRef>,
    /// A bot token: progress goes to one thread (chat.postMessage) instead of response_url.
    #[serde(default)]
    pub bot_token: Option<SecretRef>,
    /// Slack Web API base (default `https://slack.com/api`; tests point it at a fake).
    #[serde(default)]
    pub slack_api_url: Option<String>,
    /// JSON Lines audit file (append); stderr when absent.
    #[serde(default)]
    pub audit_log: Option<PathBuf>,
    /// `dynamodb://TABLE`: hold the service's deploy lock around /deploy and /rollback.
    #[serde(default)]
    pub lock: Option<String>,
    /// Watch poll interval (default 5s).
    #[serde(default, with = "humantime_serde_opt")]
    pub poll_interval: Option<Duration>,
    /// `<env>/<service>` → target.
    pub targets: BTreeMap<String, Target>,
    /// `<env>` → access rules. An environment without rules refuses everything.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvAccess>,
}

mod humantime_serde_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| humantime::parse_duration(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

fn valid_var(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

impl ChatopsConfig {
    /// Parse and validate; relative paths become relative to `base` (chatops.yml's directory).
    pub fn parse(text: &str, base: &Path) -> anyhow::Result<Self> {
        let mut cfg: ChatopsConfig = serde_yaml_ng::from_str(text)?;
        for (key, target) in &mut cfg.targets {
            let Some((env, service)) = key.split_once('/') else {
                bail!("targets.{key}: expected <env>/<service>");
            };
            if !valid_env(env) || !valid_service(service) {
                bail!(
                    "targets.{key}: env must match [a-z0-9][a-z0-9-]{{0,31}} and service [A-Za-z0-9][A-Za-z0-9_-]{{0,63}}"
                );
            }
            if let Some(var) = &target.image_tag_env
                && !valid_var(var)
            {
                bail!("targets.{key}.image_tag_env: {var:?} is not a variable name");
            }
            if target.config.is_relative() {
                target.config = base.join(&target.config);
            }
        }
        for (key, r) in [
            ("signing_secret", &cfg.signing_secret),
            ("bot_token", &cfg.bot_token),
        ] {
            if let Some(r) = r
                && r.source().is_none()
            {
                bail!("{key}: set exactly one of env, ssm, secretsmanager");
            }
        }
        for env in cfg.environments.keys() {
            if !valid_env(env) {
                bail!("environments.{env}: not a valid environment name");
            }
        }
        if let Some(audit) = &mut cfg.audit_log
            && audit.is_relative()
        {
            *audit = base.join(&*audit);
        }
        if cfg
            .poll_interval
            .is_some_and(|p| p < Duration::from_millis(50))
        {
            bail!("poll_interval: at least 50ms (ECS rate limits)");
        }
        if let Some(lock) = &cfg.lock {
            crate::ops::lock::LockSpec::parse(lock)?;
        }
        Ok(cfg)
    }

    /// Read and validate a file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).with_context(|| format!("invalid {}", path.display()))
    }

    /// The target for `env`/`service`, or a refusal that lists what exists for `env`.
    pub fn target(&self, env: &str, service: &str) -> Result<&Target, String> {
        if let Some(t) = self.targets.get(&format!("{env}/{service}")) {
            return Ok(t);
        }
        let known: Vec<&str> = self
            .targets
            .keys()
            .filter_map(|k| k.strip_prefix(env)?.strip_prefix('/'))
            .collect();
        if known.is_empty() {
            let envs: std::collections::BTreeSet<&str> = self
                .targets
                .keys()
                .filter_map(|k| k.split_once('/').map(|(e, _)| e))
                .collect();
            Err(format!(
                "unknown environment `{env}`; environments: {}",
                envs.into_iter().collect::<Vec<_>>().join(", ")
            ))
        } else {
            Err(format!(
                "unknown service `{service}` in `{env}`; services there: {}",
                known.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YML: &str = r#"
targets:
  prod/web: { config: prod/web/ecspress.yml, image_tag_env: IMAGE_TAG }
  prod/api: { config: /abs/api.yml }
  staging/web: { config: staging/ecspress.yml }
environments:
  prod:
    users: [U1]
    channels: [C1]
    commands:
      deploy: { users: [U9], channels: [C1] }
lock: dynamodb://ecspress-locks
poll_interval: 2s
"#;

    #[test]
    fn parses_and_resolves_paths() {
        let cfg = ChatopsConfig::parse(YML, Path::new("/etc/ecspress")).expect("parse");
        assert_eq!(
            cfg.targets["prod/web"].config,
            PathBuf::from("/etc/ecspress/prod/web/ecspress.yml")
        );
        assert_eq!(
            cfg.targets["prod/api"].config,
            PathBuf::from("/abs/api.yml")
        );
        assert_eq!(cfg.poll_interval, Some(Duration::from_secs(2)));
        assert_eq!(
            cfg.environments["prod"].commands[&Action::Deploy].users,
            ["U9"]
        );
    }

    #[test]
    fn unknown_targets_list_what_exists() {
        let cfg = ChatopsConfig::parse(YML, Path::new("/x")).expect("parse");
        assert!(cfg.target("prod", "web").is_ok());
        let e = cfg.target("prod", "db").expect_err("unknown service");
        assert_eq!(
            e,
            "unknown service `db` in `prod`; services there: api, web"
        );
        let e = cfg.target("dev", "web").expect_err("unknown env");
        assert_eq!(e, "unknown environment `dev`; environments: prod, staging");
    }

    #[test]
    fn the_example_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/slack/chatops.yml");
        let cfg = ChatopsConfig::load(&path).expect("examples/slack/chatops.yml");
        assert!(
            cfg.targets["prod/web"]
                .config
                .ends_with("../bluegreen/ecspress.yml")
        );
        assert!(
            cfg.environments["prod"]
                .commands
                .contains_key(&Action::Deploy)
        );
    }

    #[test]
    fn rejects_mistakes() {
        let cases = [
            (
                "targets: {web: {config: a.yml}}",
                "expected <env>/<service>",
            ),
            ("targets: {Prod/web: {config: a.yml}}", "env must match"),
            (
                "targets: {prod/web: {config: a.yml, image_tag_env: 'A B'}}",
                "not a variable",
            ),
            (
                "targets: {prod/web: {config: a.yml, imag_tag_env: X}}",
                "unknown field",
            ),
            (
                "targets: {}\nenvironments: {prod: {chanels: [C1]}}",
                "unknown field",
            ),
            ("targets: {}\nlock: s3://x", "invalid lock URL"),
            ("targets: {}\npoll_interval: 10ms", "at least 50ms"),
            ("targets: {}\nsigning_secret: {vault: x}", "unknown field"),
            ("targets: {}\nbot_token: {env: A, ssm: b}", "exactly one"),
        ];
        for (yml, want) in cases {
            let e = ChatopsConfig::parse(yml, Path::new("/x")).expect_err(yml);
            assert!(format!("{e:#}").contains(want), "{yml}: {e:#}");
        }
    }
}
