//! Orchestration: async flows over the `aws` traits that emit events to `output`.
//!
//! - [`tfstate_source`]: fetch a Terraform state from a path, `file://`, `s3://`, `http(s)://`,
//!   or via a `.terraform/terraform.tfstate` backend pointer.
//! - [`render`]: load the config (two passes), set up plugins, render definition templates.
//! - [`diff`]: render, describe, normalise and diff service and task definition (`diff`).
//! - [`watch`]: follow our deployment to a verdict (`deploy`, `rollback`, `wait`).
//! - [`deploy`]: register (only if changed), create/update the service, watch (`deploy`).
//! - [`rollback`]: stop the deployment in progress, or deploy an older revision (`rollback`).
//! - [`continue_`]: release a paused deployment (ECS PAUSE hook) and watch it (`continue`).
//! - [`lock`]: the DynamoDB deploy lock around `deploy`/`rollback` (CLI `--lock`, ChatOps).
//! - [`status`]: the service, its deployments, auto scaling and events (`status`).
//! - [`codedeploy`]: CODE_DEPLOY services: group discovery, deploy through CodeDeploy, its
//!   watcher, continue, rollback, `wait` and `appspec`.
//! - [`metadata`]: commit / ref / who / build of this run (CodeBuild variables, git, flags).
//! - [`notify`]: `notify:` → the Slack notifier around deploy/rollback/wait; `notify`.
//! - [`fleet`]: many services in one run (`--config` several times or a glob), bounded
//!   concurrency, config order.
//! - [`scale`]: the auto scaling flags of deploy/scale/refresh (RegisterScalableTarget).

pub mod codedeploy;
pub mod continue_;
pub mod deploy;
pub mod deregister;
pub mod diff;
pub mod fleet;
pub mod init;
pub mod lock;
pub mod metadata;
pub mod migrate;
pub mod notify;
pub mod render;
pub mod revisions;
pub mod rollback;
pub mod run;
pub mod scale;
pub mod status;
pub mod tfstate_source;
pub mod verify;
pub mod watch;
