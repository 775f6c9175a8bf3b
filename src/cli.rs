//! Command-line definition (clap derive only; no logic).
//!
//! Values are resolved and validated in [`crate::settings`]; clap types never go further.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// ecspress: render, diff, deploy and watch Amazon ECS services from definitions kept in git.
#[derive(Debug, Parser)]
#[command(name = "ecspress", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file (default: ecspress.yml, ecspress.yaml or ecspress.json in the current directory)
    #[arg(long, global = true, env = "ECSPRESS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// AWS region (overrides the config file's `region` and AWS_REGION)
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS shared-config profile
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Assume this IAM role with the credentials from the default chain
    #[arg(long, global = true, value_name = "ARN")]
    pub assume_role_arn: Option<String>,
    /// Output format: human-readable text, or JSON Lines on stdout
    #[arg(long, global = true, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,
    /// When to use colors (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

/// `--output`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// Human-readable text
    Text,
    /// JSON Lines: one {"type", "time", "data"} record per line
    Json,
}

/// `--color`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colors when writing to a terminal and NO_COLOR is unset
    Auto,
    /// Always
    Always,
    /// Never
    Never,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print rendered config, task definition and/or service definition as JSON
    Render(RenderArgs),
    /// Inspect Terraform state the way templates see it
    #[command(subcommand)]
    Tfstate(TfstateCommand),
    /// Run the local ECS + CodeDeploy simulator (rehearse deploys; the test bed)
    Sim(SimArgs),
    /// Print the version
    Version,
    /// Print a shell completion script
    Completion(CompletionArgs),
}

/// What `render` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderTarget {
    /// The config file, with templates rendered and defaults filled in
    Config,
    /// The task definition
    #[value(alias = "task-definition", alias = "taskdefinition")]
    Taskdef,
    /// The service definition
    #[value(alias = "service-definition", alias = "servicedefinition")]
    Servicedef,
}

/// `ecspress render`
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// What to render, in order (default: every file the config names)
    #[arg(value_enum)]
    pub targets: Vec<RenderTarget>,
}

/// `ecspress tfstate ...`
#[derive(Debug, Subcommand)]
pub enum TfstateCommand {
    /// Print every address in the state, one per line
    List(TfstateArgs),
    /// Print the value at ADDRESS (strings raw, everything else compact JSON)
    Lookup(TfstateLookupArgs),
}

/// Where the state comes from.
#[derive(Debug, Args)]
pub struct TfstateArgs {
    /// State location: path, file://, s3://bucket/key, http(s):// URL, or a
    /// .terraform/terraform.tfstate backend pointer (default: the config's only tfstate plugin)
    #[arg(long, value_name = "PATH|URL")]
    pub state: Option<String>,
}

/// `ecspress tfstate lookup`
#[derive(Debug, Args)]
pub struct TfstateLookupArgs {
    /// State location.
    #[command(flatten)]
    pub state: TfstateArgs,
    /// Address such as `module.app.aws_lb_target_group.web["blue"].arn` or `output.vpc_id`
    pub address: String,
}

/// `ecspress sim`
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:4599", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Real seconds per simulated second: 0.02 makes one simulated second last 20 ms
    #[arg(long, default_value_t = 1.0, value_name = "F")]
    pub time_scale: f64,
    /// Seed for ids and every random choice (reproducible runs)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,
}

/// Shells for `completion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    /// bash
    Bash,
    /// zsh
    Zsh,
    /// fish
    Fish,
}

/// `ecspress completion`
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// Target shell
    #[arg(value_enum)]
    pub shell: ShellArg,
}
