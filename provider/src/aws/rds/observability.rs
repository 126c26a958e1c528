//! What the database tells about itself: Performance Insights (on the data key, 7 days: the
//! free tier), enhanced monitoring every 60 s through the role `NAME-rds-monitoring`
//! (trusted by `monitoring.rds.amazonaws.com`, with AWS's AmazonRDSEnhancedMonitoringRole),
//! and the `postgresql` and `upgrade` logs exported to CloudWatch Logs.
//!
//! RDS creates `/aws/rds/instance/ID/TYPE` by itself, without retention, when it exports a
//! log type: [`ensure_observability`] creates the groups first, with the retention, the
//! environment's key and Mosia's tags. [`delete_observability`] removes them and the role
//! once the instance is gone.

use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbInstance};

use super::converge::Modification;
use super::input::RdsSpec;
use super::primary_identifier;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::iam::propagation;
use crate::aws::part::{PartEnv, PartId};
use crate::aws::wait::AwsKind;
use crate::aws::{iam, log_groups};
use crate::engine::PartError;

/// The log types a PostgreSQL instance exports.
pub const LOG_TYPES: [&str; 2] = ["postgresql", "upgrade"];
/// Enhanced monitoring's interval, in seconds.
pub const MONITORING_INTERVAL: i32 = 60;
/// Performance Insights' retention in days: the free tier.
pub const INSIGHTS_RETENTION_DAYS: i32 = 7;
const MONITORING_SERVICE: &str = "monitoring.rds.amazonaws.com";
const MONITORING_POLICY: &str = "service-role/AmazonRDSEnhancedMonitoringRole";

/// `NAME-rds-monitoring`.
pub fn monitoring_role_name(env: &PartEnv) -> String {
    env.aws_name("rds-monitoring")
}

/// `/aws/rds/instance/ID/TYPE`, where RDS exports log type `log_type` of instance `id`.
pub fn log_group_name(id: &str, log_type: &str) -> String {
    format!("/aws/rds/instance/{id}/{log_type}")
}

/// The log groups of the primary's exports.
pub fn log_group_names(env: &PartEnv) -> Vec<String> {
    let id = primary_identifier(env);
    LOG_TYPES.iter().map(|t| log_group_name(&id, t)).collect()
}

/// The exported log groups (with retention and key) and the monitoring role, as `spec`
/// asks; returns the role's ARN when enhanced monitoring is on.
pub(crate) async fn ensure_observability(
    env: &PartEnv,
    spec: &RdsSpec,
) -> Result<Option<String>, PartError> {
    if let Some(days) = spec.log_exports_retention_days {
        for group in log_group_names(env) {
            let key = spec.kms_key.arn.as_deref();
            log_groups::ensure_log_group(env, &PartId::RdsPrimary, &group, days, key).await?;
        }
    }
    if !spec.enhanced_monitoring {
        return Ok(None);
    }
    let name = monitoring_role_name(env);
    iam::ensure_service_role(env, &name, MONITORING_SERVICE, &[MONITORING_POLICY])
        .await
        .map(Some)
}

/// The exports, insights and monitoring settings of a new instance.
pub(crate) struct CreateSettings {
    pub insights: bool,
    pub insights_key: Option<String>,
    pub insights_retention: Option<i32>,
    pub monitoring_interval: i32,
    pub monitoring_role: Option<String>,
    pub log_exports: Option<Vec<String>>,
}

pub(crate) fn create_settings(spec: &RdsSpec, role: Option<&str>) -> CreateSettings {
    CreateSettings {
        insights: spec.insights,
        insights_key: spec.kms_key.arn.clone().filter(|_| spec.insights),
        insights_retention: spec.insights.then_some(INSIGHTS_RETENTION_DAYS),
        monitoring_interval: if role.is_some() {
            MONITORING_INTERVAL
        } else {
            0
        },
        monitoring_role: role.map(str::to_string),
        log_exports: spec
            .log_exports_retention_days
            .map(|_| LOG_TYPES.iter().map(|t| t.to_string()).collect()),
    }
}

/// Adds to `m` what differs from `spec` in insights, monitoring and exports.
pub(crate) fn observability_changes(
    spec: &RdsSpec,
    role: Option<&str>,
    db: &DbInstance,
    m: &mut Modification,
) {
    if db.performance_insights_enabled().unwrap_or(false) != spec.insights {
        m.changes
            .push(format!("Performance Insights → {}", spec.insights));
        m.insights = Some(spec.insights);
        if spec.insights {
            m.insights_key = spec.kms_key.arn.clone();
            m.insights_retention = Some(INSIGHTS_RETENTION_DAYS);
        }
    }
    let interval = if role.is_some() {
        MONITORING_INTERVAL
    } else {
        0
    };
    if db.monitoring_interval().unwrap_or(0) != interval {
        m.changes
            .push(format!("enhanced monitoring interval → {interval} s"));
        m.monitoring_interval = Some(interval);
        m.monitoring_role = role.map(str::to_string);
    }
    let have: Vec<&str> = db
        .enabled_cloudwatch_logs_exports()
        .iter()
        .map(String::as_str)
        .collect();
    let want: Vec<&str> = match spec.log_exports_retention_days {
        Some(_) => LOG_TYPES.to_vec(),
        None => vec![],
    };
    let enable: Vec<String> = want
        .iter()
        .filter(|t| !have.contains(t))
        .map(|t| t.to_string())
        .collect();
    let disable: Vec<String> = have
        .iter()
        .filter(|t| !want.contains(t))
        .map(|t| t.to_string())
        .collect();
    if !enable.is_empty() || !disable.is_empty() {
        m.changes.push(format!("log exports → {}", want.join(", ")));
        m.log_exports = Some(
            CloudwatchLogsExportConfiguration::builder()
                .set_enable_log_types(Some(enable))
                .set_disable_log_types(Some(disable))
                .build(),
        );
    }
}

/// Deletes the exported log groups and the monitoring role of `spec` (after the instance).
pub(crate) async fn delete_observability(env: &PartEnv, spec: &RdsSpec) -> Result<(), PartError> {
    if spec.log_exports_retention_days.is_some() {
        for group in log_group_names(env) {
            log_groups::delete_log_group(env, &PartId::RdsPrimary, &group).await?;
        }
    }
    if spec.enhanced_monitoring {
        iam::delete_service_role(env, &monitoring_role_name(env)).await?;
    }
    Ok(())
}

/// A warning when Performance Insights keeps another key than the environment's: RDS never
/// changes the key of an instance's Performance Insights once it is set (it refuses the
/// change), so the insights stay on the old key, which must not be deleted.
pub(crate) fn insights_key_warning(id: &str, spec: &RdsSpec, db: &DbInstance) -> Option<String> {
    let want = spec.kms_key.arn.as_deref().filter(|_| spec.insights)?;
    let have = db
        .performance_insights_kms_key_id()
        .filter(|_| db.performance_insights_enabled() == Some(true))?;
    let key_id = |k: &str| k.rsplit('/').next().unwrap_or(k).to_string();
    (key_id(have) != key_id(want)).then(|| {
        format!(
            "Performance Insights of DB instance `{id}` stays encrypted with `{have}`, not \
             the environment's key: RDS cannot change it (keep that key while the instance \
             lives)"
        )
    })
}

/// `call` (a create or modify naming the monitoring role), sent again while RDS refuses a
/// role IAM has not propagated yet: InvalidParameterValue "IAM role ARN value is invalid or
/// does not include the required permissions for: ENHANCED_MONITORING", which a role just
/// created gets for a few seconds (the emulator plays it; terraform-provider-aws retries it
/// too). The same words for a role that can never work fail after the 2 minutes.
pub(super) async fn until_monitoring_role_accepted<T, E, R, F, Fut>(
    env: &PartEnv,
    call: F,
) -> Result<Result<T, SdkError<E, R>>, PartError>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
{
    propagation::until_role_accepted(
        env,
        &PartId::RdsPrimary,
        AwsKind::Iam,
        "RDS to accept the enhanced monitoring role",
        |e| propagation::refused_with(e, Some("InvalidParameterValue"), "ENHANCED_MONITORING"),
        call,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::rds::testdata::{self, primary};

    #[test]
    fn a_performance_insights_key_that_cannot_follow_the_environment_is_warned_about() {
        let mut spec = testdata::spec();
        spec.insights = true;
        spec.kms_key.arn = Some("arn:aws:kms:us-east-1:1:key/new".into());
        let db = |key: &str| {
            DbInstance::builder()
                .performance_insights_enabled(true)
                .performance_insights_kms_key_id(key)
                .build()
        };
        let w = insights_key_warning("db", &spec, &db("arn:aws:kms:us-east-1:1:key/old"));
        assert!(w.unwrap().contains("key/old"));
        assert_eq!(
            insights_key_warning("db", &spec, &db("arn:aws:kms:us-east-1:1:key/new")),
            None
        );
        spec.insights = false;
        assert_eq!(
            insights_key_warning("db", &spec, &db("arn:aws:kms:us-east-1:1:key/old")),
            None
        );
    }

    /// A role IAM has not propagated yet is retried; any other refusal fails at once.
    #[tokio::test(start_paused = true)]
    async fn a_monitoring_role_refused_while_new_is_sent_again() {
        use aws_sdk_rds::operation::modify_db_instance::{
            ModifyDBInstanceError, ModifyDbInstanceOutput,
        };
        use aws_smithy_mocks::{mock, MockResponse};
        use aws_smithy_types::error::ErrorMetadata;
        let refusal = |code: &str, message: &str| {
            ModifyDBInstanceError::generic(
                ErrorMetadata::builder().code(code).message(message).build(),
            )
        };
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let modify = mock!(aws_sdk_rds::Client::modify_db_instance).then_compute_response(move |_| {
            match calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 | 1 => MockResponse::Error(refusal(
                    "InvalidParameterValue",
                    "IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING",
                )),
                2 => MockResponse::Output(ModifyDbInstanceOutput::builder().build()),
                _ => MockResponse::Error(refusal("InvalidParameterCombination", "no")),
            }
        });
        let rds = crate::mock_client!(aws_sdk_rds, [&modify]);
        let env = crate::aws::testing::env(crate::aws::AwsContext::offline().with_rds(rds));
        let send = || {
            env.aws
                .rds()
                .modify_db_instance()
                .db_instance_identifier("db")
                .send()
        };

        assert!(until_monitoring_role_accepted(&env, send)
            .await
            .unwrap()
            .is_ok());
        assert_eq!(modify.num_calls(), 3, "two refusals, then accepted");
        let other = until_monitoring_role_accepted(&env, send).await.unwrap();
        assert!(other.is_err());
        assert_eq!(modify.num_calls(), 4, "another refusal is not retried");
    }

    #[test]
    fn insights_monitoring_and_exports_are_turned_on_in_one_modification() {
        let mut spec = testdata::spec();
        spec.insights = true;
        spec.log_exports_retention_days = Some(30);
        spec.kms_key.arn = Some("arn:aws:kms:us-east-1:1:key/k".into());
        let mut m = Modification::default();
        let role = "arn:aws:iam::1:role/mosia-test-rds-monitoring";
        observability_changes(&spec, Some(role), &primary().build(), &mut m);
        assert_eq!(m.insights, Some(true));
        assert_eq!(m.insights_key.as_deref(), spec.kms_key.arn.as_deref());
        assert_eq!(m.insights_retention, Some(INSIGHTS_RETENTION_DAYS));
        assert_eq!(m.monitoring_interval, Some(60));
        assert_eq!(m.monitoring_role.as_deref(), Some(role));
        let exports = m.log_exports.expect("exports");
        assert_eq!(exports.enable_log_types(), ["postgresql", "upgrade"]);
        assert!(exports.disable_log_types().is_empty());
    }

    #[test]
    fn an_instance_that_matches_needs_nothing_and_exports_turned_off_are_disabled() {
        let spec = testdata::spec();
        let db = primary()
            .performance_insights_enabled(false)
            .monitoring_interval(0)
            .enabled_cloudwatch_logs_exports("postgresql")
            .build();
        let mut m = Modification::default();
        observability_changes(&spec, None, &db, &mut m);
        assert_eq!((m.insights, m.monitoring_interval), (None, None));
        let exports = m.log_exports.expect("exports off");
        assert_eq!(exports.disable_log_types(), ["postgresql"]);
        assert_eq!(
            log_group_name("mosia-test-db", "postgresql"),
            "/aws/rds/instance/mosia-test-db/postgresql"
        );
    }
}
