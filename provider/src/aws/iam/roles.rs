//! The environment's IAM roles: find by name, then adopt (ownership tags checked, trust
//! policy, tags and managed policies converged) or create with the trust policy and the
//! policies attached.

use std::collections::BTreeMap;

use aws_sdk_iam::operation::create_role::CreateRoleError;
use aws_sdk_iam::operation::get_role::GetRoleError;
use aws_sdk_iam::types::Role;

use super::super::part::{not_ours, PartEnv, PartId};
use super::super::tags;
use super::{policy_arn, tag_map, to_tags, trust_policy, PART, SERVICE};
use crate::aws::errors;
use crate::engine::PartError;

/// Role `name` (one GetRole); None when it does not exist.
pub(crate) async fn find_role(env: &PartEnv, name: &str) -> Result<Option<Role>, PartError> {
    let out = errors::found(
        env.aws.iam().get_role().role_name(name).send().await,
        GetRoleError::is_no_such_entity_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            &PartId::Iam,
            format!("reading IAM role `{name}`"),
            "GetRole",
            &e,
        )
    })?;
    Ok(out.and_then(|o| o.role))
}

/// ARNs of the managed policies attached to role `name` (all pages, sorted).
pub(crate) async fn attached_policies(env: &PartEnv, name: &str) -> Result<Vec<String>, PartError> {
    let mut arns = vec![];
    let mut marker = None;
    loop {
        let out = env
            .aws
            .iam()
            .list_attached_role_policies()
            .role_name(name)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PartId::Iam,
                    format!("reading the policies of IAM role `{name}`"),
                    "ListAttachedRolePolicies",
                    &e,
                )
            })?;
        arns.extend(
            out.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string)),
        );
        if out.is_truncated() {
            marker = out.marker;
        } else {
            break;
        }
    }
    arns.sort();
    Ok(arns)
}

/// Creates or adopts one role and converges its trust policy, tags and policies. Returns
/// the role's ARN and its attached policies.
pub(super) async fn ensure_role(
    env: &PartEnv,
    name: &str,
    service: &str,
    policies: &[&str],
) -> Result<(String, Vec<String>), PartError> {
    ensure_role_trusting(env, name, &Trust::service(service), policies).await
}

/// Who may assume a role: the service named in the description, and the trust policy.
pub(super) struct Trust {
    pub service: String,
    pub policy: serde_json::Value,
}

impl Trust {
    /// `service` may call sts:AssumeRole ([`trust_policy`]).
    pub fn service(service: &str) -> Trust {
        Trust {
            service: service.to_string(),
            policy: trust_policy(service),
        }
    }
}

/// [`ensure_role`] with any trust policy (EKS Pod Identity roles have their own).
pub(super) async fn ensure_role_trusting(
    env: &PartEnv,
    name: &str,
    trust: &Trust,
    policies: &[&str],
) -> Result<(String, Vec<String>), PartError> {
    let (role, created) = match find_role(env, name).await? {
        Some(r) => (r, false),
        None => create_role(env, name, trust).await?,
    };
    let attached = if created {
        vec![] // a new role has no policies
    } else {
        adopt_role(env, name, &trust.policy, &role).await?;
        attached_policies(env, name).await?
    };
    let attached = attach_policies(env, name, policies, attached).await?;
    Ok((role.arn().to_string(), attached))
}

/// Creates role `name` trusted by `service`; (role, true) when created, (role, false) when
/// it was created meanwhile by someone else (adopted after the ownership check).
async fn create_role(env: &PartEnv, name: &str, trust: &Trust) -> Result<(Role, bool), PartError> {
    let summary = format!("creating IAM role `{name}`");
    let service = &trust.service;
    let res = env
        .aws
        .iam()
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.policy.to_string())
        .description(format!(
            "Mosia environment {}: assumed by {service}",
            env.name
        ))
        .set_tags(Some(to_tags(&env.tags_for(PART))))
        .send()
        .await;
    match res {
        Ok(o) => {
            tracing::info!(part = PART, object = "role", name, "created");
            let role = o.role.ok_or_else(|| {
                PartError::new(
                    &PartId::Iam,
                    summary.as_str(),
                    "IAM CreateRole returned no role",
                )
            })?;
            Ok((role, true))
        }
        // Created concurrently (or by a run whose answer was lost): read it back and
        // apply the ownership check.
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateRoleError::is_entity_already_exists_exception) =>
        {
            match find_role(env, name).await? {
                Some(r) => Ok((r, false)),
                None => Err(SERVICE.error(&PartId::Iam, summary, "CreateRole", &e)),
            }
        }
        Err(e) => Err(SERVICE.error(&PartId::Iam, summary, "CreateRole", &e)),
    }
}

/// Adopts an existing role: refuses it without our ownership tags, converges its trust
/// policy and tags.
async fn adopt_role(
    env: &PartEnv,
    name: &str,
    trust: &serde_json::Value,
    role: &Role,
) -> Result<(), PartError> {
    let part = PartId::Iam;
    let have = tag_map(role.tags());
    if !env.owns(PART, &have) {
        return Err(not_ours(env, &part, "IAM role", name, &have));
    }
    tracing::info!(part = PART, object = "role", name, "adopting");
    let current = parse_policy(role.assume_role_policy_document().unwrap_or_default());
    if current.as_ref() != Some(trust) {
        update_trust_policy(env, &part, name, trust).await?;
    }
    sync_role_tags(env, &part, name, &have, &env.tags_for(PART)).await
}

/// Sets role `name`'s trust policy to `trust`; errors are `part`'s.
pub(crate) async fn update_trust_policy(
    env: &PartEnv,
    part: &PartId,
    name: &str,
    trust: &serde_json::Value,
) -> Result<(), PartError> {
    env.aws
        .iam()
        .update_assume_role_policy()
        .role_name(name)
        .policy_document(trust.to_string())
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                part,
                format!("updating the trust policy of IAM role `{name}`"),
                "UpdateAssumeRolePolicy",
                &e,
            )
        })?;
    tracing::info!(part = %part, object = "role", name, "trust policy updated");
    Ok(())
}

/// Converges role `name`'s tags from `have` to `want` (keys Mosia never wrote are left
/// alone, see [`tags::sync`]); errors are `part`'s.
pub(crate) async fn sync_role_tags(
    env: &PartEnv,
    part: &PartId,
    name: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let iam = env.aws.iam();
    let key = part.to_string();
    let part = key.as_str();
    tags::sync(
        env,
        part,
        name,
        have,
        want,
        |set: BTreeMap<String, String>| async move {
            iam.tag_role()
                .role_name(name)
                .set_tags(Some(to_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    SERVICE.error(part, format!("tagging IAM role `{name}`"), "TagRole", &e)
                })
        },
        |keys| async move {
            iam.untag_role()
                .role_name(name)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    SERVICE.error(
                        part,
                        format!("untagging IAM role `{name}`"),
                        "UntagRole",
                        &e,
                    )
                })
        },
    )
    .await
}

/// Attaches the managed `policies` missing from `attached`; returns all attached (sorted).
async fn attach_policies(
    env: &PartEnv,
    name: &str,
    policies: &[&str],
    mut attached: Vec<String>,
) -> Result<Vec<String>, PartError> {
    for p in policies {
        let parn = policy_arn(env, p);
        if attached.contains(&parn) {
            continue;
        }
        env.aws
            .iam()
            .attach_role_policy()
            .role_name(name)
            .policy_arn(&parn)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PartId::Iam,
                    format!("attaching {p} to IAM role `{name}`"),
                    "AttachRolePolicy",
                    &e,
                )
            })?;
        tracing::info!(part = PART, object = "role", name, policy = %p, "policy attached");
        attached.push(parn);
    }
    attached.sort();
    Ok(attached)
}

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The policy document as JSON, whether IAM returned it URL-encoded or not.
pub(crate) fn parse_policy(doc: &str) -> Option<serde_json::Value> {
    serde_json::from_str(doc)
        .ok()
        .or_else(|| serde_json::from_str(&percent_decode(doc)).ok())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_iam::operation::attach_role_policy::AttachRolePolicyOutput;
    use aws_sdk_iam::operation::create_role::CreateRoleOutput;
    use aws_sdk_iam::operation::get_role::GetRoleOutput;
    use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
    use aws_sdk_iam::types::error::NoSuchEntityException;
    use aws_sdk_iam::types::AttachedPolicy;
    use aws_smithy_mocks::mock;

    use super::super::test_support::{env, owned_tags, role};
    use super::super::{ensure, CLUSTER_POLICIES, NODE_POLICIES};
    use super::*;

    fn service_of(name: &str) -> &'static str {
        if name.ends_with("-eks-cluster") {
            "eks.amazonaws.com"
        } else {
            "ec2.amazonaws.com"
        }
    }

    fn arn(policy: &str) -> String {
        format!("arn:aws:iam::aws:policy/{policy}")
    }

    #[tokio::test]
    async fn owned_roles_are_adopted_and_nothing_is_created_or_attached() {
        let get = mock!(aws_sdk_iam::Client::get_role).then_compute_output(|r| {
            let name = r.role_name().unwrap_or_default();
            GetRoleOutput::builder()
                .role(role(name, service_of(name), owned_tags()))
                .build()
        });
        let listed =
            mock!(aws_sdk_iam::Client::list_attached_role_policies).then_compute_output(|r| {
                let policies = if r.role_name() == Some("mosia-test-eks-cluster") {
                    CLUSTER_POLICIES
                } else {
                    NODE_POLICIES
                };
                let attached = policies
                    .iter()
                    .map(|p| AttachedPolicy::builder().policy_arn(arn(p)).build());
                ListAttachedRolePoliciesOutput::builder()
                    .set_attached_policies(Some(attached.collect()))
                    .is_truncated(false)
                    .build()
            });
        let create = mock!(aws_sdk_iam::Client::create_role)
            .then_output(|| CreateRoleOutput::builder().build());
        let attach = mock!(aws_sdk_iam::Client::attach_role_policy)
            .then_output(|| AttachRolePolicyOutput::builder().build());
        let env = env(&[&get, &listed, &create, &attach]);
        let state = ensure(&env).await.unwrap();
        assert_eq!(
            state.cluster_role_arn,
            "arn:aws:iam::123456789012:role/mosia-test-eks-cluster"
        );
        assert_eq!(
            state.node_role_arn,
            "arn:aws:iam::123456789012:role/mosia-test-eks-node"
        );
        assert_eq!(state.node_role_policies.len(), 3);
        assert_eq!((create.num_calls(), attach.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn missing_roles_are_created_with_the_trust_policy_and_the_worker_policies() {
        let get = mock!(aws_sdk_iam::Client::get_role).then_error(|| {
            GetRoleError::NoSuchEntityException(
                NoSuchEntityException::builder()
                    .message("not found")
                    .build(),
            )
        });
        let created = Arc::new(Mutex::new(Vec::new()));
        let seen = created.clone();
        let create = mock!(aws_sdk_iam::Client::create_role).then_compute_output(move |r| {
            seen.lock().unwrap().push(r.clone());
            let name = r.role_name().unwrap_or_default();
            CreateRoleOutput::builder()
                .role(role(name, service_of(name), owned_tags()))
                .build()
        });
        let attached = Arc::new(Mutex::new(Vec::new()));
        let seen = attached.clone();
        let attach = mock!(aws_sdk_iam::Client::attach_role_policy).then_compute_output(move |r| {
            let pair = (
                r.role_name().unwrap_or_default().to_string(),
                r.policy_arn().unwrap_or_default().to_string(),
            );
            seen.lock().unwrap().push(pair);
            AttachRolePolicyOutput::builder().build()
        });
        let listed = mock!(aws_sdk_iam::Client::list_attached_role_policies)
            .then_output(|| ListAttachedRolePoliciesOutput::builder().build());
        let env = env(&[&get, &create, &attach, &listed]);
        let state = ensure(&env).await.unwrap();
        assert_eq!(listed.num_calls(), 0, "a new role has no policies to list");

        let created = created.lock().unwrap().clone();
        let node = created
            .iter()
            .find(|r| r.role_name() == Some("mosia-test-eks-node"))
            .unwrap();
        let trust: serde_json::Value =
            serde_json::from_str(node.assume_role_policy_document().unwrap()).unwrap();
        assert_eq!(trust, trust_policy("ec2.amazonaws.com"));
        let tags = tag_map(node.tags());
        assert_eq!(tags.get("mosia:part").map(String::as_str), Some("iam"));
        assert_eq!(
            tags.get("mosia:environment").map(String::as_str),
            Some("mosia-test")
        );
        let cluster = created
            .iter()
            .find(|r| r.role_name() == Some("mosia-test-eks-cluster"))
            .unwrap();
        let trust: serde_json::Value =
            serde_json::from_str(cluster.assume_role_policy_document().unwrap()).unwrap();
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"],
            "eks.amazonaws.com"
        );

        let mut node_policies: Vec<String> = attached
            .lock()
            .unwrap()
            .iter()
            .filter(|(role, _)| role == "mosia-test-eks-node")
            .map(|(_, p)| p.clone())
            .collect();
        node_policies.sort();
        let mut want: Vec<String> = NODE_POLICIES.iter().map(|p| arn(p)).collect();
        want.sort();
        assert_eq!(node_policies, want);
        assert_eq!(state.node_role_policies, want);
        assert_eq!(state.cluster_role_policies, [arn("AmazonEKSClusterPolicy")]);
    }

    #[tokio::test]
    async fn a_role_without_our_tags_is_refused() {
        let get = mock!(aws_sdk_iam::Client::get_role).then_compute_output(|r| {
            let name = r.role_name().unwrap_or_default();
            GetRoleOutput::builder()
                .role(role(name, service_of(name), vec![]))
                .build()
        });
        let env = env(&[&get]);
        let err = ensure_role(
            &env,
            "mosia-test-eks-node",
            "ec2.amazonaws.com",
            NODE_POLICIES,
        )
        .await
        .unwrap_err();
        assert_eq!(err.part, "iam");
        assert!(
            err.detail.contains("does not carry the ownership tags"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("IAM role `mosia-test-eks-node`"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn policy_documents_parse_encoded_or_not() {
        let t = trust_policy("eks.amazonaws.com");
        assert_eq!(parse_policy(&t.to_string()), Some(t.clone()));
        let encoded = t
            .to_string()
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
            .replace(':', "%3A");
        assert_eq!(parse_policy(&encoded), Some(t));
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
