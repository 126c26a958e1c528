//! A workload's IAM role `ENV-wl-NAME`: created with its trust policy and tags, or adopted
//! when its tags say it is this environment's workload; trust, inline policy
//! ([`INLINE_POLICY`]) and managed policies converged to what the block asks.

use std::collections::BTreeMap;

use aws_sdk_iam::operation::create_role::CreateRoleError;
use aws_sdk_iam::operation::delete_role::DeleteRoleError;
use aws_sdk_iam::operation::delete_role_policy::DeleteRolePolicyError;
use aws_sdk_iam::operation::detach_role_policy::DetachRolePolicyError;
use aws_sdk_iam::operation::get_role_policy::GetRolePolicyError;
use aws_sdk_iam::types::Role;
use serde_json::Value;

use super::{part_of, WORKLOAD_TAG};
use crate::aws::errors;
use crate::aws::iam::roles::{
    attached_policies, find_role, parse_policy, sync_role_tags, update_trust_policy,
};
use crate::aws::iam::{tag_map, to_tags, SERVICE};
use crate::aws::part::{not_ours, PartEnv};
use crate::engine::PartError;

/// The name of the generated inline policy.
pub const INLINE_POLICY: &str = "mosia-workload";

/// What a workload's role must be.
pub struct RoleWant<'a> {
    pub workload: &'a str,
    pub role_name: &'a str,
    pub trust: &'a Value,
    pub policy: Option<&'a Value>,
    pub managed: &'a [String],
    pub tags: BTreeMap<String, String>,
}

/// The role as IAM has it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleHave {
    pub arn: String,
    pub trust: Option<Value>,
    pub policy: Option<Value>,
    pub managed: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// The inline policy of role `name` (None when it has none).
async fn inline_policy(
    env: &PartEnv,
    workload: &str,
    name: &str,
) -> Result<Option<Value>, PartError> {
    let res = env
        .aws
        .iam()
        .get_role_policy()
        .role_name(name)
        .policy_name(INLINE_POLICY)
        .send()
        .await;
    let out = errors::found(res, GetRolePolicyError::is_no_such_entity_exception).map_err(|e| {
        SERVICE.error(
            &part_of(workload),
            format!("reading the policy of IAM role `{name}`"),
            "GetRolePolicy",
            &e,
        )
    })?;
    Ok(out.and_then(|o| parse_policy(o.policy_document())))
}

/// The role `name` with its documents, None when it does not exist.
pub async fn read_role(
    env: &PartEnv,
    workload: &str,
    name: &str,
) -> Result<Option<RoleHave>, PartError> {
    let Some(role) = find_role(env, name).await? else {
        return Ok(None);
    };
    Ok(Some(have_of(env, workload, name, &role).await?))
}

/// The documents of `role`, read once it is found.
pub async fn have_of(
    env: &PartEnv,
    workload: &str,
    name: &str,
    role: &Role,
) -> Result<RoleHave, PartError> {
    Ok(RoleHave {
        arn: role.arn().to_string(),
        trust: parse_policy(role.assume_role_policy_document().unwrap_or_default()),
        policy: inline_policy(env, workload, name).await?,
        managed: attached_policies(env, name).await?,
        tags: tag_map(role.tags()),
    })
}

/// Creates or adopts the role and converges it; returns its ARN.
pub async fn ensure_role(env: &PartEnv, want: &RoleWant<'_>) -> Result<String, PartError> {
    let name = want.role_name;
    let have = match find_role(env, name).await? {
        Some(role) => {
            let have = have_of(env, want.workload, name, &role).await?;
            if !owned(env, want.workload, &have.tags) {
                return Err(not_ours(
                    env,
                    &part_of(want.workload),
                    "IAM role",
                    name,
                    &have.tags,
                ));
            }
            have
        }
        None => create_role(env, want).await?,
    };
    converge_role(env, want, &have).await?;
    Ok(have.arn)
}

/// True when `tags` say the role is this environment's workload `workload`.
pub fn owned(env: &PartEnv, workload: &str, tags: &BTreeMap<String, String>) -> bool {
    env.owns(part_of(workload).tag(), tags)
        && tags.get(WORKLOAD_TAG).map(String::as_str) == Some(workload)
}

async fn create_role(env: &PartEnv, want: &RoleWant<'_>) -> Result<RoleHave, PartError> {
    let name = want.role_name;
    let res = env
        .aws
        .iam()
        .create_role()
        .role_name(name)
        .assume_role_policy_document(want.trust.to_string())
        .description(format!(
            "Mosia environment {}: workload {}",
            env.name, want.workload
        ))
        .set_tags(Some(to_tags(&want.tags)))
        .send()
        .await;
    match res {
        Ok(o) => {
            tracing::info!(part = %part_of(want.workload), object = "role", name, "created");
            let arn = o.role.map(|r| r.arn).unwrap_or_default();
            Ok(RoleHave {
                arn,
                trust: Some(want.trust.clone()),
                policy: None,
                managed: vec![],
                tags: want.tags.clone(),
            })
        }
        // Created by a run whose answer was lost: read it back, with the ownership check.
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateRoleError::is_entity_already_exists_exception) =>
        {
            match read_role(env, want.workload, name).await? {
                Some(h) if owned(env, want.workload, &h.tags) => Ok(h),
                Some(h) => Err(not_ours(
                    env,
                    &part_of(want.workload),
                    "IAM role",
                    name,
                    &h.tags,
                )),
                None => Err(SERVICE.error(
                    &part_of(want.workload),
                    format!("creating IAM role `{name}`"),
                    "CreateRole",
                    &e,
                )),
            }
        }
        Err(e) => Err(SERVICE.error(
            &part_of(want.workload),
            format!("creating IAM role `{name}`"),
            "CreateRole",
            &e,
        )),
    }
}

/// Trust, tags, inline policy and managed policies to what `want` says.
async fn converge_role(
    env: &PartEnv,
    want: &RoleWant<'_>,
    have: &RoleHave,
) -> Result<(), PartError> {
    let (iam, name, w) = (env.aws.iam(), want.role_name, want.workload);
    let part = part_of(w);
    if have.trust.as_ref() != Some(want.trust) {
        update_trust_policy(env, &part, name, want.trust).await?;
    }
    sync_role_tags(env, &part, name, &have.tags, &want.tags).await?;
    match want.policy {
        Some(doc) if have.policy.as_ref() != Some(doc) => {
            iam.put_role_policy()
                .role_name(name)
                .policy_name(INLINE_POLICY)
                .policy_document(doc.to_string())
                .send()
                .await
                .map_err(|e| {
                    SERVICE.error(
                        &part,
                        format!("setting the policy of IAM role `{name}`"),
                        "PutRolePolicy",
                        &e,
                    )
                })?;
            tracing::info!(part = %part, object = "role", name, "policy set");
        }
        None if have.policy.is_some() => delete_inline(env, w, name).await?,
        _ => {}
    }
    for arn in want.managed.iter().filter(|a| !have.managed.contains(a)) {
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &part,
                    format!("attaching {arn} to IAM role `{name}`"),
                    "AttachRolePolicy",
                    &e,
                )
            })?;
    }
    for arn in have.managed.iter().filter(|a| !want.managed.contains(a)) {
        detach(env, w, name, arn).await?;
    }
    Ok(())
}

async fn detach(env: &PartEnv, workload: &str, name: &str, arn: &str) -> Result<(), PartError> {
    let res = env
        .aws
        .iam()
        .detach_role_policy()
        .role_name(name)
        .policy_arn(arn)
        .send()
        .await;
    errors::found(res, DetachRolePolicyError::is_no_such_entity_exception)
        .map(|_| ())
        .map_err(|e| {
            SERVICE.error(
                &part_of(workload),
                format!("detaching {arn} from IAM role `{name}`"),
                "DetachRolePolicy",
                &e,
            )
        })
}

async fn delete_inline(env: &PartEnv, workload: &str, name: &str) -> Result<(), PartError> {
    let res = env
        .aws
        .iam()
        .delete_role_policy()
        .role_name(name)
        .policy_name(INLINE_POLICY)
        .send()
        .await;
    errors::found(res, DeleteRolePolicyError::is_no_such_entity_exception)
        .map(|_| ())
        .map_err(|e| {
            SERVICE.error(
                &part_of(workload),
                format!("deleting the policy of IAM role `{name}`"),
                "DeleteRolePolicy",
                &e,
            )
        })
}

/// Deletes the role with its policies; NotFound counts as deleted, a role that is not this
/// environment's workload is left alone.
pub async fn delete_role(env: &PartEnv, workload: &str, name: &str) -> Result<(), PartError> {
    let Some(have) = read_role(env, workload, name).await? else {
        return Ok(());
    };
    if !owned(env, workload, &have.tags) {
        tracing::warn!(part = %part_of(workload), object = "role", name, "not ours: left alone");
        return Ok(());
    }
    for arn in &have.managed {
        detach(env, workload, name, arn).await?;
    }
    if have.policy.is_some() {
        delete_inline(env, workload, name).await?;
    }
    let res = env.aws.iam().delete_role().role_name(name).send().await;
    errors::found(res, DeleteRoleError::is_no_such_entity_exception).map_err(|e| {
        SERVICE.error(
            &part_of(workload),
            format!("deleting IAM role `{name}`"),
            "DeleteRole",
            &e,
        )
    })?;
    tracing::info!(part = %part_of(workload), object = "role", name, "deleted");
    Ok(())
}
