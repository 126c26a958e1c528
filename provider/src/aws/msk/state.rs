//! The MSK cluster as state: what MSK reports, mapped to [`MskState`], and the settings Mosia
//! asks for ([`Desired`], [`client_authentication`]), checked against the network.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_kafka::types::{
    ClientAuthentication, ClientBroker, Cluster, Iam, Sasl, Scram, Tls, Unauthenticated,
};

use super::configuration::ConfigurationRef;
use super::input::msk_az_count;
use super::{MskAuth, MskSpec, MskState, MskTransit, PART, SECURITY_GROUP_KEY};
use crate::aws::network::NetworkState;
use crate::engine::PartError;

pub(super) fn tag_map(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

pub(super) fn client_broker(t: MskTransit) -> ClientBroker {
    match t {
        MskTransit::Tls => ClientBroker::Tls,
        MskTransit::TlsPlaintext => ClientBroker::TlsPlaintext,
        MskTransit::Plaintext => ClientBroker::Plaintext,
    }
}

/// The MSK name of an authentication method, as in [`MskState::client_authentication`].
pub(super) fn auth_name(a: MskAuth) -> &'static str {
    match a {
        MskAuth::Iam => "iam",
        MskAuth::Tls => "tls",
        MskAuth::Unauthenticated => "unauthenticated",
    }
}

/// The authentication MSK is asked for: the chosen method on, every other one off
/// (explicitly, so that an UpdateSecurity also turns the others off).
pub(super) fn client_authentication(spec: &MskSpec) -> ClientAuthentication {
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
                .scram(Scram::builder().enabled(spec.scram).build())
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

/// True when the cluster has SASL/SCRAM on (then it may have secrets associated).
pub(super) fn uses_scram(c: &Cluster) -> bool {
    observed_auth(c).contains("scram")
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

/// The KMS key of the brokers' volumes (`dataVolumeKMSKeyId`).
pub(super) fn at_rest_key(c: &Cluster) -> Option<&str> {
    c.provisioned()
        .and_then(|p| p.encryption_info())
        .and_then(|e| e.encryption_at_rest())
        .and_then(|r| r.data_volume_kms_key_id())
}

pub(super) fn state_of(c: &Cluster) -> MskState {
    let p = c.provisioned();
    let group = p.and_then(|p| p.broker_node_group_info());
    MskState {
        arn: c.cluster_arn().unwrap_or_default().to_string(),
        name: c.cluster_name().unwrap_or_default().to_string(),
        kms_key_arn: at_rest_key(c).map(str::to_string),
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
        bootstrap_brokers_scram: None,
        scram_secrets: Default::default(),
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
        configuration: observed_configuration(c),
        server_properties: BTreeMap::new(),
        storage_autoscaling_max_gb: None,
    }
}

fn observed_configuration(c: &Cluster) -> Option<ConfigurationRef> {
    let sw = c.provisioned()?.current_broker_software_info()?;
    Some(ConfigurationRef {
        arn: sw.configuration_arn()?.to_string(),
        revision: sw.configuration_revision()?,
    })
}

pub(super) fn state_detail(c: &Cluster) -> String {
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

// ---------------------------------------------------------------------------------------------
// Desired cluster

/// What the network decides about the cluster: its subnets, security groups and brokers.
pub(super) struct Desired {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub brokers: u32,
}

/// Checks the spec against the network and MSK's rules, before any call.
pub(super) fn desired(spec: &MskSpec, net: &NetworkState) -> Result<Desired, PartError> {
    let fail = |detail: &str| {
        Err(PartError::new(
            &PART,
            "checking the MSK cluster settings",
            detail,
        ))
    };
    // One client subnet per AZ: subnets brought by the user may share an AZ.
    let per_az = net.one_subnet_per_az();
    let azs = msk_az_count(per_az.len().min(net.availability_zones.len()));
    if azs < 2 {
        return fail(&format!(
            "MSK needs subnets in at least 2 availability zones; the network has {}",
            per_az.len()
        ));
    }
    if spec.brokers_per_az < 1 {
        return fail("brokers_per_az must be at least 1");
    }
    if spec.storage_gb < 1 {
        return fail("storage_gb must be at least 1");
    }
    // MSK: IAM and TLS authentication only with TLS-only transit (with TLS_PLAINTEXT it demands
    // unauthenticated access as well).
    if spec.encryption_in_transit != MskTransit::Tls {
        let method = match spec.client_authentication {
            MskAuth::Iam => Some("IAM"),
            MskAuth::Tls => Some("TLS"),
            MskAuth::Unauthenticated => None,
        };
        if let Some(method) = method {
            return fail(&format!(
                "{method} client authentication needs TLS (only) between clients and brokers: \
                 set encryption_in_transit to TLS"
            ));
        }
    }
    Ok(Desired {
        subnets: per_az[..azs].to_vec(),
        security_groups: net
            .security_group_ids
            .get(SECURITY_GROUP_KEY)
            .cloned()
            .into_iter()
            .collect(),
        brokers: spec.brokers_per_az * azs as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::msk::tests::spec;

    #[test]
    fn authentication_turns_the_others_off() {
        let a = client_authentication(&spec());
        assert_eq!(
            a.sasl().and_then(|s| s.iam()).and_then(|i| i.enabled()),
            Some(true)
        );
        assert_eq!(
            a.sasl().and_then(|s| s.scram()).and_then(|i| i.enabled()),
            Some(false)
        );
        assert_eq!(a.tls().and_then(|t| t.enabled()), Some(false));
        assert_eq!(a.unauthenticated().and_then(|u| u.enabled()), Some(false));
    }

    #[test]
    fn subnets_brought_in_one_az_give_msk_one_client_subnet_per_az() {
        let mut net = crate::aws::testing::network(3, &[("msk", "sg-msk")]);
        net.managed = false;
        net.private_subnet_ids = ["subnet-a1", "subnet-a2", "subnet-b", "subnet-c"]
            .map(String::from)
            .to_vec();
        net.availability_zones = ["us-east-1a", "us-east-1a", "us-east-1b", "us-east-1c"]
            .map(String::from)
            .to_vec();
        let want = desired(&spec(), &net).unwrap();
        assert_eq!(want.subnets, ["subnet-a1", "subnet-b", "subnet-c"]);
        assert_eq!(want.brokers, 3 * spec().brokers_per_az);
        net.private_subnet_ids.truncate(2);
        net.availability_zones.truncate(2);
        let err = desired(&spec(), &net).err().expect("one AZ is too few");
        assert!(
            err.detail
                .contains("at least 2 availability zones; the network has 1"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn a_cluster_without_client_authentication_is_unauthenticated() {
        let c = Cluster::builder().cluster_name("x").build();
        assert_eq!(
            observed_auth(&c),
            BTreeSet::from(["unauthenticated".to_string()])
        );
        assert_eq!(observed_transit(&c), "TLS", "MSK's default");
    }
}
