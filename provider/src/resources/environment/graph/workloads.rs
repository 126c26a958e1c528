//! The workload parts of the converge graph: each workload's role with the ARNs of the
//! parts it depends on, and the cleanup of workloads no longer configured.

use super::{Converge, Out};
use crate::engine::{Deps, PartError};

impl Converge {
    /// One workload: its role, policy and pod identity association.
    pub(super) async fn workload(&self, name: &str, deps: &Deps<Out>) -> Result<Out, PartError> {
        // SKELETON: replaced by the workloads branch.
        Err(deps.error("workload parts are not built yet", name))
    }

    /// Deletes the objects of workloads that are no longer configured.
    pub(super) async fn workloads_cleanup(&self) -> Result<Out, PartError> {
        Ok(Out::Deleted)
    }
}
