//! The monitoring parts of the converge graph: the alert topic on the environment's key, and
//! the alarms, built from what the monitored parts produced (identifiers, allocated storage,
//! brokers, NAT gateways). [`planned_monitored`] builds the same set from the configuration
//! alone, so the plan knows every alarm's name.

use std::collections::BTreeMap;

use super::workloads::{optional_cache, optional_dep, optional_msk, optional_rds};
use super::{dep, keys, Converge, Edges, Out};
use crate::aws::monitoring::{
    self, BudgetSpec, Monitored, MonitoredDatabase, MonitoredNodeGroup, TopicSpec,
};
use crate::aws::network::flow_logs::{self, FlowLogsSpec};
use crate::aws::part::PartId;
use crate::aws::rds::RdsSpec;
use crate::engine::{Deps, PartError};
use crate::resources::environment::cost;
use crate::resources::environment::spec::EnvironmentSpec;

/// The topic after the key it is encrypted with; the alarms after the topic and every part
/// they watch.
pub(super) fn monitoring_edges(spec: &EnvironmentSpec, edges: &mut Edges) {
    use PartId::*;
    let m = &spec.monitoring;
    if m.own_topic() {
        edges.push((AlertTopic, keys::data_deps(spec, vec![])));
    }
    if m.alarms {
        let mut deps = vec![Network];
        if m.own_topic() {
            deps.push(AlertTopic);
        }
        for (part, present) in [
            (RdsPrimary, spec.rds.is_some()),
            (RdsReplicas, spec.rds.is_some()),
            (ElastiCache, spec.elasticache.is_some()),
            (Msk, spec.msk.is_some()),
        ] {
            if present {
                deps.push(part);
            }
        }
        deps.extend(node_group_names(spec).map(NodeGroup));
        edges.push((Alarms, deps));
    }
    if m.budget.is_some() {
        let topic = m.own_topic().then_some(AlertTopic);
        edges.push((Budget, topic.into_iter().collect()));
    }
    if has_flow_logs(spec) {
        edges.push((FlowLogs, keys::data_deps(spec, vec![Network])));
    }
    if has_backup(spec) {
        edges.push((Backup, keys::data_deps(spec, vec![])));
    }
}

/// The backup plan exists for a database.
pub(in crate::resources::environment) fn has_backup(spec: &EnvironmentSpec) -> bool {
    spec.backup.plan && spec.rds.is_some()
}

/// Flow logs come with the log exports, on a network Mosia creates (a VPC of the user's
/// is left as it is).
pub(in crate::resources::environment) fn has_flow_logs(spec: &EnvironmentSpec) -> bool {
    spec.monitoring.log_retention_days.is_some()
        && matches!(
            spec.network,
            Some(crate::aws::network::NetworkSpec::Managed { .. })
        )
}

/// The topic alerts go to: the user's, or the own topic's from its part.
fn topic_of(spec: &EnvironmentSpec, deps: &Deps<Out>) -> Result<String, PartError> {
    match spec.monitoring.given_topic() {
        Some(arn) => Ok(arn.to_string()),
        None => dep(deps, PartId::AlertTopic, |o| match o {
            Out::Topic(t) => Some(&t.arn),
            _ => None,
        }),
    }
}

fn max_connections(rds: &RdsSpec) -> Option<u32> {
    rds.parameters.get("max_connections")?.parse().ok()
}

/// `NAME-cache-001`, ...: the members ElastiCache names for a group with `replicas`.
fn cache_members(group_id: &str, replicas: u32) -> Vec<String> {
    (1..=replicas + 1)
        .map(|i| format!("{group_id}-{i:03}"))
        .collect()
}

/// The node groups of the configuration, by name.
fn node_group_names(spec: &EnvironmentSpec) -> impl Iterator<Item = String> + '_ {
    spec.eks.iter().flat_map(|e| e.node_groups.keys().cloned())
}

/// What the alarms will watch, from the configuration (identifiers are placeholders: only
/// the names of the alarms are used).
pub(in crate::resources::environment) fn planned_monitored(spec: &EnvironmentSpec) -> Monitored {
    let rds = spec.rds.as_ref();
    Monitored {
        database: rds.map(|r| MonitoredDatabase {
            identifier: String::new(),
            allocated_storage_gb: r.allocated_storage_gb,
            instance_class: r.instance_class.clone(),
            max_connections: max_connections(r),
        }),
        replicas: (1..=rds.map_or(0, |r| r.read_replicas))
            .map(|n| n.to_string())
            .collect(),
        cache_members: spec
            .elasticache
            .as_ref()
            .map(|c| cache_members("cache", c.replicas))
            .unwrap_or_default(),
        kafka: spec
            .msk_broker_count()
            .map(|brokers| (String::new(), brokers)),
        nat_gateways: (1..=spec.network.as_ref().map_or(0, |n| n.nat_gateway_count()))
            .map(|n| n.to_string())
            .collect(),
        node_groups: spec
            .eks
            .iter()
            .flat_map(|e| &e.node_groups)
            .map(|(name, g)| MonitoredNodeGroup {
                name: name.clone(),
                min_size: g.min_size,
                auto_scaling_group: String::new(),
            })
            .collect(),
    }
}

/// The names of the alarms `spec` has (none when `monitoring.alarms` is off).
pub(in crate::resources::environment) fn planned_alarm_names(
    spec: &EnvironmentSpec,
) -> Vec<String> {
    if !spec.monitoring.alarms || spec.network.is_none() {
        return vec![];
    }
    let m = planned_monitored(spec);
    monitoring::alarm_set(&spec.name, &m, &spec.monitoring.thresholds)
        .into_iter()
        .map(|a| a.name)
        .collect()
}

impl Converge {
    /// The environment's key (the user's, or the own key from its part); None: AWS-managed
    /// keys.
    pub(super) fn environment_key(&self, deps: &Deps<Out>) -> Result<Option<String>, PartError> {
        let own = optional_dep(deps, PartId::Kms, |o| match o {
            Out::Kms(k) => Some(&k.arn),
            _ => None,
        })?;
        Ok(keys::secrets_key(&self.spec, own.as_deref()))
    }

    /// The alert topic, on the environment's key when it has one.
    pub(super) async fn alert_topic(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        let topic = TopicSpec {
            kms_key_arn: self.environment_key(deps)?,
            alert_emails: self.spec.monitoring.alert_emails.clone(),
        };
        monitoring::ensure_topic(&self.env, &topic)
            .await
            .map(Out::Topic)
    }

    /// The alarm set over what the monitored parts produced.
    pub(super) async fn alarms(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        let spec = &self.spec;
        let topic = topic_of(spec, deps)?;
        let m = self.monitored(deps)?;
        let groups: Vec<String> = m
            .node_groups
            .iter()
            .map(|g| g.auto_scaling_group.clone())
            .filter(|g| !g.is_empty())
            .collect();
        monitoring::enable_group_metrics(&self.env, &groups).await?;
        let defs = monitoring::alarm_set(&spec.name, &m, &spec.monitoring.thresholds);
        monitoring::ensure_alarms(&self.env, &defs, &topic)
            .await
            .map(Out::Alarms)
    }

    /// The budget, at the configured limit or the estimate's.
    pub(super) async fn budget(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        let spec = &self.spec;
        let b = spec
            .monitoring
            .budget
            .as_ref()
            .ok_or_else(|| deps.error("not in the configuration", "budget"))?;
        let limit = b
            .monthly_limit_usd
            .or_else(|| cost::default_budget_limit(spec))
            .ok_or_else(|| deps.error("no limit: the estimate is not known", "budget"))?;
        let budget = BudgetSpec {
            limit_usd: limit,
            alert_at_percent: b.alert_at_percent.clone(),
            forecast_alert: b.forecast_alert,
            alert_emails: spec.monitoring.alert_emails.clone(),
        };
        let topic = topic_of(spec, deps)?;
        monitoring::ensure_budget(&self.env, &budget, &topic)
            .await
            .map(Out::Budget)
    }

    /// The VPC's flow logs of rejected traffic, on the environment's key.
    pub(super) async fn flow_logs(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        let flow = FlowLogsSpec {
            retention_days: self.spec.monitoring.log_retention_days.unwrap_or(30),
            kms_key: self.environment_key(deps)?,
        };
        let vpc = super::net(deps)?.vpc_id;
        flow_logs::ensure_flow_logs(&self.env, &vpc, &flow)
            .await
            .map(Out::FlowLogs)
    }

    /// The backup vault, plan and selection, the vault on the environment's key.
    pub(super) async fn backup(&self, deps: &Deps<Out>) -> Result<Out, PartError> {
        let spec = crate::aws::backup::BackupSpec {
            retention_days: self.spec.backup.retention_days,
            kms_key: self.environment_key(deps)?,
            copy_to_region: self.spec.backup.copy_to_region.clone(),
        };
        crate::aws::backup::ensure(&self.env, &spec)
            .await
            .map(Out::Backup)
    }

    fn monitored(&self, deps: &Deps<Out>) -> Result<Monitored, PartError> {
        let network = super::net(deps)?;
        let rds = optional_rds(deps)?;
        let mut replicas = optional_dep(deps, PartId::RdsReplicas, |o| match o {
            Out::Replicas(r) => Some(r),
            _ => None,
        })?
        .unwrap_or_default();
        // Replica 2 before replica 10.
        replicas.sort_by(|a, b| {
            (a.identifier.len(), &a.identifier).cmp(&(b.identifier.len(), &b.identifier))
        });
        let cache = optional_cache(deps)?;
        let msk = optional_msk(deps)?;
        Ok(Monitored {
            database: rds.map(|r| MonitoredDatabase {
                identifier: r.identifier.clone(),
                allocated_storage_gb: r.allocated_storage_gb,
                instance_class: r.instance_class.clone(),
                max_connections: self.spec.rds.as_ref().and_then(max_connections),
            }),
            replicas: replicas.into_iter().map(|r| r.identifier).collect(),
            cache_members: cache
                .map(|c| cache_members(&c.replication_group_id, c.replicas))
                .unwrap_or_default(),
            kafka: msk.map(|m| (m.name.clone(), m.number_of_broker_nodes)),
            nat_gateways: network.nat_gateway_ids,
            node_groups: self.monitored_node_groups(deps)?,
        })
    }

    /// Each node group with its Auto Scaling group (the first, when a replacement briefly
    /// has two).
    fn monitored_node_groups(
        &self,
        deps: &Deps<Out>,
    ) -> Result<Vec<MonitoredNodeGroup>, PartError> {
        let mut out = Vec::new();
        for name in node_group_names(&self.spec) {
            let Some(g) = optional_dep(deps, PartId::NodeGroup(name.clone()), |o| match o {
                Out::NodeGroup(g) => Some(g),
                _ => None,
            })?
            else {
                continue;
            };
            out.push(MonitoredNodeGroup {
                name,
                min_size: g.min_size,
                auto_scaling_group: g.auto_scaling_groups.first().cloned().unwrap_or_default(),
            });
        }
        Ok(out)
    }
}

/// Alarm names → ARNs, as the state's `alarms` shows them.
pub(in crate::resources::environment) type AlarmArns = BTreeMap<String, String>;
