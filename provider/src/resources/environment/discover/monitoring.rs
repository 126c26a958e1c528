//! What a read finds of the monitoring parts: the alert topic (by its ARN) and Mosia's
//! alarms (one DescribeAlarms by prefix), when the configuration has them.

use std::collections::BTreeMap;

use crate::aws::monitoring;
use crate::aws::network::flow_logs;
use crate::aws::part::PartEnv;
use crate::engine::PartError;
use crate::resources::environment::spec::EnvironmentSpec;

/// The monitoring parts as found.
#[derive(Debug, Clone, Default)]
pub(in crate::resources::environment) struct FoundMonitoring {
    /// The own topic's ARN (None: missing, or not configured).
    pub topic: Option<String>,
    /// Mosia's alarms, name → ARN (None: alarms not configured).
    pub alarms: Option<BTreeMap<String, String>>,
    /// The budget's limit (None: missing, or not configured).
    pub budget_limit: Option<f64>,
    /// The status of the cost allocation tag the budget filters by.
    pub cost_allocation_tag: Option<String>,
    /// Whether the VPC's flow log exists (None: not configured).
    pub flow_logs: Option<bool>,
    /// The backup vault and plan (None: missing, or not configured).
    pub backup: Option<crate::aws::backup::BackupState>,
}

pub(super) async fn read_monitoring(
    env: &PartEnv,
    spec: &EnvironmentSpec,
) -> Result<FoundMonitoring, PartError> {
    let m = &spec.monitoring;
    if spec.network.is_none() {
        return Ok(FoundMonitoring::default());
    }
    let topic = match m.own_topic() {
        true => monitoring::read_topic(env).await?,
        false => None,
    };
    let alarms = match m.alarms {
        true => Some(monitoring::read_alarms(env).await?),
        false => None,
    };
    let (budget_limit, cost_allocation_tag) = match m.budget {
        Some(_) => (
            monitoring::read_budget(env).await?,
            Some(monitoring::cost_allocation::read_status(env).await?),
        ),
        None => (None, None),
    };
    let flow_logs = match super::super::graph::has_flow_logs(spec) {
        true => Some(!flow_logs::read_flow_logs(env).await?.is_empty()),
        false => None,
    };
    let backup = match super::super::graph::has_backup(spec) {
        true => crate::aws::backup::read(env, spec.backup.copy_to_region.as_deref()).await?,
        false => None,
    };
    Ok(FoundMonitoring {
        backup,
        flow_logs,
        topic,
        alarms,
        budget_limit,
        cost_allocation_tag,
    })
}
