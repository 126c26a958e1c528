"""EKS access: the cluster's accessConfig (authentication mode, creator admin), access
entries and access policy associations, and the one-way authentication mode update. Each
refusal is checked next to the request AWS accepts."""

from __future__ import annotations

from .eks_support import EksCase

POLICY = "arn:aws:eks::aws:cluster-access-policy/"
CREATOR = "arn:aws:iam::123456789012:user/moto"


class EksAccessTest(EksCase):
    def admin_role(self) -> str:
        return self.role("ec2.amazonaws.com", name="PlatformAdmins")

    def test_access_config_defaults(self) -> None:
        self.create_cluster("plain")
        plain = self.eks.describe_cluster(name="plain")["cluster"]["accessConfig"]
        self.assertEqual(plain["authenticationMode"], "CONFIG_MAP")
        self.create_cluster("api", accessConfig={})
        api = self.eks.describe_cluster(name="api")["cluster"]["accessConfig"]
        self.assertEqual(api, {"authenticationMode": "API_AND_CONFIG_MAP",
                               "bootstrapClusterCreatorAdminPermissions": True})

    def test_creator_gets_cluster_admin_unless_refused(self) -> None:
        self.cluster("c", accessConfig={"authenticationMode": "API"})
        self.assertEqual(self.eks.list_access_entries(clusterName="c")["accessEntries"], [CREATOR])
        self.assertEqual(self.client("sts").get_caller_identity()["Arn"], CREATOR)
        policies = self.eks.list_associated_access_policies(clusterName="c", principalArn=CREATOR)
        self.assertEqual([p["policyArn"] for p in policies["associatedAccessPolicies"]],
                         [POLICY + "AmazonEKSClusterAdminPolicy"])
        self.cluster("d", accessConfig={"authenticationMode": "API",
                                        "bootstrapClusterCreatorAdminPermissions": False})
        self.assertEqual(self.eks.list_access_entries(clusterName="d")["accessEntries"], [])

    def test_config_map_needs_the_creator_admin(self) -> None:
        self.assertAwsError(
            "InvalidParameterException", self.create_cluster, "c",
            accessConfig={"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": False},
            message="bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
        self.create_cluster("c", accessConfig={"authenticationMode": "CONFIG_MAP"})

    def test_access_entries_need_the_api_mode(self) -> None:
        self.cluster("c")
        role = self.admin_role()
        self.assertAwsError(
            "InvalidRequestException", self.eks.create_access_entry, clusterName="c", principalArn=role,
            message="The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] "
                    "to perform this operation.")
        self.assertAwsError("InvalidRequestException", self.eks.list_access_entries, clusterName="c")
        self.assertEqual(self.rejected()[-1]["code"], "InvalidRequestException")
        self.cluster("d", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
        self.eks.create_access_entry(clusterName="d", principalArn=role)

    def test_principal_must_be_an_existing_role_or_user_of_the_account(self) -> None:
        self.cluster("c", accessConfig={"authenticationMode": "API"})
        self.admin_role()  # exists in this account only
        for bad in ("arn:aws:iam::123456789012:role/missing", "arn:aws:iam::210987654321:role/PlatformAdmins",
                    "arn:aws:s3:::bucket", "arn:aws:iam::123456789012:group/admins"):
            self.assertAwsError("InvalidParameterException", self.eks.create_access_entry, clusterName="c",
                                principalArn=bad, message="The specified principalArn is invalid: invalid principal.")
        self.assertAwsError(
            "InvalidParameterException", self.eks.create_access_entry, clusterName="c",
            principalArn="arn:aws:iam::123456789012:role/aws-service-role/emr-containers.amazonaws.com/AWSServiceRoleForAmazonEMRContainers",
            message="Service Linked Role")
        user = self.iam.create_user(UserName="ci")["User"]["Arn"]
        entry = self.eks.create_access_entry(clusterName="c", principalArn=user)["accessEntry"]
        self.assertEqual((entry["type"], entry["username"]), ("STANDARD", user))

    def test_one_entry_per_principal(self) -> None:
        self.cluster("c", accessConfig={"authenticationMode": "API"})
        role = self.admin_role()
        entry = self.eks.create_access_entry(clusterName="c", principalArn=role, kubernetesGroups=["ops"],
                                             tags={"team": "platform"})["accessEntry"]
        self.assertEqual(entry["username"], "arn:aws:sts::123456789012:assumed-role/PlatformAdmins/{{SessionName}}")
        self.assertIn(":access-entry/c/role/123456789012/PlatformAdmins/", entry["accessEntryArn"])
        self.assertAwsError("ResourceInUseException", self.eks.create_access_entry, clusterName="c", principalArn=role,
                            message="The specified access entry resource is already in use on this cluster.")
        self.assertAwsError("ResourceInUseException", self.eks.create_access_entry, clusterName="c",
                            principalArn=CREATOR)

    def test_describe_update_delete_and_missing_entry(self) -> None:
        self.cluster("c", accessConfig={"authenticationMode": "API"})
        role = self.admin_role()
        self.eks.create_access_entry(clusterName="c", principalArn=role)
        updated = self.eks.update_access_entry(clusterName="c", principalArn=role, kubernetesGroups=["view"],
                                               username="admin")["accessEntry"]
        self.assertEqual((updated["kubernetesGroups"], updated["username"]), (["view"], "admin"))
        self.assertEqual(self.eks.describe_access_entry(clusterName="c", principalArn=role)["accessEntry"]["username"],
                         "admin")
        self.eks.delete_access_entry(clusterName="c", principalArn=role)
        missing = "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'."
        self.assertAwsError("ResourceNotFoundException", self.eks.describe_access_entry, clusterName="c",
                            principalArn=role, message=missing)
        self.assertAwsError("ResourceNotFoundException", self.eks.delete_access_entry, clusterName="c", principalArn=role)
        self.assertAwsError("ResourceNotFoundException", self.eks.associate_access_policy, clusterName="c",
                            principalArn=role, policyArn=POLICY + "AmazonEKSViewPolicy",
                            accessScope={"type": "cluster"})

    def test_access_policy_scopes(self) -> None:
        self.cluster("c", accessConfig={"authenticationMode": "API"})
        role = self.admin_role()
        self.eks.create_access_entry(clusterName="c", principalArn=role)
        edit = POLICY + "AmazonEKSEditPolicy"
        self.assertAwsError("InvalidParameterException", self.eks.associate_access_policy, clusterName="c",
                            principalArn=role, policyArn=edit, accessScope={"type": "namespace", "namespaces": []},
                            message="At least one namespace")
        self.assertAwsError("InvalidParameterException", self.eks.associate_access_policy, clusterName="c",
                            principalArn=role, policyArn=edit, accessScope={"type": "cluster", "namespaces": ["apps"]})
        self.assertAwsError("InvalidParameterException", self.eks.associate_access_policy, clusterName="c",
                            principalArn=role, policyArn=POLICY + "AmazonEKSSuperPolicy",
                            accessScope={"type": "cluster"}, message="The specified policyArn is invalid")
        first = self.eks.associate_access_policy(clusterName="c", principalArn=role, policyArn=edit,
                                                 accessScope={"type": "namespace", "namespaces": ["apps"]})
        self.assertEqual(first["associatedAccessPolicy"]["accessScope"], {"type": "namespace", "namespaces": ["apps"]})
        # Associating the same policy again replaces its scope.
        self.eks.associate_access_policy(clusterName="c", principalArn=role, policyArn=edit,
                                         accessScope={"type": "cluster"})
        listed = self.eks.list_associated_access_policies(clusterName="c", principalArn=role)["associatedAccessPolicies"]
        self.assertEqual([(p["policyArn"], p["accessScope"]["type"]) for p in listed], [(edit, "cluster")])
        self.assertEqual(self.eks.list_access_entries(clusterName="c", associatedPolicyArn=edit)["accessEntries"], [role])
        self.eks.disassociate_access_policy(clusterName="c", principalArn=role, policyArn=edit)
        self.assertEqual(self.eks.list_associated_access_policies(clusterName="c", principalArn=role)
                         ["associatedAccessPolicies"], [])
        names = [p["name"] for p in self.eks.list_access_policies()["accessPolicies"]]
        for name in ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"):
            self.assertIn(name, names)

    def test_policies_only_on_standard_entries(self) -> None:
        self.cluster("c", accessConfig={"authenticationMode": "API"})
        node = self.role("ec2.amazonaws.com", name="nodes")
        entry = self.eks.create_access_entry(clusterName="c", principalArn=node, type="EC2_LINUX")["accessEntry"]
        self.assertEqual(entry["username"], "system:node:{{EC2PrivateDNSName}}")
        self.assertAwsError("InvalidParameterException", self.eks.associate_access_policy, clusterName="c",
                            principalArn=node, policyArn=POLICY + "AmazonEKSViewPolicy",
                            accessScope={"type": "cluster"},
                            message='This operation can only be performed on Access Entries with a type of "STANDARD".')

    def test_authentication_mode_moves_one_way_one_step(self) -> None:
        self.cluster("c")
        for wrong in ("API", "CONFIG_MAP"):
            self.assertAwsError("InvalidParameterException", self.eks.update_cluster_config, name="c",
                                accessConfig={"authenticationMode": wrong},
                                message=f"Unsupported authentication mode update from CONFIG_MAP to {wrong}")
        update = self.eks.update_cluster_config(name="c", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})["update"]
        self.assertEqual((update["type"], update["params"]),
                         ("AccessConfigUpdate", [{"type": "AuthenticationMode", "value": "API_AND_CONFIG_MAP"}]))
        self.assertEqual(self.update_status("c", update["id"]), "Successful")
        self.eks.update_cluster_config(name="c", accessConfig={"authenticationMode": "API"})
        self.assertEqual(self.eks.describe_cluster(name="c")["cluster"]["accessConfig"]["authenticationMode"], "API")
        self.assertAwsError("InvalidParameterException", self.eks.update_cluster_config, name="c",
                            accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"},
                            message="Unsupported authentication mode update from API to API_AND_CONFIG_MAP")

    def test_one_update_at_a_time_and_one_kind_per_call(self) -> None:
        self.control("POST", "/_mosia/durations", {"eks_cluster": {"update": 30}})
        self.cluster("c")
        self.assertAwsError("InvalidParameterException", self.eks.update_cluster_config, name="c",
                            accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"},
                            upgradePolicy={"supportType": "STANDARD"},
                            message="Only one type of update can be allowed.")
        self.eks.update_cluster_config(name="c", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
        self.assertEqual(self.eks.describe_cluster(name="c")["cluster"]["status"], "UPDATING")
        self.assertAwsError("ResourceInUseException", self.eks.update_cluster_config, name="c",
                            upgradePolicy={"supportType": "STANDARD"})
