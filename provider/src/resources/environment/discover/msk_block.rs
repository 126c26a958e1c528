//! The `msk` block as the cluster runs it, for import.

use mosia_tfplugin::{Schema, Value};

use super::block_value;
use crate::aws::msk::MskState;
use crate::resources::environment::spec::{self, NetworkSpec};

/// The `msk` block of `m`: sizes, authentication (SCRAM apart: it is `scram`), transit,
/// the running broker properties (`with_tier` keeps what differs from the tier).
pub(super) fn msk_value(schema: &Schema, m: &MskState, net_spec: &NetworkSpec) -> Value {
    let mut b = block_value(schema, &["msk"]);
    let azs = spec::msk_az_count(net_spec.az_count()).max(1) as u32;
    b.set_attr("kafka_version", Value::from(m.kafka_version.as_str()));
    b.set_attr(
        "broker_instance_type",
        Value::from(m.broker_instance_type.as_str()),
    );
    b.set_attr(
        "brokers_per_az",
        Value::int((m.number_of_broker_nodes / azs) as i64),
    );
    b.set_attr("storage_gb", Value::int(m.storage_gb as i64));
    if let Some(max) = m.storage_autoscaling_max_gb {
        b.set_attr("storage_autoscaling_max_gb", Value::int(max as i64));
    }
    let auth = m
        .client_authentication
        .iter()
        .find(|a| a.as_str() != "scram")
        .map(String::as_str)
        .unwrap_or("unauthenticated");
    b.set_attr("client_authentication", Value::from(auth));
    b.set_attr(
        "scram",
        Value::Bool(m.client_authentication.contains("scram")),
    );
    b.set_attr(
        "encryption_in_transit",
        Value::from(m.encryption_in_transit.as_str()),
    );
    b.set_attr(
        "server_properties",
        Value::string_map_of(&m.server_properties),
    );
    b
}
