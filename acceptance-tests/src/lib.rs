//! Acceptance tests: real Terraform cores against a LocalStack-compatible AWS endpoint.

pub mod backups;
pub mod emulator;
pub mod iam_roles;
pub mod inventory;
pub mod own_vpc;
pub mod owned;
pub mod parts;
pub mod policy_sim;
pub mod script_tests;
pub mod terraform;
