//! Terraform resources of the Mosia provider, one file each.

pub mod environment;
pub mod state_backend;
