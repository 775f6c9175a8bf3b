//! Resolve CLI arguments (and environment) into plain, validated settings.
//!
//! clap types stop here: commands and ops receive these structs only. Config-file values are
//! merged in `ops::render::load_project`, where the file is read (a CLI flag beats the file,
//! the file beats the environment).

use crate::aws::AwsOptions;
use crate::cli::{ColorArg, GlobalArgs, OutputArg};
use crate::ops::render::ProjectOptions;
use crate::output::{ColorChoice, OutputFormat, Printer};

/// Settings every command shares.
#[derive(Debug, Clone)]
pub struct GlobalSettings {
    /// Where the config is and how to reach AWS.
    pub project: ProjectOptions,
    /// `--output`.
    pub format: OutputFormat,
    /// `--color`.
    pub color: ColorChoice,
}

impl GlobalSettings {
    /// From the parsed global flags.
    pub fn from_args(args: &GlobalArgs) -> Self {
        let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        GlobalSettings {
            project: ProjectOptions {
                config_path: args.config.clone(),
                aws: AwsOptions {
                    profile: non_empty(&args.profile),
                    region: non_empty(&args.region),
                    assume_role_arn: non_empty(&args.assume_role_arn),
                },
            },
            format: match args.output {
                OutputArg::Text => OutputFormat::Text,
                OutputArg::Json => OutputFormat::Json,
            },
            color: match args.color {
                ColorArg::Auto => ColorChoice::Auto,
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
            },
        }
    }

    /// The printer these settings ask for.
    pub fn printer(&self) -> Printer {
        Printer::new(self.format, self.color)
    }
}

/// `--wait-until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitUntil {
    /// Our deployment reached a terminal state.
    Deployed,
    /// Additionally: no other deployment left and running == desired.
    Stable,
}

/// How to watch a deployment (resolved `WatchArgs`).
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// `--timeout`; `None` = use the config's `timeout`.
    pub timeout: Option<std::time::Duration>,
    /// `--poll-interval`.
    pub poll_interval: std::time::Duration,
    /// `--wait-until`.
    pub wait_until: WaitUntil,
}

impl WatchSettings {
    /// Validate the flags.
    pub fn from_args(args: &crate::cli::WatchArgs) -> anyhow::Result<Self> {
        use anyhow::Context;
        let timeout = args
            .timeout
            .as_deref()
            .map(|t| {
                crate::config::parse_timeout(&serde_json::Value::String(t.to_owned()))
                    .map_err(|e| anyhow::anyhow!("--timeout {t}: {e}"))
            })
            .transpose()?;
        let poll_interval = humantime::parse_duration(&args.poll_interval).with_context(|| {
            format!(
                "--poll-interval {}: expected a duration such as 1s or 500ms",
                args.poll_interval
            )
        })?;
        if poll_interval < std::time::Duration::from_millis(50) {
            anyhow::bail!(
                "--poll-interval {} is below the 50ms minimum",
                args.poll_interval
            );
        }
        let wait_until = match args.wait_until.as_str() {
            "deployed" => WaitUntil::Deployed,
            "stable" => WaitUntil::Stable,
            other => anyhow::bail!("--wait-until {other}: expected `deployed` or `stable`"),
        };
        Ok(WatchSettings {
            timeout,
            poll_interval,
            wait_until,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    #[test]
    fn watch_flags() {
        let args = |t: Option<&str>, p: &str, w: &str| crate::cli::WatchArgs {
            timeout: t.map(str::to_owned),
            poll_interval: p.into(),
            wait_until: w.into(),
        };
        let s = WatchSettings::from_args(&args(Some("90s"), "500ms", "stable")).unwrap();
        assert_eq!(s.timeout, Some(std::time::Duration::from_secs(90)));
        assert_eq!(s.poll_interval, std::time::Duration::from_millis(500));
        assert_eq!(s.wait_until, WaitUntil::Stable);
        for bad in [
            args(None, "soon", "deployed"),
            args(None, "1s", "done"),
            args(Some("x"), "1s", "deployed"),
            args(None, "1ms", "deployed"),
        ] {
            assert!(WatchSettings::from_args(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flags_resolve() {
        let cli = Cli::try_parse_from([
            "ecspress",
            "--region",
            "eu-west-1",
            "--profile",
            "",
            "--output",
            "json",
            "--config",
            "x/ecspress.yml",
            "version",
        ])
        .unwrap();
        let s = GlobalSettings::from_args(&cli.global);
        assert_eq!(s.project.aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.project.aws.profile, None, "empty profile means unset");
        assert_eq!(s.format, OutputFormat::Json);
        assert_eq!(
            s.project.config_path.as_deref(),
            Some(std::path::Path::new("x/ecspress.yml"))
        );
    }
}
