"""ElastiCache AUTH tokens of a replication group: the tokens it accepts (at most two), whether a
ROTATE waits for its SET, and ModifyReplicationGroup's `AuthTokenUpdateStrategy` (moto 5.2.5
ignores both the token and the strategy on modify).

Sources: ModifyReplicationGroup API reference, AuthTokenUpdateStrategy ("ROTATE - default, if
no update strategy is provided; SET - allowed only after ROTATE; DELETE - allowed only when
transitioning to RBAC"; "This parameter must be specified with the auth-token parameter");
ElastiCache user guide, "Authenticating with the Valkey and Redis OSS AUTH command" (ROTATE adds
a token while the previous one stays valid, at most two at once; SET makes the given token the
only one) and "Migrating from RBAC to AUTH" (`--auth-token T --auth-token-update-strategy
ROTATE --user-group-ids-to-remove G`); AUTH to RBAC: `--user-group-ids-to-add G
--auth-token-update-strategy DELETE`, without a token.

Rules (all InvalidParameterCombination; the wordings are assumed, AWS does not publish them,
except the user-group one, which is `elasticache_users`' own):
- a strategy other than DELETE needs AuthToken: "AuthTokenUpdateStrategy must be specified
  with AuthToken.";
- DELETE comes without AuthToken: "AuthToken cannot be specified with AuthTokenUpdateStrategy
  DELETE.";
- DELETE only with UserGroupIdsToAdd: "AuthTokenUpdateStrategy DELETE is allowed only when
  transitioning to RBAC (UserGroupIdsToAdd).";
- DELETE only when the group has a token: "Replication group G has no AUTH token to delete.";
- SET only while a ROTATE waits for it: "SET is allowed only after ROTATE.";
- a token (ROTATE or SET) only when the group uses no user group after the request (so RBAC to
  AUTH removes them all in the same request): "AuthToken cannot be used together with user
  groups.".
An unknown strategy is refused by the API model's enum (`validation.py`: InvalidParameterValue).

Bookkeeping: CreateReplicationGroup with AuthToken T: tokens [T]. ROTATE T (or no strategy):
the newest previous token and T (a group without a token gets [T]; AuthTokenEnabled true),
a rotation pending. SET T: [T], none pending. DELETE: [], AuthTokenEnabled false (the user
groups are attached by `elasticache_users`). The token checks of `elasticache_rules`
(in-transit encryption, form) and the `available` state (`elasticache`) stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow
from moto.elasticache.exceptions import InvalidParameterCombinationException
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup
from moto.elasticache.responses import ElastiCacheResponse

from . import wrap
from . import elasticache_rules as rules

OP = "ModifyReplicationGroup"
ROTATE, SET, DELETE = "ROTATE", "SET", "DELETE"
MAX_TOKENS = 2


@dataclass
class Tokens:
    accepted: list[str] = field(default_factory=list)
    rotating: bool = False  # a ROTATE waits for its SET


def tokens_of(rg: ReplicationGroup) -> Tokens:
    tokens = getattr(rg, "mosia_auth_tokens", None)
    if tokens is None:
        tokens = rg.mosia_auth_tokens = Tokens()
    return tokens


def combination(message: str) -> Exception:
    return rules.refuse(InvalidParameterCombinationException(message), OP)


def check_request(token: Any, strategy: str | None, to_add: list[str]) -> None:
    """The rules that need only the request."""
    if strategy == DELETE:
        if token is not None:
            raise combination("AuthToken cannot be specified with AuthTokenUpdateStrategy DELETE.")
        if not to_add:
            raise combination(
                "AuthTokenUpdateStrategy DELETE is allowed only when transitioning to RBAC "
                "(UserGroupIdsToAdd)."
            )
    elif strategy is not None and token is None:
        raise combination("AuthTokenUpdateStrategy must be specified with AuthToken.")


def check_group(
    rg: ReplicationGroup, token: Any, strategy: str | None, to_add: list[str], to_remove: list[str],
) -> None:
    """The rules that need the group as it is (it is `available`)."""
    tokens = tokens_of(rg)
    if strategy == DELETE:
        if not tokens.accepted:
            raise combination(
                f"Replication group {rg.replication_group_id} has no AUTH token to delete."
            )
        return
    if token is None:
        return
    current = list(getattr(rg, "user_group_ids", None) or [])
    remaining = [g for g in current if g not in to_remove] + [g for g in to_add if g not in current]
    if remaining:
        # Same answer as `elasticache_users.check_replication_group_use`.
        raise combination("AuthToken cannot be used together with user groups.")
    if strategy == SET and not tokens.rotating:
        raise combination("SET is allowed only after ROTATE.")


def record(rg: ReplicationGroup, token: Any, strategy: str | None) -> None:
    """The group's tokens after an accepted ModifyReplicationGroup (called by `elasticache`
    before it syncs the member clusters)."""
    tokens = tokens_of(rg)
    if strategy == DELETE:
        tokens.accepted, tokens.rotating = [], False
        rg.auth_token_enabled = False
        return
    if token is None:
        return
    token = str(token)
    if strategy == SET:
        tokens.accepted, tokens.rotating = [token], False
    else:  # ROTATE, the default
        kept = [t for t in tokens.accepted if t != token][-(MAX_TOKENS - 1):]
        tokens.accepted, tokens.rotating = kept + [token], True
    rg.auth_token_enabled = True
    rg.auth_token_last_modified_date = utcnow()


def apply(state: Any) -> None:
    """Applied after `elasticache_users`: the modify check wraps outermost, so it runs before
    the other patches check the request and change the group."""

    @wrap(ElastiCacheBackend, "create_replication_group")
    def create_replication_group(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        rg = orig(self, *args, **kwargs)
        token = kwargs.get("auth_token")
        tokens_of(rg).accepted = [str(token)] if token else []
        return rg

    @wrap(ElastiCacheResponse, "modify_replication_group")
    def modify_replication_group(orig: Any, self: ElastiCacheResponse) -> Any:
        token = self._get_param("AuthToken")
        strategy = self._get_param("AuthTokenUpdateStrategy")
        to_add = list(self._get_param("UserGroupIdsToAdd") or [])
        to_remove = list(self._get_param("UserGroupIdsToRemove") or [])
        check_request(token, strategy, to_add)
        rg = self.elasticache_backend.replication_groups.get(self._get_param("ReplicationGroupId"))
        # A missing or busy group is refused by `elasticache` (ReplicationGroupNotFound,
        # InvalidReplicationGroupState).
        if rg is not None and rg.status == "available":
            check_group(rg, token, strategy, to_add, to_remove)
        return orig(self)
