//! Access entries against mocked EKS answers: create and associate, scopes, drift repaired,
//! removal, foreign entries, refusals.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_eks::operation::associate_access_policy::{
    AssociateAccessPolicyInput, AssociateAccessPolicyOutput,
};
use aws_sdk_eks::operation::create_access_entry::{
    CreateAccessEntryError, CreateAccessEntryInput, CreateAccessEntryOutput,
};
use aws_sdk_eks::operation::delete_access_entry::{
    DeleteAccessEntryInput, DeleteAccessEntryOutput,
};
use aws_sdk_eks::operation::describe_access_entry::DescribeAccessEntryOutput;
use aws_sdk_eks::operation::disassociate_access_policy::{
    DisassociateAccessPolicyInput, DisassociateAccessPolicyOutput,
};
use aws_sdk_eks::operation::list_access_entries::ListAccessEntriesOutput;
use aws_sdk_eks::operation::list_associated_access_policies::ListAssociatedAccessPoliciesOutput;
use aws_sdk_eks::types::error::{InvalidParameterException, InvalidRequestException};
use aws_sdk_eks::types::{AccessEntry, AccessScope, AssociatedAccessPolicy, ClusterStatus};
use aws_smithy_mocks::{mock, Rule};

use super::super::access_ensure::{plan_entries, policy_changes, PolicyChanges};
use super::super::cluster::cluster_state;
use super::super::test_support::{cluster, env, owned_tags};
use super::super::{ensure_access_entries, EksClusterState, EksSpec};
use super::*;

const CLUSTER: &str = "mosia-test-eks";
const ADMINS: &str = "arn:aws:iam::123456789012:role/PlatformAdmins";
const CI: &str = "arn:aws:iam::123456789012:role/ci-deployer";
const CREATOR: &str = "arn:aws:iam::123456789012:role/creator";
const NODES: &str = "arn:aws:iam::123456789012:role/mosia-test-eks-node";
const MODE_MESSAGE: &str = "The cluster's authentication mode must be set to one of [API, \
                            API_AND_CONFIG_MAP] to perform this operation.";

/// The error metadata EKS's answer carries (its code and message).
fn aws_meta(code: &str, message: &str) -> aws_smithy_types::error::ErrorMetadata {
    aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .message(message)
        .build()
}

fn entry_spec(principal: &str, policy: AccessPolicy, namespaces: &[&str]) -> AccessEntrySpec {
    AccessEntrySpec {
        principal_arn: principal.to_string(),
        policy,
        namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
    }
}

fn spec_of(entries: &[(&str, AccessEntrySpec)]) -> EksSpec {
    EksSpec {
        access_entries: entries
            .iter()
            .map(|(n, s)| (n.to_string(), s.clone()))
            .collect(),
        ..Default::default()
    }
}

fn arn_of(principal: &str) -> String {
    let name = principal.rsplit('/').next().unwrap_or_default();
    format!("arn:aws:eks:us-east-1:123456789012:access-entry/{CLUSTER}/role/123456789012/{name}/x")
}

/// Mosia's tags for `access_entry "name"`.
fn mosia_tags(name: &str) -> HashMap<String, String> {
    let mut t = owned_tags();
    t.insert(ACCESS_ENTRY_TAG.into(), name.into());
    t
}

fn aws_entry(principal: &str, kind: &str, tags: HashMap<String, String>) -> AccessEntry {
    AccessEntry::builder()
        .cluster_name(CLUSTER)
        .principal_arn(principal)
        .access_entry_arn(arn_of(principal))
        .r#type(kind)
        .set_tags(Some(tags))
        .build()
}

fn listing(principals: &[&str]) -> Rule {
    let principals: Vec<String> = principals.iter().map(|p| p.to_string()).collect();
    mock!(aws_sdk_eks::Client::list_access_entries)
        .match_requests(|r| r.cluster_name() == Some(CLUSTER))
        .then_output(move || {
            ListAccessEntriesOutput::builder()
                .set_access_entries(Some(principals.clone()))
                .build()
        })
}

fn described(entry: AccessEntry) -> Rule {
    let principal = entry.principal_arn().unwrap_or_default().to_string();
    mock!(aws_sdk_eks::Client::describe_access_entry)
        .match_requests(move |r| r.principal_arn() == Some(principal.as_str()))
        .then_output(move || {
            DescribeAccessEntryOutput::builder()
                .access_entry(entry.clone())
                .build()
        })
}

/// `principal`'s entry has `policies` (name, namespaces; empty: cluster scope).
fn associated(principal: &'static str, policies: &[(AccessPolicy, &[&str])]) -> Rule {
    let list: Vec<AssociatedAccessPolicy> = policies
        .iter()
        .map(|(p, ns)| {
            let scope = if ns.is_empty() {
                AccessScope::builder().r#type(AccessScopeType::Cluster)
            } else {
                AccessScope::builder()
                    .r#type(AccessScopeType::Namespace)
                    .set_namespaces(Some(ns.iter().map(|n| n.to_string()).collect()))
            };
            AssociatedAccessPolicy::builder()
                .policy_arn(p.arn())
                .access_scope(scope.build())
                .build()
        })
        .collect();
    mock!(aws_sdk_eks::Client::list_associated_access_policies)
        .match_requests(move |r| r.principal_arn() == Some(principal))
        .then_output(move || {
            ListAssociatedAccessPoliciesOutput::builder()
                .set_associated_access_policies(Some(list.clone()))
                .build()
        })
}

/// Rules recording each request of one operation, answering `output`.
macro_rules! recording {
    ($op:ident, $input:ty, $output:expr) => {{
        let sent: Arc<Mutex<Vec<$input>>> = Arc::default();
        let seen = sent.clone();
        let rule = mock!(aws_sdk_eks::Client::$op).then_compute_output(move |req| {
            seen.lock().unwrap().push(req.clone());
            $output
        });
        (rule, sent)
    }};
}

fn create_rule() -> (Rule, Arc<Mutex<Vec<CreateAccessEntryInput>>>) {
    let sent: Arc<Mutex<Vec<CreateAccessEntryInput>>> = Arc::default();
    let seen = sent.clone();
    let rule = mock!(aws_sdk_eks::Client::create_access_entry).then_compute_output(move |req| {
        seen.lock().unwrap().push(req.clone());
        let tags = req.tags().cloned().unwrap_or_default();
        CreateAccessEntryOutput::builder()
            .access_entry(aws_entry(req.principal_arn().unwrap(), "STANDARD", tags))
            .build()
    });
    (rule, sent)
}

fn eks_cluster() -> EksClusterState {
    cluster_state(&cluster(ClusterStatus::Active, owned_tags()))
}

fn scope_of(req: &AssociateAccessPolicyInput) -> (AccessScopeType, Vec<String>) {
    let scope = req.access_scope().unwrap();
    (scope.r#type().unwrap().clone(), scope.namespaces().to_vec())
}

#[tokio::test]
async fn a_missing_entry_is_created_with_its_name_tag_and_associated_cluster_wide() {
    let list = listing(&[]);
    let (create, created) = create_rule();
    let (assoc, associations) = recording!(
        associate_access_policy,
        AssociateAccessPolicyInput,
        AssociateAccessPolicyOutput::builder().build()
    );
    let policies = associated(ADMINS, &[]);
    let env = env(&[&list, &create, &assoc, &policies]);
    let spec = spec_of(&[(
        "platform-admins",
        entry_spec(ADMINS, AccessPolicy::ClusterAdmin, &[]),
    )]);
    let state = ensure_access_entries(&env, &spec, &eks_cluster())
        .await
        .unwrap();

    let created = created.lock().unwrap().clone();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].principal_arn(), Some(ADMINS));
    assert_eq!(created[0].r#type(), Some("STANDARD"));
    let tags = created[0].tags().unwrap();
    assert_eq!(
        tags.get(ACCESS_ENTRY_TAG).map(String::as_str),
        Some("platform-admins")
    );
    assert_eq!(
        tags.get("mosia:environment").map(String::as_str),
        Some("mosia-test")
    );
    assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
    let associations = associations.lock().unwrap().clone();
    assert_eq!(associations.len(), 1);
    assert_eq!(
        associations[0].policy_arn(),
        Some("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")
    );
    assert_eq!(
        scope_of(&associations[0]),
        (AccessScopeType::Cluster, vec![])
    );
    assert_eq!(
        policies.num_calls(),
        0,
        "a new entry has no policies to read"
    );
    let e = &state.entries["platform-admins"];
    assert_eq!(e.access_entry_arn, arn_of(ADMINS));
    assert_eq!(e.policy, Some(AccessPolicy::ClusterAdmin));
    assert!(e.owned);
    assert_eq!(
        state.arns(),
        BTreeMap::from([("platform-admins".to_string(), arn_of(ADMINS))])
    );
}

#[tokio::test]
async fn a_namespace_scoped_entry_is_associated_in_its_namespaces() {
    let list = listing(&[]);
    let (create, _) = create_rule();
    let (assoc, associations) = recording!(
        associate_access_policy,
        AssociateAccessPolicyInput,
        AssociateAccessPolicyOutput::builder().build()
    );
    let env = env(&[&list, &create, &assoc]);
    let spec = spec_of(&[("ci", entry_spec(CI, AccessPolicy::Edit, &["apps", "jobs"]))]);
    let state = ensure_access_entries(&env, &spec, &eks_cluster())
        .await
        .unwrap();
    let associations = associations.lock().unwrap().clone();
    assert_eq!(associations[0].policy_arn(), Some(AccessPolicy::Edit.arn()));
    assert_eq!(
        scope_of(&associations[0]),
        (
            AccessScopeType::Namespace,
            vec!["apps".to_string(), "jobs".to_string()]
        )
    );
    assert_eq!(
        state.entries["ci"].namespaces,
        BTreeSet::from(["apps".to_string(), "jobs".to_string()])
    );
}

#[tokio::test]
async fn a_policy_changed_by_hand_is_restored_and_the_other_one_removed() {
    let list = listing(&[CI]);
    let describe = described(aws_entry(CI, "STANDARD", mosia_tags("ci")));
    // Someone replaced `edit` in `apps` with cluster-wide `view`.
    let policies = associated(CI, &[(AccessPolicy::View, &[])]);
    let (create, created) = create_rule();
    let (assoc, associations) = recording!(
        associate_access_policy,
        AssociateAccessPolicyInput,
        AssociateAccessPolicyOutput::builder().build()
    );
    let (disassoc, removed) = recording!(
        disassociate_access_policy,
        DisassociateAccessPolicyInput,
        DisassociateAccessPolicyOutput::builder().build()
    );
    let env = env(&[&list, &describe, &policies, &create, &assoc, &disassoc]);
    let spec = spec_of(&[("ci", entry_spec(CI, AccessPolicy::Edit, &["apps"]))]);
    ensure_access_entries(&env, &spec, &eks_cluster())
        .await
        .unwrap();
    assert!(created.lock().unwrap().is_empty(), "the entry is kept");
    let associations = associations.lock().unwrap().clone();
    assert_eq!(associations.len(), 1);
    assert_eq!(associations[0].policy_arn(), Some(AccessPolicy::Edit.arn()));
    let removed = removed.lock().unwrap().clone();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].policy_arn(), Some(AccessPolicy::View.arn()));
    assert_eq!(removed[0].principal_arn(), Some(CI));
}

#[tokio::test]
async fn an_entry_as_configured_needs_no_change() {
    let list = listing(&[CI]);
    let describe = described(aws_entry(CI, "STANDARD", mosia_tags("ci")));
    let policies = associated(CI, &[(AccessPolicy::Edit, &["apps"])]);
    let env = env(&[&list, &describe, &policies]);
    let spec = spec_of(&[("ci", entry_spec(CI, AccessPolicy::Edit, &["apps"]))]);
    let state = ensure_access_entries(&env, &spec, &eks_cluster())
        .await
        .unwrap();
    assert_eq!(state.entries["ci"].policy, Some(AccessPolicy::Edit));
    assert_eq!(policies.num_calls(), 1);
}

#[tokio::test]
async fn an_entry_removed_from_the_configuration_is_deleted_and_foreign_ones_are_left_alone() {
    let list = listing(&[CI, CREATOR, NODES]);
    let ours = described(aws_entry(CI, "STANDARD", mosia_tags("ci")));
    // The creator's bootstrap entry and the node role's entry: no Mosia tags.
    let creator = described(aws_entry(CREATOR, "STANDARD", HashMap::new()));
    let nodes = described(aws_entry(NODES, "EC2_LINUX", HashMap::new()));
    let (delete, deleted) = recording!(
        delete_access_entry,
        DeleteAccessEntryInput,
        DeleteAccessEntryOutput::builder().build()
    );
    let env = env(&[&list, &ours, &creator, &nodes, &delete]);
    let state = ensure_access_entries(&env, &spec_of(&[]), &eks_cluster())
        .await
        .unwrap();
    assert!(state.entries.is_empty());
    let deleted = deleted.lock().unwrap().clone();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].principal_arn(), Some(CI));
    assert_eq!(deleted[0].cluster_name(), Some(CLUSTER));
}

#[tokio::test]
async fn the_creators_entry_is_adopted_for_its_policy_but_not_tagged() {
    let list = listing(&[CREATOR]);
    let creator = described(aws_entry(CREATOR, "STANDARD", HashMap::new()));
    let policies = associated(CREATOR, &[(AccessPolicy::ClusterAdmin, &[])]);
    let (create, created) = create_rule();
    let (tag, tagged) = recording!(
        tag_resource,
        aws_sdk_eks::operation::tag_resource::TagResourceInput,
        aws_sdk_eks::operation::tag_resource::TagResourceOutput::builder().build()
    );
    let (assoc, associations) = recording!(
        associate_access_policy,
        AssociateAccessPolicyInput,
        AssociateAccessPolicyOutput::builder().build()
    );
    let (disassoc, removed) = recording!(
        disassociate_access_policy,
        DisassociateAccessPolicyInput,
        DisassociateAccessPolicyOutput::builder().build()
    );
    let env = env(&[&list, &creator, &policies, &create, &tag, &assoc, &disassoc]);
    let spec = spec_of(&[("ops", entry_spec(CREATOR, AccessPolicy::View, &[]))]);
    let state = ensure_access_entries(&env, &spec, &eks_cluster())
        .await
        .unwrap();
    assert!(created.lock().unwrap().is_empty());
    assert!(tagged.lock().unwrap().is_empty(), "not Mosia's: not tagged");
    assert_eq!(associations.lock().unwrap().len(), 1);
    assert_eq!(
        removed.lock().unwrap()[0].policy_arn(),
        Some(AccessPolicy::ClusterAdmin.arn())
    );
    assert!(!state.entries["ops"].owned);

    // Removed from the configuration: the adopted entry stays.
    let (delete, deleted) = recording!(
        delete_access_entry,
        DeleteAccessEntryInput,
        DeleteAccessEntryOutput::builder().build()
    );
    let env2 = super::super::test_support::env(&[&list, &creator, &delete]);
    ensure_access_entries(&env2, &spec_of(&[]), &eks_cluster())
        .await
        .unwrap();
    assert!(deleted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_principal_that_does_not_exist_fails_at_once_with_awss_words() {
    let list = listing(&[]);
    let create = mock!(aws_sdk_eks::Client::create_access_entry).then_error(|| {
        CreateAccessEntryError::InvalidParameterException(
            InvalidParameterException::builder()
                .message("The specified principalArn is invalid: invalid principal.")
                .meta(aws_meta(
                    "InvalidParameterException",
                    "The specified principalArn is invalid: invalid principal.",
                ))
                .build(),
        )
    });
    let env = env(&[&list, &create]);
    let spec = spec_of(&[("ci", entry_spec(CI, AccessPolicy::Edit, &[]))]);
    let err = ensure_access_entries(&env, &spec, &eks_cluster())
        .await
        .unwrap_err();
    assert_eq!(create.num_calls(), 1, "not retried");
    assert!(!err.retryable);
    assert_eq!(err.part, "eks.access");
    assert!(
        err.summary.contains("access_entry \"ci\""),
        "{}",
        err.summary
    );
    assert_eq!(
        err.detail,
        "EKS CreateAccessEntry: InvalidParameterException: The specified principalArn is \
         invalid: invalid principal."
    );
}

#[tokio::test]
async fn a_config_map_cluster_refuses_entries_with_a_word_on_authentication_mode() {
    let refused = mock!(aws_sdk_eks::Client::list_access_entries).then_error(|| {
        aws_sdk_eks::operation::list_access_entries::ListAccessEntriesError::InvalidRequestException(
            InvalidRequestException::builder()
                .message(MODE_MESSAGE)
                .meta(aws_meta("InvalidRequestException", MODE_MESSAGE))
                .build(),
        )
    });
    let env = env(&[&refused]);
    let spec = spec_of(&[("ci", entry_spec(CI, AccessPolicy::Edit, &[]))]);
    let err = ensure_access_entries(&env, &spec, &eks_cluster())
        .await
        .unwrap_err();
    assert!(!err.retryable);
    assert!(
        err.detail.contains("eks.authentication_mode"),
        "{}",
        err.detail
    );
    assert!(
        err.detail.contains(MODE_MESSAGE),
        "AWS's words: {}",
        err.detail
    );
    // Without entries there is nothing to do, and nothing to read.
    let state = ensure_access_entries(&env, &spec_of(&[]), &eks_cluster())
        .await
        .unwrap();
    assert!(state.entries.is_empty());
    let read = read_access_entries(&env, CLUSTER, &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(read, Some(AccessState::default()));
}

#[tokio::test]
async fn an_entry_eks_made_for_the_node_role_cannot_take_a_policy() {
    let list = listing(&[NODES]);
    let nodes = described(aws_entry(NODES, "EC2_LINUX", HashMap::new()));
    let env = env(&[&list, &nodes]);
    let spec = spec_of(&[("nodes", entry_spec(NODES, AccessPolicy::View, &[]))]);
    let err = ensure_access_entries(&env, &spec, &eks_cluster())
        .await
        .unwrap_err();
    assert!(err.detail.contains("EC2_LINUX"), "{}", err.detail);
}

#[tokio::test]
async fn a_read_names_mosias_entries_by_tag_and_adopted_ones_by_the_configuration() {
    let list = listing(&[CI, ADMINS, CREATOR, NODES]);
    let ci = described(aws_entry(CI, "STANDARD", mosia_tags("ci")));
    let admins = described(aws_entry(ADMINS, "STANDARD", mosia_tags("platform-admins")));
    let creator = described(aws_entry(CREATOR, "STANDARD", HashMap::new()));
    let nodes = described(aws_entry(NODES, "EC2_LINUX", HashMap::new()));
    let ci_policies = associated(CI, &[(AccessPolicy::Edit, &["apps"])]);
    // A policy added by hand next to the configured one.
    let admin_policies = associated(
        ADMINS,
        &[(AccessPolicy::ClusterAdmin, &[]), (AccessPolicy::View, &[])],
    );
    let creator_policies = associated(CREATOR, &[(AccessPolicy::ClusterAdmin, &[])]);
    let env = env(&[
        &list,
        &ci,
        &admins,
        &creator,
        &nodes,
        &ci_policies,
        &admin_policies,
        &creator_policies,
    ]);
    let configured = BTreeMap::from([(
        "ops".to_string(),
        entry_spec(CREATOR, AccessPolicy::ClusterAdmin, &[]),
    )]);
    let state = read_access_entries(&env, CLUSTER, &configured)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = state.entries.keys().map(String::as_str).collect();
    assert_eq!(names, ["ci", "ops", "platform-admins"]);
    let ci = &state.entries["ci"];
    assert_eq!(
        (ci.policy, ci.namespaces.clone()),
        (
            Some(AccessPolicy::Edit),
            BTreeSet::from(["apps".to_string()])
        )
    );
    assert_eq!(
        state.entries["platform-admins"].policy, None,
        "two policies: drift"
    );
    assert!(!state.entries["ops"].owned);
    assert_eq!(creator_policies.num_calls(), 1);
    // Import: only Mosia's entries.
    let imported = read_access_entries(&env, CLUSTER, &BTreeMap::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.entries.len(), 2);
}

#[test]
fn policy_changes_associate_the_wanted_scope_and_drop_the_rest() {
    let edit_in = |ns: &[&str]| Association {
        policy_arn: AccessPolicy::Edit.arn().into(),
        namespaces: ns.iter().map(|n| n.to_string()).collect(),
    };
    let view = Association {
        policy_arn: AccessPolicy::View.arn().into(),
        namespaces: BTreeSet::new(),
    };
    let want = edit_in(&["apps"]);
    assert_eq!(
        policy_changes(&[edit_in(&["apps"])], &want),
        PolicyChanges {
            associate: false,
            disassociate: vec![]
        }
    );
    assert_eq!(
        policy_changes(&[edit_in(&[])], &want),
        PolicyChanges {
            associate: true,
            disassociate: vec![]
        },
        "another scope: associated again"
    );
    assert_eq!(
        policy_changes(&[view.clone(), edit_in(&["apps"])], &want),
        PolicyChanges {
            associate: false,
            disassociate: vec![AccessPolicy::View.arn().to_string()]
        }
    );
    assert_eq!(
        policy_changes(&[], &want),
        PolicyChanges {
            associate: true,
            disassociate: vec![]
        }
    );
}

#[test]
fn a_principal_moved_to_another_role_deletes_the_old_entry_and_creates_the_new() {
    let env = super::super::test_support::env(&[]);
    let found = vec![
        FoundEntry::of(&aws_entry(CI, "STANDARD", mosia_tags("ci"))),
        FoundEntry::of(&aws_entry(CREATOR, "STANDARD", HashMap::new())),
    ];
    let configured = BTreeMap::from([(
        "ci".to_string(),
        entry_spec(ADMINS, AccessPolicy::Edit, &[]),
    )]);
    let plan = plan_entries(&env, &configured, &found);
    assert_eq!(plan.converge.len(), 1);
    assert!(
        plan.converge[0].2.is_none(),
        "the new principal has no entry yet"
    );
    let deleted: Vec<&str> = plan
        .delete
        .iter()
        .map(|e| e.principal_arn.as_str())
        .collect();
    assert_eq!(deleted, [CI]);
}

#[test]
fn another_environments_entry_is_not_ours() {
    let env = super::super::test_support::env(&[]);
    let mut tags: BTreeMap<String, String> = mosia_tags("ci").into_iter().collect();
    assert!(FoundEntry::of(&aws_entry(
        CI,
        "STANDARD",
        tags.clone().into_iter().collect()
    ))
    .owned_name(&env)
    .is_some());
    tags.insert("mosia:environment".into(), "other".into());
    let other = FoundEntry::of(&aws_entry(CI, "STANDARD", tags.into_iter().collect()));
    assert_eq!(other.owned_name(&env), None);
    // Mosia's ownership tags without the name tag: not an entry Mosia made.
    let untagged = FoundEntry::of(&aws_entry(CI, "STANDARD", owned_tags()));
    assert_eq!(untagged.owned_name(&env), None);
}
