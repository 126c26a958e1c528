//! The MSK cluster: finding it (by name, then by ARN), its statuses and waits, creating or
//! adopting it ([`ensure`]) and reading it ([`read`]).

use std::time::Duration;

use aws_sdk_kafka::operation::create_cluster_v2::CreateClusterV2Error;
use aws_sdk_kafka::operation::describe_cluster_v2::DescribeClusterV2Error;
use aws_sdk_kafka::operation::get_bootstrap_brokers::GetBootstrapBrokersError;
use aws_sdk_kafka::types::{
    BrokerNodeGroupInfo, Cluster, ClusterState, ConfigurationInfo, EbsStorageInfo,
    EncryptionAtRest, EncryptionInTransit, EncryptionInfo, ProvisionedRequest, StorageInfo,
};
use aws_sdk_kafka::Client;

use super::configuration::{ensure_configuration, revision_properties, ConfigurationRef};
use super::state::{
    client_authentication, client_broker, desired, state_detail, state_of, tag_map, Desired,
};
use super::{
    cluster_name, converge, storage_autoscaling, MskSpec, MskState, CREATE_WAIT, DELETE_WAIT, PART,
    SERVICE,
};
use crate::aws::errors;
use crate::aws::network::NetworkState;
use crate::aws::part::{not_ours, PartEnv};
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{NotFoundGrace, PartError, Poll};

/// On the way to ACTIVE (after a create or an operation). FAILED and DELETING are failures
/// with their own messages; any other status fails the wait at once.
pub(super) const CLUSTER_ACTIVE: Statuses = Statuses {
    pending: &[
        "CREATING",
        "UPDATING",
        "MAINTENANCE",
        "REBOOTING_BROKER",
        "HEALING",
    ],
    target: &["ACTIVE"],
};

/// On the way out after DeleteCluster; gone (NotFound) ends the wait.
pub(super) const CLUSTER_DELETED: Statuses = Statuses {
    pending: &["DELETING"],
    target: &[],
};

// ---------------------------------------------------------------------------------------------
// Find

/// The clusters named exactly `{env}-kafka`, by ownership.
#[derive(Default)]
pub(super) struct Named {
    pub ours: Vec<Cluster>,
    pub foreign: Vec<Cluster>,
}

/// The clusters named `{env}-kafka` (ListClustersV2 filters by prefix: exact match here).
pub(super) async fn clusters_named(env: &PartEnv) -> Result<Named, PartError> {
    let name = cluster_name(env);
    let mut named = Named::default();
    let mut token: Option<String> = None;
    loop {
        let out = env
            .aws
            .kafka()
            .list_clusters_v2()
            .cluster_name_filter(&name)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("looking up MSK cluster `{name}`"),
                    "ListClustersV2",
                    &e,
                )
            })?;
        for c in out.cluster_info_list() {
            if c.cluster_name() != Some(name.as_str()) {
                continue;
            }
            if env.owns(PART.tag(), &tag_map(c.tags())) {
                named.ours.push(c.clone());
            } else {
                named.foreign.push(c.clone());
            }
        }
        token = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(named);
        }
    }
}

/// The cluster of `arn` (DescribeClusterV2); None when MSK answers NotFoundException.
pub(super) async fn find_cluster(kafka: &Client, arn: &str) -> Result<Option<Cluster>, PartError> {
    errors::found(
        kafka.describe_cluster_v2().cluster_arn(arn).send().await,
        DescribeClusterV2Error::is_not_found_exception,
    )
    .map(|out| out.and_then(|o| o.cluster_info().cloned()))
    .map_err(|e| {
        SERVICE.error(
            &PART,
            format!("reading MSK cluster `{arn}`"),
            "DescribeClusterV2",
            &e,
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Waits

/// One poll of the wait for ACTIVE: FAILED (with MSK's reason) and DELETING have their own
/// messages; the rest follows [`CLUSTER_ACTIVE`].
pub(super) fn active_poll(name: &str, c: Cluster) -> Poll<Cluster, PartError> {
    let summary = format!("waiting for MSK cluster `{name}`");
    match c.state() {
        Some(ClusterState::Failed) => Poll::Failed(PartError::new(
            &PART,
            summary,
            format!(
                "the cluster is FAILED ({}); delete it (`terraform destroy`) and apply again",
                state_detail(&c)
            ),
        )),
        Some(ClusterState::Deleting) => Poll::Failed(PartError::new(
            &PART,
            summary,
            "the cluster is being deleted (by someone else?)",
        )),
        state => {
            let status = state.map(|s| s.as_str().to_string());
            CLUSTER_ACTIVE.poll(
                &PART.to_string(),
                &format!("MSK cluster `{name}`"),
                status.as_deref(),
                || c,
            )
        }
    }
}

/// Waits until the cluster is ACTIVE and returns it. NotFound right after a create is
/// eventual consistency for a few polls ([`NotFoundGrace`]).
pub(super) async fn wait_cluster_active(
    env: &PartEnv,
    name: &str,
    arn: &str,
    timeout: Duration,
) -> Result<Cluster, PartError> {
    let kafka = env.aws.kafka();
    let grace = NotFoundGrace::default();
    let grace = &grace;
    let part = PART.to_string();
    let part = part.as_str();
    env.waiter(
        part,
        AwsKind::Msk,
        format!("MSK cluster `{name}` to become ACTIVE"),
    )
    .timeout(timeout)
    .until(|| async move {
        match find_cluster(kafka, arn).await {
            Ok(Some(c)) => active_poll(name, c),
            Ok(None) => grace.missed(part, format!("waiting for MSK cluster `{name}`"), "cluster"),
            Err(e) => Poll::Failed(e),
        }
    })
    .await
    .map_err(PartError::from)
}

/// Waits until the cluster of `arn` is gone (DescribeClusterV2 answers NotFound).
pub(super) async fn wait_cluster_deleted(
    env: &PartEnv,
    name: &str,
    arn: &str,
) -> Result<(), PartError> {
    let kafka = env.aws.kafka();
    let part = PART.to_string();
    let part = part.as_str();
    env.waiter(
        part,
        AwsKind::Msk,
        format!("MSK cluster `{name}` to be deleted"),
    )
    .timeout(DELETE_WAIT)
    .until(|| async move {
        match find_cluster(kafka, arn).await {
            Ok(None) => Poll::Ready(()),
            Ok(Some(c)) => {
                let status = c.state().map(|s| s.as_str().to_string());
                // The target list is empty: only NotFound ends the wait.
                CLUSTER_DELETED.poll(
                    part,
                    &format!("MSK cluster `{name}` to be deleted"),
                    status.as_deref(),
                    || (),
                )
            }
            Err(e) => Poll::Failed(e),
        }
    })
    .await
    .map_err(PartError::from)
}

// ---------------------------------------------------------------------------------------------
// Create, adopt, ensure

/// The CreateClusterV2 request's provisioned settings.
fn provisioned_request(
    env: &PartEnv,
    spec: &MskSpec,
    want: &Desired,
    configuration: &ConfigurationRef,
) -> ProvisionedRequest {
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
    let req = ProvisionedRequest::builder();
    super::monitoring::on_create(env, spec, req)
        .kafka_version(&spec.kafka_version)
        .configuration_info(
            ConfigurationInfo::builder()
                .arn(&configuration.arn)
                .revision(configuration.revision)
                .build(),
        )
        .number_of_broker_nodes(want.brokers as i32)
        .broker_node_group_info(group.build())
        .client_authentication(client_authentication(spec))
        .encryption_info(
            EncryptionInfo::builder()
                .set_encryption_at_rest(spec.kms_key.arn.as_ref().map(|k| {
                    EncryptionAtRest::builder()
                        .data_volume_kms_key_id(k)
                        .build()
                }))
                .encryption_in_transit(
                    EncryptionInTransit::builder()
                        .client_broker(client_broker(spec.encryption_in_transit))
                        .in_cluster(true)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// Creates the cluster and returns its ARN. A ConflictException (created meanwhile, by an
/// earlier run whose answer was lost) adopts the cluster when it is ours.
async fn create(
    env: &PartEnv,
    name: &str,
    spec: &MskSpec,
    want: &Desired,
    configuration: &ConfigurationRef,
) -> Result<String, PartError> {
    tracing::info!(
        part = %PART,
        object = %name,
        brokers = want.brokers,
        broker_type = %spec.broker_instance_type,
        kafka_version = %spec.kafka_version,
        "creating MSK cluster"
    );
    let summary = format!("creating MSK cluster `{name}`");
    let result = env
        .aws
        .kafka()
        .create_cluster_v2()
        .cluster_name(name)
        .provisioned(provisioned_request(env, spec, want, configuration))
        .set_tags(Some(env.tags_for(PART.tag()).into_iter().collect()))
        .send()
        .await;
    match result {
        Ok(out) => out
            .cluster_arn()
            .map(str::to_string)
            .ok_or_else(|| PartError::new(&PART, summary, "MSK answered without a cluster ARN")),
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateClusterV2Error::is_conflict_exception) =>
        {
            let named = clusters_named(env).await?;
            named
                .ours
                .iter()
                .find(|c| c.state() != Some(&ClusterState::Deleting))
                .and_then(|c| c.cluster_arn())
                .map(str::to_string)
                .ok_or_else(|| SERVICE.error(&PART, summary, "CreateClusterV2", &e))
        }
        Err(e) => Err(SERVICE.error(&PART, summary, "CreateClusterV2", &e)),
    }
}

/// The ARN of the cluster to adopt, None when there is none to adopt (create it). Our
/// clusters being deleted are waited out; a cluster of that name that is not ours, several
/// of ours, or a FAILED one are refused.
async fn adoptable(env: &PartEnv, name: &str, named: Named) -> Result<Option<String>, PartError> {
    let mut live: Vec<Cluster> = Vec::new();
    for c in named.ours {
        if c.state() == Some(&ClusterState::Deleting) {
            tracing::info!(part = %PART, object = %name, "an earlier cluster of this name is being deleted; waiting for it");
            wait_cluster_deleted(env, name, c.cluster_arn().unwrap_or_default()).await?;
        } else {
            live.push(c);
        }
    }
    if live.is_empty() {
        if let Some(c) = named.foreign.first() {
            return Err(not_ours(
                env,
                &PART,
                "MSK cluster",
                name,
                &tag_map(c.tags()),
            ));
        }
    }
    if live.len() > 1 {
        let arns: Vec<&str> = live.iter().filter_map(|c| c.cluster_arn()).collect();
        return Err(PartError::new(
            &PART,
            format!("adopting MSK cluster `{name}`"),
            format!(
                "{} clusters of this environment share the name: {}; delete all but one",
                live.len(),
                arns.join(", ")
            ),
        ));
    }
    let Some(c) = live.pop() else {
        return Ok(None);
    };
    let arn = c.cluster_arn().unwrap_or_default().to_string();
    if c.state() == Some(&ClusterState::Failed) {
        return Err(PartError::new(
            &PART,
            format!("adopting MSK cluster `{name}`"),
            format!(
                "the cluster {arn} is FAILED ({}); delete it (`terraform destroy`) and apply again",
                state_detail(&c)
            ),
        ));
    }
    tracing::info!(part = %PART, object = %name, arn = %arn, state = c.state().map(|s| s.as_str()).unwrap_or(""), "adopting existing MSK cluster");
    Ok(Some(arn))
}

/// Converges the MSK cluster `{env}-kafka` to `spec`, waits until it is ACTIVE and returns
/// it with its bootstrap brokers.
pub async fn ensure(
    env: &PartEnv,
    spec: &MskSpec,
    net: &NetworkState,
) -> Result<MskState, PartError> {
    let name = cluster_name(env);
    let want = desired(spec, net)?;
    let named = clusters_named(env).await?;
    let adopted = adoptable(env, &name, named).await?;
    let configuration = ensure_configuration(env, &spec.server_properties).await?;
    super::monitoring::ensure_log_group(env, spec).await?;
    let arn = match adopted {
        Some(arn) => arn,
        None => create(env, &name, spec, &want, &configuration).await?,
    };
    let mut cluster = wait_cluster_active(env, &name, &arn, CREATE_WAIT).await?;
    if spec.kms_key.replaces(super::state::at_rest_key(&cluster)) {
        // MSK sets the volumes' key only at creation. The plan named this replacement.
        tracing::warn!(part = %PART, object = %name, old_key = ?super::state::at_rest_key(&cluster), "replacing the MSK cluster: its KMS key changes");
        if super::state::uses_scram(&cluster) {
            super::scram::remove_all(env, &arn).await?;
        }
        super::delete::delete_cluster(env, &name, &arn).await?;
        let arn = create(env, &name, spec, &want, &configuration).await?;
        cluster = wait_cluster_active(env, &name, &arn, CREATE_WAIT).await?;
    }
    // SCRAM off: its secrets go before the cluster stops reading them.
    if !spec.scram && super::state::uses_scram(&cluster) {
        super::scram::remove_all(env, cluster.cluster_arn().unwrap_or_default()).await?;
    }
    let cluster = converge::converge(env, &name, spec, &want, &configuration, cluster).await?;
    let cluster = super::monitoring::converge_monitoring(env, spec, cluster).await?;
    let mut state = state_of(&cluster);
    if spec.scram {
        let users = &spec.scram_users;
        state.scram_secrets =
            super::scram::ensure(env, &state.arn, users, spec.kms_key.arn.as_deref()).await?;
    }
    storage_autoscaling::ensure(env, &name, &state.arn, spec.storage_autoscaling_max_gb).await?;
    state.storage_autoscaling_max_gb = spec.storage_autoscaling_max_gb;
    state.server_properties = spec.server_properties.clone();
    state.tags = env.tags_for(PART.tag());
    bootstrap(env, &mut state)
        .await
        .map_err(|e| bootstrap_error(&state.name, &e))?;
    tracing::info!(part = %PART, object = %name, brokers = state.number_of_broker_nodes, "MSK cluster ready");
    Ok(state)
}

// ---------------------------------------------------------------------------------------------
// Read

type BootstrapError = aws_smithy_runtime_api::client::result::SdkError<
    GetBootstrapBrokersError,
    aws_smithy_runtime_api::http::Response,
>;

/// Fills in the bootstrap broker strings.
async fn bootstrap(env: &PartEnv, state: &mut MskState) -> Result<(), BootstrapError> {
    let out = env
        .aws
        .kafka()
        .get_bootstrap_brokers()
        .cluster_arn(&state.arn)
        .send()
        .await?;
    state.bootstrap_brokers = out.bootstrap_broker_string().map(str::to_string);
    state.bootstrap_brokers_tls = out.bootstrap_broker_string_tls().map(str::to_string);
    state.bootstrap_brokers_iam = out.bootstrap_broker_string_sasl_iam().map(str::to_string);
    state.bootstrap_brokers_scram = out.bootstrap_broker_string_sasl_scram().map(str::to_string);
    Ok(())
}

fn bootstrap_error(name: &str, e: &BootstrapError) -> PartError {
    SERVICE.error(
        &PART,
        format!("reading bootstrap brokers of MSK cluster `{name}`"),
        "GetBootstrapBrokers",
        e,
    )
}

/// The cluster as it is now, with its bootstrap brokers when it serves clients; None when
/// this environment has no MSK cluster (clusters of that name that are not ours included).
pub async fn read(env: &PartEnv) -> Result<Option<MskState>, PartError> {
    let mut ours = clusters_named(env).await?.ours;
    // Prefer a cluster that is not being deleted.
    ours.sort_by_key(|c| c.state() == Some(&ClusterState::Deleting));
    let Some(c) = ours.first() else {
        return Ok(None);
    };
    let mut state = state_of(c);
    if let Some(at) = &state.configuration {
        state.server_properties = revision_properties(env, at).await?;
    }
    state.storage_autoscaling_max_gb = storage_autoscaling::read_max_gb(env, &state.arn).await?;
    if state.client_authentication.contains("scram") {
        state.scram_secrets = super::scram::read_users(env, &state.arn).await?;
    }
    let serving = matches!(
        c.state(),
        Some(
            ClusterState::Active
                | ClusterState::Updating
                | ClusterState::RebootingBroker
                | ClusterState::Healing
                | ClusterState::Maintenance
        )
    );
    if serving {
        match bootstrap(env, &mut state).await {
            Ok(()) => {}
            // GetBootstrapBrokers models no NotFoundException, but MSK sends it for a
            // cluster deleted since the list: compare the code.
            Err(e) if errors::code(&e) == Some("NotFoundException") => return Ok(None),
            // Some states answer BadRequestException; the rest of the state is still good.
            Err(e)
                if e.as_service_error()
                    .is_some_and(GetBootstrapBrokersError::is_bad_request_exception) =>
            {
                tracing::debug!(part = %PART, error = %bootstrap_error(&state.name, &e).detail, "bootstrap brokers not available");
            }
            Err(e) => return Err(bootstrap_error(&state.name, &e)),
        }
    }
    Ok(Some(state))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};

    use aws_sdk_kafka::operation::create_cluster_v2::{
        CreateClusterV2Input, CreateClusterV2Output,
    };
    use aws_sdk_kafka::operation::get_bootstrap_brokers::GetBootstrapBrokersOutput;
    use aws_sdk_kafka::types::{ClientBroker, StateInfo};
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::msk::tests::{
        cluster, configuration_rules, described, listed, net, spec, tags_of, ARN, CONFIG_ARN,
    };
    use crate::aws::testing;

    fn brokers() -> Rule {
        mock!(aws_sdk_kafka::Client::get_bootstrap_brokers)
            .match_requests(|r| r.cluster_arn() == Some(ARN))
            .then_output(|| {
                GetBootstrapBrokersOutput::builder()
                    .bootstrap_broker_string_sasl_iam("b-1:9098,b-2:9098")
                    .build()
            })
    }

    /// CreateClusterV2, recording the request.
    fn create_rule(seen: Arc<Mutex<Vec<CreateClusterV2Input>>>) -> Rule {
        mock!(aws_sdk_kafka::Client::create_cluster_v2)
            .match_requests(move |r| {
                seen.lock().unwrap().push(r.clone());
                true
            })
            .then_output(|| CreateClusterV2Output::builder().cluster_arn(ARN).build())
    }

    #[tokio::test]
    async fn an_owned_cluster_is_adopted_without_a_create() {
        let list = listed(vec![cluster(ClusterState::Active, tags_of("mosia-test"))]);
        let describe = described(cluster(ClusterState::Active, tags_of("mosia-test")));
        let create = create_rule(Arc::default());
        let bootstrap = brokers();
        let [listed_cfg, revision] = <[_; 2]>::try_from(configuration_rules(1)).unwrap();
        let kafka = crate::mock_client!(
            aws_sdk_kafka,
            [
                &list,
                &describe,
                &create,
                &bootstrap,
                &listed_cfg,
                &revision
            ]
        );
        let env = testing::env(crate::aws::msk::tests::aws_with(kafka));

        let state = ensure(&env, &spec(), &net()).await.unwrap();

        assert_eq!(create.num_calls(), 0, "adopted, not created");
        assert_eq!(state.arn, ARN);
        assert_eq!(state.number_of_broker_nodes, 3);
        assert_eq!(
            state.bootstrap_brokers_iam.as_deref(),
            Some("b-1:9098,b-2:9098")
        );
        assert_eq!(
            state.client_authentication,
            BTreeSet::from(["iam".to_string()])
        );
    }

    #[tokio::test]
    async fn a_cluster_of_that_name_tagged_for_another_environment_is_refused() {
        let list = listed(vec![cluster(ClusterState::Active, tags_of("someone-else"))]);
        let create = create_rule(Arc::default());
        let kafka = crate::mock_client!(aws_sdk_kafka, [&list, &create]);
        let env = testing::env(crate::aws::msk::tests::aws_with(kafka));

        let err = ensure(&env, &spec(), &net()).await.unwrap_err();

        assert_eq!(create.num_calls(), 0);
        assert_eq!(err.part, "msk");
        assert!(
            err.detail.contains("is not managed by this environment"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("environment `someone-else`"),
            "{}",
            err.detail
        );
        assert!(
            err.summary.contains("MSK cluster `mosia-test-kafka`"),
            "{}",
            err.summary
        );
        assert_eq!(
            read(&env).await.unwrap(),
            None,
            "not ours: not read as ours"
        );
    }

    #[tokio::test]
    async fn a_missing_cluster_is_created_with_the_spec_and_network_settings() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let list = listed(vec![]);
        let create = create_rule(seen.clone());
        let describe = described(cluster(ClusterState::Active, tags_of("mosia-test")));
        let bootstrap = brokers();
        let [listed_cfg, revision] = <[_; 2]>::try_from(configuration_rules(1)).unwrap();
        let kafka = crate::mock_client!(
            aws_sdk_kafka,
            [
                &list,
                &create,
                &describe,
                &bootstrap,
                &listed_cfg,
                &revision
            ]
        );
        let env = testing::env(crate::aws::msk::tests::aws_with(kafka));

        let state = ensure(&env, &spec(), &net()).await.unwrap();

        assert_eq!(state.status, "ACTIVE");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let req = &seen[0];
        assert_eq!(req.cluster_name(), Some("mosia-test-kafka"));
        let p = req.provisioned().unwrap();
        let group = p.broker_node_group_info().unwrap();
        assert_eq!(
            group.client_subnets(),
            ["subnet-a", "subnet-b", "subnet-c"],
            "at most 3 AZs"
        );
        assert_eq!(group.security_groups(), ["sg-msk"]);
        assert_eq!(group.instance_type(), Some("kafka.m5.large"));
        assert_eq!(
            group
                .storage_info()
                .and_then(|s| s.ebs_storage_info())
                .and_then(|e| e.volume_size()),
            Some(100)
        );
        assert_eq!(p.number_of_broker_nodes(), Some(3), "1 per AZ × 3 AZs");
        let info = p.configuration_info().unwrap();
        assert_eq!(
            (info.arn(), info.revision()),
            (Some(CONFIG_ARN), Some(1)),
            "the environment's configuration"
        );
        assert_eq!(p.kafka_version(), Some("3.6.0"));
        let transit = p
            .encryption_info()
            .and_then(|e| e.encryption_in_transit())
            .unwrap();
        assert_eq!(transit.client_broker(), Some(&ClientBroker::Tls));
        assert_eq!(transit.in_cluster(), Some(true));
        let auth = p.client_authentication().unwrap();
        assert_eq!(
            auth.sasl().and_then(|s| s.iam()).and_then(|i| i.enabled()),
            Some(true)
        );
        assert_eq!(auth.tls().and_then(|t| t.enabled()), Some(false));
        assert_eq!(
            auth.unauthenticated().and_then(|u| u.enabled()),
            Some(false)
        );
        let tags = req.tags().unwrap();
        assert_eq!(
            tags.get("mosia:environment").map(String::as_str),
            Some("mosia-test")
        );
        assert_eq!(tags.get("mosia:part").map(String::as_str), Some("msk"));
        assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
    }

    #[tokio::test]
    async fn the_wait_fails_at_once_on_a_failed_cluster_naming_the_state_and_reason() {
        let mut failed = cluster(ClusterState::Failed, tags_of("mosia-test"));
        failed.state_info = Some(
            StateInfo::builder()
                .code("InsufficientCapacity")
                .message("no kafka.m5.large in us-east-1a")
                .build(),
        );
        let list = listed(vec![]);
        let create = create_rule(Arc::default());
        let describe = described(failed);
        let [listed_cfg, revision] = <[_; 2]>::try_from(configuration_rules(1)).unwrap();
        let kafka = crate::mock_client!(
            aws_sdk_kafka,
            [&list, &create, &describe, &listed_cfg, &revision]
        );
        let env = testing::env(crate::aws::msk::tests::aws_with(kafka));

        let err = ensure(&env, &spec(), &net()).await.unwrap_err();

        assert_eq!(describe.num_calls(), 1, "failed at the first poll");
        assert!(
            err.detail.contains("the cluster is FAILED"),
            "{}",
            err.detail
        );
        assert!(
            err.detail
                .contains("InsufficientCapacity: no kafka.m5.large"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn an_unexpected_state_fails_the_wait_naming_it_and_known_ones_wait() {
        let c = |s: &str| cluster(ClusterState::from(s), tags_of("mosia-test"));
        let Poll::Failed(e) = active_poll("mosia-test-kafka", c("SUSPENDED")) else {
            panic!("an unknown state must fail")
        };
        assert!(
            e.detail.contains("unexpected status `SUSPENDED`"),
            "{}",
            e.detail
        );
        assert_eq!(e.part, "msk");
        for s in [
            "CREATING",
            "UPDATING",
            "MAINTENANCE",
            "REBOOTING_BROKER",
            "HEALING",
        ] {
            assert_eq!(active_poll("x", c(s)), Poll::Pending(s.to_string()));
        }
        assert!(matches!(active_poll("x", c("ACTIVE")), Poll::Ready(_)));
        let Poll::Failed(e) = active_poll("x", c("DELETING")) else {
            panic!("DELETING must fail")
        };
        assert!(e.detail.contains("being deleted"), "{}", e.detail);
    }

    #[test]
    fn settings_that_msk_rejects_are_refused_before_any_call() {
        let mut two_azs = net();
        two_azs.private_subnet_ids.truncate(1);
        let err = desired(&spec(), &two_azs).err().unwrap();
        assert!(
            err.detail.contains("at least 2 availability zones"),
            "{}",
            err.detail
        );
        use crate::aws::msk::MskTransit;
        for transit in [MskTransit::Plaintext, MskTransit::TlsPlaintext] {
            let plaintext = MskSpec {
                encryption_in_transit: transit,
                ..spec()
            };
            let err = desired(&plaintext, &net()).err().unwrap();
            assert!(
                err.detail
                    .starts_with("IAM client authentication needs TLS (only)"),
                "{}",
                err.detail
            );
        }
    }
}
