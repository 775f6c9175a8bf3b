//! `ecspress chatops serve`: Slack slash commands (`/deploy`, `/diff`, `/rollback`, `/status`)
//! and Approve / Roll back buttons, run by the same operations as the CLI.
//!
//! Security model, in request order (each refusal is audited, and nothing runs before all pass):
//!
//! 1. [`signing`]: the request is Slack's (HMAC over the raw body, ±5 min), else HTTP 401.
//! 2. [`command`]: the text matches a tiny grammar of validated tokens (no shell, no templating of
//!    user text).
//! 3. [`config`]: the `<env>/<service>` pair is a configured target (a known ecspress config).
//! 4. [`authz`]: the user and channel are on that environment's allowlists for that command.
//! 5. [`audit`]: one JSON line per decision, one more with the verdict.
//!
//! Mutating runs take the DynamoDB deploy lock ([`crate::ops::lock`]) when `lock:` is set, the
//! same lock `ecspress deploy --lock` takes in CI.
//!
//! The Slack HTTP client ([`reply`]) is local to this module (retries only on 429/5xx).

pub mod audit;
pub mod authz;
pub mod command;
pub mod config;
pub mod reply;
pub mod runner;
pub mod server;
pub mod signing;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::{Context, bail};

use crate::aws::{AwsOptions, ParameterStore, SdkParameterStore, SdkSecretStore, SecretStore};
use audit::Audit;
use config::{ChatopsConfig, SecretRef, SecretSource};
use reply::SlackHttp;

/// The server's shared state.
pub struct Server {
    /// chatops.yml.
    pub config: ChatopsConfig,
    /// The Slack signing secret.
    pub secret: Vec<u8>,
    /// The audit trail.
    pub audit: Audit,
    /// Slack posting.
    pub slack: SlackHttp,
    /// AWS settings for the projects (CLI flags).
    pub aws: AwsOptions,
    /// Request id counter.
    pub seq: AtomicU64,
}

/// Read a secret from where chatops.yml says.
async fn resolve_secret(r: &SecretRef, aws: &AwsOptions) -> anyhow::Result<String> {
    let source = r
        .source()
        .context("set exactly one of env, ssm, secretsmanager")?;
    let value = match source {
        SecretSource::Env(name) => std::env::var(name)
            .with_context(|| format!("environment variable {name} is not set"))?,
        SecretSource::Ssm(name) => {
            let cfg = crate::aws::load_sdk_config(aws).await;
            SdkParameterStore::new(&cfg)
                .get_parameter(name)
                .await
                .with_context(|| format!("cannot read SSM parameter {name}"))?
                .value
        }
        SecretSource::SecretsManager(id) => {
            let cfg = crate::aws::load_sdk_config(aws).await;
            SdkSecretStore::new(&cfg)
                .secret_string(id)
                .await
                .with_context(|| format!("cannot read secret {id}"))?
        }
    };
    // Signing secrets and bot tokens are credentials: never printed.
    crate::output::secrets::register_credential(&value);
    Ok(value)
}

impl Server {
    /// Build the state: secrets (`SLACK_SIGNING_SECRET` first), audit log, Slack client.
    pub async fn new(config: ChatopsConfig, aws: AwsOptions) -> anyhow::Result<Arc<Self>> {
        let secret = match std::env::var("SLACK_SIGNING_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
        {
            Some(s) => s,
            None => match &config.signing_secret {
                Some(r) => resolve_secret(r, &aws).await?,
                None => bail!(
                    "no Slack signing secret: set SLACK_SIGNING_SECRET or signing_secret in chatops.yml"
                ),
            },
        };
        if secret.trim().is_empty() {
            bail!("the Slack signing secret is empty");
        }
        let bot_token = match &config.bot_token {
            Some(r) => Some(resolve_secret(r, &aws).await?),
            None => None,
        };
        let audit = Audit::open(config.audit_log.as_deref())?;
        let slack = SlackHttp::new(
            config
                .slack_api_url
                .clone()
                .unwrap_or_else(|| "https://slack.com/api".into()),
            bot_token,
        )?;
        Ok(Arc::new(Server {
            config,
            secret: secret.trim().as_bytes().to_vec(),
            audit,
            slack,
            aws,
            seq: AtomicU64::new(0),
        }))
    }
}
