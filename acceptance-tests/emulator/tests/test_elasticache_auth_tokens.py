"""ElastiCache AUTH tokens: ModifyReplicationGroup's AuthTokenUpdateStrategy (ROTATE, SET,
DELETE) and the AUTH <-> RBAC migrations, each refused case next to the accepted one."""

from __future__ import annotations

from typing import Any

from .test_elasticache_rules import TOKEN
from .test_elasticache_users import UsersCase

ACCOUNT = "123456789012"
REGION = "us-east-1"
NEW = "Second-token-5678#"
NEWER = "Third-token-9012<>"
COMBINATION = "InvalidParameterCombination"


def accepted_tokens(rg_id: str = "cache1") -> list[str]:
    """The tokens the in-process emulator's group accepts (AWS does not show them)."""
    from moto.elasticache.models import elasticache_backends

    rg = elasticache_backends[ACCOUNT][REGION].replication_groups[rg_id]
    return list(rg.mosia_auth_tokens.accepted)


class AuthTokenCase(UsersCase):
    def refused(self, message: str, code: str = COMBINATION, **params: Any) -> None:
        self.assertAwsError(
            code, self.ec.modify_replication_group, ReplicationGroupId="cache1",
            ApplyImmediately=True, message=message, **params,
        )
        self.assertEqual(self.describe()["Status"], "available")

    def with_token(self) -> dict:
        return self.available(TransitEncryptionEnabled=True, AuthToken=TOKEN)


class RotateAndSetTest(AuthTokenCase):
    def test_create_with_a_token_enables_auth(self) -> None:
        rg = self.with_token()
        self.assertTrue(rg["AuthTokenEnabled"])
        self.assertEqual(accepted_tokens(), [TOKEN])
        members = self.ec.describe_cache_clusters(CacheClusterId="cache1-001")["CacheClusters"]
        self.assertTrue(members[0]["AuthTokenEnabled"])

    def test_rotate_keeps_the_previous_token_until_set(self) -> None:
        self.with_token()
        rg = self.modify(AuthToken=NEW, AuthTokenUpdateStrategy="ROTATE")
        self.assertTrue(rg["AuthTokenEnabled"])
        self.assertEqual(accepted_tokens(), [TOKEN, NEW])
        # No strategy is ROTATE: still at most two tokens, the newest previous one kept.
        self.modify(AuthToken=NEWER)
        self.assertEqual(accepted_tokens(), [NEW, NEWER])
        rg = self.modify(AuthToken=NEWER, AuthTokenUpdateStrategy="SET")
        self.assertTrue(rg["AuthTokenEnabled"])
        self.assertEqual(accepted_tokens(), [NEWER])
        # The SET used the ROTATE up.
        self.refused("SET is allowed only after ROTATE.", AuthToken=NEWER, AuthTokenUpdateStrategy="SET")

    def test_set_without_rotate_is_refused(self) -> None:
        self.with_token()
        self.refused("SET is allowed only after ROTATE.", AuthToken=NEW, AuthTokenUpdateStrategy="SET")
        self.assertEqual(accepted_tokens(), [TOKEN])
        self.modify(AuthToken=NEW, AuthTokenUpdateStrategy="ROTATE")
        self.modify(AuthToken=NEW, AuthTokenUpdateStrategy="SET")
        self.assertEqual(accepted_tokens(), [NEW])

    def test_rotate_adds_a_token_to_a_group_without_one(self) -> None:
        rg = self.available(TransitEncryptionEnabled=True)
        self.assertFalse(rg["AuthTokenEnabled"])
        self.modify(AuthToken=TOKEN, AuthTokenUpdateStrategy="ROTATE")
        self.assertTrue(self.describe()["AuthTokenEnabled"])
        self.assertEqual(accepted_tokens(), [TOKEN])

    def test_a_strategy_needs_a_token(self) -> None:
        self.with_token()
        for strategy in ("ROTATE", "SET"):
            self.refused(
                "AuthTokenUpdateStrategy must be specified with AuthToken",
                AuthTokenUpdateStrategy=strategy,
            )
        # Unknown strategies: the API model's enum.
        self.refused(
            "Member must satisfy enum value set", code="InvalidParameterValue",
            AuthToken=NEW, AuthTokenUpdateStrategy="REPLACE",
        )
        self.modify(AuthToken=NEW, AuthTokenUpdateStrategy="ROTATE")

    def test_a_group_without_transit_encryption_refuses_a_token(self) -> None:
        self.available()
        self.refused(
            "only supported when encryption-in-transit is enabled", code="InvalidParameterValue",
            AuthToken=TOKEN, AuthTokenUpdateStrategy="ROTATE",
        )


class MigrationTest(AuthTokenCase):
    def setUp(self) -> None:
        super().setUp()
        self.default_user()
        self.group()

    def test_auth_to_rbac_deletes_the_token_when_adding_user_groups(self) -> None:
        self.with_token()
        self.refused(
            "allowed only when transitioning to RBAC", AuthTokenUpdateStrategy="DELETE",
        )
        self.refused(
            "AuthToken cannot be specified with AuthTokenUpdateStrategy DELETE",
            AuthToken=NEW, AuthTokenUpdateStrategy="DELETE", UserGroupIdsToAdd=["shop-cache"],
        )
        # Adding user groups without DELETE: the token is still in use.
        self.refused("AuthToken cannot be used together with user groups", UserGroupIdsToAdd=["shop-cache"])
        self.assertTrue(self.describe()["AuthTokenEnabled"])
        rg = self.modify(AuthTokenUpdateStrategy="DELETE", UserGroupIdsToAdd=["shop-cache"])
        self.assertFalse(rg["AuthTokenEnabled"])
        described = self.describe()
        self.assertFalse(described["AuthTokenEnabled"])
        self.assertEqual(described["UserGroupIds"], ["shop-cache"])
        self.assertEqual(self.describe_group()["ReplicationGroups"], ["cache1"])
        self.assertEqual(accepted_tokens(), [])
        members = self.ec.describe_cache_clusters(CacheClusterId="cache1-001")["CacheClusters"]
        self.assertFalse(members[0]["AuthTokenEnabled"])

    def test_delete_needs_a_token(self) -> None:
        self.available(TransitEncryptionEnabled=True)
        self.refused(
            "has no AUTH token to delete", AuthTokenUpdateStrategy="DELETE",
            UserGroupIdsToAdd=["shop-cache"],
        )
        self.modify(UserGroupIdsToAdd=["shop-cache"])
        self.assertEqual(self.describe()["UserGroupIds"], ["shop-cache"])

    def test_rbac_to_auth_removes_the_user_groups_in_the_same_request(self) -> None:
        self.available(TransitEncryptionEnabled=True, UserGroupIds=["shop-cache"])
        self.refused(
            "AuthToken cannot be used together with user groups.",
            AuthToken=TOKEN, AuthTokenUpdateStrategy="ROTATE",
        )
        self.assertEqual(self.describe()["UserGroupIds"], ["shop-cache"])
        rg = self.modify(
            AuthToken=TOKEN, AuthTokenUpdateStrategy="ROTATE", UserGroupIdsToRemove=["shop-cache"],
        )
        self.assertTrue(rg["AuthTokenEnabled"])
        self.assertEqual(self.describe().get("UserGroupIds", []), [])
        self.assertEqual(self.describe_group()["ReplicationGroups"], [])
        self.modify(AuthToken=TOKEN, AuthTokenUpdateStrategy="SET")
        self.assertEqual(accepted_tokens(), [TOKEN])
