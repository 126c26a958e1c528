//! The MSK part of an environment: one provisioned Kafka cluster `{env}-kafka`.
//!
//! - [`state`]: the cluster as MSK reports it ([`MskState`]) and as Mosia asks for it.
//! - [`cluster`]: finding the cluster by name (ListClustersV2 with the name as filter, then
//!   an exact match) or ARN ([`cluster::find_cluster`]), its statuses and waits, adoption of
//!   an owned cluster (a re-run after a crash; a cluster of that name that is not ours is
//!   refused), creation (CreateClusterV2: brokers in the first [`input::msk_az_count`]
//!   private subnets, `brokers_per_az` in each, the `msk` security group, EBS storage, client
//!   authentication and encryption in transit; in-cluster encryption always on), [`ensure`]
//!   and [`read`] (the cluster plus its bootstrap brokers).
//! - [`converge`]: in-place changes of an existing cluster, one operation at a time (MSK
//!   accepts one at a time, each against the cluster's `currentVersion`): broker type,
//!   storage (grow only), broker count (add only), authentication / encryption in transit,
//!   Kafka version (upgrade only), tags. What MSK cannot do in place is refused before
//!   anything changes (replacing the cluster loses its data, so Mosia does not do it alone).
//! - [`configuration`]: the MSK configuration `{env}-kafka` holding the brokers'
//!   `server.properties`; the cluster is created with its latest revision, a change adds a
//!   revision and moves the cluster to it (`UpdateClusterConfiguration`, in [`converge`]).
//! - [`storage_autoscaling`]: Application Auto Scaling on the brokers' storage (target
//!   tracking on disk use, up to `storage_autoscaling_max_gb`), turned on, changed or off
//!   after the cluster converges; read with the cluster for drift.
//! - [`delete`]: deletes the cluster(s) of that name that are ours and waits until they are
//!   gone (NotFound counts as deleted), then the configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::errors::Service;
use super::part::{PartEnv, PartId};

mod cluster;
pub mod configuration;
mod converge;
mod delete;
pub mod input;
pub mod monitoring;
pub mod scram;
mod state;
mod storage_autoscaling;

pub use cluster::{ensure, read};
pub use configuration::ConfigurationRef;
pub use converge::broker_type_refusal;
pub use delete::delete;
pub use input::{MskAuth, MskSpec, MskTransit};

/// MSK errors as part errors; the codes are throttling, internal errors and capacity.
pub(crate) const SERVICE: Service = Service {
    label: "MSK",
    transient_codes: &[
        "TooManyRequestsException",
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerErrorException",
        "InternalFailure",
        // Another operation runs on the cluster (UpdateClusterConfiguration and the other
        // updates while MSK still finishes one): it passes once that ends.
        "ConflictException",
    ],
};

/// The part's one name (`msk`), in errors, waits and ownership tags.
const PART: PartId = PartId::Msk;

/// The key of the brokers' security group in `NetworkState::security_group_ids`.
pub const SECURITY_GROUP_KEY: &str = "msk";

/// Upper bounds of the waits, whatever `env.deadline` says (MSK: create 15-35 minutes,
/// broker type or storage changes up to an hour on large clusters).
const CREATE_WAIT: Duration = Duration::from_secs(120 * 60);
const UPDATE_WAIT: Duration = Duration::from_secs(180 * 60);
const DELETE_WAIT: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, PartialEq)]
pub struct MskState {
    pub arn: String,
    pub name: String,
    /// The KMS key of the brokers' volumes (MSK's AWS-managed key unless one was given).
    pub kms_key_arn: Option<String>,
    pub kafka_version: String,
    pub broker_instance_type: String,
    pub number_of_broker_nodes: u32,
    /// EBS volume per broker.
    pub storage_gb: u32,
    /// The cluster's version for MSK's optimistic locking (changes with every operation).
    pub current_version: String,
    pub bootstrap_brokers: Option<String>,
    pub bootstrap_brokers_tls: Option<String>,
    pub bootstrap_brokers_iam: Option<String>,
    /// SASL/SCRAM bootstrap brokers (`host:9096,...`), with SCRAM on.
    pub bootstrap_brokers_scram: Option<String>,
    /// SCRAM user → the ARN of its associated secret.
    pub scram_secrets: BTreeMap<String, String>,
    pub status: String,
    pub client_subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// Enabled client authentication methods: `iam`, `scram`, `tls`, `unauthenticated`.
    pub client_authentication: BTreeSet<String>,
    /// `TLS`, `TLS_PLAINTEXT` or `PLAINTEXT`.
    pub encryption_in_transit: String,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
    /// The configuration revision the brokers run (`currentBrokerSoftwareInfo`).
    pub configuration: Option<ConfigurationRef>,
    /// That revision's properties (read with it; empty without a configuration).
    pub server_properties: BTreeMap<String, String>,
    /// The storage autoscaling maximum (GB per broker); None: off.
    pub storage_autoscaling_max_gb: Option<u32>,
}

/// `{env}-kafka`.
pub fn cluster_name(env: &PartEnv) -> String {
    env.aws_name("kafka")
}

/// Fixtures shared by the unit tests of the MSK files: the environment `mosia-test`'s
/// cluster as MSK would describe it, matching [`tests::spec`] on [`tests::net`].
#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_kafka::operation::describe_cluster_v2::DescribeClusterV2Output;
    use aws_sdk_kafka::operation::list_clusters_v2::ListClustersV2Output;
    use aws_sdk_kafka::types::{
        BrokerNodeGroupInfo, BrokerSoftwareInfo, ClientAuthentication, ClientBroker, Cluster,
        ClusterState, EbsStorageInfo, EncryptionInTransit, EncryptionInfo, Iam, Provisioned, Sasl,
        StorageInfo, Tls, Unauthenticated,
    };
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::network::NetworkState;

    pub(crate) const ARN: &str = "arn:aws:kafka:us-east-1:111122223333:cluster/mosia-test-kafka/1";
    pub(crate) const CONFIG_ARN: &str =
        "arn:aws:kafka:us-east-1:111122223333:configuration/mosia-test-kafka/1";

    /// A context answering MSK with `kafka`, and Application Auto Scaling with no scalable
    /// target (storage autoscaling off).
    pub(crate) fn aws_with(kafka: aws_sdk_kafka::Client) -> crate::aws::config::AwsContext {
        use aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput;
        let none = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
            .then_output(|| DescribeScalableTargetsOutput::builder().build());
        crate::aws::config::AwsContext::offline()
            .with_kafka(kafka)
            .with_application_autoscaling(crate::mock_client!(
                aws_sdk_applicationautoscaling,
                [&none]
            ))
    }

    /// Revision 1 of the environment's configuration, which the fixture cluster runs.
    pub(crate) fn configuration() -> ConfigurationRef {
        ConfigurationRef {
            arn: CONFIG_ARN.into(),
            revision: 1,
        }
    }

    /// The environment's configuration, listed with `revision` as its latest, holding
    /// [`spec`]'s properties at every revision.
    pub(crate) fn configuration_rules(revision: i64) -> Vec<Rule> {
        use aws_sdk_kafka::operation::describe_configuration_revision::DescribeConfigurationRevisionOutput;
        use aws_sdk_kafka::operation::list_configurations::ListConfigurationsOutput;
        use aws_sdk_kafka::types::{Configuration, ConfigurationRevision};
        let listed = mock!(aws_sdk_kafka::Client::list_configurations).then_output(move || {
            ListConfigurationsOutput::builder()
                .configurations(
                    Configuration::builder()
                        .arn(CONFIG_ARN)
                        .name("mosia-test-kafka")
                        .description(
                            "Broker properties of Mosia environment mosia-test \
                             (mosia:environment=mosia-test)",
                        )
                        .latest_revision(
                            ConfigurationRevision::builder().revision(revision).build(),
                        )
                        .build(),
                )
                .build()
        });
        let text = configuration::properties_text(&spec().server_properties);
        let revision = mock!(aws_sdk_kafka::Client::describe_configuration_revision)
            .match_requests(|r| r.arn() == Some(CONFIG_ARN))
            .then_output(move || {
                DescribeConfigurationRevisionOutput::builder()
                    .server_properties(aws_sdk_kafka::primitives::Blob::new(text.clone()))
                    .build()
            });
        vec![listed, revision]
    }

    pub(crate) fn spec() -> MskSpec {
        MskSpec {
            kms_key: Default::default(),
            scram: false,
            scram_users: Default::default(),
            kafka_version: "3.6.0".into(),
            broker_instance_type: "kafka.m5.large".into(),
            brokers_per_az: 1,
            storage_gb: 100,
            client_authentication: MskAuth::Iam,
            encryption_in_transit: MskTransit::Tls,
            tls_certificate_authority_arns: vec![],
            server_properties: BTreeMap::from([(
                "default.replication.factor".to_string(),
                "3".to_string(),
            )]),
            storage_autoscaling_max_gb: None,
            broker_logs_retention_days: None,
            per_topic_metrics: false,
            open_monitoring: false,
        }
    }

    /// Four AZs: MSK takes the first three private subnets.
    pub(crate) fn net() -> NetworkState {
        crate::aws::testing::network(4, &[("msk", "sg-msk")])
    }

    /// The tags of a cluster of environment `env`.
    pub(crate) fn tags_of(env: &str) -> HashMap<String, String> {
        HashMap::from([
            ("team".to_string(), "platform".to_string()),
            (
                "mosia:managed-by".to_string(),
                "terraform-provider-mosia".to_string(),
            ),
            ("mosia:environment".to_string(), env.to_string()),
            ("mosia:part".to_string(), "msk".to_string()),
        ])
    }

    /// The cluster `mosia-test-kafka` in `state`, as [`spec`] on [`net`] makes it.
    pub(crate) fn cluster(state: ClusterState, tags: HashMap<String, String>) -> Cluster {
        let group = BrokerNodeGroupInfo::builder()
            .instance_type("kafka.m5.large")
            .set_client_subnets(Some(vec![
                "subnet-a".into(),
                "subnet-b".into(),
                "subnet-c".into(),
            ]))
            .security_groups("sg-msk")
            .storage_info(
                StorageInfo::builder()
                    .ebs_storage_info(EbsStorageInfo::builder().volume_size(100).build())
                    .build(),
            )
            .build();
        let auth = ClientAuthentication::builder()
            .sasl(
                Sasl::builder()
                    .iam(Iam::builder().enabled(true).build())
                    .build(),
            )
            .tls(Tls::builder().enabled(false).build())
            .unauthenticated(Unauthenticated::builder().enabled(false).build())
            .build();
        Cluster::builder()
            .cluster_arn(ARN)
            .cluster_name("mosia-test-kafka")
            .state(state)
            .current_version("K1")
            .set_tags(Some(tags))
            .provisioned(
                Provisioned::builder()
                    .broker_node_group_info(group)
                    .number_of_broker_nodes(3)
                    .current_broker_software_info(
                        BrokerSoftwareInfo::builder()
                            .kafka_version("3.6.0")
                            .configuration_arn(CONFIG_ARN)
                            .configuration_revision(1)
                            .build(),
                    )
                    .client_authentication(auth)
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
            .build()
    }

    /// ListClustersV2 answering `clusters` (and a cluster whose name only starts alike).
    pub(crate) fn listed(clusters: Vec<Cluster>) -> Rule {
        mock!(aws_sdk_kafka::Client::list_clusters_v2)
            .match_requests(|r| r.cluster_name_filter() == Some("mosia-test-kafka"))
            .then_output(move || {
                let mut other = cluster(ClusterState::Active, tags_of("mosia-test"));
                other.cluster_name = Some("mosia-test-kafka-2".into());
                ListClustersV2Output::builder()
                    .set_cluster_info_list(Some(clusters.clone()))
                    .cluster_info_list(other)
                    .build()
            })
    }

    /// DescribeClusterV2 of [`ARN`] answering `c`.
    pub(crate) fn described(c: Cluster) -> Rule {
        mock!(aws_sdk_kafka::Client::describe_cluster_v2)
            .match_requests(|r| r.cluster_arn() == Some(ARN))
            .then_output(move || {
                DescribeClusterV2Output::builder()
                    .cluster_info(c.clone())
                    .build()
            })
    }
}
