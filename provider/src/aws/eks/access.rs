//! The cluster's access entries and their access policies ([`PartId::EksAccess`]): who may
//! use the Kubernetes API. Each `access_entry` is one EKS access entry (type `STANDARD`)
//! for its principal plus one access-policy association with cluster or namespace scope.
//!
//! Ownership. An entry Mosia creates carries the environment's ownership tags and
//! `mosia:access-entry = NAME` (its configuration name, so import can rebuild the block).
//! Only such entries are deleted when their block is removed. Every other entry is left
//! alone: the creator's bootstrap entry (`creator_admin`), the `EC2_LINUX` entry EKS makes
//! for the node role, entries made by hand or by other tools.
//!
//! Adoption. When a configured principal already has an entry Mosia did not make (e.g. the
//! creator's bootstrap entry, when the creator's role is also listed), Mosia adopts it for
//! the policy: it associates the configured policy and scope and removes the entry's other
//! policies, but does not tag it and never deletes it. Removing such a block leaves the entry
//! and its policies as they are (Mosia cannot tell what was there before it); import does not
//! rebuild it (it has no name tag), and the apply after the import adopts it again.
//!
//! DeleteCluster removes the entries with the cluster: the part has no delete of its own.
//!
//! - this file: the state, finding and reading entries ([`read_access_entries`]);
//! - [`super::access_ensure`]: converging them ([`super::ensure_access_entries`]).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_eks::operation::describe_access_entry::DescribeAccessEntryError;
use aws_sdk_eks::operation::list_access_entries::ListAccessEntriesError;
use aws_sdk_eks::types::{AccessEntry, AccessScopeType, AssociatedAccessPolicy};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::super::part::{PartEnv, PartId};
use super::{tag_map, AccessEntrySpec, AccessPolicy, PART, SERVICE};
use crate::aws::errors;
use crate::engine::PartError;

/// The tag naming the `access_entry` block an entry Mosia created belongs to.
pub const ACCESS_ENTRY_TAG: &str = "mosia:access-entry";

/// The access entries of the configuration, by name, as they are in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessState {
    pub entries: BTreeMap<String, AccessEntryState>,
}

impl AccessState {
    /// Each entry's ARN by name (`access_entry_arns`).
    pub fn arns(&self) -> BTreeMap<String, String> {
        self.entries
            .iter()
            .map(|(name, e)| (name.clone(), e.access_entry_arn.clone()))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntryState {
    pub principal_arn: String,
    pub access_entry_arn: String,
    /// The one access policy associated with the entry; None when it has none, several, or
    /// only a policy other than the four Mosia knows (drift the next apply repairs).
    pub policy: Option<AccessPolicy>,
    /// The policy's namespaces; empty: cluster-wide.
    pub namespaces: BTreeSet<String>,
    /// True when Mosia created the entry (its ownership tags); false for an adopted one.
    pub owned: bool,
}

/// An access entry as DescribeAccessEntry shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FoundEntry {
    pub principal_arn: String,
    pub arn: String,
    /// `STANDARD`, `EC2_LINUX`, ...
    pub entry_type: String,
    pub tags: BTreeMap<String, String>,
}

impl FoundEntry {
    pub fn of(e: &AccessEntry) -> FoundEntry {
        FoundEntry {
            principal_arn: e.principal_arn().unwrap_or_default().to_string(),
            arn: e.access_entry_arn().unwrap_or_default().to_string(),
            entry_type: e.r#type().unwrap_or("STANDARD").to_string(),
            tags: tag_map(e.tags()),
        }
    }

    /// The configuration name of an entry this environment created; None for any other.
    pub fn owned_name<'a>(&'a self, env: &PartEnv) -> Option<&'a str> {
        env.owns(PART, &self.tags)
            .then(|| self.tags.get(ACCESS_ENTRY_TAG).map(String::as_str))
            .flatten()
    }
}

/// One access-policy association: the policy ARN and its scope (empty: cluster-wide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Association {
    pub policy_arn: String,
    pub namespaces: BTreeSet<String>,
}

impl Association {
    fn of(p: &AssociatedAccessPolicy) -> Association {
        let scope = p.access_scope();
        let namespaced = scope.and_then(|s| s.r#type()) == Some(&AccessScopeType::Namespace);
        Association {
            policy_arn: p.policy_arn().unwrap_or_default().to_string(),
            namespaces: if namespaced {
                scope.map(|s| s.namespaces().iter().cloned().collect())
            } else {
                None
            }
            .unwrap_or_default(),
        }
    }

    /// The association an `access_entry` asks for.
    pub fn wanted(spec: &AccessEntrySpec) -> Association {
        Association {
            policy_arn: spec.policy.arn().to_string(),
            namespaces: spec.namespaces.clone(),
        }
    }
}

/// What a failed EKS call means for the part: the refusal of a cluster in `CONFIG_MAP`
/// mode, or the call's own error.
pub(super) fn access_error<E, R>(
    cluster: &str,
    summary: impl Into<String>,
    op: &str,
    err: &SdkError<E, R>,
) -> PartError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + errors::HttpStatus,
{
    let e = SERVICE.error(&PartId::EksAccess, summary, op, err);
    if refused_for_mode(err) {
        return PartError::new(
            &PartId::EksAccess,
            format!("managing the access entries of EKS cluster `{cluster}`"),
            format!(
                "the cluster's authentication mode is CONFIG_MAP (the aws-auth ConfigMap \
                 only), and EKS serves access entries only in API or API_AND_CONFIG_MAP mode: \
                 set eks.authentication_mode to \"API_AND_CONFIG_MAP\" or \"API\" (EKS moves a \
                 cluster towards API in place), or remove the access_entry blocks. {}",
                e.detail
            ),
        );
    }
    e
}

/// True for EKS's refusal of an access-entry call on a cluster in `CONFIG_MAP` mode
/// (InvalidRequestException "The cluster's authentication mode must be set to one of
/// [API, API_AND_CONFIG_MAP] to perform this operation.").
pub(super) fn refused_for_mode<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    let SdkError::ServiceError(e) = err else {
        return false;
    };
    e.err().code() == Some("InvalidRequestException")
        && e.err()
            .message()
            .is_some_and(|m| m.contains("authentication mode"))
}

/// Why the access entries of a cluster could not be listed.
pub(super) enum ListRefused {
    /// The cluster is in `CONFIG_MAP` mode: it has no access entries to list.
    ConfigMapMode(PartError),
    Failed(PartError),
}

/// The principal ARNs of the cluster's access entries (ListAccessEntries, every page);
/// None when the cluster does not exist.
pub(super) async fn list_access_entries(
    env: &PartEnv,
    cluster: &str,
) -> Result<Option<Vec<String>>, ListRefused> {
    let mut principals = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = env
            .aws
            .eks()
            .list_access_entries()
            .cluster_name(cluster)
            .set_next_token(token);
        let out = match errors::found(
            req.send().await,
            ListAccessEntriesError::is_resource_not_found_exception,
        ) {
            Ok(Some(out)) => out,
            Ok(None) => return Ok(None),
            Err(e) => {
                let err = access_error(
                    cluster,
                    format!("listing the access entries of EKS cluster `{cluster}`"),
                    "ListAccessEntries",
                    &e,
                );
                return Err(if refused_for_mode(&e) {
                    ListRefused::ConfigMapMode(err)
                } else {
                    ListRefused::Failed(err)
                });
            }
        };
        principals.extend(out.access_entries().iter().cloned());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(Some(principals));
        }
    }
}

/// The access entry of `principal` on `cluster` (one DescribeAccessEntry); None when it
/// (or the cluster) does not exist.
pub(super) async fn find_access_entry(
    env: &PartEnv,
    cluster: &str,
    principal: &str,
) -> Result<Option<FoundEntry>, PartError> {
    let req = env
        .aws
        .eks()
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal);
    let out = errors::found(
        req.send().await,
        DescribeAccessEntryError::is_resource_not_found_exception,
    )
    .map_err(|e| {
        access_error(
            cluster,
            format!("reading the access entry of `{principal}`"),
            "DescribeAccessEntry",
            &e,
        )
    })?;
    Ok(out.and_then(|o| o.access_entry).map(|e| FoundEntry::of(&e)))
}

/// The access policies associated with `principal`'s entry (ListAssociatedAccessPolicies,
/// every page).
pub(super) async fn list_associations(
    env: &PartEnv,
    cluster: &str,
    principal: &str,
) -> Result<Vec<Association>, PartError> {
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = env
            .aws
            .eks()
            .list_associated_access_policies()
            .cluster_name(cluster)
            .principal_arn(principal)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                access_error(
                    cluster,
                    format!("reading the access policies of `{principal}`"),
                    "ListAssociatedAccessPolicies",
                    &e,
                )
            })?;
        found.extend(out.associated_access_policies().iter().map(Association::of));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(found);
        }
    }
}

/// Every access entry of the cluster, described; None when the cluster does not exist,
/// empty when it is in `CONFIG_MAP` mode and so has none.
pub(super) async fn describe_entries(
    env: &PartEnv,
    cluster: &str,
) -> Result<Option<Vec<FoundEntry>>, ListRefused> {
    let Some(principals) = list_access_entries(env, cluster).await? else {
        return Ok(None);
    };
    let described = futures::future::try_join_all(
        principals
            .iter()
            .map(|p| find_access_entry(env, cluster, p)),
    )
    .await
    .map_err(ListRefused::Failed)?;
    Ok(Some(described.into_iter().flatten().collect()))
}

/// The entry's state from its association(s).
pub(super) fn entry_state(
    entry: &FoundEntry,
    associations: &[Association],
    owned: bool,
) -> AccessEntryState {
    let single = match associations {
        [one] => AccessPolicy::from_arn(&one.policy_arn).map(|p| (p, one.namespaces.clone())),
        _ => None,
    };
    AccessEntryState {
        principal_arn: entry.principal_arn.clone(),
        access_entry_arn: entry.arn.clone(),
        policy: single.as_ref().map(|(p, _)| *p),
        namespaces: single.map(|(_, ns)| ns).unwrap_or_default(),
        owned,
    }
}

/// The configuration name of each entry to read: the entries this environment created
/// (name from their tag) and the entries of `configured` principals it adopted.
pub(super) fn named_entries<'a>(
    env: &PartEnv,
    found: &'a [FoundEntry],
    configured: &BTreeMap<String, AccessEntrySpec>,
) -> BTreeMap<String, (&'a FoundEntry, bool)> {
    let mut named = BTreeMap::new();
    for entry in found {
        if let Some(name) = entry.owned_name(env) {
            named.insert(name.to_string(), (entry, true));
        }
    }
    for (name, spec) in configured {
        let adopted = found
            .iter()
            .find(|e| e.principal_arn == spec.principal_arn && e.owned_name(env).is_none());
        if let Some(entry) = adopted {
            named.entry(name.clone()).or_insert((entry, false));
        }
    }
    named
}

/// The access entries of `cluster` as they are (refresh and import): those this environment
/// created, by the name in their tag, and those of the `configured` principals it adopted
/// (empty for an import). One ListAccessEntries, one DescribeAccessEntry per entry (tags
/// tell Mosia's), one ListAssociatedAccessPolicies per entry of the result. None when the
/// cluster does not exist; no entries when it is in `CONFIG_MAP` mode.
pub async fn read_access_entries(
    env: &PartEnv,
    cluster: &str,
    configured: &BTreeMap<String, AccessEntrySpec>,
) -> Result<Option<AccessState>, PartError> {
    let found = match describe_entries(env, cluster).await {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(None),
        Err(ListRefused::ConfigMapMode(_)) => return Ok(Some(AccessState::default())),
        Err(ListRefused::Failed(e)) => return Err(e),
    };
    let named = named_entries(env, &found, configured);
    let read =
        futures::future::try_join_all(named.into_iter().map(|(name, (entry, owned))| async move {
            let associations = list_associations(env, cluster, &entry.principal_arn).await?;
            Ok::<_, PartError>((name, entry_state(entry, &associations, owned)))
        }))
        .await?;
    Ok(Some(AccessState {
        entries: read.into_iter().collect(),
    }))
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
