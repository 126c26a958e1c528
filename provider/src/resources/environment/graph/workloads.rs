//! The workload parts of the converge graph: each workload's role with the ARNs of the
//! parts it depends on, and the cleanup of workloads no longer configured.

use std::collections::BTreeSet;

use super::{cluster, dep, Converge, Out};
use crate::aws::eks::EksClusterState;
use crate::aws::elasticache::ElastiCacheState;
use crate::aws::msk::MskState;
use crate::aws::part::PartId;
use crate::aws::rds::RdsState;
use crate::aws::workload::{self, CacheTarget, MskTarget, RdsTarget, Targets};
use crate::engine::{Deps, PartError};

/// What the environment offers the workload `workload`, from the outputs of the parts it
/// depends on (a part it does not depend on is simply absent).
pub(in crate::resources::environment) fn targets_of(
    workload: &str,
    c: &EksClusterState,
    oidc: Option<String>,
    rds: Option<&RdsState>,
    cache: Option<&ElastiCacheState>,
    msk: Option<&MskState>,
) -> Targets {
    let mut t = Targets::from_arn(&c.arn, &c.name);
    t.oidc_issuer = Some(c.oidc_issuer.clone()).filter(|i| !i.is_empty());
    t.oidc_provider_arn = oidc;
    t.rds = rds.map(|r| RdsTarget {
        secret_arn: r.master_user_secret_arn.clone(),
        resource_id: r.resource_id.clone(),
        iam_auth: r.iam_database_authentication,
        endpoint: r.endpoint.clone(),
        port: r.port,
        database: r.database_name.clone().unwrap_or_else(|| "postgres".into()),
        master_username: r.master_username.clone(),
    });
    t.cache = cache.map(|c| CacheTarget {
        group_arn: c.arn.clone(),
        user: c
            .users
            .get(workload)
            .map(|u| (u.user_id.clone(), u.arn.clone())),
        token_secret_arn: c.auth_secret_arn.clone(),
        endpoint: c.primary_endpoint.clone(),
        port: c.port,
        tls: c.transit_encryption,
    });
    t.msk = msk.map(|m| MskTarget {
        cluster_arn: m.arn.clone(),
        bootstrap_iam: m.bootstrap_brokers_iam.clone(),
        bootstrap_scram: m.bootstrap_brokers_scram.clone(),
        scram_secret_arn: m.scram_secrets.get(workload).cloned(),
    });
    t
}

/// The database's output, when the part depends on it.
pub(super) fn optional_rds(deps: &Deps<Out>) -> Result<Option<RdsState>, PartError> {
    optional_dep(deps, PartId::RdsPrimary, |o| match o {
        Out::Rds(r) => Some(r),
        _ => None,
    })
}

/// The cache's output, when the part depends on it.
pub(super) fn optional_cache(deps: &Deps<Out>) -> Result<Option<ElastiCacheState>, PartError> {
    optional_dep(deps, PartId::ElastiCache, |o| match o {
        Out::Cache(c) => Some(c),
        _ => None,
    })
}

/// The Kafka cluster's output, when the part depends on it.
pub(super) fn optional_msk(deps: &Deps<Out>) -> Result<Option<MskState>, PartError> {
    optional_dep(deps, PartId::Msk, |o| match o {
        Out::Msk(m) => Some(m),
        _ => None,
    })
}

/// A dependency's output when the part depends on it (a workload depends only on the
/// services its policy names), None otherwise.
pub(super) fn optional_dep<T: Clone>(
    deps: &Deps<Out>,
    part: PartId,
    pick: impl Fn(&Out) -> Option<&T>,
) -> Result<Option<T>, PartError> {
    if !deps.outputs().contains_key(&part.to_string()) {
        return Ok(None);
    }
    dep(deps, part, pick).map(Some)
}

impl Converge {
    /// One workload: its role, policy and pod identity association.
    pub(super) async fn workload(&self, name: &str, deps: &Deps<Out>) -> Result<Out, PartError> {
        let w = self
            .spec
            .workloads
            .get(name)
            .ok_or_else(|| deps.error("not in the configuration", name))?;
        let oidc = optional_dep(deps, PartId::EksOidc, |o| match o {
            Out::Oidc(a) => Some(a),
            _ => None,
        })?;
        let rds = optional_rds(deps)?;
        let cache = optional_cache(deps)?;
        let msk = optional_msk(deps)?;
        let mut t = targets_of(
            name,
            &cluster(deps)?,
            oidc,
            rds.as_ref(),
            cache.as_ref(),
            msk.as_ref(),
        );
        t.secrets_key_arn = self.environment_key(deps)?;
        workload::ensure(&self.env, name, w, &t)
            .await
            .map(Out::Workload)
    }

    /// Deletes the objects of workloads that are no longer configured.
    pub(super) async fn workloads_cleanup(&self) -> Result<Out, PartError> {
        let keep: BTreeSet<String> = self.spec.workloads.keys().cloned().collect();
        let cluster = crate::aws::eks::cluster_name(&self.env);
        workload::delete_unconfigured(&self.env, &keep, &cluster).await?;
        Ok(Out::Deleted)
    }
}
