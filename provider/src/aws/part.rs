//! What every AWS part of an environment shares: the clients, the environment's name (the
//! prefix of every AWS name), ownership tags, cancellation and the deadline.
//!
//! Each part module (`network`, `iam`, `eks`, `rds`, `elasticache`, `msk`) offers the same
//! three operations:
//! - `ensure(&PartEnv, &Spec, ..deps) -> Result<State, PartError>`: converge AWS to the spec.
//!   Idempotent: finds its objects by ownership tags / deterministic names first, adopts
//!   them (crash recovery, resume after a failed apply), creates what is missing, modifies
//!   what differs where AWS allows, waits until ready. Create, update and resume are all
//!   `ensure`.
//! - `read(&PartEnv, ..) -> Result<Option<State>, PartError>`: what exists now (drift), with
//!   at most one describe per AWS object; None when the part is gone.
//! - `delete(&PartEnv, ..) -> Result<(), PartError>`: remove everything the part owns,
//!   found by tags/names; NotFound counts as deleted.

use std::collections::BTreeMap;
use std::sync::Arc;

use mosia_tfplugin::Context;
use tokio::time::Instant;

use super::tags;
use super::AwsContext;

/// Tag naming the environment an object belongs to.
pub const ENVIRONMENT_TAG: &str = "mosia:environment";
/// Tag naming the part of the environment (network, eks, rds, ...).
pub const PART_TAG: &str = "mosia:part";

#[derive(Clone)]
pub struct PartEnv {
    pub aws: Arc<AwsContext>,
    /// The environment's `name`: prefix of every AWS name.
    pub name: String,
    /// The user's tags merged with the provider's default tags (`tags_all`).
    pub tags: BTreeMap<String, String>,
    /// Cancelled by StopProvider.
    pub ctx: Context,
    /// From the `timeouts` block.
    pub deadline: Option<Instant>,
}

impl PartEnv {
    /// `{name}-{suffix}`, e.g. `mosia-dev-db`.
    pub fn aws_name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.name)
    }

    /// Every tag an object of `part` carries: the user's plus ownership tags.
    pub fn tags_for(&self, part: &str) -> BTreeMap<String, String> {
        let mut t = self.tags.clone();
        t.insert(tags::MANAGED_BY_KEY.into(), tags::MANAGED_BY_VALUE.into());
        t.insert(ENVIRONMENT_TAG.into(), self.name.clone());
        t.insert(PART_TAG.into(), part.into());
        t
    }

    /// True when tags read from AWS say the object belongs to this environment's `part`.
    pub fn owns(&self, part: &str, tags: &BTreeMap<String, String>) -> bool {
        tags.get(ENVIRONMENT_TAG) == Some(&self.name)
            && tags.get(PART_TAG).map(String::as_str) == Some(part)
    }
}
