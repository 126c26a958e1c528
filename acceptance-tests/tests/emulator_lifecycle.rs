//! The emulator's lifecycles and the calls it adds to moto, seen through the AWS SDK for
//! Rust as the provider uses it. Each test starts its own emulator on a free port.
//! Timing assertions need the project's emulator and are skipped against an external
//! endpoint (AWS_ENDPOINT_URL).

use std::time::{Duration, Instant};

use aws_sdk_kafka::error::ProvideErrorMetadata;
use mosia_acceptance_tests::emulator::{unique_name, Emulator, ScaledSleep};
use mosia_acceptance_tests::{iam_roles, own_vpc};
use serde_json::json;

/// Bound on every poll loop in this file.
const POLL_LIMIT: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(200);
/// SDK waiters sleep 1/100 of their modelled delays (30 s becomes 0.3 s).
const WAITER_SLEEP_FACTOR: f64 = 0.01;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Polls `check` until it returns Some, at most POLL_LIMIT.
async fn poll<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + POLL_LIMIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {POLL_LIMIT:?} waiting for {what}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// What EKS CreateCluster needs, as AWS does: a cluster role (trusted by EKS, with
/// AmazonEKSClusterPolicy) and existing subnets in two AZs. Returns the role ARN and the
/// subnet IDs.
async fn eks_prerequisites(sdk: &aws_config::SdkConfig) -> (String, Vec<String>) {
    let iam = aws_sdk_iam::Client::new(sdk);
    let role = iam_roles::cluster_role(&iam, &unique_name("eks-cluster")).await;
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let (_, subnets) = own_vpc::create_in_zones(&ec2, "10.60", 2).await;
    (role, subnets)
}

#[test]
fn eks_sdk_waiter_waits_through_creating() {
    let cluster = unique_name("waiter");
    let emu = Emulator::start_with_profile("lifecycle");
    let Some(emu) = emu.require_embedded("the EKS waiter timing test") else {
        return;
    };
    let create_secs = 3.0;
    emu.set_durations(json!({"eks_cluster": {"create": create_secs}}));
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        let conf = aws_sdk_eks::config::Builder::from(&sdk)
            .sleep_impl(ScaledSleep::new(WAITER_SLEEP_FACTOR))
            .build();
        let eks = aws_sdk_eks::Client::from_conf(conf);
        let (role, subnets) = eks_prerequisites(&sdk).await;
        let started = Instant::now();
        let created = eks
            .create_cluster()
            .name(&cluster)
            .role_arn(role)
            .resources_vpc_config(
                aws_sdk_eks::types::VpcConfigRequest::builder()
                    .set_subnet_ids(Some(subnets))
                    .build(),
            )
            .version("1.29")
            .send()
            .await
            .expect("create_cluster");
        assert_eq!(
            created.cluster().and_then(|c| c.status()),
            Some(&aws_sdk_eks::types::ClusterStatus::Creating)
        );

        use aws_sdk_eks::client::Waiters;
        let done = eks
            .wait_until_cluster_active()
            .name(&cluster)
            .wait(Duration::from_secs(60))
            .await
            .expect("the ClusterActive waiter succeeds");
        let elapsed = started.elapsed();
        let status = done
            .as_result()
            .ok()
            .and_then(|o| o.cluster())
            .and_then(|c| c.status())
            .cloned();
        assert_eq!(status, Some(aws_sdk_eks::types::ClusterStatus::Active));
        assert!(
            elapsed >= Duration::from_secs_f64(create_secs - 0.05),
            "the waiter returned after {elapsed:?}, before the configured {create_secs} s"
        );
        let polls = emu.call_count("eks", "DescribeCluster");
        assert!(
            polls >= 2,
            "the waiter polled {polls} time(s); it should have seen CREATING first"
        );
        eprintln!("ClusterActive waiter: {elapsed:?}, {polls} DescribeCluster calls");
    });
}

#[test]
fn eks_update_cluster_version_and_describe_update() {
    let cluster_name = unique_name("version");
    let emu = Emulator::start_with_profile("lifecycle");
    if emu.is_embedded() {
        emu.set_durations(json!({"eks_cluster": {"create": 0, "update": 1}}));
    }
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        let eks = aws_sdk_eks::Client::new(&sdk);
        let (role, subnets) = eks_prerequisites(&sdk).await;
        eks.create_cluster()
            .name(&cluster_name)
            .role_arn(role)
            .resources_vpc_config(
                aws_sdk_eks::types::VpcConfigRequest::builder()
                    .set_subnet_ids(Some(subnets.clone()))
                    .build(),
            )
            .version("1.29")
            .send()
            .await
            .expect("create_cluster");
        poll("cluster ACTIVE", || async {
            let c = eks
                .describe_cluster()
                .name(&cluster_name)
                .send()
                .await
                .ok()?;
            (c.cluster()?.status()? == &aws_sdk_eks::types::ClusterStatus::Active).then_some(())
        })
        .await;

        let update = eks
            .update_cluster_version()
            .name(&cluster_name)
            .version("1.30")
            .send()
            .await
            .expect("update_cluster_version")
            .update
            .expect("an update");
        assert_eq!(
            update.r#type(),
            Some(&aws_sdk_eks::types::UpdateType::VersionUpdate)
        );
        let id = update.id().expect("update id").to_string();
        if emu.is_embedded() {
            assert_eq!(
                update.status(),
                Some(&aws_sdk_eks::types::UpdateStatus::InProgress)
            );
            let c = eks
                .describe_cluster()
                .name(&cluster_name)
                .send()
                .await
                .unwrap();
            assert_eq!(
                c.cluster().and_then(|c| c.status()),
                Some(&aws_sdk_eks::types::ClusterStatus::Updating)
            );
            // A second update while one is in progress is refused, as AWS does.
            let err = eks
                .update_cluster_version()
                .name(&cluster_name)
                .version("1.31")
                .send()
                .await
                .expect_err("concurrent update");
            assert_eq!(err.code(), Some("ResourceInUseException"));
        }
        poll("update Successful", || async {
            let u = eks
                .describe_update()
                .name(&cluster_name)
                .update_id(&id)
                .send()
                .await
                .ok()?;
            (u.update()?.status()? == &aws_sdk_eks::types::UpdateStatus::Successful).then_some(())
        })
        .await;
        let c = eks
            .describe_cluster()
            .name(&cluster_name)
            .send()
            .await
            .unwrap();
        let cluster = c.cluster().unwrap();
        assert_eq!(cluster.version(), Some("1.30"));
        assert_eq!(
            cluster.status(),
            Some(&aws_sdk_eks::types::ClusterStatus::Active)
        );
        let ids = eks.list_updates().name(&cluster_name).send().await.unwrap();
        assert!(ids.update_ids().contains(&id));

        // UpdateClusterConfig answers with an update (moto answered with the cluster).
        let update = eks
            .update_cluster_config()
            .name(&cluster_name)
            .resources_vpc_config(
                aws_sdk_eks::types::VpcConfigRequest::builder()
                    .endpoint_public_access(false)
                    .endpoint_private_access(true)
                    .build(),
            )
            .send()
            .await
            .expect("update_cluster_config")
            .update
            .expect("an update");
        assert_eq!(
            update.r#type(),
            Some(&aws_sdk_eks::types::UpdateType::EndpointAccessUpdate)
        );
        let vpc = poll("config applied", || async {
            let c = eks
                .describe_cluster()
                .name(&cluster_name)
                .send()
                .await
                .ok()?;
            let cluster = c.cluster()?;
            (cluster.status()? == &aws_sdk_eks::types::ClusterStatus::Active)
                .then(|| cluster.resources_vpc_config().cloned())
                .flatten()
        })
        .await;
        assert!(!vpc.endpoint_public_access());
        assert!(vpc.endpoint_private_access());
        assert_eq!(
            vpc.subnet_ids(),
            subnets,
            "a partial update keeps the subnets"
        );
    });
}

#[test]
fn msk_cluster_reaches_active_and_returns_bootstrap_brokers() {
    let cluster = unique_name("brokers");
    use aws_sdk_kafka::types::*;
    let emu = Emulator::start_with_profile("lifecycle");
    if emu.is_embedded() {
        emu.set_durations(json!({"msk_cluster": {"create": 2, "update": 1, "delete": 1}}));
    }
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        let kafka = aws_sdk_kafka::Client::new(&sdk);
        // 3 brokers: one client subnet in each of 3 AZs (MSK refuses unknown subnets, and
        // wants the broker count a multiple of their AZs).
        let (_, subnets) =
            own_vpc::create_in_zones(&aws_sdk_ec2::Client::new(&sdk), "10.61", 3).await;
        let started = Instant::now();
        let created = kafka
            .create_cluster_v2()
            .cluster_name(&cluster)
            .provisioned(
                ProvisionedRequest::builder()
                    .kafka_version("3.6.0")
                    .number_of_broker_nodes(3)
                    .broker_node_group_info(
                        BrokerNodeGroupInfo::builder()
                            .instance_type("kafka.m5.large")
                            .set_client_subnets(Some(subnets))
                            .storage_info(
                                StorageInfo::builder()
                                    .ebs_storage_info(
                                        EbsStorageInfo::builder().volume_size(100).build(),
                                    )
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
                            .unauthenticated(Unauthenticated::builder().enabled(true).build())
                            .build(),
                    )
                    .encryption_info(
                        EncryptionInfo::builder()
                            .encryption_in_transit(
                                EncryptionInTransit::builder()
                                    .client_broker(ClientBroker::TlsPlaintext)
                                    .in_cluster(true)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("create_cluster_v2");
        assert_eq!(created.state(), Some(&ClusterState::Creating));
        let arn = created.cluster_arn().expect("cluster arn").to_string();

        if emu.is_embedded() {
            let err = kafka
                .get_bootstrap_brokers()
                .cluster_arn(&arn)
                .send()
                .await
                .expect_err("no brokers while CREATING");
            assert_eq!(err.code(), Some("BadRequestException"));
        }
        let version = poll("MSK ACTIVE", || async {
            let d = kafka
                .describe_cluster_v2()
                .cluster_arn(&arn)
                .send()
                .await
                .ok()?;
            let info = d.cluster_info()?;
            (info.state()? == &ClusterState::Active)
                .then(|| info.current_version().map(str::to_string))
        })
        .await
        .expect("current version");
        if emu.is_embedded() {
            assert!(
                started.elapsed() >= Duration::from_millis(1500),
                "ACTIVE too early"
            );
        }

        let brokers = kafka
            .get_bootstrap_brokers()
            .cluster_arn(&arn)
            .send()
            .await
            .expect("bootstrap brokers");
        let iam = brokers
            .bootstrap_broker_string_sasl_iam()
            .expect("IAM brokers (SASL/IAM enabled)");
        assert_eq!(iam.split(',').count(), 3);
        assert!(iam.split(',').all(|b| b.ends_with(":9098")), "{iam}");
        // TLS_PLAINTEXT with unauthenticated access: plaintext (9092) and TLS (9094) too.
        assert!(brokers
            .bootstrap_broker_string()
            .is_some_and(|b| b.contains(":9092")));
        assert!(brokers
            .bootstrap_broker_string_tls()
            .is_some_and(|b| b.contains(":9094")));
        assert!(
            brokers.bootstrap_broker_string_sasl_scram().is_none(),
            "SCRAM not enabled"
        );

        // Broker count: an operation that runs, then completes.
        let op = kafka
            .update_broker_count()
            .cluster_arn(&arn)
            .current_version(&version)
            .target_number_of_broker_nodes(6)
            .send()
            .await
            .expect("update_broker_count");
        let op_arn = op
            .cluster_operation_arn()
            .expect("operation arn")
            .to_string();
        let stale = kafka
            .update_broker_type()
            .cluster_arn(&arn)
            .current_version(&version)
            .target_instance_type("kafka.m5.xlarge")
            .send()
            .await
            .expect_err("a stale current version or a busy cluster is refused");
        assert_eq!(stale.code(), Some("BadRequestException"));
        poll("operation complete", || async {
            let d = kafka
                .describe_cluster_operation()
                .cluster_operation_arn(&op_arn)
                .send()
                .await
                .ok()?;
            (d.cluster_operation_info()?.operation_state()? == "UPDATE_COMPLETE").then_some(())
        })
        .await;
        let ops = kafka
            .list_cluster_operations()
            .cluster_arn(&arn)
            .send()
            .await
            .unwrap();
        let types: Vec<_> = ops
            .cluster_operation_info_list()
            .iter()
            .filter_map(|o| o.operation_type())
            .collect();
        assert!(types.contains(&"INCREASE_BROKER_COUNT"), "{types:?}");
        let d = kafka
            .describe_cluster_v2()
            .cluster_arn(&arn)
            .send()
            .await
            .unwrap();
        let info = d.cluster_info().unwrap();
        assert_eq!(
            info.provisioned().map(|p| p.number_of_broker_nodes()),
            Some(Some(6))
        );
        let version = info.current_version().unwrap().to_string();
        let brokers = kafka
            .get_bootstrap_brokers()
            .cluster_arn(&arn)
            .send()
            .await
            .unwrap();
        assert_eq!(
            brokers
                .bootstrap_broker_string_sasl_iam()
                .unwrap()
                .split(',')
                .count(),
            6
        );

        // Storage and type updates, one after the other.
        let op = kafka
            .update_broker_storage()
            .cluster_arn(&arn)
            .current_version(&version)
            .target_broker_ebs_volume_info(
                BrokerEbsVolumeInfo::builder()
                    .kafka_broker_node_id("All")
                    .volume_size_gb(200)
                    .build(),
            )
            .send()
            .await
            .expect("update_broker_storage");
        assert!(op.cluster_operation_arn().is_some());
        let version = poll("ACTIVE after storage update", || async {
            let d = kafka
                .describe_cluster_v2()
                .cluster_arn(&arn)
                .send()
                .await
                .ok()?;
            let info = d.cluster_info()?;
            (info.state()? == &ClusterState::Active)
                .then(|| info.current_version().map(str::to_string))
        })
        .await
        .unwrap();
        kafka
            .update_broker_type()
            .cluster_arn(&arn)
            .current_version(&version)
            .target_instance_type("kafka.m5.xlarge")
            .send()
            .await
            .expect("update_broker_type");

        // Delete: DELETING, then NotFoundException.
        poll("ACTIVE after type update", || async {
            let d = kafka
                .describe_cluster_v2()
                .cluster_arn(&arn)
                .send()
                .await
                .ok()?;
            (d.cluster_info()?.state()? == &ClusterState::Active).then_some(())
        })
        .await;
        let deleted = kafka
            .delete_cluster()
            .cluster_arn(&arn)
            .send()
            .await
            .expect("delete_cluster");
        assert_eq!(deleted.state(), Some(&ClusterState::Deleting));
        poll("cluster gone", || async {
            match kafka.describe_cluster_v2().cluster_arn(&arn).send().await {
                Err(e) if e.code() == Some("NotFoundException") => Some(()),
                _ => None,
            }
        })
        .await;
    });
}

#[test]
fn msk_unknown_arn_is_not_found() {
    let emu = Emulator::start();
    rt().block_on(async {
        let kafka = aws_sdk_kafka::Client::new(&emu.sdk_config().await);
        let arn = "arn:aws:kafka:us-east-1:123456789012:cluster/missing/00000000-0000-0000-0000-000000000000-1";
        let err = kafka.describe_cluster_v2().cluster_arn(arn).send().await.expect_err("unknown ARN");
        assert!(
            err.as_service_error().is_some_and(|e| e.is_not_found_exception()),
            "expected NotFoundException, got {err:?}"
        );
        let err = kafka.describe_cluster().cluster_arn(arn).send().await.expect_err("unknown ARN (v1)");
        assert!(err.as_service_error().is_some_and(|e| e.is_not_found_exception()), "{err:?}");
        // GetBootstrapBrokers does not model NotFoundException; the code is still AWS's.
        let err = kafka.get_bootstrap_brokers().cluster_arn(arn).send().await.expect_err("unknown ARN");
        assert_eq!(err.code(), Some("NotFoundException"), "{err:?}");
    });
}

#[test]
fn elasticache_replicas_reader_endpoint_and_delete_that_finishes() {
    let group = unique_name("cache");
    let emu = Emulator::start_with_profile("lifecycle");
    let delete_secs = 1.5;
    if emu.is_embedded() {
        emu.set_durations(json!({"elasticache_replication_group": {"create": 0, "update": 0.5, "delete": delete_secs}}));
    }
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        let conf = aws_sdk_elasticache::config::Builder::from(&sdk)
            .sleep_impl(ScaledSleep::new(WAITER_SLEEP_FACTOR))
            .build();
        let ec = aws_sdk_elasticache::Client::from_conf(conf);
        let rg = ec
            .create_replication_group()
            .replication_group_id(&group)
            .replication_group_description("test")
            .engine("redis")
            .cache_node_type("cache.t3.micro")
            .num_cache_clusters(2)
            .automatic_failover_enabled(true)
            .send()
            .await
            .expect("create_replication_group")
            .replication_group
            .unwrap();
        assert_eq!(
            rg.member_clusters().len(),
            2,
            "NumCacheClusters is honoured"
        );
        let ng = &rg.node_groups()[0];
        assert!(
            ng.reader_endpoint().and_then(|e| e.address()).is_some(),
            "reader endpoint"
        );
        assert!(
            ng.primary_endpoint().and_then(|e| e.address()).is_some(),
            "primary endpoint"
        );
        // Member cache clusters exist, as AWS lists them (engine version lives there).
        let members = ec
            .describe_cache_clusters()
            .send()
            .await
            .expect("describe_cache_clusters");
        let members: Vec<_> = members
            .cache_clusters()
            .iter()
            .filter(|c| c.replication_group_id() == Some(group.as_str()))
            .collect();
        assert_eq!(members.len(), 2);
        assert!(members.iter().all(|c| c.engine_version().is_some()));

        use aws_sdk_elasticache::client::Waiters;
        ec.wait_until_replication_group_available()
            .replication_group_id(&group)
            .wait(Duration::from_secs(60))
            .await
            .expect("available");

        let rg = ec
            .increase_replica_count()
            .replication_group_id(&group)
            .new_replica_count(2)
            .apply_immediately(true)
            .send()
            .await
            .expect("increase_replica_count")
            .replication_group
            .unwrap();
        assert_eq!(rg.member_clusters().len(), 3);
        ec.wait_until_replication_group_available()
            .replication_group_id(&group)
            .wait(Duration::from_secs(60))
            .await
            .expect("available after increase");
        let err = ec
            .decrease_replica_count()
            .replication_group_id(&group)
            .new_replica_count(0)
            .apply_immediately(true)
            .send()
            .await
            .expect_err("automatic failover needs a replica");
        assert_eq!(err.code(), Some("InvalidParameterCombination"));
        let rg = ec
            .decrease_replica_count()
            .replication_group_id(&group)
            .new_replica_count(1)
            .apply_immediately(true)
            .send()
            .await
            .expect("decrease_replica_count")
            .replication_group
            .unwrap();
        assert_eq!(rg.member_clusters().len(), 2);
        ec.wait_until_replication_group_available()
            .replication_group_id(&group)
            .wait(Duration::from_secs(60))
            .await
            .expect("available after decrease");

        let started = Instant::now();
        let rg = ec
            .delete_replication_group()
            .replication_group_id(&group)
            .send()
            .await
            .expect("delete_replication_group")
            .replication_group
            .unwrap();
        assert_eq!(rg.status(), Some("deleting"));
        ec.wait_until_replication_group_deleted()
            .replication_group_id(&group)
            .wait(Duration::from_secs(60))
            .await
            .expect("the ReplicationGroupDeleted waiter succeeds (moto alone never finishes)");
        if emu.is_embedded() {
            let elapsed = started.elapsed();
            assert!(
                elapsed >= Duration::from_secs_f64(delete_secs - 0.05),
                "deleted after {elapsed:?}"
            );
        }
        let err = ec
            .describe_replication_groups()
            .replication_group_id(&group)
            .send()
            .await
            .expect_err("gone");
        assert_eq!(err.code(), Some("ReplicationGroupNotFoundFault"));
    });
}

#[test]
fn rds_waiters_and_delete_needs_a_final_snapshot_decision() {
    let db_id = unique_name("db");
    let emu = Emulator::start_with_profile("lifecycle");
    let create_secs = 2.0;
    if emu.is_embedded() {
        emu.set_durations(
            json!({"rds_instance": {"create": create_secs, "update": 0.5, "delete": 1}}),
        );
    }
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        let conf = aws_sdk_rds::config::Builder::from(&sdk)
            .sleep_impl(ScaledSleep::new(WAITER_SLEEP_FACTOR))
            .build();
        let rds = aws_sdk_rds::Client::from_conf(conf);
        let started = Instant::now();
        let db = rds
            .create_db_instance()
            .db_instance_identifier(&db_id)
            .engine("postgres")
            .db_instance_class("db.t3.micro")
            .master_username("mosia")
            .master_user_password("not-a-real-password")
            .allocated_storage(20)
            .send()
            .await
            .expect("create_db_instance")
            .db_instance
            .unwrap();
        assert_eq!(db.db_instance_status(), Some("creating"));
        use aws_sdk_rds::client::Waiters;
        rds.wait_until_db_instance_available()
            .db_instance_identifier(&db_id)
            .wait(Duration::from_secs(60))
            .await
            .expect("DBInstanceAvailable waiter");
        if emu.is_embedded() {
            let elapsed = started.elapsed();
            assert!(
                elapsed >= Duration::from_secs_f64(create_secs - 0.05),
                "available after {elapsed:?}"
            );
        }

        let err = rds
            .delete_db_instance()
            .db_instance_identifier(&db_id)
            .send()
            .await
            .expect_err("a delete with no final-snapshot decision is rejected");
        assert_eq!(err.code(), Some("InvalidParameterCombination"), "{err:?}");
        let db = rds
            .delete_db_instance()
            .db_instance_identifier(&db_id)
            .skip_final_snapshot(true)
            .send()
            .await
            .expect("delete with SkipFinalSnapshot")
            .db_instance
            .unwrap();
        assert_eq!(db.db_instance_status(), Some("deleting"));
        rds.wait_until_db_instance_deleted()
            .db_instance_identifier(&db_id)
            .wait(Duration::from_secs(60))
            .await
            .expect("DBInstanceDeleted waiter");
        let err = rds
            .describe_db_instances()
            .db_instance_identifier(&db_id)
            .send()
            .await
            .expect_err("gone");
        assert_eq!(err.code(), Some("DBInstanceNotFound"));
    });
}

#[test]
fn eks_addons_follow_their_lifecycle() {
    let cluster = unique_name("addons");
    let emu = Emulator::start_with_profile("lifecycle");
    if emu.is_embedded() {
        emu.set_durations(json!({"eks_cluster": 0, "eks_addon": 1}));
    }
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        let conf = aws_sdk_eks::config::Builder::from(&sdk)
            .sleep_impl(ScaledSleep::new(WAITER_SLEEP_FACTOR))
            .build();
        let eks = aws_sdk_eks::Client::from_conf(conf);
        let (role, subnets) = eks_prerequisites(&sdk).await;
        eks.create_cluster()
            .name(&cluster)
            .role_arn(role)
            .resources_vpc_config(
                aws_sdk_eks::types::VpcConfigRequest::builder()
                    .set_subnet_ids(Some(subnets))
                    .build(),
            )
            .send()
            .await
            .expect("create_cluster");
        use aws_sdk_eks::client::Waiters;
        eks.wait_until_cluster_active()
            .name(&cluster)
            .wait(Duration::from_secs(60))
            .await
            .expect("cluster active");

        let versions = eks
            .describe_addon_versions()
            .addon_name("vpc-cni")
            .kubernetes_version("1.29")
            .send()
            .await
            .expect("describe_addon_versions");
        let version = versions.addons()[0].addon_versions()[0]
            .addon_version()
            .unwrap()
            .to_string();
        let addon = eks
            .create_addon()
            .cluster_name(&cluster)
            .addon_name("vpc-cni")
            .addon_version(&version)
            .send()
            .await
            .expect("create_addon")
            .addon
            .unwrap();
        assert_eq!(
            addon.status(),
            Some(&aws_sdk_eks::types::AddonStatus::Creating)
        );
        eks.wait_until_addon_active()
            .cluster_name(&cluster)
            .addon_name("vpc-cni")
            .wait(Duration::from_secs(60))
            .await
            .expect("AddonActive waiter");
        let listed = eks
            .list_addons()
            .cluster_name(&cluster)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.addons(), ["vpc-cni"]);

        let update = eks
            .update_addon()
            .cluster_name(&cluster)
            .addon_name("vpc-cni")
            .configuration_values(r#"{"env":{"WARM_IP_TARGET":"2"}}"#)
            .send()
            .await
            .expect("update_addon")
            .update
            .unwrap();
        assert_eq!(
            update.r#type(),
            Some(&aws_sdk_eks::types::UpdateType::AddonUpdate)
        );
        let id = update.id().unwrap().to_string();
        poll("addon update Successful", || async {
            let u = eks
                .describe_update()
                .name(&cluster)
                .update_id(&id)
                .addon_name("vpc-cni")
                .send()
                .await
                .ok()?;
            (u.update()?.status()? == &aws_sdk_eks::types::UpdateStatus::Successful).then_some(())
        })
        .await;
        let addon = eks
            .describe_addon()
            .cluster_name(&cluster)
            .addon_name("vpc-cni")
            .send()
            .await
            .unwrap()
            .addon
            .unwrap();
        assert_eq!(
            addon.configuration_values(),
            Some(r#"{"env":{"WARM_IP_TARGET":"2"}}"#)
        );

        eks.delete_addon()
            .cluster_name(&cluster)
            .addon_name("vpc-cni")
            .send()
            .await
            .expect("delete_addon");
        eks.wait_until_addon_deleted()
            .cluster_name(&cluster)
            .addon_name("vpc-cni")
            .wait(Duration::from_secs(60))
            .await
            .expect("AddonDeleted waiter");
    });
}
