//! The IAM OIDC provider of the EKS cluster's issuer, for IAM roles for service accounts
//! ([`PartId::EksOidc`]; its objects carry the `iam` ownership tag). Found by listing the
//! account's providers and matching the issuer at the end of the ARN.

use aws_sdk_iam::operation::create_open_id_connect_provider::CreateOpenIDConnectProviderError;
use aws_sdk_iam::operation::get_open_id_connect_provider::{
    GetOpenIDConnectProviderError, GetOpenIdConnectProviderOutput,
};

use super::super::part::{not_ours, PartEnv, PartId, ENVIRONMENT_TAG};
use super::{tag_map, to_tags, EKS_OIDC_ROOT_CA_THUMBPRINT, PART, SERVICE, STS_CLIENT_ID};
use crate::aws::errors;
use crate::engine::PartError;

/// `oidc.eks.us-east-1.amazonaws.com/id/ABC`: the issuer without its scheme, as it appears
/// at the end of the provider's ARN.
fn issuer_host_path(issuer_url: &str) -> &str {
    issuer_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
}

/// ARNs of every OIDC provider of the account.
pub(super) async fn list_oidc_providers(
    env: &PartEnv,
    part: &PartId,
) -> Result<Vec<String>, PartError> {
    let out = env
        .aws
        .iam()
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                part,
                "listing IAM OIDC providers",
                "ListOpenIDConnectProviders",
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

/// The OIDC provider `arn` (one GetOpenIDConnectProvider); None when it does not exist.
pub(super) async fn find_oidc_provider(
    env: &PartEnv,
    part: &PartId,
    arn: &str,
) -> Result<Option<GetOpenIdConnectProviderOutput>, PartError> {
    errors::found(
        env.aws
            .iam()
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await,
        GetOpenIDConnectProviderError::is_no_such_entity_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            part,
            format!("reading IAM OIDC provider `{arn}`"),
            "GetOpenIDConnectProvider",
            &e,
        )
    })
}

/// Creates (or adopts) the IAM OIDC provider of an EKS cluster's issuer, for IAM roles for
/// service accounts (client id sts.amazonaws.com). Returns the provider's ARN.
///
/// A provider for the issuer that exists without our tags is adopted and tagged: the issuer
/// URL is unique to this environment's cluster, so nobody else can use it (it is typically
/// one `eksctl utils associate-iam-oidc-provider` created).
pub async fn ensure_oidc_provider(env: &PartEnv, issuer_url: &str) -> Result<String, PartError> {
    let part = PartId::EksOidc;
    if !issuer_url.starts_with("https://") {
        return Err(PartError::new(
            &part,
            "creating the IAM OIDC provider",
            format!("the issuer `{issuer_url}` is not an https:// URL"),
        ));
    }
    let arns = list_oidc_providers(env, &part).await?;
    match find_provider(&arns, issuer_url) {
        Some(arn) => adopt_oidc_provider(env, arn).await,
        None => create_oidc_provider(env, issuer_url).await,
    }
}

/// Creates the provider; adopts it when it was created meanwhile.
async fn create_oidc_provider(env: &PartEnv, issuer_url: &str) -> Result<String, PartError> {
    let part = PartId::EksOidc;
    let res = env
        .aws
        .iam()
        .create_open_id_connect_provider()
        .url(issuer_url)
        .client_id_list(STS_CLIENT_ID)
        .thumbprint_list(EKS_OIDC_ROOT_CA_THUMBPRINT)
        .set_tags(Some(to_tags(&env.tags_for(PART))))
        .send()
        .await;
    let summary = "creating the IAM OIDC provider";
    match res {
        Ok(o) => {
            let arn = o
                .open_id_connect_provider_arn()
                .unwrap_or_default()
                .to_string();
            tracing::info!(part = PART, object = "oidc-provider", arn = %arn, "created");
            Ok(arn)
        }
        Err(e)
            if e.as_service_error().is_some_and(
                CreateOpenIDConnectProviderError::is_entity_already_exists_exception,
            ) =>
        {
            let arns = list_oidc_providers(env, &part).await?;
            let arn = find_provider(&arns, issuer_url)
                .cloned()
                .ok_or_else(|| SERVICE.error(&part, summary, "CreateOpenIDConnectProvider", &e))?;
            adopt_oidc_provider(env, &arn).await
        }
        Err(e) => Err(SERVICE.error(&part, summary, "CreateOpenIDConnectProvider", &e)),
    }
}

/// Adopts the provider for our issuer: the audience and the tags. One another Mosia
/// environment claims is refused.
async fn adopt_oidc_provider(env: &PartEnv, arn: &str) -> Result<String, PartError> {
    let part = PartId::EksOidc;
    let iam = env.aws.iam();
    let Some(p) = find_oidc_provider(env, &part, arn).await? else {
        return Err(PartError::new(
            &part,
            format!("reading IAM OIDC provider `{arn}`"),
            "the provider disappeared (deleted outside Terraform?)",
        ));
    };
    // The issuer is unique to our cluster, so an untagged provider for it (made by eksctl or
    // by hand) is adopted; one another Mosia environment claims is not.
    let have = tag_map(p.tags());
    if have
        .get(ENVIRONMENT_TAG)
        .is_some_and(|other| *other != env.name)
    {
        // The message names the `iam` ownership tag the provider would carry.
        let mut e = not_ours(env, &PartId::Iam, "IAM OIDC provider", arn, &have);
        e.part = part.to_string();
        return Err(e);
    }
    tracing::info!(part = PART, object = "oidc-provider", arn = %arn, "adopting");
    if !p.client_id_list().iter().any(|c| c == STS_CLIENT_ID) {
        iam.add_client_id_to_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .client_id(STS_CLIENT_ID)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &part,
                    format!("adding the {STS_CLIENT_ID} audience to `{arn}`"),
                    "AddClientIDToOpenIDConnectProvider",
                    &e,
                )
            })?;
    }
    // Tags are only added: the provider may carry tags of whoever made it.
    let (add, _) = super::super::tags::diff(&have, &env.tags_for(PART), &env.previous_tag_keys);
    if !add.is_empty() {
        iam.tag_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .set_tags(Some(to_tags(&add)))
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &part,
                    format!("tagging IAM OIDC provider `{arn}`"),
                    "TagOpenIDConnectProvider",
                    &e,
                )
            })?;
    }
    Ok(arn.to_string())
}

/// The environment's OIDC provider for `issuer_url`, if it exists (and is ours).
pub async fn read_oidc_provider(
    env: &PartEnv,
    issuer_url: &str,
) -> Result<Option<String>, PartError> {
    let part = PartId::EksOidc;
    let arns = list_oidc_providers(env, &part).await?;
    let Some(arn) = find_provider(&arns, issuer_url) else {
        return Ok(None);
    };
    Ok(find_oidc_provider(env, &part, arn)
        .await?
        .filter(|p| env.owns(PART, &tag_map(p.tags())))
        .map(|_| arn.clone()))
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::operation::create_open_id_connect_provider::CreateOpenIdConnectProviderOutput;
    use aws_sdk_iam::operation::list_open_id_connect_providers::ListOpenIdConnectProvidersOutput;
    use aws_sdk_iam::types::{OpenIdConnectProviderListEntry, Tag};
    use aws_smithy_mocks::mock;

    use super::super::test_support::env;
    use super::*;

    const ISSUER: &str = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC";
    const ARN: &str =
        "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC";

    #[tokio::test]
    async fn a_missing_provider_is_created_for_sts_with_the_root_ca_thumbprint() {
        let list = mock!(aws_sdk_iam::Client::list_open_id_connect_providers)
            .then_output(|| ListOpenIdConnectProvidersOutput::builder().build());
        let create = mock!(aws_sdk_iam::Client::create_open_id_connect_provider)
            .match_requests(|r| {
                r.url() == Some(ISSUER)
                    && r.client_id_list() == [STS_CLIENT_ID]
                    && r.thumbprint_list() == [EKS_OIDC_ROOT_CA_THUMBPRINT]
                    && r.tags()
                        .iter()
                        .any(|t| t.key() == "mosia:part" && t.value() == "iam")
            })
            .then_output(|| {
                CreateOpenIdConnectProviderOutput::builder()
                    .open_id_connect_provider_arn(ARN)
                    .build()
            });
        let env = env(&[&list, &create]);
        assert_eq!(ensure_oidc_provider(&env, ISSUER).await.unwrap(), ARN);
        assert_eq!(create.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_provider_another_environment_claims_is_refused() {
        let list = mock!(aws_sdk_iam::Client::list_open_id_connect_providers).then_output(|| {
            ListOpenIdConnectProvidersOutput::builder()
                .open_id_connect_provider_list(
                    OpenIdConnectProviderListEntry::builder().arn(ARN).build(),
                )
                .build()
        });
        let get = mock!(aws_sdk_iam::Client::get_open_id_connect_provider).then_output(|| {
            let tag = Tag::builder()
                .key(ENVIRONMENT_TAG)
                .value("other")
                .build()
                .unwrap();
            GetOpenIdConnectProviderOutput::builder()
                .client_id_list(STS_CLIENT_ID)
                .tags(tag)
                .build()
        });
        let env = env(&[&list, &get]);
        let err = ensure_oidc_provider(&env, ISSUER).await.unwrap_err();
        assert_eq!(err.part, "eks.oidc");
        assert!(
            err.detail.contains("belongs to environment `other`"),
            "{}",
            err.detail
        );
        assert!(err.detail.contains("mosia:part=iam"), "{}", err.detail);
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
