//! The IAM part of an environment: the EKS cluster role (`{env}-eks-cluster`, trusted by
//! eks.amazonaws.com, AmazonEKSClusterPolicy) and the node role (`{env}-eks-node`, trusted
//! by ec2.amazonaws.com, AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy,
//! AmazonEC2ContainerRegistryReadOnly), and the cluster's IAM OIDC provider for IRSA.
//!
//! Roles are found by name. A role with our name is adopted only when it carries this
//! environment's ownership tags; a role of that name without them belongs to someone else,
//! and `ensure` fails instead of taking it over. `ensure` on an adopted role converges its
//! trust policy, tags and attached managed policies (policies attached by others are left
//! alone; `delete` detaches everything, as IAM requires before DeleteRole).

use std::collections::BTreeMap;
use std::error::Error as StdError;

use aws_sdk_iam::types::{Role, Tag};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::errors;
use super::part::{PartEnv, ENVIRONMENT_TAG, PART_TAG};
use crate::engine::PartError;

/// The part name in tags and errors.
pub const PART: &str = "iam";
/// The audience of IRSA web identity tokens.
pub const STS_CLIENT_ID: &str = "sts.amazonaws.com";
/// Thumbprint of the root CA that signs the EKS OIDC issuers' TLS certificates (the value
/// the IAM console and eksctl compute for `oidc.eks.<region>.amazonaws.com`).
///
/// Why a constant: computing a thumbprint needs a TLS connection to the issuer, which this
/// provider avoids (it must also work offline, against emulators). Since mid-2023 IAM no
/// longer uses the thumbprint for OIDC providers hosted by AWS (EKS issuers among them): it
/// verifies them against its own library of trusted root CAs, so the value is not what
/// secures IRSA. The API still accepts (and older partitions/SDKs expect) a list, so we pass
/// the well-known root CA thumbprint, as AWS's console does, rather than a placeholder.
pub const EKS_OIDC_ROOT_CA_THUMBPRINT: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";

pub const CLUSTER_POLICIES: &[&str] = &["AmazonEKSClusterPolicy"];
pub const NODE_POLICIES: &[&str] = &[
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
];

#[derive(Debug, Clone, PartialEq)]
pub struct IamState {
    pub cluster_role_arn: String,
    pub node_role_arn: String,
    /// ARNs of the managed policies attached to the cluster role (sorted), as observed.
    pub cluster_role_policies: Vec<String>,
    /// ARNs of the managed policies attached to the node role (sorted), as observed.
    pub node_role_policies: Vec<String>,
}

/// `{env}-eks-cluster`.
pub fn cluster_role_name(env: &PartEnv) -> String {
    env.aws_name("eks-cluster")
}

/// `{env}-eks-node`.
pub fn node_role_name(env: &PartEnv) -> String {
    env.aws_name("eks-node")
}

fn policy_arn(env: &PartEnv, name: &str) -> String {
    format!(
        "arn:{}:iam::aws:policy/{name}",
        super::partition(&env.aws.region())
    )
}

/// The trust policy letting `service` assume the role.
pub fn trust_policy(service: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole"
        }]
    })
}

fn aws_error<E, R>(summary: impl Into<String>, op: &str, e: &SdkError<E, R>) -> PartError
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    let d = errors::diagnostic(op, e);
    let retryable = match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        _ => matches!(
            errors::code(e),
            Some(
                "Throttling" | "ThrottlingException" | "ServiceFailure" | "ConcurrentModification"
            )
        ),
    };
    PartError::new(PART, summary, format!("{}: {}", d.summary, d.detail)).retryable(retryable)
}

fn no_such_entity<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    errors::code(e) == Some("NoSuchEntity")
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn to_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
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
fn parse_policy(doc: &str) -> Option<serde_json::Value> {
    serde_json::from_str(doc)
        .ok()
        .or_else(|| serde_json::from_str(&percent_decode(doc)).ok())
}

fn not_ours(env: &PartEnv, what: &str, name: &str) -> PartError {
    PartError::new(
        PART,
        format!("adopting {what} `{name}`"),
        format!(
            "{what} `{name}` already exists but does not carry the ownership tags of \
             environment `{}` ({ENVIRONMENT_TAG}={}, {PART_TAG}={PART}): it belongs to \
             someone else, so Mosia will not take it over. Rename the environment, or delete \
             or rename that {what}",
            env.name, env.name
        ),
    )
}

async fn get_role(env: &PartEnv, name: &str) -> Result<Option<Role>, PartError> {
    match env.aws.iam().get_role().role_name(name).send().await {
        Ok(o) => Ok(o.role),
        Err(e) if no_such_entity(&e) => Ok(None),
        Err(e) => Err(aws_error(
            format!("reading IAM role `{name}`"),
            "IAM GetRole",
            &e,
        )),
    }
}

async fn attached_policies(env: &PartEnv, name: &str) -> Result<Vec<String>, PartError> {
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
                aws_error(
                    format!("reading the policies of IAM role `{name}`"),
                    "IAM ListAttachedRolePolicies",
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
async fn ensure_role(
    env: &PartEnv,
    name: &str,
    service: &str,
    policies: &[&str],
) -> Result<(String, Vec<String>), PartError> {
    let iam = env.aws.iam();
    let tags = env.tags_for(PART);
    let trust = trust_policy(service);
    let (role, created) = match get_role(env, name).await? {
        Some(r) => (r, false),
        None => {
            let res = iam
                .create_role()
                .role_name(name)
                .assume_role_policy_document(trust.to_string())
                .description(format!(
                    "Mosia environment {}: assumed by {service}",
                    env.name
                ))
                .set_tags(Some(to_tags(&tags)))
                .send()
                .await;
            match res {
                Ok(o) => {
                    tracing::info!(part = PART, object = "role", name, "created");
                    (
                        o.role.ok_or_else(|| {
                            PartError::new(
                                PART,
                                format!("creating IAM role `{name}`"),
                                "IAM CreateRole returned no role",
                            )
                        })?,
                        true,
                    )
                }
                // Created concurrently (or by a run whose answer was lost): read it back and
                // apply the ownership check below.
                Err(e) if errors::code(&e) == Some("EntityAlreadyExists") => {
                    match get_role(env, name).await? {
                        Some(r) => (r, false),
                        None => {
                            return Err(aws_error(
                                format!("creating IAM role `{name}`"),
                                "IAM CreateRole",
                                &e,
                            ))
                        }
                    }
                }
                Err(e) => {
                    return Err(aws_error(
                        format!("creating IAM role `{name}`"),
                        "IAM CreateRole",
                        &e,
                    ))
                }
            }
        }
    };
    let arn = role.arn().to_string();
    if !created {
        let have = tag_map(role.tags());
        if !env.owns(PART, &have) {
            return Err(not_ours(env, "IAM role", name));
        }
        tracing::info!(part = PART, object = "role", name, "adopting");
        // Trust policy.
        let current = parse_policy(role.assume_role_policy_document().unwrap_or_default());
        if current.as_ref() != Some(&trust) {
            iam.update_assume_role_policy()
                .role_name(name)
                .policy_document(trust.to_string())
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("updating the trust policy of IAM role `{name}`"),
                        "IAM UpdateAssumeRolePolicy",
                        &e,
                    )
                })?;
            tracing::info!(part = PART, object = "role", name, "trust policy updated");
        }
        // Tags.
        let (add, remove) = super::tags::diff(&have, &tags);
        if !add.is_empty() {
            iam.tag_role()
                .role_name(name)
                .set_tags(Some(to_tags(&add)))
                .send()
                .await
                .map_err(|e| aws_error(format!("tagging IAM role `{name}`"), "IAM TagRole", &e))?;
        }
        if !remove.is_empty() {
            iam.untag_role()
                .role_name(name)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| {
                    aws_error(format!("untagging IAM role `{name}`"), "IAM UntagRole", &e)
                })?;
        }
    }
    // Managed policies: attach what is missing (a new role has none).
    let mut attached = if created {
        vec![]
    } else {
        attached_policies(env, name).await?
    };
    for p in policies {
        let parn = policy_arn(env, p);
        if attached.contains(&parn) {
            continue;
        }
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(&parn)
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    format!("attaching {p} to IAM role `{name}`"),
                    "IAM AttachRolePolicy",
                    &e,
                )
            })?;
        tracing::info!(part = PART, object = "role", name, policy = %p, "policy attached");
        attached.push(parn);
    }
    attached.sort();
    Ok((arn, attached))
}

/// Creates or adopts the EKS cluster and node roles, with their managed policies attached.
///
/// New roles take a few seconds to propagate inside IAM; the services that use them (EKS
/// CreateCluster / CreateNodegroup) may answer "role cannot be assumed" meanwhile, which
/// the EKS part treats as retryable.
pub async fn ensure(env: &PartEnv) -> Result<IamState, PartError> {
    let cluster = cluster_role_name(env);
    let node = node_role_name(env);
    let (c, n) = futures::join!(
        ensure_role(env, &cluster, "eks.amazonaws.com", CLUSTER_POLICIES),
        ensure_role(env, &node, "ec2.amazonaws.com", NODE_POLICIES),
    );
    let (cluster_role_arn, cluster_role_policies) = c?;
    let (node_role_arn, node_role_policies) = n?;
    Ok(IamState {
        cluster_role_arn,
        node_role_arn,
        cluster_role_policies,
        node_role_policies,
    })
}

/// The roles as they are now (one GetRole and one ListAttachedRolePolicies per role). None
/// when neither role exists; a role that is missing, or exists without our ownership tags,
/// reads as an empty ARN (drift the next apply repairs, or reports).
pub async fn read(env: &PartEnv) -> Result<Option<IamState>, PartError> {
    let mut out = vec![];
    for name in [cluster_role_name(env), node_role_name(env)] {
        match get_role(env, &name).await? {
            Some(r) if env.owns(PART, &tag_map(r.tags())) => {
                let policies = attached_policies(env, &name).await?;
                out.push(Some((r.arn().to_string(), policies)));
            }
            _ => out.push(None),
        }
    }
    if out.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut it = out.into_iter().map(Option::unwrap_or_default);
    let (cluster_role_arn, cluster_role_policies) = it.next().unwrap_or_default();
    let (node_role_arn, node_role_policies) = it.next().unwrap_or_default();
    Ok(Some(IamState {
        cluster_role_arn,
        node_role_arn,
        cluster_role_policies,
        node_role_policies,
    }))
}

/// `oidc.eks.us-east-1.amazonaws.com/id/ABC`: the issuer without its scheme, as it appears
/// at the end of the provider's ARN.
fn issuer_host_path(issuer_url: &str) -> &str {
    issuer_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
}

/// ARNs of every OIDC provider of the account.
async fn list_oidc_providers(env: &PartEnv) -> Result<Vec<String>, PartError> {
    let out = env
        .aws
        .iam()
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| {
            aws_error(
                "listing IAM OIDC providers",
                "IAM ListOpenIDConnectProviders",
                &e,
            )
        })?;
    Ok(out
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(str::to_string))
        .collect())
}

fn find_provider<'a>(arns: &'a [String], issuer_url: &str) -> Option<&'a String> {
    let suffix = format!(":oidc-provider/{}", issuer_host_path(issuer_url));
    arns.iter().find(|a| a.ends_with(&suffix))
}

/// Creates (or adopts) the IAM OIDC provider of an EKS cluster's issuer, for IAM roles for
/// service accounts (client id sts.amazonaws.com). Returns the provider's ARN.
///
/// A provider for the issuer that exists without our tags is adopted and tagged: the issuer
/// URL is unique to this environment's cluster, so nobody else can use it (it is typically
/// one `eksctl utils associate-iam-oidc-provider` created).
pub async fn ensure_oidc_provider(env: &PartEnv, issuer_url: &str) -> Result<String, PartError> {
    let iam = env.aws.iam();
    if !issuer_url.starts_with("https://") {
        return Err(PartError::new(
            PART,
            "creating the IAM OIDC provider",
            format!("the issuer `{issuer_url}` is not an https:// URL"),
        ));
    }
    let tags = env.tags_for(PART);
    let arns = list_oidc_providers(env).await?;
    let arn = match find_provider(&arns, issuer_url) {
        Some(arn) => arn.clone(),
        None => {
            let res = iam
                .create_open_id_connect_provider()
                .url(issuer_url)
                .client_id_list(STS_CLIENT_ID)
                .thumbprint_list(EKS_OIDC_ROOT_CA_THUMBPRINT)
                .set_tags(Some(to_tags(&tags)))
                .send()
                .await;
            match res {
                Ok(o) => {
                    let arn = o
                        .open_id_connect_provider_arn()
                        .unwrap_or_default()
                        .to_string();
                    tracing::info!(part = PART, object = "oidc-provider", arn = %arn, "created");
                    return Ok(arn);
                }
                Err(e) if errors::code(&e) == Some("EntityAlreadyExists") => {
                    let arns = list_oidc_providers(env).await?;
                    find_provider(&arns, issuer_url).cloned().ok_or_else(|| {
                        aws_error(
                            "creating the IAM OIDC provider",
                            "IAM CreateOpenIDConnectProvider",
                            &e,
                        )
                    })?
                }
                Err(e) => {
                    return Err(aws_error(
                        "creating the IAM OIDC provider",
                        "IAM CreateOpenIDConnectProvider",
                        &e,
                    ))
                }
            }
        }
    };
    // Adopt: the audience and the tags.
    let p = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .map_err(|e| {
            aws_error(
                format!("reading IAM OIDC provider `{arn}`"),
                "IAM GetOpenIDConnectProvider",
                &e,
            )
        })?;
    // The issuer is unique to our cluster, so an untagged provider for it (made by eksctl or
    // by hand) is adopted; one another Mosia environment claims is not.
    let have = tag_map(p.tags());
    if have
        .get(ENVIRONMENT_TAG)
        .is_some_and(|other| *other != env.name)
    {
        return Err(not_ours(env, "IAM OIDC provider", &arn));
    }
    tracing::info!(part = PART, object = "oidc-provider", arn = %arn, "adopting");
    if !p.client_id_list().iter().any(|c| c == STS_CLIENT_ID) {
        iam.add_client_id_to_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .client_id(STS_CLIENT_ID)
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    format!("adding the {STS_CLIENT_ID} audience to `{arn}`"),
                    "IAM AddClientIDToOpenIDConnectProvider",
                    &e,
                )
            })?;
    }
    let add: BTreeMap<String, String> = tags
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !add.is_empty() {
        iam.tag_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .set_tags(Some(to_tags(&add)))
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    format!("tagging IAM OIDC provider `{arn}`"),
                    "IAM TagOpenIDConnectProvider",
                    &e,
                )
            })?;
    }
    Ok(arn)
}

/// The environment's OIDC provider for `issuer_url`, if it exists (and is ours).
pub async fn read_oidc_provider(
    env: &PartEnv,
    issuer_url: &str,
) -> Result<Option<String>, PartError> {
    let arns = list_oidc_providers(env).await?;
    let Some(arn) = find_provider(&arns, issuer_url) else {
        return Ok(None);
    };
    match env
        .aws
        .iam()
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
    {
        Ok(p) if env.owns(PART, &tag_map(p.tags())) => Ok(Some(arn.clone())),
        Ok(_) => Ok(None),
        Err(e) if no_such_entity(&e) => Ok(None),
        Err(e) => Err(aws_error(
            format!("reading IAM OIDC provider `{arn}`"),
            "IAM GetOpenIDConnectProvider",
            &e,
        )),
    }
}

/// Deletes a role: detaches its managed policies, deletes its inline policies, removes it
/// from instance profiles, then deletes it. NotFound counts as deleted; a role without
/// our tags is left alone.
async fn delete_role(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let iam = env.aws.iam();
    let Some(role) = get_role(env, name).await? else {
        return Ok(());
    };
    if !env.owns(PART, &tag_map(role.tags())) {
        tracing::warn!(part = PART, object = "role", name, "not ours: left alone");
        return Ok(());
    }
    let gone = |e: &SdkError<_, _>| no_such_entity(e);
    for arn in attached_policies(env, name).await? {
        match iam
            .detach_role_policy()
            .role_name(name)
            .policy_arn(&arn)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if gone(&e) => {}
            Err(e) => {
                return Err(aws_error(
                    format!("detaching {arn} from IAM role `{name}`"),
                    "IAM DetachRolePolicy",
                    &e,
                ))
            }
        }
    }
    match iam.list_role_policies().role_name(name).send().await {
        Ok(out) => {
            for p in out.policy_names() {
                match iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(p)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    Err(e) if no_such_entity(&e) => {}
                    Err(e) => {
                        return Err(aws_error(
                            format!("deleting inline policy {p} of IAM role `{name}`"),
                            "IAM DeleteRolePolicy",
                            &e,
                        ))
                    }
                }
            }
        }
        Err(e) if no_such_entity(&e) => return Ok(()),
        Err(e) => {
            return Err(aws_error(
                format!("listing inline policies of IAM role `{name}`"),
                "IAM ListRolePolicies",
                &e,
            ))
        }
    }
    match iam
        .list_instance_profiles_for_role()
        .role_name(name)
        .send()
        .await
    {
        Ok(out) => {
            for ip in out.instance_profiles() {
                let ip_name = ip.instance_profile_name();
                match iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(ip_name)
                    .role_name(name)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    Err(e) if no_such_entity(&e) => {}
                    Err(e) => {
                        return Err(aws_error(
                            format!("removing IAM role `{name}` from instance profile `{ip_name}`"),
                            "IAM RemoveRoleFromInstanceProfile",
                            &e,
                        ))
                    }
                }
            }
        }
        Err(e) if no_such_entity(&e) => return Ok(()),
        Err(e) => {
            return Err(aws_error(
                format!("listing instance profiles of IAM role `{name}`"),
                "IAM ListInstanceProfilesForRole",
                &e,
            ))
        }
    }
    match iam.delete_role().role_name(name).send().await {
        Ok(_) => {
            tracing::info!(part = PART, object = "role", name, "deleted");
            Ok(())
        }
        Err(e) if no_such_entity(&e) => Ok(()),
        Err(e) => Err(aws_error(
            format!("deleting IAM role `{name}`"),
            "IAM DeleteRole",
            &e,
        )),
    }
}

/// Deletes the environment's OIDC providers (found by their ownership tags) and both roles.
/// IAM deletes are synchronous: when this returns, they are gone.
pub async fn delete(env: &PartEnv) -> Result<(), PartError> {
    let iam = env.aws.iam();
    for arn in list_oidc_providers(env).await? {
        let tags = match iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .send()
            .await
        {
            Ok(p) => tag_map(p.tags()),
            Err(e) if no_such_entity(&e) => continue,
            Err(e) => {
                return Err(aws_error(
                    format!("reading IAM OIDC provider `{arn}`"),
                    "IAM GetOpenIDConnectProvider",
                    &e,
                ))
            }
        };
        if !env.owns(PART, &tags) {
            continue;
        }
        match iam
            .delete_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .send()
            .await
        {
            Ok(_) => tracing::info!(part = PART, object = "oidc-provider", arn = %arn, "deleted"),
            Err(e) if no_such_entity(&e) => {}
            Err(e) => {
                return Err(aws_error(
                    format!("deleting IAM OIDC provider `{arn}`"),
                    "IAM DeleteOpenIDConnectProvider",
                    &e,
                ))
            }
        }
    }
    delete_role(env, &cluster_role_name(env)).await?;
    delete_role(env, &node_role_name(env)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn issuer_matches_provider_arn() {
        let arns = vec![
            "arn:aws:iam::123:oidc-provider/token.actions.githubusercontent.com".to_string(),
            "arn:aws:iam::123:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC".to_string(),
        ];
        assert_eq!(
            find_provider(&arns, "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"),
            Some(&arns[1])
        );
        assert_eq!(
            find_provider(&arns, "https://oidc.eks.us-east-1.amazonaws.com/id/AB"),
            None
        );
    }
}
