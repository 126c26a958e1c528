//! Terraform resources of the Mosia provider, one file each.

pub mod configured;
pub mod environment;
pub mod state_backend;
