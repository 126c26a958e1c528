//! The network-access parts of the converge graph: VPC endpoints, and the data services'
//! ingress from the EKS cluster security group.

use super::{Converge, Out};
use crate::engine::{Deps, PartError};

impl Converge {
    /// The network's VPC endpoints.
    pub(super) async fn endpoints(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        // SKELETON: replaced by the network branch.
        let _ = deps;
        Ok(Out::Endpoints(Default::default()))
    }

    /// The data services' groups admit the cluster security group.
    pub(super) async fn cluster_ingress(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        // SKELETON: replaced by the network branch.
        let _ = deps;
        Ok(Out::Ingress(vec![]))
    }
}
