//! MSK broker properties (`msk.configuration`): only those MSK lets a configuration set
//! (it refuses the others at CreateConfiguration, after the cluster's network exists), with
//! values, and replication settings the cluster can meet: `default.replication.factor` at
//! most the broker count and `min.insync.replicas` at most the replication factor (else
//! every topic created with the default refuses writes). Production keeps replication 3,
//! `min.insync.replicas` 2 and no unclean leader election.

use std::collections::BTreeMap;

use mosia_tfplugin::{Diagnostics, Known, Reader};

use super::{int, lenient, production_error, Ctx};
use crate::aws::msk::configuration::CONFIGURABLE_PROPERTIES;
use crate::resources::environment::spec::{merged_server_properties, msk_az_count};

pub(super) fn check_msk_configuration(ctx: &Ctx, msk: &Reader, d: &mut Diagnostics) {
    // Without configured properties there is nothing to check: the tiers' own fit.
    let Known::Value(configured) = lenient(msk.string_map("configuration")) else {
        return;
    };
    let at = msk.path_of("configuration");
    for (key, value) in &configured {
        if !CONFIGURABLE_PROPERTIES.contains(&key.as_str()) {
            d.error_at(
                at.key(key),
                "Broker property MSK does not allow",
                format!(
                    "MSK refuses `{key}` in a configuration: it manages that property itself. \
                     The properties you may set are listed in the MSK developer guide, \
                     \"Custom Amazon MSK configurations\", e.g. auto.create.topics.enable, \
                     default.replication.factor, min.insync.replicas, num.partitions, \
                     log.retention.hours"
                ),
            );
        } else if value.trim().is_empty() {
            d.error_at(
                at.key(key),
                "Empty broker property",
                format!(
                    "`{key}` needs a value; leave it out to keep the tier's or Kafka's default"
                ),
            );
        }
    }
    check_replication(ctx, msk, &configured, d);
    if ctx.production() {
        check_production_durability(msk, &configured, d);
    }
}

/// Production keeps what a broker restart or loss must not break: 3 copies of each
/// partition, writes acknowledged by 2, no election of an out-of-sync leader (data loss).
fn check_production_durability(
    msk: &Reader,
    configured: &BTreeMap<String, String>,
    d: &mut Diagnostics,
) {
    let at = msk.path_of("configuration");
    let below = |key: &str, least: i64| {
        configured
            .get(key)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|n| *n < least)
    };
    for (key, least) in [
        ("default.replication.factor", 3),
        ("min.insync.replicas", 2),
    ] {
        if let Some(n) = below(key, least) {
            production_error(
                d,
                at.key(key),
                format!(
                    "{key} = {n}: production keeps at least {least}; leave it out for the tier's"
                ),
            );
        }
    }
    if configured
        .get("unclean.leader.election.enable")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        production_error(
            d,
            at.key("unclean.leader.election.enable"),
            "unclean.leader.election.enable = true lets an out-of-sync replica become leader and \
             drop acknowledged writes: production keeps it false"
                .to_string(),
        );
    }
}

/// The merged replication settings against the broker count (when it is known).
fn check_replication(
    ctx: &Ctx,
    msk: &Reader,
    configured: &BTreeMap<String, String>,
    d: &mut Diagnostics,
) {
    let Some(t) = ctx.defaults else { return };
    let props = merged_server_properties(t, configured);
    let number = |k: &str| props.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let at = msk.path_of("configuration");
    let per_az = match int(msk, "brokers_per_az") {
        Known::Value(n) => ctx.network_azs.map(|azs| (n, msk_az_count(azs) as i64)),
        Known::Null => ctx.network_azs.map(|azs| {
            let msk_azs = msk_az_count(azs);
            (
                t.msk_brokers_per_az_for(msk_azs as u32) as i64,
                msk_azs as i64,
            )
        }),
        Known::Unknown => None,
    };
    let replication = number("default.replication.factor");
    // The tiers' own values fit their broker counts (production's count has its own
    // guardrail); fewer than 2 AZs is diagnosed on the network.
    let configured_rf = configured.contains_key("default.replication.factor");
    if let (true, Some(rf), Some((per_az, azs @ 2..))) = (configured_rf, replication, per_az) {
        let brokers = per_az * azs;
        if rf > brokers {
            d.error_at(
                at.key("default.replication.factor"),
                "Replication factor above the broker count",
                format!(
                    "default.replication.factor = {rf} needs at least {rf} brokers; the cluster \
                     has {brokers} ({per_az} per AZ × {azs} AZs): lower it, or raise brokers_per_az"
                ),
            );
        }
    }
    let configured_isr = configured_rf || configured.contains_key("min.insync.replicas");
    if let (Some(rf), Some(isr)) = (replication, number("min.insync.replicas")) {
        if configured_isr && isr > rf {
            d.error_at(
                at.key("min.insync.replicas"),
                "min.insync.replicas above the replication factor",
                format!(
                    "min.insync.replicas = {isr} is more than default.replication.factor = {rf}: \
                     producers with acks=all could never write to topics created with the \
                     default. Keep it at most {rf} (one less leaves room for a broker restart)"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::resources::environment::guardrails::validate;
    use crate::resources::environment::testing::config;
    use mosia_tfplugin::{AttrPath, Diagnostics};

    fn check(tier: &str, configuration: serde_json::Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        validate(
            &config(json!({
                "name": "mosia-test", "tier": tier, "network": { "allowed_cidrs": ["10.9.0.0/16"] },
                "msk": { "kafka_version": "3.6.0", "configuration": configuration },
            })),
            &mut d,
        );
        d
    }

    fn at(key: &str) -> Option<AttrPath> {
        Some(AttrPath::attr("msk").then("configuration").key(key))
    }

    #[test]
    fn properties_msk_manages_are_refused_naming_them() {
        let d = check("dev", json!({ "broker.id": "1", "num.partitions": "6" }));
        let errors: Vec<_> = d.iter().collect();
        assert_eq!(errors.len(), 1, "{d:?}");
        assert_eq!(errors[0].path, at("broker.id"));
        assert!(
            errors[0].detail.contains("`broker.id`"),
            "{}",
            errors[0].detail
        );
        let d = check("dev", json!({ "num.partitions": " " }));
        assert_eq!(
            d.iter().next().map(|e| e.summary.as_str()),
            Some("Empty broker property")
        );
        assert!(!check("dev", json!({ "num.partitions": "6" })).has_errors());
    }

    #[test]
    fn replication_must_fit_the_brokers_and_insync_the_replication() {
        // Dev: 2 brokers (1 per AZ × 2 AZs).
        let d = check("dev", json!({ "default.replication.factor": "3" }));
        let e: Vec<_> = d.iter().collect();
        assert_eq!(e.len(), 1, "{d:?}");
        assert_eq!(e[0].path, at("default.replication.factor"));
        assert!(e[0].detail.contains("the cluster has 2"), "{}", e[0].detail);
        let d = check(
            "dev",
            json!({ "default.replication.factor": "2", "min.insync.replicas": "3" }),
        );
        let e: Vec<_> = d.iter().collect();
        assert_eq!(e.len(), 1, "{d:?}");
        assert_eq!(e[0].path, at("min.insync.replicas"));
        assert!(!check("dev", json!({ "default.replication.factor": "2" })).has_errors());
        // Production keeps its durability settings.
        let d = check(
            "production",
            json!({ "min.insync.replicas": "1", "unclean.leader.election.enable": "true" }),
        );
        let paths: Vec<_> = d.iter().map(|e| e.path.clone()).collect();
        assert_eq!(
            paths,
            [
                at("min.insync.replicas"),
                at("unclean.leader.election.enable")
            ],
            "{d:?}"
        );
        assert!(!check("staging", json!({ "min.insync.replicas": "1" })).has_errors());
        // Every tier's own properties pass.
        for tier in ["dev", "staging", "production"] {
            assert!(!check(tier, serde_json::Value::Null).has_errors(), "{tier}");
        }
    }
}
