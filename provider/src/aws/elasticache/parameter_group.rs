//! The cache parameter group `{env}-cache-{family}` carrying `elasticache.parameters`: the
//! family follows the engine and its major version (`redis7`, `valkey8`, ...), so an
//! upgrade to another family gets a group of its own, attached in the same
//! ModifyReplicationGroup as the new version. Parameters change in place
//! (ModifyCacheParameterGroup, at most 20 a call); one removed from the configuration is
//! reset to the family's default. A cache without parameters keeps ElastiCache's default
//! group until it is given some; from then on the group stays (emptied, not detached).
//!
//! Ownership is the description, which names the environment (`find`, then refuse another).

use std::collections::BTreeMap;

use aws_sdk_elasticache::operation::describe_cache_parameter_groups::DescribeCacheParameterGroupsError;
use aws_sdk_elasticache::types::{CacheParameterGroup, ParameterNameValue};

use super::{CacheEngine, ElastiCacheSpec, PART, SERVICE};
use crate::aws::errors;
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// ModifyCacheParameterGroup takes at most 20 parameters a call.
const MAX_PARAMETERS_PER_CALL: usize = 20;

/// The parameter group family of an engine version: Redis OSS 6.x → `redis6.x`, 7.x →
/// `redis7`, 5.0 → `redis5.0`; Valkey N → `valkeyN`.
pub fn family(engine: CacheEngine, version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    match (engine, major) {
        (CacheEngine::Valkey, m) => format!("valkey{m}"),
        (CacheEngine::Redis, "6") => "redis6.x".to_string(),
        (CacheEngine::Redis, m) if m.parse::<u32>().is_ok_and(|n| n >= 7) => format!("redis{m}"),
        (CacheEngine::Redis, m) => format!("redis{m}.{}", parts.next().unwrap_or("0")),
    }
}

/// `{env}-cache-{family}` (dots become dashes: `redis6.x` → `redis6-x`).
pub fn parameter_group_name(env: &PartEnv, family: &str) -> String {
    env.aws_name(&format!("cache-{}", family.replace('.', "-")))
}

fn owner_description(env: &PartEnv) -> String {
    format!(
        "Cache parameters of Mosia environment {} (mosia:environment={})",
        env.name, env.name
    )
}

/// True when the group's description names this environment.
fn is_ours(env: &PartEnv, g: &CacheParameterGroup) -> bool {
    g.description() == Some(owner_description(env).as_str())
}

async fn find_parameter_group(
    env: &PartEnv,
    name: &str,
) -> Result<Option<CacheParameterGroup>, PartError> {
    errors::found(
        env.aws
            .elasticache()
            .describe_cache_parameter_groups()
            .cache_parameter_group_name(name)
            .send()
            .await,
        DescribeCacheParameterGroupsError::is_cache_parameter_group_not_found_fault,
    )
    .map(|out| out.and_then(|o| o.cache_parameter_groups().first().cloned()))
    .map_err(|e| {
        SERVICE.error(
            &PART,
            format!("describing cache parameter group `{name}`"),
            "DescribeCacheParameterGroups",
            &e,
        )
    })
}

/// The parameters set in the group (source `user`), every page.
pub(super) async fn user_parameters(
    env: &PartEnv,
    name: &str,
) -> Result<BTreeMap<String, String>, PartError> {
    let mut out = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let page = env
            .aws
            .elasticache()
            .describe_cache_parameters()
            .cache_parameter_group_name(name)
            .source("user")
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("reading the parameters of `{name}`"),
                    "DescribeCacheParameters",
                    &e,
                )
            })?;
        for p in page.parameters() {
            if let (Some(k), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                out.insert(k.to_string(), v.to_string());
            }
        }
        marker = page.marker().map(str::to_string);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

/// The group the cache should use: None (ElastiCache's default) while no parameters were
/// ever configured; else this environment's group of the spec's family, with exactly the
/// configured parameters.
pub(super) async fn ensure_parameter_group(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
) -> Result<Option<String>, PartError> {
    let Some(version) = &spec.engine_version else {
        return Ok(None);
    };
    let family = family(spec.engine, version);
    let name = parameter_group_name(env, &family);
    let found = find_parameter_group(env, &name).await?;
    if found.is_none() && spec.parameters.is_empty() {
        return Ok(None);
    }
    match found {
        Some(g) if !is_ours(env, &g) => {
            return Err(PartError::new(
                &PART,
                format!("adopting cache parameter group `{name}`"),
                format!(
                    "cache parameter group `{name}` already exists and is not managed by this \
                     environment (its description is {:?}): delete or rename it",
                    g.description().unwrap_or_default()
                ),
            ));
        }
        Some(_) => {}
        None => create_parameter_group(env, &name, &family).await?,
    }
    let have = user_parameters(env, &name).await?;
    set_parameters(env, &name, &have, &spec.parameters).await?;
    Ok(Some(name))
}

async fn create_parameter_group(env: &PartEnv, name: &str, family: &str) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %name, family, "creating cache parameter group");
    env.aws
        .elasticache()
        .create_cache_parameter_group()
        .cache_parameter_group_name(name)
        .cache_parameter_group_family(family)
        .description(owner_description(env))
        .set_tags(Some(super::sdk_tags(&env.tags_for(PART.tag()))))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("creating cache parameter group `{name}`"),
                "CreateCacheParameterGroup",
                &e,
            )
        })?;
    Ok(())
}

/// What to set (configured values that differ) and what to reset (set before, no longer
/// configured).
pub(super) fn parameter_changes(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> (Vec<(String, String)>, Vec<String>) {
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let reset = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    (set, reset)
}

async fn set_parameters(
    env: &PartEnv,
    name: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let (set, reset) = parameter_changes(have, want);
    let ec = env.aws.elasticache();
    for chunk in set.chunks(MAX_PARAMETERS_PER_CALL) {
        tracing::info!(part = %PART, object = %name, parameters = ?chunk, "setting cache parameters");
        let values = chunk
            .iter()
            .map(|(k, v)| {
                ParameterNameValue::builder()
                    .parameter_name(k)
                    .parameter_value(v)
                    .build()
            })
            .collect();
        ec.modify_cache_parameter_group()
            .cache_parameter_group_name(name)
            .set_parameter_name_values(Some(values))
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("setting parameters of `{name}`"),
                    "ModifyCacheParameterGroup",
                    &e,
                )
            })?;
    }
    for chunk in reset.chunks(MAX_PARAMETERS_PER_CALL) {
        tracing::info!(part = %PART, object = %name, parameters = ?chunk, "resetting cache parameters");
        let names = chunk
            .iter()
            .map(|k| ParameterNameValue::builder().parameter_name(k).build())
            .collect();
        ec.reset_cache_parameter_group()
            .cache_parameter_group_name(name)
            .set_parameter_name_values(Some(names))
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("resetting parameters of `{name}`"),
                    "ResetCacheParameterGroup",
                    &e,
                )
            })?;
    }
    Ok(())
}

/// Deletes the environment's parameter groups (after its cache), one per family it ran:
/// those named `{env}-cache-*` with its description; others are left alone.
pub(super) async fn delete_parameter_groups(env: &PartEnv) -> Result<(), PartError> {
    let prefix = env.aws_name("cache-");
    let mut marker: Option<String> = None;
    let mut ours = Vec::new();
    loop {
        let page = env
            .aws
            .elasticache()
            .describe_cache_parameter_groups()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("listing the cache parameter groups of `{}`", env.name),
                    "DescribeCacheParameterGroups",
                    &e,
                )
            })?;
        ours.extend(
            page.cache_parameter_groups()
                .iter()
                .filter(|g| {
                    g.cache_parameter_group_name()
                        .is_some_and(|n| n.starts_with(&prefix))
                        && is_ours(env, g)
                })
                .filter_map(|g| g.cache_parameter_group_name().map(str::to_string)),
        );
        marker = page.marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    for name in ours {
        delete_parameter_group(env, &name).await?;
    }
    Ok(())
}

async fn delete_parameter_group(env: &PartEnv, name: &str) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %name, "deleting cache parameter group");
    let result = env
        .aws
        .elasticache()
        .delete_cache_parameter_group()
        .cache_parameter_group_name(name)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cache_parameter_group_not_found_fault()) =>
        {
            Ok(())
        }
        Err(e) => Err(SERVICE.error(
            &PART,
            format!("deleting cache parameter group `{name}`"),
            "DeleteCacheParameterGroup",
            &e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_engine_and_major_version() {
        assert_eq!(family(CacheEngine::Redis, "7.1"), "redis7");
        assert_eq!(family(CacheEngine::Redis, "6.2"), "redis6.x");
        assert_eq!(family(CacheEngine::Redis, "5.0.6"), "redis5.0");
        assert_eq!(family(CacheEngine::Valkey, "8.0"), "valkey8");
        assert_eq!(family(CacheEngine::Valkey, "7.2"), "valkey7");
    }

    #[test]
    fn only_what_differs_is_set_and_what_was_dropped_is_reset() {
        let have = BTreeMap::from([
            ("maxmemory-policy".to_string(), "allkeys-lru".to_string()),
            ("timeout".to_string(), "300".to_string()),
        ]);
        let want = BTreeMap::from([
            ("maxmemory-policy".to_string(), "allkeys-lru".to_string()),
            ("notify-keyspace-events".to_string(), "Ex".to_string()),
        ]);
        let (set, reset) = parameter_changes(&have, &want);
        assert_eq!(
            set,
            [("notify-keyspace-events".to_string(), "Ex".to_string())]
        );
        assert_eq!(reset, ["timeout"]);
    }
}
