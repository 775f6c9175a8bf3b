//! Integration tests: the real `ecspress` binary driven end to end (one test binary, modules
//! per area, so the AWS SDK is linked once).

mod support;

mod bad_inputs;
mod bluegreen_cli;
mod chatops_cli;
mod cli;
mod codedeploy_cli;
mod deploy_cli;
mod diff_cli;
mod fault_matrix;
mod jsonnet_cli;
mod migrate_cli;
mod multi_cli;
mod notify_cli;
mod operator_init_cli;
mod operator_run_cli;
mod render_aws;
mod run_cli;
mod secrets_cli;
mod sim_http;
// Stand-ins for every optional backend (and aws-lc-rs, which `gcs` brings in).
#[cfg(all(feature = "tfe", feature = "gcs", feature = "azurerm"))]
mod tfstate_backends_cli;
mod tfstate_cli;
mod verify_cli;
mod watch_cli;
