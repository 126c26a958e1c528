//! Which EKS node groups belong to a node group of the configuration, and the name a
//! replacement gets.
//!
//! A node group `NAME` is first created as `{env}-NAME`. When it must be replaced (a change
//! EKS cannot make in place), the new group is created beside the old one under another
//! name, `{env}-NAME-xxxxx` (five hex digits), and the old one is deleted once the new one is
//! ACTIVE (create before destroy). Every node group Mosia creates carries the
//! [`NODE_GROUP_TAG`] `mosia:node-group=NAME`; one created before that tag existed is known
//! by its name `{env}-NAME`. So a run finds every group of `NAME` (both, after a crash
//! between the create and the delete) by listing the cluster's groups and describing those
//! of the base name or the replacement prefix.

use std::collections::BTreeMap;

use aws_sdk_eks::types::Nodegroup;

use super::super::part::{PartEnv, PartId};
use super::node_group::{find_node_group, list_node_groups};
use super::{node_group_name, tag_map, NodeGroupSpec, Scaling, PART};
use crate::engine::PartError;

/// The tag naming the configuration's node group an EKS node group belongs to.
pub const NODE_GROUP_TAG: &str = "mosia:node-group";

/// EKS's limit on a node group name.
const MAX_NAME_LEN: usize = 63;
/// `-` and five hex digits.
const SUFFIX_LEN: usize = 6;

/// Every tag a node group of configuration name `name` carries: the EKS part's ownership
/// and user tags plus [`NODE_GROUP_TAG`], and [`SCALING_TAG`] when an autoscaler owns its
/// desired size (AWS does not record it; import reads it back).
pub(super) fn node_group_tags(
    env: &PartEnv,
    name: &str,
    scaling: Scaling,
) -> BTreeMap<String, String> {
    let mut tags = env.tags_for(PART);
    tags.insert(NODE_GROUP_TAG.into(), name.into());
    if scaling == Scaling::External {
        tags.insert(SCALING_TAG.into(), scaling.as_str().into());
    }
    tags
}

/// `mosia:scaling=external` on a node group whose desired size belongs to an autoscaler.
pub const SCALING_TAG: &str = "mosia:scaling";

/// What replacement names of the node group whose base name is `base` start with (before
/// `-xxxxx`): `base`, cut so a replacement name stays within EKS's 63 characters.
fn replacement_prefix(base: &str) -> &str {
    &base[..base.len().min(MAX_NAME_LEN - SUFFIX_LEN)]
}

/// True when the EKS name `eks_name` may be a group of the node group with base name
/// `base` (the tags decide).
fn candidate(base: &str, eks_name: &str) -> bool {
    eks_name == base
        || eks_name
            .strip_prefix(replacement_prefix(base))
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|hex| {
                hex.len() == SUFFIX_LEN - 1 && hex.chars().all(|c| c.is_ascii_hexdigit())
            })
}

/// The configuration name an EKS node group of this environment belongs to: its
/// [`NODE_GROUP_TAG`], or (created before the tag) its name without `{env}-`. None when it
/// is not this environment's.
pub(super) fn config_name_of(env: &PartEnv, ng: &Nodegroup) -> Option<String> {
    let tags = tag_map(ng.tags());
    if !env.owns(PART, &tags) {
        return None;
    }
    match tags.get(NODE_GROUP_TAG) {
        Some(name) => Some(name.clone()),
        None => ng
            .nodegroup_name()?
            .strip_prefix(&format!("{}-", env.name))
            .map(str::to_string),
    }
}

/// The EKS groups of one node group of the configuration.
#[derive(Debug, Default)]
pub(super) struct FoundGroups {
    /// This environment's groups of the node group.
    pub ours: Vec<Nodegroup>,
    /// The tags of a group that holds the base name `{env}-NAME` and is not this
    /// environment's (ensure refuses it: [`super::super::part::not_ours`]).
    pub foreign_base: Option<BTreeMap<String, String>>,
}

/// The EKS node groups of configuration node group `name` in `cluster` (one
/// ListNodegroups, one DescribeNodegroup per candidate name): groups are counted when
/// their tags say they are `name`'s (or, created before [`NODE_GROUP_TAG`], by the base
/// name).
pub(super) async fn find_node_groups(
    env: &PartEnv,
    part: &PartId,
    cluster: &str,
    name: &str,
) -> Result<FoundGroups, PartError> {
    let base = node_group_name(env, name);
    let listed = list_node_groups(env, cluster).await?.unwrap_or_default();
    let key = part.to_string();
    let mut found = FoundGroups::default();
    for eks_name in listed.iter().filter(|n| candidate(&base, n)) {
        let Some(ng) = find_node_group(env, &key, cluster, eks_name).await? else {
            continue; // deleted between the list and the describe
        };
        match config_name_of(env, &ng) {
            Some(n) if n == name => found.ours.push(ng),
            None if *eks_name == base => found.foreign_base = Some(tag_map(ng.tags())),
            _ => {}
        }
    }
    Ok(found)
}

/// The name for a new group of the node group with base name `base`, not among `taken`
/// (the names of its groups that exist): the base name when free, else a replacement name
/// `{base}-xxxxx` derived from `spec` (the attempt counter moves past a taken one).
pub(super) fn new_group_name(base: &str, spec: &NodeGroupSpec, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    let prefix = replacement_prefix(base);
    (0u32..)
        .map(|attempt| format!("{prefix}-{:05x}", fingerprint(spec, attempt) & 0xfffff))
        .find(|n| !taken.contains(n))
        .expect("an unbounded sequence of names has a free one")
}

/// FNV-1a over what makes a node group need replacing, and `attempt`: a short,
/// stable name suffix.
fn fingerprint(spec: &NodeGroupSpec, attempt: u32) -> u64 {
    let text = format!(
        "{}|{}|{}|{}|{attempt}",
        spec.instance_types.join(","),
        spec.capacity_type.as_str(),
        spec.disk_size_gb,
        spec.ami_type.map(|a| a.as_str()).unwrap_or_default(),
    );
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_the_base_name_and_replacement_names() {
        let base = "mosia-test-general";
        assert!(candidate(base, "mosia-test-general"));
        assert!(candidate(base, "mosia-test-general-0a1b2"));
        assert!(
            !candidate(base, "mosia-test-general-2"),
            "another group's name"
        );
        assert!(!candidate(base, "mosia-test-generalx"));
        assert!(!candidate(base, "mosia-test-batch"));
    }

    #[test]
    fn a_replacement_gets_a_free_name_within_the_eks_limit() {
        let spec = NodeGroupSpec::default();
        let base = "mosia-test-general";
        assert_eq!(new_group_name(base, &spec, &[]), base);
        let first = new_group_name(base, &spec, &[base.to_string()]);
        assert!(candidate(base, &first) && first != base, "{first}");
        assert_eq!(first, new_group_name(base, &spec, &[base.to_string()]));
        let second = new_group_name(base, &spec, &[base.to_string(), first.clone()]);
        assert!(candidate(base, &second) && second != first, "{second}");
        // The base name is free again once the first group is gone.
        assert_eq!(new_group_name(base, &spec, &[first]), base);

        let long = format!("{}-{}", "e".repeat(28), "g".repeat(32));
        let name = new_group_name(&long, &spec, std::slice::from_ref(&long));
        assert_eq!(name.len(), MAX_NAME_LEN, "{name}");
        assert!(candidate(&long, &name), "{name}");
    }
}
