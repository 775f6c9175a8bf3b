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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

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
