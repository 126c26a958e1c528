//! Import of the `workload` map: each workload rebuilt from its role.

use std::collections::BTreeMap;

use mosia_tfplugin::Value;

use crate::aws::part::PartEnv;
use crate::aws::workload::{self, WorkloadSpec};
use crate::engine::PartError;

fn strings(v: &[String]) -> Value {
    Value::string_list(v.to_vec())
}

/// One workload as the `workload` attribute holds it: defaults as null, as a configuration
/// that leaves them out has them (every attribute present, as Terraform sends objects with
/// optional attributes).
fn workload_value(name: &str, w: &WorkloadSpec) -> Value {
    let unless = |v: &str, default: &str| {
        if v == default {
            Value::Null
        } else {
            Value::from(v)
        }
    };
    let msk = match &w.msk {
        Some(m) => Value::object([
            ("topics", strings(&m.topics)),
            (
                "groups",
                if m.groups.is_empty() {
                    Value::Null
                } else {
                    strings(&m.groups)
                },
            ),
            ("access", unless(m.access.as_str(), "read_write")),
        ]),
        None => Value::Null,
    };
    let list = |v: &[String]| {
        if v.is_empty() {
            Value::Null
        } else {
            strings(v)
        }
    };
    Value::object([
        ("namespace", Value::from(w.namespace.as_str())),
        ("service_account", unless(&w.service_account, name)),
        ("identity", unless(w.identity.as_str(), "pod_identity")),
        ("rds", unless(w.rds.as_str(), "none")),
        ("elasticache", unless(w.elasticache.as_str(), "none")),
        ("msk", msk),
        ("secrets_manager_arns", list(&w.secrets_manager_arns)),
        ("s3_buckets", list(&w.s3_buckets)),
        ("policy_arns", list(&w.policy_arns)),
    ])
}

/// Sets `workload` in an imported value from the environment's workload roles.
async fn set_imported(env: &PartEnv, v: &mut Value) -> Result<(), PartError> {
    let found: BTreeMap<String, WorkloadSpec> = workload::discover::discover(env).await?;
    if !found.is_empty() {
        let map = found
            .iter()
            .map(|(k, w)| (k.clone(), workload_value(k, w)))
            .collect();
        v.set_attr("workload", Value::Map(map));
    }
    Ok(())
}

/// Sets the network's `allowed_cidrs` and `allowed_security_group_ids` from the data
/// services' rules (null when there are none, as a configuration that leaves them out).
async fn set_imported_sources(env: &PartEnv, v: &mut Value) -> Result<(), PartError> {
    let (cidrs, groups) = crate::aws::network::cluster_ingress::allowed_sources(env).await?;
    let list = |l: Vec<String>| {
        if l.is_empty() {
            Value::Null
        } else {
            Value::string_list(l)
        }
    };
    if let Some(net) = v.get_mut("network") {
        net.set_attr("allowed_cidrs", list(cidrs));
        net.set_attr("allowed_security_group_ids", list(groups));
    }
    Ok(())
}

/// Sets the network's `vpc_endpoints` from the endpoints found.
fn set_imported_endpoints(v: &mut Value, found: &crate::aws::network::EndpointsState) {
    let services = found.endpoint_ids.keys().map(|s| Value::from(s.as_str()));
    if let Some(net) = v.get_mut("network") {
        net.set_attr("vpc_endpoints", Value::set_of(services));
    }
}

/// The workloads (with a cluster), the data services' sources and the VPC endpoints of an
/// imported environment, set in `v`; the endpoints found.
pub(super) async fn set_imported_access(
    env: &PartEnv,
    v: &mut Value,
    with_cluster: bool,
) -> Result<crate::aws::network::EndpointsState, PartError> {
    if with_cluster {
        set_imported(env, v).await?;
    }
    set_imported_sources(env, v).await?;
    let endpoints = crate::aws::network::endpoints::read_endpoints(env).await?;
    set_imported_endpoints(v, &endpoints);
    Ok(endpoints)
}
