//! ecspress: an Amazon ECS deployment orchestrator.
//!
//! Module map (dependencies point downwards only):
//!
//! - [`cli`]: clap derive types, nothing else.
//! - [`settings`]: CLI args + environment resolved into plain structs (config merged in `ops`).
//! - [`commands`]: one thin file per subcommand: settings → `ops` → `output`.
//! - [`ops`]: async orchestration (render pipeline, tfstate fetching, ...).
//! - [`config`]: the `ecspress.yml` schema, discovery and validation.
//! - [`template`]: the tera engine and its functions (`env`, `tfstate`, `ssm`, ...), and
//!   Jsonnet evaluation with the same functions as natives.
//! - [`model`]: pure types and functions (tfstate index and address grammar, ...); no I/O.
//! - [`aws`]: the only module that imports `aws_sdk_*`; small domain-shaped traits.
//! - [`output`]: the only module that prints (human lines, JSON Lines, errors).
//! - [`slack`]: Slack Block Kit messages, its HTTP transport, and the deployment notifier
//!   (an `EventSink` decorator; the second network peer after AWS).
//! - [`sim`]: `ecspress sim`, a local ECS + CodeDeploy control-plane simulator (its own
//!   subsystem: the test bed and demo target, served in-process or over HTTP).
//! - [`chatops`]: `ecspress chatops serve`: signed Slack commands and buttons, authorisation,
//!   audit; runs the same `ops` as the CLI.
//! - [`exit`]: the documented process exit codes.

pub mod aws;
pub mod chatops;
pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod ops;
pub mod output;
pub mod settings;
pub mod sim;
pub mod slack;
pub mod template;
