//! Reading the `workload "NAME"` blocks and the network's access settings into their input
//! types ([`WorkloadSpec`], [`NetworkAccessSpec`]).

use std::collections::BTreeMap;

use mosia_tfplugin::{Diagnostics, Reader};

use super::TierDefaults;
use crate::aws::network::input::NetworkAccessSpec;
use crate::aws::workload::{
    CacheAccess, Identity, KafkaAccess, MskAccessSpec, RdsAccess, WorkloadSpec,
};

/// Every `workload` block, by name (the block's label).
pub(super) fn workloads(root: &Reader, d: &mut Diagnostics) -> BTreeMap<String, WorkloadSpec> {
    let blocks = d.take(root.each_map_block("workload")).unwrap_or_default();
    blocks
        .into_iter()
        .map(|(name, b)| (name.to_string(), workload(name, &b, d)))
        .collect()
}

fn workload(name: &str, b: &Reader, d: &mut Diagnostics) -> WorkloadSpec {
    WorkloadSpec {
        namespace: d.take(b.string("namespace")).unwrap_or_default(),
        service_account: d
            .take(b.opt_string("service_account"))
            .unwrap_or_else(|| name.to_string()),
        identity: d
            .take(b.opt_choice("identity", Identity::parse, Identity::NAMES))
            .unwrap_or(Identity::PodIdentity),
        rds: d
            .take(b.opt_choice("rds", RdsAccess::parse, RdsAccess::NAMES))
            .unwrap_or(RdsAccess::None),
        elasticache: d
            .take(b.opt_choice("elasticache", CacheAccess::parse, CacheAccess::NAMES))
            .unwrap_or(CacheAccess::None),
        msk: d.take(b.block("msk")).map(|m| msk_access(&m, d)),
        secrets_manager_arns: d
            .take(b.string_list("secrets_manager_arns"))
            .unwrap_or_default(),
        s3_buckets: d.take(b.string_list("s3_buckets")).unwrap_or_default(),
        policy_arns: d.take(b.string_list("policy_arns")).unwrap_or_default(),
    }
}

fn msk_access(b: &Reader, d: &mut Diagnostics) -> MskAccessSpec {
    MskAccessSpec {
        topics: d.take(b.string_list("topics")).unwrap_or_default(),
        groups: d.take(b.string_list("groups")).unwrap_or_default(),
        access: d
            .take(b.opt_choice("access", KafkaAccess::parse, KafkaAccess::NAMES))
            .unwrap_or(KafkaAccess::ReadWrite),
    }
}

/// The network block's access settings; `vpc_endpoints` defaults by tier for a network
/// Mosia creates and to none for the user's own.
pub(super) fn network_access(
    b: Option<&Reader>,
    t: &TierDefaults,
    d: &mut Diagnostics,
) -> NetworkAccessSpec {
    let Some(b) = b else {
        return NetworkAccessSpec::default();
    };
    let own_network = b.is_null("subnet_ids");
    // Sorted, as the set attribute reads.
    let tier_endpoints = || match own_network {
        true => {
            let mut v: Vec<String> = t.vpc_endpoints.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        }
        false => vec![],
    };
    NetworkAccessSpec {
        allowed_cidrs: d.take(b.string_list("allowed_cidrs")).unwrap_or_default(),
        allowed_security_group_ids: d
            .take(b.string_list("allowed_security_group_ids"))
            .unwrap_or_default(),
        vpc_endpoints: d
            .take(b.set_of_strings("vpc_endpoints"))
            .map(|s| s.into_iter().collect())
            .unwrap_or_else(tier_endpoints),
    }
}
