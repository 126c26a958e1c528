//! The DB subnet group `{env}-db` over the network's private subnets: find, ensure (create,
//! or adopt and converge its subnets and tags), delete.

use std::collections::BTreeSet;

use aws_sdk_rds::operation::create_db_subnet_group::CreateDBSubnetGroupError;
use aws_sdk_rds::operation::delete_db_subnet_group::DeleteDBSubnetGroupError;
use aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDBSubnetGroupsError;
use aws_sdk_rds::types::DbSubnetGroup;

use super::tagging::{list_tags, sdk_tags, sync_tags, wanted};
use super::{subnet_group_name, SERVICE};
use crate::aws::errors;
use crate::aws::network::NetworkState;
use crate::aws::part::{not_ours, PartEnv, PartId};
use crate::engine::{PartError, Resume};

const PART: PartId = PartId::RdsPrimary;

/// The environment's DB subnet group; None when it does not exist.
pub(crate) async fn find_subnet_group(env: &PartEnv) -> Result<Option<DbSubnetGroup>, PartError> {
    let name = subnet_group_name(env);
    let out = errors::found(
        env.aws
            .rds()
            .describe_db_subnet_groups()
            .db_subnet_group_name(&name)
            .send()
            .await,
        DescribeDBSubnetGroupsError::is_db_subnet_group_not_found_fault,
    )
    .map_err(|e| {
        SERVICE.error(
            &PART,
            format!("describing DB subnet group `{name}`"),
            "DescribeDBSubnetGroups",
            &e,
        )
    })?;
    Ok(out.and_then(|o| o.db_subnet_groups().first().cloned()))
}

fn subnet_ids(group: &DbSubnetGroup) -> BTreeSet<String> {
    group
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier().map(str::to_string))
        .collect()
}

/// The subnets of the environment's DB subnet group (import of an environment in the
/// user's own VPC learns `subnet_ids` from it).
pub async fn subnet_group_subnet_ids(env: &PartEnv) -> Result<Vec<String>, PartError> {
    Ok(find_subnet_group(env)
        .await?
        .map(|g| subnet_ids(&g).into_iter().collect())
        .unwrap_or_default())
}

/// The subnet group over `net`'s private subnets, created or adopted; returns its name.
pub(crate) async fn ensure_subnet_group(
    env: &PartEnv,
    net: &NetworkState,
) -> Result<String, PartError> {
    let name = subnet_group_name(env);
    match find_subnet_group(env).await? {
        None => {
            if !create_subnet_group(env, net, &name).await? {
                // Created by a concurrent or crashed run between describe and create.
                return Box::pin(ensure_subnet_group(env, net)).await;
            }
        }
        Some(group) => converge_subnet_group(env, net, &name, &group).await?,
    }
    Ok(name)
}

/// Creates the group; false when it already exists.
async fn create_subnet_group(
    env: &PartEnv,
    net: &NetworkState,
    name: &str,
) -> Result<bool, PartError> {
    tracing::info!(part = %PART, object = %name, "creating DB subnet group");
    let sent = env
        .aws
        .rds()
        .create_db_subnet_group()
        .db_subnet_group_name(name)
        .db_subnet_group_description(format!(
            "Private subnets of the Mosia environment {}",
            env.name
        ))
        .set_subnet_ids(Some(net.private_subnet_ids.clone()))
        .set_tags(Some(sdk_tags(&wanted(env))))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateDBSubnetGroupError::is_db_subnet_group_already_exists_fault) =>
        {
            Ok(false)
        }
        Err(e) => Err(SERVICE.error(
            &PART,
            format!("creating DB subnet group `{name}`"),
            "CreateDBSubnetGroup",
            &e,
        )),
    }
}

/// Adopts an existing group (refused when not ours), syncs its tags and subnets.
async fn converge_subnet_group(
    env: &PartEnv,
    net: &NetworkState,
    name: &str,
    group: &DbSubnetGroup,
) -> Result<(), PartError> {
    let arn = group.db_subnet_group_arn().unwrap_or_default();
    let tags = list_tags(env, &PART, arn).await?;
    if !env.owns(PART.tag(), &tags) {
        return Err(not_ours(env, &PART, "DB subnet group", name, &tags));
    }
    sync_tags(env, &PART, arn, &tags).await?;
    let want: BTreeSet<String> = net.private_subnet_ids.iter().cloned().collect();
    if subnet_ids(group) == want {
        return Ok(());
    }
    tracing::info!(part = %PART, object = %name, "updating DB subnet group subnets");
    env.aws
        .rds()
        .modify_db_subnet_group()
        .db_subnet_group_name(name)
        .set_subnet_ids(Some(net.private_subnet_ids.clone()))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("updating the subnets of DB subnet group `{name}`"),
                "ModifyDBSubnetGroup",
                &e,
            )
        })?;
    Ok(())
}

/// Deletes the group when it is ours; gone counts as deleted.
pub(crate) async fn delete_subnet_group(env: &PartEnv) -> Result<(), PartError> {
    let name = subnet_group_name(env);
    let Some(group) = find_subnet_group(env)
        .await
        .map_err(|e| e.with_resume(Resume::Destroy))?
    else {
        return Ok(());
    };
    let tags = list_tags(env, &PART, group.db_subnet_group_arn().unwrap_or_default())
        .await
        .map_err(|e| e.with_resume(Resume::Destroy))?;
    if !env.owns(PART.tag(), &tags) {
        tracing::warn!(part = %PART, object = %name, "DB subnet group not owned by this environment: left alone");
        return Ok(());
    }
    tracing::info!(part = %PART, object = %name, "deleting DB subnet group");
    let sent = env
        .aws
        .rds()
        .delete_db_subnet_group()
        .db_subnet_group_name(&name)
        .send()
        .await;
    match errors::found(
        sent,
        DeleteDBSubnetGroupError::is_db_subnet_group_not_found_fault,
    ) {
        Ok(_) => Ok(()),
        Err(e) => Err(SERVICE
            .error(
                &PART,
                format!("deleting DB subnet group `{name}`"),
                "DeleteDBSubnetGroup",
                &e,
            )
            .with_resume(Resume::Destroy)),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDbSubnetGroupsOutput;
    use aws_sdk_rds::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_rds::operation::modify_db_subnet_group::ModifyDbSubnetGroupOutput;
    use aws_sdk_rds::types::Subnet;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::rds::testdata::{self, tags};

    fn group(subnets: &[&str]) -> aws_smithy_mocks::Rule {
        let subnets: Vec<Subnet> = subnets
            .iter()
            .map(|s| Subnet::builder().subnet_identifier(*s).build())
            .collect();
        mock!(aws_sdk_rds::Client::describe_db_subnet_groups).then_output(move || {
            DescribeDbSubnetGroupsOutput::builder()
                .db_subnet_groups(
                    DbSubnetGroup::builder()
                        .db_subnet_group_name("mosia-test-db")
                        .db_subnet_group_arn("arn:aws:rds:us-east-1:1:subgrp:mosia-test-db")
                        .set_subnets(Some(subnets.clone()))
                        .build(),
                )
                .build()
        })
    }

    #[tokio::test]
    async fn an_owned_group_follows_the_private_subnets() {
        let describe = group(&["subnet-a", "subnet-old"]);
        let owned = mock!(aws_sdk_rds::Client::list_tags_for_resource).then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tag_list(Some(testdata::owned_tags()))
                .build()
        });
        let modify = mock!(aws_sdk_rds::Client::modify_db_subnet_group)
            .match_requests(|r| r.subnet_ids() == ["subnet-a", "subnet-b"])
            .then_output(|| ModifyDbSubnetGroupOutput::builder().build());
        let env = testdata::env(&[&describe, &owned, &modify]);
        let name = ensure_subnet_group(&env, &testdata::net()).await.unwrap();
        assert_eq!(name, "mosia-test-db");
        assert_eq!(modify.num_calls(), 1);
    }

    #[tokio::test]
    async fn someone_elses_group_is_refused_and_left_alone_on_delete() {
        let describe = group(&["subnet-a", "subnet-b"]);
        let foreign = mock!(aws_sdk_rds::Client::list_tags_for_resource).then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tag_list(Some(tags(&[("team", "x")])))
                .build()
        });
        let delete = mock!(aws_sdk_rds::Client::delete_db_subnet_group).then_output(|| {
            aws_sdk_rds::operation::delete_db_subnet_group::DeleteDbSubnetGroupOutput::builder()
                .build()
        });
        let env = testdata::env(&[&describe, &foreign, &delete]);
        let err = ensure_subnet_group(&env, &testdata::net())
            .await
            .unwrap_err();
        assert_eq!(err.summary, "adopting DB subnet group `mosia-test-db`");
        assert!(
            err.detail.contains("it has no Mosia ownership tags"),
            "{}",
            err.detail
        );
        delete_subnet_group(&env).await.unwrap();
        assert_eq!(delete.num_calls(), 0);
    }
}
