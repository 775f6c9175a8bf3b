//! Pure types and functions: no I/O, no async, no AWS SDK types.
//!
//! - [`tfstate`]: Terraform state (format 4) indexed lazily, and the lookup address grammar.
//! - [`tfstate_backend`]: where remote states live (s3/gcs/azurerm/remote/cloud pointers, URL
//!   forms) and the pure parts of reading them (Azure Shared Key, Terraform token names).
//! - [`revision`]: deploy/rollback decisions (previous revision, in-use checks, desired
//!   count, RegisterTaskDefinition/CreateService/UpdateService/Tag inputs).
//! - [`status`]: the `ecspress status` report and its text form.
//! - [`normalize`]: canonical task/service definitions for diffing (AWS defaults, read-only
//!   fields, order-insensitive lists).
//! - [`diff`]: unified and structured diffs of two normalised definitions.
//! - [`rollout`]: watched-deployment snapshots, verdict rules and progress reports.
//! - [`stages`]: the fixed order of ECS lifecycle stages and CodeDeploy lifecycle events.
//! - [`appspec`]: the CodeDeploy ECS AppSpec built from service, task definition and config.
//! - [`codedeploy`]: deployment group matching and CodeDeploy deployment verdict rules.
//! - [`migrate`]: ecspresso Go-template calls → tera, and an ecspresso config → ecspress.yml.
//! - [`fleet`]: many services in one run: worst verdict, config list dedup, labels.
//! - [`secrets`]: which values are secret, and masking them in text.
//! - [`verify`]: `ecspress verify` rules (image references, trust policies, ports) and its tree.

pub mod appspec;
pub mod cadence;
pub mod codedeploy;
pub mod diff;
pub mod fleet;
pub mod init;
pub mod metadata;
pub mod migrate;
pub mod normalize;
pub mod revision;
pub mod revisions;
pub mod rollout;
pub mod run;
pub mod secrets;
pub mod stages;
pub mod status;
pub mod tfstate;
pub mod tfstate_backend;
pub mod verify;
