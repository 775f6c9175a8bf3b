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
    /// `--meta-*`.
    pub metadata: crate::model::metadata::MetadataOverrides,
    /// Every `--config` as given (globs unexpanded); `project.config_path` is the first.
    pub configs: Vec<std::path::PathBuf>,
}

impl GlobalSettings {
    /// From the parsed global flags.
    pub fn from_args(args: &GlobalArgs) -> Self {
        let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        GlobalSettings {
            project: ProjectOptions {
                config_path: args.config.first().cloned(),
                aws: AwsOptions {
                    profile: non_empty(&args.profile),
                    region: non_empty(&args.region),
                    assume_role_arn: non_empty(&args.assume_role_arn),
                },
                jsonnet: crate::template::ExtVars {
                    strs: args.ext_str.clone(),
                    codes: args.ext_code.clone(),
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
            metadata: crate::model::metadata::MetadataOverrides {
                commit: non_empty(&args.meta_commit),
                git_ref: non_empty(&args.meta_ref),
                by: non_empty(&args.meta_by),
                build_url: non_empty(&args.meta_url),
                note: non_empty(&args.meta_note),
            },
            configs: args.config.clone(),
        }
    }

    /// The configs of this run: globs expanded (sorted matches; quoted globs reach us
    /// unexpanded), each file once in the order given. Empty: the default config.
    pub fn config_list(&self) -> anyhow::Result<Vec<std::path::PathBuf>> {
        use crate::model::fleet::{dedup_configs, is_glob};
        let mut out = Vec::new();
        for given in &self.configs {
            let text = given.to_string_lossy();
            if !is_glob(&text) {
                out.push(given.clone());
                continue;
            }
            let matches = glob::glob(&text)
                .map_err(|e| anyhow::anyhow!("--config {text}: invalid glob: {e}"))?;
            let mut found = Vec::new();
            for m in matches {
                let path = m.map_err(|e| anyhow::anyhow!("--config {text}: {e}"))?;
                if path.is_file() {
                    found.push(path);
                }
            }
            if found.is_empty() {
                anyhow::bail!("--config {text}: no file matches");
            }
            found.sort();
            out.extend(found);
        }
        Ok(dedup_configs(out))
    }

    /// For commands that take one config: the settings with globs resolved, or a clear error
    /// when the run names several (exit 2).
    pub fn single_config(&self, command: &str) -> anyhow::Result<GlobalSettings> {
        let list = self.config_list()?;
        if list.len() > 1 {
            anyhow::bail!(
                "`{command}` takes one --config, got {}: {} (several configs: `deploy`, `diff`, `wait`, `status`)",
                list.len(),
                list.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let mut one = self.clone();
        one.project.config_path = list.into_iter().next();
        Ok(one)
    }

    /// These settings for one config of a multi-config run.
    pub fn for_config(&self, path: &std::path::Path) -> GlobalSettings {
        let mut one = self.clone();
        one.project.config_path = Some(path.to_path_buf());
        one.configs = vec![path.to_path_buf()];
        one
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
    /// `stage:<STAGE>`: an ECS-native (BLUE_GREEN/LINEAR/CANARY) deployment reached or passed
    /// this lifecycle stage (a name from [`crate::model::stages::ECS_STAGES`]).
    Stage(&'static str),
    /// `paused`: a PAUSE lifecycle hook of the deployment is AWAITING_ACTION.
    Paused,
    /// `codedeploy:<Event>`: the CodeDeploy lifecycle event ended (a name from
    /// [`crate::model::stages::CODEDEPLOY_EVENTS`]).
    CodeDeployEvent(&'static str),
}

impl WaitUntil {
    /// Parse a `--wait-until` value.
    pub fn parse(value: &str) -> anyhow::Result<Self> {
        use crate::model::stages;
        let lower = value.to_ascii_lowercase();
        if let Some(stage) = lower.strip_prefix("stage:") {
            return stages::ecs_stage(stage)
                .map(WaitUntil::Stage)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--wait-until {value}: unknown ECS lifecycle stage; expected one of {}",
                        stages::ECS_STAGES.join(", ")
                    )
                });
        }
        if let Some(event) = lower.strip_prefix("codedeploy:") {
            return stages::codedeploy_event(event)
                .map(WaitUntil::CodeDeployEvent)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--wait-until {value}: unknown CodeDeploy lifecycle event; expected one of {}",
                        stages::CODEDEPLOY_EVENTS.join(", ")
                    )
                });
        }
        match lower.as_str() {
            "deployed" => Ok(WaitUntil::Deployed),
            "stable" => Ok(WaitUntil::Stable),
            "paused" => Ok(WaitUntil::Paused),
            _ => anyhow::bail!(
                "--wait-until {value}: expected `deployed`, `stable`, `paused`, `stage:<STAGE>` or `codedeploy:<Event>`"
            ),
        }
    }
}

/// How to watch a deployment (resolved `WatchArgs`).
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// `--timeout`; `None` = use the config's `timeout`.
    pub timeout: Option<std::time::Duration>,
    /// `--poll-interval`.
    pub poll_interval: std::time::Duration,
    /// `--max-poll-interval` (default [`crate::model::cadence::DEFAULT_SLOWEST`], never below
    /// `--poll-interval`).
    pub max_poll_interval: Option<std::time::Duration>,
    /// `--wait-until`.
    pub wait_until: WaitUntil,
}

/// `--timeout` (a duration, or a number of seconds; absent: the config's) and
/// `--poll-interval` (≥ 50 ms), as every watching command takes them.
pub fn parse_timing(
    timeout: Option<&str>,
    poll_interval: &str,
) -> anyhow::Result<(Option<std::time::Duration>, std::time::Duration)> {
    use anyhow::Context;
    let timeout = timeout
        .map(|t| {
            crate::config::parse_timeout(&serde_json::Value::String(t.to_owned()))
                .map_err(|e| anyhow::anyhow!("--timeout {t}: {e}"))
        })
        .transpose()?;
    let poll = humantime::parse_duration(poll_interval).with_context(|| {
        format!("--poll-interval {poll_interval}: expected a duration such as 1s or 500ms")
    })?;
    if poll < std::time::Duration::from_millis(50) {
        anyhow::bail!("--poll-interval {poll_interval} is below the 50ms minimum");
    }
    Ok((timeout, poll))
}

impl WatchSettings {
    /// Validate the flags.
    pub fn from_args(args: &crate::cli::WatchArgs) -> anyhow::Result<Self> {
        let (timeout, poll_interval) = parse_timing(args.timeout.as_deref(), &args.poll_interval)?;
        let wait_until = WaitUntil::parse(&args.wait_until)?;
        let max_poll_interval = match args.max_poll_interval.as_deref() {
            None => crate::model::cadence::DEFAULT_SLOWEST.max(poll_interval),
            Some(m) => {
                let max = humantime::parse_duration(m).map_err(|_| {
                    anyhow::anyhow!(
                        "--max-poll-interval {m}: expected a duration such as 10s or 1m"
                    )
                })?;
                if max < poll_interval {
                    anyhow::bail!(
                        "--max-poll-interval {m} is below --poll-interval {} (use the same \
                         value for a fixed cadence)",
                        args.poll_interval
                    );
                }
                max
            }
        };
        Ok(WatchSettings {
            timeout,
            poll_interval,
            max_poll_interval: Some(max_poll_interval),
            wait_until,
        })
    }
}

/// `--concurrency` / `--max-api-rps`, validated.
#[derive(Debug, Clone, Copy)]
pub struct FleetSettings {
    /// Services processed at once (≥ 1).
    pub concurrency: usize,
    /// Shared ECS/CodeDeploy calls per second (> 0).
    pub max_api_rps: f64,
}

impl FleetSettings {
    /// Validate the flags.
    pub fn from_args(args: &crate::cli::FleetArgs) -> anyhow::Result<Self> {
        if args.concurrency == 0 {
            anyhow::bail!("--concurrency 0: expected at least 1");
        }
        if !(args.max_api_rps.is_finite() && args.max_api_rps > 0.0) {
            anyhow::bail!("--max-api-rps {}: expected a rate > 0", args.max_api_rps);
        }
        Ok(FleetSettings {
            concurrency: args.concurrency,
            max_api_rps: args.max_api_rps,
        })
    }

    /// The run's one limiter: `max_api_rps` per second, bursts of one second's worth.
    pub fn limiter(&self) -> std::sync::Arc<crate::aws::ratelimit::RateLimiter> {
        let burst = self.max_api_rps.ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
        std::sync::Arc::new(crate::aws::ratelimit::RateLimiter::new(
            self.max_api_rps,
            burst,
        ))
    }
}

/// The auto scaling flags, validated (`--auto-scaling-min/max` ≥ 0, min ≤ max).
pub fn auto_scaling_change(
    args: &crate::cli::AutoScalingArgs,
) -> anyhow::Result<crate::aws::autoscaling::ScalableTargetChange> {
    for (flag, v) in [
        ("--auto-scaling-min", args.auto_scaling_min),
        ("--auto-scaling-max", args.auto_scaling_max),
    ] {
        if let Some(n) = v.filter(|n| *n < 0) {
            anyhow::bail!("{flag} {n}: expected a capacity ≥ 0");
        }
    }
    if let (Some(min), Some(max)) = (args.auto_scaling_min, args.auto_scaling_max)
        && min > max
    {
        anyhow::bail!("--auto-scaling-min {min} is above --auto-scaling-max {max}");
    }
    let suspend = match (args.suspend_auto_scaling, args.resume_auto_scaling) {
        (true, _) => Some(true),
        (false, true) => Some(false),
        (false, false) => None,
    };
    Ok(crate::aws::autoscaling::ScalableTargetChange {
        suspend,
        min: args.auto_scaling_min,
        max: args.auto_scaling_max,
    })
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
            max_poll_interval: None,
            wait_until: w.into(),
        };
        let secs = std::time::Duration::from_secs;
        let s = WatchSettings::from_args(&args(Some("90s"), "500ms", "stable")).unwrap();
        assert_eq!(s.timeout, Some(secs(90)));
        assert_eq!(s.poll_interval, std::time::Duration::from_millis(500));
        assert_eq!(s.max_poll_interval, Some(secs(15)));
        assert_eq!(s.wait_until, WaitUntil::Stable);
        // --max-poll-interval: default 15s, never below --poll-interval; explicit values
        // below it are refused.
        let with_max = |p: &str, m: Option<&str>| {
            let mut a = args(None, p, "deployed");
            a.max_poll_interval = m.map(str::to_owned);
            WatchSettings::from_args(&a)
        };
        assert_eq!(
            with_max("30s", None).unwrap().max_poll_interval,
            Some(secs(30))
        );
        assert_eq!(
            with_max("1s", Some("1m")).unwrap().max_poll_interval,
            Some(secs(60))
        );
        assert_eq!(
            with_max("2s", Some("2s")).unwrap().max_poll_interval,
            Some(secs(2))
        );
        let err = with_max("5s", Some("2s")).unwrap_err().to_string();
        assert!(
            err.contains("--max-poll-interval 2s is below --poll-interval 5s"),
            "{err}"
        );
        assert!(with_max("1s", Some("often")).is_err());
        for bad in [
            args(None, "soon", "deployed"),
            args(None, "1s", "done"),
            args(Some("x"), "1s", "deployed"),
            args(None, "1ms", "deployed"),
            args(None, "1s", "stage:BAKE"),
            args(None, "1s", "codedeploy:Ready"),
        ] {
            assert!(WatchSettings::from_args(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wait_until_values() {
        for (text, want) in [
            ("deployed", WaitUntil::Deployed),
            ("Stable", WaitUntil::Stable),
            ("paused", WaitUntil::Paused),
            ("stage:BAKE_TIME", WaitUntil::Stage("BAKE_TIME")),
            (
                "stage:post_test_traffic_shift",
                WaitUntil::Stage("POST_TEST_TRAFFIC_SHIFT"),
            ),
            (
                "codedeploy:AllowTraffic",
                WaitUntil::CodeDeployEvent("AllowTraffic"),
            ),
            (
                "CodeDeploy:afterallowtesttraffic",
                WaitUntil::CodeDeployEvent("AfterAllowTestTraffic"),
            ),
        ] {
            assert_eq!(WaitUntil::parse(text).unwrap(), want, "{text}");
        }
        let e = WaitUntil::parse("stage:BAKE").unwrap_err().to_string();
        assert!(e.contains("BAKE_TIME"), "{e}");
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
