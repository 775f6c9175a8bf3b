//! Orchestration: async flows over the `aws` traits that emit events to `output`.
//!
//! - [`tfstate_source`]: fetch a Terraform state from a path, `file://`, `s3://`, `http(s)://`,
//!   or via a `.terraform/terraform.tfstate` backend pointer.
//! - [`render`]: load the config (two passes), set up plugins, render definition templates.

pub mod render;
pub mod tfstate_source;
