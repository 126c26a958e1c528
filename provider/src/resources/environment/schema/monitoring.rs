//! The `monitoring` block (alert topic, alarms, thresholds) and the computed
//! `alert_topic_arn` and `alarms`; the alarm table of the docs, generated from the alarm set.

use mosia_tfplugin::{validators, Attribute, Block, Validator};

use super::{code, string_list, with_tier_default};
use crate::aws::monitoring::{
    alarm_set, Monitored, MonitoredDatabase, MonitoredNodeGroup, Thresholds,
};
use crate::resources::environment::spec::{threshold_names, THRESHOLDS};

pub(super) fn block() -> Block {
    Block::new(&format!(
        "Where the environment says it is in trouble. Without this block the tier's defaults \
         apply. Alerts go to one SNS topic, `NAME-alerts` (encrypted with the environment's \
         KMS key when it has one; its access policy lets CloudWatch alarms of this account \
         publish), or to `sns_topic_arn`. Every alarm has the topic as alarm and OK action. \
         The alarm set, with its thresholds (defaults dev / staging / production):\n\n{}\n\n{}",
        alarm_table(),
        threshold_table()
    ))
    .attr(
        Attribute::of_type("alert_emails", string_list())
            .optional()
            .description(
                "Email addresses subscribed to the alert topic. SNS emails each a confirmation \
                 link; alerts reach an address once it is confirmed. A confirmed address removed \
                 from the list is unsubscribed; an unconfirmed one lapses. Not with \
                 `sns_topic_arn` (subscribe to your own topic yourself).",
            ),
    )
    .attr(
        Attribute::string("sns_topic_arn")
            .optional()
            .description(
                "ARN of your own SNS topic for the alerts, instead of the one Mosia creates. \
                 Its access policy must let `cloudwatch.amazonaws.com` publish, and its KMS \
                 key (if any) let CloudWatch use it; Mosia does not change your topic.",
            )
            .validate(validators::string_matches(
                "arn:aws[a-z-]*:sns:REGION:ACCOUNT:NAME",
                |s| s.starts_with("arn:aws") && s.split(':').nth(2) == Some("sns"),
            )),
    )
    .attr(
        Attribute::bool("alarms")
            .optional_computed()
            .description(&with_tier_default(
                "Create the alarm set above: alarms follow the parts (a replica added gets its \
                 lag alarm, a part removed loses its alarms). `false` deletes them.",
                |t| code(t.monitoring_alarms),
            )),
    )
    .attr(
        Attribute::bool("database_insights")
            .optional_computed()
            .description(&with_tier_default(
                "RDS Performance Insights, encrypted with the environment's key when it has \
                 one, kept 7 days (the free tier); in production also enhanced monitoring \
                 every 60 s, through the IAM role `NAME-rds-monitoring` (AWS's \
                 AmazonRDSEnhancedMonitoringRole).",
                |t| code(t.monitoring_database_insights),
            )),
    )
    .attr(
        Attribute::bool("log_exports")
            .optional_computed()
            .description(&with_tier_default(
                "Export the database's `postgresql` and `upgrade` logs to CloudWatch Logs \
                 (`/aws/rds/instance/NAME-db/TYPE`), into log groups Mosia creates with \
                 `log_retention_days` and the environment's key, deleted at destroy.",
                |t| code(t.monitoring_log_exports),
            )),
    )
    .attr(
        Attribute::number("log_retention_days")
            .optional_computed()
            .description(&with_tier_default(
                "Days the log groups of `log_exports` keep their logs (one of CloudWatch Logs' \
                 retention values). The EKS control plane's group has \
                 `eks.log_retention_days`.",
                |t| t.monitoring_log_retention_days.to_string(),
            ))
            .validate(super::retention_days()),
    )
    .attr(
        Attribute::of_type(
            "thresholds",
            mosia_tfplugin::Type::map(mosia_tfplugin::Type::Number),
        )
        .optional()
        .description(
            "Overrides of alarm thresholds, by name (the table above); the others keep the \
                 tier's default.",
        )
        .validate(known_thresholds()),
    )
}

/// Every key of `thresholds` is a threshold name, every value at least 0.
fn known_thresholds() -> Validator {
    let list = threshold_names().join(", ");
    Validator::new(format!("names among {list}, values >= 0"), move |v| {
        for (name, value) in v.entries().into_iter().flatten() {
            if !threshold_names().contains(&name.as_str()) {
                return Err(format!(
                    "{name:?} is not a threshold; expected one of {list}"
                ));
            }
            if value
                .as_number()
                .and_then(|n| n.to_f64())
                .is_some_and(|n| n < 0.0)
            {
                return Err(format!("{name:?} must be at least 0"));
            }
        }
        Ok(())
    })
}

/// `alert_topic_arn` and `alarms`.
pub(super) fn root_attributes() -> [Attribute; 2] {
    [
        Attribute::string("alert_topic_arn").computed().description(
            "ARN of the topic alerts go to: `monitoring.sns_topic_arn`, or the topic Mosia \
             created (null when the environment has no alerts).",
        ),
        Attribute::of_type(
            "alarms",
            mosia_tfplugin::Type::map(mosia_tfplugin::Type::String),
        )
        .computed()
        .description(
            "The environment's CloudWatch alarms, name → ARN (the plan shows the names and \
                 how many).",
        ),
    ]
}

/// The alarm set of an environment with one of everything, as a markdown table (names with
/// `NAME`, `N` and `MEMBER` for the parts that repeat).
pub fn alarm_table() -> String {
    let sample = Monitored {
        database: Some(MonitoredDatabase {
            identifier: "NAME-db".into(),
            allocated_storage_gb: 100,
            instance_class: "db.m7g.large".into(),
            max_connections: None,
        }),
        replicas: vec!["NAME-db-replica-1".into()],
        cache_members: vec!["NAME-cache-001".into(), "NAME-cache-002".into()],
        kafka: Some(("NAME-kafka".into(), 1)),
        nat_gateways: vec!["nat-0".into()],
        node_groups: vec![MonitoredNodeGroup {
            name: "GROUP".into(),
            min_size: 1,
            auto_scaling_group: String::new(),
        }],
    };
    let mut rows = vec![
        "| alarm | metric | statistic, period | alarms after | when |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    let generic = |name: &str| {
        name.replace("rds-replica-1", "rds-replica-N")
            .replace("elasticache-001", "elasticache-MEMBER")
            .replace("msk-broker-1", "msk-broker-N")
            .replace("nat-1", "nat-N")
    };
    for a in alarm_set("NAME", &sample, &Thresholds::default()) {
        if a.name.contains("elasticache-002") {
            continue;
        }
        let (metric, stat) = match &a.watched {
            alarm_set::Watched::Metric(m) => (
                format!("`{}` `{}`", m.namespace, m.name),
                format!("{}, {} s", m.statistic, m.period),
            ),
            alarm_set::Watched::Expression {
                expression,
                metrics,
                ..
            } => (
                format!(
                    "`{expression}` of `{}` `{}`",
                    metrics[0].namespace, metrics[0].name
                ),
                format!("{}, {} s", metrics[0].statistic, metrics[0].period),
            ),
        };
        let threshold = match THRESHOLDS.iter().find(|t| a.summary.contains(t.name)) {
            Some(t) => format!("`{}`", t.name),
            None if a.summary.contains("min_size") => "`eks.node_group.GROUP.min_size`".into(),
            None => "0".into(),
        };
        let op = match a.comparison {
            alarm_set::Comparison::Above => ">",
            alarm_set::Comparison::Below => "<",
        };
        rows.push(format!(
            "| `{}` | {metric} | {stat} | {} of {} | {op} {threshold} |",
            generic(&a.name),
            a.datapoints_to_alarm,
            a.evaluation_periods
        ));
    }
    rows.join("\n")
}

/// The thresholds with their tier defaults, as a markdown table.
pub fn threshold_table() -> String {
    let mut rows = vec![
        "| threshold | unit | dev | staging | production |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    for t in THRESHOLDS {
        let [dev, staging, production] = t.defaults;
        rows.push(format!(
            "| `{}` | {} | {dev} | {staging} | {production} |",
            t.name, t.unit
        ));
    }
    rows.join("\n")
}

/// The `budget` block.
pub(super) fn budget_block() -> Block {
    Block::new(
        "An AWS Budgets cost budget for the environment, `NAME-monthly`: monthly, filtered to \
         the environment's `mosia:environment` tag, notifying the alert topic (and \
         `monitoring.alert_emails`). `budget {}` takes the defaults. Budgets filters by the \
         tag once it is an active cost allocation tag: Mosia activates it through Cost \
         Explorer where the account may (an organization's management account or a \
         standalone account); elsewhere the plan warns what to do. Two budgets per account \
         are free, each further one costs $0.02 a day (not in the estimate).",
    )
    .attr(
        Attribute::number("monthly_limit_usd")
            .optional_computed()
            .description(
                "The monthly limit in USD. Default: `estimated_monthly_cost_usd` × 1.25, \
                 rounded up to whole dollars; it follows the estimate when that changes (the \
                 plan shows both).",
            )
            .validate(Validator::new("more than 0", |v| {
                match v.as_number().and_then(|n| n.to_f64()) {
                    Some(n) if n <= 0.0 => Err(format!("{n} is not more than 0")),
                    _ => Ok(()),
                }
            })),
    )
    .attr(
        Attribute::of_type(
            "alert_at_percent",
            mosia_tfplugin::Type::list(mosia_tfplugin::Type::Number),
        )
        .optional()
        .description(
            "Actual spend thresholds, in percent of the limit (1 to 1000, at most 4: \
                 Budgets allows 5 notifications per budget, one is the forecast's). Default: \
                 `[80, 100]`.",
        )
        .validate(Validator::new("1 to 4 percentages from 1 to 1000", |v| {
            let all = v.elements();
            if all.len() > 4 {
                return Err(format!("{} thresholds: at most 4", all.len()));
            }
            for p in all
                .iter()
                .filter_map(|p| p.as_number().and_then(|n| n.to_f64()))
            {
                if !(1.0..=1000.0).contains(&p) {
                    return Err(format!("{p} is not a percentage from 1 to 1000"));
                }
            }
            Ok(())
        })),
    )
    .attr(Attribute::bool("forecast_alert").optional().description(
        "Notify when the month's forecast passes 100 % of the limit. Default: `true`.",
    ))
    .attr(
        Attribute::string("cost_allocation_tag")
            .computed()
            .description(
                "Status of the `mosia:environment` cost allocation tag the budget filters by: \
                 `Active`, `Inactive`, `not seen yet` (AWS lists a tag up to 24 hours after it \
                 first tags a resource) or `not allowed in this account` (activate it in the \
                 management account's Billing console, Cost allocation tags).",
            ),
    )
}

/// The `backup` block.
pub(super) fn backup_block() -> Block {
    Block::new(
        "AWS Backup of the database. Without this block the tier's defaults apply. The vault \
         `NAME` (encrypted with the environment's key when it has one), the plan \
         `NAME-daily` (every day at 05:00 UTC) and its selection `NAME-databases`: the \
         environment's RDS instances, found by their `mosia:environment` tag, backed up \
         with the IAM role `NAME-backup`. Restore a recovery point into a new environment \
         with `rds.snapshot_identifier` set to its ARN (the README's restore drill). \
         Destroy deletes the plan, the vault and its recovery points (the database's \
         final snapshot stays unless `rds.skip_final_snapshot`). ElastiCache's own \
         automatic snapshots are set here too (`cache_snapshot_retention_days`).",
    )
    .attr(
        Attribute::bool("plan")
            .optional_computed()
            .description(&with_tier_default(
                "Back the database up with AWS Backup (needs `rds`).",
                |t| code(t.backup_plan),
            )),
    )
    .attr(
        Attribute::number("retention_days")
            .optional()
            .description("Days recovery points are kept (1 to 36500). Default: 35.")
            .validate(Validator::new("1 to 36500", |v| {
                match v.as_number().and_then(|n| n.to_f64()) {
                    Some(n) if !(1.0..=36500.0).contains(&n) => {
                        Err(format!("{n} is not from 1 to 36500"))
                    }
                    _ => Ok(()),
                }
            })),
    )
    .attr(
        Attribute::string("copy_to_region")
            .optional()
            .description(
                "Also copy every recovery point to a vault `NAME` in this Region (created \
                 and deleted with the environment, encrypted with AWS Backup's key of that \
                 Region), kept `retention_days`. Not the environment's Region. Default: no \
                 copy.",
            )
            .validate(validators::string_matches(
                "an AWS Region name such as `us-west-2`",
                is_region_name,
            )),
    )
    .attr(
        Attribute::number("cache_snapshot_retention_days")
            .optional_computed()
            .description(&with_tier_default(
                "Days ElastiCache keeps its daily automatic snapshots of the cache (0 to 35; \
                 0: none). The cache's final snapshot at destroy is `elasticache.skip_final_snapshot`'s.",
                |t| t.cache_snapshot_retention_days.to_string(),
            ))
            .validate(Validator::new("0 to 35", |v| {
                match v.as_number().and_then(|n| n.to_f64()) {
                    Some(n) if !(0.0..=35.0).contains(&n) || n.fract() != 0.0 => {
                        Err(format!("{n} is not a whole number from 0 to 35"))
                    }
                    _ => Ok(()),
                }
            })),
    )
    .attr(
        Attribute::string("vault_arn")
            .computed()
            .description("ARN of the backup vault."),
    )
    .attr(
        Attribute::string("copy_vault_arn")
            .computed()
            .description("ARN of the vault in `copy_to_region` (null without a copy)."),
    )
    .attr(
        Attribute::string("plan_arn")
            .computed()
            .description("ARN of the backup plan."),
    )
}

/// `us-west-2`, `ap-southeast-1`, `us-gov-west-1`: what AWS Region names look like.
fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}

/// `elasticache.skip_final_snapshot`: a snapshot of the cache before destroy deletes it.
pub(super) fn cache_skip_final_snapshot() -> Attribute {
    Attribute::bool("skip_final_snapshot")
        .optional_computed()
        .description(&with_tier_default(
            "Whether destroy (or a replacement of the group) deletes the cache without a \
             final snapshot. The snapshot, `NAME-cache-final-UNIXTIME`, stays after destroy: \
             restore it into a new cache, or delete it in the ElastiCache console.",
            |t| code(t.rds_skip_final_snapshot),
        ))
}
