//! `mosia_environment`: one resource for a whole application environment (network, IAM,
//! EKS, RDS PostgreSQL, ElastiCache, MSK).
//!
//! The AWS-independent half: the schema (`schema/`), the typed spec with tier defaults
//! (`spec`), the guardrails checked at validate/plan time, the monthly cost estimate, and
//! planning (`plan`: `modify_plan`). The `Resource` (`resource`) builds on them with the
//! parts' dependency graph (`graph`), what the parts return written into state (`flatten`),
//! what a read finds mapped into state (`observe`), and import (`discover`).

mod access_entries;
mod addons;
pub mod cost;
pub mod data_source;
pub mod discover;
mod flatten;
mod forward_only;
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
