//! The network-access parts of the converge graph: VPC endpoints, and the data services'
//! ingress from the EKS cluster security group.

use super::{cluster, net, Converge, Out};
use crate::aws::network;
use crate::aws::part::PartId;
use crate::engine::{Deps, PartError};

impl Converge {
    /// The network's VPC endpoints.
    pub(super) async fn endpoints(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        let services = &self.spec.network_access.vpc_endpoints;
        network::endpoints::ensure_endpoints(&self.env, &net(deps)?, services)
            .await
            .map(Out::Endpoints)
    }

    /// The data services' groups admit the cluster security group.
    pub(super) async fn cluster_ingress(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        let c = cluster(deps)?;
        let group = c.cluster_security_group_id.ok_or_else(|| {
            PartError::new(
                &PartId::ClusterIngress,
                "admitting the EKS cluster to the data services",
                format!("EKS reports no cluster security group for `{}`", c.name),
            )
        })?;
        network::ensure_cluster_ingress(&self.env, &group)
            .await
            .map(Out::Ingress)
    }
}
