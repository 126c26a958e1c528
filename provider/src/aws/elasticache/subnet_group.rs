//! The cache subnet group `{env}-cache` over the network's private subnets: found by name,
//! created or adopted (when its tags say it is ours; its subnets and tags then converge),
//! deleted when ours.

use std::collections::BTreeSet;

use aws_sdk_elasticache::operation::create_cache_subnet_group::CreateCacheSubnetGroupError;
use aws_sdk_elasticache::operation::delete_cache_subnet_group::DeleteCacheSubnetGroupError;
use aws_sdk_elasticache::operation::describe_cache_subnet_groups::DescribeCacheSubnetGroupsError;
use aws_sdk_elasticache::types::CacheSubnetGroup;

use super::{list_tags, sdk_tags, subnet_group_name, sync_tags, PART, SERVICE};
use crate::aws::errors;
use crate::aws::network::NetworkState;
use crate::aws::part::{not_ours, PartEnv};
use crate::engine::PartError;

/// The subnet group `name`; None when ElastiCache answers CacheSubnetGroupNotFoundFault.
pub(super) async fn find_subnet_group(
    env: &PartEnv,
    name: &str,
) -> Result<Option<CacheSubnetGroup>, PartError> {
    errors::found(
        env.aws
            .elasticache()
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(name)
            .send()
            .await,
        DescribeCacheSubnetGroupsError::is_cache_subnet_group_not_found_fault,
    )
    .map(|out| out.and_then(|o| o.cache_subnet_groups().first().cloned()))
    .map_err(|e| {
        SERVICE.error(
            &PART,
            format!("describing cache subnet group `{name}`"),
            "DescribeCacheSubnetGroups",
            &e,
        )
    })
}

/// Creates or adopts the subnet group and returns its name.
pub(super) async fn ensure_subnet_group(
    env: &PartEnv,
    net: &NetworkState,
) -> Result<String, PartError> {
    let name = subnet_group_name(env);
    match find_subnet_group(env, &name).await? {
        None => create(env, net, &name).await?,
        Some(group) => adopt(env, net, &name, &group).await?,
    }
    Ok(name)
}

async fn create(env: &PartEnv, net: &NetworkState, name: &str) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %name, "creating cache subnet group");
    let result = env
        .aws
        .elasticache()
        .create_cache_subnet_group()
        .cache_subnet_group_name(name)
        .cache_subnet_group_description(format!(
            "Private subnets of the Mosia environment {}",
            env.name
        ))
        .set_subnet_ids(Some(net.private_subnet_ids.clone()))
        .set_tags(Some(sdk_tags(&env.tags_for(PART.tag()))))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        // Created meanwhile: adopt it (when ours).
        Err(e)
            if e.as_service_error().is_some_and(
                CreateCacheSubnetGroupError::is_cache_subnet_group_already_exists_fault,
            ) =>
        {
            match find_subnet_group(env, name).await? {
                Some(group) => adopt(env, net, name, &group).await,
                None => Err(SERVICE.error(
                    &PART,
                    format!("creating cache subnet group `{name}`"),
                    "CreateCacheSubnetGroup",
                    &e,
                )),
            }
        }
        Err(e) => Err(SERVICE.error(
            &PART,
            format!("creating cache subnet group `{name}`"),
            "CreateCacheSubnetGroup",
            &e,
        )),
    }
}

/// Adopts a subnet group that is ours: tags and subnets converge.
async fn adopt(
    env: &PartEnv,
    net: &NetworkState,
    name: &str,
    group: &CacheSubnetGroup,
) -> Result<(), PartError> {
    let arn = group.arn().unwrap_or_default();
    let tags = list_tags(env, arn).await?;
    if !env.owns(PART.tag(), &tags) {
        return Err(not_ours(env, &PART, "cache subnet group", name, &tags));
    }
    sync_tags(env, arn, &tags).await?;
    let have: BTreeSet<&str> = group
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier())
        .collect();
    let want: BTreeSet<&str> = net.private_subnet_ids.iter().map(String::as_str).collect();
    if have == want {
        return Ok(());
    }
    tracing::info!(part = %PART, object = %name, "updating cache subnet group subnets");
    env.aws
        .elasticache()
        .modify_cache_subnet_group()
        .cache_subnet_group_name(name)
        .set_subnet_ids(Some(net.private_subnet_ids.clone()))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("updating the subnets of cache subnet group `{name}`"),
                "ModifyCacheSubnetGroup",
                &e,
            )
        })?;
    Ok(())
}

/// Deletes the subnet group when it is ours; NotFound counts as deleted.
pub(super) async fn delete_subnet_group(env: &PartEnv) -> Result<(), PartError> {
    let name = subnet_group_name(env);
    let Some(group) = find_subnet_group(env, &name).await? else {
        return Ok(());
    };
    let tags = list_tags(env, group.arn().unwrap_or_default()).await?;
    if !env.owns(PART.tag(), &tags) {
        tracing::warn!(part = %PART, object = %name, "cache subnet group not owned by this environment: left alone");
        return Ok(());
    }
    tracing::info!(part = %PART, object = %name, "deleting cache subnet group");
    match env
        .aws
        .elasticache()
        .delete_cache_subnet_group()
        .cache_subnet_group_name(&name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error().is_some_and(
                DeleteCacheSubnetGroupError::is_cache_subnet_group_not_found_fault,
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(SERVICE.error(
            &PART,
            format!("deleting cache subnet group `{name}`"),
            "DeleteCacheSubnetGroup",
            &e,
        )),
    }
}
