//! The data services' ingress from the EKS cluster security group
//! ([`PartId::ClusterIngress`], `network.cluster_ingress`): the group EKS creates for the
//! control plane and the nodes of managed node groups (so their pods) is admitted on each
//! data service's port, and nothing else of the VPC is. These rules carry
//! [`CLUSTER_RULE_DESCRIPTION`], by which this part finds its own and the network part
//! leaves them alone. They are revoked before the cluster is deleted: EC2 refuses to delete
//! a security group that another group's rule names, so EKS would leave its group behind.
//!
//! [`PartId::ClusterIngress`]: crate::aws::part::PartId::ClusterIngress

use aws_sdk_ec2::types::{IpPermission, SecurityGroup, UserIdGroupPair};

use super::inventory::find_security_groups;
use super::{filter, owner_filters, tag, SERVICE, SERVICE_PORTS, SERVICE_TAG};
use crate::aws::errors;
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

/// The description of the rules this part owns.
pub const CLUSTER_RULE_DESCRIPTION: &str = "EKS cluster security group (mosia:cluster-ingress)";
/// The services whose groups admit the cluster.
pub const DATA_SERVICES: &[&str] = &["rds", "elasticache", "msk"];

/// Whether a rule's description says it is this part's.
pub fn is_cluster_rule(description: Option<&str>) -> bool {
    description.is_some_and(|d| d.contains("mosia:cluster-ingress"))
}

/// One cluster rule: (group ID of the source, from port, to port).
type ClusterRule = (String, i32, i32);

/// The cluster rules a group has.
fn cluster_rules(g: &SecurityGroup) -> Vec<ClusterRule> {
    g.ip_permissions()
        .iter()
        .flat_map(|p| {
            p.user_id_group_pairs()
                .iter()
                .filter(|pair| is_cluster_rule(pair.description()))
                .map(|pair| {
                    let source = pair.group_id().unwrap_or_default().to_string();
                    (
                        source,
                        p.from_port().unwrap_or(-1),
                        p.to_port().unwrap_or(-1),
                    )
                })
        })
        .collect()
}

fn permission(rule: &ClusterRule) -> IpPermission {
    let pair = UserIdGroupPair::builder()
        .group_id(&rule.0)
        .description(CLUSTER_RULE_DESCRIPTION);
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(rule.1)
        .to_port(rule.2)
        .user_id_group_pairs(pair.build())
        .build()
}

/// The rule `service`'s group must have from `cluster_group`.
fn wanted(service: &str, cluster_group: &str) -> Option<ClusterRule> {
    let (_, from, to) = SERVICE_PORTS.iter().find(|(s, ..)| *s == service)?;
    Some((cluster_group.to_string(), *from, *to))
}

/// The environment's data service groups, with their service.
async fn data_groups(env: &PartEnv) -> Result<Vec<(String, SecurityGroup)>, PartError> {
    let mut f = owner_filters(env);
    f.push(filter(
        &format!("tag:{SERVICE_TAG}"),
        DATA_SERVICES.iter().copied(),
    ));
    let groups = find_security_groups(env, &f).await?;
    Ok(groups
        .into_iter()
        .filter_map(|g| Some((tag(g.tags(), SERVICE_TAG)?.to_string(), g)))
        .collect())
}

/// Every data service group admits `cluster_group` on its port, and no other cluster rule
/// is left (a replaced cluster's). Returns the IDs of the groups that admit it.
pub async fn ensure_cluster_ingress(
    env: &PartEnv,
    cluster_group: &str,
) -> Result<Vec<String>, PartError> {
    let mut admitting = vec![];
    for (service, g) in data_groups(env).await? {
        let id = g.group_id().unwrap_or_default().to_string();
        let have = cluster_rules(&g);
        let want = wanted(&service, cluster_group);
        let stale: Vec<ClusterRule> = have
            .iter()
            .filter(|r| Some(*r) != want.as_ref())
            .cloned()
            .collect();
        revoke(env, &id, &stale).await?;
        if let Some(rule) = want {
            if !have.contains(&rule) {
                authorize(env, &id, &rule).await?;
                tracing::info!(part = %PartId::ClusterIngress, object = "security-group", id = %id, service, "admits the EKS cluster");
            }
            admitting.push(id);
        }
    }
    Ok(admitting)
}

/// True when a data service group lacks its rule from `cluster_group` or has another
/// cluster rule (refresh).
pub async fn cluster_ingress_drifted(
    env: &PartEnv,
    cluster_group: &str,
) -> Result<bool, PartError> {
    Ok(data_groups(env).await?.iter().any(|(service, g)| {
        let want: Vec<ClusterRule> = wanted(service, cluster_group).into_iter().collect();
        cluster_rules(g) != want
    }))
}

async fn authorize(env: &PartEnv, group: &str, rule: &ClusterRule) -> Result<(), PartError> {
    let res = env
        .aws
        .ec2()
        .authorize_security_group_ingress()
        .group_id(group)
        .ip_permissions(permission(rule))
        .send()
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if errors::code(&e) == Some("InvalidPermission.Duplicate") => Ok(()),
        Err(e) => Err(SERVICE.error(
            &PartId::ClusterIngress,
            format!("admitting the EKS cluster security group on `{group}`"),
            "AuthorizeSecurityGroupIngress",
            &e,
        )),
    }
}

async fn revoke(env: &PartEnv, group: &str, rules: &[ClusterRule]) -> Result<(), PartError> {
    if rules.is_empty() {
        return Ok(());
    }
    let res = env
        .aws
        .ec2()
        .revoke_security_group_ingress()
        .group_id(group)
        .set_ip_permissions(Some(rules.iter().map(permission).collect()))
        .send()
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if errors::code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
        Err(e) => Err(SERVICE.error(
            &PartId::ClusterIngress,
            format!("revoking the cluster rules of `{group}`"),
            "RevokeSecurityGroupIngress",
            &e,
        )),
    }
}

/// The sources the data service groups admit besides the cluster (import): CIDR blocks
/// and security group IDs, each sorted, without duplicates.
pub async fn allowed_sources(env: &PartEnv) -> Result<(Vec<String>, Vec<String>), PartError> {
    let mut sources = std::collections::BTreeSet::new();
    for (_, g) in data_groups(env).await? {
        sources.extend(
            super::security_groups::current_rules(&g)
                .into_iter()
                .map(|r| r.3),
        );
    }
    Ok(sources.into_iter().partition(|s| !s.starts_with("sg-")))
}

/// Revokes every cluster rule of the environment's data service groups (before the
/// cluster is deleted, and when the cluster leaves the configuration).
pub async fn delete_cluster_ingress(env: &PartEnv) -> Result<(), PartError> {
    for (_, g) in data_groups(env).await? {
        revoke(env, g.group_id().unwrap_or_default(), &cluster_rules(&g)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group_with(rules: &[(&str, &str)]) -> SecurityGroup {
        let perms = rules.iter().map(|(source, description)| {
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id(*source)
                        .description(*description)
                        .build(),
                )
                .build()
        });
        SecurityGroup::builder()
            .group_id("sg-db")
            .set_ip_permissions(Some(perms.collect()))
            .build()
    }

    #[test]
    fn only_rules_with_the_cluster_description_are_this_parts() {
        let g = group_with(&[
            ("sg-cluster", CLUSTER_RULE_DESCRIPTION),
            ("sg-bastion", "rds (mosia)"),
        ]);
        assert_eq!(cluster_rules(&g), [("sg-cluster".to_string(), 5432, 5432)]);
        assert_eq!(
            wanted("rds", "sg-cluster"),
            Some(("sg-cluster".to_string(), 5432, 5432))
        );
        assert_eq!(
            wanted("msk", "sg-c").map(|r| (r.1, r.2)),
            Some((9092, 9098))
        );
        assert!(is_cluster_rule(Some(CLUSTER_RULE_DESCRIPTION)));
        assert!(!is_cluster_rule(None));
    }
}
