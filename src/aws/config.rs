//! Loading the shared AWS configuration: aws-config's default chain plus our overrides.
//!
//! Why explicit timeouts: the SDK ships with no read/operation timeout
//! (`TimeoutConfig { read_timeout: Unset, operation_timeout: Unset }`, measured in
//! ../shared/reference/rust-deps.md §3), so a stalled endpoint would hang a deploy for ever.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::SdkConfig;
use aws_types::region::Region;

/// Per-run AWS settings that come from flags or the config file.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--profile` (otherwise `AWS_PROFILE`/default chain).
    pub profile: Option<String>,
    /// `--region` or the config's `region` (otherwise `AWS_REGION`/profile).
    pub region: Option<String>,
    /// `--assume-role-arn`: credentials from the chain are used to assume this role.
    pub assume_role_arn: Option<String>,
}

/// One attempt may take this long before it is retried.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// One operation, all retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);

/// Load the SDK config: env vars, profiles, SSO, container/instance credentials,
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`; then `--profile`, `--region`,
/// `--assume-role-arn`, timeouts and retries.
pub async fn load_sdk_config(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        // Standard mode with a few more attempts than the default 3: a throttling burst should
        // slow a run down, not fail it.
        .retry_config(RetryConfig::standard().with_max_attempts(5));
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let base = loader.load().await;
    let Some(role) = &opts.assume_role_arn else {
        return base;
    };
    let provider = aws_config::sts::AssumeRoleProvider::builder(role.clone())
        .session_name("ecspress")
        .configure(&base)
        .build()
        .await;
    base.into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// Whether an endpoint override applies to `service_env` (e.g. `S3`): the global
/// `AWS_ENDPOINT_URL`, the service-specific `AWS_ENDPOINT_URL_<SERVICE>`, or one set in code.
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns the environment variables off, as in the SDK.
pub(crate) fn endpoint_overridden(cfg: &SdkConfig, service_env: &str) -> bool {
    if cfg.endpoint_url().is_some() {
        return true;
    }
    let ignore = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .map(|v| v.eq_ignore_ascii_case("true"))
        .unwrap_or(false);
    if ignore {
        return false;
    }
    let set = |k: &str| std::env::var(k).map(|v| !v.is_empty()).unwrap_or(false);
    set("AWS_ENDPOINT_URL") || set(&format!("AWS_ENDPOINT_URL_{service_env}"))
}
