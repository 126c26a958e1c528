//! The environment's CloudWatch alarms ([`PartId::Alarms`]), converged to the alarm set of
//! `alarm_set.rs`, each with the alert topic as its alarm and OK action.
//!
//! - [`find_alarms`]: DescribeAlarms by the name prefix `NAME-` (every page), keeping the
//!   alarms whose description starts with `Mosia environment NAME: ` (DescribeAlarms
//!   returns no tags; the description is Mosia's mark, tags are set too).
//! - [`ensure_alarms`]: PutMetricAlarm for each alarm that is missing or differs (PutMetricAlarm
//!   replaces an alarm whole), DeleteAlarms (100 names per call) for Mosia's alarms no longer
//!   in the set: a part removed loses its alarms, a replica added gets its lag alarm.
//! - [`delete_alarms`] removes every alarm of the environment.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat,
    Statistic, Tag,
};

use super::alarm_set::{description, description_prefix, AlarmDefinition, MetricRef, Watched};
use super::{CLOUDWATCH, STS};
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

/// DeleteAlarms takes at most 100 names.
const DELETE_BATCH: usize = 100;

fn part() -> String {
    PartId::Alarms.to_string()
}

/// An alarm reduced to what Mosia sets, so the desired and the existing one compare.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    description: String,
    alarm_actions: Vec<String>,
    ok_actions: Vec<String>,
    metric: Option<MetricKey>,
    metrics: Vec<Query>,
    evaluation_periods: i32,
    datapoints_to_alarm: i32,
    threshold: f64,
    comparison: String,
    treat_missing_data: String,
}

/// A metric math query: (id, expression, label, return data, metric).
type Query = (
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<MetricKey>,
);

/// (namespace, name, statistic, sorted dimensions, period)
type MetricKey = (String, String, String, Vec<(String, String)>, i32);

fn key_of(m: &MetricRef) -> MetricKey {
    let mut dims: Vec<(String, String)> = m
        .dimensions
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    dims.sort();
    (
        m.namespace.into(),
        m.name.into(),
        m.statistic.into(),
        dims,
        m.period,
    )
}

fn desired_shape(env: &PartEnv, def: &AlarmDefinition, topic: &str) -> Shape {
    let (metric, metrics) = match &def.watched {
        Watched::Metric(m) => (Some(key_of(m)), vec![]),
        Watched::Expression {
            expression,
            label,
            metrics,
        } => {
            let mut q: Vec<_> = metrics
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("m{}", i + 1), None, None, false, Some(key_of(m))))
                .collect();
            q.push((
                "e1".into(),
                Some(expression.clone()),
                Some(label.to_string()),
                true,
                None,
            ));
            (None, q)
        }
    };
    Shape {
        description: description(&env.name, &def.summary),
        alarm_actions: vec![topic.to_string()],
        ok_actions: vec![topic.to_string()],
        metric,
        metrics,
        evaluation_periods: def.evaluation_periods,
        datapoints_to_alarm: def.datapoints_to_alarm,
        threshold: def.threshold,
        comparison: def.comparison.as_str().into(),
        treat_missing_data: def.treat_missing_data.into(),
    }
}

fn dims_of(d: &[Dimension]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = d
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_string(),
                d.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn existing_shape(a: &MetricAlarm) -> Shape {
    let metric = a.metric_name().map(|name| {
        (
            a.namespace().unwrap_or_default().to_string(),
            name.to_string(),
            a.statistic()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            dims_of(a.dimensions()),
            a.period().unwrap_or_default(),
        )
    });
    let metrics = a
        .metrics()
        .iter()
        .map(|q| {
            let stat = q.metric_stat().map(|s| {
                let m = s.metric();
                (
                    m.and_then(Metric::namespace)
                        .unwrap_or_default()
                        .to_string(),
                    m.and_then(Metric::metric_name)
                        .unwrap_or_default()
                        .to_string(),
                    s.stat().unwrap_or_default().to_string(),
                    dims_of(m.map(Metric::dimensions).unwrap_or_default()),
                    s.period().unwrap_or_default(),
                )
            });
            (
                q.id().unwrap_or_default().to_string(),
                q.expression().map(str::to_string),
                q.label().map(str::to_string),
                q.return_data().unwrap_or(true),
                stat,
            )
        })
        .collect();
    Shape {
        description: a.alarm_description().unwrap_or_default().to_string(),
        alarm_actions: a.alarm_actions().to_vec(),
        ok_actions: a.ok_actions().to_vec(),
        metric,
        metrics,
        evaluation_periods: a.evaluation_periods().unwrap_or_default(),
        datapoints_to_alarm: a.datapoints_to_alarm().unwrap_or_default(),
        threshold: a.threshold().unwrap_or_default(),
        comparison: a
            .comparison_operator()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        treat_missing_data: a.treat_missing_data().unwrap_or("missing").to_string(),
    }
}

/// The environment's alarms (Mosia's only), by name.
pub async fn find_alarms(env: &PartEnv) -> Result<BTreeMap<String, MetricAlarm>, PartError> {
    let mark = description_prefix(&env.name);
    let mut out = BTreeMap::new();
    let mut next = None;
    loop {
        let page = env
            .aws
            .cloudwatch()
            .describe_alarms()
            .alarm_name_prefix(format!("{}-", env.name))
            .alarm_types(AlarmType::MetricAlarm)
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| CLOUDWATCH.error(part(), "listing the alarms", "DescribeAlarms", &e))?;
        for a in page.metric_alarms() {
            if a.alarm_description().is_some_and(|d| d.starts_with(&mark)) {
                out.insert(a.alarm_name().unwrap_or_default().to_string(), a.clone());
            }
        }
        match page.next_token {
            Some(t) if !t.is_empty() => next = Some(t),
            _ => return Ok(out),
        }
    }
}

/// `arn:PARTITION:cloudwatch:REGION:ACCOUNT:alarm:NAME`.
async fn alarm_arn_prefix(env: &PartEnv) -> Result<String, PartError> {
    let account = env
        .aws
        .account_id()
        .await
        .map_err(|e| STS.error(part(), "reading the account", "GetCallerIdentity", &e))?;
    Ok(format!(
        "arn:{}:cloudwatch:{}:{account}:alarm:",
        env.aws.partition(),
        env.aws.region()
    ))
}

/// Converges the environment's alarms to `defs`, publishing to `topic`; returns every alarm's
/// ARN by name.
pub async fn ensure_alarms(
    env: &PartEnv,
    defs: &[AlarmDefinition],
    topic: &str,
) -> Result<BTreeMap<String, String>, PartError> {
    let existing = find_alarms(env).await?;
    for def in defs {
        let want = desired_shape(env, def, topic);
        if existing.get(&def.name).map(existing_shape).as_ref() != Some(&want) {
            put_alarm(env, def, topic).await?;
        }
    }
    let stale: Vec<String> = existing
        .keys()
        .filter(|n| !defs.iter().any(|d| &d.name == *n))
        .cloned()
        .collect();
    delete_named(env, &stale).await?;
    let prefix = alarm_arn_prefix(env).await?;
    Ok(defs
        .iter()
        .map(|d| (d.name.clone(), format!("{prefix}{}", d.name)))
        .collect())
}

fn dimensions(m: &MetricRef) -> Vec<Dimension> {
    m.dimensions
        .iter()
        .map(|(n, v)| Dimension::builder().name(*n).value(v).build())
        .collect()
}

fn queries(expression: &str, label: &str, metrics: &[MetricRef]) -> Vec<MetricDataQuery> {
    let mut q: Vec<MetricDataQuery> = metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let metric = Metric::builder()
                .namespace(m.namespace)
                .metric_name(m.name)
                .set_dimensions(Some(dimensions(m)))
                .build();
            let stat = MetricStat::builder()
                .metric(metric)
                .period(m.period)
                .stat(m.statistic)
                .build();
            MetricDataQuery::builder()
                .id(format!("m{}", i + 1))
                .metric_stat(stat)
                .return_data(false)
                .build()
        })
        .collect();
    q.push(
        MetricDataQuery::builder()
            .id("e1")
            .expression(expression)
            .label(label)
            .return_data(true)
            .build(),
    );
    q
}

async fn put_alarm(env: &PartEnv, def: &AlarmDefinition, topic: &str) -> Result<(), PartError> {
    let tags: Vec<Tag> = env
        .tags_for(PartId::Alarms.tag())
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let mut put = env
        .aws
        .cloudwatch()
        .put_metric_alarm()
        .alarm_name(&def.name)
        .alarm_description(description(&env.name, &def.summary))
        .actions_enabled(true)
        .alarm_actions(topic)
        .ok_actions(topic)
        .evaluation_periods(def.evaluation_periods)
        .datapoints_to_alarm(def.datapoints_to_alarm)
        .threshold(def.threshold)
        .comparison_operator(ComparisonOperator::from(def.comparison.as_str()))
        .treat_missing_data(def.treat_missing_data)
        .set_tags(Some(tags));
    put = match &def.watched {
        Watched::Metric(m) => put
            .namespace(m.namespace)
            .metric_name(m.name)
            .statistic(Statistic::from(m.statistic))
            .set_dimensions(Some(dimensions(m)))
            .period(m.period),
        Watched::Expression {
            expression,
            label,
            metrics,
        } => put.set_metrics(Some(queries(expression, label, metrics))),
    };
    put.send().await.map_err(|e| {
        CLOUDWATCH.error(
            part(),
            format!("putting alarm `{}`", def.name),
            "PutMetricAlarm",
            &e,
        )
    })?;
    Ok(())
}

async fn delete_named(env: &PartEnv, names: &[String]) -> Result<(), PartError> {
    for batch in names.chunks(DELETE_BATCH) {
        env.aws
            .cloudwatch()
            .delete_alarms()
            .set_alarm_names(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| CLOUDWATCH.error(part(), "deleting alarms", "DeleteAlarms", &e))?;
    }
    Ok(())
}

/// The environment's alarms now (drift), name → ARN.
pub async fn read_alarms(env: &PartEnv) -> Result<BTreeMap<String, String>, PartError> {
    Ok(find_alarms(env)
        .await?
        .into_iter()
        .map(|(n, a)| (n, a.alarm_arn().unwrap_or_default().to_string()))
        .collect())
}

/// Deletes every alarm of the environment.
pub async fn delete_alarms(env: &PartEnv) -> Result<(), PartError> {
    let names: Vec<String> = find_alarms(env).await?.into_keys().collect();
    delete_named(env, &names).await
}
