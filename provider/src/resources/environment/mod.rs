//! `mosia_environment`: one resource for a whole application environment (network, IAM,
//! EKS, RDS PostgreSQL, ElastiCache, MSK).
//!
//! This half is AWS-independent: the schema, the typed spec with tier defaults, the
//! guardrails checked at validate/plan time, and the monthly cost estimate. The `Resource`
//! implementation builds on them.

pub mod cost;
pub mod data_source;
pub mod discover;
mod flatten;
mod graph;
pub mod guardrails;
mod observe;
mod plan;
pub mod resource;
pub mod schema;
pub mod spec;
#[cfg(test)]
mod testing;

pub use cost::{estimate, estimate_monthly_usd, planned_cost_value, CostEstimate, PRICES_AS_OF};
pub use schema::schema;
pub use spec::{
    apply_tier_defaults, from_value, parse_duration, EnvironmentSpec, NetworkSpec, Tier,
    TierDefaults, Timeouts,
};

/// The resource type name.
pub const TYPE_NAME: &str = "mosia_environment";
