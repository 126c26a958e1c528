//! The Availability Zones of a network Mosia creates: the ones the configuration names
//! (`network.availability_zones`), or else the region's first ones, and in both cases only
//! zones every service of the environment can use. Some zones host no EKS control plane
//! (CreateCluster answers `UnsupportedAvailabilityZoneException` once the subnets exist) or
//! take no MSK brokers; they are known by zone ID, which names the same zone in every
//! account (zone names are mapped per account: `us-east-1e` is `use1-az3` in one account and
//! another zone elsewhere).

use super::inventory::find_region_zones;
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// Zone IDs a service cannot use. EKS: EKS User Guide, "VPC and subnet requirements"
/// (control plane subnets; use1-az3, usw1-az2, cac1-az3). MSK: "Client subnets can't occupy
/// the Availability Zone with ID use1-az3" (MSK CreateCluster / CloudFormation
/// `AWS::MSK::Cluster` ClientSubnets).
pub const UNSUPPORTED_ZONE_IDS: &[(&str, &[&str])] = &[
    ("eks", &["use1-az3", "usw1-az2", "cac1-az3"]),
    ("msk", &["use1-az3"]),
];

/// An available AZ of the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    /// Its zone ID (`use1-az3`), when EC2 reports one.
    pub id: Option<String>,
}

impl Zone {
    fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("{} ({id})", self.name),
            None => self.name.clone(),
        }
    }
}

/// The services among `services` that cannot use `zone`.
fn refused_by(zone: &Zone, services: &[&str]) -> Vec<&'static str> {
    let Some(id) = zone.id.as_deref() else {
        return vec![];
    };
    UNSUPPORTED_ZONE_IDS
        .iter()
        .filter(|(s, ids)| services.contains(s) && ids.contains(&id))
        .map(|(s, _)| *s)
        .collect()
}

/// The AZs new subnets may go to, in order: the `requested` ones when given (each must be
/// an available AZ of the region that every service can use), else the region's zones that
/// every service can use, by name. Err: what is wrong with a requested zone.
pub fn usable_zones(
    region: &[Zone],
    requested: &[String],
    services: &[&str],
) -> Result<Vec<String>, String> {
    let usable: Vec<&Zone> = region
        .iter()
        .filter(|z| refused_by(z, services).is_empty())
        .collect();
    if requested.is_empty() {
        return Ok(usable.iter().map(|z| z.name.clone()).collect());
    }
    let names = |zones: &[&Zone]| {
        zones
            .iter()
            .map(|z| z.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for name in requested {
        let Some(zone) = region.iter().find(|z| &z.name == name) else {
            let all: Vec<&Zone> = region.iter().collect();
            return Err(format!(
                "`{name}` is not an available Availability Zone of this region (available: {})",
                names(&all)
            ));
        };
        let refused = refused_by(zone, services);
        if !refused.is_empty() {
            return Err(format!(
                "{} cannot be used by {} (no {} in that zone ID): choose from {}",
                zone.label(),
                refused.join(" and "),
                if refused == ["eks"] {
                    "EKS control plane"
                } else {
                    "support"
                },
                names(&usable)
            ));
        }
    }
    Ok(requested.to_vec())
}

/// The region's zones (one DescribeAvailabilityZones), then [`usable_zones`].
pub(super) async fn find_usable_zones(
    env: &PartEnv,
    requested: &[String],
    services: &[&str],
) -> Result<(Vec<String>, usize), PartError> {
    let region = find_region_zones(env).await?;
    let usable = usable_zones(&region, requested, services).map_err(|detail| {
        PartError::new(
            &crate::aws::part::PartId::Network,
            "checking `network.availability_zones`",
            detail,
        )
    })?;
    Ok((usable, region.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn us_east_1() -> Vec<Zone> {
        [
            ("us-east-1a", "use1-az6"),
            ("us-east-1b", "use1-az1"),
            ("us-east-1c", "use1-az2"),
            ("us-east-1d", "use1-az4"),
            ("us-east-1e", "use1-az3"),
            ("us-east-1f", "use1-az5"),
        ]
        .iter()
        .map(|(n, i)| Zone {
            name: n.to_string(),
            id: Some(i.to_string()),
        })
        .collect()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn zones_without_eks_or_msk_are_left_out_by_id() {
        let all = usable_zones(&us_east_1(), &[], &["rds"]).unwrap();
        assert_eq!(all.len(), 6, "RDS uses every zone");
        let eks = usable_zones(&us_east_1(), &[], &["eks", "rds"]).unwrap();
        assert_eq!(
            eks,
            strings(&[
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1d",
                "us-east-1f"
            ])
        );
        assert_eq!(usable_zones(&us_east_1(), &[], &["msk"]).unwrap(), eks);
    }

    #[test]
    fn requested_zones_are_kept_in_order_and_checked() {
        let asked = strings(&["us-east-1f", "us-east-1a"]);
        assert_eq!(usable_zones(&us_east_1(), &asked, &["eks"]).unwrap(), asked);
        let err = usable_zones(&us_east_1(), &strings(&["us-east-1e"]), &["eks"]).unwrap_err();
        assert!(
            err.starts_with("us-east-1e (use1-az3) cannot be used by eks (no EKS control plane"),
            "{err}"
        );
        assert!(err.contains("us-east-1d, us-east-1f"), "{err}");
        let err = usable_zones(&us_east_1(), &strings(&["eu-west-1a"]), &[]).unwrap_err();
        assert!(err.contains("not an available Availability Zone"), "{err}");
        assert!(usable_zones(&us_east_1(), &strings(&["us-east-1e"]), &["rds"]).is_ok());
    }
}
