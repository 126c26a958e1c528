//! Converging the cluster's access entries ([`ensure_access_entries`]): create the missing
//! ones, associate each with its configured policy and scope and drop its other policies,
//! delete the entries this environment created that are no longer configured. See
//! [`super::access`] for ownership and adoption.

use std::collections::BTreeMap;

use aws_sdk_eks::operation::create_access_entry::CreateAccessEntryError;
use aws_sdk_eks::operation::delete_access_entry::DeleteAccessEntryError;
use aws_sdk_eks::types::{AccessScope, AccessScopeType};

use super::super::part::{PartEnv, PartId};
use super::access::{
    access_error, describe_entries, find_access_entry, list_associations, AccessEntryState,
    AccessState, Association, FoundEntry, ListRefused, ACCESS_ENTRY_TAG,
};
use super::{AccessEntrySpec, EksClusterState, EksSpec, PART};
use crate::aws::errors;
use crate::engine::PartError;

/// What to do with the cluster's access entries.
#[derive(Debug, PartialEq)]
pub(super) struct EntryPlan<'a> {
    /// Each configured entry, with the entry its principal already has (Mosia's or adopted).
    pub converge: Vec<(&'a str, &'a AccessEntrySpec, Option<&'a FoundEntry>)>,
    /// Entries this environment created whose principal is no longer configured.
    pub delete: Vec<&'a FoundEntry>,
}

/// Matches the configured entries with the entries found, by principal (EKS keeps one
/// entry per principal): an entry of a configured principal is converged whoever made it;
/// one this environment created for a principal no longer configured is deleted; every
/// other entry is not Mosia's and is left alone.
pub(super) fn plan_entries<'a>(
    env: &PartEnv,
    configured: &'a BTreeMap<String, AccessEntrySpec>,
    found: &'a [FoundEntry],
) -> EntryPlan<'a> {
    let converge = configured
        .iter()
        .map(|(name, spec)| {
            let existing = found.iter().find(|e| e.principal_arn == spec.principal_arn);
            (name.as_str(), spec, existing)
        })
        .collect();
    let delete = found
        .iter()
        .filter(|e| e.owned_name(env).is_some())
        .filter(|e| {
            !configured
                .values()
                .any(|s| s.principal_arn == e.principal_arn)
        })
        .collect();
    EntryPlan { converge, delete }
}

/// The association calls that bring an entry's policies to `want`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct PolicyChanges {
    /// The wanted policy is missing or has another scope (associating it again replaces
    /// the scope).
    pub associate: bool,
    /// Every other policy on the entry (added by hand, or the previously configured one).
    pub disassociate: Vec<String>,
}

pub(super) fn policy_changes(have: &[Association], want: &Association) -> PolicyChanges {
    PolicyChanges {
        associate: !have.contains(want),
        disassociate: have
            .iter()
            .filter(|a| a.policy_arn != want.policy_arn)
            .map(|a| a.policy_arn.clone())
            .collect(),
    }
}

/// The tags of the entry Mosia creates for `access_entry "name"`.
pub(super) fn entry_tags(env: &PartEnv, name: &str) -> BTreeMap<String, String> {
    let mut tags = env.tags_for(PART);
    tags.insert(ACCESS_ENTRY_TAG.to_string(), name.to_string());
    tags
}

/// Converges the access entries of `cluster` to `spec.access_entries`. A cluster in
/// `CONFIG_MAP` mode has no entries: fine when none are configured, an error naming
/// `authentication_mode` otherwise.
pub async fn ensure_access_entries(
    env: &PartEnv,
    spec: &EksSpec,
    cluster: &EksClusterState,
) -> Result<AccessState, PartError> {
    let name = cluster.name.as_str();
    let found = match describe_entries(env, name).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(PartError::new(
                &PartId::EksAccess,
                format!("managing the access entries of EKS cluster `{name}`"),
                "the cluster does not exist (deleted while the apply ran?)",
            ))
        }
        Err(ListRefused::ConfigMapMode(_)) if spec.access_entries.is_empty() => {
            return Ok(AccessState::default())
        }
        Err(ListRefused::ConfigMapMode(e) | ListRefused::Failed(e)) => return Err(e),
    };
    let plan = plan_entries(env, &spec.access_entries, &found);
    let entries = futures::future::try_join_all(
        plan.converge
            .iter()
            .map(|(entry, s, existing)| ensure_entry(env, name, entry, s, *existing)),
    )
    .await?;
    futures::future::try_join_all(plan.delete.iter().map(|e| delete_entry(env, name, e))).await?;
    Ok(AccessState {
        entries: entries.into_iter().collect(),
    })
}

/// One configured entry: created when missing (or adopted), its tags and policy converged.
async fn ensure_entry(
    env: &PartEnv,
    cluster: &str,
    name: &str,
    spec: &AccessEntrySpec,
    existing: Option<&FoundEntry>,
) -> Result<(String, AccessEntryState), PartError> {
    let (entry, fresh) = match existing {
        Some(e) => (e.clone(), false),
        None => create_entry(env, cluster, name, spec).await?,
    };
    if entry.entry_type != "STANDARD" {
        return Err(not_standard(cluster, name, &entry));
    }
    let owned = entry.owned_name(env).is_some();
    if owned {
        tag_entry(env, cluster, name, &entry).await?;
    }
    // A new entry has no policies yet.
    let have = if fresh {
        Vec::new()
    } else {
        list_associations(env, cluster, &spec.principal_arn).await?
    };
    let want = Association::wanted(spec);
    let changes = policy_changes(&have, &want);
    // Associate first: the principal never goes without its access.
    if changes.associate {
        associate(env, cluster, name, spec).await?;
    }
    for policy in &changes.disassociate {
        disassociate(env, cluster, name, &spec.principal_arn, policy).await?;
    }
    Ok((
        name.to_string(),
        AccessEntryState {
            principal_arn: spec.principal_arn.clone(),
            access_entry_arn: entry.arn,
            policy: Some(spec.policy),
            namespaces: spec.namespaces.clone(),
            owned,
        },
    ))
}

fn not_standard(cluster: &str, name: &str, entry: &FoundEntry) -> PartError {
    PartError::new(
        &PartId::EksAccess,
        format!("access_entry {name:?}"),
        format!(
            "principal `{}` already has an access entry of type {} on EKS cluster \
             `{cluster}` (EKS makes EC2_LINUX entries for node roles), and EKS associates \
             access policies only with STANDARD entries: give this access_entry another \
             role or user",
            entry.principal_arn, entry.entry_type
        ),
    )
}

/// CreateAccessEntry (type STANDARD, Mosia's tags); true with the entry when it was
/// created now, false when it appeared meanwhile (ResourceInUseException).
async fn create_entry(
    env: &PartEnv,
    cluster: &str,
    name: &str,
    spec: &AccessEntrySpec,
) -> Result<(FoundEntry, bool), PartError> {
    let principal = spec.principal_arn.as_str();
    tracing::info!(part = %PartId::EksAccess, entry = name, principal, "creating access entry");
    let sent = env
        .aws
        .eks()
        .create_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .r#type("STANDARD")
        .set_tags(Some(entry_tags(env, name).into_iter().collect()))
        .send()
        .await;
    let summary = || format!("access_entry {name:?}: creating the access entry of `{principal}`");
    match sent {
        Ok(out) => {
            let entry = out.access_entry.ok_or_else(|| {
                PartError::new(
                    &PartId::EksAccess,
                    summary(),
                    "EKS CreateAccessEntry answered without the entry",
                )
            })?;
            Ok((FoundEntry::of(&entry), true))
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateAccessEntryError::is_resource_in_use_exception) =>
        {
            let found = find_access_entry(env, cluster, principal).await?;
            let entry =
                found.ok_or_else(|| access_error(cluster, summary(), "CreateAccessEntry", &e))?;
            Ok((entry, false))
        }
        Err(e) => Err(access_error(cluster, summary(), "CreateAccessEntry", &e)),
    }
}

/// Adds the tags of Mosia's entry that differ (a renamed block, changed user tags); keys
/// others added are kept.
async fn tag_entry(
    env: &PartEnv,
    cluster: &str,
    name: &str,
    entry: &FoundEntry,
) -> Result<(), PartError> {
    let missing: BTreeMap<String, String> = entry_tags(env, name)
        .into_iter()
        .filter(|(k, v)| entry.tags.get(k) != Some(v))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    env.aws
        .eks()
        .tag_resource()
        .resource_arn(&entry.arn)
        .set_tags(Some(missing.into_iter().collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            access_error(
                cluster,
                format!("access_entry {name:?}: tagging the access entry"),
                "TagResource",
                &e,
            )
        })
}

/// AssociateAccessPolicy with the configured policy, cluster-wide or in the namespaces.
async fn associate(
    env: &PartEnv,
    cluster: &str,
    name: &str,
    spec: &AccessEntrySpec,
) -> Result<(), PartError> {
    let scope = if spec.namespaces.is_empty() {
        AccessScope::builder().r#type(AccessScopeType::Cluster)
    } else {
        AccessScope::builder()
            .r#type(AccessScopeType::Namespace)
            .set_namespaces(Some(spec.namespaces.iter().cloned().collect()))
    };
    env.aws
        .eks()
        .associate_access_policy()
        .cluster_name(cluster)
        .principal_arn(&spec.principal_arn)
        .policy_arn(spec.policy.arn())
        .access_scope(scope.build())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            access_error(
                cluster,
                format!(
                    "access_entry {name:?}: associating policy `{}`",
                    spec.policy
                ),
                "AssociateAccessPolicy",
                &e,
            )
        })
}

async fn disassociate(
    env: &PartEnv,
    cluster: &str,
    name: &str,
    principal: &str,
    policy_arn: &str,
) -> Result<(), PartError> {
    tracing::info!(part = %PartId::EksAccess, entry = name, policy_arn, "removing access policy");
    env.aws
        .eks()
        .disassociate_access_policy()
        .cluster_name(cluster)
        .principal_arn(principal)
        .policy_arn(policy_arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            access_error(
                cluster,
                format!("access_entry {name:?}: removing access policy `{policy_arn}`"),
                "DisassociateAccessPolicy",
                &e,
            )
        })
}

/// DeleteAccessEntry of an entry Mosia created; gone already counts as deleted.
async fn delete_entry(env: &PartEnv, cluster: &str, entry: &FoundEntry) -> Result<(), PartError> {
    let name = entry.owned_name(env).unwrap_or_default();
    tracing::info!(part = %PartId::EksAccess, entry = name, "deleting access entry");
    let req = env
        .aws
        .eks()
        .delete_access_entry()
        .cluster_name(cluster)
        .principal_arn(&entry.principal_arn);
    errors::found(
        req.send().await,
        DeleteAccessEntryError::is_resource_not_found_exception,
    )
    .map(|_| ())
    .map_err(|e| {
        access_error(
            cluster,
            format!(
                "deleting the access entry of `{}` (access_entry {name:?}, removed from the \
                 configuration)",
                entry.principal_arn
            ),
            "DeleteAccessEntry",
            &e,
        )
    })
}
