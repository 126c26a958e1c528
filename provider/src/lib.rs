//! The Mosia provider: AWS resources on top of the generic plugin layer (`mosia-tfplugin`).
//! Nothing in here touches gRPC or msgpack.

pub mod aws;
pub mod engine;
pub mod provider;
pub mod resources;

pub use provider::MosiaProvider;
