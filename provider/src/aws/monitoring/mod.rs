//! Where an environment says it is in trouble: its alert topic ([`PartId::AlertTopic`],
//! `topic.rs`, with its email subscriptions in `subscriptions.rs`) and its CloudWatch alarms
//! ([`PartId::Alarms`], `alarms.rs`), whose set is a pure function of what the environment
//! runs (`alarm_set.rs`); its cost budget ([`PartId::Budget`], `budget.rs`, with its
//! notifications in `budget_notifications.rs` and the cost allocation tag it filters by in
//! `cost_allocation.rs`); the node groups' Auto Scaling group metrics the alarms read
//! (`group_metrics.rs`).
//!
//! [`PartId::AlertTopic`]: crate::aws::part::PartId::AlertTopic
//! [`PartId::Alarms`]: crate::aws::part::PartId::Alarms
//! [`PartId::Budget`]: crate::aws::part::PartId::Budget

use super::errors::Service;

pub mod alarm_set;
mod alarms;
mod budget;
mod budget_notifications;
pub mod cost_allocation;
mod group_metrics;
pub mod input;
mod subscriptions;
mod topic;

pub use alarm_set::{alarm_set, AlarmDefinition, Monitored, MonitoredDatabase, MonitoredNodeGroup};
pub use alarms::{delete_alarms, ensure_alarms, read_alarms};
pub use budget::{delete_budget, ensure_budget, read_budget, BudgetSpec, BudgetState};
pub use group_metrics::enable_group_metrics;
pub use input::{AlertTopic, BudgetConfig, MonitoringSpec, Thresholds};
pub use topic::{
    delete_topic, ensure_topic, read_topic, topic_name, TopicSpec, TopicState, BUDGETS_PRINCIPAL,
    CLOUDWATCH_PRINCIPAL,
};

/// SNS as the topic part sees its errors.
pub(crate) const SNS: Service = Service {
    label: "SNS",
    transient_codes: &[
        "Throttled",
        "ThrottledException",
        "InternalError",
        "KMSThrottling",
    ],
};

/// CloudWatch as the alarms part sees its errors.
pub(crate) const CLOUDWATCH: Service = Service {
    label: "CloudWatch",
    transient_codes: &["Throttling", "InternalServiceError", "InternalServiceFault"],
};

/// STS, asked for the account the topic and alarm ARNs are in.
pub(crate) const STS: Service = Service {
    label: "STS",
    transient_codes: &["Throttling", "IDPCommunicationError"],
};

/// AWS Budgets as the budget part sees its errors.
pub(crate) const BUDGETS: Service = Service {
    label: "Budgets",
    transient_codes: &["ThrottlingException", "InternalErrorException"],
};

/// Cost Explorer, for the cost allocation tag.
pub(crate) const COST_EXPLORER: Service = Service {
    label: "Cost Explorer",
    transient_codes: &["LimitExceededException", "ThrottlingException"],
};
