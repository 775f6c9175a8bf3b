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
    /// Config file (default: ecspress.yml, .yaml, .json or .jsonnet in the current directory).
    /// `deploy`, `diff`, `wait` and `status` take it several times and/or as a quoted glob
    /// (`'services/*/ecspress.yml'`): one run for many services
    #[arg(long, global = true, env = "ECSPRESS_CONFIG", value_name = "PATH")]
    pub config: Vec<PathBuf>,
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
    /// Show secret values (SecureString parameters, environment values named like
    /// *PASSWORD*, *TOKEN*, *SECRET*, *KEY* or `mask.env_names`) instead of `***`; Slack
    /// webhook URLs and tokens stay masked
    #[arg(long, global = true)]
    pub show_secrets: bool,
    /// The source commit (default: CODEBUILD_RESOLVED_SOURCE_VERSION, else
    /// `git rev-parse HEAD` in the config's directory)
    #[arg(
        long,
        global = true,
        value_name = "SHA",
        help_heading = "Deployment metadata"
    )]
    pub meta_commit: Option<String>,
    /// The branch/tag/ref (default: CodeBuild webhook ref or source
    /// version, else the git branch)
    #[arg(
        long,
        global = true,
        value_name = "REF",
        help_heading = "Deployment metadata"
    )]
    pub meta_ref: Option<String>,
    /// Who deploys (default: CODEBUILD_INITIATOR, else $USER@hostname)
    #[arg(
        long,
        global = true,
        value_name = "WHO",
        help_heading = "Deployment metadata"
    )]
    pub meta_by: Option<String>,
    /// The build's URL (default: CODEBUILD_BUILD_URL)
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = "Deployment metadata"
    )]
    pub meta_url: Option<String>,
    /// A free note shown in notifications
    #[arg(
        long,
        global = true,
        value_name = "TEXT",
        help_heading = "Deployment metadata"
    )]
    pub meta_note: Option<String>,
    /// Jsonnet external string variable NAME=VALUE, read with std.extVar('NAME') (repeatable)
    #[arg(
        long,
        global = true,
        value_name = "NAME=VALUE",
        value_parser = crate::template::parse_ext_var,
        help_heading = "Jsonnet"
    )]
    pub ext_str: Vec<(String, String)>,
    /// Jsonnet external code variable NAME=CODE, evaluated as Jsonnet (repeatable)
    #[arg(
        long,
        global = true,
        value_name = "NAME=CODE",
        value_parser = crate::template::parse_ext_var,
        help_heading = "Jsonnet"
    )]
    pub ext_code: Vec<(String, String)>,
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
    /// Show what deploy would change: service, then task definition (unified diff)
    Diff(DiffArgs),
    /// Register the task definition (if changed), update or create the service, watch the rollout
    Deploy(DeployArgs),
    /// Roll back: stop the in-flight deployment, or deploy the previous (or a given) revision
    Rollback(RollbackArgs),
    /// Show the service, its deployments, auto scaling and recent events
    Status(StatusArgs),
    /// List the service family's ACTIVE task definition revisions and what uses each
    Revisions(RevisionsArgs),
    /// Deregister task definition revisions nothing uses (`--revision N` or `--keeps N`)
    Deregister(DeregisterArgs),
    /// Write ecspress.yml and definition files from a live service (`--jsonnet` output: #8)
    Init(InitArgs),
    /// Convert an ecspresso config and its definition templates to ecspress
    Migrate(MigrateArgs),
    /// Attach to the current deployment and wait for its verdict
    Wait(WaitArgs),
    /// Let a paused deployment go on (ECS PAUSE hook, CodeDeploy Ready wait), or roll it back
    Continue(ContinueArgs),
    /// Print the CodeDeploy AppSpec deploy would send (CODE_DEPLOY services; YAML)
    Appspec(AppspecArgs),
    /// Print rendered config, task definition and/or service definition as JSON
    Render(RenderArgs),
    /// Check that the resources the definitions refer to exist (cluster, roles, images, ...)
    Verify(VerifyArgs),
    /// Inspect Terraform state the way templates see it
    #[command(subcommand)]
    Tfstate(TfstateCommand),
    /// Serve signed Slack slash commands and buttons (deploy, diff, rollback, status)
    #[command(subcommand)]
    Chatops(ChatopsCommand),
    /// Run the local ECS + CodeDeploy simulator (rehearse deploys; the test bed)
    Sim(SimArgs),
    /// Post a one-off Slack message from `notify:` (CI post_build: build succeeded/failed)
    Notify(NotifyArgs),
    /// Print the version
    Version,
    /// Print a shell completion script
    Completion(CompletionArgs),
    /// Set the service's desired count (keeps its task definition and attributes)
    Scale(ScaleArgs),
    /// Start a new deployment of the running task definition (fresh tasks) and watch it
    Refresh(RefreshArgs),
    /// Run one-off tasks (RunTask), stream their logs, exit with the container's exit code
    Run(RunArgs),
}

/// `ecspress diff`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Exit 1 when there are differences (0 when none)
    #[arg(long)]
    pub exit_code: bool,
    /// Run an external diff program as `CMD <remote file> <local file>` instead
    #[arg(long, value_name = "CMD", env = "ECSPRESS_DIFF_COMMAND")]
    pub external: Option<String>,
    /// Error (instead of warning) when a field in the files is unknown to the AWS API model
    #[arg(long)]
    pub strict: bool,
    /// Many services in one run.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// How long and how often to watch a deployment.
#[derive(Debug, Args, Clone)]
pub struct WatchArgs {
    /// Give up waiting after this long (default: the config's `timeout`, else 10m); the
    /// deployment goes on
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Time between polls (jittered; backs off on throttling)
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    pub poll_interval: String,
    /// The slowest time between polls while nothing moves (default 15s, or --poll-interval
    /// if longer): polls are fast while the deployment moves or its end is near, slower in
    /// quiet stretches; equal to --poll-interval = a fixed cadence
    #[arg(long, value_name = "DURATION")]
    pub max_poll_interval: Option<String>,
    /// `deployed`: our deployment finished; `stable`: also no other deployment and running ==
    /// desired; `stage:<STAGE>`: an ECS blue/green, linear or canary deployment reached (or
    /// passed) that lifecycle stage, e.g. `stage:BAKE_TIME`; `paused`: a PAUSE hook awaits
    /// `ecspress continue`; `codedeploy:<Event>`: that CodeDeploy lifecycle event ended, e.g.
    /// `codedeploy:AllowTraffic`
    #[arg(long, value_name = "WHEN", default_value = "deployed")]
    pub wait_until: String,
}

/// `ecspress deploy`
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Hold the service's deploy lock while running (`dynamodb://TABLE`); busy → exit 2, nothing changed
    #[arg(long, value_name = "URL", env = "ECSPRESS_LOCK")]
    pub lock: Option<String>,
    /// Read everything, print the diff and what would be sent; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Desired count (default: the service definition's `desiredCount`, else keep)
    #[arg(long, value_name = "N")]
    pub tasks: Option<i32>,
    /// Don't register a task definition: keep the one the service runs
    #[arg(long)]
    pub skip_task_definition: bool,
    /// With --skip-task-definition: use this revision of the family
    #[arg(
        long,
        value_name = "N",
        requires = "skip_task_definition",
        conflicts_with = "latest_task_definition"
    )]
    pub revision: Option<u32>,
    /// Use the newest registered revision of the family instead of the file
    #[arg(long, conflicts_with = "skip_task_definition")]
    pub latest_task_definition: bool,
    /// Start a new deployment even if nothing changed
    #[arg(long)]
    pub force_new_deployment: bool,
    /// Don't apply the service definition's attributes (task definition and count only)
    #[arg(long)]
    pub no_update_service: bool,
    /// Don't watch the rollout
    #[arg(long)]
    pub no_wait: bool,
    /// Error (instead of warning) when a field in the files is unknown to the AWS API model
    #[arg(long)]
    pub strict: bool,
    /// CODE_DEPLOY services: the CodeDeploy deployment config (default: the config's
    /// `codedeploy.deployment_config_name`, else the deployment group's)
    #[arg(long, value_name = "NAME")]
    pub codedeploy_config: Option<String>,
    /// CODE_DEPLOY services: auto-rollback on these events (comma list of DEPLOYMENT_FAILURE,
    /// DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST)
    #[arg(long, value_name = "EVENTS")]
    pub rollback_events: Option<String>,
    /// Watch settings.
    #[command(flatten)]
    pub watch: WatchArgs,
    /// Auto scaling flags.
    #[command(flatten)]
    pub auto_scaling: AutoScalingArgs,
    /// Many services in one run.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// Flags of a run over several `--config`s (`deploy`, `diff`, `wait`, `status`).
#[derive(Debug, Args, Clone)]
pub struct FleetArgs {
    /// With several configs: how many services are processed at once
    #[arg(
        long,
        value_name = "N",
        default_value_t = 4,
        help_heading = "Several configs"
    )]
    pub concurrency: usize,
    /// With several configs: ECS and CodeDeploy API calls per second shared by all services
    /// (bursts of the same size); throttling still backs off
    #[arg(
        long,
        value_name = "RPS",
        default_value_t = 10.0,
        help_heading = "Several configs"
    )]
    pub max_api_rps: f64,
}

/// `ecspress notify`
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// `success`, `failure`, or an exit code (0 = success), e.g. "$CODEBUILD_BUILD_SUCCEEDING"
    /// mapped by the buildspec
    #[arg(long, value_name = "STATUS")]
    pub status: String,
    /// The message (default: "build succeeded" / "build failed")
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,
}

/// `ecspress appspec`
#[derive(Debug, Args)]
pub struct AppspecArgs {
    /// `current` (the running revision), `latest` (the family's newest), an ARN or
    /// `family:revision` (default: what deploy would use)
    #[arg(long, value_name = "TD")]
    pub task_definition: Option<String>,
}

/// `ecspress rollback`
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Hold the service's deploy lock while running (`dynamodb://TABLE`); busy → exit 2, nothing changed
    #[arg(long, value_name = "URL", env = "ECSPRESS_LOCK")]
    pub lock: Option<String>,
    /// Roll back to this revision of the family instead of the previous one
    #[arg(long, value_name = "N")]
    pub revision: Option<u32>,
    /// Deregister the revision rolled back from (never one still in use)
    #[arg(long)]
    pub deregister_task_definition: bool,
    /// Read everything and say what would happen; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Don't watch the rollback
    #[arg(long)]
    pub no_wait: bool,
    /// CODE_DEPLOY services: auto-rollback on these events for the rollback deployment
    #[arg(long, value_name = "EVENTS")]
    pub rollback_events: Option<String>,
    /// Watch settings.
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// `ecspress status`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How many recent service events to show
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub events: usize,
    /// Many services in one run.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// `ecspress revisions` (a table; `--output json` gives one `revisions` record)
#[derive(Debug, Args)]
pub struct RevisionsArgs {
    /// Show only the newest N revisions
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// `ecspress deregister`: never touches a revision the service's deployments or a running task
/// of the cluster use. Exit 0 when done (or nothing to do), 1 when `--revision N` is in use, 2 on
/// errors.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["revision", "keeps"])))]
pub struct DeregisterArgs {
    /// Deregister this revision of the service's family
    #[arg(long, value_name = "N")]
    pub revision: Option<u32>,
    /// Keep the newest N revisions (and anything in use); deregister the older ones
    #[arg(long, value_name = "N")]
    pub keeps: Option<usize>,
    /// Also delete them (DeleteTaskDefinitions; only INACTIVE revisions can be deleted)
    #[arg(long)]
    pub delete: bool,
    /// Show what would be deregistered; make no mutating call
    #[arg(long)]
    pub dry_run: bool,
}

/// `ecspress init`: definition files (JSON, YAML with `--yaml`, Jsonnet with `--jsonnet`) next to
/// the config (`--config`, else ecspress.yml, or ecspress.jsonnet with `--jsonnet`).
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The cluster
    #[arg(long)]
    pub cluster: String,
    /// The service (omit with --task-definition for task-only use)
    #[arg(long, required_unless_present = "task_definition")]
    pub service: Option<String>,
    /// Use this task definition (family:rev) instead of the service's
    #[arg(long, value_name = "FAMILY:REV")]
    pub task_definition: Option<String>,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
    /// Write the definition files as YAML (ecs-task-def.yml, ecs-service-def.yml)
    #[arg(long)]
    pub yaml: bool,
    /// Write the config and definition files as Jsonnet (ecspress.jsonnet,
    /// ecs-task-def.jsonnet, ecs-service-def.jsonnet)
    #[arg(long, conflicts_with = "yaml")]
    pub jsonnet: bool,
}

/// `ecspress migrate`: the ecspresso config and its definition files, converted.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The ecspresso config (default: ecspresso.yml, .yaml, .json or .jsonnet in the current
    /// directory)
    #[arg(long, value_name = "FILE")]
    pub from: Option<std::path::PathBuf>,
    /// Where to write ecspress.yml and the converted definitions (default: an `ecspress`
    /// directory next to the ecspresso config)
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    /// Overwrite existing files in the output directory
    #[arg(long)]
    pub force: bool,
}

/// `ecspress wait`
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Watch settings.
    #[command(flatten)]
    pub watch: WatchArgs,
    /// Many services in one run.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// `ecspress continue`
#[derive(Debug, Args)]
pub struct ContinueArgs {
    /// Roll back at the paused hook instead (ContinueServiceDeployment action ROLLBACK)
    #[arg(long, conflicts_with = "finish")]
    pub rollback: bool,
    /// CodeDeploy only: end the blue task set's termination wait now
    #[arg(long)]
    pub finish: bool,
    /// Don't watch the deployment afterwards
    #[arg(long)]
    pub no_wait: bool,
    /// Watch settings.
    #[command(flatten)]
    pub watch: WatchArgs,
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
    /// How long tasks behind a load balancer drain before they stop (a target group's
    /// deregistration delay; ELB's default is 300s)
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub deregistration_delay: String,
}

/// `ecspress chatops ...`
#[derive(Debug, Subcommand)]
pub enum ChatopsCommand {
    /// Listen for Slack requests (`/slack/commands`, `/slack/interactions`, `/healthz`)
    Serve(ChatopsServeArgs),
}

/// `ecspress chatops serve [--config chatops.yml]` (the global `--config` names the server config)
#[derive(Debug, Args)]
pub struct ChatopsServeArgs {
    /// Address to listen on (put a TLS-terminating proxy in front; port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:3000", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    // The global `--config` names the server config here (default chatops.yml): targets,
    // allowlists, audit log, lock (see examples/slack/chatops.yml).
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

/// Flags `scale` and `refresh` share with `deploy`.
#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// Hold the service's deploy lock while running (`dynamodb://TABLE`); busy → exit 2, nothing changed
    #[arg(long, value_name = "URL", env = "ECSPRESS_LOCK")]
    pub lock: Option<String>,
    /// Read everything and print what would be sent; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Don't watch the rollout
    #[arg(long)]
    pub no_wait: bool,
    /// Watch settings.
    #[command(flatten)]
    pub watch: WatchArgs,
    /// Auto scaling flags.
    #[command(flatten)]
    pub auto_scaling: AutoScalingArgs,
}

/// Application Auto Scaling changes (RegisterScalableTarget after the service update).
#[derive(Debug, Args, Clone)]
pub struct AutoScalingArgs {
    /// Suspend the service's dynamic and scheduled scaling
    #[arg(
        long,
        conflicts_with = "resume_auto_scaling",
        help_heading = "Auto scaling"
    )]
    pub suspend_auto_scaling: bool,
    /// Resume the service's dynamic and scheduled scaling
    #[arg(long, help_heading = "Auto scaling")]
    pub resume_auto_scaling: bool,
    /// Set the scalable target's minimum capacity
    #[arg(long, value_name = "N", help_heading = "Auto scaling")]
    pub auto_scaling_min: Option<i32>,
    /// Set the scalable target's maximum capacity
    #[arg(long, value_name = "N", help_heading = "Auto scaling")]
    pub auto_scaling_max: Option<i32>,
}

/// `ecspress scale`
#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// The desired count (without it, only the auto scaling flags apply)
    #[arg(long, value_name = "N", required_unless_present_any = ["suspend_auto_scaling", "resume_auto_scaling", "auto_scaling_min", "auto_scaling_max"])]
    pub tasks: Option<i32>,
    /// Shared flags.
    #[command(flatten)]
    pub common: OperatorArgs,
}

/// `ecspress refresh`
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Shared flags.
    #[command(flatten)]
    pub common: OperatorArgs,
}

/// `ecspress verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {}

/// `ecspress run --wait-until`
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunWaitUntil {
    /// Every task is RUNNING (exit 0)
    Running,
    /// Every task is STOPPED (exit: the watched container's exit code)
    Stopped,
}

/// `ecspress run`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// RunTask `overrides` as JSON (camelCase: containerOverrides, cpu, memory, taskRoleArn, ...)
    #[arg(long, value_name = "JSON", conflicts_with = "overrides_file")]
    pub overrides: Option<String>,
    /// Read `--overrides` from this file (JSON)
    #[arg(long, value_name = "FILE")]
    pub overrides_file: Option<std::path::PathBuf>,
    /// Number of tasks to start (1..=10)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub count: u32,
    /// Wait until every task is RUNNING, or STOPPED
    #[arg(long, value_enum, value_name = "WHEN", default_value = "stopped")]
    pub wait_until: RunWaitUntil,
    /// The container whose exit code (and logs) count (default: the first essential one)
    #[arg(long, value_name = "NAME")]
    pub watch_container: Option<String>,
    /// Print the task ARNs and exit 0 without waiting
    #[arg(long)]
    pub no_wait: bool,
    /// Run this revision of the family (no render, no register)
    #[arg(long, value_name = "N", conflicts_with = "latest_task_definition")]
    pub revision: Option<u32>,
    /// Run the newest ACTIVE revision of the family (no render, no register)
    #[arg(long)]
    pub latest_task_definition: bool,
    /// RunTask `startedBy`
    #[arg(long, value_name = "S")]
    pub started_by: Option<String>,
    /// Don't stream the watched container's CloudWatch logs
    #[arg(long)]
    pub no_logs: bool,
    /// Read everything and print what would be sent; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Give up waiting after this long (default: the config's `timeout`); the tasks keep running
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Time between polls
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    pub poll_interval: String,
}
