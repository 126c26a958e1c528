//! Deleting the IAM part: the environment's OIDC providers (found by their ownership tags)
//! and both roles (managed policies detached, inline policies deleted, instance profiles
//! left first, as IAM requires). NotFound counts as deleted; what is not ours is left alone.
//! IAM deletes are synchronous: when [`delete`] returns, they are gone.

use aws_sdk_iam::operation::delete_open_id_connect_provider::DeleteOpenIDConnectProviderError;
use aws_sdk_iam::operation::delete_role::DeleteRoleError;
use aws_sdk_iam::operation::delete_role_policy::DeleteRolePolicyError;
use aws_sdk_iam::operation::detach_role_policy::DetachRolePolicyError;
use aws_sdk_iam::operation::list_instance_profiles_for_role::ListInstanceProfilesForRoleError;
use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesError;
use aws_sdk_iam::operation::remove_role_from_instance_profile::RemoveRoleFromInstanceProfileError;

use super::super::part::{PartEnv, PartId};
use super::oidc::{find_oidc_provider, list_oidc_providers};
use super::roles::{attached_policies, find_role};
use super::{cluster_role_name, node_role_name, tag_map, PART, SERVICE};
use crate::aws::errors;
use crate::engine::PartError;

/// Deletes the environment's OIDC providers (found by their ownership tags) and both roles.
pub async fn delete(env: &PartEnv) -> Result<(), PartError> {
    delete_oidc_providers(env).await?;
    delete_role(env, &cluster_role_name(env)).await?;
    delete_role(env, &node_role_name(env)).await?;
    super::pod_identity_roles::delete_all(env).await?;
    Ok(())
}

async fn delete_oidc_providers(env: &PartEnv) -> Result<(), PartError> {
    let part = PartId::Iam;
    for arn in list_oidc_providers(env, &part).await? {
        let Some(p) = find_oidc_provider(env, &part, &arn).await? else {
            continue;
        };
        if !env.owns(PART, &tag_map(p.tags())) {
            continue;
        }
        let res = env
            .aws
            .iam()
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .send()
            .await;
        errors::found(
            res,
            DeleteOpenIDConnectProviderError::is_no_such_entity_exception,
        )
        .map_err(|e| {
            SERVICE.error(
                &part,
                format!("deleting IAM OIDC provider `{arn}`"),
                "DeleteOpenIDConnectProvider",
                &e,
            )
        })?;
        tracing::info!(part = PART, object = "oidc-provider", arn = %arn, "deleted");
    }
    Ok(())
}

/// Deletes a role: detaches its managed policies, deletes its inline policies, removes it
/// from instance profiles, then deletes it. NotFound counts as deleted; a role without
/// our tags is left alone.
pub(super) async fn delete_role(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let Some(role) = find_role(env, name).await? else {
        return Ok(());
    };
    if !env.owns(PART, &tag_map(role.tags())) {
        tracing::warn!(part = PART, object = "role", name, "not ours: left alone");
        return Ok(());
    }
    detach_policies(env, name).await?;
    if !delete_inline_policies(env, name).await? || !leave_instance_profiles(env, name).await? {
        return Ok(()); // the role is gone already
    }
    let res = env.aws.iam().delete_role().role_name(name).send().await;
    let deleted =
        errors::found(res, DeleteRoleError::is_no_such_entity_exception).map_err(|e| {
            SERVICE.error(
                &PartId::Iam,
                format!("deleting IAM role `{name}`"),
                "DeleteRole",
                &e,
            )
        })?;
    if deleted.is_some() {
        tracing::info!(part = PART, object = "role", name, "deleted");
    }
    Ok(())
}

async fn detach_policies(env: &PartEnv, name: &str) -> Result<(), PartError> {
    for arn in attached_policies(env, name).await? {
        let res = env
            .aws
            .iam()
            .detach_role_policy()
            .role_name(name)
            .policy_arn(&arn)
            .send()
            .await;
        errors::found(res, DetachRolePolicyError::is_no_such_entity_exception).map_err(|e| {
            SERVICE.error(
                &PartId::Iam,
                format!("detaching {arn} from IAM role `{name}`"),
                "DetachRolePolicy",
                &e,
            )
        })?;
    }
    Ok(())
}

/// Deletes the role's inline policies; false when the role is gone.
async fn delete_inline_policies(env: &PartEnv, name: &str) -> Result<bool, PartError> {
    let iam = env.aws.iam();
    let res = iam.list_role_policies().role_name(name).send().await;
    let Some(out) = errors::found(res, ListRolePoliciesError::is_no_such_entity_exception)
        .map_err(|e| {
            SERVICE.error(
                &PartId::Iam,
                format!("listing inline policies of IAM role `{name}`"),
                "ListRolePolicies",
                &e,
            )
        })?
    else {
        return Ok(false);
    };
    for p in out.policy_names() {
        let res = iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(p)
            .send()
            .await;
        errors::found(res, DeleteRolePolicyError::is_no_such_entity_exception).map_err(|e| {
            SERVICE.error(
                &PartId::Iam,
                format!("deleting inline policy {p} of IAM role `{name}`"),
                "DeleteRolePolicy",
                &e,
            )
        })?;
    }
    Ok(true)
}

/// Removes the role from its instance profiles; false when the role is gone.
async fn leave_instance_profiles(env: &PartEnv, name: &str) -> Result<bool, PartError> {
    let iam = env.aws.iam();
    let res = iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .send()
        .await;
    let Some(out) = errors::found(
        res,
        ListInstanceProfilesForRoleError::is_no_such_entity_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            &PartId::Iam,
            format!("listing instance profiles of IAM role `{name}`"),
            "ListInstanceProfilesForRole",
            &e,
        )
    })?
    else {
        return Ok(false);
    };
    for ip in out.instance_profiles() {
        let ip_name = ip.instance_profile_name();
        let res = iam
            .remove_role_from_instance_profile()
            .instance_profile_name(ip_name)
            .role_name(name)
            .send()
            .await;
        errors::found(
            res,
            RemoveRoleFromInstanceProfileError::is_no_such_entity_exception,
        )
        .map_err(|e| {
            SERVICE.error(
                &PartId::Iam,
                format!("removing IAM role `{name}` from instance profile `{ip_name}`"),
                "RemoveRoleFromInstanceProfile",
                &e,
            )
        })?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::operation::delete_role::DeleteRoleOutput;
    use aws_sdk_iam::operation::get_role::{GetRoleError, GetRoleOutput};
    use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
    use aws_sdk_iam::operation::list_instance_profiles_for_role::ListInstanceProfilesForRoleOutput;
    use aws_sdk_iam::operation::list_open_id_connect_providers::ListOpenIdConnectProvidersOutput;
    use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
    use aws_sdk_iam::types::error::NoSuchEntityException;
    use aws_smithy_mocks::mock;

    use super::super::test_support::{env, owned_tags, role};
    use super::*;

    fn no_providers() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_iam::Client::list_open_id_connect_providers)
            .then_output(|| ListOpenIdConnectProvidersOutput::builder().build())
    }

    #[tokio::test]
    async fn deleting_missing_roles_is_done() {
        let providers = no_providers();
        let get = mock!(aws_sdk_iam::Client::get_role).then_error(|| {
            GetRoleError::NoSuchEntityException(NoSuchEntityException::builder().build())
        });
        let delete_role = mock!(aws_sdk_iam::Client::delete_role)
            .then_output(|| DeleteRoleOutput::builder().build());
        let env = env(&[&providers, &get, &delete_role]);
        delete(&env).await.unwrap();
        assert_eq!(get.num_calls(), 3, "the cluster, node and EBS CSI roles");
        assert_eq!(delete_role.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_role_that_vanishes_during_the_delete_counts_as_deleted() {
        let providers = no_providers();
        let get = mock!(aws_sdk_iam::Client::get_role).then_compute_output(|r| {
            let name = r.role_name().unwrap_or_default();
            GetRoleOutput::builder()
                .role(role(name, "ec2.amazonaws.com", owned_tags()))
                .build()
        });
        let listed = mock!(aws_sdk_iam::Client::list_attached_role_policies)
            .then_output(|| ListAttachedRolePoliciesOutput::builder().build());
        let inline = mock!(aws_sdk_iam::Client::list_role_policies).then_output(|| {
            ListRolePoliciesOutput::builder()
                .set_policy_names(Some(vec![]))
                .build()
                .unwrap()
        });
        let profiles =
            mock!(aws_sdk_iam::Client::list_instance_profiles_for_role).then_output(|| {
                ListInstanceProfilesForRoleOutput::builder()
                    .set_instance_profiles(Some(vec![]))
                    .build()
                    .unwrap()
            });
        let delete_role = mock!(aws_sdk_iam::Client::delete_role).then_error(|| {
            DeleteRoleError::NoSuchEntityException(
                NoSuchEntityException::builder().message("gone").build(),
            )
        });
        let env = env(&[&providers, &get, &listed, &inline, &profiles, &delete_role]);
        delete(&env).await.unwrap();
        assert_eq!(delete_role.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_role_without_our_tags_is_left_alone() {
        let providers = no_providers();
        let get = mock!(aws_sdk_iam::Client::get_role).then_compute_output(|r| {
            let name = r.role_name().unwrap_or_default();
            GetRoleOutput::builder()
                .role(role(name, "ec2.amazonaws.com", vec![]))
                .build()
        });
        let delete_role = mock!(aws_sdk_iam::Client::delete_role)
            .then_output(|| DeleteRoleOutput::builder().build());
        let env = env(&[&providers, &get, &delete_role]);
        delete(&env).await.unwrap();
        assert_eq!(delete_role.num_calls(), 0);
    }
}
