//! Finding an environment's parts in AWS. [`find`] describes the parts a configuration
//! names (refresh). [`discover`] starts from the name alone (import and the data source):
//! it finds the parts by their ownership tags and deterministic names, and rebuilds the
//! configuration they were created from, so that a plan after an import shows only what
//! really differs.

use std::collections::BTreeMap;

use mosia_tfplugin::{Diagnostics, Schema, Value};

use super::access_entries::imported_access_entries;
use super::guardrails;
use super::observe::{observed_state, window_value};
use super::spec::{self, EnvironmentSpec, NetworkSpec, Tier};
use crate::aws::eks::{self, AccessState, AddonState, EksClusterState, NodeGroupState};
use crate::aws::elasticache::{self, ElastiCacheState};
use crate::aws::iam::{self, IamState};
use crate::aws::kms::KmsKeyState;
use crate::aws::msk::{self, MskState};
use crate::aws::network::{self, EndpointsState, NetworkState};
use crate::aws::part::PartEnv;
use crate::aws::rds::{self, RdsState};
use crate::aws::tags;
use crate::aws::workload::{self, WorkloadState};
use crate::engine::PartError;

mod eks_cluster;
mod monitoring;
mod msk_block;
pub(super) use monitoring::FoundMonitoring;
mod workloads;
use msk_block::msk_value;

/// What exists of each part, as described from AWS.
#[derive(Default)]
pub(super) struct Found {
    pub network: Option<NetworkState>,
    pub iam: Option<IamState>,
    pub eks: Option<EksClusterState>,
    /// The environment's own key for secrets encryption.
    pub kms: Option<KmsKeyState>,
    pub oidc: Option<String>,
    pub node_groups: BTreeMap<String, Option<NodeGroupState>>,
    /// The configured add-ons (None: missing).
    pub addons: BTreeMap<String, Option<AddonState>>,
    pub rds: Option<RdsState>,
    pub cache: Option<ElastiCacheState>,
    pub msk: Option<MskState>,
    pub access: Option<AccessState>,
    /// The configured workloads (None: the role is missing).
    pub workloads: BTreeMap<String, Option<WorkloadState>>,
    /// Whether the data services' rules from the cluster security group drifted (None:
    /// no cluster group to admit).
    pub cluster_ingress: Option<bool>,
    /// The network's VPC endpoints (None without a network).
    pub endpoints: Option<EndpointsState>,
    pub monitoring: FoundMonitoring,
}

impl Found {
    pub fn is_empty(&self) -> bool {
        self.network.is_none()
            && self.eks.is_none()
            && self.rds.is_none()
            && self.cache.is_none()
            && self.msk.is_none()
            && self.iam.is_none()
    }
}

/// Whether the cluster's rules on the data services drifted; None without a cluster group.
async fn read_cluster_ingress(
    env: &PartEnv,
    cluster: &Option<EksClusterState>,
) -> Result<Option<bool>, PartError> {
    match cluster
        .as_ref()
        .and_then(|c| c.cluster_security_group_id.as_deref())
    {
        Some(group) => network::cluster_ingress::cluster_ingress_drifted(env, group)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// Each configured workload, against the parts just read (none without a cluster).
async fn read_workloads(
    env: &PartEnv,
    spec: &EnvironmentSpec,
    (cluster, oidc, own_key): (&Option<EksClusterState>, &Option<String>, Option<&str>),
    rds: &Option<RdsState>,
    cache: &Option<ElastiCacheState>,
    msk: &Option<MskState>,
) -> Result<BTreeMap<String, Option<WorkloadState>>, PartError> {
    let mut out = BTreeMap::new();
    for (name, w) in &spec.workloads {
        let Some(c) = cluster else {
            out.insert(name.clone(), None);
            continue;
        };
        let mut t = super::graph::targets_of(
            name,
            c,
            oidc.clone(),
            rds.as_ref(),
            cache.as_ref(),
            msk.as_ref(),
        );
        t.secrets_key_arn = super::graph::secrets_key(spec, own_key);
        out.insert(name.clone(), workload::read(env, name, w, &t).await?);
    }
    Ok(out)
}

/// The data services of `spec` as they are (None: absent or not configured), concurrently.
async fn read_data_parts(
    env: &PartEnv,
    spec: &EnvironmentSpec,
) -> Result<
    (
        Option<rds::RdsState>,
        Option<elasticache::ElastiCacheState>,
        Option<msk::MskState>,
    ),
    PartError,
> {
    let rds_part = async {
        match spec.rds {
            Some(_) => rds::read(env).await,
            None => Ok(None),
        }
    };
    let cache_part = async {
        match spec.elasticache {
            Some(_) => elasticache::read(env).await,
            None => Ok(None),
        }
    };
    let msk_part = async {
        match spec.msk {
            Some(_) => msk::read(env).await,
            None => Ok(None),
        }
    };
    futures::try_join!(rds_part, cache_part, msk_part)
}

/// Describes every part of `spec` once, concurrently.
pub(super) async fn find(env: &PartEnv, spec: &EnvironmentSpec) -> Result<Found, PartError> {
    let net = async {
        match &spec.network {
            Some(n) => network::read(env, n).await,
            None => Ok(None),
        }
    };
    let eks_parts = async {
        let Some(e) = &spec.eks else {
            return Ok((None, None, None, BTreeMap::new(), BTreeMap::new()));
        };
        let (iam_state, mut cluster) = futures::try_join!(iam::read(env), eks::read_cluster(env))?;
        eks_cluster::read_beside_cluster(env, &mut cluster).await?;
        let oidc = match &cluster {
            Some(c) if !c.oidc_issuer.is_empty() => {
                iam::read_oidc_provider(env, &c.oidc_issuer).await?
            }
            _ => None,
        };
        let mut groups = BTreeMap::new();
        for name in e.node_groups.keys() {
            let g = if cluster.is_some() {
                eks::read_node_group(env, name).await?
            } else {
                None
            };
            groups.insert(name.clone(), g);
        }
        let mut addons = BTreeMap::new();
        for name in e.addons.keys() {
            let a = match &cluster {
                Some(_) => eks::read_addon(env, name).await?,
                None => None,
            };
            addons.insert(name.clone(), a);
        }
        Ok::<_, PartError>((iam_state, cluster, oidc, groups, addons))
    };
    let key_part = async {
        if spec.has_own_key() {
            crate::aws::kms::read_key(env).await
        } else {
            Ok(None)
        }
    };
    let data_parts = read_data_parts(env, spec);
    let access_part = async {
        match &spec.eks {
            Some(e) => {
                eks::read_access_entries(env, &eks::cluster_name(env), &e.access_entries).await
            }
            None => Ok(None),
        }
    };
    let monitoring_parts = monitoring::read_monitoring(env, spec);
    let (
        network,
        (iam, eks, oidc, node_groups, addons),
        kms,
        (rds, cache, msk),
        access,
        monitoring,
    ) = futures::try_join!(
        net,
        eks_parts,
        key_part,
        data_parts,
        access_part,
        monitoring_parts
    )?;
    let own_key = kms.as_ref().map(|k| k.arn.as_str());
    let workloads = read_workloads(env, spec, (&eks, &oidc, own_key), &rds, &cache, &msk).await?;
    let cluster_ingress = read_cluster_ingress(env, &eks).await?;
    let endpoints = match &network {
        Some(_) => Some(network::endpoints::read_endpoints(env).await?),
        None => None,
    };
    Ok(Found {
        monitoring,
        workloads,
        cluster_ingress,
        endpoints,
        network,
        iam,
        eks,
        kms,
        oidc,
        node_groups,
        addons,
        rds,
        cache,
        msk,
        access,
    })
}

/// `customer_managed_key` and `encryption_key_arn` as the data services are encrypted.
fn set_imported_encryption(
    v: &mut Value,
    kms: Option<&KmsKeyState>,
    rds_state: &Option<RdsState>,
    cache: &Option<ElastiCacheState>,
    msk_state: &Option<MskState>,
) {
    let data_keys: Vec<Option<&str>> = [
        rds_state.as_ref().map(|r| r.kms_key_arn.as_deref()),
        cache.as_ref().map(|c| c.kms_key_arn.as_deref()),
        msk_state.as_ref().map(|m| m.kms_key_arn.as_deref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(on) = eks_cluster::customer_managed_key(kms, &data_keys) {
        v.set_attr("customer_managed_key", Value::Bool(on));
        if let (true, Some(k)) = (on, kms) {
            v.set_attr("encryption_key_arn", Value::from(k.arn.as_str()));
        }
    }
}

/// The state of environment `env.name` as found in AWS, shaped like the resource's state:
/// configuration attributes as they were applied (the tier inferred, see [`infer_tier`]),
/// computed attributes, `part_status`. None when no part of it exists.
pub async fn discover(
    env: &PartEnv,
    schema: &Schema,
    default_tags: &BTreeMap<String, String>,
) -> Result<Option<Value>, PartError> {
    let Some(found_network) = network::discover(env).await? else {
        return Ok(None);
    };
    let mut net_spec = found_network.spec.clone();
    let net_tags = found_network.tags.clone();
    let (iam_state, mut cluster, rds_state, cache, msk_state) = futures::try_join!(
        iam::read(env),
        eks::read_cluster(env),
        rds::read(env),
        elasticache::read(env),
        msk::read(env),
    )?;
    let kms = eks_cluster::read_for_import(env, &mut cluster).await?;
    let (oidc, groups, access, addons) = match &cluster {
        Some(c) => cluster_objects(env, c).await?,
        None => (None, BTreeMap::new(), None, BTreeMap::new()),
    };
    // The user's own VPC: the subnets the services were placed in.
    if let NetworkSpec::Existing { subnet_ids, .. } = &mut net_spec {
        *subnet_ids = match (&cluster, &msk_state) {
            (Some(c), _) => c.subnet_ids.clone(),
            (None, Some(m)) => m.client_subnets.clone(),
            _ if rds_state.is_some() => rds::subnet_group_subnet_ids(env).await?,
            _ => Vec::new(),
        };
    }
    let network_state = found_network.state(env, &net_spec).await?;

    let mut v = Value::null_attrs_object(&schema.block.implied_type());
    v.set_attr("id", Value::from(env.name.as_str()));
    v.set_attr("name", Value::from(env.name.as_str()));
    set_tags(&mut v, net_tags, default_tags);
    v.set_attr(
        "network",
        network_value(schema, &net_spec, network_state.as_ref()),
    );
    if let Some(c) = &cluster {
        let mut b = eks_value(schema, c, &groups);
        let own = eks_cluster::own_key_in_use(c, kms.clone()).is_some();
        eks_cluster::import_settings(&mut b, c, own);
        v.set_attr("eks", b);
        if let (Some(b), Some(a)) = (v.get_mut("eks"), &access) {
            b.set_attr("access_entry", imported_access_entries(schema, a));
        }
        let empty = block_value(schema, &["eks", "addon"]);
        super::addons::set_imported(&mut v, &empty, &addons);
    }
    if let Some(r) = &rds_state {
        v.set_attr("rds", rds_value(schema, r));
    }
    if let Some(c) = &cache {
        v.set_attr("elasticache", cache_value(schema, c));
    }
    if let Some(m) = &msk_state {
        v.set_attr("msk", msk_value(schema, m, &net_spec));
    }
    set_imported_encryption(&mut v, kms.as_ref(), &rds_state, &cache, &msk_state);
    let endpoints = workloads::set_imported_access(env, &mut v, cluster.is_some()).await?;
    let v = with_tier(v);

    let spec = imported_spec(&v)?;
    let own_key = kms.as_ref().map(|k| k.arn.as_str());
    let workloads = read_workloads(
        env,
        &spec,
        (&cluster, &oidc, own_key),
        &rds_state,
        &cache,
        &msk_state,
    )
    .await?;
    let cluster_ingress = read_cluster_ingress(env, &cluster).await?;
    let found = Found {
        monitoring: monitoring::read_monitoring(env, &spec).await?,
        workloads,
        cluster_ingress,
        endpoints: Some(endpoints),
        network: network_state,
        iam: iam_state,
        eks: cluster,
        kms,
        oidc,
        node_groups: groups.into_iter().map(|(n, g)| (n, Some(g))).collect(),
        addons: addons.into_iter().map(|(n, a)| (n, Some(a))).collect(),
        rds: rds_state,
        cache,
        msk: msk_state,
        access,
    };
    // The estimate is the observed state's (observed_state prices what runs).
    Ok(Some(observed_state(&v, &spec, &found)))
}

/// The spec of an imported value; an error when what AWS holds does not fit the schema.
fn imported_spec(v: &Value) -> Result<EnvironmentSpec, PartError> {
    spec::from_value(v).map_err(|d| {
        PartError::new(
            "environment",
            "importing the environment",
            format!(
                "the environment found in AWS does not fit the schema: {}",
                summary(&d)
            ),
        )
    })
}

/// What an imported cluster has besides itself, read side by side: its OIDC provider,
/// node groups, access entries and add-ons.
async fn cluster_objects(
    env: &PartEnv,
    c: &EksClusterState,
) -> Result<
    (
        Option<String>,
        BTreeMap<String, NodeGroupState>,
        Option<AccessState>,
        BTreeMap<String, AddonState>,
    ),
    PartError,
> {
    // Import knows no configured entries: only Mosia's (tagged) ones are rebuilt.
    let configured = BTreeMap::new();
    futures::try_join!(
        async {
            if c.oidc_issuer.is_empty() {
                Ok(None)
            } else {
                iam::read_oidc_provider(env, &c.oidc_issuer).await
            }
        },
        eks::discover_node_groups(env),
        eks::read_access_entries(env, &c.name, &configured),
        eks::discover_addons(env),
    )
}

/// A block of the schema at `path`, every attribute null.
fn block_value(schema: &Schema, path: &[&str]) -> Value {
    let mut b = &schema.block;
    for name in path {
        b = &b.nested(name).expect("schema block").block;
    }
    Value::null_attrs_object(&b.implied_type())
}

/// `tags` (the user's own) and `tags_all` from the tags found on the network.
fn set_tags(
    v: &mut Value,
    net_tags: BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
) {
    // Tags equal to a provider default tag are taken to come from it.
    let own_tags: BTreeMap<String, String> = tags::user_visible(net_tags)
        .into_iter()
        .filter(|(k, val)| default_tags.get(k) != Some(val))
        .collect();
    if !own_tags.is_empty() {
        v.set_attr("tags", Value::string_map_of(&own_tags));
    }
    v.set_attr(
        "tags_all",
        Value::string_map_of(&tags::merge(default_tags, &own_tags)),
    );
}

/// The `network` block: the attributes that select and shape the mode.
fn network_value(
    schema: &Schema,
    net_spec: &NetworkSpec,
    network_state: Option<&NetworkState>,
) -> Value {
    let mut net = block_value(schema, &["network"]);
    match &net_spec {
        NetworkSpec::Managed {
            cidr,
            az_count,
            nat_gateway,
            ..
        } => {
            net.set_attr("cidr_block", Value::from(cidr.to_string()));
            net.set_attr("az_count", Value::int(*az_count as i64));
            net.set_attr("nat_gateway", Value::from(nat_gateway.as_str()));
        }
        NetworkSpec::Existing { vpc_id, subnet_ids } => {
            net.set_attr("vpc_id", Value::from(vpc_id.as_str()));
            net.set_attr("subnet_ids", Value::string_list(subnet_ids.clone()));
            if let Some(n) = network_state {
                net.set_attr("cidr_block", Value::from(n.cidr_block.as_str()));
            }
        }
    }
    net
}

fn eks_value(
    schema: &Schema,
    c: &EksClusterState,
    groups: &BTreeMap<String, NodeGroupState>,
) -> Value {
    let mut b = block_value(schema, &["eks"]);
    b.set_attr("version", Value::from(c.version.as_str()));
    b.set_attr(
        "endpoint_public_access",
        Value::Bool(c.endpoint_public_access),
    );
    b.set_attr(
        "endpoint_private_access",
        Value::Bool(c.endpoint_private_access),
    );
    b.set_attr("public_endpoint_acknowledged", Value::Bool(false));
    // AWS reports "anywhere" when no CIDRs were given.
    if !c.public_access_cidrs.is_empty() && c.public_access_cidrs != ["0.0.0.0/0"] {
        b.set_attr(
            "public_access_cidrs",
            Value::string_list(c.public_access_cidrs.clone()),
        );
    }
    b.set_attr(
        "enabled_log_types",
        Value::set_of(c.enabled_log_types.iter().map(|l| Value::from(l.as_str()))),
    );
    let groups_value = groups
        .iter()
        .map(|(name, g)| {
            (
                name.clone(),
                node_group_value(block_value(schema, &["eks", "node_group"]), g),
            )
        })
        .collect();
    b.set_attr("node_group", Value::Map(groups_value));
    b
}

fn rds_value(schema: &Schema, r: &RdsState) -> Value {
    let mut b = block_value(schema, &["rds"]);
    b.set_attr("engine", Value::from(r.engine.as_str()));
    b.set_attr("engine_version", Value::from(r.engine_version.as_str()));
    b.set_attr("instance_class", Value::from(r.instance_class.as_str()));
    b.set_attr(
        "allocated_storage_gb",
        Value::int(r.allocated_storage_gb as i64),
    );
    b.set_attr(
        "max_allocated_storage_gb",
        r.max_allocated_storage_gb
            .map(|m| Value::int(m as i64))
            .unwrap_or(Value::Null),
    );
    b.set_attr("multi_az", Value::Bool(r.multi_az));
    b.set_attr(
        "backup_retention_days",
        Value::int(r.backup_retention_days as i64),
    );
    b.set_attr("deletion_protection", Value::Bool(r.deletion_protection));
    b.set_attr("read_replicas", Value::int(r.replicas.len() as i64));
    b.set_attr("master_username", Value::from(r.master_username.as_str()));
    b.set_attr("database_name", r.database_name.clone().into());
    b.set_attr(
        "iam_database_authentication",
        r.iam_database_authentication.into(),
    );
    b.set_attr("maintenance_window", window_value(&r.maintenance_window));
    b.set_attr("backup_window", window_value(&r.backup_window));
    b.set_attr("maintenance_acknowledged", Value::Bool(false));
    b.set_attr(
        "auto_minor_version_upgrade",
        Value::Bool(r.auto_minor_version_upgrade),
    );
    b
}

fn cache_value(schema: &Schema, c: &ElastiCacheState) -> Value {
    let mut b = block_value(schema, &["elasticache"]);
    b.set_attr("engine", Value::from(c.engine.as_str()));
    b.set_attr("engine_version", Value::from(c.engine_version.as_str()));
    b.set_attr("node_type", Value::from(c.node_type.as_str()));
    b.set_attr("replicas", Value::int(c.replicas as i64));
    b.set_attr("maintenance_window", window_value(&c.maintenance_window));
    b.set_attr(
        "parameters",
        c.parameters
            .as_ref()
            .map_or(Value::Null, Value::string_map_of),
    );
    b.set_attr("automatic_failover", Value::Bool(c.automatic_failover));
    b.set_attr("multi_az", Value::Bool(c.multi_az));
    b.set_attr("at_rest_encryption", Value::Bool(c.at_rest_encryption));
    b.set_attr("transit_encryption", Value::Bool(c.transit_encryption));
    b
}

/// `msk.configuration`: the properties the cluster runs that the tier would not set.
fn msk_configuration_for_tier(v: &mut Value, tier: Tier) {
    let Some(b @ Value::Object(_)) = v.get_mut("msk") else {
        return;
    };
    let running = b.get("server_properties").string_map();
    let defaults = spec::merged_server_properties(tier.defaults(), &Default::default());
    let own: std::collections::BTreeMap<String, String> = running
        .into_iter()
        .filter(|(k, val)| defaults.get(k) != Some(val))
        .collect();
    if !own.is_empty() {
        b.set_attr("configuration", Value::string_map_of(&own));
    }
}

/// The configuration found, with the tier inferred from it and what AWS does not show
/// (e.g. `skip_final_snapshot`) taken from the tier's defaults.
fn with_tier(mut v: Value) -> Value {
    let tier = infer_tier(&v);
    v.set_attr("tier", Value::from(tier.as_str()));
    if tier == Tier::Production {
        // A production environment with a public endpoint was acknowledged at create.
        let public = v.get("eks").get("endpoint_public_access").as_bool() == Some(true);
        if let Some(b) = v.get_mut("eks") {
            if matches!(b, Value::Object(_)) {
                b.set_attr("public_endpoint_acknowledged", Value::Bool(public));
            }
        }
    }
    msk_configuration_for_tier(&mut v, tier);
    // What AWS does not show (e.g. `skip_final_snapshot`) takes the tier's default.
    let observed_config = v.clone();
    spec::apply_tier_defaults(&observed_config, &mut v);

    v
}

fn node_group_value(mut b: Value, g: &NodeGroupState) -> Value {
    b.set_attr(
        "instance_types",
        Value::string_list(g.instance_types.clone()),
    );
    b.set_attr("min_size", Value::int(g.min_size as i64));
    b.set_attr("max_size", Value::int(g.max_size as i64));
    b.set_attr("desired_size", Value::int(g.desired_size as i64));
    b.set_attr("capacity_type", Value::from(g.capacity_type.as_str()));
    b.set_attr("disk_size_gb", Value::int(g.disk_size_gb as i64));
    if !g.labels.is_empty() {
        b.set_attr("labels", Value::string_map_of(&g.labels));
    }
    for (attr, v) in super::observe::node_group_settings(g) {
        b.set_attr(attr, v);
    }
    b
}

/// The tier an environment was most likely created with, since AWS does not record it:
/// the tier whose defaults match the most of what was found, production only when the
/// environment passes production's guardrails. A wrong guess costs nothing: the plan after
/// the import shows `tier` changing, and no AWS object changes for it.
pub fn infer_tier(found: &Value) -> Tier {
    // The configuration with every tier-governed value left out.
    let mut blank = found.clone();
    for block in ["network", "eks", "rds", "elasticache", "msk"] {
        if let Some(Value::Object(b)) = blank.get_mut(block) {
            for (name, val) in b.iter_mut() {
                if name == "node_group" {
                    if let Value::Map(groups) = val {
                        for g in groups.values_mut() {
                            clear(g);
                        }
                    }
                } else if !(block == "network" && (name == "vpc_id" || name == "subnet_ids")) {
                    *val = Value::Null;
                }
            }
        }
    }
    let distance = |tier: Tier| {
        let mut candidate = found.clone();
        candidate.set_attr("tier", Value::from(tier.as_str()));
        spec::apply_tier_defaults(&blank, &mut candidate);
        differences(&candidate, found)
    };
    let passes_production = {
        let mut v = found.clone();
        v.set_attr("tier", Value::from(Tier::Production.as_str()));
        let public = v.get("eks").get("endpoint_public_access").clone();
        // Acknowledgements are not recorded in AWS: count what needs one as acknowledged.
        if let Some(b @ Value::Object(_)) = v.get_mut("eks") {
            b.set_attr("public_endpoint_acknowledged", public);
            b.set_attr("creator_admin_acknowledged", Value::Bool(true));
        }
        let mut d = Diagnostics::new();
        guardrails::validate(&v, &mut d);
        !d.has_errors()
    };
    [Tier::Dev, Tier::Staging, Tier::Production]
        .into_iter()
        .filter(|t| *t != Tier::Production || passes_production)
        .min_by_key(|t| distance(*t))
        .unwrap_or(Tier::Dev)
}

fn clear(v: &mut Value) {
    if let Value::Object(m) = v {
        m.values_mut().for_each(|x| *x = Value::Null);
    }
}

/// Leaf values in which `a` and `b` differ.
fn differences(a: &Value, b: &Value) -> usize {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) | (Value::Map(x), Value::Map(y)) => x
            .iter()
            .map(|(k, va)| differences(va, y.get(k).unwrap_or(&Value::Null)))
            .sum(),
        _ => usize::from(a != b),
    }
}

fn summary(d: &Diagnostics) -> String {
    d.iter()
        .map(|d| d.summary.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What AWS would show for an environment created with `tier`'s defaults.
    fn created_with(tier: Tier) -> Value {
        let schema = super::super::schema::schema();
        let block = |name: &str| {
            Value::null_attrs_object(&schema.block.nested(name).unwrap().block.implied_type())
        };
        let mut config = Value::null_attrs_object(&schema.block.implied_type());
        config.set_attr("name", Value::from("mosia-x"));
        config.set_attr("tier", Value::from(tier.as_str()));
        for b in ["network", "eks", "rds", "elasticache", "msk"] {
            config.set_attr(b, block(b));
        }
        let mut group = Value::null_attrs_object(
            &schema
                .block
                .nested("eks")
                .unwrap()
                .block
                .nested("node_group")
                .unwrap()
                .block
                .implied_type(),
        );
        group.set_attr("capacity_type", Value::from("ON_DEMAND"));
        group.set_attr("disk_size_gb", Value::int(20));
        if let Some(eks) = config.get_mut("eks") {
            eks.set_attr(
                "node_group",
                Value::Map([("general".to_string(), group)].into()),
            );
            eks.set_attr("endpoint_private_access", Value::Bool(true));
            eks.set_attr("public_endpoint_acknowledged", Value::Bool(false));
        }
        if let Some(msk) = config.get_mut("msk") {
            msk.set_attr("kafka_version", Value::from("3.6.0"));
        }
        let mut found = config.clone();
        spec::apply_tier_defaults(&config, &mut found);
        found.set_attr("tier", Value::Null);
        found
    }

    #[test]
    fn the_tier_is_the_one_whose_defaults_the_environment_matches() {
        for tier in [Tier::Dev, Tier::Staging, Tier::Production] {
            assert_eq!(infer_tier(&created_with(tier)), tier, "{tier}");
        }
    }

    #[test]
    fn production_needs_its_guardrails() {
        // Production sizes, but no deletion protection: not production.
        let mut found = created_with(Tier::Production);
        if let Some(rds) = found.get_mut("rds") {
            rds.set_attr("deletion_protection", Value::Bool(false));
        }
        assert_ne!(infer_tier(&found), Tier::Production);
    }

    #[test]
    fn differences_counts_leaves() {
        let a = Value::object([
            ("x", Value::int(1)),
            ("y", Value::object([("z", Value::from("a"))])),
        ]);
        let b = Value::object([
            ("x", Value::int(2)),
            ("y", Value::object([("z", Value::from("b"))])),
        ]);
        assert_eq!(differences(&a, &a), 0);
        assert_eq!(differences(&a, &b), 2);
    }
}
