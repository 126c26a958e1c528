//! The computed `workloads` map in a plan: unknown when the workloads change, or when a
//! value their connection settings and policies are made of will change (an endpoint or
//! ARN of a rebuilt part, the cluster's issuer).

use mosia_tfplugin::{PlanRequest, Value};

/// The outputs a workload's entry is made of, by block.
const INPUTS: &[(&str, &[&str])] = &[
    ("eks", &["arn", "oidc_issuer", "oidc_provider_arn"]),
    ("rds", &["endpoint", "master_user_secret_arn", "arn"]),
    ("elasticache", &["primary_endpoint", "arn"]),
    (
        "msk",
        &["arn", "bootstrap_brokers_iam", "bootstrap_brokers_scram"],
    ),
];

pub(super) fn unknown_workloads_when_changing(req: &mut PlanRequest<'_>) {
    let (prior, planned) = (req.prior, &*req.planned);
    let changed = prior.get("workload") != planned.get("workload")
        || prior.get("elasticache").get("authentication")
            != planned.get("elasticache").get("authentication")
        || INPUTS.iter().any(|(block, attrs)| {
            let (p, n) = (prior.get(block), planned.get(block));
            p.is_null() != n.is_null() || attrs.iter().any(|a| n.get(a).is_unknown())
        });
    if planned.get("workload").is_null() {
        req.planned.set_attr("workloads", Value::Null);
    } else if changed {
        req.planned.set_attr("workloads", Value::unknown());
    }
}
