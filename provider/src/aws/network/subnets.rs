//! The subnets of a network Mosia creates: a private and a public subnet per AZ, laid out by
//! [`input::subnet_layout`](super::input::subnet_layout). The pure decisions (which subnets
//! are extra, which are missing, which AZs the new ones go to) come first; the step that
//! adopts and creates them after.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{ResourceType, Subnet};

use super::input::{self, SubnetLayout};
use super::inventory::Inventory;
use super::vpc::replacement_needed;
use super::zones::find_usable_zones;
use super::{
    desired_tags, ec2_error, part, sync_tags, tag_spec, until_propagated, Ipv4Cidr, TIER_TAG,
};
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

/// The subnets of the network, one per AZ and tier, in AZ order.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Subnets {
    pub azs: Vec<String>,
    pub private: Vec<String>,
    pub public: Vec<String>,
}

/// One subnet of the layout: AZ index, tier and CIDR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Slot {
    pub index: usize,
    pub tier: &'static str,
    pub cidr: String,
}

impl Slot {
    /// The tag the AWS load balancer controller looks for.
    fn role_tag(&self) -> &'static str {
        if self.tier == "private" {
            "kubernetes.io/role/internal-elb"
        } else {
            "kubernetes.io/role/elb"
        }
    }
}

/// The layout for `cidr` over `az_count` AZs, or the error saying it is too small.
pub(super) fn layout(cidr: Ipv4Cidr, az_count: u32) -> Result<SubnetLayout, PartError> {
    input::subnet_layout(cidr, az_count).ok_or_else(|| {
        PartError::new(
            &PartId::Network,
            "laying out subnets",
            format!(
                "{cidr} is too small for {az_count} AZs (two subnets of at least /{} each)",
                input::MAX_SUBNET_PREFIX
            ),
        )
    })
}

/// Every subnet of the layout: for each AZ, the private one then the public one.
pub(super) fn slots(layout: &SubnetLayout) -> Vec<Slot> {
    let pairs = layout.private.iter().zip(&layout.public).enumerate();
    pairs
        .flat_map(|(index, (private, public))| {
            [("private", private), ("public", public)].map(|(tier, cidr)| Slot {
                index,
                tier,
                cidr: cidr.to_string(),
            })
        })
        .collect()
}

fn by_cidr<'a>(existing: &'a [Subnet], cidr: &str) -> Option<&'a Subnet> {
    existing.iter().find(|s| s.cidr_block() == Some(cidr))
}

/// Owned subnets that are not in the layout (another CIDR or AZ count made them).
pub(super) fn extra_subnets<'a>(existing: &'a [Subnet], layout: &SubnetLayout) -> Vec<&'a Subnet> {
    let wanted = slots(layout);
    existing
        .iter()
        .filter(|s| {
            !wanted
                .iter()
                .any(|w| s.cidr_block() == Some(w.cidr.as_str()))
        })
        .collect()
}

/// The layout's subnets that do not exist yet.
pub(super) fn missing_subnets(existing: &[Subnet], layout: &SubnetLayout) -> Vec<Slot> {
    slots(layout)
        .into_iter()
        .filter(|s| by_cidr(existing, &s.cidr).is_none())
        .collect()
}

/// The AZ of each layout index: that of its existing subnets (private first), else the
/// region's first AZs not taken yet. None when the region has too few AZs.
pub(super) fn choose_azs(
    existing: &[Subnet],
    layout: &SubnetLayout,
    region_azs: &[String],
) -> Option<Vec<String>> {
    let known: Vec<Option<String>> = (0..layout.private.len())
        .map(|i| {
            by_cidr(existing, &layout.private[i].to_string())
                .or_else(|| by_cidr(existing, &layout.public[i].to_string()))
                .and_then(|s| s.availability_zone().map(str::to_string))
        })
        .collect();
    let taken: BTreeSet<&String> = known.iter().flatten().collect();
    let mut free = region_azs.iter().filter(|z| !taken.contains(z));
    known
        .iter()
        .map(|az| az.clone().or_else(|| free.next().cloned()))
        .collect()
}

/// An existing subnet whose AZ is not the one its index is in: the subnets of one AZ were
/// split across two, which only a replacement repairs.
fn misplaced(existing: &[Subnet], layout: &SubnetLayout, azs: &[String]) -> Option<String> {
    slots(layout).into_iter().find_map(|slot| {
        let s = by_cidr(existing, &slot.cidr)?;
        let az = &azs[slot.index];
        (s.availability_zone() != Some(az.as_str())).then(|| {
            format!(
                "{} subnet `{}` ({}) is in {}, the layout puts it in {az}",
                slot.tier,
                s.subnet_id().unwrap_or_default(),
                slot.cidr,
                s.availability_zone().unwrap_or("?")
            )
        })
    })
}

/// The zones the configuration asks for (`network.availability_zones`, empty: Mosia
/// chooses) and the services whose zone limits apply.
#[derive(Debug, Clone, Copy)]
pub(super) struct ZoneRequest<'a> {
    pub requested: &'a [String],
    pub services: &'a [&'a str],
}

/// Checks the existing subnets against the layout (before anything is changed) and picks
/// the AZ of each index; the region's AZs are listed only when a new AZ is needed, and only
/// zones the services can use (or the requested ones) are taken.
pub(super) async fn plan_azs(
    env: &PartEnv,
    inv: &Inventory,
    cidr: Ipv4Cidr,
    layout: &SubnetLayout,
    zones: ZoneRequest<'_>,
) -> Result<Vec<String>, PartError> {
    let join = |cidrs: &[Ipv4Cidr]| {
        cidrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(s) = extra_subnets(&inv.subnets, layout).first() {
        return Err(replacement_needed(format!(
            "subnet `{}` ({}) is not in the layout for {cidr} over {} AZs (private {}, public {})",
            s.subnet_id().unwrap_or_default(),
            s.cidr_block().unwrap_or_default(),
            layout.private.len(),
            join(&layout.private),
            join(&layout.public)
        )));
    }
    let (usable, in_region) = if choose_azs(&inv.subnets, layout, &[]).is_some() {
        (vec![], 0)
    } else {
        find_usable_zones(env, zones.requested, zones.services).await?
    };
    let azs = choose_azs(&inv.subnets, layout, &usable).ok_or_else(|| {
        let limited = if in_region > usable.len() {
            format!(
                " (of its {in_region}, the others host no {})",
                zones.services.join(" or ")
            )
        } else {
            String::new()
        };
        PartError::new(
            &PartId::Network,
            "choosing availability zones",
            format!(
                "region {} has {} usable AZs{limited}: {}; the configuration asks for {}",
                env.aws.region(),
                usable.len(),
                usable.join(", "),
                layout.private.len()
            ),
        )
    })?;
    if let Some(detail) = misplaced(&inv.subnets, layout, &azs) {
        return Err(replacement_needed(detail));
    }
    match azs
        .iter()
        .find(|az| !zones.requested.is_empty() && !zones.requested.contains(az))
    {
        Some(az) => Err(replacement_needed(format!(
            "the network's subnets are in {az}, which `network.availability_zones` ({}) leaves out",
            zones.requested.join(", ")
        ))),
        None => Ok(azs),
    }
}

/// Adopts the layout's existing subnets (tags converged) and creates the missing ones in
/// their AZ.
pub(super) async fn ensure_subnets(
    env: &PartEnv,
    inv: &Inventory,
    vpc_id: &str,
    layout: &SubnetLayout,
    azs: &[String],
) -> Result<Subnets, PartError> {
    let mut out = Subnets {
        azs: azs.to_vec(),
        private: vec![],
        public: vec![],
    };
    let missing = missing_subnets(&inv.subnets, layout);
    for slot in slots(layout) {
        let az = &azs[slot.index];
        let name = format!("{}-{}-{az}", env.name, slot.tier);
        let tags = desired_tags(env, &name, &[(TIER_TAG, slot.tier), (slot.role_tag(), "1")]);
        let id = match inv.subnet_by_cidr(&slot.cidr) {
            Some(s) if !missing.contains(&slot) => {
                let id = s.subnet_id().unwrap_or_default().to_string();
                sync_tags(env, &id, s.tags(), &tags).await?;
                id
            }
            _ => create_subnet(env, vpc_id, &slot, az, &name, &tags).await?,
        };
        match slot.tier {
            "private" => out.private.push(id),
            _ => out.public.push(id),
        }
    }
    Ok(out)
}

async fn create_subnet(
    env: &PartEnv,
    vpc_id: &str,
    slot: &Slot,
    az: &str,
    name: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<String, PartError> {
    let (tier, cidr) = (slot.tier, &slot.cidr);
    let req = env
        .aws
        .ec2()
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .availability_zone(az)
        .tag_specifications(tag_spec(ResourceType::Subnet, tags));
    let what = format!("creating {tier} subnet `{name}` ({cidr})");
    let out = until_propagated(env, &what, || req.clone().send())
        .await?
        .map_err(|e| ec2_error(what.as_str(), "CreateSubnet", &e))?;
    let id = out
        .subnet()
        .and_then(|s| s.subnet_id())
        .unwrap_or_default()
        .to_string();
    tracing::info!(part = %part(), object = "subnet", id = %id, tier, az = %az, cidr = %cidr, "created");
    Ok(id)
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::create_subnet::CreateSubnetOutput;
    use aws_sdk_ec2::operation::create_tags::CreateTagsOutput;
    use aws_sdk_ec2::operation::describe_availability_zones::DescribeAvailabilityZonesOutput;
    use aws_sdk_ec2::types::AvailabilityZone;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::{testing, AwsContext};

    fn subnet(id: &str, cidr: &str, az: &str) -> Subnet {
        Subnet::builder()
            .subnet_id(id)
            .cidr_block(cidr)
            .availability_zone(az)
            .build()
    }

    /// 10.0.0.0/16 over 2 AZs: private 10.0.0.0/18, 10.0.64.0/18; public 10.0.128.0/18,
    /// 10.0.192.0/18.
    fn two_azs() -> SubnetLayout {
        layout("10.0.0.0/16".parse().unwrap(), 2).unwrap()
    }

    fn any_zone() -> ZoneRequest<'static> {
        ZoneRequest {
            requested: &[],
            services: &[],
        }
    }

    fn region(azs: &[&str]) -> Vec<String> {
        azs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn missing_and_extra_subnets_follow_the_layout() {
        let have = [
            subnet("s-1", "10.0.0.0/18", "a"),
            subnet("s-2", "10.0.128.0/18", "a"),
        ];
        let missing = missing_subnets(&have, &two_azs());
        let cidrs: Vec<(usize, &str, &str)> = missing
            .iter()
            .map(|s| (s.index, s.tier, s.cidr.as_str()))
            .collect();
        assert_eq!(
            cidrs,
            [
                (1, "private", "10.0.64.0/18"),
                (1, "public", "10.0.192.0/18")
            ]
        );
        assert!(extra_subnets(&have, &two_azs()).is_empty());
        // The same VPC laid out for 3 AZs (/18 → /19): the old subnets are all extra.
        let three = layout("10.0.0.0/16".parse().unwrap(), 3).unwrap();
        assert_eq!(
            extra_subnets(&have, &three).len(),
            2,
            "a /18 is never a /19 of the layout"
        );
    }

    #[test]
    fn new_azs_are_the_regions_first_free_ones() {
        let have = [subnet("s-1", "10.0.64.0/18", "us-east-1a")];
        let azs = choose_azs(
            &have,
            &two_azs(),
            &region(&["us-east-1a", "us-east-1b", "us-east-1c"]),
        );
        assert_eq!(azs, Some(region(&["us-east-1b", "us-east-1a"])));
        assert_eq!(
            choose_azs(&[], &two_azs(), &region(&["us-east-1a"])),
            None,
            "too few AZs"
        );
    }

    #[test]
    fn a_subnet_out_of_its_az_needs_a_replacement() {
        let have = [
            subnet("s-1", "10.0.0.0/18", "a"),
            subnet("s-2", "10.0.128.0/18", "b"),
        ];
        let detail = misplaced(&have, &two_azs(), &region(&["a", "c"])).unwrap();
        assert_eq!(
            detail,
            "public subnet `s-2` (10.0.128.0/18) is in b, the layout puts it in a"
        );
    }

    #[tokio::test]
    async fn creates_subnets_only_for_missing_azs() {
        let azs = mock!(aws_sdk_ec2::Client::describe_availability_zones).then_output(|| {
            let az = |n: &str| {
                AvailabilityZone::builder()
                    .zone_name(n)
                    .zone_type("availability-zone")
                    .build()
            };
            DescribeAvailabilityZonesOutput::builder()
                .availability_zones(az("us-east-1a"))
                .availability_zones(az("us-east-1b"))
                .availability_zones(az("us-east-1c"))
                .build()
        });
        let create = mock!(aws_sdk_ec2::Client::create_subnet)
            .match_requests(|r| {
                r.availability_zone() == Some("us-east-1b") && r.vpc_id() == Some("vpc-1")
            })
            .then_compute_output(|r| {
                let id = format!("subnet-{}", r.cidr_block().unwrap_or_default());
                CreateSubnetOutput::builder()
                    .subnet(Subnet::builder().subnet_id(id).build())
                    .build()
            });
        let retag = mock!(aws_sdk_ec2::Client::create_tags)
            .then_output(|| CreateTagsOutput::builder().build());
        let client = crate::mock_client!(aws_sdk_ec2, [&azs, &create, &retag]);
        let env = testing::env(AwsContext::offline().with_ec2(client));
        let inv = Inventory {
            subnets: vec![
                subnet("s-priv-a", "10.0.0.0/18", "us-east-1a"),
                subnet("s-pub-a", "10.0.128.0/18", "us-east-1a"),
            ],
            ..Default::default()
        };
        let cidr = "10.0.0.0/16".parse().unwrap();
        let azs_chosen = plan_azs(&env, &inv, cidr, &two_azs(), any_zone())
            .await
            .unwrap();
        assert_eq!(azs_chosen, region(&["us-east-1a", "us-east-1b"]));
        let got = ensure_subnets(&env, &inv, "vpc-1", &two_azs(), &azs_chosen)
            .await
            .unwrap();
        assert_eq!(
            create.num_calls(),
            2,
            "one private and one public subnet, both in the new AZ"
        );
        assert_eq!(got.private, ["s-priv-a", "subnet-10.0.64.0/18"]);
        assert_eq!(got.public, ["s-pub-a", "subnet-10.0.192.0/18"]);
    }

    fn us_east_1_zones() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_ec2::Client::describe_availability_zones).then_output(|| {
            let mut out = DescribeAvailabilityZonesOutput::builder();
            for (name, id) in [
                ("us-east-1a", "use1-az6"),
                ("us-east-1b", "use1-az1"),
                ("us-east-1c", "use1-az2"),
                ("us-east-1d", "use1-az4"),
                ("us-east-1e", "use1-az3"),
                ("us-east-1f", "use1-az5"),
            ] {
                out = out.availability_zones(
                    AvailabilityZone::builder()
                        .zone_name(name)
                        .zone_id(id)
                        .zone_type("availability-zone")
                        .build(),
                );
            }
            out.build()
        })
    }

    #[tokio::test]
    async fn zones_without_an_eks_control_plane_are_skipped_or_refused_when_named() {
        let zones = us_east_1_zones();
        let env = testing::env(
            AwsContext::offline().with_ec2(crate::mock_client!(aws_sdk_ec2, [&zones])),
        );
        let inv = Inventory::default();
        let cidr: Ipv4Cidr = "10.0.0.0/16".parse().unwrap();
        let five = layout(cidr, 5).unwrap();
        let eks = ZoneRequest {
            requested: &[],
            services: &["eks", "rds"],
        };
        let chosen = plan_azs(&env, &inv, cidr, &five, eks).await.unwrap();
        assert_eq!(
            chosen,
            region(&[
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1d",
                "us-east-1f"
            ]),
            "us-east-1e (use1-az3) hosts no EKS control plane"
        );
        let six = layout(cidr, 6).unwrap();
        let err = plan_azs(&env, &inv, cidr, &six, eks).await.unwrap_err();
        assert!(
            err.detail.starts_with(
                "region us-east-1 has 5 usable AZs (of its 6, the others host no eks or rds)"
            ),
            "{}",
            err.detail
        );
        let named = [String::from("us-east-1e"), String::from("us-east-1a")];
        let asked = ZoneRequest {
            requested: &named,
            services: &["eks"],
        };
        let err = plan_azs(&env, &inv, cidr, &two_azs(), asked)
            .await
            .unwrap_err();
        assert_eq!(err.summary, "checking `network.availability_zones`");
        assert!(
            err.detail
                .contains("us-east-1e (use1-az3) cannot be used by eks"),
            "{}",
            err.detail
        );
        let named = [String::from("us-east-1f"), String::from("us-east-1b")];
        let asked = ZoneRequest {
            requested: &named,
            services: &["eks"],
        };
        let chosen = plan_azs(&env, &inv, cidr, &two_azs(), asked).await.unwrap();
        assert_eq!(chosen, named, "in the order listed");
    }

    #[tokio::test]
    async fn subnets_in_zones_the_list_leaves_out_need_a_new_network() {
        let env = testing::env(AwsContext::offline());
        let inv = Inventory {
            subnets: vec![
                subnet("s-1", "10.0.0.0/18", "us-east-1a"),
                subnet("s-2", "10.0.128.0/18", "us-east-1a"),
                subnet("s-3", "10.0.64.0/18", "us-east-1b"),
                subnet("s-4", "10.0.192.0/18", "us-east-1b"),
            ],
            ..Default::default()
        };
        let named = [String::from("us-east-1a"), String::from("us-east-1c")];
        let asked = ZoneRequest {
            requested: &named,
            services: &[],
        };
        let cidr = "10.0.0.0/16".parse().unwrap();
        let err = plan_azs(&env, &inv, cidr, &two_azs(), asked)
            .await
            .unwrap_err();
        assert!(
            err.detail
                .contains("us-east-1b, which `network.availability_zones`"),
            "{}",
            err.detail
        );
        let named = [String::from("us-east-1b"), String::from("us-east-1a")];
        let asked = ZoneRequest {
            requested: &named,
            services: &[],
        };
        let same = plan_azs(&env, &inv, cidr, &two_azs(), asked).await.unwrap();
        assert_eq!(
            same,
            region(&["us-east-1a", "us-east-1b"]),
            "the subnets stay where they are"
        );
    }

    #[tokio::test]
    async fn a_subnet_outside_the_layout_is_refused_before_any_call() {
        let env = testing::env(AwsContext::offline());
        let inv = Inventory {
            subnets: vec![subnet("s-odd", "10.0.0.0/24", "a")],
            ..Default::default()
        };
        let err = plan_azs(
            &env,
            &inv,
            "10.0.0.0/16".parse().unwrap(),
            &two_azs(),
            any_zone(),
        )
        .await
        .unwrap_err();
        assert!(
            err.detail.starts_with(
                "subnet `s-odd` (10.0.0.0/24) is not in the layout for 10.0.0.0/16 over 2 AZs"
            ),
            "{}",
            err.detail
        );
    }
}
