//! A generic Terraform plugin (protocol 6) server in Rust: the go-plugin handshake with
//! AutoMTLS, the gRPC services, a cty value model with msgpack/JSON codecs, schemas,
//! diagnostics with attribute paths, and the traits a provider implements.
//!
//! This crate knows nothing of any cloud: providers implement [`resource::Provider`] and
//! [`resource::Resource`] and call [`serve::main`].

pub mod convert;
pub mod diagnostics;
pub mod docs;
pub mod grpc;
pub mod logging;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod serve;
pub mod tls;
pub mod value;

#[cfg(feature = "client")]
pub mod client;

/// Generated protocol 6 messages and services.
#[allow(clippy::all, missing_docs)]
pub mod proto {
    tonic::include_proto!("tfplugin6");
}

/// Generated go-plugin side services.
#[allow(clippy::all, missing_docs)]
pub mod goplugin {
    tonic::include_proto!("plugin");
}

pub use diagnostics::{AttrPath, Diagnostic, Diagnostics};
pub use resource::{
    ApplyError, ApplyResult, Context, DataSource, Deletion, PlanRequest, Provider, Resource,
};
pub use schema::{validators, Attribute, Block, Nesting, Schema, Validator};
pub use tokio_util::sync::CancellationToken;
pub use value::reader::{FromValue, Known, Reader};
pub use value::{Type, Value};
