//! Which version of an EKS add-on to install: DescribeAddonVersions for the cluster's
//! Kubernetes version, then the newest version offered, or the pinned one when EKS offers
//! it for that Kubernetes version (a pinned version it does not offer fails, listing what it
//! does offer).

use std::cmp::Ordering;

use super::super::part::PartEnv;
use super::SERVICE;
use crate::engine::PartError;

/// Sort key of an add-on version: every run of digits (`v1.19.2-eksbuild.1` →
/// [1, 19, 2, 1]), so builds order after their release.
pub fn addon_version_key(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect()
}

/// Orders two add-on versions by [`addon_version_key`].
pub fn compare_addon_versions(a: &str, b: &str) -> Ordering {
    addon_version_key(a).cmp(&addon_version_key(b))
}

/// The version to install from those EKS `offered` for Kubernetes `kubernetes`: the
/// pinned one when offered, else the newest. The error (a detail) names what is offered.
pub fn pick_version(
    addon: &str,
    pinned: Option<&str>,
    kubernetes: &str,
    offered: &[String],
) -> Result<String, String> {
    let mut sorted = offered.to_vec();
    sorted.sort_by(|a, b| compare_addon_versions(b, a));
    sorted.dedup();
    let listed = || {
        if sorted.is_empty() {
            "none".to_string()
        } else {
            sorted.join(", ")
        }
    };
    match pinned {
        Some(p) if sorted.iter().any(|v| v == p) => Ok(p.to_string()),
        Some(p) => Err(format!(
            "add-on `{addon}` is pinned to {p}, which EKS does not offer for Kubernetes \
             {kubernetes}; offered: {}. Pin one of these (eks.addon[\"{addon}\"].version) or \
             set it to \"latest\"",
            listed()
        )),
        None => sorted.first().cloned().ok_or_else(|| {
            format!("EKS offers no version of add-on `{addon}` for Kubernetes {kubernetes}")
        }),
    }
}

/// Every version of `addon` EKS offers for Kubernetes `kubernetes` (DescribeAddonVersions,
/// all pages), newest first.
pub async fn offered_versions(
    env: &PartEnv,
    part: &str,
    addon: &str,
    kubernetes: &str,
) -> Result<Vec<String>, PartError> {
    let mut versions = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = env
            .aws
            .eks()
            .describe_addon_versions()
            .addon_name(addon)
            .kubernetes_version(kubernetes)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    part,
                    format!(
                        "reading the versions of EKS add-on `{addon}` for Kubernetes {kubernetes}"
                    ),
                    "DescribeAddonVersions",
                    &e,
                )
            })?;
        for info in out
            .addons()
            .iter()
            .filter(|a| a.addon_name() == Some(addon))
        {
            for v in info.addon_versions() {
                let compatible = v
                    .compatibilities()
                    .iter()
                    .any(|c| c.cluster_version() == Some(kubernetes));
                if let (true, Some(version)) = (compatible, v.addon_version()) {
                    versions.push(version.to_string());
                }
            }
        }
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    versions.sort_by(|a, b| compare_addon_versions(b, a));
    versions.dedup();
    Ok(versions)
}

/// The version of `addon` to install on a cluster running Kubernetes `kubernetes`: the
/// newest offered, or `pinned` when EKS offers it for that version.
pub async fn resolve_addon_version(
    env: &PartEnv,
    part: &str,
    addon: &str,
    pinned: Option<&str>,
    kubernetes: &str,
) -> Result<String, PartError> {
    let offered = offered_versions(env, part, addon, kubernetes).await?;
    pick_version(addon, pinned, kubernetes, &offered).map_err(|detail| {
        PartError::new(
            part,
            format!("choosing the version of EKS add-on `{addon}`"),
            detail,
        )
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use aws_sdk_eks::operation::describe_addon_versions::DescribeAddonVersionsOutput;
    use aws_sdk_eks::types::{AddonInfo, AddonVersionInfo, Compatibility};
    use aws_smithy_mocks::mock;

    use super::super::test_support::env;
    use super::*;

    /// DescribeAddonVersions of coredns as EKS answers for `kubernetes`.
    pub(crate) fn versions_rule(
        table: &'static [(&'static str, &'static [&'static str])],
    ) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_eks::Client::describe_addon_versions).then_compute_output(move |req| {
            versions_answer(table, req.addon_name(), req.kubernetes_version())
        })
    }

    pub(crate) fn versions_answer(
        table: &[(&str, &[&str])],
        addon: Option<&str>,
        kubernetes: Option<&str>,
    ) -> DescribeAddonVersionsOutput {
        let k = kubernetes.unwrap_or_default();
        let rows = table
            .iter()
            .filter(|(_, ks)| ks.contains(&k))
            .map(|(v, _)| {
                AddonVersionInfo::builder()
                    .addon_version(*v)
                    .compatibilities(Compatibility::builder().cluster_version(k).build())
                    .build()
            });
        DescribeAddonVersionsOutput::builder()
            .addons(
                AddonInfo::builder()
                    .addon_name(addon.unwrap_or_default())
                    .set_addon_versions(Some(rows.collect()))
                    .build(),
            )
            .build()
    }

    const COREDNS: &[(&str, &[&str])] = &[
        ("v1.11.4-eksbuild.2", &["1.31", "1.32"]),
        ("v1.11.4-eksbuild.14", &["1.32"]),
        ("v1.12.1-eksbuild.2", &["1.33"]),
        ("v1.9.3-eksbuild.22", &["1.32"]),
    ];

    #[tokio::test]
    async fn the_newest_version_offered_for_the_clusters_kubernetes_is_chosen() {
        let rule = versions_rule(COREDNS);
        let env = env(&[&rule]);
        let v = resolve_addon_version(&env, "eks.addon.coredns", "coredns", None, "1.32")
            .await
            .unwrap();
        assert_eq!(
            v, "v1.11.4-eksbuild.14",
            "build 14 is newer than build 2 and than v1.9"
        );
        let v = resolve_addon_version(&env, "eks.addon.coredns", "coredns", None, "1.33")
            .await
            .unwrap();
        assert_eq!(v, "v1.12.1-eksbuild.2");
    }

    #[tokio::test]
    async fn a_pinned_version_is_kept_when_offered_and_refused_listing_the_offer_when_not() {
        let rule = versions_rule(COREDNS);
        let env = env(&[&rule]);
        let part = "eks.addon.coredns";
        let pinned = Some("v1.11.4-eksbuild.2");
        let v = resolve_addon_version(&env, part, "coredns", pinned, "1.32")
            .await
            .unwrap();
        assert_eq!(v, "v1.11.4-eksbuild.2");
        let err = resolve_addon_version(&env, part, "coredns", pinned, "1.33")
            .await
            .unwrap_err();
        assert_eq!(err.part, part);
        assert!(
            err.detail.contains("pinned to v1.11.4-eksbuild.2, which EKS does not offer for Kubernetes 1.33; offered: v1.12.1-eksbuild.2"),
            "{}",
            err.detail
        );
        let unknown = resolve_addon_version(&env, part, "coredns", Some("v9.9.9"), "1.32")
            .await
            .unwrap_err();
        assert!(
            unknown
                .detail
                .contains("offered: v1.11.4-eksbuild.14, v1.11.4-eksbuild.2, v1.9.3-eksbuild.22"),
            "{}",
            unknown.detail
        );
    }

    #[test]
    fn no_offer_is_an_error_and_versions_order_by_their_numbers() {
        let err = pick_version("x", None, "1.40", &[]).unwrap_err();
        assert!(
            err.contains("no version of add-on `x` for Kubernetes 1.40"),
            "{err}"
        );
        assert_eq!(
            compare_addon_versions("v1.20.0-eksbuild.1", "v1.19.10-eksbuild.3"),
            Ordering::Greater
        );
        assert_eq!(addon_version_key("v1.19.2-eksbuild.1"), [1, 19, 2, 1]);
    }
}
