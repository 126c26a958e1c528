//! Changing EKS add-ons: CreateAddon (retried while a Pod Identity role propagates through
//! IAM), UpdateAddon of version, configuration values and Pod Identity associations (awaited
//! through DescribeUpdate, then the add-on's status), DeleteAddon and its wait.

use std::collections::BTreeMap;

use aws_sdk_eks::operation::create_addon::CreateAddonError;
use aws_sdk_eks::operation::delete_addon::DeleteAddonError;
use aws_sdk_eks::types::{
    Addon, AddonPodIdentityAssociations, ResolveConflicts, Update, UpdateStatus,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::super::errors;
use super::super::wait::AwsKind;
use super::addons::{
    find_addon, status_of, wait_addon_active, AddonTarget, ADDON_POLL, ADDON_UPDATED, ADDON_WAIT,
};
use super::{iam_propagating, IAM_PROPAGATION_WAIT, SERVICE};
use crate::engine::{PartError, Poll};

/// What EKS answers (InvalidParameterException) for a Pod Identity role it cannot assume:
/// a role created moments ago and not visible to EKS yet, until IAM propagates it.
const POD_ROLE_NOT_ASSUMABLE: &str = "Trust policy of the role provided is invalid";

/// What an add-on should be.
pub(super) struct Want<'a> {
    pub version: &'a str,
    pub configuration: Option<&'a str>,
    /// (service account, role ARN) of each Pod Identity association.
    pub associations: &'a [(String, String)],
    pub tags: &'a BTreeMap<String, String>,
}

fn associations(want: &Want<'_>) -> Option<Vec<AddonPodIdentityAssociations>> {
    if want.associations.is_empty() {
        return None;
    }
    let list = want.associations.iter().filter_map(|(sa, role)| {
        AddonPodIdentityAssociations::builder()
            .service_account(sa)
            .role_arn(role)
            .build()
            .ok()
    });
    Some(list.collect())
}

/// True when two configuration values say the same: equal as JSON when both parse, else
/// equal text; none and empty are the same.
pub(super) fn same_configuration(want: Option<&str>, have: Option<&str>) -> bool {
    fn norm(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    match (norm(want), norm(have)) {
        (None, None) => true,
        (Some(w), Some(h)) => {
            match (
                serde_json::from_str::<serde_json::Value>(w),
                serde_json::from_str::<serde_json::Value>(h),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => w == h,
            }
        }
        _ => false,
    }
}

/// Creates the add-on. A Pod Identity role created moments ago may not be assumable by EKS
/// yet: that answer is retried for [`IAM_PROPAGATION_WAIT`]; an add-on created meanwhile
/// (an earlier run whose answer was lost) is adopted; any other error fails at once.
pub(super) async fn create_addon(t: &AddonTarget<'_>, want: &Want<'_>) -> Result<(), PartError> {
    let (part, name) = (t.part.as_str(), t.name);
    tracing::info!(part, version = want.version, "creating EKS add-on");
    let req = t
        .env
        .aws
        .eks()
        .create_addon()
        .cluster_name(t.cluster)
        .addon_name(name)
        .addon_version(want.version)
        .resolve_conflicts(ResolveConflicts::Overwrite)
        .set_configuration_values(want.configuration.map(str::to_string))
        .set_pod_identity_associations(associations(want))
        .set_tags(Some(want.tags.clone().into_iter().collect()));
    let req = &req;
    let summary = format!("creating EKS add-on `{name}`");
    let summary = summary.as_str();
    let has_role = !want.associations.is_empty();
    t.env
        .waiter(part, AwsKind::Iam, format!("EKS to accept add-on `{name}`"))
        .timeout(IAM_PROPAGATION_WAIT)
        .until(|| async move {
            match req.clone().send().await {
                Ok(_) => Poll::Ready(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(CreateAddonError::is_resource_in_use_exception) =>
                {
                    match find_addon(t.env, part, t.cluster, name).await {
                        Ok(Some(_)) => Poll::Ready(()),
                        Ok(None) => Poll::Failed(
                            SERVICE
                                .error(part, summary, "CreateAddon", &e)
                                .retryable(true),
                        ),
                        Err(err) => Poll::Failed(err),
                    }
                }
                Err(e) if has_role && role_propagating(&e) => {
                    Poll::Pending("Pod Identity role not propagated yet".into())
                }
                Err(e) => Poll::Failed(SERVICE.error(part, summary, "CreateAddon", &e)),
            }
        })
        .await
        .map_err(PartError::from)
}

fn role_propagating<R>(e: &aws_sdk_eks::error::SdkError<CreateAddonError, R>) -> bool {
    let message = match e.as_service_error() {
        Some(CreateAddonError::InvalidParameterException(x)) => x.message().or(e.message()),
        _ => None,
    };
    message.is_some_and(|m| m.contains(POD_ROLE_NOT_ASSUMABLE)) || iam_propagating(message)
}

/// The changes UpdateAddon must make to `have` (None: it matches).
pub(super) struct AddonChange {
    pub version: Option<String>,
    pub configuration: Option<String>,
    pub associations: bool,
}

impl AddonChange {
    pub fn of(have: &Addon, want: &Want<'_>) -> Option<AddonChange> {
        let version =
            (have.addon_version() != Some(want.version)).then(|| want.version.to_string());
        let configuration = (!same_configuration(want.configuration, have.configuration_values()))
            .then(|| want.configuration.unwrap_or_default().to_string());
        let associations =
            !want.associations.is_empty() && have.pod_identity_associations().is_empty();
        (version.is_some() || configuration.is_some() || associations).then_some(AddonChange {
            version,
            configuration,
            associations,
        })
    }
}

/// Updates the add-on in place when it differs from `want`; returns it as it is then.
pub(super) async fn converge_addon(
    t: &AddonTarget<'_>,
    have: Addon,
    want: &Want<'_>,
) -> Result<Addon, PartError> {
    match AddonChange::of(&have, want) {
        None => Ok(have),
        Some(change) => update_addon(t, &change, want).await,
    }
}

/// UpdateAddon with `change`, then waits for the update and the add-on.
pub(super) async fn update_addon(
    t: &AddonTarget<'_>,
    change: &AddonChange,
    want: &Want<'_>,
) -> Result<Addon, PartError> {
    let (part, name) = (t.part.as_str(), t.name);
    let what = format!("updating EKS add-on `{name}`");
    tracing::info!(part, version = ?change.version, configuration = change.configuration.is_some(), "updating EKS add-on");
    let out = t
        .env
        .aws
        .eks()
        .update_addon()
        .cluster_name(t.cluster)
        .addon_name(name)
        .set_addon_version(change.version.clone())
        .set_configuration_values(change.configuration.clone())
        .set_pod_identity_associations(if change.associations {
            associations(want)
        } else {
            None
        })
        .resolve_conflicts(ResolveConflicts::Overwrite)
        .send()
        .await
        .map_err(|e| SERVICE.error(part, what.as_str(), "UpdateAddon", &e))?;
    if let Some(u) = out.update() {
        wait_addon_update(t, u, &what).await?;
    }
    wait_addon_active(t, &ADDON_UPDATED).await
}

/// "Code: message; ..." of a failed update.
fn update_errors(u: &Update) -> String {
    let errs: Vec<String> = u
        .errors()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e.error_code().map(|c| c.as_str()).unwrap_or("Unknown"),
                e.error_message().unwrap_or("no message")
            )
        })
        .collect();
    if errs.is_empty() {
        "no details".into()
    } else {
        errs.join("; ")
    }
}

/// Waits for an add-on update (DescribeUpdate with the add-on's name) to succeed.
async fn wait_addon_update(t: &AddonTarget<'_>, u: &Update, what: &str) -> Result<(), PartError> {
    let part = t.part.as_str();
    let Some(id) = u.id() else {
        return Ok(()); // no update to follow: the add-on's status tells
    };
    if u.status() == Some(&UpdateStatus::Successful) {
        return Ok(());
    }
    let eks = t.env.aws.eks();
    t.env
        .waiter(part, ADDON_POLL, format!("{what} (update {id})"))
        .timeout(ADDON_WAIT)
        .until(|| async move {
            let req = eks
                .describe_update()
                .name(t.cluster)
                .addon_name(t.name)
                .update_id(id);
            let out = match req.send().await {
                Ok(out) => out,
                Err(e) => return Poll::Failed(SERVICE.error(part, what, "DescribeUpdate", &e)),
            };
            match out.update().and_then(|u| u.status().map(|s| (u, s))) {
                None => Poll::Pending("unknown".into()),
                Some((_, UpdateStatus::Successful)) => Poll::Ready(()),
                Some((_, UpdateStatus::InProgress)) => Poll::Pending("InProgress".into()),
                Some((u, s)) => Poll::Failed(PartError::new(
                    part,
                    what,
                    format!("EKS update {id} {}: {}", s.as_str(), update_errors(u)),
                )),
            }
        })
        .await
        .map_err(PartError::from)
}

/// DeleteAddon; NotFound counts as deleted.
pub(super) async fn delete_addon(t: &AddonTarget<'_>) -> Result<(), PartError> {
    let res = t
        .env
        .aws
        .eks()
        .delete_addon()
        .cluster_name(t.cluster)
        .addon_name(t.name)
        .send()
        .await;
    errors::found(res, DeleteAddonError::is_resource_not_found_exception).map_err(|e| {
        SERVICE.error(
            &t.part,
            format!("deleting EKS add-on `{}`", t.name),
            "DeleteAddon",
            &e,
        )
    })?;
    tracing::info!(part = %t.part, "deleting EKS add-on");
    Ok(())
}

/// Waits until the add-on is gone.
pub(super) async fn wait_addon_deleted(t: &AddonTarget<'_>) -> Result<(), PartError> {
    let part = t.part.as_str();
    t.env
        .waiter(
            part,
            ADDON_POLL,
            format!("EKS add-on `{}` to be deleted", t.name),
        )
        .timeout(ADDON_WAIT)
        .until(|| async move {
            match find_addon(t.env, part, t.cluster, t.name).await {
                Ok(None) => Poll::Ready(()),
                Ok(Some(a)) => match status_of(&a).as_deref() {
                    Some("DELETING") | None => Poll::Pending("DELETING".into()),
                    Some("DELETE_FAILED") => Poll::Failed(PartError::new(
                        part,
                        format!("deleting EKS add-on `{}`", t.name),
                        format!("DELETE_FAILED: {}", super::addons::health_issues(&a)),
                    )),
                    // Still there and not being deleted: ask again.
                    Some(s) => Poll::Pending(s.to_string()),
                },
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_compare_as_json() {
        assert!(same_configuration(None, Some("")));
        assert!(same_configuration(
            Some(r#"{"replicaCount": 3}"#),
            Some(r#"{ "replicaCount":3 }"#)
        ));
        assert!(!same_configuration(Some(r#"{"replicaCount": 3}"#), None));
        assert!(!same_configuration(
            Some(r#"{"replicaCount": 3}"#),
            Some(r#"{"replicaCount": 2}"#)
        ));
        assert!(same_configuration(Some("a: 1"), Some("a: 1")));
    }
}
