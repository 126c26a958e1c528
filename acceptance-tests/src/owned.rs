//! What an environment owns in AWS, for tests that check nothing is left behind (or that
//! something exists): every object carrying the ownership tag `mosia:environment=<name>`.

/// Every AWS object carrying `mosia:environment=<name>`, as "kind id", over the kinds an
/// environment creates: VPC, subnets, route tables, internet and NAT gateways, Elastic IPs,
/// security groups, IAM roles and OIDC providers, EKS clusters, RDS instances, ElastiCache
/// replication groups, MSK clusters and Secrets Manager secrets.
pub async fn owned_objects(config: &aws_config::SdkConfig, name: &str) -> Vec<String> {
    use aws_sdk_ec2::types::{Filter, NatGatewayState};
    const TAG: &str = "mosia:environment";
    let mut found = Vec::new();
    let ec2 = aws_sdk_ec2::Client::new(config);
    let by_tag = || {
        Filter::builder()
            .name(format!("tag:{TAG}"))
            .values(name)
            .build()
    };
    for v in ec2
        .describe_vpcs()
        .filters(by_tag())
        .send()
        .await
        .unwrap()
        .vpcs()
    {
        found.push(format!("vpc {}", v.vpc_id().unwrap_or("?")));
    }
    for s in ec2
        .describe_subnets()
        .filters(by_tag())
        .send()
        .await
        .unwrap()
        .subnets()
    {
        found.push(format!("subnet {}", s.subnet_id().unwrap_or("?")));
    }
    for r in ec2
        .describe_route_tables()
        .filters(by_tag())
        .send()
        .await
        .unwrap()
        .route_tables()
    {
        found.push(format!("route-table {}", r.route_table_id().unwrap_or("?")));
    }
    for g in ec2
        .describe_internet_gateways()
        .filters(by_tag())
        .send()
        .await
        .unwrap()
        .internet_gateways()
    {
        found.push(format!(
            "internet-gateway {}",
            g.internet_gateway_id().unwrap_or("?")
        ));
    }
    // moto ignores DescribeNatGateways' tag filters: the tags are checked here.
    for n in ec2
        .describe_nat_gateways()
        .filter(by_tag())
        .send()
        .await
        .unwrap()
        .nat_gateways()
    {
        let tagged = n
            .tags()
            .iter()
            .any(|t| t.key() == Some(TAG) && t.value() == Some(name));
        if tagged && n.state() != Some(&NatGatewayState::Deleted) {
            found.push(format!("nat-gateway {}", n.nat_gateway_id().unwrap_or("?")));
        }
    }
    for a in ec2
        .describe_addresses()
        .filters(by_tag())
        .send()
        .await
        .unwrap()
        .addresses()
    {
        found.push(format!("elastic-ip {}", a.allocation_id().unwrap_or("?")));
    }
    for g in ec2
        .describe_security_groups()
        .filters(by_tag())
        .send()
        .await
        .unwrap()
        .security_groups()
    {
        found.push(format!("security-group {}", g.group_id().unwrap_or("?")));
    }

    let iam = aws_sdk_iam::Client::new(config);
    for role in iam.list_roles().send().await.unwrap().roles() {
        let tags = iam
            .list_role_tags()
            .role_name(role.role_name())
            .send()
            .await
            .unwrap();
        if tags
            .tags()
            .iter()
            .any(|t| t.key() == TAG && t.value() == name)
        {
            found.push(format!("iam-role {}", role.role_name()));
        }
    }
    for p in iam
        .list_open_id_connect_providers()
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_list()
    {
        let Some(arn) = p.arn() else { continue };
        let tags = iam
            .list_open_id_connect_provider_tags()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .unwrap();
        if tags
            .tags()
            .iter()
            .any(|t| t.key() == TAG && t.value() == name)
        {
            found.push(format!("oidc-provider {arn}"));
        }
    }

    let eks = aws_sdk_eks::Client::new(config);
    for cluster in eks.list_clusters().send().await.unwrap().clusters() {
        let Ok(d) = eks.describe_cluster().name(cluster).send().await else {
            continue;
        };
        let owned = d
            .cluster()
            .and_then(|c| c.tags())
            .is_some_and(|t| t.get(TAG).map(String::as_str) == Some(name));
        if owned {
            found.push(format!("eks-cluster {cluster}"));
        }
    }

    let rds = aws_sdk_rds::Client::new(config);
    for db in rds
        .describe_db_instances()
        .send()
        .await
        .unwrap()
        .db_instances()
    {
        if db
            .tag_list()
            .iter()
            .any(|t| t.key() == Some(TAG) && t.value() == Some(name))
        {
            found.push(format!(
                "db-instance {}",
                db.db_instance_identifier().unwrap_or("?")
            ));
        }
    }

    let cache = aws_sdk_elasticache::Client::new(config);
    for g in cache
        .describe_replication_groups()
        .send()
        .await
        .unwrap()
        .replication_groups()
    {
        let Some(arn) = g.arn() else { continue };
        let tags = cache
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .unwrap();
        if tags
            .tag_list()
            .iter()
            .any(|t| t.key() == Some(TAG) && t.value() == Some(name))
        {
            found.push(format!(
                "replication-group {}",
                g.replication_group_id().unwrap_or("?")
            ));
        }
    }

    let kafka = aws_sdk_kafka::Client::new(config);
    for c in kafka
        .list_clusters_v2()
        .send()
        .await
        .unwrap()
        .cluster_info_list()
    {
        if c.tags()
            .is_some_and(|t| t.get(TAG).map(String::as_str) == Some(name))
        {
            found.push(format!("msk-cluster {}", c.cluster_name().unwrap_or("?")));
        }
    }

    let secrets = aws_sdk_secretsmanager::Client::new(config);
    for s in secrets.list_secrets().send().await.unwrap().secret_list() {
        if s.tags()
            .iter()
            .any(|t| t.key() == Some(TAG) && t.value() == Some(name))
        {
            found.push(format!("secret {}", s.name().unwrap_or("?")));
        }
    }
    found
}

/// Whether `objects` (from [`owned_objects`]) has one of `kind` (e.g. `vpc`, `db-instance`).
pub fn has_kind(objects: &[String], kind: &str) -> bool {
    objects.iter().any(|o| o.starts_with(&format!("{kind} ")))
}
