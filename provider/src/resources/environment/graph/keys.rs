//! Which KMS key each part is given: the user's `kms_key_arn`, or the environment's own key
//! (the output of the key part), or none (AWS-managed keys).

use super::{dep, Out};
use crate::aws::part::PartId;
use crate::engine::{Deps, PartError};
use crate::resources::environment::spec::{EksSpec, EnvironmentSpec};

/// True when the data services are encrypted with the environment's own key.
pub(super) fn data_uses_own_key(spec: &EnvironmentSpec) -> bool {
    spec.encryption.given.is_none() && spec.encryption.customer_managed
}

/// `deps`, plus the key part when the data services are encrypted with it.
pub(super) fn data_deps(spec: &EnvironmentSpec, mut deps: Vec<PartId>) -> Vec<PartId> {
    if data_uses_own_key(spec) {
        deps.push(PartId::Kms);
    }
    deps
}

fn own_key_arn(deps: &Deps<Out>) -> Result<String, PartError> {
    dep(deps, PartId::Kms, |o| match o {
        Out::Kms(k) => Some(&k.arn),
        _ => None,
    })
}

/// The cluster's input with its secrets key when it is the environment's own (EKS cannot
/// change it, so it stays when the environment moves to the user's key), and the
/// environment's key for its log group: the user's, or the own one. None: AWS-managed keys.
pub(super) fn eks_keys(
    spec: &EnvironmentSpec,
    deps: &Deps<Out>,
) -> Result<(Option<EksSpec>, Option<String>), PartError> {
    let cluster = match &spec.eks {
        Some(e) if spec.eks_uses_own_key() => {
            let mut e = e.clone();
            e.kms_key_arn = Some(own_key_arn(deps)?);
            Some(e)
        }
        other => other.clone(),
    };
    let environment_key = match &spec.encryption.given {
        Some(given) => Some(given.clone()),
        None if spec.has_own_key() => Some(own_key_arn(deps)?),
        None => None,
    };
    Ok((cluster, environment_key))
}

/// A copy of a data service's input with the key it is created with.
pub(super) fn with_data_key<T: Clone>(
    service: &T,
    spec: &EnvironmentSpec,
    deps: &Deps<Out>,
    key: impl Fn(&mut T) -> &mut crate::aws::kms::DataKey,
) -> Result<T, PartError> {
    let own = match data_uses_own_key(spec) {
        true => Some(own_key_arn(deps)?),
        false => None,
    };
    let mut s = service.clone();
    key(&mut s).arn = secrets_key(spec, own.as_deref());
    Ok(s)
}

/// The customer-managed key of the environment's data and secrets, given the own key's ARN
/// when it is known (a workload reading the secrets needs kms:Decrypt on it). None:
/// AWS-managed keys.
pub(in crate::resources::environment) fn secrets_key(
    spec: &EnvironmentSpec,
    own: Option<&str>,
) -> Option<String> {
    match &spec.encryption.given {
        Some(given) => Some(given.clone()),
        None if data_uses_own_key(spec) => own.map(str::to_string),
        None => None,
    }
}
