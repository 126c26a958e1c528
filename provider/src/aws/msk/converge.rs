//! In-place changes of an ACTIVE MSK cluster. [`refusals`] and [`pending_updates`] decide
//! (pure functions of the spec and the cluster as read); [`converge`] refuses what MSK
//! cannot do before changing anything, syncs the tags, then applies the updates one cluster
//! operation at a time (MSK runs one at a time, each against the cluster's
//! `currentVersion`), waiting for each operation and for ACTIVE again.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use aws_sdk_kafka::types::{
    BrokerEbsVolumeInfo, Cluster, ConfigurationInfo, EncryptionInTransit, EncryptionInfo,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::cluster::wait_cluster_active;
use super::configuration::ConfigurationRef;
use super::state::{auth_name, client_authentication, client_broker, state_of, Desired};
use super::{MskSpec, MskState, PART, SERVICE, UPDATE_WAIT};
use crate::aws::part::PartEnv;
use crate::aws::wait::{AwsKind, Statuses};
use crate::aws::{tags, version};
use crate::engine::{PartError, Poll};

/// A cluster operation (DescribeClusterOperation) on its way to completion. UPDATE_FAILED
/// (and FAILED) fail with MSK's reason; any other status fails the wait at once.
const OPERATION_COMPLETE: Statuses = Statuses {
    pending: &["PENDING", "UPDATE_IN_PROGRESS"],
    target: &["UPDATE_COMPLETE"],
};

/// One in-place change, in the order [`pending_updates`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Update {
    BrokerType {
        from: String,
        to: String,
    },
    /// Grow the EBS volume of every broker (GB).
    Storage {
        from: u32,
        to: u32,
    },
    /// Add brokers.
    BrokerCount {
        from: u32,
        to: u32,
    },
    /// Client authentication and / or encryption in transit (UpdateSecurity sends only what
    /// differs).
    Security {
        authentication: bool,
        transit: bool,
    },
    KafkaVersion {
        from: String,
        to: String,
    },
    /// Another configuration revision (the brokers restart one at a time).
    Configuration {
        from: Option<i64>,
        to: ConfigurationRef,
    },
}

/// The order of two MSK Kafka versions, None when either does not start with a number
/// (then no downgrade check). MSK's `x` (the latest patch: `3.7.x`) sorts above every
/// number, and suffixes such as `.kraft` or `.tiered` are ignored.
pub(super) fn kafka_order(a: &str, b: &str) -> Option<Ordering> {
    fn numeric(v: &str) -> Option<String> {
        let parts: Vec<String> = v
            .trim()
            .split('.')
            .map_while(|p| match p {
                "x" => Some(u64::MAX.to_string()),
                p if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => Some(p.to_string()),
                _ => None,
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("."))
    }
    Some(version::compare(&numeric(a)?, &numeric(b)?))
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// Why MSK cannot move brokers from `from` to `to`, if it cannot: MSK moves Standard
/// brokers between M5 and M7g sizes and up from T3, but never down to T3 ("You can't
/// migrate from a larger broker size to a smaller broker size. For example, M7g.large to
/// T3.small": MSK developer guide, "Update the broker size").
pub fn broker_type_refusal(from: &str, to: &str) -> Option<String> {
    let family = |t: &str| t.split('.').nth(1).unwrap_or_default().to_string();
    (family(to) == "t3" && family(from) != "t3" && from != to).then(|| {
        format!(
            "broker type {from} → {to}: MSK cannot move brokers down to a T3 size; choose an \
             M5 or M7g size, or replace the cluster"
        )
    })
}

/// What MSK cannot change in place (fewer brokers, smaller volumes, an older Kafka, other
/// subnets or security groups, a move down to T3), each with the reason; empty when
/// everything can converge.
pub(super) fn refusals(spec: &MskSpec, want: &Desired, have: &MskState) -> Vec<String> {
    let mut out: Vec<String> =
        broker_type_refusal(&have.broker_instance_type, &spec.broker_instance_type)
            .into_iter()
            .collect();
    if want.brokers < have.number_of_broker_nodes {
        out.push(format!(
            "broker count {} → {}: MSK does not remove brokers in place (set brokers_per_az back, \
             or replace the cluster)",
            have.number_of_broker_nodes, want.brokers
        ));
    }
    if spec.storage_gb < have.storage_gb {
        out.push(format!(
            "storage {} GB → {} GB per broker: EBS volumes of MSK brokers can only grow",
            have.storage_gb, spec.storage_gb
        ));
    }
    if kafka_order(&spec.kafka_version, &have.kafka_version) == Some(Ordering::Less) {
        out.push(format!(
            "Kafka version {} → {}: MSK cannot downgrade Kafka",
            have.kafka_version, spec.kafka_version
        ));
    }
    if sorted(&have.client_subnets) != sorted(&want.subnets) {
        out.push(format!(
            "client subnets [{}] → [{}]: MSK cannot move brokers to other subnets (replace the cluster)",
            have.client_subnets.join(", "),
            want.subnets.join(", ")
        ));
    }
    if !want.security_groups.is_empty()
        && sorted(&have.security_groups) != sorted(&want.security_groups)
    {
        out.push(format!(
            "security groups [{}] → [{}]: MSK cannot change the brokers' security groups (replace the cluster)",
            have.security_groups.join(", "),
            want.security_groups.join(", ")
        ));
    }
    out
}

/// The operations that bring the cluster to `spec`, in the order they run: broker type,
/// storage (grow), broker count (add), security, Kafka version, configuration revision.
/// Assumes [`refusals`] is empty.
pub(super) fn pending_updates(
    spec: &MskSpec,
    want: &Desired,
    have: &MskState,
    configuration: &ConfigurationRef,
) -> Vec<Update> {
    let mut out = Vec::new();
    if spec.broker_instance_type != have.broker_instance_type {
        out.push(Update::BrokerType {
            from: have.broker_instance_type.clone(),
            to: spec.broker_instance_type.clone(),
        });
    }
    if spec.storage_gb > have.storage_gb {
        out.push(Update::Storage {
            from: have.storage_gb,
            to: spec.storage_gb,
        });
    }
    if want.brokers > have.number_of_broker_nodes {
        out.push(Update::BrokerCount {
            from: have.number_of_broker_nodes,
            to: want.brokers,
        });
    }
    let mut want_auth: BTreeSet<String> =
        [auth_name(spec.client_authentication).to_string()].into();
    if spec.scram {
        want_auth.insert("scram".into());
    }
    let authentication = have.client_authentication != want_auth;
    let transit = have.encryption_in_transit != spec.encryption_in_transit.as_str();
    if authentication || transit {
        out.push(Update::Security {
            authentication,
            transit,
        });
    }
    if spec.kafka_version != have.kafka_version && !have.kafka_version.is_empty() {
        out.push(Update::KafkaVersion {
            from: have.kafka_version.clone(),
            to: spec.kafka_version.clone(),
        });
    }
    if have.configuration.as_ref() != Some(configuration) {
        out.push(Update::Configuration {
            from: have.configuration.as_ref().map(|c| c.revision),
            to: configuration.clone(),
        });
    }
    out
}

impl Update {
    /// What the update does, for errors and waits.
    fn what(&self, name: &str) -> String {
        match self {
            Update::BrokerType { from, to } => {
                format!("changing the broker type of MSK cluster `{name}` from {from} to {to}")
            }
            Update::Storage { from, to } => {
                format!(
                    "growing the broker storage of MSK cluster `{name}` from {from} GB to {to} GB"
                )
            }
            Update::BrokerCount { from, to } => {
                format!("adding brokers to MSK cluster `{name}` ({from} → {to})")
            }
            Update::Security { .. } => {
                format!("updating client authentication / encryption in transit of MSK cluster `{name}`")
            }
            Update::KafkaVersion { from, to } => {
                format!("upgrading Kafka of MSK cluster `{name}` from {from} to {to}")
            }
            Update::Configuration { from, to } => format!(
                "moving MSK cluster `{name}` to revision {} of its configuration (from {})",
                to.revision,
                from.map_or("none".to_string(), |r| format!("revision {r}"))
            ),
        }
    }

    /// Starts the operation against `current_version`; returns its ARN.
    async fn start(
        &self,
        env: &PartEnv,
        spec: &MskSpec,
        arn: &str,
        current_version: &str,
        what: &str,
    ) -> Result<Option<String>, PartError> {
        let kafka = env.aws.kafka();
        tracing::info!(part = %PART, cluster = arn, update = ?self, "updating MSK cluster");
        let op = match self {
            Update::BrokerType { to, .. } => {
                kafka
                    .update_broker_type()
                    .cluster_arn(arn)
                    .current_version(current_version)
                    .target_instance_type(to)
                    .send()
                    .await
                    .map_err(op_error(what, "UpdateBrokerType"))?
                    .cluster_operation_arn
            }
            Update::Storage { to, .. } => {
                kafka
                    .update_broker_storage()
                    .cluster_arn(arn)
                    .current_version(current_version)
                    .target_broker_ebs_volume_info(
                        BrokerEbsVolumeInfo::builder()
                            .kafka_broker_node_id("All")
                            .volume_size_gb(*to as i32)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(op_error(what, "UpdateBrokerStorage"))?
                    .cluster_operation_arn
            }
            Update::BrokerCount { to, .. } => {
                kafka
                    .update_broker_count()
                    .cluster_arn(arn)
                    .current_version(current_version)
                    .target_number_of_broker_nodes(*to as i32)
                    .send()
                    .await
                    .map_err(op_error(what, "UpdateBrokerCount"))?
                    .cluster_operation_arn
            }
            Update::Security {
                authentication,
                transit,
            } => {
                let mut req = kafka
                    .update_security()
                    .cluster_arn(arn)
                    .current_version(current_version);
                if *authentication {
                    req = req.client_authentication(client_authentication(spec));
                }
                if *transit {
                    req = req.encryption_info(transit_only(spec));
                }
                req.send()
                    .await
                    .map_err(op_error(what, "UpdateSecurity"))?
                    .cluster_operation_arn
            }
            Update::KafkaVersion { to, .. } => {
                kafka
                    .update_cluster_kafka_version()
                    .cluster_arn(arn)
                    .current_version(current_version)
                    .target_kafka_version(to)
                    .send()
                    .await
                    .map_err(op_error(what, "UpdateClusterKafkaVersion"))?
                    .cluster_operation_arn
            }
            Update::Configuration { to, .. } => {
                kafka
                    .update_cluster_configuration()
                    .cluster_arn(arn)
                    .current_version(current_version)
                    .configuration_info(
                        ConfigurationInfo::builder()
                            .arn(&to.arn)
                            .revision(to.revision)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(op_error(what, "UpdateClusterConfiguration"))?
                    .cluster_operation_arn
            }
        };
        Ok(op)
    }
}

/// The encryption UpdateSecurity sends: client-broker only (in-cluster encryption cannot
/// change).
fn transit_only(spec: &MskSpec) -> EncryptionInfo {
    EncryptionInfo::builder()
        .encryption_in_transit(
            EncryptionInTransit::builder()
                .client_broker(client_broker(spec.encryption_in_transit))
                .build(),
        )
        .build()
}

/// The part error of a failed update call.
fn op_error<'a, E, R>(
    what: &'a str,
    op: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> PartError + 'a
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + crate::aws::errors::HttpStatus,
{
    move |e| SERVICE.error(&PART, what, op, &e)
}

/// In-place changes of an ACTIVE cluster, one operation at a time; refuses what MSK cannot
/// do before changing anything. Returns the cluster as it is after the last operation.
pub(super) async fn converge(
    env: &PartEnv,
    name: &str,
    spec: &MskSpec,
    want: &Desired,
    configuration: &ConfigurationRef,
    mut cluster: Cluster,
) -> Result<Cluster, PartError> {
    let have = state_of(&cluster);
    let impossible = refusals(spec, want, &have);
    if !impossible.is_empty() {
        return Err(PartError::new(
            &PART,
            format!("updating MSK cluster `{name}`"),
            format!(
                "these changes cannot be made in place, nothing was changed: {}",
                impossible.join("; ")
            ),
        ));
    }
    sync_tags(env, name, &have).await?;
    for update in pending_updates(spec, want, &have, configuration) {
        let what = update.what(name);
        let version = cluster.current_version().unwrap_or_default().to_string();
        let op = update.start(env, spec, &have.arn, &version, &what).await?;
        if let Some(op) = op {
            wait_operation(env, &op, &what).await?;
        }
        cluster = wait_cluster_active(env, name, &have.arn, UPDATE_WAIT).await?;
    }
    Ok(cluster)
}

async fn sync_tags(env: &PartEnv, name: &str, have: &MskState) -> Result<(), PartError> {
    let kafka = env.aws.kafka();
    let arn = have.arn.as_str();
    tags::sync(
        env,
        &PART.to_string(),
        name,
        &have.tags,
        &env.tags_for(PART.tag()),
        |set| async move {
            let set: HashMap<String, String> = set.into_iter().collect();
            kafka
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    SERVICE.error(
                        &PART,
                        format!("tagging MSK cluster `{name}`"),
                        "TagResource",
                        &e,
                    )
                })
        },
        |keys| async move {
            kafka
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    SERVICE.error(
                        &PART,
                        format!("untagging MSK cluster `{name}`"),
                        "UntagResource",
                        &e,
                    )
                })
        },
    )
    .await
}

/// Waits for the cluster operation `op` to complete (DescribeClusterOperation).
pub(super) async fn wait_operation(env: &PartEnv, op: &str, what: &str) -> Result<(), PartError> {
    let kafka = env.aws.kafka();
    let part = PART.to_string();
    let part = part.as_str();
    env.waiter(part, AwsKind::Msk, what)
        .timeout(UPDATE_WAIT)
        .until(|| async move {
            let out = match kafka
                .describe_cluster_operation()
                .cluster_operation_arn(op)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    return Poll::Failed(SERVICE.error(part, what, "DescribeClusterOperation", &e))
                }
            };
            let Some(info) = out.cluster_operation_info() else {
                return Poll::Pending("unknown".into());
            };
            match info.operation_state() {
                Some(s @ ("UPDATE_FAILED" | "FAILED")) => Poll::Failed(PartError::new(
                    part,
                    what,
                    format!(
                        "cluster operation {s}: {}",
                        info.error_info()
                            .map(|e| format!(
                                "{}: {}",
                                e.error_code().unwrap_or("no code"),
                                e.error_string().unwrap_or("no message")
                            ))
                            .unwrap_or_else(|| "no details".into())
                    ),
                )),
                state => OPERATION_COMPLETE.poll(part, what, state, || ()),
            }
        })
        .await
        .map_err(PartError::from)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_kafka::operation::describe_cluster_operation::DescribeClusterOperationOutput;
    use aws_sdk_kafka::operation::update_broker_type::UpdateBrokerTypeOutput;
    use aws_sdk_kafka::operation::update_cluster_kafka_version::UpdateClusterKafkaVersionOutput;
    use aws_sdk_kafka::types::{ClusterOperationInfo, ClusterState, ErrorInfo};
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::msk::state::desired;
    use crate::aws::msk::tests::{cluster, configuration, described, net, spec, tags_of, ARN};
    use crate::aws::msk::{MskAuth, MskTransit};
    use crate::aws::{testing, AwsContext};

    fn have() -> MskState {
        state_of(&cluster(ClusterState::Active, tags_of("mosia-test")))
    }

    #[test]
    fn kafka_versions_order_with_x_and_suffixes() {
        let lt = |a, b| kafka_order(a, b) == Some(Ordering::Less);
        assert!(lt("3.7.1", "3.7.x"), "x is the latest patch");
        assert!(lt("3.6.0", "3.7.x"));
        assert!(lt("3.6.0", "3.7.x.kraft"));
        assert!(lt("3.5.1", "3.6.0"));
        assert!(lt("3.9.0", "3.10.0"));
        assert_eq!(kafka_order("2.8.2.tiered", "2.8.2"), Some(Ordering::Equal));
        assert_eq!(
            kafka_order("kraft", "3.6.0"),
            None,
            "not a number: no order"
        );
    }

    #[test]
    fn nothing_to_do_when_the_cluster_matches() {
        let want = desired(&spec(), &net()).unwrap();
        assert!(refusals(&spec(), &want, &have()).is_empty());
        assert_eq!(
            pending_updates(&spec(), &want, &have(), &configuration()),
            vec![]
        );
    }

    #[test]
    fn updates_come_in_order_and_only_what_differs() {
        let spec = MskSpec {
            kms_key: Default::default(),
            scram: false,
            scram_users: Default::default(),
            kafka_version: "3.7.x".into(),
            broker_instance_type: "kafka.m5.xlarge".into(),
            brokers_per_az: 2,
            storage_gb: 200,
            client_authentication: MskAuth::Unauthenticated,
            encryption_in_transit: MskTransit::TlsPlaintext,
            tls_certificate_authority_arns: vec![],
            server_properties: spec().server_properties,
            storage_autoscaling_max_gb: None,
            broker_logs_retention_days: None,
            per_topic_metrics: false,
            open_monitoring: false,
        };
        let want = desired(&spec, &net()).unwrap();
        assert!(refusals(&spec, &want, &have()).is_empty());
        let revision_2 = ConfigurationRef {
            revision: 2,
            ..configuration()
        };
        assert_eq!(
            pending_updates(&spec, &want, &have(), &revision_2),
            vec![
                Update::BrokerType {
                    from: "kafka.m5.large".into(),
                    to: "kafka.m5.xlarge".into()
                },
                Update::Storage { from: 100, to: 200 },
                Update::BrokerCount { from: 3, to: 6 },
                Update::Security {
                    authentication: true,
                    transit: true
                },
                Update::KafkaVersion {
                    from: "3.6.0".into(),
                    to: "3.7.x".into()
                },
                Update::Configuration {
                    from: Some(1),
                    to: revision_2.clone()
                },
            ]
        );
        let tls = MskSpec {
            client_authentication: MskAuth::Tls,
            ..crate::aws::msk::tests::spec()
        };
        let want = desired(&tls, &net()).unwrap();
        assert_eq!(
            pending_updates(&tls, &want, &have(), &configuration()),
            vec![Update::Security {
                authentication: true,
                transit: false
            }]
        );
    }

    #[test]
    fn brokers_never_move_down_to_t3_but_between_m5_and_m7g_sizes() {
        let refused = broker_type_refusal("kafka.m7g.large", "kafka.t3.small").unwrap();
        assert!(
            refused.contains("cannot move brokers down to a T3 size"),
            "{refused}"
        );
        assert!(broker_type_refusal("kafka.m5.large", "kafka.t3.small").is_some());
        for (from, to) in [
            ("kafka.t3.small", "kafka.m7g.large"),
            ("kafka.t3.small", "kafka.m5.large"),
            ("kafka.m7g.large", "kafka.m5.large"),
            ("kafka.m5.2xlarge", "kafka.m5.large"),
            ("kafka.t3.small", "kafka.t3.small"),
        ] {
            assert_eq!(broker_type_refusal(from, to), None, "{from} → {to}");
        }
    }

    #[test]
    fn a_downgrade_fewer_brokers_smaller_disks_and_other_subnets_are_refused() {
        let spec = MskSpec {
            kafka_version: "3.5.1".into(),
            storage_gb: 50,
            ..spec()
        };
        let mut two_azs = net();
        two_azs.private_subnet_ids.truncate(2);
        let want = desired(&spec, &two_azs).unwrap();
        let refused = refusals(&spec, &want, &have()).join("\n");
        assert!(
            refused.contains("broker count 3 → 2: MSK does not remove brokers"),
            "{refused}"
        );
        assert!(
            refused.contains("storage 100 GB → 50 GB per broker"),
            "{refused}"
        );
        assert!(
            refused.contains("Kafka version 3.6.0 → 3.5.1: MSK cannot downgrade Kafka"),
            "{refused}"
        );
        assert!(
            refused.contains("MSK cannot move brokers to other subnets"),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn converge_refuses_before_sending_anything() {
        let spec = MskSpec {
            kafka_version: "3.5.1".into(),
            ..spec()
        };
        let want = desired(&spec, &net()).unwrap();
        let update = mock!(aws_sdk_kafka::Client::update_cluster_kafka_version)
            .then_output(|| UpdateClusterKafkaVersionOutput::builder().build());
        let env = testing::env(
            AwsContext::offline().with_kafka(crate::mock_client!(aws_sdk_kafka, [&update])),
        );
        let c = cluster(ClusterState::Active, tags_of("mosia-test"));
        let err = converge(&env, "mosia-test-kafka", &spec, &want, &configuration(), c)
            .await
            .unwrap_err();
        assert!(
            err.detail
                .starts_with("these changes cannot be made in place, nothing was changed"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("MSK cannot downgrade Kafka"),
            "{}",
            err.detail
        );
        assert_eq!(update.num_calls(), 0);
    }

    fn operation(state: &'static str) -> Rule {
        mock!(aws_sdk_kafka::Client::describe_cluster_operation).then_output(move || {
            DescribeClusterOperationOutput::builder()
                .cluster_operation_info(
                    ClusterOperationInfo::builder()
                        .operation_state(state)
                        .error_info(
                            ErrorInfo::builder()
                                .error_code("InternalError")
                                .error_string("broker 2 did not restart")
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
    }

    #[tokio::test]
    async fn converge_sends_only_the_needed_operations_in_order_each_on_the_latest_version() {
        let calls = Arc::new(Mutex::new(Vec::<String>::new()));
        let (c1, c2) = (calls.clone(), calls.clone());
        let broker_type = mock!(aws_sdk_kafka::Client::update_broker_type)
            .match_requests(move |r| {
                c1.lock().unwrap().push(format!(
                    "type {:?} {:?}",
                    r.target_instance_type(),
                    r.current_version()
                ));
                true
            })
            .then_output(|| {
                UpdateBrokerTypeOutput::builder()
                    .cluster_operation_arn("op-1")
                    .build()
            });
        let kafka_version = mock!(aws_sdk_kafka::Client::update_cluster_kafka_version)
            .match_requests(move |r| {
                c2.lock().unwrap().push(format!(
                    "kafka {:?} {:?}",
                    r.target_kafka_version(),
                    r.current_version()
                ));
                true
            })
            .then_output(|| {
                UpdateClusterKafkaVersionOutput::builder()
                    .cluster_operation_arn("op-2")
                    .build()
            });
        let storage = mock!(aws_sdk_kafka::Client::update_broker_storage).then_output(|| {
            aws_sdk_kafka::operation::update_broker_storage::UpdateBrokerStorageOutput::builder()
                .build()
        });
        let security = mock!(aws_sdk_kafka::Client::update_security).then_output(|| {
            aws_sdk_kafka::operation::update_security::UpdateSecurityOutput::builder().build()
        });
        let op = operation("UPDATE_COMPLETE");
        let mut after = cluster(ClusterState::Active, tags_of("mosia-test"));
        after.current_version = Some("K2".into());
        let describe = described(after);
        let kafka = crate::mock_client!(
            aws_sdk_kafka,
            [
                &broker_type,
                &kafka_version,
                &storage,
                &security,
                &op,
                &describe
            ]
        );
        let env = testing::env(AwsContext::offline().with_kafka(kafka));
        let spec = MskSpec {
            broker_instance_type: "kafka.m5.xlarge".into(),
            kafka_version: "3.7.x".into(),
            ..spec()
        };
        let want = desired(&spec, &net()).unwrap();

        let c = cluster(ClusterState::Active, tags_of("mosia-test"));
        converge(&env, "mosia-test-kafka", &spec, &want, &configuration(), c)
            .await
            .unwrap();

        assert_eq!(
            *calls.lock().unwrap(),
            [
                r#"type Some("kafka.m5.xlarge") Some("K1")"#,
                r#"kafka Some("3.7.x") Some("K2")"#
            ]
        );
        assert_eq!((storage.num_calls(), security.num_calls()), (0, 0));
        assert_eq!(op.num_calls(), 2, "each operation is waited for");
        assert_eq!(describe.num_calls(), 2, "and the cluster ACTIVE after each");
    }

    #[tokio::test]
    async fn a_failed_operation_fails_at_once_with_msks_reason() {
        let broker_type = mock!(aws_sdk_kafka::Client::update_broker_type).then_output(|| {
            UpdateBrokerTypeOutput::builder()
                .cluster_operation_arn("op-1")
                .build()
        });
        let op = operation("UPDATE_FAILED");
        let kafka = crate::mock_client!(aws_sdk_kafka, [&broker_type, &op]);
        let env = testing::env(AwsContext::offline().with_kafka(kafka));
        let spec = MskSpec {
            broker_instance_type: "kafka.m5.xlarge".into(),
            ..spec()
        };
        let want = desired(&spec, &net()).unwrap();

        let c = cluster(ClusterState::Active, tags_of("mosia-test"));
        let err = converge(&env, "mosia-test-kafka", &spec, &want, &configuration(), c)
            .await
            .unwrap_err();

        assert_eq!(op.num_calls(), 1);
        assert!(
            err.summary
                .contains("changing the broker type of MSK cluster `mosia-test-kafka`"),
            "{}",
            err.summary
        );
        assert!(
            err.detail.contains(
                "cluster operation UPDATE_FAILED: InternalError: broker 2 did not restart"
            ),
            "{}",
            err.detail
        );
    }

    #[tokio::test]
    async fn foreign_tags_are_synced_to_the_environments() {
        let tag = mock!(aws_sdk_kafka::Client::tag_resource)
            .match_requests(|r| {
                r.resource_arn() == Some(ARN)
                    && r.tags()
                        .is_some_and(|t| t.get("team").map(String::as_str) == Some("platform"))
            })
            .then_output(|| {
                aws_sdk_kafka::operation::tag_resource::TagResourceOutput::builder().build()
            });
        let untag = mock!(aws_sdk_kafka::Client::untag_resource)
            .match_requests(|r| r.tag_keys() == ["stale"])
            .then_output(|| {
                aws_sdk_kafka::operation::untag_resource::UntagResourceOutput::builder().build()
            });
        let env = testing::env(
            AwsContext::offline().with_kafka(crate::mock_client!(aws_sdk_kafka, [&tag, &untag])),
        );
        let mut tags = tags_of("mosia-test");
        tags.remove("team");
        tags.insert("stale".into(), "1".into());
        let c = cluster(ClusterState::Active, tags);
        let want = desired(&spec(), &net()).unwrap();
        converge(
            &env,
            "mosia-test-kafka",
            &spec(),
            &want,
            &configuration(),
            c,
        )
        .await
        .unwrap();
        assert_eq!((tag.num_calls(), untag.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn update_security_sends_only_what_differs() {
        let security = mock!(aws_sdk_kafka::Client::update_security)
            .match_requests(|r| {
                r.encryption_info().is_none()
                    && r.client_authentication()
                        .and_then(|a| a.unauthenticated())
                        .and_then(|u| u.enabled())
                        == Some(true)
            })
            .then_output(|| {
                aws_sdk_kafka::operation::update_security::UpdateSecurityOutput::builder()
                    .cluster_operation_arn("op-1")
                    .build()
            });
        let op = operation("UPDATE_COMPLETE");
        let describe = described(cluster(ClusterState::Active, tags_of("mosia-test")));
        let kafka = crate::mock_client!(aws_sdk_kafka, [&security, &op, &describe]);
        let env = testing::env(AwsContext::offline().with_kafka(kafka));
        let spec = MskSpec {
            client_authentication: MskAuth::Unauthenticated,
            ..spec()
        };
        let want = desired(&spec, &net()).unwrap();
        let c = cluster(ClusterState::Active, tags_of("mosia-test"));
        converge(&env, "mosia-test-kafka", &spec, &want, &configuration(), c)
            .await
            .unwrap();
        assert_eq!(security.num_calls(), 1);
    }
}
