//! Fault injection, call accounting and reset of the project's emulator, seen through the
//! AWS SDK for Rust: errors must come back in each service's wire format so that the SDK
//! parses the code and its retry classifier recognises throttling. These tests need the
//! project's emulator and skip against an external endpoint.

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_sdk_kafka::error::ProvideErrorMetadata;
use mosia_acceptance_tests::emulator::{unique_name, Emulator};
use mosia_acceptance_tests::{iam_roles, own_vpc};
use serde_json::json;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Standard retries, 3 attempts, with short backoff so that tests stay quick.
fn fast_retries(attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50))
}

#[test]
fn startup_time_is_reported() {
    let emu = Emulator::start();
    let Some(emu) = emu.require_embedded("the start-up time check") else {
        return;
    };
    let t = emu.startup_time().expect("startup time");
    eprintln!("emulator start-up (launch to first answer): {t:?}");
    assert!(t < Duration::from_secs(60), "start-up took {t:?}");
}

#[test]
fn injected_throttling_is_retried_and_counted() {
    let emu = Emulator::start();
    let Some(emu) = emu.require_embedded("fault injection") else {
        return;
    };
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        let kafka = aws_sdk_kafka::Client::from_conf(
            aws_sdk_kafka::config::Builder::from(&sdk)
                .retry_config(fast_retries(3))
                .build(),
        );
        emu.inject_fault(json!({
            "service": "kafka", "operation": "ListClustersV2", "count": 2,
            "error_code": "ThrottlingException", "message": "Rate exceeded"
        }));
        let out = kafka
            .list_clusters_v2()
            .send()
            .await
            .expect("succeeds on the third attempt");
        assert!(out.cluster_info_list().is_empty());
        assert_eq!(
            emu.call_count("kafka", "ListClustersV2"),
            3,
            "{}",
            emu.call_counts()
        );
        assert_eq!(emu.call_counts()["faulted"], 2);

        // More throttling than the SDK retries: the error surfaces with its code.
        emu.clear_call_counts();
        emu.inject_fault(json!({
            "service": "kafka", "operation": "ListClustersV2", "count": 5,
            "error_code": "ThrottlingException", "message": "Rate exceeded"
        }));
        let err = kafka
            .list_clusters_v2()
            .send()
            .await
            .expect_err("throttled 3 times");
        assert_eq!(err.code(), Some("ThrottlingException"));
        assert_eq!(err.message(), Some("Rate exceeded"));
        assert_eq!(emu.call_count("kafka", "ListClustersV2"), 3);
        emu.clear_faults();
        kafka
            .list_clusters_v2()
            .send()
            .await
            .expect("faults cleared");
    });
}

#[test]
fn faults_use_each_protocols_wire_format() {
    let emu = Emulator::start();
    let Some(emu) = emu.require_embedded("fault injection") else {
        return;
    };
    rt().block_on(async {
        let sdk = emu.sdk_config().await;

        // Query protocol (XML ErrorResponse): RDS. Throttling is retried...
        let rds = aws_sdk_rds::Client::from_conf(
            aws_sdk_rds::config::Builder::from(&sdk).retry_config(fast_retries(3)).build(),
        );
        emu.inject_fault(json!({"service": "rds", "operation": "DescribeDBInstances", "count": 1, "error_code": "Throttling"}));
        rds.describe_db_instances().send().await.expect("retried after Throttling");
        assert_eq!(emu.call_count("rds", "DescribeDBInstances"), 2);
        // ...a client error is not, and its code and message are parsed.
        emu.inject_fault(json!({
            "service": "rds", "operation": "DescribeDBInstances", "count": 1,
            "error_code": "InvalidParameterValue", "message": "bad value"
        }));
        let err = rds.describe_db_instances().send().await.expect_err("client error");
        assert_eq!(err.code(), Some("InvalidParameterValue"));
        assert_eq!(err.message(), Some("bad value"));
        assert_eq!(emu.call_count("rds", "DescribeDBInstances"), 3);

        // REST-JSON (EKS): a 5xx is transient and retried.
        let eks = aws_sdk_eks::Client::from_conf(
            aws_sdk_eks::config::Builder::from(&sdk).retry_config(fast_retries(3)).build(),
        );
        emu.inject_fault(json!({"service": "eks", "operation": "ListClusters", "count": 2, "error_code": "ServerException", "http_status": 500}));
        eks.list_clusters().send().await.expect("retried after 500s");
        assert_eq!(emu.call_count("eks", "ListClusters"), 3);

        // AWS JSON 1.0 (DynamoDB).
        let ddb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk).retry_config(fast_retries(1)).build(),
        );
        emu.inject_fault(json!({"service": "dynamodb", "operation": "ListTables", "count": 1, "error_code": "ProvisionedThroughputExceededException"}));
        let err = ddb.list_tables().send().await.expect_err("no retries configured");
        assert_eq!(err.code(), Some("ProvisionedThroughputExceededException"), "{err:?}");

        // REST-XML (S3: <Error>): SlowDown is throttling, retried.
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .retry_config(fast_retries(3))
                .build(),
        );
        emu.inject_fault(json!({"service": "s3", "operation": "ListBuckets", "count": 1, "error_code": "SlowDown"}));
        s3.list_buckets().send().await.expect("retried after SlowDown");
        assert_eq!(emu.call_count("s3", "ListBuckets"), 2);
        emu.inject_fault(json!({"service": "s3", "operation": "ListBuckets", "count": 1, "error_code": "AccessDenied", "http_status": 403, "message": "no"}));
        let err = s3.list_buckets().send().await.expect_err("access denied");
        assert_eq!(err.code(), Some("AccessDenied"));

        let calls = emu.call_counts();
        assert!(calls["total"].as_u64().unwrap() >= 10, "{calls}");
    });
}

#[test]
fn latency_is_added() {
    let emu = Emulator::start();
    let Some(emu) = emu.require_embedded("latency injection") else {
        return;
    };
    rt().block_on(async {
        let kafka = aws_sdk_kafka::Client::new(&emu.sdk_config().await);
        kafka.list_clusters_v2().send().await.expect("warm up");
        emu.inject_fault(json!({"service": "kafka", "operation": "ListClustersV2", "count": 1, "latency_ms": 1500}));
        let t = Instant::now();
        kafka.list_clusters_v2().send().await.expect("slow but fine");
        let elapsed = t.elapsed();
        assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
        let t = Instant::now();
        kafka.list_clusters_v2().send().await.expect("fast again");
        assert!(t.elapsed() < Duration::from_millis(1500), "the fault applied once");
    });
}

#[test]
fn reset_clears_state_faults_and_counts() {
    let emu = Emulator::start();
    let Some(emu) = emu.require_embedded("reset") else {
        return;
    };
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket()
            .bucket(unique_name("reset"))
            .send()
            .await
            .expect("create_bucket");
        assert_eq!(s3.list_buckets().send().await.unwrap().buckets().len(), 1);
        emu.inject_fault(
            json!({"service": "eks", "count": 0, "error_code": "ServiceUnavailableException"}),
        );
        emu.set_durations(json!({"msk_cluster": 42}));

        emu.reset();

        let calls = emu.call_counts();
        assert_eq!(calls["total"], 0, "{calls}");
        assert_eq!(
            s3.list_buckets().send().await.unwrap().buckets().len(),
            0,
            "moto state wiped"
        );
        let eks = aws_sdk_eks::Client::new(&sdk);
        eks.list_clusters().send().await.expect("faults cleared");
        assert_eq!(
            emu.durations()["durations"]["msk_cluster"]["create"],
            0.0,
            "launch durations restored"
        );
        assert_eq!(emu.call_count("s3", "ListBuckets"), 1);
    });
}

#[test]
fn lifecycle_faults_make_transitions_fail() {
    let emu = Emulator::start();
    let Some(emu) = emu.require_embedded("lifecycle fault injection") else {
        return;
    };
    rt().block_on(async {
        let sdk = emu.sdk_config().await;
        // What AWS requires first: existing subnets in two AZs (MSK client subnets, EKS) and
        // an EKS cluster role.
        let (_, subnets) =
            own_vpc::create_in_zones(&aws_sdk_ec2::Client::new(&sdk), "10.62", 2).await;
        let role =
            iam_roles::cluster_role(&aws_sdk_iam::Client::new(&sdk), &unique_name("eks-cluster"))
                .await;

        // MSK: the next create ends in FAILED.
        let kafka = aws_sdk_kafka::Client::new(&sdk);
        emu.inject_fault(json!({"kind": "msk_cluster", "transition": "create", "count": 1}));
        let name = unique_name("failing");
        let arn = kafka
            .create_cluster()
            .cluster_name(&name)
            .kafka_version("3.6.0")
            .number_of_broker_nodes(2)
            .broker_node_group_info(
                aws_sdk_kafka::types::BrokerNodeGroupInfo::builder()
                    .instance_type("kafka.t3.small")
                    .set_client_subnets(Some(subnets.clone()))
                    .build(),
            )
            .send()
            .await
            .expect("create_cluster")
            .cluster_arn
            .unwrap();
        let d = kafka.describe_cluster().cluster_arn(&arn).send().await.unwrap();
        assert_eq!(
            d.cluster_info().and_then(|c| c.state()),
            Some(&aws_sdk_kafka::types::ClusterState::Failed)
        );

        // EKS: an update that fails leaves the cluster ACTIVE on its old version.
        let eks = aws_sdk_eks::Client::new(&sdk);
        let cluster = unique_name("upd-fail");
        eks.create_cluster()
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
        emu.inject_fault(json!({"kind": "eks_cluster", "transition": "update", "name": cluster, "message": "upgrade broke"}));
        let id = eks
            .update_cluster_version()
            .name(&cluster)
            .version("1.30")
            .send()
            .await
            .expect("update_cluster_version")
            .update
            .and_then(|u| u.id)
            .unwrap();
        let u = eks
            .describe_update()
            .name(&cluster)
            .update_id(&id)
            .send()
            .await
            .unwrap()
            .update
            .unwrap();
        assert_eq!(u.status(), Some(&aws_sdk_eks::types::UpdateStatus::Failed));
        assert_eq!(u.errors()[0].error_message(), Some("upgrade broke"));
        let c = eks.describe_cluster().name(&cluster).send().await.unwrap();
        let c = c.cluster().unwrap();
        assert_eq!(c.status(), Some(&aws_sdk_eks::types::ClusterStatus::Active));
        assert_eq!(c.version(), Some("1.29"));
        assert!(emu.call_counts()["faulted"] == 0, "lifecycle faults are not call faults");
    });
}
