//! The input of the MSK part: what it must converge to, independent of how the configuration
//! spells it (the resource reads its configuration into this type).

use std::collections::BTreeMap;
use std::fmt;

str_enum!(
    /// How clients authenticate to MSK.
    MskAuth { Iam = "iam", Tls = "tls", Unauthenticated = "unauthenticated" }
);

str_enum!(
    /// MSK client-broker encryption in transit.
    MskTransit { Tls = "TLS", TlsPlaintext = "TLS_PLAINTEXT", Plaintext = "PLAINTEXT" }
);

/// MSK spreads brokers over at most 3 AZs (the API takes 2 or 3 client subnets).
pub const MSK_MAX_AZS: usize = 3;

/// AZs MSK spreads brokers over, given the AZs of the network.
pub fn msk_az_count(network_azs: usize) -> usize {
    network_azs.min(MSK_MAX_AZS)
}

#[derive(Debug, Clone, PartialEq)]
pub struct MskSpec {
    /// The KMS key of its data at rest (and of the secrets it creates).
    pub kms_key: crate::aws::kms::DataKey,
    pub kafka_version: String,
    pub broker_instance_type: String,
    pub brokers_per_az: u32,
    /// EBS storage per broker.
    pub storage_gb: u32,
    pub client_authentication: MskAuth,
    pub encryption_in_transit: MskTransit,
    pub tls_certificate_authority_arns: Vec<String>,
    /// SASL/SCRAM besides `client_authentication`, with one user per name of `scram_users`.
    pub scram: bool,
    /// The SCRAM users (the workloads with Kafka access) when `scram` is on.
    pub scram_users: std::collections::BTreeSet<String>,
    /// The brokers' `server.properties` (tier defaults merged with the configured ones),
    /// kept in the MSK configuration `{env}-kafka`.
    pub server_properties: BTreeMap<String, String>,
    /// Storage autoscaling up to this many GB per broker; None: off.
    pub storage_autoscaling_max_gb: Option<u32>,
    /// Broker logs to CloudWatch Logs, into a group with this retention; None: off.
    pub broker_logs_retention_days: Option<u32>,
    /// `PER_TOPIC_PER_BROKER` metrics (else `DEFAULT`).
    pub per_topic_metrics: bool,
    /// Prometheus JMX and node exporters on the brokers, for in-cluster scraping.
    pub open_monitoring: bool,
}
