//! The `mosia:environment` cost allocation tag, which the budget's filter needs active
//! (AWS Billing User Guide, "Activating user-defined cost allocation tags"): read with
//! ListCostAllocationTags, activated with UpdateCostAllocationTagsStatus. Only the
//! organization's management account (or a standalone account) may do it; elsewhere Cost
//! Explorer answers AccessDenied, and the status says so (the plan warns with what to do).
//! A tag appears in the list only once AWS has seen it on a resource (up to 24 hours after
//! the first tagged resource): until then it is `not seen yet`.

use aws_sdk_costexplorer::types::{CostAllocationTagStatus, CostAllocationTagStatusEntry};

use super::COST_EXPLORER;
use crate::aws::errors;
use crate::aws::part::{PartEnv, PartId, ENVIRONMENT_TAG};
use crate::engine::PartError;

pub const ACTIVE: &str = "Active";
/// The status when the account may not read or change cost allocation tags.
pub const NOT_ALLOWED: &str = "not allowed in this account";
/// The status while AWS has not yet seen the tag on a resource.
pub const NOT_SEEN_YET: &str = "not seen yet";

fn part() -> String {
    PartId::Budget.to_string()
}

fn denied(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("AccessDeniedException" | "AccessDenied" | "UnauthorizedException")
    )
}

pub const INACTIVE: &str = "Inactive";

/// The tag's status: [`ACTIVE`], [`INACTIVE`], [`NOT_SEEN_YET`] or [`NOT_ALLOWED`].
pub async fn read_status(env: &PartEnv) -> Result<String, PartError> {
    let listed = env
        .aws
        .costexplorer()
        .list_cost_allocation_tags()
        .tag_keys(ENVIRONMENT_TAG)
        .send()
        .await;
    let listed = match listed {
        Err(e) if denied(errors::code(&e)) => return Ok(NOT_ALLOWED.into()),
        other => other.map_err(|e| {
            COST_EXPLORER.error(
                part(),
                "reading the cost allocation tag",
                "ListCostAllocationTags",
                &e,
            )
        })?,
    };
    Ok(match listed.cost_allocation_tags().first() {
        None => NOT_SEEN_YET.into(),
        Some(t) if t.status() == &CostAllocationTagStatus::Active => ACTIVE.into(),
        Some(_) => INACTIVE.into(),
    })
}

/// The tag's status after activating it when it is inactive.
pub async fn ensure_active(env: &PartEnv) -> Result<String, PartError> {
    let status = read_status(env).await?;
    if status != INACTIVE {
        return Ok(status);
    }
    let ce = env.aws.costexplorer();
    let entry = CostAllocationTagStatusEntry::builder()
        .tag_key(ENVIRONMENT_TAG)
        .status(CostAllocationTagStatus::Active)
        .build()
        .map_err(|e| PartError::new(part(), "activating the cost allocation tag", e.to_string()))?;
    let updated = ce
        .update_cost_allocation_tags_status()
        .cost_allocation_tags_status(entry)
        .send()
        .await;
    match updated {
        Err(e) if denied(errors::code(&e)) => Ok(NOT_ALLOWED.into()),
        Err(e) => Err(COST_EXPLORER.error(
            part(),
            "activating the cost allocation tag",
            "UpdateCostAllocationTagsStatus",
            &e,
        )),
        Ok(out) => match out.errors().first() {
            Some(err) => Ok(format!(
                "{}: {}",
                err.code().unwrap_or("error"),
                err.message().unwrap_or_default()
            )),
            None => Ok(ACTIVE.into()),
        },
    }
}
