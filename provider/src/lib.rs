//! The Mosia provider: AWS resources on top of the generic plugin layer (`mosia-tfplugin`).
//! Nothing in here touches gRPC or msgpack. The layers and their rules: ARCHITECTURE.md.

#![warn(clippy::too_many_lines)]

#[macro_use]
mod macros;

pub mod aws;
pub mod engine;
pub mod provider;
pub mod resources;

pub use provider::MosiaProvider;
