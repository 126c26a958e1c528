//! The network, IAM, EKS and MSK parts against the emulator's AWS rules and timing
//! behaviours (acceptance-tests/emulator: `eks_rules`, `kafka_rules`, `iam` propagation,
//! `ec2_consistency`, the `eks_auto_upgrade` and `eks_cluster_objects` events), each a case
//! real AWS refuses or breaks and the provider now handles:
//!
//! - an upgrade over two minors while node groups must follow the control plane;
//! - a cluster EKS upgraded on its own, newer than configured;
//! - a Graviton node group (its AMI type) created while the roles propagate through IAM;
//! - Availability Zones without an EKS control plane (us-east-1e is `use1-az3`);
//! - subnets brought by the user, two in one AZ, for MSK;
//! - a VPC created while EC2's new IDs propagate;
//! - destroy after Kubernetes created load balancers, security groups and ENIs in the VPC.
//!
//! Every part runs with a real network (`network::ensure`) and real roles (`iam::ensure`).
//! They need the project's emulator (durations, events); against an external endpoint they
//! skip. Every wait is bounded by `PartEnv::deadline` and a test-wide timeout.

use std::time::Duration;

use mosia_acceptance_tests::emulator::{unique_name, Emulator};
use mosia_acceptance_tests::parts::part_env;
use serde_json::json;
use terraform_provider_mosia::aws::eks::{self, EksClusterState, NodeGroupOutcome};
use terraform_provider_mosia::aws::iam::{self, IamState};
use terraform_provider_mosia::aws::msk;
use terraform_provider_mosia::aws::network::{self, NetworkState};
use terraform_provider_mosia::aws::part::PartEnv;
use terraform_provider_mosia::resources::environment::spec::{
    CapacityType, EksSpec, MskAuth, MskSpec, MskTransit, NatGateway, NetworkSpec, NodeGroupSpec,
};

/// Bound on each whole test.
const TEST_LIMIT: Duration = Duration::from_secs(240);
/// `PartEnv::deadline` of every call.
const PART_DEADLINE: Duration = Duration::from_secs(120);

/// A fresh deadline for the next call.
fn refresh(env: &mut PartEnv) {
    env.deadline = Some(tokio::time::Instant::now() + PART_DEADLINE);
}

fn managed(az_count: u32, zones: &[&str]) -> NetworkSpec {
    NetworkSpec::Managed {
        cidr: "10.60.0.0/16".parse().unwrap(),
        az_count,
        nat_gateway: NatGateway::Single,
        availability_zones: zones.iter().map(|z| z.to_string()).collect(),
    }
}

fn eks_spec(version: &str) -> EksSpec {
    EksSpec {
        version: Some(version.into()),
        endpoint_public_access: false,
        endpoint_private_access: true,
        public_endpoint_acknowledged: false,
        public_access_cidrs: vec![],
        enabled_log_types: ["api".to_string()].into(),
        ..Default::default()
    }
}

fn node_group_spec(instance_types: &[&str]) -> NodeGroupSpec {
    NodeGroupSpec {
        instance_types: instance_types.iter().map(|t| t.to_string()).collect(),
        min_size: 1,
        max_size: 2,
        desired_size: 1,
        capacity_type: CapacityType::OnDemand,
        disk_size_gb: 20,
        labels: Default::default(),
        ..Default::default()
    }
}

/// A network with EKS's security group, the IAM roles and a cluster at `version` with node
/// group `general` (x86_64).
async fn cluster_with_nodes(
    env: &mut PartEnv,
    version: &str,
) -> (NetworkState, IamState, EksClusterState) {
    let net = network::ensure(env, &managed(2, &[]), &["eks"])
        .await
        .expect("network");
    let iam = iam::ensure(env).await.expect("IAM roles");
    refresh(env);
    let cluster = eks::ensure_cluster(env, &eks_spec(version), &net, &iam, None)
        .await
        .expect("cluster");
    let ng = eks::ensure_node_group(
        env,
        "general",
        &node_group_spec(&["t3.medium"]),
        &cluster,
        &net,
        &iam,
    )
    .await
    .expect("node group");
    assert!(matches!(ng, NodeGroupOutcome::Ready(_)), "{ng:?}");
    (net, iam, cluster)
}

async fn node_group_version(env: &PartEnv, cluster: &str, ng: &str) -> String {
    env.aws
        .eks()
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(ng)
        .send()
        .await
        .expect("describe node group")
        .nodegroup()
        .and_then(|n| n.version())
        .unwrap_or_default()
        .to_string()
}

/// Runs `body` against a fresh project emulator, bounded by [`TEST_LIMIT`]; skips at an
/// external endpoint.
fn run<F, Fut>(what: &str, body: F)
where
    F: FnOnce(Emulator) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let em = Emulator::start();
    if em.require_embedded(what).is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        tokio::time::timeout(TEST_LIMIT, body(em))
            .await
            .expect("the test finished in time")
    });
}

/// EKS refuses UpdateClusterVersion while a node group lags behind the control plane: the
/// node group must be upgraded between 1.29 → 1.30 and 1.30 → 1.31.
#[test]
fn an_upgrade_over_two_minors_moves_the_node_groups_between_the_steps() {
    run("the EKS upgrade rules", |em| async move {
        let mut env = part_env(&em, &unique_name("upg"), PART_DEADLINE).await;
        let (net, iam, cluster) = cluster_with_nodes(&mut env, "1.29").await;
        refresh(&mut env);
        let upgraded = eks::ensure_cluster(&env, &eks_spec("1.31"), &net, &iam, None)
            .await
            .expect("1.29 → 1.31 with the node group following");
        assert_eq!(upgraded.version, "1.31");
        let ng_name = format!("{}-general", env.name);
        assert_eq!(
            node_group_version(&env, &cluster.name, &ng_name).await,
            "1.30"
        );
        // The node group part (after the cluster) follows it to the last version.
        let spec = node_group_spec(&["t3.medium"]);
        eks::ensure_node_group(&env, "general", &spec, &upgraded, &net, &iam)
            .await
            .expect("node group upgrade");
        assert_eq!(
            node_group_version(&env, &cluster.name, &ng_name).await,
            "1.31"
        );
        assert_eq!(em.call_count("eks", "UpdateClusterVersion"), 2);
        assert_eq!(em.call_count("eks", "UpdateNodegroupVersion"), 2);
    });
}

/// EKS upgraded the cluster on its own (end of extended support): the configured older
/// version is no downgrade to refuse; the node group follows the cluster.
#[test]
fn a_cluster_eks_upgraded_on_its_own_is_kept() {
    run("the eks_auto_upgrade event", |em| async move {
        let mut env = part_env(&em, &unique_name("auto"), PART_DEADLINE).await;
        let (net, iam, cluster) = cluster_with_nodes(&mut env, "1.31").await;
        let fired = em.fire_event(json!({"event": "eks_auto_upgrade", "cluster": cluster.name}));
        assert_eq!(fired["version"], "1.32", "{fired}");
        refresh(&mut env);
        let kept = eks::ensure_cluster(&env, &eks_spec("1.31"), &net, &iam, None)
            .await
            .expect("a newer cluster is accepted");
        assert_eq!(kept.version, "1.32");
        let spec = node_group_spec(&["t3.medium"]);
        eks::ensure_node_group(&env, "general", &spec, &kept, &net, &iam)
            .await
            .expect("node group follows");
        let ng_name = format!("{}-general", env.name);
        assert_eq!(
            node_group_version(&env, &cluster.name, &ng_name).await,
            "1.32"
        );
        assert_eq!(em.call_count("eks", "UpdateClusterVersion"), 0);
    });
}

/// Roles propagate through IAM for a few seconds (EKS cannot see them yet), and a Graviton
/// node group needs the arm64 AMI type.
#[test]
fn a_graviton_node_group_is_created_while_the_roles_propagate() {
    run("IAM propagation", |em| async move {
        em.set_durations(json!({"iam_role": {"propagate": 3}}));
        let mut env = part_env(&em, &unique_name("arm"), PART_DEADLINE).await;
        let net = network::ensure(&env, &managed(2, &[]), &["eks"])
            .await
            .expect("network");
        let iam = iam::ensure(&env).await.expect("IAM roles");
        refresh(&mut env);
        let cluster = eks::ensure_cluster(&env, &eks_spec("1.31"), &net, &iam, None)
            .await
            .expect("cluster, once its role is visible to EKS");
        let spec = node_group_spec(&["t4g.medium", "m7g.large"]);
        let ng = eks::ensure_node_group(&env, "arm", &spec, &cluster, &net, &iam)
            .await
            .expect("Graviton node group, once the node role is visible to EKS");
        assert!(matches!(ng, NodeGroupOutcome::Ready(_)), "{ng:?}");
        let created = env
            .aws
            .eks()
            .describe_nodegroup()
            .cluster_name(&cluster.name)
            .nodegroup_name(format!("{}-arm", env.name))
            .send()
            .await
            .unwrap();
        let ami = created
            .nodegroup()
            .and_then(|n| n.ami_type())
            .map(|a| a.as_str().to_string());
        assert_eq!(ami.as_deref(), Some("AL2023_ARM_64_STANDARD"));
        let refused = em.call_counts()["rejected"]["rule"].as_u64().unwrap_or(0);
        assert!(
            refused >= 2,
            "EKS refused while the roles propagated: {}",
            em.call_counts()
        );
    });
}

/// us-east-1e is `use1-az3` in the emulator (as in many accounts): no EKS control plane.
#[test]
fn zones_without_an_eks_control_plane_are_not_used() {
    run("the EKS zone rules", |em| async move {
        let mut env = part_env(&em, &unique_name("azs"), PART_DEADLINE).await;
        let net = network::ensure(&env, &managed(5, &[]), &["eks"])
            .await
            .expect("network over 5 AZs");
        assert!(
            !net.availability_zones.contains(&"us-east-1e".to_string()),
            "{net:?}"
        );
        let iam = iam::ensure(&env).await.expect("IAM roles");
        refresh(&mut env);
        let cluster = eks::ensure_cluster(&env, &eks_spec("1.31"), &net, &iam, None).await;
        assert!(cluster.is_ok(), "{cluster:?}");

        let other = part_env(&em, &unique_name("azs"), PART_DEADLINE).await;
        let err = network::ensure(&other, &managed(2, &["us-east-1e", "us-east-1a"]), &["eks"])
            .await
            .expect_err("a named zone without EKS");
        assert!(
            err.detail
                .contains("us-east-1e (use1-az3) cannot be used by eks"),
            "{err:?}"
        );
        assert_eq!(
            em.call_count("ec2", "CreateVpc"),
            1,
            "refused before anything was created"
        );
    });
}

/// Subnets brought by the user, two of them in one AZ: MSK takes client subnets in distinct
/// AZs only.
#[test]
fn msk_takes_one_subnet_per_az_of_the_subnets_brought() {
    run("the MSK subnet rules", |em| async move {
        let env = part_env(&em, &unique_name("byo"), PART_DEADLINE).await;
        let ec2 = env.aws.ec2();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.70.0.0/16")
            .send()
            .await
            .unwrap();
        let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
        let mut subnets = Vec::new();
        for (i, az) in ["us-east-1a", "us-east-1a", "us-east-1b"]
            .iter()
            .enumerate()
        {
            let s = ec2
                .create_subnet()
                .vpc_id(&vpc_id)
                .availability_zone(*az)
                .cidr_block(format!("10.70.{i}.0/24"))
                .send()
                .await
                .unwrap();
            subnets.push(s.subnet().and_then(|s| s.subnet_id()).unwrap().to_string());
        }
        let spec = NetworkSpec::Existing {
            vpc_id,
            subnet_ids: subnets.clone(),
        };
        let net = network::ensure(&env, &spec, &["msk"])
            .await
            .expect("network");
        let kafka = MskSpec {
            kms_key: Default::default(),
            scram: false,
            scram_users: Default::default(),
            kafka_version: "3.6.0".into(),
            broker_instance_type: "kafka.m5.large".into(),
            brokers_per_az: 1,
            storage_gb: 10,
            client_authentication: MskAuth::Iam,
            encryption_in_transit: MskTransit::Tls,
            tls_certificate_authority_arns: vec![],
            server_properties: [("min.insync.replicas".to_string(), "1".to_string())].into(),
            storage_autoscaling_max_gb: None,
            broker_logs_retention_days: None,
            per_topic_metrics: false,
            open_monitoring: false,
        };
        let state = msk::ensure(&env, &kafka, &net).await.expect("MSK cluster");
        let mut used = state.client_subnets.clone();
        used.sort();
        let mut want = vec![subnets[0].clone(), subnets[2].clone()];
        want.sort();
        assert_eq!(used, want, "one subnet of us-east-1a, and us-east-1b's");
    });
}

/// EC2 answers NotFound for a few seconds after a create (new IDs propagate): the network
/// still builds (attaching the new internet gateway, routes to the new NAT gateway, ...).
#[test]
fn a_network_is_built_while_new_ids_propagate() {
    run("EC2 eventual consistency", |em| async move {
        em.set_durations(json!({"ec2_resource": {"propagate": 1.5}}));
        let env = part_env(&em, &unique_name("ec2"), PART_DEADLINE).await;
        let net = network::ensure(&env, &managed(2, &[]), &["eks", "msk"])
            .await
            .expect("network despite NotFound right after each create");
        assert_eq!(net.private_subnet_ids.len(), 2);
        assert_eq!(net.nat_gateway_ids.len(), 1);
        let refused = em.call_counts()["rejected"]["rule"].as_u64().unwrap_or(0);
        assert!(
            refused >= 1,
            "EC2 answered NotFound at least once: {}",
            em.call_counts()
        );
    });
}

/// Kubernetes created a network load balancer, its security group and an ENI in the VPC:
/// destroy removes them (only this cluster's) and the log group, then the network goes.
#[test]
fn destroy_removes_what_the_cluster_created_in_the_vpc() {
    run("the eks_cluster_objects event", |em| async move {
        let mut env = part_env(&em, &unique_name("gone"), PART_DEADLINE).await;
        let (net, _iam, cluster) = cluster_with_nodes(&mut env, "1.31").await;
        let made = em.fire_event(json!({"event": "eks_cluster_objects", "cluster": cluster.name}));
        // The control plane's log group: created by ensure_cluster before the cluster.
        let groups = env
            .aws
            .logs()
            .describe_log_groups()
            .log_group_name_prefix(format!("/aws/eks/{}/cluster", cluster.name))
            .send()
            .await
            .unwrap();
        assert_eq!(
            groups.log_groups().len(),
            1,
            "the control plane's log group"
        );
        refresh(&mut env);
        eks::delete_cluster(&env).await.expect("cluster deleted");
        // Well under the network's 15 minutes of DependencyViolation retries.
        env.deadline = Some(tokio::time::Instant::now() + Duration::from_secs(60));
        network::delete(&env)
            .await
            .expect("network deleted without DependencyViolation");

        let lbs = env
            .aws
            .elbv2()
            .describe_load_balancers()
            .send()
            .await
            .unwrap();
        assert!(lbs.load_balancers().is_empty(), "{made}");
        let ec2 = env.aws.ec2();
        let eni = made["networkInterfaceIds"][0].as_str().unwrap();
        let enis = ec2.describe_network_interfaces().send().await.unwrap();
        assert!(enis
            .network_interfaces()
            .iter()
            .all(|n| n.network_interface_id() != Some(eni)));
        let vpcs = ec2.describe_vpcs().vpc_ids(&net.vpc_id).send().await;
        assert!(
            vpcs.map(|v| v.vpcs().is_empty()).unwrap_or(true),
            "the VPC is gone"
        );
        let groups = env
            .aws
            .logs()
            .describe_log_groups()
            .log_group_name_prefix(format!("/aws/eks/{}/", cluster.name))
            .send()
            .await
            .unwrap();
        assert!(groups.log_groups().is_empty(), "log group deleted");
    });
}
