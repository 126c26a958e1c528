//! The MSK part of an environment: one provisioned Kafka cluster `{env}-kafka`.
//!
//! - [`ensure`] finds the cluster by name (ListClustersV2 with the name as filter, then an
//!   exact match) and adopts it when its ownership tags say it belongs to this environment
//!   (a re-run after a crash); a cluster of that name that is not ours is a clear error.
//!   Otherwise it creates it (CreateClusterV2): brokers in the first
//!   [`spec::msk_az_count`] private subnets of the network (MSK takes 2 or 3), `brokers_per_az`
//!   in each, the `msk` security group, EBS storage, client authentication (IAM, TLS or
//!   unauthenticated) and client-broker encryption in transit (in-cluster encryption is
//!   always on). It waits until ACTIVE, then reads the bootstrap brokers.
//! - On an existing cluster it converges in place, one cluster operation at a time (MSK
//!   accepts one at a time, each against the cluster's `currentVersion`), waiting for each
//!   operation (DescribeClusterOperation) and for ACTIVE: broker type (UpdateBrokerType),
//!   storage (UpdateBrokerStorage, grow only), broker count (UpdateBrokerCount, add only),
//!   client authentication and encryption in transit (UpdateSecurity), Kafka version
//!   (UpdateClusterKafkaVersion, upgrade only), tags.
//! - What MSK cannot do in place — fewer brokers, smaller volumes, an older Kafka version,
//!   other subnets or security groups — is refused with a [`PartError`] that says why,
//!   *before* anything is changed (replacing the cluster loses its data, so Mosia does not
//!   do it on its own).
//! - [`read`]: the cluster as it is (ListClustersV2 gives the full description) plus its
//!   bootstrap brokers; None when there is none.
//! - [`delete`]: deletes the cluster(s) of that name that are ours and waits until they are
//!   gone (DescribeClusterV2 answers NotFoundException).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_kafka::types::{
    BrokerEbsVolumeInfo, BrokerNodeGroupInfo, ClientAuthentication, ClientBroker, Cluster,
    ClusterState, EbsStorageInfo, EncryptionInTransit, EncryptionInfo, Iam, ProvisionedRequest,
    Sasl, Scram, StorageInfo, Tls, Unauthenticated,
};
use aws_sdk_kafka::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::errors;
use super::network::NetworkState;
use super::part::PartEnv;
use crate::engine::{NotFoundGrace, PartError, Poll, Waiter};
use crate::aws::wait::AwsKind;
pub mod input;

pub use input::{MskAuth, MskSpec, MskTransit};
use input as spec;

/// The part name in ownership tags, errors and progress logs.
pub const PART: &str = "msk";
/// The key of the brokers' security group in [`NetworkState::security_group_ids`].
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
    pub status: String,
    pub client_subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// Enabled client authentication methods: `iam`, `scram`, `tls`, `unauthenticated`.
    pub client_authentication: BTreeSet<String>,
    /// `TLS`, `TLS_PLAINTEXT` or `PLAINTEXT`.
    pub encryption_in_transit: String,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
}

/// `{env}-kafka`.
pub fn cluster_name(env: &PartEnv) -> String {
    env.aws_name("kafka")
}

// ---------------------------------------------------------------------------------------------
// Errors and helpers

fn aws_err<E, R>(summary: impl Into<String>, op: &str, err: &SdkError<E, R>) -> PartError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let d = errors::diagnostic(&format!("MSK {op}"), err);
    PartError::new(PART, summary, format!("MSK {op}: {}", d.detail)).retryable(is_transient(err))
}

/// Service error codes that may pass by themselves (throttling, internal errors, capacity).
const TRANSIENT_CODES: &[&str] = &[
    "TooManyRequestsException",
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalServerErrorException",
    "InternalFailure",
];

/// Throttling, 5xx and transport failures may pass by themselves.
fn is_transient<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    errors::is_transient(err, TRANSIENT_CODES)
}

fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(errors::code(err), Some("NotFoundException"))
}

fn tag_map(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// The numeric parts of an MSK Kafka version, for ordering: `3.7.x` (the latest 3.7 patch)
/// sorts above every `3.7.N`; suffixes such as `.kraft` or `.tiered` are ignored. None when
/// the version does not start with a number.
fn version_parts(v: &str) -> Option<Vec<u32>> {
    let mut parts = Vec::new();
    for p in v.trim().split('.') {
        match (p, p.parse::<u32>()) {
            ("x", _) => parts.push(u32::MAX),
            (_, Ok(n)) => parts.push(n),
            _ => break,
        }
    }
    (!parts.is_empty()).then_some(parts)
}

fn client_broker(t: MskTransit) -> ClientBroker {
    match t {
        MskTransit::Tls => ClientBroker::Tls,
        MskTransit::TlsPlaintext => ClientBroker::TlsPlaintext,
        MskTransit::Plaintext => ClientBroker::Plaintext,
    }
}

/// The MSK name of an authentication method, as in [`MskState::client_authentication`].
fn auth_name(a: MskAuth) -> &'static str {
    match a {
        MskAuth::Iam => "iam",
        MskAuth::Tls => "tls",
        MskAuth::Unauthenticated => "unauthenticated",
    }
}

/// The authentication MSK is asked for: the chosen method on, every other one off
/// (explicitly, so that an UpdateSecurity also turns the others off).
fn client_authentication(spec: &MskSpec) -> ClientAuthentication {
    let a = spec.client_authentication;
    let mut tls = Tls::builder().enabled(a == MskAuth::Tls);
    if a == MskAuth::Tls && !spec.tls_certificate_authority_arns.is_empty() {
        tls = tls
            .set_certificate_authority_arn_list(Some(spec.tls_certificate_authority_arns.clone()));
    }
    ClientAuthentication::builder()
        .sasl(
            Sasl::builder()
                .iam(Iam::builder().enabled(a == MskAuth::Iam).build())
                .scram(Scram::builder().enabled(false).build())
                .build(),
        )
        .tls(tls.build())
        .unauthenticated(
            Unauthenticated::builder()
                .enabled(a == MskAuth::Unauthenticated)
                .build(),
        )
        .build()
}

fn observed_auth(c: &Cluster) -> BTreeSet<String> {
    let auth = c.provisioned().and_then(|p| p.client_authentication());
    let mut out = BTreeSet::new();
    let Some(auth) = auth else {
        // No client authentication configured at all: MSK allows unauthenticated access.
        out.insert("unauthenticated".to_string());
        return out;
    };
    let sasl = auth.sasl();
    if sasl.and_then(|s| s.iam()).and_then(|i| i.enabled()) == Some(true) {
        out.insert("iam".into());
    }
    if sasl.and_then(|s| s.scram()).and_then(|i| i.enabled()) == Some(true) {
        out.insert("scram".into());
    }
    if let Some(tls) = auth.tls() {
        if tls.enabled() == Some(true)
            || (tls.enabled().is_none() && !tls.certificate_authority_arn_list().is_empty())
        {
            out.insert("tls".into());
        }
    }
    match auth.unauthenticated().and_then(|u| u.enabled()) {
        Some(true) => {
            out.insert("unauthenticated".into());
        }
        Some(false) => {}
        None if out.is_empty() => {
            out.insert("unauthenticated".into());
        }
        None => {}
    }
    out
}

fn observed_transit(c: &Cluster) -> String {
    c.provisioned()
        .and_then(|p| p.encryption_info())
        .and_then(|e| e.encryption_in_transit())
        .and_then(|t| t.client_broker())
        .map(|b| b.as_str().to_string())
        // MSK's default.
        .unwrap_or_else(|| "TLS".into())
}

fn state_of(c: &Cluster) -> MskState {
    let p = c.provisioned();
    let group = p.and_then(|p| p.broker_node_group_info());
    MskState {
        arn: c.cluster_arn().unwrap_or_default().to_string(),
        name: c.cluster_name().unwrap_or_default().to_string(),
        kafka_version: p
            .and_then(|p| p.current_broker_software_info())
            .and_then(|s| s.kafka_version())
            .unwrap_or_default()
            .to_string(),
        broker_instance_type: group
            .and_then(|g| g.instance_type())
            .unwrap_or_default()
            .to_string(),
        number_of_broker_nodes: p
            .and_then(|p| p.number_of_broker_nodes())
            .unwrap_or(0)
            .max(0) as u32,
        storage_gb: group
            .and_then(|g| g.storage_info())
            .and_then(|s| s.ebs_storage_info())
            .and_then(|e| e.volume_size())
            .unwrap_or(0)
            .max(0) as u32,
        current_version: c.current_version().unwrap_or_default().to_string(),
        bootstrap_brokers: None,
        bootstrap_brokers_tls: None,
        bootstrap_brokers_iam: None,
        status: c
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        client_subnets: group
            .map(|g| g.client_subnets().to_vec())
            .unwrap_or_default(),
        security_groups: group
            .map(|g| g.security_groups().to_vec())
            .unwrap_or_default(),
        client_authentication: observed_auth(c),
        encryption_in_transit: observed_transit(c),
        tags: tag_map(c.tags()),
    }
}

// ---------------------------------------------------------------------------------------------
// Desired cluster

struct Desired {
    subnets: Vec<String>,
    security_groups: Vec<String>,
    brokers: u32,
}

fn desired(spec: &MskSpec, net: &NetworkState) -> Result<Desired, PartError> {
    let summary = "checking the MSK cluster settings";
    let azs = spec::msk_az_count(
        net.availability_zones
            .len()
            .min(net.private_subnet_ids.len()),
    );
    if azs < 2 {
        return Err(PartError::new(
            PART,
            summary,
            format!(
                "MSK needs subnets in at least 2 availability zones; the network has {}",
                net.private_subnet_ids.len()
            ),
        ));
    }
    if spec.brokers_per_az < 1 {
        return Err(PartError::new(
            PART,
            summary,
            "brokers_per_az must be at least 1",
        ));
    }
    if spec.storage_gb < 1 {
        return Err(PartError::new(
            PART,
            summary,
            "storage_gb must be at least 1",
        ));
    }
    if spec.client_authentication == MskAuth::Iam
        && spec.encryption_in_transit == MskTransit::Plaintext
    {
        return Err(PartError::new(
            PART,
            summary,
            "IAM client authentication needs TLS between clients and brokers: set \
             encryption_in_transit to TLS or TLS_PLAINTEXT",
        ));
    }
    if spec.client_authentication == MskAuth::Tls
        && spec.encryption_in_transit == MskTransit::Plaintext
    {
        return Err(PartError::new(
            PART,
            summary,
            "TLS client authentication needs TLS between clients and brokers: set \
             encryption_in_transit to TLS or TLS_PLAINTEXT",
        ));
    }
    Ok(Desired {
        subnets: net.private_subnet_ids[..azs].to_vec(),
        security_groups: net
            .security_group_ids
            .get(SECURITY_GROUP_KEY)
            .cloned()
            .into_iter()
            .collect(),
        brokers: spec.brokers_per_az * azs as u32,
    })
}

// ---------------------------------------------------------------------------------------------
// Find, describe, wait

/// The clusters named exactly `{env}-kafka`: (ours, not ours).
async fn find(env: &PartEnv) -> Result<(Vec<Cluster>, Vec<Cluster>), PartError> {
    let name = cluster_name(env);
    let kafka = env.aws.kafka();
    let mut ours = Vec::new();
    let mut foreign = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = kafka
            .list_clusters_v2()
            .cluster_name_filter(&name)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    format!("looking up MSK cluster `{name}`"),
                    "ListClustersV2",
                    &e,
                )
            })?;
        for c in out.cluster_info_list() {
            // The filter is a prefix match.
            if c.cluster_name() != Some(name.as_str()) {
                continue;
            }
            if env.owns(PART, &tag_map(c.tags())) {
                ours.push(c.clone());
            } else {
                foreign.push(c.clone());
            }
        }
        token = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok((ours, foreign))
}

async fn describe(kafka: &Client, arn: &str) -> Result<Option<Cluster>, PartError> {
    match kafka.describe_cluster_v2().cluster_arn(arn).send().await {
        Ok(out) => Ok(out.cluster_info().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_err(
            format!("reading MSK cluster `{arn}`"),
            "DescribeClusterV2",
            &e,
        )),
    }
}

fn state_detail(c: &Cluster) -> String {
    c.state_info()
        .map(|s| {
            format!(
                "{}: {}",
                s.code().unwrap_or("no code"),
                s.message().unwrap_or("no message")
            )
        })
        .unwrap_or_else(|| "no details".into())
}

/// Waits until the cluster is ACTIVE and returns it.
async fn wait_active(
    env: &PartEnv,
    name: &str,
    arn: &str,
    timeout: Duration,
) -> Result<Cluster, PartError> {
    let kafka = env.aws.kafka();
    let grace = NotFoundGrace::default();
    let grace = &grace;
    Waiter::new(PART, AwsKind::Msk.poll_schedule())
        .what(format!("MSK cluster `{name}` to become ACTIVE"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(timeout)
        .until(|| async move {
            match describe(kafka, arn).await {
                Ok(Some(c)) => match c.state() {
                    Some(ClusterState::Active) => Poll::Ready(c),
                    Some(ClusterState::Failed) => Poll::Failed(PartError::new(
                        PART,
                        format!("waiting for MSK cluster `{name}`"),
                        format!(
                            "the cluster is FAILED ({}); delete it (`terraform destroy`) and apply again",
                            state_detail(&c)
                        ),
                    )),
                    Some(ClusterState::Deleting) => Poll::Failed(PartError::new(
                        PART,
                        format!("waiting for MSK cluster `{name}`"),
                        "the cluster is being deleted (by someone else?)",
                    )),
                    Some(s) => Poll::Pending(s.as_str().to_string()),
                    None => Poll::Pending("unknown".into()),
                },
                Ok(None) => grace.missed(PART, format!("waiting for MSK cluster `{name}`"), "cluster"),
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Waits for a cluster operation to complete, then for the cluster to be ACTIVE again.
async fn wait_operation(
    env: &PartEnv,
    name: &str,
    arn: &str,
    operation_arn: Option<&str>,
    what: &str,
) -> Result<Cluster, PartError> {
    if let Some(op) = operation_arn {
        let kafka = env.aws.kafka();
        Waiter::new(PART, AwsKind::Msk.poll_schedule())
            .what(what.to_string())
            .cancel(&env.ctx)
            .deadline(env.deadline)
            .timeout(UPDATE_WAIT)
            .until(|| async move {
                match kafka
                    .describe_cluster_operation()
                    .cluster_operation_arn(op)
                    .send()
                    .await
                {
                    Ok(out) => {
                        let Some(info) = out.cluster_operation_info() else {
                            return Poll::Pending("unknown".into());
                        };
                        match info.operation_state() {
                            Some("UPDATE_COMPLETE") => Poll::Ready(()),
                            Some(s @ ("UPDATE_FAILED" | "FAILED")) => Poll::Failed(PartError::new(
                                PART,
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
                            Some(s) => Poll::Pending(s.to_string()),
                            None => Poll::Pending("unknown".into()),
                        }
                    }
                    Err(e) => Poll::Failed(aws_err(what, "DescribeClusterOperation", &e)),
                }
            })
            .await
            .map_err(PartError::from)?;
    }
    wait_active(env, name, arn, UPDATE_WAIT).await
}

async fn bootstrap(env: &PartEnv, state: &mut MskState) -> Result<(), PartError> {
    let out = env
        .aws
        .kafka()
        .get_bootstrap_brokers()
        .cluster_arn(&state.arn)
        .send()
        .await
        .map_err(|e| {
            aws_err(
                format!("reading bootstrap brokers of MSK cluster `{}`", state.name),
                "GetBootstrapBrokers",
                &e,
            )
        })?;
    state.bootstrap_brokers = out.bootstrap_broker_string().map(str::to_string);
    state.bootstrap_brokers_tls = out.bootstrap_broker_string_tls().map(str::to_string);
    state.bootstrap_brokers_iam = out.bootstrap_broker_string_sasl_iam().map(str::to_string);
    Ok(())
}

/// Waits until the clusters of `arns` are gone.
async fn wait_gone(env: &PartEnv, name: &str, arn: &str) -> Result<(), PartError> {
    let kafka = env.aws.kafka();
    Waiter::new(PART, AwsKind::Msk.poll_schedule())
        .what(format!("MSK cluster `{name}` to be deleted"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(DELETE_WAIT)
        .until(|| async move {
            let c = match describe(kafka, arn).await {
                Ok(None) => return Poll::Ready(()),
                Ok(Some(c)) => c,
                Err(e) => return Poll::Failed(e),
            };
            let status = c
                .state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            match c.state() {
                Some(ClusterState::Deleting) => return Poll::Pending(status),
                // MSK refuses deletes while an operation runs; wait for it.
                Some(
                    ClusterState::Updating
                    | ClusterState::RebootingBroker
                    | ClusterState::Maintenance
                    | ClusterState::Healing,
                ) => return Poll::Pending(status),
                _ => {}
            }
            tracing::info!(part = PART, object = %name, arn, "deleting MSK cluster");
            match kafka.delete_cluster().cluster_arn(arn).send().await {
                Ok(_) => Poll::Pending("DELETING".into()),
                Err(e) if is_not_found(&e) => Poll::Ready(()),
                Err(e) if errors::code(&e) == Some("BadRequestException") => Poll::Pending(status),
                Err(e) => Poll::Failed(aws_err(
                    format!("deleting MSK cluster `{name}`"),
                    "DeleteCluster",
                    &e,
                )),
            }
        })
        .await
        .map_err(PartError::from)
}

// ---------------------------------------------------------------------------------------------
// ensure

/// Converges the MSK cluster `{env}-kafka` to `spec`, waits until it is ACTIVE and returns
/// it with its bootstrap brokers.
pub async fn ensure(
    env: &PartEnv,
    spec: &MskSpec,
    net: &NetworkState,
) -> Result<MskState, PartError> {
    let name = cluster_name(env);
    let want = desired(spec, net)?;
    let (ours, foreign) = find(env).await?;

    // Ours and alive first; clusters of ours that are being deleted are waited out.
    let mut live: Vec<Cluster> = Vec::new();
    for c in ours {
        if c.state() == Some(&ClusterState::Deleting) {
            tracing::info!(part = PART, object = %name, "an earlier cluster of this name is being deleted; waiting for it");
            wait_gone(env, &name, c.cluster_arn().unwrap_or_default()).await?;
        } else {
            live.push(c);
        }
    }
    if live.is_empty() {
        if let Some(c) = foreign.first() {
            let tags = tag_map(c.tags());
            let owner = match tags.get(super::part::ENVIRONMENT_TAG) {
                Some(e) => format!("its tags say it belongs to environment `{e}`"),
                None => "it has no Mosia ownership tags".into(),
            };
            return Err(PartError::new(
                PART,
                format!("creating MSK cluster `{name}`"),
                format!(
                    "an MSK cluster named `{name}` already exists and is not managed by this \
                     environment ({owner}); rename the environment, or delete that cluster"
                ),
            ));
        }
    }
    if live.len() > 1 {
        let arns: Vec<&str> = live.iter().filter_map(|c| c.cluster_arn()).collect();
        return Err(PartError::new(
            PART,
            format!("adopting MSK cluster `{name}`"),
            format!(
                "{} clusters of this environment share the name: {}; delete all but one",
                live.len(),
                arns.join(", ")
            ),
        ));
    }

    let arn = match live.pop() {
        Some(c) => {
            let arn = c.cluster_arn().unwrap_or_default().to_string();
            if c.state() == Some(&ClusterState::Failed) {
                return Err(PartError::new(
                    PART,
                    format!("adopting MSK cluster `{name}`"),
                    format!(
                        "the cluster {arn} is FAILED ({}); delete it (`terraform destroy`) and apply again",
                        state_detail(&c)
                    ),
                ));
            }
            tracing::info!(part = PART, object = %name, arn = %arn, state = c.state().map(|s| s.as_str()).unwrap_or(""), "adopting existing MSK cluster");
            arn
        }
        None => create(env, &name, spec, &want).await?,
    };

    let cluster = wait_active(env, &name, &arn, CREATE_WAIT).await?;
    let cluster = converge(env, &name, spec, &want, cluster).await?;
    let mut state = state_of(&cluster);
    state.tags = env.tags_for(PART);
    bootstrap(env, &mut state).await?;
    tracing::info!(part = PART, object = %name, brokers = state.number_of_broker_nodes, "MSK cluster ready");
    Ok(state)
}

async fn create(
    env: &PartEnv,
    name: &str,
    spec: &MskSpec,
    want: &Desired,
) -> Result<String, PartError> {
    let mut group = BrokerNodeGroupInfo::builder()
        .instance_type(&spec.broker_instance_type)
        .set_client_subnets(Some(want.subnets.clone()))
        .storage_info(
            StorageInfo::builder()
                .ebs_storage_info(
                    EbsStorageInfo::builder()
                        .volume_size(spec.storage_gb as i32)
                        .build(),
                )
                .build(),
        );
    if !want.security_groups.is_empty() {
        group = group.set_security_groups(Some(want.security_groups.clone()));
    }
    let provisioned = ProvisionedRequest::builder()
        .kafka_version(&spec.kafka_version)
        .number_of_broker_nodes(want.brokers as i32)
        .broker_node_group_info(group.build())
        .client_authentication(client_authentication(spec))
        .encryption_info(
            EncryptionInfo::builder()
                .encryption_in_transit(
                    EncryptionInTransit::builder()
                        .client_broker(client_broker(spec.encryption_in_transit))
                        .in_cluster(true)
                        .build(),
                )
                .build(),
        )
        .build();
    tracing::info!(
        part = PART,
        object = %name,
        brokers = want.brokers,
        broker_type = %spec.broker_instance_type,
        kafka_version = %spec.kafka_version,
        "creating MSK cluster"
    );
    match env
        .aws
        .kafka()
        .create_cluster_v2()
        .cluster_name(name)
        .provisioned(provisioned)
        .set_tags(Some(env.tags_for(PART).into_iter().collect()))
        .send()
        .await
    {
        Ok(out) => out.cluster_arn().map(str::to_string).ok_or_else(|| {
            PartError::new(
                PART,
                format!("creating MSK cluster `{name}`"),
                "MSK answered without a cluster ARN",
            )
        }),
        Err(e) if errors::code(&e) == Some("ConflictException") => {
            // Created meanwhile (an earlier run whose answer was lost): adopt it if ours.
            let (ours, _) = find(env).await?;
            ours.iter()
                .find(|c| c.state() != Some(&ClusterState::Deleting))
                .and_then(|c| c.cluster_arn())
                .map(str::to_string)
                .ok_or_else(|| {
                    aws_err(
                        format!("creating MSK cluster `{name}`"),
                        "CreateClusterV2",
                        &e,
                    )
                })
        }
        Err(e) => Err(aws_err(
            format!("creating MSK cluster `{name}`"),
            "CreateClusterV2",
            &e,
        )),
    }
}

/// In-place changes of an ACTIVE cluster, one operation at a time; refuses what MSK cannot
/// do before changing anything.
async fn converge(
    env: &PartEnv,
    name: &str,
    spec: &MskSpec,
    want: &Desired,
    mut cluster: Cluster,
) -> Result<Cluster, PartError> {
    let kafka = env.aws.kafka();
    let have = state_of(&cluster);
    let arn = have.arn.clone();

    let mut impossible = Vec::new();
    if want.brokers < have.number_of_broker_nodes {
        impossible.push(format!(
            "broker count {} → {}: MSK does not remove brokers in place (set brokers_per_az back, \
             or replace the cluster)",
            have.number_of_broker_nodes, want.brokers
        ));
    }
    if spec.storage_gb < have.storage_gb {
        impossible.push(format!(
            "storage {} GB → {} GB per broker: EBS volumes of MSK brokers can only grow",
            have.storage_gb, spec.storage_gb
        ));
    }
    if let (Some(w), Some(h)) = (
        version_parts(&spec.kafka_version),
        version_parts(&have.kafka_version),
    ) {
        if w < h {
            impossible.push(format!(
                "Kafka version {} → {}: MSK cannot downgrade Kafka",
                have.kafka_version, spec.kafka_version
            ));
        }
    }
    if sorted(&have.client_subnets) != sorted(&want.subnets) {
        impossible.push(format!(
            "client subnets [{}] → [{}]: MSK cannot move brokers to other subnets (replace the cluster)",
            have.client_subnets.join(", "),
            want.subnets.join(", ")
        ));
    }
    if !want.security_groups.is_empty()
        && sorted(&have.security_groups) != sorted(&want.security_groups)
    {
        impossible.push(format!(
            "security groups [{}] → [{}]: MSK cannot change the brokers' security groups (replace the cluster)",
            have.security_groups.join(", "),
            want.security_groups.join(", ")
        ));
    }
    if !impossible.is_empty() {
        return Err(PartError::new(
            PART,
            format!("updating MSK cluster `{name}`"),
            format!(
                "these changes cannot be made in place, nothing was changed: {}",
                impossible.join("; ")
            ),
        ));
    }

    // Tags.
    let want_tags = env.tags_for(PART);
    let (set, unset) = super::tags::diff(&have.tags, &want_tags);
    let set: HashMap<String, String> = set.into_iter().collect();
    if !set.is_empty() {
        tracing::info!(part = PART, object = %name, keys = set.len(), "tagging");
        kafka
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| aws_err(format!("tagging MSK cluster `{name}`"), "TagResource", &e))?;
    }
    if !unset.is_empty() {
        tracing::info!(part = PART, object = %name, keys = unset.len(), "removing tags");
        kafka
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(unset))
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    format!("untagging MSK cluster `{name}`"),
                    "UntagResource",
                    &e,
                )
            })?;
    }

    let version = |c: &Cluster| c.current_version().unwrap_or_default().to_string();

    if spec.broker_instance_type != have.broker_instance_type {
        let what = format!(
            "changing the broker type of MSK cluster `{name}` from {} to {}",
            have.broker_instance_type, spec.broker_instance_type
        );
        tracing::info!(part = PART, object = %name, from = %have.broker_instance_type, to = %spec.broker_instance_type, "updating broker type");
        let out = kafka
            .update_broker_type()
            .cluster_arn(&arn)
            .current_version(version(&cluster))
            .target_instance_type(&spec.broker_instance_type)
            .send()
            .await
            .map_err(|e| aws_err(what.as_str(), "UpdateBrokerType", &e))?;
        cluster = wait_operation(env, name, &arn, out.cluster_operation_arn(), &what).await?;
    }

    if spec.storage_gb > have.storage_gb {
        let what = format!(
            "growing the broker storage of MSK cluster `{name}` from {} GB to {} GB",
            have.storage_gb, spec.storage_gb
        );
        tracing::info!(part = PART, object = %name, from = have.storage_gb, to = spec.storage_gb, "updating broker storage");
        let out = kafka
            .update_broker_storage()
            .cluster_arn(&arn)
            .current_version(version(&cluster))
            .target_broker_ebs_volume_info(
                BrokerEbsVolumeInfo::builder()
                    .kafka_broker_node_id("All")
                    .volume_size_gb(spec.storage_gb as i32)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| aws_err(what.as_str(), "UpdateBrokerStorage", &e))?;
        cluster = wait_operation(env, name, &arn, out.cluster_operation_arn(), &what).await?;
    }

    if want.brokers > have.number_of_broker_nodes {
        let what = format!(
            "adding brokers to MSK cluster `{name}` ({} → {})",
            have.number_of_broker_nodes, want.brokers
        );
        tracing::info!(part = PART, object = %name, from = have.number_of_broker_nodes, to = want.brokers, "updating broker count");
        let out = kafka
            .update_broker_count()
            .cluster_arn(&arn)
            .current_version(version(&cluster))
            .target_number_of_broker_nodes(want.brokers as i32)
            .send()
            .await
            .map_err(|e| aws_err(what.as_str(), "UpdateBrokerCount", &e))?;
        cluster = wait_operation(env, name, &arn, out.cluster_operation_arn(), &what).await?;
    }

    let want_auth: BTreeSet<String> = [auth_name(spec.client_authentication).to_string()].into();
    let want_transit = spec.encryption_in_transit.as_str();
    let auth_differs = have.client_authentication != want_auth;
    let transit_differs = have.encryption_in_transit != want_transit;
    if auth_differs || transit_differs {
        let what = format!(
            "updating client authentication / encryption in transit of MSK cluster `{name}`"
        );
        tracing::info!(part = PART, object = %name, auth = auth_name(spec.client_authentication), transit = want_transit, "updating security");
        let mut req = kafka
            .update_security()
            .cluster_arn(&arn)
            .current_version(version(&cluster));
        if auth_differs {
            req = req.client_authentication(client_authentication(spec));
        }
        if transit_differs {
            req = req.encryption_info(
                EncryptionInfo::builder()
                    .encryption_in_transit(
                        EncryptionInTransit::builder()
                            .client_broker(client_broker(spec.encryption_in_transit))
                            .build(),
                    )
                    .build(),
            );
        }
        let out = req
            .send()
            .await
            .map_err(|e| aws_err(what.as_str(), "UpdateSecurity", &e))?;
        cluster = wait_operation(env, name, &arn, out.cluster_operation_arn(), &what).await?;
    }

    if spec.kafka_version != have.kafka_version && !have.kafka_version.is_empty() {
        let what = format!(
            "upgrading Kafka of MSK cluster `{name}` from {} to {}",
            have.kafka_version, spec.kafka_version
        );
        tracing::info!(part = PART, object = %name, from = %have.kafka_version, to = %spec.kafka_version, "updating Kafka version");
        let out = kafka
            .update_cluster_kafka_version()
            .cluster_arn(&arn)
            .current_version(version(&cluster))
            .target_kafka_version(&spec.kafka_version)
            .send()
            .await
            .map_err(|e| aws_err(what.as_str(), "UpdateClusterKafkaVersion", &e))?;
        cluster = wait_operation(env, name, &arn, out.cluster_operation_arn(), &what).await?;
    }

    Ok(cluster)
}

// ---------------------------------------------------------------------------------------------
// read, delete

/// The cluster as it is now, with its bootstrap brokers when it serves clients; None when
/// this environment has no MSK cluster.
pub async fn read(env: &PartEnv) -> Result<Option<MskState>, PartError> {
    let (mut ours, _) = find(env).await?;
    // Prefer a cluster that is not being deleted.
    ours.sort_by_key(|c| c.state() == Some(&ClusterState::Deleting));
    let Some(c) = ours.first() else {
        return Ok(None);
    };
    let mut state = state_of(c);
    if matches!(
        c.state(),
        Some(
            ClusterState::Active
                | ClusterState::Updating
                | ClusterState::RebootingBroker
                | ClusterState::Healing
                | ClusterState::Maintenance
        )
    ) {
        match bootstrap(env, &mut state).await {
            Ok(()) => {}
            Err(e) if e.detail.contains("NotFoundException") => return Ok(None),
            // Some states answer BadRequestException; the rest of the state is still good.
            Err(e) if e.detail.contains("BadRequestException") => {
                tracing::debug!(part = PART, error = %e.detail, "bootstrap brokers not available");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Some(state))
}

/// Deletes this environment's MSK cluster(s) and waits until they are gone. Clusters of the
/// same name that are not ours are left alone.
pub async fn delete(env: &PartEnv) -> Result<(), PartError> {
    let name = cluster_name(env);
    let (ours, foreign) = find(env).await?;
    if !foreign.is_empty() {
        tracing::warn!(part = PART, object = %name, count = foreign.len(), "leaving MSK clusters of this name that are not this environment's");
    }
    if ours.is_empty() {
        tracing::info!(part = PART, object = %name, "MSK cluster already gone");
        return Ok(());
    }
    let arns: Vec<String> = ours
        .iter()
        .filter_map(|c| c.cluster_arn())
        .map(str::to_string)
        .collect();
    futures::future::try_join_all(arns.iter().map(|arn| wait_gone(env, &name, arn))).await?;
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn kafka_versions_order_with_x_and_suffixes() {
        assert!(version_parts("3.7.x") > version_parts("3.7.1"));
        assert!(version_parts("3.7.x") > version_parts("3.6.0"));
        assert!(version_parts("3.6.0") < version_parts("3.7.x.kraft"));
        assert_eq!(version_parts("2.8.2.tiered"), Some(vec![2, 8, 2]));
        assert_eq!(version_parts("kraft"), None);
    }

    use super::*;

    #[test]
    fn kafka_versions_compare_numerically() {
        assert!(version_parts("3.5.1") < version_parts("3.6.0"));
        assert!(version_parts("3.10.0") > version_parts("3.9.0"));
    }

    #[test]
    fn authentication_turns_the_others_off() {
        let spec = MskSpec {
            kafka_version: "3.6.0".into(),
            broker_instance_type: "kafka.t3.small".into(),
            brokers_per_az: 1,
            storage_gb: 10,
            client_authentication: MskAuth::Iam,
            encryption_in_transit: MskTransit::Tls,
            tls_certificate_authority_arns: vec![],
        };
        let a = client_authentication(&spec);
        assert_eq!(
            a.sasl().and_then(|s| s.iam()).and_then(|i| i.enabled()),
            Some(true)
        );
        assert_eq!(a.tls().and_then(|t| t.enabled()), Some(false));
        assert_eq!(a.unauthenticated().and_then(|u| u.enabled()), Some(false));
    }
}
