//! Unit tests of the add-on parts over a fake EKS that keeps add-ons as AWS does.

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use aws_sdk_eks::operation::create_addon::{CreateAddonInput, CreateAddonOutput};
    use aws_sdk_eks::operation::delete_addon::DeleteAddonOutput;
    use aws_sdk_eks::operation::describe_addon::{DescribeAddonError, DescribeAddonOutput};
    use aws_sdk_eks::operation::list_addons::ListAddonsOutput;
    use aws_sdk_eks::operation::tag_resource::TagResourceOutput;
    use aws_sdk_eks::operation::untag_resource::UntagResourceOutput;
    use aws_sdk_eks::operation::update_addon::{UpdateAddonInput, UpdateAddonOutput};
    use aws_sdk_eks::types::error::ResourceNotFoundException;
    use aws_sdk_eks::types::{
        Addon, AddonHealth as Health, AddonIssue, AddonIssueCode, AddonStatus, ClusterStatus,
        Update, UpdateStatus,
    };
    use aws_smithy_mocks::{mock, MockResponse, Rule};

    use super::super::addon_versions::tests::versions_answer;
    use super::super::addons::{ensure_addon, AddonHealth, PINNED_TAG};
    use super::super::addons_cleanup::remove_unconfigured_addons;
    use super::super::cluster::cluster_state;
    use super::super::test_support::{self, env, iam, owned_tags};
    use super::super::{AddonSpec, EksClusterState, EksSpec};

    const VERSIONS: &[(&str, &[&str])] = &[
        ("v1.11.4-eksbuild.2", &["1.31", "1.32"]),
        ("v1.11.4-eksbuild.14", &["1.32"]),
        ("v1.12.1-eksbuild.2", &["1.33"]),
    ];

    /// What the fake EKS holds and what it was asked.
    #[derive(Default)]
    struct Fake {
        addons: BTreeMap<String, Addon>,
        created: Vec<CreateAddonInput>,
        updated: Vec<UpdateAddonInput>,
        deleted: Vec<String>,
    }

    type Shared = Arc<Mutex<Fake>>;

    fn addon(name: &str, version: &str, status: AddonStatus, tags: bool) -> Addon {
        let tags = if tags {
            owned_tags()
        } else {
            Default::default()
        };
        Addon::builder()
            .addon_name(name)
            .cluster_name("mosia-test-eks")
            .addon_arn(format!(
                "arn:aws:eks:us-east-1:123456789012:addon/mosia-test-eks/{name}/1"
            ))
            .addon_version(version)
            .status(status)
            .set_tags(Some(tags))
            .build()
    }

    fn rules(fake: &Shared) -> Vec<Rule> {
        let f = fake.clone();
        let describe = mock!(aws_sdk_eks::Client::describe_addon).then_compute_response(move |r| {
            match f
                .lock()
                .unwrap()
                .addons
                .get(r.addon_name().unwrap_or_default())
            {
                Some(a) => {
                    MockResponse::Output(DescribeAddonOutput::builder().addon(a.clone()).build())
                }
                None => MockResponse::Error(DescribeAddonError::ResourceNotFoundException(
                    ResourceNotFoundException::builder()
                        .message("No addon")
                        .build(),
                )),
            }
        });
        let f = fake.clone();
        let create = mock!(aws_sdk_eks::Client::create_addon).then_compute_output(move |r| {
            let mut f = f.lock().unwrap();
            let name = r.addon_name().unwrap_or_default().to_string();
            let mut a = addon(
                &name,
                r.addon_version().unwrap_or_default(),
                AddonStatus::Active,
                false,
            );
            a.tags = r.tags().cloned();
            a.configuration_values = r.configuration_values().map(str::to_string);
            a.pod_identity_associations = Some(
                r.pod_identity_associations()
                    .iter()
                    .map(|p| {
                        format!(
                            "arn:aws:eks:us-east-1:123456789012:podidentityassociation/{}",
                            p.service_account()
                        )
                    })
                    .collect(),
            );
            f.addons.insert(name, a.clone());
            f.created.push(r.clone());
            CreateAddonOutput::builder().addon(a).build()
        });
        let f = fake.clone();
        let update = mock!(aws_sdk_eks::Client::update_addon).then_compute_output(move |r| {
            let mut f = f.lock().unwrap();
            if let Some(a) = f.addons.get_mut(r.addon_name().unwrap_or_default()) {
                if let Some(v) = r.addon_version() {
                    a.addon_version = Some(v.to_string());
                }
                if let Some(c) = r.configuration_values() {
                    a.configuration_values = Some(c.to_string());
                }
            }
            f.updated.push(r.clone());
            let done = Update::builder()
                .id("u-1")
                .status(UpdateStatus::Successful)
                .build();
            UpdateAddonOutput::builder().update(done).build()
        });
        let f = fake.clone();
        let list = mock!(aws_sdk_eks::Client::list_addons).then_compute_output(move |_| {
            let names = f.lock().unwrap().addons.keys().cloned().collect();
            ListAddonsOutput::builder().set_addons(Some(names)).build()
        });
        let f = fake.clone();
        let delete = mock!(aws_sdk_eks::Client::delete_addon).then_compute_output(move |r| {
            let mut f = f.lock().unwrap();
            let name = r.addon_name().unwrap_or_default().to_string();
            f.addons.remove(&name);
            f.deleted.push(name);
            DeleteAddonOutput::builder().build()
        });
        let versions =
            mock!(aws_sdk_eks::Client::describe_addon_versions).then_compute_output(|r| {
                versions_answer(VERSIONS, r.addon_name(), r.kubernetes_version())
            });
        let tag = mock!(aws_sdk_eks::Client::tag_resource)
            .then_output(|| TagResourceOutput::builder().build());
        let untag = mock!(aws_sdk_eks::Client::untag_resource)
            .then_output(|| UntagResourceOutput::builder().build());
        vec![describe, create, update, list, delete, versions, tag, untag]
    }

    fn setup(addons: &[Addon]) -> (Shared, crate::aws::part::PartEnv) {
        let fake = Shared::default();
        for a in addons {
            fake.lock()
                .unwrap()
                .addons
                .insert(a.addon_name().unwrap().to_string(), a.clone());
        }
        let rules = rules(&fake);
        let refs: Vec<&Rule> = rules.iter().collect();
        (fake, env(&refs))
    }

    fn cluster(version: &str) -> EksClusterState {
        let c = test_support::cluster(ClusterStatus::Active, owned_tags());
        EksClusterState {
            version: version.into(),
            ..cluster_state(&c)
        }
    }

    fn pinned(v: &str) -> AddonSpec {
        AddonSpec {
            version: Some(v.into()),
            configuration: None,
        }
    }

    #[tokio::test]
    async fn the_ebs_csi_driver_is_created_newest_with_its_pod_identity_and_our_tags() {
        let (fake, env) = setup(&[]);
        let mut roles = iam();
        let role = "arn:aws:iam::123456789012:role/mosia-test-ebs-csi";
        roles
            .pod_identity_roles
            .insert("aws-ebs-csi-driver".into(), role.into());
        let name = "aws-ebs-csi-driver";
        let health = AddonHealth::NodesPresent;
        let state = ensure_addon(
            &env,
            name,
            &AddonSpec::default(),
            &cluster("1.32"),
            &roles,
            health,
        )
        .await
        .unwrap();
        assert_eq!(state.status, "ACTIVE");
        let fake = fake.lock().unwrap();
        let req = &fake.created[0];
        assert_eq!(
            req.addon_version(),
            Some("v1.11.4-eksbuild.14"),
            "the newest for 1.32"
        );
        assert_eq!(
            req.resolve_conflicts().map(|r| r.as_str()),
            Some("OVERWRITE")
        );
        let assoc = &req.pod_identity_associations()[0];
        assert_eq!(
            (assoc.service_account(), assoc.role_arn()),
            ("ebs-csi-controller-sa", role)
        );
        let tags = req.tags().unwrap();
        assert_eq!(
            tags.get("mosia:environment").map(String::as_str),
            Some("mosia-test")
        );
        assert!(!tags.contains_key(PINNED_TAG));
    }

    #[tokio::test]
    async fn the_ebs_csi_driver_without_its_role_fails_before_creating() {
        let (fake, env) = setup(&[]);
        let err = ensure_addon(
            &env,
            "aws-ebs-csi-driver",
            &AddonSpec::default(),
            &cluster("1.32"),
            &iam(),
            AddonHealth::NodesPresent,
        )
        .await
        .unwrap_err();
        assert!(
            err.detail.contains("no Pod Identity role"),
            "{}",
            err.detail
        );
        assert!(fake.lock().unwrap().created.is_empty());
    }

    #[tokio::test]
    async fn a_new_pin_and_configuration_are_applied_in_place() {
        let owned = addon("coredns", "v1.11.4-eksbuild.2", AddonStatus::Active, true);
        let (fake, env) = setup(&[owned]);
        let mut spec = pinned("v1.11.4-eksbuild.14");
        spec.configuration = Some(r#"{"replicaCount":3}"#.into());
        let state = ensure_addon(
            &env,
            "coredns",
            &spec,
            &cluster("1.32"),
            &iam(),
            AddonHealth::NodesPresent,
        )
        .await
        .unwrap();
        assert_eq!(state.version, "v1.11.4-eksbuild.14");
        assert_eq!(state.tags.get(PINNED_TAG).map(String::as_str), Some("true"));
        let fake = fake.lock().unwrap();
        assert!(fake.created.is_empty());
        let u = &fake.updated[0];
        assert_eq!(u.addon_version(), Some("v1.11.4-eksbuild.14"));
        assert_eq!(u.configuration_values(), Some(r#"{"replicaCount":3}"#));
    }

    #[tokio::test]
    async fn latest_keeps_a_version_still_offered_and_nothing_is_updated() {
        let owned = addon("coredns", "v1.11.4-eksbuild.2", AddonStatus::Active, true);
        let (fake, env) = setup(&[owned]);
        let state = ensure_addon(
            &env,
            "coredns",
            &AddonSpec::default(),
            &cluster("1.32"),
            &iam(),
            AddonHealth::NodesPresent,
        )
        .await
        .unwrap();
        assert_eq!(state.version, "v1.11.4-eksbuild.2");
        assert!(fake.lock().unwrap().updated.is_empty());

        // Pinned until now (the tag says so): `latest` moves it to the newest.
        let mut was_pinned = addon("coredns", "v1.11.4-eksbuild.2", AddonStatus::Active, true);
        was_pinned
            .tags
            .as_mut()
            .unwrap()
            .insert(PINNED_TAG.into(), "true".into());
        let (fake, env) = setup(&[was_pinned]);
        let state = ensure_addon(
            &env,
            "coredns",
            &AddonSpec::default(),
            &cluster("1.32"),
            &iam(),
            AddonHealth::NodesPresent,
        )
        .await
        .unwrap();
        assert_eq!(state.version, "v1.11.4-eksbuild.14");
        assert_eq!(fake.lock().unwrap().updated.len(), 1);
    }

    #[tokio::test]
    async fn degraded_fails_with_its_health_issue_unless_there_are_no_nodes_for_it() {
        let mut degraded = addon(
            "coredns",
            "v1.11.4-eksbuild.14",
            AddonStatus::Degraded,
            true,
        );
        degraded.health = Some(
            Health::builder()
                .issues(
                    AddonIssue::builder()
                        .code(AddonIssueCode::InsufficientNumberOfReplicas)
                        .message("The add-on is unhealthy because it doesn't have the desired number of replicas.")
                        .build(),
                )
                .build(),
        );
        let (_, env) = setup(&[degraded]);
        let spec = AddonSpec::default();
        let c = cluster("1.32");
        let err = ensure_addon(
            &env,
            "coredns",
            &spec,
            &c,
            &iam(),
            AddonHealth::NodesPresent,
        )
        .await
        .unwrap_err();
        assert_eq!(err.part, "eks.addon.coredns");
        assert!(
            err.detail
                .contains("DEGRADED: InsufficientNumberOfReplicas: The add-on is unhealthy"),
            "{}",
            err.detail
        );
        let state = ensure_addon(&env, "coredns", &spec, &c, &iam(), AddonHealth::NodesAbsent)
            .await
            .unwrap();
        assert_eq!(state.part_status(), "degraded");
        assert!(
            state.warnings[0].contains("its pods need nodes"),
            "{:?}",
            state.warnings
        );
    }

    #[tokio::test]
    async fn an_add_on_without_our_tags_is_refused_and_never_deleted() {
        let theirs = addon("coredns", "v1.11.4-eksbuild.2", AddonStatus::Active, false);
        let ours_unconfigured = addon(
            "kube-proxy",
            "v1.32.0-eksbuild.2",
            AddonStatus::Active,
            true,
        );
        let (fake, env) = setup(&[theirs, ours_unconfigured]);
        let err = ensure_addon(
            &env,
            "coredns",
            &AddonSpec::default(),
            &cluster("1.32"),
            &iam(),
            AddonHealth::NodesPresent,
        )
        .await
        .unwrap_err();
        assert!(
            err.detail.contains("does not carry the ownership tags"),
            "{}",
            err.detail
        );

        // Neither is configured: only ours goes.
        let spec = EksSpec {
            addons: [("aws-ebs-csi-driver".to_string(), AddonSpec::default())].into(),
            ..Default::default()
        };
        remove_unconfigured_addons(&env, &spec).await.unwrap();
        let fake = fake.lock().unwrap();
        assert_eq!(fake.deleted, ["kube-proxy"]);
        assert!(fake.addons.contains_key("coredns"));
        assert!(fake.updated.is_empty() && fake.created.is_empty());
    }
}
