//! The render pipeline: load `ecspress.yml` in two template passes, set up the plugins, and
//! render definition files.
//!
//! # Why two passes
//!
//! Plugin functions (`tfstate`, `ssm`, ...) may be used anywhere in the config, including
//! `cluster` or `service`, but the plugins themselves (and the region the AWS clients need) are
//! *in* the config. So (ecspresso §2.2, simplified):
//!
//! 1. render the config text with `env`/`must_env`/`json_escape` real and every plugin function
//!    a placeholder, **twice** with different placeholders; [`config::preflight`] takes the
//!    plugins (an error if they differ, i.e. use a plugin function) and the region (ignored if it
//!    differs: the clients then use `--region` or the SDK's default chain);
//! 2. build the AWS clients, read every tfstate plugin (an `optional` one that fails becomes an
//!    empty state and a warning), render the whole text again with the real functions and decode
//!    it strictly ([`config::decode`]).
//!
//! A `.jsonnet` config is evaluated before each pass (ecspresso §2.2): pass 1 evaluates only
//! `plugins` (which must succeed), `region` and `required_version` (left out when they fail, e.g.
//! because they call a plugin native that does not exist yet); Jsonnet is lazy, so plugin calls
//! elsewhere are never reached. The resulting JSON text then goes through the same tera passes.
//!
//! The engine of pass 2 (with its per-run `ssm`/`secretsmanager_arn` cache) then renders the
//! definition files. Nothing here mutates AWS: only GetObject, GetParameter and DescribeSecret.
//! Library code never prints: warnings are returned by [`Project::warnings`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow};
use serde_json::Value;

use crate::aws::{AwsOptions, Clients, load_sdk_config};
use crate::config::{self, Config, ConfigError, PluginConfig, PluginKind, Preflight};
use crate::model::tfstate::TfState;
use crate::ops::tfstate_source::read_state;
use crate::template::{
    AwsLookups, DefinitionKind, Engine, EnvSource, ExtVars, FileFormat, ProcessEnv, parse_rendered,
    plugin_function_calls,
};

/// Where the config is and how to reach AWS (from the CLI).
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    /// `--config` / `ECSPRESS_CONFIG`; auto-detected when `None`.
    pub config_path: Option<PathBuf>,
    /// AWS settings; `aws.region` beats the config's `region`.
    pub aws: AwsOptions,
    /// `--ext-str` / `--ext-code` for Jsonnet configs and definitions.
    pub jsonnet: ExtVars,
}

/// A loaded config, its plugins and the engine that renders its definition files.
pub struct Project {
    config: Config,
    config_path: PathBuf,
    config_json: Value,
    clients: Clients,
    aws: AwsOptions,
    engine: Engine,
    /// `(func_prefix, state)` of every tfstate plugin, as read (to rebuild the engine).
    states: Vec<(String, Arc<TfState>)>,
    /// Jsonnet external variables (to rebuild the engine).
    ext: ExtVars,
    cwd: PathBuf,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("config_path", &self.config_path)
            .field("config", &self.config)
            .field("aws", &self.aws)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Load with real SDK clients ([`load_sdk_config`] + [`Clients::from_sdk`]) and the process
/// environment.
pub async fn load_project(opts: &ProjectOptions) -> anyhow::Result<Project> {
    load_project_env(opts, Arc::new(ProcessEnv)).await
}

/// [`load_project`] with variables that templates (`env`, `must_env`) see before the process
/// environment ([`crate::template::OverlayEnv`]): `chatops serve` runs concurrent requests, each
/// with its own image tag, so it cannot set process variables.
pub async fn load_project_with_overlay(
    opts: &ProjectOptions,
    overlay: std::collections::HashMap<String, String>,
) -> anyhow::Result<Project> {
    let env = crate::template::OverlayEnv {
        overlay,
        base: Arc::new(ProcessEnv),
    };
    load_project_env(opts, Arc::new(env)).await
}

async fn load_project_env(
    opts: &ProjectOptions,
    env: Arc<dyn EnvSource>,
) -> anyhow::Result<Project> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let source = ConfigSource::find(opts, env.as_ref(), &cwd).await?;
    let pre = pass1(&source, &env, opts, &cwd).await?;
    let mut aws = opts.aws.clone();
    if aws.region.is_none() {
        aws.region = pre.region.clone();
    }
    let clients = Clients::from_sdk(&load_sdk_config(&aws).await);
    let mut project = pass2(source, pre, opts, clients, env.clone(), cwd).await?;
    // The region came from a plugin function (so pass 1 could not see it): the definitions'
    // lookups and later commands must use it.
    if project.aws.region != aws.region {
        let clients = Clients::from_sdk(&load_sdk_config(&project.aws).await);
        // A new cache too: values looked up in the other region are not reused.
        project.engine = build_engine(
            env,
            &project.config.plugins,
            &project.states,
            &clients,
            &project.ext,
        );
        project.clients = clients;
    }
    Ok(project)
}

/// Load with the given clients (fakes, the simulator) and the process environment.
pub async fn load_project_with(opts: &ProjectOptions, clients: Clients) -> anyhow::Result<Project> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    load_project_with_env(opts, clients, Arc::new(ProcessEnv), &cwd).await
}

/// Load with the given clients, environment and current directory (tests).
pub async fn load_project_with_env(
    opts: &ProjectOptions,
    clients: Clients,
    env: Arc<dyn EnvSource>,
    cwd: &Path,
) -> anyhow::Result<Project> {
    let source = ConfigSource::find(opts, env.as_ref(), cwd).await?;
    let pre = pass1(&source, &env, opts, cwd).await?;
    pass2(source, pre, opts, clients, env, cwd.to_path_buf()).await
}

/// The config file and its raw text.
struct ConfigSource {
    path: PathBuf,
    display: String,
    text: String,
    format: FileFormat,
}

impl ConfigSource {
    async fn find(
        opts: &ProjectOptions,
        env: &dyn EnvSource,
        cwd: &Path,
    ) -> Result<Self, ConfigError> {
        let path = config::discover(opts.config_path.as_deref(), env, cwd)?;
        let format = config::format_of(&path)?;
        let text = tokio::fs::read_to_string(&path)
            .await
            .map_err(|source| ConfigError::Read {
                file: path.clone(),
                source,
            })?;
        Ok(ConfigSource {
            display: display_path(&path, cwd),
            path,
            text,
            format,
        })
    }
}

/// `path` relative to `cwd` when it is inside it (shorter messages), else as is.
fn display_path(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}

/// Placeholders for pass 1 (two, to see what depends on them; valid JSON and YAML scalars).
const PLACEHOLDERS: [&str; 2] = ["0", "1"];

/// Render the config with plugin functions returning `placeholder`; the text and its value.
async fn render_with_placeholder(
    source: &ConfigSource,
    text: &str,
    env: &Arc<dyn EnvSource>,
    names: &BTreeSet<String>,
    placeholder: &str,
) -> Result<(String, Value), ConfigError> {
    let mut engine = Engine::new(Arc::clone(env));
    engine.register_placeholders(names.iter().cloned(), placeholder);
    let rendered = engine.render(&source.display, text.to_owned()).await?;
    let value = config::parse_text(&rendered, Path::new(&source.display))?;
    Ok((rendered, value))
}

/// Jsonnet configs, pass 1: the fields that must evaluate, and those left out when they fail.
const PASS1_JSONNET_FIELDS: (&[&str], &[&str]) = (&["plugins"], &["required_version", "region"]);

async fn pass1(
    source: &ConfigSource,
    env: &Arc<dyn EnvSource>,
    opts: &ProjectOptions,
    cwd: &Path,
) -> Result<Preflight, ConfigError> {
    let text = if source.format == FileFormat::Jsonnet {
        let mut engine = Engine::new(Arc::clone(env));
        engine.set_ext_vars(opts.jsonnet.clone());
        engine
            .evaluate_jsonnet(
                &source.path,
                &source.display,
                source.text.clone(),
                cwd,
                Some(PASS1_JSONNET_FIELDS),
            )
            .await?
    } else {
        source.text.clone()
    };
    let names = plugin_function_calls(&text);
    let (rendered, first) =
        render_with_placeholder(source, &text, env, &names, PLACEHOLDERS[0]).await?;
    let (_, second) = render_with_placeholder(source, &text, env, &names, PLACEHOLDERS[1]).await?;
    config::preflight(&first, &second, Path::new(&source.display), &rendered)
}

/// The pass-2 engine: builtins, default `ssm`/`secretsmanager_arn`, and each plugin's functions.
fn build_engine(
    env: Arc<dyn EnvSource>,
    plugins: &[PluginConfig],
    states: &[(String, Arc<TfState>)],
    clients: &Clients,
    ext: &ExtVars,
) -> Engine {
    let lookups = Arc::new(AwsLookups::new(clients));
    let mut engine = Engine::new(env);
    engine.set_ext_vars(ext.clone());
    engine.register_ssm("", Arc::clone(&lookups));
    engine.register_secretsmanager("", Arc::clone(&lookups));
    for (prefix, state) in states {
        engine.register_tfstate(prefix, Arc::clone(state));
    }
    for p in plugins {
        match p.kind {
            PluginKind::Ssm if !p.func_prefix.is_empty() => {
                engine.register_ssm(&p.func_prefix, Arc::clone(&lookups));
            }
            PluginKind::SecretsManager if !p.func_prefix.is_empty() => {
                engine.register_secretsmanager(&p.func_prefix, Arc::clone(&lookups));
            }
            _ => {}
        }
    }
    engine
}

async fn read_states(
    plugins: &[config::PluginConfig],
    config_path: &Path,
    display: &str,
    clients: &Clients,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Vec<(String, Arc<TfState>)>> {
    let base_dir = config_path.parent().unwrap_or_else(|| Path::new(""));
    let mut states = Vec::new();
    for (i, p) in plugins.iter().enumerate() {
        let PluginKind::Tfstate { location, optional } = &p.kind else {
            continue;
        };
        let state = match read_state(location, base_dir, clients.s3.as_ref()).await {
            Ok(state) => state,
            Err(e) if *optional => {
                warnings.push(format!(
                    "{display}: optional tfstate plugins[{i}] ({location}) could not be read, \
                     using an empty state: {e:#}"
                ));
                TfState::empty(location)
            }
            Err(e) => {
                return Err(e.context(format!(
                    "{display}: cannot read tfstate plugins[{i}] ({location})"
                )));
            }
        };
        states.push((p.func_prefix.clone(), Arc::new(state)));
    }
    Ok(states)
}

async fn pass2(
    source: ConfigSource,
    pre: Preflight,
    opts: &ProjectOptions,
    clients: Clients,
    env: Arc<dyn EnvSource>,
    cwd: PathBuf,
) -> anyhow::Result<Project> {
    let mut warnings = Vec::new();
    let states = read_states(
        &pre.plugins,
        &source.path,
        &source.display,
        &clients,
        &mut warnings,
    )
    .await?;
    // Plugins are the same in both passes (preflight checked they use no plugin function).
    let engine = build_engine(env, &pre.plugins, &states, &clients, &opts.jsonnet);
    let text = if source.format == FileFormat::Jsonnet {
        engine
            .evaluate_jsonnet(&source.path, &source.display, source.text, &cwd, None)
            .await
            .map_err(ConfigError::from)?
    } else {
        source.text
    };
    let rendered = engine
        .render(&source.display, text)
        .await
        .map_err(ConfigError::from)?;
    let value = config::parse_text(&rendered, Path::new(&source.display))?;
    let base_dir = source.path.parent().unwrap_or_else(|| Path::new(""));
    let config = config::decode(&value, Path::new(&source.display), base_dir, &rendered)?;
    let aws = AwsOptions {
        region: opts.aws.region.clone().or_else(|| config.region.clone()),
        ..opts.aws.clone()
    };
    let config_json = serde_json::to_value(&config).context("cannot serialize the config")?;
    Ok(Project {
        config,
        config_path: source.path,
        config_json,
        clients,
        aws,
        engine,
        states,
        ext: opts.jsonnet.clone(),
        cwd,
        warnings,
    })
}

impl Project {
    /// The validated config; definition paths are absolute.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Swap the AWS clients later operations use (a multi-config run paces ECS and CodeDeploy
    /// through one shared limiter); what the templates already looked up stays.
    pub fn map_clients(&mut self, f: impl FnOnce(&Clients) -> Clients) {
        self.clients = f(&self.clients);
    }

    /// The config file (absolute).
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The rendered config with defaults filled in, for `ecspress render config`.
    pub fn config_json(&self) -> Value {
        self.config_json.clone()
    }

    /// The AWS clients of this run.
    pub fn clients(&self) -> &crate::aws::Clients {
        &self.clients
    }

    /// The effective AWS options: `--region`, else the config's `region`.
    pub fn aws_options(&self) -> &AwsOptions {
        &self.aws
    }

    /// Warnings to show the user (an optional tfstate that could not be read, ...).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Every tfstate plugin: `(func_prefix or "", location as written, directory that relative
    /// paths are resolved against)`.
    pub fn tfstate_locations(&self) -> Vec<(String, String, PathBuf)> {
        let base = self
            .config_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        self.config
            .plugins
            .iter()
            .filter_map(|p| match &p.kind {
                PluginKind::Tfstate { location, .. } => {
                    Some((p.func_prefix.clone(), location.clone(), base.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Render `task_definition`; describe-task-definition output is unwrapped.
    pub async fn render_task_definition(&self) -> anyhow::Result<Value> {
        let path = self.config.task_definition.as_deref().ok_or_else(|| {
            anyhow!(
                "{}: no task_definition in the config",
                self.config_path.display()
            )
        })?;
        let td = self.render_definition(path, DefinitionKind::Task).await?;
        self.register_secrets(&td);
        Ok(td)
    }

    /// Register the values of `task_definition`'s secret-named environment entries (default
    /// patterns + `mask.env_names`) so that no output shows them; see
    /// [`crate::model::secrets`]. Called for rendered and live task definitions.
    pub fn register_secrets(&self, task_definition: &Value) {
        let patterns = crate::model::secrets::name_patterns(&self.config.mask.env_names);
        let values = crate::model::secrets::secret_environment_values(task_definition, &patterns);
        crate::output::secrets::register(values.iter().map(String::as_str));
    }

    /// Render `service_definition`.
    pub async fn render_service_definition(&self) -> anyhow::Result<Value> {
        let path = self.config.service_definition.as_deref().ok_or_else(|| {
            anyhow!(
                "{}: no service_definition in the config",
                self.config_path.display()
            )
        })?;
        self.render_definition(path, DefinitionKind::Service).await
    }

    /// Render any definition file with this project's functions: read, evaluate it if it is
    /// Jsonnet, render the (resulting) text, parse by extension (JSON with comments, or YAML),
    /// check the shape.
    pub async fn render_definition(
        &self,
        path: &Path,
        kind: DefinitionKind,
    ) -> anyhow::Result<Value> {
        let display = display_path(path, &self.cwd);
        let format = FileFormat::for_definition(path).map_err(|mut e| {
            e.file = display.clone();
            e
        })?;
        let key = match kind {
            DefinitionKind::Task => "task_definition",
            DefinitionKind::Service => "service_definition",
        };
        let bytes = tokio::fs::read(path).await.with_context(|| {
            format!(
                "cannot read {display} (the `{key}` of {})",
                display_path(&self.config_path, &self.cwd)
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count();
            let column = 1 + at
                - bytes[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
            anyhow!(
                "{display}:{line}:{column}: not UTF-8 text (byte 0x{:02X}); save the file as UTF-8",
                bytes[at]
            )
        })?;
        let text = if format == FileFormat::Jsonnet {
            self.engine
                .evaluate_jsonnet(path, &display, text, &self.cwd, None)
                .await?
        } else {
            text
        };
        let rendered = self.engine.render(&display, text).await?;
        let value = parse_rendered(&rendered, format, &display)?;
        Ok(kind.normalize(&display, value)?)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::template::testing::{Fakes, env_of, fixture};
    use crate::template::{TemplateError, TemplateErrorKind};

    fn opts(config: Option<&str>, region: Option<&str>) -> ProjectOptions {
        ProjectOptions {
            config_path: config.map(PathBuf::from),
            aws: AwsOptions {
                region: region.map(str::to_owned),
                ..AwsOptions::default()
            },
            ..ProjectOptions::default()
        }
    }

    async fn load_in(
        cwd: &Path,
        opts: &ProjectOptions,
        env: &[(&str, &str)],
        fakes: &Fakes,
    ) -> anyhow::Result<Project> {
        load_project_with_env(opts, fakes.clients(), Arc::new(env_of(env)), cwd).await
    }

    fn fixtures_dir() -> PathBuf {
        fixture("").components().collect::<PathBuf>()
    }

    /// A temporary project: `files` written as given, `copy` copied from the fixtures.
    fn project_dir(files: &[(&str, &str)], copy: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        for name in copy {
            std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
        }
        dir
    }

    const FIXTURE_ENV: &[(&str, &str)] = &[
        ("NETWORK_STATE", "network.tfstate"),
        ("IMAGE_TAG", "v9"),
        ("MOTD", "say \"hi\"\n"),
    ];

    fn expected_task_definition() -> Value {
        json!({
            "family": "app",
            "cpu": "256",
            "memory": "512",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [{
                "name": "app",
                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v9",
                "essential": true,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                "environment": [
                    {"name": "DB_HOST", "value": "db.internal"},
                    {"name": "MOTD", "value": "say \"hi\"\n"}
                ],
                "secrets": [{
                    "name": "DB_PASSWORD",
                    "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf"
                }],
                "dockerLabels": {"com.example.Team": "web"}
            }]
        })
    }

    /// The whole pipeline over `tests/fixtures/render`: two tfstate plugins (one prefixed, its
    /// path from must_env), a prefixed function in `cluster`, every definition format.
    #[tokio::test]
    async fn fixture_project_renders() {
        let dir = fixtures_dir();
        let fakes = Fakes::standard();
        let project = load_in(&dir, &opts(Some("ecspress.yml"), None), FIXTURE_ENV, &fakes)
            .await
            .unwrap();
        let config = project.config();
        assert_eq!(config.cluster, "prod-cluster");
        assert_eq!(config.region.as_deref(), Some("eu-west-1"));
        assert_eq!(config.service.as_deref(), Some("app"));
        assert_eq!(config.timeout, std::time::Duration::from_secs(900));
        assert_eq!(config.task_definition, Some(dir.join("ecs-task-def.json")));
        assert_eq!(project.config_path(), dir.join("ecspress.yml"));
        assert_eq!(project.aws_options().region.as_deref(), Some("eu-west-1"));
        assert!(project.warnings().is_empty());
        assert_eq!(
            project.tfstate_locations(),
            vec![
                (String::new(), "app.tfstate".to_owned(), dir.clone()),
                (
                    "network_".to_owned(),
                    "network.tfstate".to_owned(),
                    dir.clone()
                ),
            ]
        );
        let cj = project.config_json();
        assert_eq!(cj["cluster"], "prod-cluster");
        assert_eq!(cj["timeout"], "15m");
        assert_eq!(cj["ignore"], json!({"tags": ["ecspresso:ignore"]}));
        assert_eq!(
            cj["appspec"],
            json!({"Hooks": [{"BeforeInstall": "LambdaFunctionToValidateBeforeInstall"}]})
        );

        let want = expected_task_definition();
        assert_eq!(project.render_task_definition().await.unwrap(), want);
        for name in [
            "ecs-task-def.jsonc",
            "ecs-task-def.yaml",
            "describe-task-def.json",
        ] {
            let got = project
                .render_definition(&dir.join(name), DefinitionKind::Task)
                .await
                .unwrap();
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(
            project.render_service_definition().await.unwrap(),
            json!({
                "desiredCount": 2,
                "launchType": "FARGATE",
                "networkConfiguration": {"awsvpcConfiguration": {
                    "subnets": ["subnet-aaa", "subnet-bbb"],
                    "securityGroups": ["sg-123"],
                    "assignPublicIp": "DISABLED"
                }},
                "loadBalancers": [{
                    "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/0123456789abcdef",
                    "containerName": "app",
                    "containerPort": 80
                }],
                "tags": [{"key": "db", "value": "db.internal"}]
            })
        );
        // Five renders, each calling ssm and most secretsmanager_arn: one call per name.
        assert_eq!(fakes.ssm.calls(), 1);
        assert_eq!(fakes.secrets.calls(), 1);
        assert_eq!(fakes.s3.calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn project_and_its_futures_are_send() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>(_: &T) {}
        send_sync::<Project>();
        let opts = ProjectOptions::default();
        send(&load_project(&opts));
        send(&load_project_with(&opts, Fakes::standard().clients()));
        let never = |p: &Project| {
            send(&p.render_task_definition());
            send(&p.render_service_definition());
        };
        let _ = never;
    }

    #[tokio::test]
    async fn region_sources() {
        let dir = fixtures_dir();
        // (env TEST_REGION, --region) → (config.region, effective region)
        let cases = [
            (None, None, "eu-west-1", "eu-west-1"),
            (
                Some("ap-southeast-2"),
                None,
                "ap-southeast-2",
                "ap-southeast-2",
            ),
            (
                Some("ap-southeast-2"),
                Some("us-east-1"),
                "ap-southeast-2",
                "us-east-1",
            ),
        ];
        for (env_region, flag, config_region, effective) in cases {
            let mut env = FIXTURE_ENV.to_vec();
            if let Some(r) = env_region {
                env.push(("TEST_REGION", r));
            }
            let fakes = Fakes::standard();
            let p = load_in(&dir, &opts(Some("ecspress.yml"), flag), &env, &fakes)
                .await
                .unwrap();
            assert_eq!(p.config().region.as_deref(), Some(config_region));
            assert_eq!(p.aws_options().region.as_deref(), Some(effective));
        }
    }

    #[tokio::test]
    async fn must_env_in_plugin_path_is_required() {
        let dir = fixtures_dir();
        let fakes = Fakes::standard();
        let err = load_in(&dir, &opts(Some("ecspress.yml"), None), &[], &fakes)
            .await
            .unwrap_err();
        let cfg = err.downcast_ref::<ConfigError>().expect("a ConfigError");
        let ConfigError::Template(t) = cfg else {
            panic!("{cfg:?}")
        };
        assert_eq!(t.file, "ecspress.yml");
        assert_eq!(t.line, Some(17));
        assert!(t.to_string().contains("NETWORK_STATE"), "{t}");
    }

    #[tokio::test]
    async fn config_functions_share_the_lookup_cache_with_definitions() {
        let dir = project_dir(
            &[
                (
                    "ecspress.yml",
                    "region: \"{{ ssm(name='/app/region') }}\"\n\
                     service: \"{{ ssm(name='/app/db/host') | replace(from='.', to='-') }}\"\n\
                     task_definition: td.json\n",
                ),
                (
                    "td.json",
                    r#"{"family": "{{ ssm(name='/app/db/host') }}", "r": "{{ ssm(name='/app/region') }}"}"#,
                ),
            ],
            &[],
        );
        let fakes = Fakes::standard();
        let p = load_in(dir.path(), &opts(None, None), &[], &fakes)
            .await
            .unwrap();
        assert_eq!(p.config().service.as_deref(), Some("db-internal"));
        // The region came from a plugin function: pass 1 could not use it, pass 2 does.
        assert_eq!(p.config().region.as_deref(), Some("ap-northeast-1"));
        assert_eq!(p.aws_options().region.as_deref(), Some("ap-northeast-1"));
        let td = p.render_task_definition().await.unwrap();
        assert_eq!(td, json!({"family": "db.internal", "r": "ap-northeast-1"}));
        assert_eq!(
            fakes.ssm.calls(),
            2,
            "pass 1 makes no calls; then one per name"
        );
    }

    #[tokio::test]
    async fn jsonnet_config_and_definitions() {
        let dir = project_dir(
            &[
                (
                    "ecspress.jsonnet",
                    r#"local env = std.native('env');
                    local ssm = std.native('ssm');
                    {
                      // A plugin native in `region`: left out of pass 1, used in pass 2.
                      region: ssm('/app/region'),
                      cluster: std.extVar('stage') + '-' + std.native('net_tfstate')('aws_subnet.private[0].id'),
                      service: 'app',
                      service_definition: 'ecs-service-def.json',
                      task_definition: 'defs/task.jsonnet',
                      plugins: [
                        { name: 'tfstate', func_prefix: 'net_', config: { path: env('NET', 'x') + '.tfstate' } },
                      ],
                    }"#,
                ),
                ("defs/lib/base.libsonnet", "{ cpu: '256', memory: '512' }"),
                (
                    "defs/task.jsonnet",
                    r#"local base = import 'lib/base.libsonnet';
                    local tfstate = std.native('net_tfstate');
                    base {
                      family: 'app-' + std.extVar('stage'),
                      subnets: [s.id for s in tfstate('aws_subnet.private')],
                      replicas: std.extVar('replicas'),
                      host: std.native('ssm')('/app/db/host'),
                      host_again: "{{ ssm(name='/app/db/host') }}",
                      second: std.native('ssm_list')('/app/hosts', 1),
                      secret: std.native('secretsmanager_arn')('app/db'),
                      tag: "{{ must_env(name='IMAGE_TAG') }}",
                    }"#,
                ),
            ],
            &["network.tfstate", "ecs-service-def.json"],
        );
        let fakes = Fakes::standard();
        let opts = ProjectOptions {
            jsonnet: ExtVars {
                strs: vec![("stage".into(), "prod".into())],
                codes: vec![("replicas".into(), "[1, 2][1]".into())],
            },
            ..opts(None, None)
        };
        let p = load_in(
            dir.path(),
            &opts,
            &[("NET", "network"), ("IMAGE_TAG", "v7")],
            &fakes,
        )
        .await
        .unwrap();
        assert_eq!(p.config().cluster, "prod-subnet-aaa");
        assert_eq!(p.config().region.as_deref(), Some("ap-northeast-1"));
        let td = p.render_task_definition().await.unwrap();
        assert_eq!(
            td,
            json!({
                "cpu": "256", "memory": "512", "family": "app-prod",
                "subnets": ["subnet-aaa", "subnet-bbb"], "replicas": 2,
                "host": "db.internal", "host_again": "db.internal", "second": "b.internal",
                "secret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf",
                "tag": "v7",
            })
        );
        // One call per name, shared by Jsonnet natives and tera functions, config and definitions.
        assert_eq!(fakes.ssm.calls(), 3);
        assert_eq!(fakes.secrets.calls(), 1);

        // A plugin native in `plugins` is an error in pass 1.
        std::fs::write(
            dir.path().join("ecspress.jsonnet"),
            "{ plugins: [{ name: 'tfstate', config: { path: std.native('ssm')('/x') } }] }",
        )
        .unwrap();
        let err = load_in(dir.path(), &opts, &[], &fakes).await.unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains(
                "ecspress.jsonnet:1:48: `plugins`: native is not defined: ssm; native functions \
                 here: env, must_env"
            ),
            "{msg}"
        );
        assert!(msg.contains("(in field config.path)"), "{msg}");
    }

    #[tokio::test]
    async fn optional_tfstate_that_cannot_be_read_is_empty() {
        let config = "plugins:\n  - name: tfstate\n    config:\n      path: missing.tfstate\n      optional: true\n\
                      task_definition: td.json\n";
        let dir = project_dir(
            &[
                ("ecspress.yml", config),
                (
                    "td.json",
                    "{\"a\": \"{{ tfstate(addr='aws_vpc.main.id') }}\"}",
                ),
            ],
            &[],
        );
        let fakes = Fakes::standard();
        let p = load_in(dir.path(), &opts(None, None), &[], &fakes)
            .await
            .unwrap();
        assert_eq!(p.warnings().len(), 1, "{:?}", p.warnings());
        assert!(
            p.warnings()[0].contains("missing.tfstate"),
            "{:?}",
            p.warnings()
        );
        let err = p.render_task_definition().await.unwrap_err();
        let t = err
            .downcast_ref::<TemplateError>()
            .expect("a TemplateError");
        assert_eq!((t.file.as_str(), t.line), ("td.json", Some(1)));
        assert!(t.message.contains("aws_vpc.main.id"), "{t}");

        // The same without `optional` is an error naming the config and the location.
        let dir = project_dir(
            &[(
                "ecspress.yml",
                &config.replace("optional: true", "optional: false"),
            )],
            &[],
        );
        let err = load_in(dir.path(), &opts(None, None), &[], &fakes)
            .await
            .unwrap_err();
        let shown = format!("{err:#}");
        assert!(
            shown.contains("ecspress.yml") && shown.contains("missing.tfstate"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn tfstate_from_s3_plugin() {
        let mut fakes = Fakes::standard();
        let bytes = std::fs::read(fixture("app.tfstate")).unwrap();
        Arc::get_mut(&mut fakes.s3)
            .unwrap()
            .objects
            .insert("bucket/app.tfstate".into(), bytes);
        let dir = project_dir(
            &[(
                "ecspress.yml",
                "plugins:\n  - {name: tfstate, func_prefix: s3_, config: {url: 's3://bucket/app.tfstate'}}\n\
                     cluster: \"{{ s3_tfstate(addr='output.image_tag') }}\"\n",
            )],
            &[],
        );
        let p = load_in(dir.path(), &opts(None, None), &[], &fakes)
            .await
            .unwrap();
        assert_eq!(p.config().cluster, "v1.2.3");
        assert_eq!(fakes.s3.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn config_errors_through_the_pipeline() {
        let cases: &[(&str, &[&str])] = &[
            (
                "cluster: a\nservce: b\n",
                &[
                    "ecspress.yml:2",
                    "unknown key `servce`",
                    "did you mean `service`",
                ],
            ),
            (
                "plugins:\n  - name: tfstate\n    config:\n      path: \"{{ ssm(name='/app/db/host') }}\"\n",
                &["ecspress.yml", "plugins", "not plugin functions"],
            ),
            (
                "plugins:\n  - {name: tfstate, config: {path: app.tfstate}}\n  - {name: tfstate, config: {path: app.tfstate}}\n",
                &["template function tfstate already exists; set func_prefix"],
            ),
            ("plugins:\n  - name: consul\n", &["unknown plugin `consul`"]),
            ("timeout: soon\n", &["ecspress.yml:1", "invalid `timeout`"]),
            (
                "required_version: '>= 99'\n",
                &["requires ecspress >= 99", env!("CARGO_PKG_VERSION")],
            ),
            ("cluster: [\n", &["ecspress.yml:2", "invalid YAML"]),
            (
                "cluster: \"{{ nope() }}\"\n",
                &["ecspress.yml:1", "Unknown function `nope`"],
            ),
            (
                "cluster: \"{{ tfstate(addr='aws_vpc.x') }}\"\n",
                &["ecspress.yml:1", "Unknown function `tfstate`"],
            ),
        ];
        for (config, needles) in cases {
            let dir = project_dir(&[("ecspress.yml", config)], &["app.tfstate"]);
            let fakes = Fakes::standard();
            let err = load_in(dir.path(), &opts(None, None), &[], &fakes)
                .await
                .expect_err(config);
            assert!(err.downcast_ref::<ConfigError>().is_some(), "{err:?}");
            let shown = format!("{err:#}");
            for n in *needles {
                assert!(shown.contains(n), "{config}: {n:?} not in {shown}");
            }
            assert_eq!(
                fakes.ssm.calls(),
                0,
                "{config}: no lookups before validation"
            );
        }
    }

    #[tokio::test]
    async fn config_file_discovery_and_env() {
        let dir = project_dir(
            &[
                ("ecspress.yml", "cluster: yml\n"),
                ("ecspress.json", "{\"cluster\": \"json\"}"),
                ("sub/app.yaml", "cluster: env\ntask_definition: td.json\n"),
            ],
            &[],
        );
        let cwd = dir.path();
        // (--config, env, expected cluster)
        type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (None, &[], "yml"),
            (None, &[("ECSPRESS_CONFIG", "sub/app.yaml")], "env"),
            (
                Some("ecspress.json"),
                &[("ECSPRESS_CONFIG", "sub/app.yaml")],
                "json",
            ),
        ];
        for (flag, env, cluster) in cases {
            let p = load_in(cwd, &opts(*flag, None), env, &Fakes::standard())
                .await
                .unwrap();
            assert_eq!(p.config().cluster, *cluster, "{flag:?} {env:?}");
        }
        let p = load_in(
            cwd,
            &opts(Some("sub/app.yaml"), None),
            &[],
            &Fakes::standard(),
        )
        .await
        .unwrap();
        assert_eq!(p.config().task_definition, Some(cwd.join("sub/td.json")));

        let empty = tempfile::tempdir().unwrap();
        let err = load_in(empty.path(), &opts(None, None), &[], &Fakes::standard())
            .await
            .unwrap_err();
        assert!(matches!(
            err.downcast_ref::<ConfigError>(),
            Some(ConfigError::NotFound { .. })
        ));
        let err = load_in(cwd, &opts(Some("nope.yml"), None), &[], &Fakes::standard())
            .await
            .unwrap_err();
        assert!(matches!(
            err.downcast_ref::<ConfigError>(),
            Some(ConfigError::Read { .. })
        ));
    }

    #[tokio::test]
    async fn definition_errors() {
        let dir = project_dir(
            &[
                (
                    "ecspress.yml",
                    "task_definition: td.json\nservice_definition: missing.json\n",
                ),
                (
                    "td.json",
                    "{\n  \"family\": \"app\",\n  \"image\": \"{{ must_env(name='IMAGE') }}\"\n}",
                ),
                (
                    "bad.json",
                    "{\n  \"family\": \"{{ env(name='X', default='a\\\"b') }}\"\n}",
                ),
                ("list.yaml", "- a\n- b\n"),
            ],
            &[],
        );
        let fakes = Fakes::standard();
        let p = load_in(dir.path(), &opts(None, None), &[], &fakes)
            .await
            .unwrap();
        let err = p.render_task_definition().await.unwrap_err();
        let t = err
            .downcast_ref::<TemplateError>()
            .expect("a TemplateError");
        assert_eq!(
            (t.file.as_str(), t.line, t.kind),
            ("td.json", Some(3), TemplateErrorKind::Render)
        );
        assert!(t.to_string().contains("IMAGE"), "{t}");

        let err = p.render_service_definition().await.unwrap_err();
        assert!(format!("{err:#}").contains("missing.json"), "{err:#}");

        let err = p
            .render_definition(&dir.path().join("bad.json"), DefinitionKind::Task)
            .await
            .unwrap_err();
        let t = err
            .downcast_ref::<TemplateError>()
            .expect("a TemplateError");
        assert_eq!(
            (t.line, t.kind),
            (Some(2), TemplateErrorKind::Format),
            "{t}"
        );

        let err = p
            .render_definition(&dir.path().join("list.yaml"), DefinitionKind::Service)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("must be a JSON object"), "{err}");

        let dir = project_dir(&[("ecspress.yml", "cluster: a\n")], &[]);
        let p = load_in(dir.path(), &opts(None, None), &[], &fakes)
            .await
            .unwrap();
        let err = p.render_task_definition().await.unwrap_err();
        assert!(err.to_string().contains("no task_definition"), "{err}");
        let err = p.render_service_definition().await.unwrap_err();
        assert!(err.to_string().contains("no service_definition"), "{err}");
    }
}
