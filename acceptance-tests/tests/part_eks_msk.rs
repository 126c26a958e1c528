//! The EKS and MSK parts (`aws::eks`, `aws::msk`) against the project's emulator: create
//! from nothing, a second ensure that changes nothing (counted API calls), adoption after a
//! simulated crash (objects exist, state lost), in-place updates, changes AWS cannot make in
//! place (refused before anything changes, or a node group reported for replacement), drift
//! seen by `read`, and delete leaving nothing owned.
//!
//! The network and IAM roles are built here with the EC2 and IAM SDKs (real subnets and roles
//! with the trust policies and managed policies EKS checks, as AWS does), so these tests
//! depend on the EKS and MSK modules alone. Every wait is bounded: `PartEnv::deadline` plus a test-wide timeout.

use std::collections::BTreeMap;
use std::sync::{Arc, Once};
use std::time::Duration;

use mosia_acceptance_tests::emulator::{unique_name, Emulator};
use mosia_acceptance_tests::iam_roles;
use mosia_tfplugin::Context;
use serde_json::json;
use terraform_provider_mosia::aws::config::ProviderSettings;
use terraform_provider_mosia::aws::eks::{self, NodeGroupOutcome};
use terraform_provider_mosia::aws::iam::IamState;
use terraform_provider_mosia::aws::msk;
use terraform_provider_mosia::aws::network::NetworkState;
use terraform_provider_mosia::aws::part::{PartEnv, PartId, ENVIRONMENT_TAG, PART_TAG};
use terraform_provider_mosia::aws::tags::{MANAGED_BY_KEY, MANAGED_BY_VALUE};
use terraform_provider_mosia::aws::AwsContext;
use terraform_provider_mosia::resources::environment::spec::{
    CapacityType, EksSpec, MskAuth, MskSpec, MskTransit, NodeGroupSpec,
};

/// Bound on each whole test.
const TEST_LIMIT: Duration = Duration::from_secs(180);
/// `PartEnv::deadline` of every call.
const PART_DEADLINE: Duration = Duration::from_secs(90);

fn setup_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Before the first wait reads it (read once per process).
        std::env::set_var("MOSIA_POLL_SCALE", "0.01");
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
        std::env::remove_var("AWS_PROFILE");
    });
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn aws(em: &Emulator) -> Arc<AwsContext> {
    let ctx = AwsContext::load(ProviderSettings {
        region: Some("us-east-1".into()),
        endpoint: Some(em.endpoint().into()),
        max_retries: 3,
        ..Default::default()
    })
    .await
    .expect("AWS context");
    Arc::new(ctx)
}

fn part_env(aws: &Arc<AwsContext>, name: &str) -> PartEnv {
    PartEnv {
        aws: aws.clone(),
        name: name.to_string(),
        tags: [("team".to_string(), "platform".to_string())].into(),
        previous_tag_keys: Default::default(),
        ctx: Context::new(Default::default()),
        deadline: Some(tokio::time::Instant::now() + PART_DEADLINE),
    }
}

/// A fresh deadline for the next call.
fn refresh(env: &mut PartEnv) {
    env.deadline = Some(tokio::time::Instant::now() + PART_DEADLINE);
}

/// A VPC with one private subnet per AZ and the `eks` / `msk` security groups, made with
/// the EC2 SDK (what `aws::network` would produce).
async fn network(aws: &AwsContext, azs: usize) -> NetworkState {
    let ec2 = aws.ec2();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.40.0.0/16")
        .send()
        .await
        .expect("create vpc");
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let names = ["us-east-1a", "us-east-1b", "us-east-1c"];
    let mut subnets = Vec::new();
    for (i, az) in names.iter().take(azs).enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .availability_zone(*az)
            .cidr_block(format!("10.40.{}.0/24", i))
            .send()
            .await
            .expect("create subnet");
        subnets.push(s.subnet().and_then(|s| s.subnet_id()).unwrap().to_string());
    }
    let mut sgs = BTreeMap::new();
    for svc in ["eks", "msk"] {
        let g = ec2
            .create_security_group()
            .vpc_id(&vpc_id)
            .group_name(unique_name(svc))
            .description(format!("{svc} test group"))
            .send()
            .await
            .expect("create security group");
        sgs.insert(svc.to_string(), g.group_id().unwrap().to_string());
    }
    NetworkState {
        vpc_id,
        cidr_block: "10.40.0.0/16".into(),
        availability_zones: names.iter().take(azs).map(|s| s.to_string()).collect(),
        private_subnet_ids: subnets,
        public_subnet_ids: vec![],
        security_group_ids: sgs,
        internet_gateway_id: None,
        nat_gateway_ids: vec![],
        managed: true,
    }
}

/// The EKS cluster and node roles, made with the IAM SDK (what `aws::iam` would produce):
/// trusted by eks.amazonaws.com / ec2.amazonaws.com, with the AWS managed policies attached.
async fn iam_state(aws: &AwsContext) -> IamState {
    let iam = aws.iam();
    let (cluster_role_arn, cluster_role_policies) = iam_roles::create_role(
        iam,
        &unique_name("test-eks-cluster"),
        "eks.amazonaws.com",
        iam_roles::CLUSTER_POLICIES,
    )
    .await;
    let (node_role_arn, node_role_policies) = iam_roles::create_role(
        iam,
        &unique_name("test-eks-node"),
        "ec2.amazonaws.com",
        iam_roles::NODE_POLICIES,
    )
    .await;
    IamState {
        cluster_role_arn,
        node_role_arn,
        cluster_role_policies,
        node_role_policies,
        ..Default::default()
    }
}

fn eks_spec() -> EksSpec {
    EksSpec {
        version: Some("1.29".into()),
        endpoint_public_access: true,
        endpoint_private_access: false,
        public_endpoint_acknowledged: true,
        public_access_cidrs: vec![],
        enabled_log_types: ["api".to_string()].into(),
        ..Default::default()
    }
}

fn node_group_spec() -> NodeGroupSpec {
    NodeGroupSpec {
        instance_types: vec!["t3.medium".into()],
        min_size: 1,
        max_size: 2,
        desired_size: 1,
        capacity_type: CapacityType::OnDemand,
        disk_size_gb: 20,
        labels: [("role".to_string(), "general".to_string())].into(),
        ..Default::default()
    }
}

fn msk_spec() -> MskSpec {
    MskSpec {
        kms_key: Default::default(),
        scram: false,
        scram_users: Default::default(),
        kafka_version: "3.6.0".into(),
        broker_instance_type: "kafka.t3.small".into(),
        brokers_per_az: 1,
        storage_gb: 10,
        client_authentication: MskAuth::Iam,
        encryption_in_transit: MskTransit::Tls,
        tls_certificate_authority_arns: vec![],
        server_properties: [("min.insync.replicas".to_string(), "1".to_string())].into(),
        // On: the part registers it at create and deregisters it before the delete.
        storage_autoscaling_max_gb: Some(50),
        broker_logs_retention_days: None,
        per_topic_metrics: false,
        open_monitoring: false,
    }
}

fn ownership_tags(env_name: &str, part: &str) -> std::collections::HashMap<String, String> {
    [
        (MANAGED_BY_KEY.to_string(), MANAGED_BY_VALUE.to_string()),
        (ENVIRONMENT_TAG.to_string(), env_name.to_string()),
        (PART_TAG.to_string(), part.to_string()),
    ]
    .into()
}

/// Calls per operation of one service since the last reset, without the read-only ones.
fn mutating_calls(em: &Emulator, service: &str) -> BTreeMap<String, u64> {
    let counts = em.call_counts();
    counts["services"][service]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(op, _)| {
                    !(op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get"))
                })
                .map(|(op, n)| (op.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn eks_cluster_and_node_groups_converge_adopt_replace_and_delete() {
    setup_env();
    let emu = Emulator::start_with_profile("lifecycle");
    let Some(em) = emu.require_embedded("the EKS part test (call counts)") else {
        return;
    };
    // Short but real transitions: CREATING/UPDATING/DELETING are seen and waited through.
    em.set_durations(json!({"eks_cluster": 0.3, "eks_nodegroup": 0.3}));
    rt().block_on(async {
        tokio::time::timeout(TEST_LIMIT, eks_scenario(em))
            .await
            .expect("the EKS scenario finished within the test limit");
    });
}

async fn eks_scenario(em: &Emulator) {
    let aws = aws(em).await;
    let net = network(&aws, 2).await;
    let iam = iam_state(&aws).await;
    let env_name = unique_name("eks");
    let mut env = part_env(&aws, &env_name);
    let sdk = aws.eks();

    // --- create from nothing ---------------------------------------------------------------
    let spec = eks_spec();
    let cluster = eks::ensure_cluster(&env, &spec, &net, &iam, None)
        .await
        .expect("create cluster");
    assert_eq!(cluster.name, format!("{env_name}-eks"));
    assert_eq!(cluster.status, "ACTIVE");
    assert_eq!(cluster.version, "1.29");
    assert!(cluster.endpoint_public_access && !cluster.endpoint_private_access);
    assert_eq!(cluster.enabled_log_types, ["api".to_string()].into());
    assert_eq!(cluster.subnet_ids, net.private_subnet_ids);
    assert_eq!(
        cluster.security_group_ids,
        vec![net.security_group_ids["eks"].clone()]
    );
    assert!(!cluster.oidc_issuer.is_empty() && !cluster.endpoint.is_empty());
    assert_eq!(
        cluster.tags.get("team").map(String::as_str),
        Some("platform")
    );
    assert_eq!(em.call_count("eks", "CreateCluster"), 1);

    let ng_spec = node_group_spec();
    let ng = match eks::ensure_node_group(&env, "general", &ng_spec, &cluster, &net, &iam)
        .await
        .expect("create node group")
    {
        NodeGroupOutcome::Ready(s) => s,
        other => panic!("expected Ready, got {other:?}"),
    };
    assert_eq!(ng.name, format!("{env_name}-general"));
    assert_eq!(ng.status, "ACTIVE");
    assert_eq!((ng.min_size, ng.desired_size, ng.max_size), (1, 1, 2));
    assert_eq!(ng.instance_types, vec!["t3.medium".to_string()]);
    assert_eq!(ng.capacity_type, "ON_DEMAND");
    assert_eq!(ng.disk_size_gb, 20);
    assert_eq!(ng.labels, ng_spec.labels);

    // read = what ensure returned
    refresh(&mut env);
    let read = eks::read_cluster(&env)
        .await
        .unwrap()
        .expect("cluster exists");
    // The log group's retention is read on its own (eks::read_log_retention).
    assert_eq!(read.log_retention_days, None);
    let retention = eks::read_log_retention(&env, &read.name).await.unwrap();
    assert_eq!(retention.flatten(), cluster.log_retention_days);
    assert_eq!(
        eks::EksClusterState {
            log_retention_days: cluster.log_retention_days,
            ..read
        },
        cluster
    );
    let read_ng = eks::read_node_group(&env, "general")
        .await
        .unwrap()
        .expect("node group exists");
    assert_eq!(read_ng, ng);

    // --- a second ensure is a no-op --------------------------------------------------------
    em.clear_call_counts();
    let again = eks::ensure_cluster(&env, &spec, &net, &iam, None)
        .await
        .unwrap();
    let ng_again = eks::ensure_node_group(&env, "general", &ng_spec, &again, &net, &iam)
        .await
        .unwrap();
    assert_eq!(again, cluster);
    assert_eq!(ng_again, NodeGroupOutcome::Ready(ng.clone()));
    assert_eq!(
        mutating_calls(em, "eks"),
        BTreeMap::new(),
        "no create/update/tag calls"
    );
    assert!(
        em.call_count("eks", "DescribeCluster") <= 2
            && em.call_count("eks", "DescribeNodegroup") <= 2,
        "{}",
        em.call_counts()
    );

    // --- adoption after a crash: the objects exist, the state is lost -----------------------
    // Another environment whose previous apply died right after CreateCluster and
    // CreateNodegroup were sent: both exist (still CREATING), with ownership tags.
    let crashed_name = unique_name("crash");
    let crashed = part_env(&aws, &crashed_name);
    sdk.create_cluster()
        .name(format!("{crashed_name}-eks"))
        .role_arn(&iam.cluster_role_arn)
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder()
                .set_subnet_ids(Some(net.private_subnet_ids.clone()))
                .set_security_group_ids(Some(vec![net.security_group_ids["eks"].clone()]))
                .endpoint_public_access(true)
                .endpoint_private_access(false)
                .build(),
        )
        .version("1.29")
        // As Mosia sends it (the spec's authentication mode).
        .access_config(
            aws_sdk_eks::types::CreateAccessConfigRequest::builder()
                .authentication_mode(aws_sdk_eks::types::AuthenticationMode::ApiAndConfigMap)
                .build(),
        )
        .logging(
            aws_sdk_eks::types::Logging::builder()
                .cluster_logging(
                    aws_sdk_eks::types::LogSetup::builder()
                        .types(aws_sdk_eks::types::LogType::Api)
                        .enabled(true)
                        .build(),
                )
                .build(),
        )
        .set_tags(Some(
            crashed
                .tags_for(PartId::EksCluster.tag())
                .into_iter()
                .collect(),
        ))
        .send()
        .await
        .expect("the crashed run's CreateCluster");
    em.clear_call_counts();
    let adopted = eks::ensure_cluster(&crashed, &spec, &net, &iam, None)
        .await
        .expect("adopt the cluster");
    assert_eq!(adopted.status, "ACTIVE");
    assert_eq!(
        em.call_count("eks", "CreateCluster"),
        0,
        "adopted, not created again"
    );
    assert_eq!(
        mutating_calls(em, "eks"),
        BTreeMap::new(),
        "it already matched the spec"
    );
    sdk.create_nodegroup()
        .cluster_name(&adopted.name)
        .nodegroup_name(format!("{crashed_name}-general"))
        .node_role(&iam.node_role_arn)
        .set_subnets(Some(net.private_subnet_ids.clone()))
        .scaling_config(
            aws_sdk_eks::types::NodegroupScalingConfig::builder()
                .min_size(1)
                .max_size(2)
                .desired_size(1)
                .build(),
        )
        .instance_types("t3.medium")
        .capacity_type(aws_sdk_eks::types::CapacityTypes::OnDemand)
        .disk_size(20)
        .ami_type(aws_sdk_eks::types::AmiTypes::Al2023X8664Standard)
        .labels("role", "general")
        .set_tags(Some({
            let mut tags = crashed.tags_for(PartId::EksCluster.tag());
            tags.insert(eks::NODE_GROUP_TAG.into(), "general".into());
            tags.into_iter().collect()
        }))
        .send()
        .await
        .expect("the crashed run's CreateNodegroup");
    em.clear_call_counts();
    let adopted_ng = eks::ensure_node_group(&crashed, "general", &ng_spec, &adopted, &net, &iam)
        .await
        .expect("adopt the node group");
    assert!(matches!(&adopted_ng, NodeGroupOutcome::Ready(s) if s.status == "ACTIVE"));
    assert_eq!(em.call_count("eks", "CreateNodegroup"), 0);
    let groups = sdk
        .list_nodegroups()
        .cluster_name(&adopted.name)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.nodegroups().len(), 1, "no duplicate node group");
    refresh(&mut env);
    eks::delete_cluster(&crashed)
        .await
        .expect("delete the adopted cluster");

    // A cluster of the same name that is not ours is a clear error, not an adoption.
    let foreign_name = unique_name("foreign");
    let foreign = part_env(&aws, &foreign_name);
    sdk.create_cluster()
        .name(format!("{foreign_name}-eks"))
        .role_arn(&iam.cluster_role_arn)
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder()
                .set_subnet_ids(Some(net.private_subnet_ids.clone()))
                .build(),
        )
        .version("1.29")
        .send()
        .await
        .unwrap();
    let err = eks::ensure_cluster(&foreign, &spec, &net, &iam, None)
        .await
        .expect_err("someone else's cluster");
    assert!(
        err.detail.contains("not managed by this environment"),
        "{err}"
    );
    assert_eq!(
        eks::read_cluster(&foreign).await.unwrap(),
        None,
        "not ours: not read as ours"
    );
    eks::delete_cluster(&foreign)
        .await
        .expect("delete leaves it alone");
    assert!(
        sdk.describe_cluster()
            .name(format!("{foreign_name}-eks"))
            .send()
            .await
            .is_ok(),
        "someone else's cluster survives our delete"
    );

    // --- in-place updates --------------------------------------------------------------------
    refresh(&mut env);
    em.clear_call_counts();
    let mut spec2 = spec.clone();
    spec2.version = Some("1.31".into()); // two minor versions: 1.30, then 1.31
    spec2.endpoint_private_access = true;
    spec2.public_access_cidrs = vec!["203.0.113.0/24".into()];
    spec2.enabled_log_types = ["api".to_string(), "audit".to_string()].into();
    let updated = eks::ensure_cluster(&env, &spec2, &net, &iam, None)
        .await
        .expect("update cluster");
    assert_eq!(updated.version, "1.31");
    assert!(updated.endpoint_private_access && updated.endpoint_public_access);
    assert_eq!(
        updated.public_access_cidrs,
        vec!["203.0.113.0/24".to_string()]
    );
    assert_eq!(
        updated.enabled_log_types,
        ["api".to_string(), "audit".to_string()].into()
    );
    assert_eq!(
        em.call_count("eks", "UpdateClusterVersion"),
        2,
        "one minor at a time"
    );
    assert_eq!(
        em.call_count("eks", "UpdateClusterConfig"),
        2,
        "endpoint access, then logging"
    );
    assert!(
        em.call_count("eks", "DescribeUpdate") >= 4,
        "each update awaited"
    );
    assert_eq!(em.call_count("eks", "CreateCluster"), 0);

    // Tags follow the environment's tags: the prior ones (as the resource passes them from
    // the prior state's tags_all) may be removed, a foreign one stays.
    sdk.tag_resource()
        .resource_arn(&updated.arn)
        .tags("karpenter.sh/discovery", &updated.name)
        .send()
        .await
        .expect("a foreign tag");
    env.previous_tag_keys = env.tags.keys().cloned().collect();
    env.tags.insert("cost-center".into(), "42".into());
    env.tags.remove("team");
    let retagged = eks::ensure_cluster(&env, &spec2, &net, &iam, None)
        .await
        .unwrap();
    assert_eq!(retagged.tags, env.tags_for(PartId::EksCluster.tag()));
    let seen = eks::read_cluster(&env).await.unwrap().unwrap();
    let mut expected = env.tags_for(PartId::EksCluster.tag());
    expected.insert("karpenter.sh/discovery".into(), updated.name.clone());
    assert_eq!(seen.tags, expected);
    assert!(!seen.tags.contains_key("team"));
    // Back to the original tags (the emulator tags EKS clusters only, not node groups: a
    // TagResource on a node group ARN answers ResourceNotFoundException there).
    env.tags.remove("cost-center");
    env.tags.insert("team".into(), "platform".into());
    eks::ensure_cluster(&env, &spec2, &net, &iam, None)
        .await
        .unwrap();

    // An older version than the cluster runs (EKS upgraded it on its own, and cannot
    // downgrade) is no change to make: the cluster is kept as it is.
    em.clear_call_counts();
    let mut down = spec2.clone();
    down.version = Some("1.30".into());
    let kept = eks::ensure_cluster(&env, &down, &net, &iam, None)
        .await
        .expect("a newer cluster is kept");
    assert_eq!(kept.version, "1.31");
    assert_eq!(
        mutating_calls(em, "eks"),
        BTreeMap::new(),
        "nothing changed"
    );

    // Node group: scaling and labels in place.
    em.clear_call_counts();
    let mut ng2 = ng_spec.clone();
    ng2.min_size = 2;
    ng2.desired_size = 2;
    ng2.max_size = 4;
    ng2.labels = [("tier".to_string(), "web".to_string())].into();
    let scaled = match eks::ensure_node_group(&env, "general", &ng2, &updated, &net, &iam)
        .await
        .expect("update node group")
    {
        NodeGroupOutcome::Ready(s) => s,
        other => panic!("expected Ready, got {other:?}"),
    };
    assert_eq!(
        (scaled.min_size, scaled.desired_size, scaled.max_size),
        (2, 2, 4)
    );
    assert_eq!(
        scaled.labels, ng2.labels,
        "label `role` removed, `tier` added"
    );
    assert_eq!(em.call_count("eks", "UpdateNodegroupConfig"), 1);

    // Instance type / capacity / disk: the node group is replaced, create before destroy.
    em.clear_call_counts();
    let mut ng3 = ng2.clone();
    ng3.instance_types = vec!["m6i.large".into()];
    ng3.capacity_type = CapacityType::Spot;
    let replaced = match eks::ensure_node_group(&env, "general", &ng3, &updated, &net, &iam)
        .await
        .expect("replace node group")
    {
        NodeGroupOutcome::Replaced { state, reasons } => {
            assert_eq!(reasons.len(), 2, "{reasons:?}");
            assert!(reasons[0].contains("instance types"), "{reasons:?}");
            assert!(reasons[1].contains("capacity type"), "{reasons:?}");
            state
        }
        other => panic!("expected Replaced, got {other:?}"),
    };
    assert!(
        replaced.name.starts_with(&format!("{env_name}-general-")),
        "a new name beside the old group: {}",
        replaced.name
    );
    assert_eq!(replaced.instance_types, vec!["m6i.large".to_string()]);
    assert_eq!(replaced.capacity_type, "SPOT");
    assert_eq!(em.call_count("eks", "DeleteNodegroup"), 1);
    assert_eq!(em.call_count("eks", "CreateNodegroup"), 1);

    // A second node group, created in parallel with nothing else.
    let mut batch = node_group_spec();
    batch.labels = BTreeMap::new();
    let batch_state = eks::ensure_node_group(&env, "batch", &batch, &updated, &net, &iam)
        .await
        .unwrap();
    assert!(matches!(batch_state, NodeGroupOutcome::Ready(_)));

    // --- drift: out-of-band changes show in read ---------------------------------------------
    refresh(&mut env);
    let upd = sdk
        .update_nodegroup_config()
        .cluster_name(&updated.name)
        .nodegroup_name(&replaced.name)
        .scaling_config(
            aws_sdk_eks::types::NodegroupScalingConfig::builder()
                .min_size(2)
                .max_size(4)
                .desired_size(3)
                .build(),
        )
        .send()
        .await
        .expect("out-of-band scaling");
    assert!(upd.update().is_some());
    sdk.update_cluster_config()
        .name(&updated.name)
        .logging(
            aws_sdk_eks::types::Logging::builder()
                .cluster_logging(
                    aws_sdk_eks::types::LogSetup::builder()
                        .types(aws_sdk_eks::types::LogType::Scheduler)
                        .enabled(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("out-of-band logging");
    em.clear_call_counts();
    let drifted_ng = eks::read_node_group(&env, "general")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(drifted_ng.desired_size, 3);
    let drifted = eks::read_cluster(&env).await.unwrap().unwrap();
    assert!(
        drifted.enabled_log_types.contains("scheduler"),
        "{:?}",
        drifted.enabled_log_types
    );
    assert_eq!(
        em.call_count("eks", "DescribeCluster"),
        1,
        "one describe per object"
    );
    assert_eq!(
        em.call_count("eks", "DescribeNodegroup"),
        1,
        "one describe per object"
    );
    // ensure puts it back
    let back = eks::ensure_cluster(&env, &spec2, &net, &iam, None)
        .await
        .unwrap();
    assert_eq!(back.enabled_log_types, spec2.enabled_log_types);
    match eks::ensure_node_group(&env, "general", &ng3, &back, &net, &iam)
        .await
        .unwrap()
    {
        NodeGroupOutcome::Ready(s) => assert_eq!(s.desired_size, 2),
        other => panic!("{other:?}"),
    }

    // --- delete ------------------------------------------------------------------------------
    refresh(&mut env);
    em.clear_call_counts();
    eks::delete_node_group(&env, "batch")
        .await
        .expect("delete node group");
    assert_eq!(eks::read_node_group(&env, "batch").await.unwrap(), None);
    eks::delete_node_group(&env, "batch")
        .await
        .expect("deleting again is a no-op");
    // The cluster delete removes the remaining node group ("general") first.
    eks::delete_cluster(&env).await.expect("delete cluster");
    assert_eq!(eks::read_cluster(&env).await.unwrap(), None);
    assert_eq!(eks::read_node_group(&env, "general").await.unwrap(), None);
    eks::delete_cluster(&env)
        .await
        .expect("deleting again is a no-op");
    let left = sdk.list_clusters().send().await.unwrap();
    let ours: Vec<&String> = left
        .clusters()
        .iter()
        .filter(|c| c.starts_with(&env_name) || c.starts_with(&crashed_name))
        .collect();
    assert!(ours.is_empty(), "nothing owned is left: {ours:?}");
}

#[test]
fn msk_cluster_converges_adopts_refuses_shrinking_and_deletes() {
    setup_env();
    let emu = Emulator::start_with_profile("lifecycle");
    let Some(em) = emu.require_embedded("the MSK part test (call counts)") else {
        return;
    };
    em.set_durations(json!({"msk_cluster": 0.3}));
    rt().block_on(async {
        tokio::time::timeout(TEST_LIMIT, msk_scenario(em))
            .await
            .expect("the MSK scenario finished within the test limit");
    });
}

async fn msk_scenario(em: &Emulator) {
    let aws = aws(em).await;
    // Three AZs: MSK uses all three (min(AZs, 3)).
    let net = network(&aws, 3).await;
    let env_name = unique_name("msk");
    let mut env = part_env(&aws, &env_name);
    let kafka = aws.kafka();

    // --- create from nothing ---------------------------------------------------------------
    let spec = msk_spec();
    let created = msk::ensure(&env, &spec, &net).await.expect("create MSK");
    assert_eq!(created.name, format!("{env_name}-kafka"));
    assert_eq!(created.status, "ACTIVE");
    assert_eq!(created.number_of_broker_nodes, 3, "1 per AZ × 3 AZs");
    assert_eq!(created.storage_gb, 10);
    assert_eq!(created.kafka_version, "3.6.0");
    assert_eq!(created.broker_instance_type, "kafka.t3.small");
    assert_eq!(created.client_subnets, net.private_subnet_ids);
    assert_eq!(
        created.security_groups,
        vec![net.security_group_ids["msk"].clone()]
    );
    assert_eq!(created.client_authentication, ["iam".to_string()].into());
    assert_eq!(created.encryption_in_transit, "TLS");
    let iam_brokers = created
        .bootstrap_brokers_iam
        .clone()
        .expect("IAM bootstrap brokers");
    assert_eq!(iam_brokers.split(',').count(), 3);
    assert!(
        iam_brokers.split(',').all(|b| b.ends_with(":9098")),
        "{iam_brokers}"
    );
    assert_eq!(
        created.bootstrap_brokers, None,
        "no plaintext with IAM over TLS"
    );
    assert_eq!(em.call_count("kafka", "CreateClusterV2"), 1);
    assert_eq!(msk::read(&env).await.unwrap().as_ref(), Some(&created));

    // --- a second ensure is a no-op --------------------------------------------------------
    em.clear_call_counts();
    let again = msk::ensure(&env, &spec, &net).await.unwrap();
    assert_eq!(again, created);
    assert_eq!(
        mutating_calls(em, "kafka"),
        BTreeMap::new(),
        "no create/update/tag calls"
    );

    // --- adoption after a crash --------------------------------------------------------------
    let crashed_name = unique_name("crash");
    let crashed = part_env(&aws, &crashed_name);
    use aws_sdk_kafka::types::*;
    // The crashed run had written its configuration first, then asked for the cluster.
    let configuration = kafka
        .create_configuration()
        .name(msk::configuration::configuration_name(&crashed))
        .description(msk::configuration::owner_description(&crashed))
        .server_properties(aws_sdk_kafka::primitives::Blob::new(
            msk::configuration::properties_text(&spec.server_properties),
        ))
        .send()
        .await
        .expect("the crashed run's CreateConfiguration");
    kafka
        .create_cluster_v2()
        .cluster_name(format!("{crashed_name}-kafka"))
        .provisioned(
            ProvisionedRequest::builder()
                .kafka_version("3.6.0")
                .configuration_info(
                    ConfigurationInfo::builder()
                        .arn(configuration.arn().unwrap())
                        .revision(1)
                        .build(),
                )
                .number_of_broker_nodes(3)
                .broker_node_group_info(
                    BrokerNodeGroupInfo::builder()
                        .instance_type("kafka.t3.small")
                        .set_client_subnets(Some(net.private_subnet_ids.clone()))
                        .security_groups(net.security_group_ids["msk"].clone())
                        .storage_info(
                            StorageInfo::builder()
                                .ebs_storage_info(EbsStorageInfo::builder().volume_size(10).build())
                                .build(),
                        )
                        .build(),
                )
                .client_authentication(
                    ClientAuthentication::builder()
                        .sasl(
                            Sasl::builder()
                                .iam(Iam::builder().enabled(true).build())
                                .build(),
                        )
                        .unauthenticated(Unauthenticated::builder().enabled(false).build())
                        .build(),
                )
                .encryption_info(
                    EncryptionInfo::builder()
                        .encryption_in_transit(
                            EncryptionInTransit::builder()
                                .client_broker(ClientBroker::Tls)
                                .in_cluster(true)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .set_tags(Some(ownership_tags(&crashed_name, PartId::Msk.tag())))
        .tags("team", "platform")
        .send()
        .await
        .expect("the crashed run's CreateClusterV2");
    em.clear_call_counts();
    let adopted = msk::ensure(&crashed, &spec, &net).await.expect("adopt MSK");
    assert_eq!(adopted.status, "ACTIVE");
    assert_eq!(
        em.call_count("kafka", "CreateClusterV2"),
        0,
        "adopted, not created again"
    );
    assert_eq!(
        mutating_calls(em, "kafka"),
        BTreeMap::new(),
        "it already matched"
    );
    let listed = kafka
        .list_clusters_v2()
        .cluster_name_filter(format!("{crashed_name}-kafka"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.cluster_info_list().len(), 1, "no duplicate");
    msk::delete(&crashed)
        .await
        .expect("delete the adopted cluster");

    // Same name, not ours: a clear error; read and delete leave it alone.
    let foreign_name = unique_name("foreign");
    let foreign = part_env(&aws, &foreign_name);
    kafka
        .create_cluster_v2()
        .cluster_name(format!("{foreign_name}-kafka"))
        .provisioned(
            ProvisionedRequest::builder()
                .kafka_version("3.6.0")
                .number_of_broker_nodes(2)
                .broker_node_group_info(
                    BrokerNodeGroupInfo::builder()
                        .instance_type("kafka.t3.small")
                        .set_client_subnets(Some(net.private_subnet_ids[..2].to_vec()))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let err = msk::ensure(&foreign, &spec, &net)
        .await
        .expect_err("someone else's cluster");
    assert!(
        err.detail.contains("not managed by this environment"),
        "{err}"
    );
    assert_eq!(msk::read(&foreign).await.unwrap(), None);
    msk::delete(&foreign).await.unwrap();
    let still = kafka
        .list_clusters_v2()
        .cluster_name_filter(format!("{foreign_name}-kafka"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.cluster_info_list().len(),
        1,
        "someone else's cluster survives"
    );

    // --- in-place updates --------------------------------------------------------------------
    refresh(&mut env);
    em.clear_call_counts();
    let mut bigger = spec.clone();
    bigger.brokers_per_az = 2;
    bigger.storage_gb = 20;
    bigger.broker_instance_type = "kafka.m7g.large".into();
    let grown = msk::ensure(&env, &bigger, &net).await.expect("grow MSK");
    assert_eq!(grown.number_of_broker_nodes, 6);
    assert_eq!(grown.storage_gb, 20);
    assert_eq!(grown.broker_instance_type, "kafka.m7g.large");
    assert_ne!(grown.current_version, created.current_version);
    assert_eq!(grown.arn, created.arn, "same cluster");
    assert_eq!(
        grown
            .bootstrap_brokers_iam
            .as_deref()
            .unwrap()
            .split(',')
            .count(),
        6
    );
    for op in [
        "UpdateBrokerType",
        "UpdateBrokerStorage",
        "UpdateBrokerCount",
    ] {
        assert_eq!(em.call_count("kafka", op), 1, "{op}");
    }
    assert!(
        em.call_count("kafka", "DescribeClusterOperation") >= 3,
        "each operation awaited"
    );
    assert_eq!(em.call_count("kafka", "CreateClusterV2"), 0);

    // Fewer brokers and smaller disks cannot be done in place: refused, nothing changes.
    em.clear_call_counts();
    let err = msk::ensure(&env, &spec, &net).await.expect_err("shrink");
    assert!(err.detail.contains("does not remove brokers"), "{err}");
    assert!(err.detail.contains("can only grow"), "{err}");
    assert!(!err.retryable);
    assert_eq!(
        mutating_calls(em, "kafka"),
        BTreeMap::new(),
        "nothing changed"
    );

    // Authentication and encryption in transit: UpdateSecurity.
    em.clear_call_counts();
    let mut open = bigger.clone();
    open.client_authentication = MskAuth::Unauthenticated;
    open.encryption_in_transit = MskTransit::TlsPlaintext;
    let opened = msk::ensure(&env, &open, &net)
        .await
        .expect("update security");
    assert_eq!(em.call_count("kafka", "UpdateSecurity"), 1);
    assert_eq!(
        opened.client_authentication,
        ["unauthenticated".to_string()].into()
    );
    assert_eq!(opened.encryption_in_transit, "TLS_PLAINTEXT");
    assert!(opened
        .bootstrap_brokers
        .as_deref()
        .is_some_and(|b| b.contains(":9092")));
    assert_eq!(opened.bootstrap_brokers_iam, None);

    // --- drift -------------------------------------------------------------------------------
    refresh(&mut env);
    kafka
        .update_broker_storage()
        .cluster_arn(&opened.arn)
        .current_version(&opened.current_version)
        .target_broker_ebs_volume_info(
            BrokerEbsVolumeInfo::builder()
                .kafka_broker_node_id("All")
                .volume_size_gb(50)
                .build(),
        )
        .send()
        .await
        .expect("out-of-band storage change");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let drifted = msk::read(&env).await.unwrap().expect("exists");
    assert_eq!(drifted.storage_gb, 50);
    assert_ne!(drifted.current_version, opened.current_version);

    // --- delete ------------------------------------------------------------------------------
    refresh(&mut env);
    msk::delete(&env).await.expect("delete MSK");
    assert_eq!(msk::read(&env).await.unwrap(), None);
    msk::delete(&env).await.expect("deleting again is a no-op");
    let left = kafka.list_clusters_v2().send().await.unwrap();
    let ours: Vec<_> = left
        .cluster_info_list()
        .iter()
        .filter(|c| {
            c.tags()
                .and_then(|t| t.get(ENVIRONMENT_TAG))
                .is_some_and(|e| *e == env_name || *e == crashed_name)
        })
        .collect();
    assert!(ours.is_empty(), "nothing owned is left: {ours:?}");
}

#[test]
fn failures_are_reported_and_recoverable() {
    setup_env();
    let emu = Emulator::start_with_profile("lifecycle");
    let Some(em) = emu.require_embedded("the failure-path test (fault injection)") else {
        return;
    };
    em.set_durations(json!({"*": 0.2}));
    rt().block_on(async {
        tokio::time::timeout(TEST_LIMIT, failure_scenario(em))
            .await
            .expect("the failure scenario finished within the test limit");
    });
}

async fn failure_scenario(em: &Emulator) {
    let aws = aws(em).await;
    let net = network(&aws, 2).await;
    let iam = iam_state(&aws).await;
    let env_name = unique_name("fail");
    let mut env = part_env(&aws, &env_name);

    // Throttling on create is retried by the SDK: the cluster is still created once.
    em.inject_fault(
        json!({"service": "eks", "operation": "CreateCluster", "count": 1,
        "error_code": "ThrottlingException", "http_status": 429}),
    );
    let cluster = eks::ensure_cluster(&env, &eks_spec(), &net, &iam, None)
        .await
        .expect("create");
    assert_eq!(cluster.status, "ACTIVE");

    // A cluster update that fails: the error carries EKS's message.
    em.inject_fault(json!({"kind": "eks_cluster", "transition": "update",
        "name": cluster.name, "message": "upgrade broke"}));
    let mut newer = eks_spec();
    newer.version = Some("1.30".into());
    let err = eks::ensure_cluster(&env, &newer, &net, &iam, None)
        .await
        .expect_err("failed update");
    assert!(err.detail.contains("upgrade broke"), "{err}");
    refresh(&mut env);
    let retried = eks::ensure_cluster(&env, &newer, &net, &iam, None)
        .await
        .expect("retry succeeds");
    assert_eq!(retried.version, "1.30");

    // A node group whose create fails: an error now, then reported for replacement.
    let ng_name = format!("{env_name}-general");
    em.inject_fault(json!({"kind": "eks_nodegroup", "transition": "create", "name": ng_name}));
    let err = eks::ensure_node_group(&env, "general", &node_group_spec(), &retried, &net, &iam)
        .await
        .expect_err("CREATE_FAILED");
    assert!(err.detail.contains("CREATE_FAILED"), "{err}");
    refresh(&mut env);
    let outcome = eks::ensure_node_group(&env, "general", &node_group_spec(), &retried, &net, &iam)
        .await
        .expect("replacement");
    let NodeGroupOutcome::Replaced { state: ng, reasons } = outcome else {
        panic!("expected Replaced, got {outcome:?}");
    };
    assert!(reasons[0].contains("CREATE_FAILED"), "{reasons:?}");
    assert_eq!(ng.status, "ACTIVE");
    assert_ne!(
        ng.name, ng_name,
        "created beside the failed group, which is deleted"
    );

    // MSK: an operation that fails is reported with MSK's error info; a retry converges.
    let created = msk::ensure(&env, &msk_spec(), &net)
        .await
        .expect("create MSK");
    assert_eq!(created.number_of_broker_nodes, 2, "1 per AZ × 2 AZs");
    em.inject_fault(json!({"kind": "msk_cluster", "transition": "update",
        "name": created.name, "message": "no capacity for brokers"}));
    let mut bigger = msk_spec();
    bigger.storage_gb = 30;
    let err = msk::ensure(&env, &bigger, &net)
        .await
        .expect_err("failed operation");
    assert!(err.detail.contains("no capacity for brokers"), "{err}");
    refresh(&mut env);
    // (The emulator applies the change before the operation ends, failed or not.)
    let grown = msk::ensure(&env, &bigger, &net).await.expect("retry");
    assert_eq!(grown.storage_gb, 30);

    // Cancellation stops a wait promptly with a "stopped" error.
    let token = env.ctx.cancelled.clone();
    em.set_durations(json!({"msk_cluster": {"delete": 4}}));
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        token.cancel();
    });
    let started = std::time::Instant::now();
    let err = msk::delete(&env).await.expect_err("cancelled");
    stopper.await.unwrap();
    assert!(err.is_stop(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Clean up with a fresh context.
    em.set_durations(json!({"*": 0.2}));
    let env = part_env(&aws, &env_name);
    msk::delete(&env).await.expect("delete MSK");
    eks::delete_cluster(&env).await.expect("delete EKS");
    assert_eq!(msk::read(&env).await.unwrap(), None);
    assert_eq!(eks::read_cluster(&env).await.unwrap(), None);
}
