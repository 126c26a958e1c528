//! Where an environment says it is in trouble: its alert topic ([`PartId::AlertTopic`],
//! `topic.rs`, with its email subscriptions in `subscriptions.rs`) and its CloudWatch alarms
//! ([`PartId::Alarms`], `alarms.rs`), whose set is a pure function of what the environment
//! runs (`alarm_set.rs`).
//!
//! [`PartId::AlertTopic`]: crate::aws::part::PartId::AlertTopic
//! [`PartId::Alarms`]: crate::aws::part::PartId::Alarms

use super::errors::Service;

pub mod alarm_set;
mod alarms;
pub mod input;
mod subscriptions;
mod topic;

pub use alarm_set::{alarm_set, AlarmDefinition, Monitored, MonitoredDatabase};
pub use alarms::{delete_alarms, ensure_alarms, read_alarms};
pub use input::{AlertTopic, MonitoringSpec, Thresholds};
pub use topic::{
    delete_topic, ensure_topic, read_topic, topic_name, TopicSpec, TopicState, CLOUDWATCH_PRINCIPAL,
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
