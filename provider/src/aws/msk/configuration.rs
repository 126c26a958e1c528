//! The MSK configuration `{env}-kafka`: the brokers' `server.properties`, kept as numbered
//! revisions. `ensure_configuration` creates it, or adds a revision when the properties
//! differ from the latest (old revisions stay, as MSK keeps them); the cluster is created
//! with, or moved to, that revision (`UpdateClusterConfiguration`, in [`super::converge`]).
//! `delete_configuration` runs after the cluster is gone (MSK refuses deleting a
//! configuration a cluster uses).
//!
//! MSK configurations carry no tags: ownership is the description, which names the
//! environment; a configuration of that name with another description is refused.

use std::collections::BTreeMap;

use aws_sdk_kafka::error::ProvideErrorMetadata;
use aws_sdk_kafka::operation::delete_configuration::DeleteConfigurationError;
use aws_sdk_kafka::primitives::Blob;
use aws_sdk_kafka::types::Configuration;

use super::{PART, SERVICE};
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// The Apache Kafka properties an MSK configuration may set (AWS MSK developer guide,
/// "Custom Amazon MSK configurations", the table of properties you can set); MSK refuses
/// any other in CreateConfiguration / UpdateConfiguration and manages the rest itself.
pub const CONFIGURABLE_PROPERTIES: &[&str] = &[
    "allow.everyone.if.no.acl.found",
    "auto.create.topics.enable",
    "compression.type",
    "connections.max.idle.ms",
    "default.replication.factor",
    "delete.topic.enable",
    "group.initial.rebalance.delay.ms",
    "group.max.session.timeout.ms",
    "group.min.session.timeout.ms",
    "leader.imbalance.per.broker.percentage",
    "log.cleaner.delete.retention.ms",
    "log.cleaner.min.cleanable.ratio",
    "log.cleanup.policy",
    "log.flush.interval.messages",
    "log.flush.interval.ms",
    "log.message.timestamp.after.max.ms",
    "log.message.timestamp.before.max.ms",
    "log.message.timestamp.difference.max.ms",
    "log.message.timestamp.type",
    "log.retention.bytes",
    "log.retention.hours",
    "log.retention.minutes",
    "log.retention.ms",
    "log.roll.ms",
    "log.segment.bytes",
    "max.incremental.fetch.session.cache.slots",
    "message.max.bytes",
    "min.insync.replicas",
    "num.io.threads",
    "num.network.threads",
    "num.partitions",
    "num.recovery.threads.per.data.dir",
    "num.replica.fetchers",
    "offsets.retention.minutes",
    "offsets.topic.replication.factor",
    "replica.fetch.max.bytes",
    "replica.fetch.response.max.bytes",
    "replica.lag.time.max.ms",
    "replica.selector.class",
    "replica.socket.receive.buffer.bytes",
    "socket.receive.buffer.bytes",
    "socket.request.max.bytes",
    "socket.send.buffer.bytes",
    "transaction.max.timeout.ms",
    "transaction.state.log.min.isr",
    "transaction.state.log.replication.factor",
    "transactional.id.expiration.ms",
    "unclean.leader.election.enable",
    "zookeeper.connection.timeout.ms",
    "zookeeper.session.timeout.ms",
];

/// The revision of the configuration a cluster runs (or is to run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationRef {
    pub arn: String,
    pub revision: i64,
}

/// `{env}-kafka` (the cluster's name; configurations are a namespace of their own).
pub fn configuration_name(env: &PartEnv) -> String {
    env.aws_name("kafka")
}

/// The description that marks a configuration as this environment's.
pub fn owner_description(env: &PartEnv) -> String {
    format!(
        "Broker properties of Mosia environment {} (mosia:environment={})",
        env.name, env.name
    )
}

/// True when the configuration's description names this environment.
fn is_ours(env: &PartEnv, c: &Configuration) -> bool {
    c.description() == Some(owner_description(env).as_str())
}

/// `server.properties` text: one `key=value` per line, sorted.
pub fn properties_text(props: &BTreeMap<String, String>) -> String {
    props.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

/// The properties of a `server.properties` text (`=` or `:` separates; blank lines and
/// `#`/`!` comments skipped).
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let at = l.find(['=', ':'])?;
            Some((l[..at].trim().to_string(), l[at + 1..].trim().to_string()))
        })
        .collect()
}

/// The configuration named `name`, if any (ListConfigurations, every page).
pub(super) async fn find_configuration(
    env: &PartEnv,
    name: &str,
) -> Result<Option<Configuration>, PartError> {
    let mut token: Option<String> = None;
    loop {
        let out = env
            .aws
            .kafka()
            .list_configurations()
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("listing MSK configurations for `{name}`"),
                    "ListConfigurations",
                    &e,
                )
            })?;
        if let Some(c) = out.configurations().iter().find(|c| c.name() == Some(name)) {
            return Ok(Some(c.clone()));
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(None);
        }
    }
}

/// The properties of one revision.
pub(super) async fn revision_properties(
    env: &PartEnv,
    at: &ConfigurationRef,
) -> Result<BTreeMap<String, String>, PartError> {
    let out = env
        .aws
        .kafka()
        .describe_configuration_revision()
        .arn(&at.arn)
        .revision(at.revision)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!(
                    "reading revision {} of MSK configuration {}",
                    at.revision, at.arn
                ),
                "DescribeConfigurationRevision",
                &e,
            )
        })?;
    let text = out
        .server_properties()
        .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
        .unwrap_or_default();
    Ok(parse_properties(&text))
}

/// The configuration's latest revision holding `props`: created, adopted as it is, or
/// given a new revision.
pub(super) async fn ensure_configuration(
    env: &PartEnv,
    props: &BTreeMap<String, String>,
) -> Result<ConfigurationRef, PartError> {
    let name = configuration_name(env);
    let Some(found) = find_configuration(env, &name).await? else {
        return create_configuration(env, &name, props).await;
    };
    if !is_ours(env, &found) {
        return Err(PartError::new(
            &PART,
            format!("adopting MSK configuration `{name}`"),
            format!(
                "MSK configuration `{name}` already exists and is not managed by this \
                 environment (its description is {:?}): delete or rename it, or choose \
                 another environment name",
                found.description().unwrap_or_default()
            ),
        ));
    }
    let latest = ConfigurationRef {
        arn: found.arn().unwrap_or_default().to_string(),
        revision: found
            .latest_revision()
            .and_then(|r| r.revision())
            .unwrap_or(1),
    };
    if &revision_properties(env, &latest).await? == props {
        return Ok(latest);
    }
    update_configuration(env, &name, &latest.arn, props).await
}

async fn create_configuration(
    env: &PartEnv,
    name: &str,
    props: &BTreeMap<String, String>,
) -> Result<ConfigurationRef, PartError> {
    tracing::info!(part = %PART, object = %name, properties = props.len(), "creating MSK configuration");
    let out = env
        .aws
        .kafka()
        .create_configuration()
        .name(name)
        .description(owner_description(env))
        .server_properties(Blob::new(properties_text(props)))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("creating MSK configuration `{name}`"),
                "CreateConfiguration",
                &e,
            )
        })?;
    let arn = out.arn().unwrap_or_default().to_string();
    answered_revision(name, &arn, out.latest_revision())
}

/// The revision MSK answered a create or an update with.
fn answered_revision(
    name: &str,
    arn: &str,
    latest: Option<&aws_sdk_kafka::types::ConfigurationRevision>,
) -> Result<ConfigurationRef, PartError> {
    latest
        .and_then(|r| r.revision())
        .map(|revision| ConfigurationRef {
            arn: arn.to_string(),
            revision,
        })
        .ok_or_else(|| {
            PartError::new(
                &PART,
                format!("writing MSK configuration `{name}`"),
                "MSK answered without the configuration's revision",
            )
        })
}

async fn update_configuration(
    env: &PartEnv,
    name: &str,
    arn: &str,
    props: &BTreeMap<String, String>,
) -> Result<ConfigurationRef, PartError> {
    tracing::info!(part = %PART, object = %name, "adding a revision to MSK configuration");
    let out = env
        .aws
        .kafka()
        .update_configuration()
        .arn(arn)
        .description(owner_description(env))
        .server_properties(Blob::new(properties_text(props)))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("adding a revision to MSK configuration `{name}`"),
                "UpdateConfiguration",
                &e,
            )
        })?;
    answered_revision(name, arn, out.latest_revision())
}

/// Deletes the environment's configuration (after its cluster); absent counts as deleted,
/// and one that is not ours is left alone.
pub(super) async fn delete_configuration(env: &PartEnv) -> Result<(), PartError> {
    let name = configuration_name(env);
    let Some(found) = find_configuration(env, &name).await? else {
        return Ok(());
    };
    if !is_ours(env, &found) {
        tracing::warn!(part = %PART, object = %name, "MSK configuration not owned by this environment: left alone");
        return Ok(());
    }
    let arn = found.arn().unwrap_or_default();
    tracing::info!(part = %PART, object = %name, "deleting MSK configuration");
    match env.aws.kafka().delete_configuration().arn(arn).send().await {
        Ok(_) => Ok(()),
        // MSK answers BadRequestException "Configuration ARN does not exist" for one gone
        // meanwhile (terraform-provider-aws matches the same text).
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                DeleteConfigurationError::is_not_found_exception(s)
                    || (s.is_bad_request_exception()
                        && s.message().is_some_and(|m| m.contains("does not exist")))
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(SERVICE.error(
            &PART,
            format!("deleting MSK configuration `{name}`"),
            "DeleteConfiguration",
            &e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_round_trip_sorted_and_comments_are_skipped() {
        let props = BTreeMap::from([
            ("min.insync.replicas".to_string(), "2".to_string()),
            ("auto.create.topics.enable".to_string(), "false".to_string()),
        ]);
        let text = properties_text(&props);
        assert_eq!(
            text,
            "auto.create.topics.enable=false\nmin.insync.replicas=2\n"
        );
        assert_eq!(parse_properties(&text), props);
        let written = "# MSK default\n\nauto.create.topics.enable = false\nmin.insync.replicas:2\n";
        assert_eq!(parse_properties(written), props);
    }
}
