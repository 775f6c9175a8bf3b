//! Loading the shared AWS configuration: aws-config's default chain plus our overrides.
//!
//! Why explicit timeouts: the SDK ships with no read/operation timeout
//! (`TimeoutConfig { read_timeout: Unset, operation_timeout: Unset }`, measured in
//! ../shared/reference/rust-deps.md §3), so a stalled endpoint would hang a deploy for ever.
//! The defaults (20 s per attempt, 60 s per operation) can be changed with
//! `ECSPRESS_AWS_ATTEMPT_TIMEOUT` / `ECSPRESS_AWS_OPERATION_TIMEOUT` (durations such as `5s`,
//! `500ms`): a slow network may need longer, and the fault tests need seconds, not a minute.

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

/// Environment variable: the per-attempt timeout (default [`ATTEMPT_TIMEOUT`]).
pub const ATTEMPT_TIMEOUT_ENV: &str = "ECSPRESS_AWS_ATTEMPT_TIMEOUT";
/// Environment variable: the per-operation timeout (default [`OPERATION_TIMEOUT`]).
pub const OPERATION_TIMEOUT_ENV: &str = "ECSPRESS_AWS_OPERATION_TIMEOUT";

/// The SDK timeouts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// One attempt (then the SDK retries).
    pub attempt: Duration,
    /// One operation, all attempts included.
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            attempt: ATTEMPT_TIMEOUT,
            operation: OPERATION_TIMEOUT,
        }
    }
}

impl Timeouts {
    /// From the two environment variables (`lookup` reads one); unset or empty = default.
    /// Errors name the variable: a duration humantime parses, at least 100ms, and the attempt
    /// no longer than the operation (the SDK would cut it short anyway).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let read = |name: &str, default: Duration| -> Result<Duration, String> {
            let Some(text) = lookup(name).filter(|v| !v.trim().is_empty()) else {
                return Ok(default);
            };
            let d = humantime::parse_duration(text.trim())
                .map_err(|_| format!("{name}={text}: expected a duration such as 5s or 500ms"))?;
            if d < Duration::from_millis(100) {
                return Err(format!("{name}={text} is below the 100ms minimum"));
            }
            Ok(d)
        };
        let t = Timeouts {
            attempt: read(ATTEMPT_TIMEOUT_ENV, ATTEMPT_TIMEOUT)?,
            operation: read(OPERATION_TIMEOUT_ENV, OPERATION_TIMEOUT)?,
        };
        if t.attempt > t.operation {
            return Err(format!(
                "{ATTEMPT_TIMEOUT_ENV} ({}) is longer than {OPERATION_TIMEOUT_ENV} ({}); one attempt cannot outlast the whole operation",
                humantime::format_duration(t.attempt),
                humantime::format_duration(t.operation)
            ));
        }
        Ok(t)
    }

    /// From the process environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

/// Check the timeout environment variables (commands call this first, so a bad value is an
/// error before any work rather than a silent default in [`load_sdk_config`]).
pub fn check_timeout_env() -> anyhow::Result<()> {
    Timeouts::from_env().map_err(anyhow::Error::msg)?;
    Ok(())
}

/// Load the SDK config: env vars, profiles, SSO, container/instance credentials,
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`; then `--profile`, `--region`,
/// `--assume-role-arn`, timeouts and retries.
pub async fn load_sdk_config(opts: &AwsOptions) -> SdkConfig {
    // Validated by `check_timeout_env` at the start of every command.
    let timeouts = Timeouts::from_env().unwrap_or_default();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(attempt: Option<&str>, operation: Option<&str>) -> Result<Timeouts, String> {
        Timeouts::from_lookup(|k| match k {
            ATTEMPT_TIMEOUT_ENV => attempt.map(str::to_owned),
            OPERATION_TIMEOUT_ENV => operation.map(str::to_owned),
            _ => None,
        })
    }

    #[test]
    fn timeouts_from_the_environment() {
        let s = Duration::from_secs;
        let ok: &[(Option<&str>, Option<&str>, Duration, Duration)] = &[
            (None, None, s(20), s(60)),
            (Some(""), Some(" "), s(20), s(60)),
            (Some("1s"), Some("3s"), s(1), s(3)),
            (Some("500ms"), None, Duration::from_millis(500), s(60)),
            (None, Some("2m"), s(20), s(120)),
        ];
        for (a, o, attempt, operation) in ok {
            assert_eq!(
                parse(*a, *o),
                Ok(Timeouts {
                    attempt: *attempt,
                    operation: *operation
                }),
                "{a:?} {o:?}"
            );
        }
        let bad: &[(Option<&str>, Option<&str>, &str)] = &[
            (
                Some("soon"),
                None,
                "ECSPRESS_AWS_ATTEMPT_TIMEOUT=soon: expected a duration",
            ),
            (
                None,
                Some("10"),
                "ECSPRESS_AWS_OPERATION_TIMEOUT=10: expected a duration",
            ),
            (Some("50ms"), None, "below the 100ms minimum"),
            (
                Some("90s"),
                None,
                "is longer than ECSPRESS_AWS_OPERATION_TIMEOUT (1m)",
            ),
            (Some("5s"), Some("2s"), "one attempt cannot outlast"),
        ];
        for (a, o, want) in bad {
            let e = parse(*a, *o).unwrap_err();
            assert!(e.contains(want), "{a:?} {o:?}: {e}");
        }
    }
}
