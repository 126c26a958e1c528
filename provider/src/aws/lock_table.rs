//! The DynamoDB table Terraform's S3 backend uses for state locking (`dynamodb_table`):
//! a `LockID` string hash key, on-demand billing, encrypted.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    SseSpecification, TableStatus, Tag,
};
use aws_sdk_dynamodb::Client;
use mosia_tfplugin::{Context, Diagnostic};

use super::errors;
use crate::aws::wait::AwsKind;
use crate::engine::wait::{wait_until, Poll, WaitError};

const LOCK_KEY: &str = "LockID";

fn build_err(op: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(format!("{op} failed"), format!("invalid request: {e}"))
}

fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, Diagnostic> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| build_err("DynamoDB tagging", e))
}

/// Creates the table and waits until it is ACTIVE; returns its ARN. An existing table with
/// the lock key schema (ours, from an interrupted run) is adopted.
pub async fn create(
    db: &Client,
    name: &str,
    tags: &BTreeMap<String, String>,
    ctx: &Context,
    timeout: Duration,
) -> Result<String, Diagnostic> {
    const OP: &str = "DynamoDB CreateTable";
    let result = db
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(LOCK_KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| build_err(OP, e))?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(LOCK_KEY)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| build_err(OP, e))?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .sse_specification(SseSpecification::builder().enabled(true).build())
        .set_tags(Some(tag_list(tags)?))
        .send()
        .await;
    match result {
        Ok(_) => {}
        Err(e) if errors::code(&e) == Some("ResourceInUseException") => {
            let Some(existing) = describe(db, name).await? else {
                return Err(errors::diagnostic(OP, &e));
            };
            if !existing.has_lock_key {
                return Err(Diagnostic::error(
                    "Lock table name is taken",
                    format!("a DynamoDB table {name:?} exists without the `LockID` string hash key Terraform needs; choose another `lock_table`"),
                ));
            }
        }
        Err(e) => return Err(errors::diagnostic(OP, &e)),
    }
    // Our poll schedule rather than the SDK waiter's fixed 20 s delay: a table is usually
    // ACTIVE within seconds.
    let deadline = tokio::time::Instant::now() + timeout;
    let schedule = AwsKind::DynamoDbTable.poll_schedule();
    wait_until("lock table", schedule, ctx, Some(deadline), || async {
        match db.describe_table().table_name(name).send().await {
            Ok(out) => match out.table().and_then(|t| t.table_status()) {
                Some(TableStatus::Active) => Poll::Ready(
                    out.table()
                        .and_then(|t| t.table_arn())
                        .unwrap_or_default()
                        .to_string(),
                ),
                Some(other) => Poll::Pending(other.as_str().to_string()),
                None => Poll::Pending("UNKNOWN".into()),
            },
            Err(e) if errors::code(&e) == Some("ResourceNotFoundException") => {
                Poll::Pending("NOT_FOUND".into())
            }
            Err(e) => Poll::Failed(errors::diagnostic("DynamoDB DescribeTable", &e)),
        }
    })
    .await
    .map_err(|e| match e {
        WaitError::Failed(d) => d,
        other => Diagnostic::error(
            "Waiting for the lock table failed",
            format!("table {name:?}: {other}"),
        ),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedTable {
    pub arn: String,
    pub has_lock_key: bool,
}

/// None when the table does not exist.
pub async fn describe(db: &Client, name: &str) -> Result<Option<ObservedTable>, Diagnostic> {
    match db.describe_table().table_name(name).send().await {
        Ok(out) => Ok(out.table().map(|t| ObservedTable {
            arn: t.table_arn().unwrap_or_default().to_string(),
            has_lock_key: t
                .key_schema()
                .iter()
                .any(|k| k.attribute_name() == LOCK_KEY && k.key_type() == &KeyType::Hash),
        })),
        Err(e) if errors::code(&e) == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(errors::diagnostic("DynamoDB DescribeTable", &e)),
    }
}

pub async fn tag(
    db: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    db.tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tag_list(tags)?))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| errors::diagnostic("DynamoDB TagResource", &e))
}

/// Deletes the table; a table that is already gone counts as deleted.
pub async fn delete(db: &Client, name: &str) -> Result<(), Diagnostic> {
    match db.delete_table().table_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if errors::code(&e) == Some("ResourceNotFoundException") => Ok(()),
        Err(e) => Err(errors::diagnostic("DynamoDB DeleteTable", &e)),
    }
}
