//! One security group per requested service, in a VPC Mosia creates or in the user's, ingress
//! on the service's ports only ([`SERVICE_PORTS`]): the `eks` group from the VPC's CIDR
//! blocks; the data services' groups (`rds`, `elasticache`, `msk`) from the sources of
//! [`NetworkAccessSpec`] only (CIDR blocks and security groups), never the whole VPC. Their
//! rule from the EKS cluster's security group belongs to the `network.cluster_ingress` part
//! ([`super::cluster_ingress`]), told apart by its description and left alone here. Groups
//! of services no longer requested are deleted.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType, SecurityGroup, UserIdGroupPair};

use super::cluster_ingress::is_cluster_rule;
use super::delete::delete_retrying;
use super::input::NetworkAccessSpec;
use super::inventory::Inventory;
use super::{
    desired_tags, ec2_error, part, sync_tags, tag, tag_spec, until_propagated, SERVICE_PORTS,
    SERVICE_TAG,
};
use crate::aws::errors;
use crate::aws::part::{PartEnv, PartId, ENVIRONMENT_TAG, PART_TAG};
use crate::engine::PartError;

/// One ingress rule: protocol, from port, to port, source (a CIDR block, or a security
/// group ID `sg-...`).
pub(crate) type Rule = (String, i32, i32, String);

/// The sources a service's group admits: the VPC for the cluster's own group, the access
/// sources for a data service.
pub(super) fn sources(
    service: &str,
    vpc_cidrs: &[String],
    access: &NetworkAccessSpec,
) -> Vec<String> {
    if service == "eks" {
        return vpc_cidrs.to_vec();
    }
    let groups = access.allowed_security_group_ids.iter();
    access.allowed_cidrs.iter().chain(groups).cloned().collect()
}

/// The rules a service's group must have: its port range from each of `cidrs` (CIDR
/// blocks or group IDs).
pub(super) fn wanted_rules(service: &str, cidrs: &[String]) -> Vec<Rule> {
    let (_, from, to) = SERVICE_PORTS
        .iter()
        .find(|(s, ..)| *s == service)
        .copied()
        .unwrap_or((service, 0, 0));
    cidrs
        .iter()
        .map(|c| ("tcp".to_string(), from, to, c.clone()))
        .collect()
}

/// The IPv4 and security-group ingress rules a group has, except the cluster's rule
/// (another part's).
pub(crate) fn current_rules(g: &SecurityGroup) -> Vec<Rule> {
    g.ip_permissions()
        .iter()
        .flat_map(|p| {
            let rule = move |source: &str| {
                (
                    p.ip_protocol().unwrap_or_default().to_string(),
                    p.from_port().unwrap_or(-1),
                    p.to_port().unwrap_or(-1),
                    source.to_string(),
                )
            };
            let cidrs = p
                .ip_ranges()
                .iter()
                .map(move |r| rule(r.cidr_ip().unwrap_or_default()));
            let groups = p
                .user_id_group_pairs()
                .iter()
                .filter(|g| !is_cluster_rule(g.description()))
                .map(move |g| rule(g.group_id().unwrap_or_default()));
            cidrs.chain(groups)
        })
        .collect()
}

/// Rules to authorize (wanted, missing) and to revoke (present, not wanted).
pub(super) fn rule_changes(want: &[Rule], have: &[Rule]) -> (Vec<Rule>, Vec<Rule>) {
    let missing = want.iter().filter(|r| !have.contains(r)).cloned().collect();
    let extra = have.iter().filter(|r| !want.contains(r)).cloned().collect();
    (missing, extra)
}

fn permission(rule: &Rule, description: Option<String>) -> IpPermission {
    let p = IpPermission::builder()
        .ip_protocol(&rule.0)
        .from_port(rule.1)
        .to_port(rule.2);
    if rule.3.starts_with("sg-") {
        let pair = UserIdGroupPair::builder()
            .group_id(&rule.3)
            .set_description(description);
        return p.user_id_group_pairs(pair.build()).build();
    }
    let range = IpRange::builder()
        .cidr_ip(&rule.3)
        .set_description(description);
    p.ip_ranges(range.build()).build()
}

/// One security group per service in `services`, in `vpc_id`, ingress from its
/// [`sources`] only; the part's other groups are deleted. Service → group ID.
pub(super) async fn ensure_security_groups(
    env: &PartEnv,
    inv: &Inventory,
    vpc_id: &str,
    (cidrs, access): (&[String], &NetworkAccessSpec),
    services: &[&str],
) -> Result<BTreeMap<String, String>, PartError> {
    let mut out = BTreeMap::new();
    for &service in services {
        let group = Group {
            name: format!("{}-{service}", env.name),
            service,
            vpc_id,
        };
        let existing = inv
            .sgs
            .iter()
            .find(|g| g.vpc_id() == Some(vpc_id) && tag(g.tags(), SERVICE_TAG) == Some(service));
        let tags = desired_tags(env, &group.name, &[(SERVICE_TAG, service)]);
        let (id, have) = match existing {
            Some(g) => {
                let id = g.group_id().unwrap_or_default().to_string();
                sync_tags(env, &id, g.tags(), &tags).await?;
                (id, current_rules(g))
            }
            None => (create_group(env, &group, &tags).await?, vec![]),
        };
        let want = wanted_rules(service, &sources(service, cidrs, access));
        converge_ingress(env, &group, &id, &want, &have).await?;
        out.insert(service.to_string(), id);
    }
    delete_unrequested(env, inv, &out).await?;
    Ok(out)
}

/// A service's group: its name, service and VPC.
struct Group<'a> {
    name: String,
    service: &'a str,
    vpc_id: &'a str,
}

async fn create_group(
    env: &PartEnv,
    group: &Group<'_>,
    tags: &BTreeMap<String, String>,
) -> Result<String, PartError> {
    let Group {
        name,
        service,
        vpc_id,
    } = group;
    let req = env
        .aws
        .ec2()
        .create_security_group()
        .group_name(name)
        .description(format!("Mosia environment {}: {service} ingress", env.name))
        .vpc_id(*vpc_id)
        .tag_specifications(tag_spec(ResourceType::SecurityGroup, tags));
    let what = format!("creating security group `{name}`");
    let id = match until_propagated(env, &what, || req.clone().send()).await? {
        Ok(o) => o.group_id().unwrap_or_default().to_string(),
        Err(e) if errors::code(&e) == Some("InvalidGroup.Duplicate") => {
            return Err(PartError::new(
                &PartId::Network,
                format!("creating security group `{name}` in `{vpc_id}`"),
                format!(
                    "a security group named `{name}` already exists in `{vpc_id}` \
                     without the ownership tags of environment `{env_name}`: rename or \
                     delete it, or tag it {ENVIRONMENT_TAG}={env_name}, {PART_TAG}={tag}, \
                     {SERVICE_TAG}={service} to let Mosia adopt it",
                    env_name = env.name,
                    tag = PartId::Network.tag(),
                ),
            ))
        }
        Err(e) => {
            return Err(ec2_error(
                format!("creating security group `{name}`"),
                "CreateSecurityGroup",
                &e,
            ))
        }
    };
    tracing::info!(part = %part(), object = "security-group", id = %id, service, "created");
    Ok(id)
}

/// Authorizes the missing ingress rules and revokes the extra ones.
async fn converge_ingress(
    env: &PartEnv,
    group: &Group<'_>,
    id: &str,
    want: &[Rule],
    have: &[Rule],
) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let (name, service) = (&group.name, group.service);
    let (missing, extra) = rule_changes(want, have);
    if !missing.is_empty() {
        let description = format!("{service} (mosia)");
        let perms = missing
            .iter()
            .map(|r| permission(r, Some(description.clone())))
            .collect();
        let req = ec2
            .authorize_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(perms));
        let what = format!("allowing {service} ingress on `{name}`");
        match until_propagated(env, &what, || req.clone().send()).await? {
            Ok(_) => {}
            Err(e) if errors::code(&e) == Some("InvalidPermission.Duplicate") => {}
            Err(e) => {
                let summary = format!("allowing {service} ingress on `{name}`");
                return Err(ec2_error(summary, "AuthorizeSecurityGroupIngress", &e));
            }
        }
        tracing::info!(part = %part(), object = "security-group", id = %id, service, "ingress rules set");
    }
    if !extra.is_empty() {
        let perms = extra.iter().map(|r| permission(r, None)).collect();
        let req = ec2
            .revoke_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(perms));
        req.send().await.map_err(|e| {
            let summary = format!("removing extra ingress rules of `{name}`");
            ec2_error(summary, "RevokeSecurityGroupIngress", &e)
        })?;
        tracing::info!(part = %part(), object = "security-group", id = %id, service, "extra ingress rules revoked");
    }
    Ok(())
}

/// Deletes the part's groups that are not in `kept` (services no longer requested).
async fn delete_unrequested(
    env: &PartEnv,
    inv: &Inventory,
    kept: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    for g in &inv.sgs {
        let Some(id) = g.group_id() else { continue };
        // The interface endpoints' group is the endpoints part's.
        let endpoints =
            tag(g.tags(), SERVICE_TAG) == Some(super::endpoints::ENDPOINTS_GROUP_SERVICE);
        if kept.values().any(|v| v == id) || endpoints {
            continue;
        }
        let service = tag(g.tags(), SERVICE_TAG).unwrap_or("?");
        tracing::info!(part = %part(), object = "security-group", id = %id, service, "no longer requested: deleting");
        delete_retrying(
            env,
            format!("security group `{id}` ({service})"),
            "DeleteSecurityGroup",
            || ec2.delete_security_group().group_id(id).send(),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(from: i32, to: i32, cidr: &str) -> Rule {
        ("tcp".to_string(), from, to, cidr.to_string())
    }

    #[test]
    fn data_services_admit_only_their_sources_and_the_cluster_group_the_vpc() {
        let vpc = ["10.0.0.0/16".to_string()];
        let access = NetworkAccessSpec {
            allowed_cidrs: vec!["10.99.0.0/24".into()],
            allowed_security_group_ids: vec!["sg-0123456789abcdef0".into()],
            vpc_endpoints: vec![],
        };
        assert_eq!(sources("eks", &vpc, &access), vpc);
        assert_eq!(
            wanted_rules("rds", &sources("rds", &vpc, &access)),
            [
                rule(5432, 5432, "10.99.0.0/24"),
                rule(5432, 5432, "sg-0123456789abcdef0")
            ]
        );
        assert!(sources("msk", &vpc, &NetworkAccessSpec::default()).is_empty());
        let p = permission(&rule(5432, 5432, "sg-0123456789abcdef0"), None);
        assert_eq!(
            p.user_id_group_pairs()[0].group_id(),
            Some("sg-0123456789abcdef0")
        );
        assert!(p.ip_ranges().is_empty());
    }

    #[test]
    fn each_service_opens_its_ports_from_every_vpc_cidr() {
        let cidrs = ["10.0.0.0/16".to_string(), "100.64.0.0/16".to_string()];
        assert_eq!(
            wanted_rules("msk", &cidrs),
            [
                rule(9092, 9098, "10.0.0.0/16"),
                rule(9092, 9098, "100.64.0.0/16")
            ]
        );
        assert_eq!(
            wanted_rules("rds", &cidrs[..1]),
            [rule(5432, 5432, "10.0.0.0/16")]
        );
    }

    #[test]
    fn missing_rules_are_authorized_and_extra_ones_revoked() {
        let want = [rule(443, 443, "10.0.0.0/16")];
        let have = [rule(443, 443, "0.0.0.0/0"), rule(443, 443, "10.0.0.0/16")];
        assert_eq!(
            rule_changes(&want, &have),
            (vec![], vec![rule(443, 443, "0.0.0.0/0")])
        );
        assert_eq!(rule_changes(&want, &[]), (want.to_vec(), vec![]));
    }
}
