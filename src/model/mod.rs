//! Pure types and functions: no I/O, no async, no AWS SDK types.
//!
//! - [`tfstate`]: Terraform state (format 4) indexed lazily, and the lookup address grammar.

pub mod tfstate;
