//! What a provider implements: a provider (schema, validate, configure) that hands out
//! resources and data sources (schema + validate + plan + CRUD + import). Nothing here knows
//! about gRPC or msgpack; the server in `grpc` translates.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::diagnostics::{AttrPath, Diagnostics};
use crate::schema::Schema;
use crate::value::Value;

/// Passed to every operation. `cancelled` fires when Terraform calls StopProvider (Ctrl-C):
/// long waits must end promptly, returning what exists so far.
#[derive(Clone, Debug)]
pub struct Context {
    pub cancelled: CancellationToken,
}

impl Context {
    pub fn new(cancelled: CancellationToken) -> Self {
        Context { cancelled }
    }
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.is_cancelled()
    }
}

/// Inputs to a plan. `planned` starts as Terraform's proposed new state with the generic
/// rules applied (defaults, unknown computed values on create, prior values on update).
pub struct PlanRequest<'a> {
    pub prior: &'a Value,
    pub config: &'a Value,
    pub planned: &'a mut Value,
    /// Attribute paths whose change forces replacement beyond the schema's: the schema's
    /// `requires_replace` attributes are compared after `modify_plan`, so values it fills
    /// in count too.
    pub requires_replace: &'a mut Vec<AttrPath>,
    pub diags: &'a mut Diagnostics,
}

impl PlanRequest<'_> {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }
}

/// Why `delete` is called, as far as the protocol can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// Terraform planned this destroy with the provider: `terraform destroy`, or a resource
    /// removed from the configuration. The object is to go.
    Planned,
    /// Not planned with the provider: the delete half of a replacement (a tainted object,
    /// `-replace`, a change that requires replacement), or a core older than 1.3, which
    /// plans no destroy with providers.
    Unplanned,
}

/// The outcome of a create or update that failed part way: whatever exists is returned so
/// that Terraform records it (nothing already created is lost).
#[derive(Debug)]
pub struct ApplyError {
    pub diags: Diagnostics,
    /// The state to record despite the error, when something was created or changed.
    pub partial_state: Option<Value>,
}

impl ApplyError {
    pub fn new(diags: impl Into<Diagnostics>) -> Self {
        ApplyError {
            diags: diags.into(),
            partial_state: None,
        }
    }
    pub fn with_state(diags: impl Into<Diagnostics>, state: Value) -> Self {
        ApplyError {
            diags: diags.into(),
            partial_state: Some(state),
        }
    }
}

impl From<Diagnostics> for ApplyError {
    fn from(d: Diagnostics) -> Self {
        ApplyError::new(d)
    }
}

/// Result of a create/update: the new state plus warnings.
pub type ApplyResult = Result<(Value, Diagnostics), ApplyError>;

#[async_trait]
pub trait Resource: Send + Sync {
    /// The resource type name, e.g. `mosia_state_backend`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;

    /// Checks beyond per-attribute validators (cross-attribute rules). The configuration may
    /// contain unknown values.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts the plan: mark computed values that will change as unknown, add replacement
    /// paths, warn. Called for creates and updates, not for destroys.
    fn modify_plan(&self, _req: &mut PlanRequest<'_>) {}

    async fn create(&self, ctx: &Context, planned: &Value) -> ApplyResult;
    /// Returns None when the object no longer exists (Terraform then plans to create it).
    async fn read(&self, ctx: &Context, state: &Value) -> Result<Option<Value>, Diagnostics>;
    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value) -> ApplyResult;
    async fn delete(&self, ctx: &Context, prior: &Value, why: Deletion) -> Result<(), Diagnostics>;

    /// Builds a state from an import ID; Terraform calls `read` right after.
    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics>;

    /// Rewrites stored state (as JSON) written by an older schema version. The default
    /// keeps it; attributes that no longer exist are dropped by the decoder.
    fn upgrade_state(
        &self,
        _from_version: i64,
        raw: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Ok(raw)
    }
}

#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(
        &self,
        ctx: &Context,
        config: &Value,
    ) -> Result<(Value, Diagnostics), Diagnostics>;
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// e.g. `registry.terraform.io/mosia/mosia` (used by debug mode's reattach line).
    fn address(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Called once per process before any resource operation.
    async fn configure(
        &self,
        ctx: &Context,
        config: &Value,
        terraform_version: &str,
    ) -> Diagnostics;
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}
