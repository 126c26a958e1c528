//! EKS access entries of `mosia_environment` through Terraform 1.15.5 against the emulator:
//! a cluster with two entries, one namespace-scoped (checked in EKS: entries, tags, policies,
//! scopes); an entry deleted by hand shows in the plan and comes back; a policy changed by
//! hand is restored; import rebuilds the entries; an entry removed from the configuration is
//! deleted while the creator's bootstrap entry (not Mosia's) is left alone; a principal that
//! does not exist fails at the entry with AWS's words.

use std::collections::BTreeMap;

use aws_sdk_eks::types::{AccessScope, AccessScopeType};
use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::iam_roles::create_role;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1_DEFAULT_TAGS,
};

const ADDR: &str = "mosia_environment.this";
const CLUSTER_ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const EDIT: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

/// A dev environment with EKS and the given `access_entry` blocks (HCL), no add-ons.
fn environment(name: &str, entries: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1_DEFAULT_TAGS}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "dev"

  network {{
    cidr_block = "10.44.0.0/16"
    az_count   = 2
  }}

  eks {{
    version = "1.32"
    addons  = []
{entries}
  }}
}}
"#
    )
}

fn entry(name: &str, principal: &str, policy: &str, namespaces: &[&str]) -> String {
    let ns = if namespaces.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = namespaces.iter().map(|n| format!("\"{n}\"")).collect();
        format!("\n      namespaces    = [{}]", list.join(", "))
    };
    format!(
        "    access_entry \"{name}\" {{\n      principal_arn = \"{principal}\"\n      \
         policy        = \"{policy}\"{ns}\n    }}\n"
    )
}

fn workdir(em: &Emulator) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf
}

/// Terraform wraps diagnostics: compare with every run of whitespace made one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The access entries of `cluster` as EKS has them: principal → (tags, policies as
/// (policy ARN, scope type, namespaces)).
type Policies = Vec<(String, String, Vec<String>)>;

async fn entries(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
) -> BTreeMap<String, (BTreeMap<String, String>, Policies)> {
    let listed = eks
        .list_access_entries()
        .cluster_name(cluster)
        .send()
        .await
        .expect("ListAccessEntries");
    let mut found = BTreeMap::new();
    for principal in listed.access_entries() {
        let entry = eks
            .describe_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send()
            .await
            .expect("DescribeAccessEntry")
            .access_entry
            .expect("the entry");
        let tags: BTreeMap<String, String> = entry
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let policies = eks
            .list_associated_access_policies()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send()
            .await
            .expect("ListAssociatedAccessPolicies");
        let mut policies: Policies = policies
            .associated_access_policies()
            .iter()
            .map(|p| {
                let scope = p.access_scope();
                let mut ns: Vec<String> =
                    scope.map(|s| s.namespaces().to_vec()).unwrap_or_default();
                ns.sort();
                (
                    p.policy_arn().unwrap_or_default().to_string(),
                    scope
                        .and_then(|s| s.r#type())
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                    ns,
                )
            })
            .collect();
        policies.sort();
        found.insert(principal.clone(), (tags, policies));
    }
    found
}

fn policy(arn: &str, scope: &str, ns: &[&str]) -> (String, String, Vec<String>) {
    (
        arn.to_string(),
        scope.to_string(),
        ns.iter().map(|n| n.to_string()).collect(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn access_entries_are_created_repaired_imported_and_removed() {
    let em = Emulator::start();
    let name = "mosia-acc-access";
    let cluster = format!("{name}-eks");
    let config = em.sdk_config().await;
    let eks = aws_sdk_eks::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let (admins, _) = create_role(&iam, "PlatformAdmins", "ec2.amazonaws.com", &[]).await;
    let (ci, _) = create_role(&iam, "ci-deployer", "ec2.amazonaws.com", &[]).await;
    let both = format!(
        "{}{}",
        entry("platform-admins", &admins, "cluster-admin", &[]),
        entry("ci", &ci, "edit", &["apps", "jobs"])
    );

    let tf = workdir(&em);
    tf.write("main.tf", &environment(name, &both));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let found = entries(&eks, &cluster).await;
    let (admin_tags, admin_policies) = &found[&admins];
    assert_eq!(admin_tags["mosia:access-entry"], "platform-admins");
    assert_eq!(admin_tags["mosia:environment"], name);
    assert_eq!(admin_policies, &vec![policy(CLUSTER_ADMIN, "cluster", &[])]);
    let (ci_tags, ci_policies) = &found[&ci];
    assert_eq!(ci_tags["mosia:access-entry"], "ci");
    assert_eq!(
        ci_policies,
        &vec![policy(EDIT, "namespace", &["apps", "jobs"])]
    );
    // The creator's bootstrap entry is EKS's, not Mosia's.
    let creators: Vec<&String> = found
        .keys()
        .filter(|p| **p != admins && **p != ci)
        .collect();
    assert_eq!(creators.len(), 1, "{found:?}");
    let creator = creators[0].clone();
    assert!(!found[&creator].0.contains_key("mosia:access-entry"));
    let state = tf.state_json();
    let values = resource_values(&state, ADDR).expect("created");
    let arns = &values["eks"]["access_entry_arns"];
    assert_eq!(arns.as_object().map(|m| m.len()), Some(2), "{arns}");
    assert!(
        arns["ci"]
            .as_str()
            .is_some_and(|a| a.contains(":access-entry/")),
        "{arns}"
    );
    assert_eq!(values["part_status"]["eks.access"], "ready");
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 0, "empty plan after create:\n{}", plan.stdout);

    // Deleted by hand: the plan adds it back, the apply recreates it.
    eks.delete_access_entry()
        .cluster_name(&cluster)
        .principal_arn(&ci)
        .send()
        .await
        .expect("DeleteAccessEntry");
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "the deleted entry shows:\n{}", plan.stdout);
    let text = squeeze(&plan.stdout);
    assert!(text.contains("+ access_entry \"ci\""), "{text}");
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let found = entries(&eks, &cluster).await;
    assert_eq!(
        found[&ci].1,
        vec![policy(EDIT, "namespace", &["apps", "jobs"])]
    );
    assert_eq!(tf.plan_exit().code, 0);

    // A policy changed by hand: shown in the plan, restored by the apply.
    eks.associate_access_policy()
        .cluster_name(&cluster)
        .principal_arn(&admins)
        .policy_arn(VIEW)
        .access_scope(
            AccessScope::builder()
                .r#type(AccessScopeType::Cluster)
                .build(),
        )
        .send()
        .await
        .expect("AssociateAccessPolicy");
    eks.disassociate_access_policy()
        .cluster_name(&cluster)
        .principal_arn(&admins)
        .policy_arn(CLUSTER_ADMIN)
        .send()
        .await
        .expect("DisassociateAccessPolicy");
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "the changed policy shows:\n{}", plan.stdout);
    assert!(
        squeeze(&plan.stdout).contains("~ policy = \"view\" -> \"cluster-admin\""),
        "{}",
        plan.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(
        entries(&eks, &cluster).await[&admins].1,
        vec![policy(CLUSTER_ADMIN, "cluster", &[])]
    );
    assert_eq!(tf.plan_exit().code, 0);

    // Import into another working directory rebuilds both entries.
    let adopter = workdir(&em);
    adopter.write("main.tf", &environment(name, &both));
    adopter.ok(&["init", "-input=false"]);
    adopter.ok(&["import", "-input=false", ADDR, name]);
    let imported = adopter.state_json();
    let imported = resource_values(&imported, ADDR).expect("imported").clone();
    let state = tf.state_json();
    let values = resource_values(&state, ADDR).expect("state").clone();
    assert_eq!(
        imported["eks"]["access_entry"],
        values["eks"]["access_entry"]
    );
    assert_eq!(
        imported["eks"]["access_entry_arns"],
        values["eks"]["access_entry_arns"]
    );
    // The rest of the eks block (addons, creator_admin, support_type) is rebuilt by the
    // cluster's and the add-ons' own import: this checks the entries only.
    let plan = adopter.plan_exit();
    assert!(
        !plan.stdout.contains("access_entry"),
        "the imported entries plan no change:\n{}",
        plan.stdout
    );

    // Removed from the configuration: Mosia's entry is deleted, the creator's stays.
    tf.write(
        "main.tf",
        &environment(
            name,
            &entry("platform-admins", &admins, "cluster-admin", &[]),
        ),
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let found = entries(&eks, &cluster).await;
    assert!(!found.contains_key(&ci), "{found:?}");
    assert!(found.contains_key(&admins) && found.contains_key(&creator));
    assert_eq!(
        found[&creator].1,
        vec![policy(CLUSTER_ADMIN, "cluster", &[])]
    );
    assert_eq!(tf.plan_exit().code, 0);

    // A principal that does not exist: the apply fails at the entry with AWS's words.
    let ghost = admins.replace("PlatformAdmins", "does-not-exist");
    tf.write(
        "main.tf",
        &environment(
            name,
            &format!(
                "{}{}",
                entry("platform-admins", &admins, "cluster-admin", &[]),
                entry("ghost", &ghost, "view", &[])
            ),
        ),
    );
    let failed = tf.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(failed.code, 0);
    let text = squeeze(&failed.combined());
    assert!(
        text.contains("access_entry \"ghost\"") && text.contains("InvalidParameterException"),
        "{text}"
    );
    assert!(text.contains("invalid principal"), "{text}");
    if let Some(em) = em.control_api("call counts") {
        // Two at create, the entry deleted by hand, the ghost once: not retried.
        assert_eq!(em.call_count("eks", "CreateAccessEntry"), 4);
    }

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}
