//! Tags of RDS objects (instances, subnet groups, parameter groups): reading them, and
//! syncing them to the environment's through the shared `tags::sync`.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{DbInstance, Tag};

use super::SERVICE;
use crate::aws::part::{PartEnv, PartId};
use crate::aws::tags;
use crate::engine::PartError;

/// Tags from the SDK's list.
pub(crate) fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(tags.iter().map(|t| (t.key(), t.value())))
}

/// Tags in the SDK's shape.
pub(crate) fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Every tag an RDS object of this environment carries.
pub(crate) fn wanted(env: &PartEnv) -> BTreeMap<String, String> {
    env.tags_for(PartId::RdsPrimary.tag())
}

/// True when the instance's tags say it belongs to this environment's RDS part.
pub(crate) fn owned(env: &PartEnv, db: &DbInstance) -> bool {
    env.owns(PartId::RdsPrimary.tag(), &tag_map(db.tag_list()))
}

/// The tags of the object `arn` (subnet and parameter groups do not carry them in their
/// describe).
pub(crate) async fn list_tags(
    env: &PartEnv,
    part: &PartId,
    arn: &str,
) -> Result<BTreeMap<String, String>, PartError> {
    let out = env
        .aws
        .rds()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                part,
                format!("reading the tags of `{arn}`"),
                "ListTagsForResource",
                &e,
            )
        })?;
    Ok(tag_map(out.tag_list()))
}

/// Makes the tags of `arn` the environment's: adds missing or different tags, removes tags
/// Mosia no longer wants (never `aws:` ones).
pub(crate) async fn sync_tags(
    env: &PartEnv,
    part: &PartId,
    arn: &str,
    have: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let rds = &env.aws.rds();
    let name = part.to_string();
    tags::sync(
        env,
        &name,
        arn,
        have,
        &wanted(env),
        |set| async move {
            rds.add_tags_to_resource()
                .resource_name(arn)
                .set_tags(Some(sdk_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    SERVICE.error(part, format!("tagging `{arn}`"), "AddTagsToResource", &e)
                })
        },
        |keys| async move {
            rds.remove_tags_from_resource()
                .resource_name(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    SERVICE.error(
                        part,
                        format!("untagging `{arn}`"),
                        "RemoveTagsFromResource",
                        &e,
                    )
                })
        },
    )
    .await
}
