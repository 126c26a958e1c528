//! Everything the endpoint holds of the kinds an environment creates, owned or not, counted
//! by kind: for checks that no object was created twice (a duplicate may miss its ownership
//! tags if a crash came between its create and its tagging) and that a destroy left nothing
//! behind. Compare two inventories of the same endpoint (e.g. after a clean apply and after a
//! crashed one, or right after a reset and after a destroy); the endpoint's own defaults
//! (default VPC, subnets, security group, parameter groups) count in both.

use std::collections::BTreeMap;

/// Objects per kind: `vpc`, `subnet`, `route-table`, `internet-gateway`, `nat-gateway` (not
/// deleted), `elastic-ip`, `security-group`, `iam-role`, `oidc-provider`, `eks-cluster`,
/// `eks-nodegroup`, `db-instance`, `db-subnet-group`, `db-parameter-group`,
/// `cache-subnet-group`, `replication-group`, `msk-cluster`, `secret`. Kinds with no object
/// are absent.
pub async fn inventory(config: &aws_config::SdkConfig) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    let mut count = |kind: &str, k: usize| {
        if k > 0 {
            *n.entry(kind.to_string()).or_insert(0) += k;
        }
    };
    let ec2 = aws_sdk_ec2::Client::new(config);
    count(
        "vpc",
        ec2.describe_vpcs().send().await.unwrap().vpcs().len(),
    );
    count(
        "subnet",
        ec2.describe_subnets().send().await.unwrap().subnets().len(),
    );
    count(
        "route-table",
        ec2.describe_route_tables()
            .send()
            .await
            .unwrap()
            .route_tables()
            .len(),
    );
    count(
        "internet-gateway",
        ec2.describe_internet_gateways()
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .len(),
    );
    let nats = ec2.describe_nat_gateways().send().await.unwrap();
    count(
        "nat-gateway",
        nats.nat_gateways()
            .iter()
            .filter(|g| g.state() != Some(&aws_sdk_ec2::types::NatGatewayState::Deleted))
            .count(),
    );
    count(
        "elastic-ip",
        ec2.describe_addresses()
            .send()
            .await
            .unwrap()
            .addresses()
            .len(),
    );
    count(
        "security-group",
        ec2.describe_security_groups()
            .send()
            .await
            .unwrap()
            .security_groups()
            .len(),
    );

    let iam = aws_sdk_iam::Client::new(config);
    count(
        "iam-role",
        iam.list_roles().send().await.unwrap().roles().len(),
    );
    count(
        "oidc-provider",
        iam.list_open_id_connect_providers()
            .send()
            .await
            .unwrap()
            .open_id_connect_provider_list()
            .len(),
    );

    let eks = aws_sdk_eks::Client::new(config);
    let clusters = eks.list_clusters().send().await.unwrap();
    count("eks-cluster", clusters.clusters().len());
    for c in clusters.clusters() {
        if let Ok(groups) = eks.list_nodegroups().cluster_name(c).send().await {
            count("eks-nodegroup", groups.nodegroups().len());
        }
    }

    let rds = aws_sdk_rds::Client::new(config);
    count(
        "db-instance",
        rds.describe_db_instances()
            .send()
            .await
            .unwrap()
            .db_instances()
            .len(),
    );
    count(
        "db-subnet-group",
        rds.describe_db_subnet_groups()
            .send()
            .await
            .unwrap()
            .db_subnet_groups()
            .len(),
    );
    count(
        "db-parameter-group",
        rds.describe_db_parameter_groups()
            .send()
            .await
            .unwrap()
            .db_parameter_groups()
            .len(),
    );

    let cache = aws_sdk_elasticache::Client::new(config);
    count(
        "cache-subnet-group",
        cache
            .describe_cache_subnet_groups()
            .send()
            .await
            .unwrap()
            .cache_subnet_groups()
            .len(),
    );
    count(
        "replication-group",
        cache
            .describe_replication_groups()
            .send()
            .await
            .unwrap()
            .replication_groups()
            .len(),
    );

    let kafka = aws_sdk_kafka::Client::new(config);
    count(
        "msk-cluster",
        kafka
            .list_clusters_v2()
            .send()
            .await
            .unwrap()
            .cluster_info_list()
            .len(),
    );

    let secrets = aws_sdk_secretsmanager::Client::new(config);
    count(
        "secret",
        secrets
            .list_secrets()
            .send()
            .await
            .unwrap()
            .secret_list()
            .len(),
    );
    n
}

/// What `after` holds beyond `before`, per kind: `[("vpc", 1), ...]` (kinds with fewer or
/// as many objects are left out).
pub fn excess(
    before: &BTreeMap<String, usize>,
    after: &BTreeMap<String, usize>,
) -> Vec<(String, usize)> {
    after
        .iter()
        .filter_map(|(kind, &a)| {
            let b = before.get(kind).copied().unwrap_or(0);
            (a > b).then(|| (kind.clone(), a - b))
        })
        .collect()
}
