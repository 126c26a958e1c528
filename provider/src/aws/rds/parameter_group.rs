//! The DB parameter group `{env}-pg{major}` (family `{engine}{major}`) carrying the
//! configured parameters: find, create, adopt (ownership, tags, family), set and reset
//! parameters, list the environment's groups and delete them.
//!
//! A major-version upgrade moves the instance to the new major's group (created here
//! beside the old one); the old group is deleted with the environment.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_rds::operation::create_db_parameter_group::CreateDBParameterGroupError;
use aws_sdk_rds::operation::delete_db_parameter_group::DeleteDBParameterGroupError;
use aws_sdk_rds::operation::describe_db_parameter_groups::DescribeDBParameterGroupsError;
use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup, Parameter};

use super::tagging::{list_tags, sdk_tags, sync_tags, wanted};
use super::{parameter_group_family, parameter_group_name, SERVICE};
use crate::aws::errors;
use crate::aws::part::{not_ours, PartEnv, PartId};
use crate::engine::{PartError, Resume};

const PART: PartId = PartId::RdsPrimary;

/// RDS accepts at most 20 parameters per ModifyDBParameterGroup / ResetDBParameterGroup.
const PARAMETERS_PER_CALL: usize = 20;

/// PostgreSQL parameters whose `apply_type` is `static` on RDS: they can only be applied
/// with `pending-reboot` and take effect at the next reboot. Parameters not listed are sent
/// with `immediate`; when RDS refuses that for a static parameter, the parameter is sent
/// again with `pending-reboot`.
const STATIC_PARAMETERS: &[&str] = &[
    "autovacuum_max_workers",
    "autovacuum_freeze_max_age",
    "autovacuum_multixact_freeze_max_age",
    "huge_pages",
    "max_connections",
    "max_files_per_process",
    "max_locks_per_transaction",
    "max_logical_replication_workers",
    "max_pred_locks_per_transaction",
    "max_prepared_transactions",
    "max_replication_slots",
    "max_wal_senders",
    "max_worker_processes",
    "old_snapshot_threshold",
    "rds.logical_replication",
    "shared_buffers",
    "shared_preload_libraries",
    "track_activity_query_size",
    "track_commit_timestamp",
    "wal_buffers",
    "wal_level",
];

/// What applying the configured parameters did.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ParameterOutcome {
    /// Parameters applied with `pending-reboot` (static): they need a reboot.
    pub need_reboot: Vec<String>,
    pub changed: bool,
}

fn apply_method_for(name: &str) -> ApplyMethod {
    if STATIC_PARAMETERS.contains(&name) {
        ApplyMethod::PendingReboot
    } else {
        ApplyMethod::Immediate
    }
}

/// The parameters to set (new or another value) and those to reset to the engine default
/// (set earlier, or out of band, and no longer configured).
pub(crate) fn parameter_changes<'a>(
    want: &'a BTreeMap<String, String>,
    have: &'a BTreeMap<String, String>,
) -> (Vec<(&'a String, &'a String)>, Vec<&'a String>) {
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .collect();
    let reset = have.keys().filter(|k| !want.contains_key(*k)).collect();
    (set, reset)
}

/// The group `name`; None when it does not exist.
pub(crate) async fn find_parameter_group(
    env: &PartEnv,
    name: &str,
) -> Result<Option<DbParameterGroup>, PartError> {
    let out = errors::found(
        env.aws
            .rds()
            .describe_db_parameter_groups()
            .db_parameter_group_name(name)
            .send()
            .await,
        DescribeDBParameterGroupsError::is_db_parameter_group_not_found_fault,
    )
    .map_err(|e| {
        SERVICE.error(
            &PART,
            format!("describing DB parameter group `{name}`"),
            "DescribeDBParameterGroups",
            &e,
        )
    })?;
    Ok(out.and_then(|o| o.db_parameter_groups().first().cloned()))
}

/// The group of `engine` `major` with exactly `parameters` set by the user, created or
/// adopted; returns its name and what changed.
pub(crate) async fn ensure_parameter_group(
    env: &PartEnv,
    engine: &str,
    major: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<(String, ParameterOutcome), PartError> {
    let name = parameter_group_name(env, major);
    let family = parameter_group_family(engine, major);
    let current = match find_parameter_group(env, &name).await? {
        None => {
            if !create_parameter_group(env, &name, &family).await? {
                // Created by a concurrent or crashed run between describe and create.
                return Box::pin(ensure_parameter_group(env, engine, major, parameters)).await;
            }
            BTreeMap::new()
        }
        Some(group) => {
            adopt_parameter_group(env, &name, &family, &group).await?;
            user_parameters(env, &name).await?
        }
    };
    let (to_set, to_reset) = parameter_changes(parameters, &current);
    let mut outcome = ParameterOutcome::default();
    for chunk in to_set.chunks(PARAMETERS_PER_CALL) {
        outcome
            .need_reboot
            .extend(set_parameters(env, &name, chunk).await?);
        outcome.changed = true;
    }
    for chunk in to_reset.chunks(PARAMETERS_PER_CALL) {
        outcome
            .need_reboot
            .extend(reset_parameters(env, &name, chunk).await?);
        outcome.changed = true;
    }
    Ok((name, outcome))
}

/// Creates the group; false when it already exists.
async fn create_parameter_group(
    env: &PartEnv,
    name: &str,
    family: &str,
) -> Result<bool, PartError> {
    tracing::info!(part = %PART, object = %name, family = %family, "creating DB parameter group");
    let sent = env
        .aws
        .rds()
        .create_db_parameter_group()
        .db_parameter_group_name(name)
        .db_parameter_group_family(family)
        .description(format!("Parameters of the Mosia environment {}", env.name))
        .set_tags(Some(sdk_tags(&wanted(env))))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error().is_some_and(
                CreateDBParameterGroupError::is_db_parameter_group_already_exists_fault,
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(SERVICE.error(
            &PART,
            format!("creating DB parameter group `{name}` ({family})"),
            "CreateDBParameterGroup",
            &e,
        )),
    }
}

/// Refuses a group that is not ours or of another family (a group's family cannot change:
/// the name carries the major version, so another family means someone else's group);
/// syncs the tags of ours.
async fn adopt_parameter_group(
    env: &PartEnv,
    name: &str,
    family: &str,
    group: &DbParameterGroup,
) -> Result<(), PartError> {
    let arn = group.db_parameter_group_arn().unwrap_or_default();
    let tags = list_tags(env, &PART, arn).await?;
    if !env.owns(PART.tag(), &tags) {
        return Err(not_ours(env, &PART, "DB parameter group", name, &tags));
    }
    sync_tags(env, &PART, arn, &tags).await?;
    match group.db_parameter_group_family() {
        Some(have) if have != family => Err(PartError::new(
            &PART,
            format!("adopting DB parameter group `{name}`"),
            format!("its family is `{have}`, expected `{family}`"),
        )),
        _ => Ok(()),
    }
}

/// The parameters set by the user (source `user`), all pages.
async fn user_parameters(env: &PartEnv, name: &str) -> Result<BTreeMap<String, String>, PartError> {
    let mut current = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let out = env
            .aws
            .rds()
            .describe_db_parameters()
            .db_parameter_group_name(name)
            .source("user")
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("reading the parameters of `{name}`"),
                    "DescribeDBParameters",
                    &e,
                )
            })?;
        for p in out.parameters() {
            if p.source().is_some_and(|s| s != "user") {
                continue;
            }
            if let (Some(k), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                current.insert(k.to_string(), v.to_string());
            }
        }
        marker = out.marker().map(str::to_string).filter(|m| !m.is_empty());
        if marker.is_none() {
            return Ok(current);
        }
    }
}

fn parameter(name: &str, value: Option<&str>, method: ApplyMethod) -> Parameter {
    Parameter::builder()
        .parameter_name(name)
        .set_parameter_value(value.map(str::to_string))
        .apply_method(method)
        .build()
}

/// Sets one chunk of parameters; returns those that wait for a reboot.
async fn set_parameters(
    env: &PartEnv,
    name: &str,
    chunk: &[(&String, &String)],
) -> Result<Vec<String>, PartError> {
    let params = chunk
        .iter()
        .map(|(k, v)| parameter(k, Some(v), apply_method_for(k)))
        .collect();
    tracing::info!(part = %PART, object = %name, parameters = ?chunk.iter().map(|(k, _)| k).collect::<Vec<_>>(), "setting DB parameters");
    let sent = env
        .aws
        .rds()
        .modify_db_parameter_group()
        .db_parameter_group_name(name)
        .set_parameters(Some(params))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(chunk
            .iter()
            .filter(|(k, _)| apply_method_for(k) == ApplyMethod::PendingReboot)
            .map(|(k, _)| (*k).clone())
            .collect()),
        // A static parameter sent with `immediate` (InvalidParameterCombination is not a
        // modeled error of ModifyDBParameterGroup: matched by code).
        Err(e) if errors::code(&e) == Some("InvalidParameterCombination") => {
            let mut need_reboot = Vec::new();
            for (k, v) in chunk {
                if set_parameter(env, name, k, v).await? == ApplyMethod::PendingReboot {
                    need_reboot.push((*k).clone());
                }
            }
            Ok(need_reboot)
        }
        Err(e) => Err(SERVICE.error(
            &PART,
            format!("setting parameters in DB parameter group `{name}`"),
            "ModifyDBParameterGroup",
            &e,
        )),
    }
}

/// Sets one parameter, falling back to `pending-reboot` when RDS refuses to apply it at
/// once; returns the method that worked.
async fn set_parameter(
    env: &PartEnv,
    name: &str,
    key: &str,
    value: &str,
) -> Result<ApplyMethod, PartError> {
    let mut method = apply_method_for(key);
    loop {
        let sent = env
            .aws
            .rds()
            .modify_db_parameter_group()
            .db_parameter_group_name(name)
            .parameters(parameter(key, Some(value), method.clone()))
            .send()
            .await;
        match sent {
            Ok(_) => return Ok(method),
            Err(e)
                if method == ApplyMethod::Immediate
                    && errors::code(&e) == Some("InvalidParameterCombination") =>
            {
                method = ApplyMethod::PendingReboot;
            }
            Err(e) => {
                return Err(SERVICE.error(
                    &PART,
                    format!("setting parameter `{key}` in `{name}`"),
                    "ModifyDBParameterGroup",
                    &e,
                ))
            }
        }
    }
}

/// Resets one chunk of parameters to the engine default; returns those that wait for a
/// reboot.
async fn reset_parameters(
    env: &PartEnv,
    name: &str,
    chunk: &[&String],
) -> Result<Vec<String>, PartError> {
    tracing::info!(part = %PART, object = %name, parameters = ?chunk, "resetting DB parameters to their defaults");
    let params = chunk
        .iter()
        .map(|k| parameter(k, None, apply_method_for(k)))
        .collect();
    env.aws
        .rds()
        .reset_db_parameter_group()
        .db_parameter_group_name(name)
        .reset_all_parameters(false)
        .set_parameters(Some(params))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("resetting parameters in DB parameter group `{name}`"),
                "ResetDBParameterGroup",
                &e,
            )
        })?;
    Ok(chunk
        .iter()
        .filter(|k| apply_method_for(k) == ApplyMethod::PendingReboot)
        .map(|k| (*k).clone())
        .collect())
}

/// Names of the DB parameter groups named like this environment's (`{env}-pg{digit}*`).
pub(crate) async fn list_parameter_groups(env: &PartEnv) -> Result<BTreeSet<String>, PartError> {
    let prefix = env.aws_name("pg");
    let mut names = BTreeSet::new();
    let mut marker: Option<String> = None;
    loop {
        let out = env
            .aws
            .rds()
            .describe_db_parameter_groups()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    "listing DB parameter groups",
                    "DescribeDBParameterGroups",
                    &e,
                )
            })?;
        for name in out
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name())
        {
            let rest = name.strip_prefix(&prefix).unwrap_or("-");
            if rest.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                names.insert(name.to_string());
            }
        }
        marker = out.marker().map(str::to_string).filter(|m| !m.is_empty());
        if marker.is_none() {
            return Ok(names);
        }
    }
}

/// Deletes the group `name` when it is ours; gone counts as deleted.
pub(crate) async fn delete_parameter_group(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let destroy = |e: PartError| e.with_resume(Resume::Destroy);
    let Some(group) = find_parameter_group(env, name).await.map_err(destroy)? else {
        return Ok(());
    };
    let tags = list_tags(
        env,
        &PART,
        group.db_parameter_group_arn().unwrap_or_default(),
    )
    .await
    .map_err(destroy)?;
    if !env.owns(PART.tag(), &tags) {
        tracing::warn!(part = %PART, object = %name, "DB parameter group not owned by this environment: left alone");
        return Ok(());
    }
    tracing::info!(part = %PART, object = %name, "deleting DB parameter group");
    let sent = env
        .aws
        .rds()
        .delete_db_parameter_group()
        .db_parameter_group_name(name)
        .send()
        .await;
    match errors::found(
        sent,
        DeleteDBParameterGroupError::is_db_parameter_group_not_found_fault,
    ) {
        Ok(_) => Ok(()),
        Err(e) => Err(destroy(SERVICE.error(
            &PART,
            format!("deleting DB parameter group `{name}`"),
            "DeleteDBParameterGroup",
            &e,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::describe_db_parameters::DescribeDbParametersOutput;
    use aws_sdk_rds::operation::modify_db_parameter_group::ModifyDbParameterGroupOutput;
    use aws_sdk_rds::operation::reset_db_parameter_group::ResetDbParameterGroupOutput;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::rds::testdata::{self, groups};

    #[tokio::test]
    async fn sets_what_changed_resets_what_was_dropped_and_reports_static_ones() {
        let current = mock!(aws_sdk_rds::Client::describe_db_parameters).then_output(|| {
            DescribeDbParametersOutput::builder()
                .parameters(
                    Parameter::builder()
                        .parameter_name("old")
                        .parameter_value("x")
                        .source("user")
                        .build(),
                )
                .build()
        });
        let modify = mock!(aws_sdk_rds::Client::modify_db_parameter_group)
            .match_requests(|r| {
                r.db_parameter_group_name() == Some("mosia-test-pg16")
                    && r.parameters().len() == 2
                    && r.parameters().iter().any(|p| {
                        p.parameter_name() == Some("shared_preload_libraries")
                            && p.apply_method() == Some(&ApplyMethod::PendingReboot)
                    })
            })
            .then_output(|| ModifyDbParameterGroupOutput::builder().build());
        let reset = mock!(aws_sdk_rds::Client::reset_db_parameter_group)
            .match_requests(|r| {
                r.parameters().len() == 1 && r.parameters()[0].parameter_name() == Some("old")
            })
            .then_output(|| ResetDbParameterGroupOutput::builder().build());
        let groups = groups();
        let mut rules: Vec<&aws_smithy_mocks::Rule> = vec![&current, &modify, &reset];
        rules.extend(groups.iter());
        let env = testdata::env(&rules);
        let want = m(&[
            ("work_mem", "64MB"),
            ("shared_preload_libraries", "pg_stat_statements"),
        ]);
        let (name, outcome) = ensure_parameter_group(&env, "postgres", "16", &want)
            .await
            .unwrap();
        assert_eq!(name, "mosia-test-pg16");
        assert_eq!((modify.num_calls(), reset.num_calls()), (1, 1));
        assert_eq!(
            outcome,
            ParameterOutcome {
                need_reboot: vec!["shared_preload_libraries".into()],
                changed: true
            }
        );
    }

    #[tokio::test]
    async fn refuses_a_group_of_this_name_with_another_family() {
        let groups = groups();
        let rules: Vec<&aws_smithy_mocks::Rule> = groups.iter().collect();
        let env = testdata::env(&rules);
        // The mocked group `mosia-test-pg16` has family postgres16; MySQL wants mysql16.
        let err = ensure_parameter_group(&env, "mysql", "16", &BTreeMap::new())
            .await
            .unwrap_err();
        assert_eq!(err.summary, "adopting DB parameter group `mosia-test-pg16`");
        assert_eq!(err.detail, "its family is `postgres16`, expected `mysql16`");
    }

    fn m(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn changed_parameters_are_set_and_dropped_ones_reset() {
        let want = m(&[
            ("work_mem", "64MB"),
            ("max_connections", "200"),
            ("same", "1"),
        ]);
        let have = m(&[("work_mem", "4MB"), ("same", "1"), ("old", "x")]);
        let (set, reset) = parameter_changes(&want, &have);
        let set: Vec<&str> = set.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(set, ["max_connections", "work_mem"]);
        assert_eq!(reset, [&"old".to_string()]);
    }

    #[test]
    fn static_parameters_wait_for_a_reboot() {
        assert_eq!(
            apply_method_for("shared_preload_libraries"),
            ApplyMethod::PendingReboot
        );
        assert_eq!(apply_method_for("work_mem"), ApplyMethod::Immediate);
    }
}
