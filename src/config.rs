//! The `ecspress.yml` schema, discovery and validation.
//!
//! # Why strict
//!
//! ecspresso warns about unknown fields and carries on (§2.2 step 5), so a misspelt
//! `deployment_group_nme` silently falls back to auto-discovery. Here every unknown key, at every
//! level we define, is an error naming the key, the file, the line (best effort, from the
//! rendered text) and the closest known key. `appspec` and plugin `config` of unknown plugins are
//! the only opaque parts (`appspec` is kept as JSON; unknown plugins are errors themselves).
//!
//! # Loading
//!
//! This module is pure: it finds the file ([`discover`]) and turns *rendered* text into values.
//! The two template passes are driven by [`crate::ops::render`]:
//!
//! 1. render with plugin functions as placeholders, twice with different placeholders; from the
//!    results [`preflight`] takes `plugins` (which must not depend on a placeholder) and `region`
//!    (dropped if it does), and checks `required_version` early;
//! 2. render with the real functions and [`decode`] strictly.
//!
//! Conventions: `null` and (for optional strings) `""` mean "not set"; `service_definition`
//! and `task_definition` are resolved against the config file's directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::template::{
    BUILTIN_FUNCTIONS, EnvSource, FileFormat, SECRETSMANAGER_FUNCTION, SSM_FUNCTION,
    TFSTATE_FUNCTIONS, TemplateError, parse_rendered,
};

/// The environment variable naming the config file when `--config` is not given.
pub const CONFIG_ENV: &str = "ECSPRESS_CONFIG";
/// Auto-detected in the current directory, in this order.
pub const CONFIG_FILE_NAMES: [&str; 4] = [
    "ecspress.yml",
    "ecspress.yaml",
    "ecspress.json",
    "ecspress.jsonnet",
];
/// `cluster` when not set.
pub const DEFAULT_CLUSTER: &str = "default";
/// `timeout` when not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

const TOP_KEYS: &[&str] = &[
    "region",
    "cluster",
    "service",
    "service_definition",
    "task_definition",
    "timeout",
    "required_version",
    "plugins",
    "codedeploy",
    "appspec",
    "ignore",
    "notify",
    "mask",
];
const PLUGIN_KEYS: &[&str] = &["name", "config", "func_prefix"];
const TFSTATE_KEYS: &[&str] = &["path", "url", "optional"];
const CODEDEPLOY_KEYS: &[&str] = &[
    "application_name",
    "deployment_group_name",
    "deployment_config_name",
];
const IGNORE_KEYS: &[&str] = &["tags"];
const MASK_KEYS: &[&str] = &["env_names"];
const NOTIFY_KEYS: &[&str] = &["slack", "tag_resources"];
const SLACK_KEYS: &[&str] = &["webhook_url", "bot_token", "channel", "updates"];
const SECRET_KEYS: &[&str] = &["env", "ssm", "secretsmanager"];
/// Plugin names we know.
pub const PLUGIN_NAMES: &[&str] = &["tfstate", "ssm", "secretsmanager"];

/// The validated config.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// `region`; the CLI's `--region` wins over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `cluster`, default [`DEFAULT_CLUSTER`].
    pub cluster: String,
    /// `service`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `service_definition`, absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_definition: Option<PathBuf>,
    /// `task_definition`, absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<PathBuf>,
    /// `timeout`, default [`DEFAULT_TIMEOUT`].
    #[serde(serialize_with = "serialize_duration")]
    pub timeout: Duration,
    /// `required_version`, a semver requirement already checked against this binary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_version: Option<String>,
    /// `plugins`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginConfig>,
    /// `codedeploy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codedeploy: Option<CodeDeployConfig>,
    /// `appspec`, opaque.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appspec: Option<Value>,
    /// `ignore`.
    #[serde(skip_serializing_if = "IgnoreConfig::is_empty")]
    pub ignore: IgnoreConfig,
    /// `notify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyConfig>,
    /// `mask`.
    #[serde(skip_serializing_if = "MaskConfig::is_empty")]
    pub mask: MaskConfig,
}

/// `notify`: where deployments are announced, and deployment metadata tagging.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotifyConfig {
    /// `notify.slack`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackConfig>,
    /// `notify.tag_resources`: tag the service and new task definition revisions with the
    /// deployment metadata (`ecspress:commit`, `ecspress:deployed-by`, `ecspress:build`).
    pub tag_resources: bool,
}

/// `notify.slack`: `webhook_url` and/or `bot_token` + `channel` (both: both are posted to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlackConfig {
    /// `webhook_url`: an incoming webhook (a credential: a secret reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<SecretRef>,
    /// `bot_token`: `xoxb-...` (a secret reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<SecretRef>,
    /// `channel`: with `bot_token`, the channel id or name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `updates`: with a webhook, also post stage changes (bot mode always threads them).
    pub updates: bool,
}

/// Where a credential is read from at run time. Serialises as the reference (`{"env": NAME}`),
/// never the value, so `ecspress render config` cannot print a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretRef {
    /// `{env: NAME}`: an environment variable.
    Env(String),
    /// `{ssm: /path}`: an SSM parameter (decrypted).
    Ssm(String),
    /// `{secretsmanager: name-or-arn}`: a Secrets Manager secret string.
    #[serde(rename = "secretsmanager")]
    SecretsManager(String),
}

fn serialize_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&humantime::format_duration(*d).to_string())
}

/// One `plugins` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginConfig {
    /// `name`: `tfstate`, `ssm` or `secretsmanager`.
    pub name: String,
    /// `config` as written (rendered), `{}` when absent.
    pub config: Value,
    /// `func_prefix`, prepended literally to the plugin's function names (`""` when absent).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub func_prefix: String,
    /// The typed settings.
    #[serde(skip)]
    pub kind: PluginKind,
}

/// What a plugin is, with its typed settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginKind {
    /// A Terraform state.
    Tfstate {
        /// `config.path` (relative to the config's directory) or `config.url`, as written.
        location: String,
        /// `config.optional`: a read failure is a warning and the state is empty.
        optional: bool,
    },
    /// SSM Parameter Store (always available; listing it adds prefixed names only).
    Ssm,
    /// Secrets Manager (always available; listing it adds prefixed names only).
    SecretsManager,
}

impl PluginConfig {
    /// The template functions this entry registers. `ssm` / `secretsmanager` without a prefix
    /// register nothing: they duplicate the default plugins, which ecspresso skips silently.
    pub fn function_names(&self) -> Vec<String> {
        let bases: &[&str] = match self.kind {
            PluginKind::Tfstate { .. } => &TFSTATE_FUNCTIONS,
            PluginKind::Ssm if !self.func_prefix.is_empty() => &[SSM_FUNCTION],
            PluginKind::SecretsManager if !self.func_prefix.is_empty() => {
                &[SECRETSMANAGER_FUNCTION]
            }
            PluginKind::Ssm | PluginKind::SecretsManager => &[],
        };
        bases
            .iter()
            .map(|b| format!("{}{b}", self.func_prefix))
            .collect()
    }
}

/// `codedeploy`: skips discovery when set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CodeDeployConfig {
    /// `application_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_name: Option<String>,
    /// `deployment_group_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_group_name: Option<String>,
    /// `deployment_config_name`: overrides the deployment group's setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_config_name: Option<String>,
}

/// `mask`: secret hygiene settings (see [`crate::model::secrets`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MaskConfig {
    /// `mask.env_names`: more environment variable name patterns (`*` globs, any case) whose
    /// values are masked, on top of `*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*KEY*`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_names: Vec<String>,
}

/// `ignore`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IgnoreConfig {
    /// `ignore.tags`: tag keys neither diffed nor changed (case-sensitive).
    pub tags: Vec<String>,
}

impl MaskConfig {
    fn is_empty(&self) -> bool {
        self.env_names.is_empty()
    }
}

impl IgnoreConfig {
    fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}

/// `" (did you mean `x`?)"` or nothing.
fn hint(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// `file:line` or `file`.
fn at(file: &Path, line: &Option<usize>) -> String {
    match line {
        Some(l) => format!("{}:{l}", file.display()),
        None => file.display().to_string(),
    }
}

/// Errors finding, parsing or validating the config.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No file given and none found.
    #[error(
        "no config file: none of {} in {}; pass --config or set {CONFIG_ENV}",
        CONFIG_FILE_NAMES.join(", "),
        .dir.display()
    )]
    NotFound {
        /// The directory searched.
        dir: PathBuf,
    },
    /// The file cannot be read.
    #[error("cannot read config file {}: {source}", .file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not `.yml`, `.yaml`, `.json` or `.jsonnet`.
    #[error("{}: unsupported config file type; use .yml, .yaml, .json or .jsonnet", .file.display())]
    UnsupportedFormat {
        /// The file.
        file: PathBuf,
    },
    /// A template error, or the rendered text is not valid YAML/JSON (located in the file).
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A key the schema does not have.
    #[error("{}: unknown key `{key}` in the config{}", at(.file, .line), hint(.suggestion))]
    UnknownKey {
        /// The file.
        file: PathBuf,
        /// Best-effort line in the rendered text.
        line: Option<usize>,
        /// The key's path, e.g. `codedeploy.application_nme` or `plugins[0].config.pth`.
        key: String,
        /// The closest known key.
        suggestion: Option<String>,
    },
    /// A value of the wrong type or form.
    #[error("{}: invalid `{key}`: {message}", at(.file, .line))]
    InvalidValue {
        /// The file.
        file: PathBuf,
        /// Best-effort line in the rendered text.
        line: Option<usize>,
        /// The key's path.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// `required_version` does not match this binary.
    #[error(
        "{}: the config requires ecspress {required} (required_version), but this is ecspress {current}",
        .file.display()
    )]
    VersionMismatch {
        /// The file.
        file: PathBuf,
        /// The requirement.
        required: String,
        /// This binary's version.
        current: String,
    },
    /// A plugin name we do not know.
    #[error(
        "{}: unknown plugin `{name}` in `{key}`{}; known plugins: {}",
        at(.file, .line),
        hint(.suggestion),
        PLUGIN_NAMES.join(", ")
    )]
    UnknownPlugin {
        /// The file.
        file: PathBuf,
        /// Best-effort line.
        line: Option<usize>,
        /// e.g. `plugins[1].name`.
        key: String,
        /// The name given.
        name: String,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// Two plugins register the same template function.
    #[error(
        "{}: template function {name} already exists; set func_prefix on plugins[{index}]",
        .file.display()
    )]
    DuplicateFunction {
        /// The file.
        file: PathBuf,
        /// The function name.
        name: String,
        /// The plugin entry that registers it a second time.
        index: usize,
    },
}

/// Find the config file: `explicit` (the `--config` flag), else [`CONFIG_ENV`], else the first
/// of [`CONFIG_FILE_NAMES`] present in `cwd`. Relative paths are resolved against `cwd`.
pub fn discover(
    explicit: Option<&Path>,
    env: &dyn EnvSource,
    cwd: &Path,
) -> Result<PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(cwd.join(p));
    }
    if let Some(p) = env.var(CONFIG_ENV).filter(|v| !v.trim().is_empty()) {
        return Ok(cwd.join(p));
    }
    CONFIG_FILE_NAMES
        .iter()
        .map(|n| cwd.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| ConfigError::NotFound {
            dir: cwd.to_path_buf(),
        })
}

/// The config file's format, by extension.
pub fn format_of(file: &Path) -> Result<FileFormat, ConfigError> {
    FileFormat::for_config(file).ok_or_else(|| ConfigError::UnsupportedFormat {
        file: file.to_path_buf(),
    })
}

/// Parse rendered config text.
pub fn parse_text(text: &str, file: &Path) -> Result<Value, ConfigError> {
    let format = format_of(file)?;
    Ok(parse_rendered(text, format, &file.display().to_string())?)
}

/// What pass 1 learns.
#[derive(Debug, Clone, PartialEq)]
pub struct Preflight {
    /// `region`, unless unset or computed by a plugin function.
    pub region: Option<String>,
    /// The validated plugins.
    pub plugins: Vec<PluginConfig>,
}

/// Pass 1: `first` and `second` are the config rendered with two different placeholder values
/// for the plugin functions; whatever differs between them depends on a plugin function.
pub fn preflight(
    first: &Value,
    second: &Value,
    file: &Path,
    text: &str,
) -> Result<Preflight, ConfigError> {
    let ctx = Ctx { file, text };
    let (a, b) = (
        object_or_empty(&ctx, first)?,
        object_or_empty(&ctx, second)?,
    );
    if let (Some(va), Some(vb)) = (a.get("required_version"), b.get("required_version"))
        && va == vb
    {
        check_required_version(&ctx, va)?;
    }
    if a.get("plugins") != b.get("plugins") {
        return Err(ctx.invalid(
            &["plugins"],
            "plugin settings may use env and must_env, but not plugin functions (tfstate, ssm, \
             secretsmanager_arn): plugins are set up from them",
        ));
    }
    let plugins = decode_plugins(&ctx, a.get("plugins"))?;
    let region = match (a.get("region"), b.get("region")) {
        (Some(Value::String(ra)), Some(Value::String(rb))) if ra == rb && !ra.is_empty() => {
            Some(ra.clone())
        }
        _ => None,
    };
    Ok(Preflight { region, plugins })
}

/// Pass 2: strict decode of the rendered config. `file` names the config in messages;
/// definition paths are resolved against `base_dir` (the config's directory, absolute);
/// `text` is the rendered text, for line numbers.
pub fn decode(
    value: &Value,
    file: &Path,
    base_dir: &Path,
    text: &str,
) -> Result<Config, ConfigError> {
    let ctx = Ctx { file, text };
    let obj = object_or_empty(&ctx, value)?;
    // First, so that a config written for a newer version says so rather than failing on keys
    // this version does not know.
    let required_version = match obj.get("required_version") {
        Some(v) => check_required_version(&ctx, v)?,
        None => None,
    };
    check_keys(&ctx, &obj, TOP_KEYS, &[])?;

    let path_field = |key: &str| -> Result<Option<PathBuf>, ConfigError> {
        Ok(opt_string(&ctx, &obj, key, &[])?.map(|p| base_dir.join(p)))
    };
    let codedeploy = match non_null(obj.get("codedeploy")) {
        None => None,
        Some(v) => {
            let path = ["codedeploy"];
            let m = as_object(&ctx, v, &path)?;
            check_keys(&ctx, m, CODEDEPLOY_KEYS, &path)?;
            Some(CodeDeployConfig {
                application_name: opt_string(&ctx, m, "application_name", &path)?,
                deployment_group_name: opt_string(&ctx, m, "deployment_group_name", &path)?,
                deployment_config_name: opt_string(&ctx, m, "deployment_config_name", &path)?,
            })
        }
    };
    let ignore = match non_null(obj.get("ignore")) {
        None => IgnoreConfig::default(),
        Some(v) => {
            let path = ["ignore"];
            let m = as_object(&ctx, v, &path)?;
            check_keys(&ctx, m, IGNORE_KEYS, &path)?;
            let tags = match non_null(m.get("tags")) {
                None => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|t| match t {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(ctx.invalid(
                            &["ignore", "tags"],
                            format!("expected a list of strings, found {}", type_name(other)),
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => {
                    return Err(ctx.invalid(
                        &["ignore", "tags"],
                        format!("expected a list of strings, found {}", type_name(other)),
                    ));
                }
            };
            IgnoreConfig { tags }
        }
    };
    let mask = match non_null(obj.get("mask")) {
        None => MaskConfig::default(),
        Some(v) => {
            let path = ["mask"];
            let m = as_object(&ctx, v, &path)?;
            check_keys(&ctx, m, MASK_KEYS, &path)?;
            let env_names = match non_null(m.get("env_names")) {
                None => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|t| match t {
                        Value::String(s) if !s.is_empty() => Ok(s.clone()),
                        other => Err(ctx.invalid(
                            &["mask", "env_names"],
                            format!(
                                "expected a list of name patterns, found {}",
                                type_name(other)
                            ),
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => {
                    return Err(ctx.invalid(
                        &["mask", "env_names"],
                        format!(
                            "expected a list of name patterns, found {}",
                            type_name(other)
                        ),
                    ));
                }
            };
            MaskConfig { env_names }
        }
    };
    let notify = decode_notify(&ctx, obj.get("notify"))?;
    Ok(Config {
        region: opt_string(&ctx, &obj, "region", &[])?,
        cluster: opt_string(&ctx, &obj, "cluster", &[])?
            .unwrap_or_else(|| DEFAULT_CLUSTER.to_owned()),
        service: opt_string(&ctx, &obj, "service", &[])?,
        service_definition: path_field("service_definition")?,
        task_definition: path_field("task_definition")?,
        timeout: match non_null(obj.get("timeout")) {
            None => DEFAULT_TIMEOUT,
            Some(v) => parse_timeout(v).map_err(|m| ctx.invalid(&["timeout"], m))?,
        },
        required_version,
        plugins: decode_plugins(&ctx, obj.get("plugins"))?,
        codedeploy,
        appspec: non_null(obj.get("appspec")).cloned(),
        ignore,
        notify,
        mask,
    })
}

fn opt_bool(
    ctx: &Ctx<'_>,
    m: &Map<String, Value>,
    key: &str,
    parent: &[&str],
) -> Result<bool, ConfigError> {
    match non_null(m.get(key)) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => {
            let mut path = parent.to_vec();
            path.push(key);
            Err(ctx.invalid(
                &path,
                format!("expected true or false, found {}", type_name(other)),
            ))
        }
    }
}

/// `{env: NAME}` | `{ssm: /path}` | `{secretsmanager: name}`. A literal string is refused: a
/// webhook URL or token written in the file would be a credential committed to git.
fn decode_secret(ctx: &Ctx<'_>, v: &Value, path: &[&str]) -> Result<SecretRef, ConfigError> {
    let m = match v {
        Value::String(_) => {
            return Err(ctx.invalid(
                path,
                "a credential cannot be written inline; use {env: NAME}, {ssm: /path} or {secretsmanager: name}",
            ));
        }
        other => as_object(ctx, other, path)?,
    };
    check_keys(ctx, m, SECRET_KEYS, path)?;
    let found: Vec<(&str, String)> = SECRET_KEYS
        .iter()
        .filter_map(|k| {
            opt_string(ctx, m, k, path)
                .transpose()
                .map(|r| r.map(|s| (*k, s)))
        })
        .collect::<Result<_, _>>()?;
    match found.as_slice() {
        [("env", n)] => Ok(SecretRef::Env(n.clone())),
        [("ssm", n)] => Ok(SecretRef::Ssm(n.clone())),
        [("secretsmanager", n)] => Ok(SecretRef::SecretsManager(n.clone())),
        _ => Err(ctx.invalid(path, "expected exactly one of env, ssm or secretsmanager")),
    }
}

fn decode_notify(ctx: &Ctx<'_>, v: Option<&Value>) -> Result<Option<NotifyConfig>, ConfigError> {
    let Some(v) = non_null(v) else {
        return Ok(None);
    };
    let path = ["notify"];
    let m = as_object(ctx, v, &path)?;
    check_keys(ctx, m, NOTIFY_KEYS, &path)?;
    let slack = match non_null(m.get("slack")) {
        None => None,
        Some(v) => {
            let path = ["notify", "slack"];
            let s = as_object(ctx, v, &path)?;
            check_keys(ctx, s, SLACK_KEYS, &path)?;
            let secret = |key: &'static str| -> Result<Option<SecretRef>, ConfigError> {
                non_null(s.get(key))
                    .map(|v| decode_secret(ctx, v, &["notify", "slack", key]))
                    .transpose()
            };
            let cfg = SlackConfig {
                webhook_url: secret("webhook_url")?,
                bot_token: secret("bot_token")?,
                channel: opt_string(ctx, s, "channel", &path)?,
                updates: opt_bool(ctx, s, "updates", &path)?,
            };
            match (&cfg.webhook_url, &cfg.bot_token, &cfg.channel) {
                (Some(_), None, None) | (_, Some(_), Some(_)) => {}
                (_, Some(_), None) => {
                    return Err(ctx.invalid(&path, "bot_token needs a channel"));
                }
                (Some(_), None, Some(_)) => {
                    return Err(ctx.invalid(
                        &path,
                        "channel is only used with bot_token (a webhook posts to its own channel)",
                    ));
                }
                (None, None, _) => {
                    return Err(ctx.invalid(&path, "expected webhook_url or bot_token"));
                }
            }
            Some(cfg)
        }
    };
    Ok(Some(NotifyConfig {
        slack,
        tag_resources: opt_bool(ctx, m, "tag_resources", &path)?,
    }))
}

/// `timeout`: a duration string (`10m`, `90s`, `1h30m`, `10m0s`), or a bare number of seconds
/// (number or digit string).
pub fn parse_timeout(v: &Value) -> Result<Duration, String> {
    const FORMS: &str =
        "use a duration such as \"10m\", \"90s\" or \"1h30m\", or a number of seconds";
    match v {
        Value::Number(n) => {
            if let Some(secs) = n.as_u64() {
                return Ok(Duration::from_secs(secs));
            }
            match n.as_f64() {
                Some(f) if f.is_finite() && f >= 0.0 => {
                    Duration::try_from_secs_f64(f).map_err(|e| format!("{n} seconds: {e}"))
                }
                _ => Err(format!("{n} is not a valid number of seconds; {FORMS}")),
            }
        }
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                return s
                    .parse::<u64>()
                    .map(Duration::from_secs)
                    .map_err(|e| format!("{s:?}: {e}"));
            }
            humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}; {FORMS}"))
        }
        other => Err(format!(
            "expected a duration, found {}; {FORMS}",
            type_name(other)
        )),
    }
}

/// Where messages point.
struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn line(&self, path: &[&str]) -> Option<usize> {
        key_line(self.text, path)
    }

    fn invalid(&self, path: &[&str], message: impl Into<String>) -> ConfigError {
        ConfigError::InvalidValue {
            file: self.file.to_path_buf(),
            line: self.line(path),
            key: dotted(path),
            message: message.into(),
        }
    }
}

/// `plugins[0].config.path` from `["plugins", "[0]", "config", "path"]`.
fn dotted(path: &[&str]) -> String {
    let mut out = String::new();
    for seg in path {
        if !out.is_empty() && !seg.starts_with('[') {
            out.push('.');
        }
        out.push_str(seg);
    }
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn non_null(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// The top level: a map, or nothing at all (an empty file).
fn object_or_empty(ctx: &Ctx<'_>, v: &Value) -> Result<Map<String, Value>, ConfigError> {
    match v {
        Value::Null => Ok(Map::new()),
        Value::Object(m) => Ok(m.clone()),
        other => Err(ConfigError::InvalidValue {
            file: ctx.file.to_path_buf(),
            line: None,
            key: "(top level)".into(),
            message: format!(
                "the config must be a map of keys, found {}",
                type_name(other)
            ),
        }),
    }
}

fn as_object<'v>(
    ctx: &Ctx<'_>,
    v: &'v Value,
    path: &[&str],
) -> Result<&'v Map<String, Value>, ConfigError> {
    v.as_object()
        .ok_or_else(|| ctx.invalid(path, format!("expected a map, found {}", type_name(v))))
}

/// An optional string; `null` and `""` are "not set".
fn opt_string(
    ctx: &Ctx<'_>,
    m: &Map<String, Value>,
    key: &str,
    parent: &[&str],
) -> Result<Option<String>, ConfigError> {
    match non_null(m.get(key)) {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => {
            let mut path = parent.to_vec();
            path.push(key);
            Err(ctx.invalid(
                &path,
                format!("expected a string, found {}", type_name(other)),
            ))
        }
    }
}

/// The closest of `known` to `key`, if close enough to be a plausible typo.
pub fn did_you_mean(key: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.to_owned())
}

fn check_keys(
    ctx: &Ctx<'_>,
    m: &Map<String, Value>,
    known: &[&str],
    parent: &[&str],
) -> Result<(), ConfigError> {
    // Report the first unknown key in file order would need positions; sorted is deterministic.
    let mut unknown: Vec<&String> = m.keys().filter(|k| !known.contains(&k.as_str())).collect();
    unknown.sort();
    if let Some(key) = unknown.first() {
        let mut path = parent.to_vec();
        path.push(key.as_str());
        return Err(ConfigError::UnknownKey {
            file: ctx.file.to_path_buf(),
            line: ctx.line(&path),
            key: dotted(&path),
            suggestion: did_you_mean(key, known),
        });
    }
    Ok(())
}

fn check_required_version(ctx: &Ctx<'_>, v: &Value) -> Result<Option<String>, ConfigError> {
    let req = match v {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().to_owned(),
        other => {
            return Err(ctx.invalid(
                &["required_version"],
                format!(
                    "expected a version requirement string such as \">= 0.1.0, < 1\", found {}",
                    type_name(other)
                ),
            ));
        }
    };
    let parsed = semver::VersionReq::parse(&req).map_err(|e| {
        ctx.invalid(
            &["required_version"],
            format!("{req:?} is not a semver requirement (e.g. \">= 0.1.0, < 1\"): {e}"),
        )
    })?;
    let current = env!("CARGO_PKG_VERSION");
    let version = semver::Version::parse(current)
        .map_err(|e| ctx.invalid(&["required_version"], format!("own version {current}: {e}")))?;
    if !parsed.matches(&version) {
        return Err(ConfigError::VersionMismatch {
            file: ctx.file.to_path_buf(),
            required: req,
            current: current.to_owned(),
        });
    }
    Ok(Some(req))
}

fn valid_prefix(prefix: &str) -> bool {
    prefix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !prefix.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

fn decode_plugins(ctx: &Ctx<'_>, v: Option<&Value>) -> Result<Vec<PluginConfig>, ConfigError> {
    let items = match non_null(v) {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(ctx.invalid(
                &["plugins"],
                format!("expected a list of plugins, found {}", type_name(other)),
            ));
        }
    };
    let mut plugins = Vec::with_capacity(items.len());
    let mut names: Vec<String> = BUILTIN_FUNCTIONS
        .iter()
        .chain([&SSM_FUNCTION, &SECRETSMANAGER_FUNCTION])
        .map(|s| (*s).to_owned())
        .collect();
    for (i, item) in items.iter().enumerate() {
        let idx = format!("[{i}]");
        let path = ["plugins", idx.as_str()];
        let m = as_object(ctx, item, &path)?;
        check_keys(ctx, m, PLUGIN_KEYS, &path)?;
        let name = opt_string(ctx, m, "name", &path)?
            .ok_or_else(|| ctx.invalid(&["plugins", &idx, "name"], "a plugin needs a name"))?;
        let func_prefix = opt_string(ctx, m, "func_prefix", &path)?.unwrap_or_default();
        if !valid_prefix(&func_prefix) {
            return Err(ctx.invalid(
                &["plugins", &idx, "func_prefix"],
                format!(
                    "{func_prefix:?} must be letters, digits and `_`, not starting with a digit \
                     (it is prepended to function names, e.g. `network_` → `network_tfstate`)"
                ),
            ));
        }
        let config = match non_null(m.get("config")) {
            None => Value::Object(Map::new()),
            Some(c) => {
                as_object(ctx, c, &["plugins", &idx, "config"])?;
                c.clone()
            }
        };
        let cfg = config.as_object().cloned().unwrap_or_default();
        let cpath = ["plugins", idx.as_str(), "config"];
        let kind = match name.as_str() {
            "tfstate" => {
                check_keys(ctx, &cfg, TFSTATE_KEYS, &cpath)?;
                let path_v = opt_string(ctx, &cfg, "path", &cpath)?;
                let url_v = opt_string(ctx, &cfg, "url", &cpath)?;
                let location = match (path_v, url_v) {
                    (Some(p), None) => p,
                    (None, Some(u)) => u,
                    (Some(_), Some(_)) => {
                        return Err(ctx.invalid(&cpath, "set either `path` or `url`, not both"));
                    }
                    (None, None) => {
                        return Err(ctx.invalid(
                            &cpath,
                            "the tfstate plugin needs `path` (relative to this file) or `url` \
                             (file://, s3://, http(s)://)",
                        ));
                    }
                };
                let optional = match non_null(cfg.get("optional")) {
                    None => false,
                    Some(Value::Bool(b)) => *b,
                    Some(other) => {
                        return Err(ctx.invalid(
                            &["plugins", &idx, "config", "optional"],
                            format!("expected true or false, found {}", type_name(other)),
                        ));
                    }
                };
                PluginKind::Tfstate { location, optional }
            }
            "ssm" | "secretsmanager" => {
                check_keys(ctx, &cfg, &[], &cpath)?;
                if name == "ssm" {
                    PluginKind::Ssm
                } else {
                    PluginKind::SecretsManager
                }
            }
            other => {
                let npath = ["plugins", idx.as_str(), "name"];
                return Err(ConfigError::UnknownPlugin {
                    file: ctx.file.to_path_buf(),
                    line: ctx.line(&npath),
                    key: dotted(&npath),
                    name: other.to_owned(),
                    suggestion: did_you_mean(other, PLUGIN_NAMES),
                });
            }
        };
        let plugin = PluginConfig {
            name,
            config,
            func_prefix,
            kind,
        };
        for f in plugin.function_names() {
            if names.contains(&f) {
                return Err(ConfigError::DuplicateFunction {
                    file: ctx.file.to_path_buf(),
                    name: f,
                    index: i,
                });
            }
            names.push(f);
        }
        plugins.push(plugin);
    }
    Ok(plugins)
}

/// Best-effort line of a key path in YAML or JSON text: each named segment is searched for
/// from the line of the previous one (`[i]` segments are skipped).
fn key_line(text: &str, path: &[&str]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0usize;
    let mut found = None;
    for seg in path.iter().filter(|s| !s.starts_with('[')) {
        let idx = (from..lines.len()).find(|&i| line_has_key(lines[i], seg))?;
        found = Some(idx + 1);
        from = idx;
    }
    found
}

/// Whether `line` has `key` as a mapping key: block style (`key:`, `- key:`), flow style
/// (`{key: ..}`, `, key:`) or quoted (`"key":`, `'key':`).
fn line_has_key(line: &str, key: &str) -> bool {
    line.match_indices(key).any(|(i, _)| {
        let before = line[..i].trim_end();
        let (before, quote) = match before.chars().last() {
            Some(q @ ('"' | '\'')) if line[..i].ends_with(q) => {
                (&before[..before.len() - 1], Some(q))
            }
            _ => (before, None),
        };
        let boundary_ok =
            quote.is_some() || !line[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let prev_ok = matches!(
            before.trim_end().chars().last(),
            None | Some('{' | ',' | '-')
        );
        let mut after = &line[i + key.len()..];
        if let Some(q) = quote {
            match after.strip_prefix(q) {
                Some(rest) => after = rest,
                None => return false,
            }
        }
        boundary_ok && prev_ok && after.trim_start().starts_with(':')
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    const CURRENT: &str = env!("CARGO_PKG_VERSION");

    fn load_as(text: &str, file: &str) -> Result<Config, ConfigError> {
        let value = parse_text(text, Path::new(file))?;
        decode(&value, Path::new(file), Path::new("/proj"), text)
    }

    fn load(text: &str) -> Result<Config, ConfigError> {
        load_as(text, "ecspress.yml")
    }

    fn defaults() -> Config {
        Config {
            region: None,
            cluster: DEFAULT_CLUSTER.into(),
            service: None,
            service_definition: None,
            task_definition: None,
            timeout: DEFAULT_TIMEOUT,
            required_version: None,
            plugins: Vec::new(),
            codedeploy: None,
            appspec: None,
            ignore: IgnoreConfig::default(),
            mask: MaskConfig::default(),
            notify: None,
        }
    }

    fn tfstate(location: &str, optional: bool, prefix: &str, config: Value) -> PluginConfig {
        PluginConfig {
            name: "tfstate".into(),
            config,
            func_prefix: prefix.into(),
            kind: PluginKind::Tfstate {
                location: location.into(),
                optional,
            },
        }
    }

    #[test]
    fn every_key_decodes_from_yaml_and_json() {
        let yaml = format!(
            r#"
region: eu-west-1
cluster: prod
service: app
service_definition: ecs-service-def.json
task_definition: defs/ecs-task-def.json
timeout: 1h30m
required_version: "= {CURRENT}"
plugins:
  - name: tfstate
    config:
      path: terraform.tfstate
  - name: tfstate
    func_prefix: network_
    config:
      url: s3://bucket/network.tfstate
      optional: true
  - name: ssm
  - name: secretsmanager
    func_prefix: other_
codedeploy:
  application_name: AppECS-prod-app
  deployment_group_name: DgpECS-prod-app
  deployment_config_name: CodeDeployDefault.ECSAllAtOnce
appspec:
  Hooks:
    - BeforeInstall: fn-before
ignore:
  tags: [a, "b:c"]
mask:
  env_names: ["*_PASS"]
"#
        );
        let json = format!(
            r#"{{
  "region": "eu-west-1", "cluster": "prod", "service": "app",
  "service_definition": "ecs-service-def.json", "task_definition": "defs/ecs-task-def.json",
  "timeout": "1h30m", "required_version": "= {CURRENT}",
  // comments are allowed in JSON configs
  "plugins": [
    {{"name": "tfstate", "config": {{"path": "terraform.tfstate"}}}},
    {{"name": "tfstate", "func_prefix": "network_",
      "config": {{"url": "s3://bucket/network.tfstate", "optional": true}}}},
    {{"name": "ssm"}},
    {{"name": "secretsmanager", "func_prefix": "other_"}}
  ],
  "codedeploy": {{"application_name": "AppECS-prod-app",
    "deployment_group_name": "DgpECS-prod-app",
    "deployment_config_name": "CodeDeployDefault.ECSAllAtOnce"}},
  "appspec": {{"Hooks": [{{"BeforeInstall": "fn-before"}}]}},
  "ignore": {{"tags": ["a", "b:c"]}},
  "mask": {{"env_names": ["*_PASS"]}}
}}"#
        );
        let want = Config {
            region: Some("eu-west-1".into()),
            cluster: "prod".into(),
            service: Some("app".into()),
            service_definition: Some("/proj/ecs-service-def.json".into()),
            task_definition: Some("/proj/defs/ecs-task-def.json".into()),
            timeout: Duration::from_secs(5400),
            required_version: Some(format!("= {CURRENT}")),
            plugins: vec![
                tfstate(
                    "terraform.tfstate",
                    false,
                    "",
                    json!({"path": "terraform.tfstate"}),
                ),
                tfstate(
                    "s3://bucket/network.tfstate",
                    true,
                    "network_",
                    json!({"url": "s3://bucket/network.tfstate", "optional": true}),
                ),
                PluginConfig {
                    name: "ssm".into(),
                    config: json!({}),
                    func_prefix: String::new(),
                    kind: PluginKind::Ssm,
                },
                PluginConfig {
                    name: "secretsmanager".into(),
                    config: json!({}),
                    func_prefix: "other_".into(),
                    kind: PluginKind::SecretsManager,
                },
            ],
            codedeploy: Some(CodeDeployConfig {
                application_name: Some("AppECS-prod-app".into()),
                deployment_group_name: Some("DgpECS-prod-app".into()),
                deployment_config_name: Some("CodeDeployDefault.ECSAllAtOnce".into()),
            }),
            appspec: Some(json!({"Hooks": [{"BeforeInstall": "fn-before"}]})),
            ignore: IgnoreConfig {
                tags: vec!["a".into(), "b:c".into()],
            },
            notify: None,
            mask: MaskConfig {
                env_names: vec!["*_PASS".into()],
            },
        };
        assert_eq!(load_as(&yaml, "ecspress.yml").unwrap(), want);
        assert_eq!(load_as(&json, "ecspress.json").unwrap(), want);
        let names: Vec<Vec<String>> = want.plugins.iter().map(|p| p.function_names()).collect();
        assert_eq!(
            names,
            vec![
                vec!["tfstate".to_owned(), "tfstatef".to_owned()],
                vec!["network_tfstate".to_owned(), "network_tfstatef".to_owned()],
                vec![],
                vec!["other_secretsmanager_arn".to_owned()],
            ]
        );
    }

    #[test]
    fn defaults_and_unset_values() {
        let cases = [
            "",
            "{}",
            "# only a comment\n",
            "region: null\ncluster: ~\nservice: \"\"\ntimeout:\nplugins: []\nignore: {}\n",
        ];
        for text in cases {
            assert_eq!(load(text).unwrap(), defaults(), "{text:?}");
        }
        let json = serde_json::to_value(defaults()).unwrap();
        assert_eq!(json, json!({"cluster": "default", "timeout": "10m"}));
    }

    #[test]
    fn absolute_definition_paths_are_kept() {
        let c = load("task_definition: /abs/td.json\nservice_definition: ../sd.json").unwrap();
        assert_eq!(c.task_definition, Some(PathBuf::from("/abs/td.json")));
        assert_eq!(
            c.service_definition,
            Some(PathBuf::from("/proj/../sd.json"))
        );
    }

    #[test]
    fn unknown_keys_are_errors_with_a_hint() {
        // (file, text, key, suggestion, line)
        type Case<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<usize>);
        let cases: &[Case] = &[
            (
                "ecspress.yml",
                "regin: eu-west-1",
                "regin",
                Some("region"),
                Some(1),
            ),
            (
                "ecspress.yml",
                "cluster: a\nservice_definitoin: x.json",
                "service_definitoin",
                Some("service_definition"),
                Some(2),
            ),
            (
                "ecspress.yml",
                "cluster: a\ncodedeploy:\n  aplication_name: x",
                "codedeploy.aplication_name",
                Some("application_name"),
                Some(3),
            ),
            (
                "ecspress.yml",
                "ignore:\n  tag: [a]",
                "ignore.tag",
                Some("tags"),
                Some(2),
            ),
            (
                "ecspress.yml",
                "notify:\n  slack:\n    webhook: {env: A}",
                "notify.slack.webhook",
                Some("webhook_url"),
                Some(3),
            ),
            (
                "ecspress.yml",
                "notify:\n  slack:\n    webhook_url: {environment: A}",
                "notify.slack.webhook_url.environment",
                Some("env"),
                Some(3),
            ),
            (
                "ecspress.yml",
                "plugins:\n  - name: tfstate\n    config:\n      pth: x",
                "plugins[0].config.pth",
                Some("path"),
                Some(4),
            ),
            (
                "ecspress.yml",
                "plugins:\n  - name: tfstate\n    func_prefx: a_\n    config: {path: x}",
                "plugins[0].func_prefx",
                Some("func_prefix"),
                Some(3),
            ),
            (
                "ecspress.yml",
                "plugins:\n  - name: ssm\n    config: {region: x}",
                "plugins[0].config.region",
                None,
                Some(3),
            ),
            (
                "ecspress.yml",
                "filter_command: jq",
                "filter_command",
                None,
                Some(1),
            ),
            (
                "ecspress.json",
                "{\n  \"cluster\": \"a\",\n  \"servce\": \"x\"\n}",
                "servce",
                Some("service"),
                Some(3),
            ),
        ];
        for (file, text, key, suggestion, line) in cases {
            let err = load_as(text, file).unwrap_err();
            let shown = err.to_string();
            match &err {
                ConfigError::UnknownKey {
                    key: k,
                    suggestion: s,
                    line: l,
                    file: f,
                } => {
                    assert_eq!(k, key, "{shown}");
                    assert_eq!(s.as_deref(), *suggestion, "{shown}");
                    assert_eq!(l, line, "{shown}");
                    assert_eq!(f, Path::new(file));
                }
                other => panic!("{text}: expected UnknownKey, got {other:?}"),
            }
            assert!(shown.contains(file) && shown.contains(key), "{shown}");
            if let Some(s) = suggestion {
                assert!(shown.contains(&format!("did you mean `{s}`")), "{shown}");
            }
        }
    }

    #[test]
    fn timeouts() {
        let cases: &[(Value, Option<Duration>)] = &[
            (json!("10m"), Some(Duration::from_secs(600))),
            (json!("90s"), Some(Duration::from_secs(90))),
            (json!("1h30m"), Some(Duration::from_secs(5400))),
            (json!("1h 30m"), Some(Duration::from_secs(5400))),
            (json!("10m0s"), Some(Duration::from_secs(600))),
            (json!(90), Some(Duration::from_secs(90))),
            (json!("120"), Some(Duration::from_secs(120))),
            (json!(1.5), Some(Duration::from_millis(1500))),
            (json!("soon"), None),
            (json!("10 minutes later"), None),
            (json!(-1), None),
            (json!(""), None),
            (json!(true), None),
        ];
        for (v, want) in cases {
            assert_eq!(parse_timeout(v).ok(), *want, "{v}");
        }
        let err = load("cluster: a\ntimeout: soon").unwrap_err();
        assert!(
            matches!(&err, ConfigError::InvalidValue { key, line: Some(2), .. } if key == "timeout"),
            "{err:?}"
        );
        assert!(err.to_string().contains("ecspress.yml:2"), "{err}");
    }

    #[test]
    fn required_version() {
        let current = semver::Version::parse(CURRENT).unwrap();
        let next_major = format!(">= {}", current.major + 1);
        let ok = [
            ">= 0.0.1".to_owned(),
            format!("= {CURRENT}"),
            format!(">= {CURRENT}, < {}", current.major + 1),
            "*".into(),
        ];
        for req in ok {
            let c = load(&format!("required_version: \"{req}\"")).unwrap();
            assert_eq!(c.required_version.as_deref(), Some(req.as_str()));
        }
        // A failing requirement names both versions, and wins over unknown keys.
        for text in [
            format!("required_version: \"{next_major}\""),
            format!("new_key_from_the_future: 1\nrequired_version: \"{next_major}\""),
        ] {
            let err = load(&text).unwrap_err();
            assert!(
                matches!(err, ConfigError::VersionMismatch { .. }),
                "{err:?}"
            );
            let shown = err.to_string();
            assert!(
                shown.contains(&next_major) && shown.contains(CURRENT),
                "{shown}"
            );
            assert!(shown.contains("ecspress.yml"), "{shown}");
        }
        for bad in ["required_version: \"~> 2.0\"", "required_version: 1"] {
            let err = load(bad).unwrap_err();
            assert!(
                matches!(&err, ConfigError::InvalidValue { key, .. } if key == "required_version"),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn plugin_validation() {
        enum Want {
            Ok,
            Invalid(&'static str),
            Unknown(&'static str, Option<&'static str>),
            Duplicate(&'static str, usize),
        }
        let cases: &[(&str, Want)] = &[
            (
                "plugins:\n  - name: tfstate\n    config: {path: a}",
                Want::Ok,
            ),
            (
                "plugins:\n  - name: ssm\n  - name: ssm\n  - name: secretsmanager",
                Want::Ok,
            ),
            (
                "plugins:\n  - {name: tfstate, config: {path: a}}\n  - {name: tfstate, func_prefix: b_, config: {path: b}}",
                Want::Ok,
            ),
            (
                "plugins:\n  - name: tfstat\n    config: {path: a}",
                Want::Unknown("tfstat", Some("tfstate")),
            ),
            (
                "plugins:\n  - name: cloudformation",
                Want::Unknown("cloudformation", None),
            ),
            (
                "plugins:\n  - {name: tfstate, config: {path: a}}\n  - {name: tfstate, config: {url: s3://b/k}}",
                Want::Duplicate("tfstate", 1),
            ),
            (
                "plugins:\n  - {name: tfstate, func_prefix: n_, config: {path: a}}\n  - {name: tfstate, func_prefix: n_, config: {path: b}}",
                Want::Duplicate("n_tfstate", 1),
            ),
            (
                "plugins:\n  - {name: ssm, func_prefix: x_}\n  - {name: ssm, func_prefix: x_}",
                Want::Duplicate("x_ssm", 1),
            ),
            (
                // A prefix that makes a tfstate function collide with a builtin.
                "plugins:\n  - {name: tfstate, func_prefix: '', config: {path: a}}\n  - {name: tfstate, func_prefix: 'network_', config: {path: b}}\n  - {name: tfstate, func_prefix: network_, config: {path: c}}",
                Want::Duplicate("network_tfstate", 2),
            ),
            (
                "plugins:\n  - name: tfstate",
                Want::Invalid("plugins[0].config"),
            ),
            (
                "plugins:\n  - {name: tfstate, config: {path: a, url: b}}",
                Want::Invalid("plugins[0].config"),
            ),
            (
                "plugins:\n  - {name: tfstate, config: {path: a, optional: 'yes'}}",
                Want::Invalid("plugins[0].config.optional"),
            ),
            (
                "plugins:\n  - {name: tfstate, func_prefix: a-b, config: {path: a}}",
                Want::Invalid("plugins[0].func_prefix"),
            ),
            (
                "plugins:\n  - {name: tfstate, func_prefix: 1x, config: {path: a}}",
                Want::Invalid("plugins[0].func_prefix"),
            ),
            (
                "plugins:\n  - config: {path: a}",
                Want::Invalid("plugins[0].name"),
            ),
            ("plugins: {name: tfstate}", Want::Invalid("plugins")),
            ("plugins:\n  - tfstate", Want::Invalid("plugins[0]")),
            (
                "plugins:\n  - {name: tfstate, config: [a]}",
                Want::Invalid("plugins[0].config"),
            ),
        ];
        for (text, want) in cases {
            let got = load(text);
            match (want, &got) {
                (Want::Ok, Ok(_)) => {}
                (Want::Invalid(k), Err(ConfigError::InvalidValue { key, .. })) => {
                    assert_eq!(key, k, "{text}");
                }
                (
                    Want::Unknown(n, s),
                    Err(
                        e @ ConfigError::UnknownPlugin {
                            name, suggestion, ..
                        },
                    ),
                ) => {
                    assert_eq!(name, n, "{text}");
                    assert_eq!(suggestion.as_deref(), *s, "{text}");
                    assert!(e.to_string().contains("known plugins: tfstate"), "{e}");
                }
                (
                    Want::Duplicate(n, i),
                    Err(e @ ConfigError::DuplicateFunction { name, index, .. }),
                ) => {
                    assert_eq!((name.as_str(), *index), (*n, *i), "{text}");
                    let shown = e.to_string();
                    assert!(
                        shown.contains(&format!(
                            "template function {n} already exists; set func_prefix"
                        )),
                        "{shown}"
                    );
                }
                (_, other) => panic!("{text}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn wrong_types_name_the_key() {
        let cases = [
            ("cluster: 123", "cluster", Some(1)),
            ("cluster: a\nservice: [x]", "service", Some(2)),
            ("codedeploy: yes", "codedeploy", Some(1)),
            (
                "codedeploy:\n  application_name: 1",
                "codedeploy.application_name",
                Some(2),
            ),
            ("ignore:\n  tags: [1]", "ignore.tags", Some(2)),
            ("mask:\n  env_names: [1]", "mask.env_names", Some(2)),
            ("mask:\n  env_names: \"*X*\"", "mask.env_names", Some(2)),
            (
                "notify:\n  slack:\n    webhook_url: https://hooks.slack.com/x",
                "notify.slack.webhook_url",
                Some(3),
            ),
            (
                "notify:\n  slack:\n    webhook_url: {env: A, ssm: /b}",
                "notify.slack.webhook_url",
                Some(3),
            ),
            (
                "notify:\n  slack:\n    webhook_url: {env: A}\n    bot_token: {env: B}",
                "notify.slack",
                Some(2),
            ),
            (
                "notify:\n  slack:\n    bot_token: {env: B}",
                "notify.slack",
                Some(2),
            ),
            ("notify:\n  slack: {}", "notify.slack", Some(2)),
            (
                "notify:\n  tag_resources: yes please",
                "notify.tag_resources",
                Some(2),
            ),
            ("ignore:\n  tags: a", "ignore.tags", Some(2)),
            ("- a\n- b", "(top level)", None),
        ];
        for (text, key, line) in cases {
            match load(text) {
                Err(ConfigError::InvalidValue {
                    key: k, line: l, ..
                }) => {
                    assert_eq!((k.as_str(), l), (key, line), "{text}");
                }
                other => panic!("{text}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn notify_section_decodes_to_references_never_values() {
        let c = load(
            "notify:\n  slack:\n    bot_token: {secretsmanager: ci/slack}\n    channel: C1\n    updates: true\n  tag_resources: true",
        )
        .unwrap();
        let n = c.notify.clone().unwrap();
        assert!(n.tag_resources);
        let slack = n.slack.unwrap();
        assert_eq!(
            slack.bot_token,
            Some(SecretRef::SecretsManager("ci/slack".into()))
        );
        assert_eq!(
            (slack.channel.as_deref(), slack.updates),
            (Some("C1"), true)
        );
        let rendered = serde_json::to_value(&c).unwrap();
        assert_eq!(
            rendered["notify"]["slack"]["bot_token"],
            json!({"secretsmanager": "ci/slack"})
        );
        let w = load("notify:\n  slack:\n    webhook_url: {ssm: /hook}").unwrap();
        let w = w.notify.unwrap().slack.unwrap();
        assert_eq!(w.webhook_url, Some(SecretRef::Ssm("/hook".into())));
        assert!(!w.updates);
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let cases = [
            ("ecspress.yml", "cluster: a\nservice: [x\ntimeout: 1", 3),
            (
                "ecspress.json",
                "{\n  \"cluster\": \"a\"\n  \"service\": \"b\"\n}",
                3,
            ),
        ];
        for (file, text, line) in cases {
            match load_as(text, file) {
                Err(ConfigError::Template(e)) => {
                    assert_eq!(e.line, Some(line), "{e}");
                    assert!(e.to_string().starts_with(&format!("{file}:{line}:")), "{e}");
                }
                other => panic!("{text}: unexpected {other:?}"),
            }
        }
        assert!(matches!(
            parse_text("a: 1", Path::new("ecspress.toml")),
            Err(ConfigError::UnsupportedFormat { .. })
        ));
    }

    #[test]
    fn preflight_takes_plugins_and_region() {
        let file = Path::new("ecspress.yml");
        let parse = |t: &str| parse_text(t, file).unwrap();
        let plugins = "plugins:\n  - {name: tfstate, func_prefix: n_, config: {path: a.tfstate}}\n";
        // Same in both renders: region kept.
        let a = parse(&format!("region: eu-west-1\ncluster: 0\n{plugins}"));
        let b = parse(&format!("region: eu-west-1\ncluster: 1\n{plugins}"));
        let pre = preflight(&a, &b, file, "").unwrap();
        assert_eq!(pre.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            pre.plugins,
            vec![tfstate(
                "a.tfstate",
                false,
                "n_",
                json!({"path": "a.tfstate"})
            )]
        );
        // Region computed by a plugin function: unknown in pass 1.
        let a = parse("region: '0'");
        let b = parse("region: '1'");
        assert_eq!(preflight(&a, &b, file, "").unwrap().region, None);
        // Plugin settings computed by a plugin function: an error.
        let a = parse("plugins:\n  - {name: tfstate, config: {path: '0'}}");
        let b = parse("plugins:\n  - {name: tfstate, config: {path: '1'}}");
        let err = preflight(&a, &b, file, "").unwrap_err();
        assert!(err.to_string().contains("not plugin functions"), "{err}");
        // required_version is checked before any AWS work.
        let a = parse("required_version: '>= 999'");
        assert!(matches!(
            preflight(&a, &a, file, ""),
            Err(ConfigError::VersionMismatch { .. })
        ));
        // Plugin errors surface in pass 1 too.
        let a = parse("plugins:\n  - name: nope");
        assert!(matches!(
            preflight(&a, &a, file, ""),
            Err(ConfigError::UnknownPlugin { .. })
        ));
    }

    #[test]
    fn discovery_order_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        let no_env: HashMap<String, String> = HashMap::new();
        let with_env = |v: &str| HashMap::from([(CONFIG_ENV.to_owned(), v.to_owned())]);

        let err = discover(None, &no_env, cwd).unwrap_err();
        assert!(matches!(err, ConfigError::NotFound { .. }));
        assert!(
            err.to_string()
                .contains("ecspress.yml, ecspress.yaml, ecspress.json")
        );

        let mut expected = Vec::new();
        for name in ["ecspress.json", "ecspress.yaml", "ecspress.yml"] {
            std::fs::write(cwd.join(name), "{}").unwrap();
            expected.push(cwd.join(name));
            // The most preferred existing file wins.
            assert_eq!(
                discover(None, &no_env, cwd).unwrap(),
                cwd.join(name),
                "{name}"
            );
        }
        let cases: &[(Option<&str>, Option<&str>, &str)] = &[
            (None, Some("env.yml"), "env.yml"),
            (None, Some(""), "ecspress.yml"),
            (Some("flag.yml"), Some("env.yml"), "flag.yml"),
            (Some("/abs/flag.yml"), None, "/abs/flag.yml"),
        ];
        for (flag, env, want) in cases {
            let env = env.map(with_env).unwrap_or_default();
            let got = discover(flag.map(Path::new), &env, cwd).unwrap();
            assert_eq!(got, cwd.join(want), "{flag:?} {env:?}");
        }
    }

    #[test]
    fn did_you_mean_threshold() {
        let cases = [
            ("regoin", Some("region")),
            ("Cluster", Some("cluster")),
            ("taskdef", Some("task_definition")),
            ("foo", None),
            ("x", None),
        ];
        for (key, want) in cases {
            assert_eq!(did_you_mean(key, TOP_KEYS).as_deref(), want, "{key}");
        }
    }
}
