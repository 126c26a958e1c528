"""ElastiCache RBAC: AWS's rules for users, user groups and their use by replication groups,
each refused case next to the accepted one."""

from __future__ import annotations

from typing import Any

from .test_elasticache_rules import ElastiCacheCase

TAGS = [{"Key": "mosia:environment", "Value": "shop"}]


class UsersCase(ElastiCacheCase):
    def user(self, user_id: str, name: str | None = None, kind: str = "iam", **extra: Any) -> dict:
        return self.ec.create_user(
            UserId=user_id, UserName=name or user_id, Engine="redis",
            AccessString=extra.pop("AccessString", "on ~* +@all"),
            AuthenticationMode={"Type": kind}, **extra,
        )

    def default_user(self, user_id: str = "shop-cache-default") -> dict:
        return self.user(user_id, "default", "no-password-required", AccessString="off -@all")

    def group(self, group_id: str = "shop-cache", users: list[str] | None = None) -> dict:
        return self.ec.create_user_group(
            UserGroupId=group_id, Engine="redis",
            UserIds=users if users is not None else ["shop-cache-default"], Tags=TAGS,
        )

    def describe_group(self, group_id: str = "shop-cache") -> dict:
        return self.ec.describe_user_groups(UserGroupId=group_id)["UserGroups"][0]


class UserTest(UsersCase):
    def test_iam_users_need_the_user_name_equal_to_the_id(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.user, "shop-wl-orders", "orders",
            message="identical to UserId",
        )
        user = self.user("shop-wl-orders")
        self.assertEqual(user["Authentication"]["Type"], "iam")
        self.assertEqual(user["UserName"], "shop-wl-orders")
        default = self.default_user()
        self.assertEqual(default["Authentication"]["Type"], "no-password")

    def test_a_user_id_is_taken_until_the_user_is_gone(self) -> None:
        self.user("shop-wl-orders")
        self.assertAwsError("UserAlreadyExists", self.user, "shop-wl-orders", message="shop-wl-orders")
        self.ec.delete_user(UserId="shop-wl-orders")
        self.assertAwsError("UserAlreadyExists", self.user, "shop-wl-orders")
        self.assertEqual(
            self.ec.describe_users(UserId="shop-wl-orders")["Users"][0]["Status"], "deleting"
        )
        self.assertAwsError("UserNotFound", self.ec.describe_users, UserId="shop-wl-orders")
        self.user("shop-wl-orders")

    def test_user_ids_follow_the_pattern(self) -> None:
        for bad in ("1orders", "a_b"):  # the API model's pattern
            self.assertAwsError("InvalidParameterValue", self.user, bad)
        for bad in ("orders-", "a--b"):  # AWS's rule beyond the pattern
            self.assertAwsError("InvalidParameterValue", self.user, bad, message="two consecutive")
        self.user("orders-1")

    def test_modify_user_changes_the_access_string(self) -> None:
        self.user("shop-wl-orders")
        self.ec.modify_user(UserId="shop-wl-orders", AccessString="on ~* -@all +@read")
        users = {u["UserId"]: u for u in self.ec.describe_users()["Users"]}
        self.assertEqual(users["shop-wl-orders"]["AccessString"], "on ~* -@all +@read")
        self.assertAwsError("UserNotFound", self.ec.modify_user, UserId="nobody", AccessString="off")


class UserGroupTest(UsersCase):
    def test_a_group_needs_a_default_user_and_existing_users(self) -> None:
        self.user("shop-wl-orders")
        self.assertAwsError("DefaultUserRequired", self.group, users=["shop-wl-orders"])
        self.assertAwsError("UserNotFound", self.group, users=["shop-cache-default", "nobody"])
        self.default_user()
        group = self.group(users=["shop-cache-default", "shop-wl-orders"])
        self.assertEqual(group["Status"], "creating")
        described = self.describe_group()
        self.assertEqual(described["Status"], "active")
        self.assertEqual(sorted(described["UserIds"]), ["shop-cache-default", "shop-wl-orders"])
        self.assertAwsError("UserGroupAlreadyExists", self.group)

    def test_two_users_of_the_same_name_are_refused(self) -> None:
        self.default_user()
        self.default_user("other-default")
        self.assertAwsError(
            "DuplicateUserName", self.group, users=["shop-cache-default", "other-default"]
        )

    def test_modify_adds_and_removes_members_but_keeps_a_default_user(self) -> None:
        self.default_user()
        self.user("shop-wl-orders")
        self.group()
        self.ec.modify_user_group(UserGroupId="shop-cache", UserIdsToAdd=["shop-wl-orders"])
        self.assertIn("shop-wl-orders", self.describe_group()["UserIds"])
        self.assertAwsError(
            "DefaultUserRequired", self.ec.modify_user_group, UserGroupId="shop-cache",
            UserIdsToRemove=["shop-cache-default"],
        )
        self.ec.modify_user_group(UserGroupId="shop-cache", UserIdsToRemove=["shop-wl-orders"])
        self.assertEqual(self.describe_group()["UserIds"], ["shop-cache-default"])
        self.assertAwsError("UserGroupNotFound", self.ec.modify_user_group, UserGroupId="nope")

    def test_a_group_changes_only_when_active(self) -> None:
        self.control("POST", "/_mosia/durations", {"elasticache_user_group": {"create": 5}})
        self.default_user()
        self.user("shop-wl-orders")
        self.group()
        self.assertAwsError(
            "InvalidUserGroupState", self.ec.modify_user_group, UserGroupId="shop-cache",
            UserIdsToAdd=["shop-wl-orders"],
        )

    def test_the_default_user_of_a_group_cannot_be_deleted_but_a_member_can(self) -> None:
        self.default_user()
        self.user("shop-wl-orders")
        self.group(users=["shop-cache-default", "shop-wl-orders"])
        self.assertAwsError(
            "DefaultUserAssociatedToUserGroup", self.ec.delete_user, UserId="shop-cache-default"
        )
        self.ec.delete_user(UserId="shop-wl-orders")
        self.assertEqual(self.describe_group()["UserIds"], ["shop-cache-default"])

    def test_groups_are_tagged(self) -> None:
        self.default_user()
        arn = self.group()["ARN"]
        tags = self.ec.list_tags_for_resource(ResourceName=arn)["TagList"]
        self.assertEqual(tags, TAGS)


class ReplicationGroupUseTest(UsersCase):
    def setUp(self) -> None:
        super().setUp()
        self.default_user()
        self.group()

    def test_a_user_group_needs_transit_encryption_and_no_auth_token(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, UserGroupIds=["shop-cache"],
            message="Encryption in transit",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.create, UserGroupIds=["shop-cache"],
            TransitEncryptionEnabled=True, AuthToken="Secret-token-1234!",
        )
        self.assertAwsError(
            "UserGroupNotFound", self.create, UserGroupIds=["nope"], TransitEncryptionEnabled=True,
        )
        rg = self.available(UserGroupIds=["shop-cache"], TransitEncryptionEnabled=True)
        self.assertEqual(rg["UserGroupIds"], ["shop-cache"])

    def test_a_group_in_use_is_not_deleted(self) -> None:
        self.available(UserGroupIds=["shop-cache"], TransitEncryptionEnabled=True)
        self.assertAwsError(
            "InvalidUserGroupState", self.ec.delete_user_group, UserGroupId="shop-cache",
            message="in use",
        )
        self.modify(UserGroupIdsToRemove=["shop-cache"])
        self.assertEqual(self.describe().get("UserGroupIds", []), [])
        self.ec.delete_user_group(UserGroupId="shop-cache")
        self.assertAwsError("UserGroupNotFound", self.describe_group)

    def test_modify_adds_a_user_group_to_an_encrypted_group_only(self) -> None:
        self.available("plain")
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group,
            ReplicationGroupId="plain", ApplyImmediately=True, UserGroupIdsToAdd=["shop-cache"],
        )
        self.available(TransitEncryptionEnabled=True)
        self.modify(UserGroupIdsToAdd=["shop-cache"])
        self.assertEqual(self.describe()["UserGroupIds"], ["shop-cache"])
        self.assertEqual(self.describe_group()["ReplicationGroups"], ["cache1"])
