"""ElastiCache RBAC: users (moto 5.2.5 has Create/Describe/Delete) with AWS's rules, ModifyUser,
user groups (moto has none): Create, Describe, Modify, Delete, and their use by replication
groups (`UserGroupIds` at create, `UserGroupIdsToAdd` / `UserGroupIdsToRemove` at modify).

Rules, from the ElastiCache API reference and the user guide ("Role-Based Access Control",
"Authenticating with IAM"); wording assumed where AWS does not publish it:
- a user ID starts with a letter and has letters, digits and single hyphens, not at the end
  (InvalidParameterValue); IAM-authenticated users need UserName equal to UserId
  ("Authenticating with IAM": "user id and user name must be identical").
- a user group must hold a user whose name is `default` (DefaultUserRequired), no two users of
  the same name (DuplicateUserName), only users that exist (UserNotFound), and is changed only
  while `active` (InvalidUserGroupState).
- a user group is deleted only when no replication group uses it (InvalidUserGroupState).
- a replication group uses a user group only with in-transit encryption, not together with
  an AUTH token, and engine 6.0 or later (InvalidParameterCombination / InvalidParameterValue);
  the group must exist (UserGroupNotFound)."""

from __future__ import annotations

import re
from typing import Any

from moto.core.responses import ActionResult
from moto.elasticache.exceptions import (
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    UserNotFound,
)
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup, User
from moto.elasticache.responses import ElastiCacheResponse

from .. import lifecycle
from . import add, wrap
from . import elasticache_rules as rules

KIND = "elasticache_user_group"
ID = re.compile(r"[a-zA-Z](?:-?[a-zA-Z0-9])*")
IAM = "iam"


class UserGroupNotFound(ElastiCacheException):
    code = "UserGroupNotFound"

    def __init__(self, group_id: str) -> None:
        super().__init__(self.code, f"User group {group_id} not found.")


class UserGroupAlreadyExists(ElastiCacheException):
    code = "UserGroupAlreadyExists"


class DefaultUserRequired(ElastiCacheException):
    code = "DefaultUserRequired"


class DuplicateUserName(ElastiCacheException):
    code = "DuplicateUserName"


class InvalidUserGroupState(ElastiCacheException):
    code = "InvalidUserGroupState"


class UserAlreadyExists(ElastiCacheException):
    code = "UserAlreadyExists"


class DefaultUserAssociatedToUserGroup(ElastiCacheException):
    code = "DefaultUserAssociatedToUserGroup"


class UserGroup:
    def __init__(self, backend: ElastiCacheBackend, group_id: str, engine: str, user_ids: list[str]) -> None:
        self.user_group_id = group_id
        self.status = "creating"
        self.engine = engine
        self.user_ids = list(user_ids)
        self.minimum_engine_version = "6.0"
        self.replication_groups: list[str] = []
        self.arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:usergroup:{group_id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "UserGroupId": self.user_group_id, "Status": self.status, "Engine": self.engine,
            "UserIds": self.user_ids, "MinimumEngineVersion": self.minimum_engine_version,
            "ReplicationGroups": self.replication_groups, "ARN": self.arn,
        }


def refuse(error: Exception, op: str) -> Exception:
    return rules.refuse(error, op)


def groups_of(backend: ElastiCacheBackend) -> dict[str, UserGroup]:
    if not hasattr(backend, "mosia_user_groups"):
        backend.mosia_user_groups = {}
    return backend.mosia_user_groups


def get_user_group(backend: ElastiCacheBackend, group_id: str) -> UserGroup:
    group = groups_of(backend).get(group_id)
    if group is None:
        raise UserGroupNotFound(group_id)
    return group


def check_id(value: Any, what: str, op: str) -> None:
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise refuse(InvalidParameterValueException(
            f"{what} must begin with a letter and contain only ASCII letters, digits, and "
            "hyphens; it cannot end with a hyphen or contain two consecutive hyphens."
        ), op)


def check_members(backend: ElastiCacheBackend, user_ids: list[str], op: str) -> None:
    """The users exist, one per user name, and one of them is named `default`."""
    names: dict[str, str] = {}
    for uid in user_ids:
        user = backend.users.get(uid)
        if user is None or user.status == "deleting":
            raise refuse(UserNotFound(uid), op)
        if user.name in names:
            raise refuse(DuplicateUserName(
                "DuplicateUserName", f"User name {user.name} is used by more than one user."
            ), op)
        names[user.name] = uid
    if "default" not in names:
        raise refuse(DefaultUserRequired(
            "DefaultUserRequired", "A user group must contain a user with the user name default."
        ), op)


def require_active(group: UserGroup, op: str) -> None:
    if group.status != "active":
        raise refuse(InvalidUserGroupState(
            "InvalidUserGroupState",
            f"User group {group.user_group_id} is not in active state; it is {group.status}.",
        ), op)


def check_replication_group_use(
    backend: ElastiCacheBackend, group_ids: list[str], transit: bool, auth_token: Any,
    engine_version: str | None, op: str,
) -> None:
    if not group_ids:
        return
    for gid in group_ids:
        get_user_group(backend, gid)
    if not transit:
        raise refuse(InvalidParameterCombinationException(
            "Encryption in transit must be enabled for the replication group to use a user group."
        ), op)
    if auth_token:
        raise refuse(InvalidParameterCombinationException(
            "AuthToken cannot be used together with user groups."
        ), op)
    if engine_version and engine_version.split(".")[0].isdigit() and int(engine_version.split(".")[0]) < 6:
        raise refuse(InvalidParameterValueException(
            "User groups need engine version 6.0 or later."
        ), op)


def attach(backend: ElastiCacheBackend, rg: ReplicationGroup, add_ids: list[str], remove_ids: list[str]) -> None:
    current = list(getattr(rg, "user_group_ids", None) or [])
    for gid in remove_ids:
        if gid in current:
            current.remove(gid)
        group = groups_of(backend).get(gid)
        if group and rg.replication_group_id in group.replication_groups:
            group.replication_groups.remove(rg.replication_group_id)
    for gid in add_ids:
        if gid not in current:
            current.append(gid)
        group = get_user_group(backend, gid)
        if rg.replication_group_id not in group.replication_groups:
            group.replication_groups.append(rg.replication_group_id)
    rg.user_group_ids = current


def apply_users(state: Any) -> None:
    @wrap(ElastiCacheResponse, "create_user")
    def create_user(orig: Any, self: ElastiCacheResponse) -> Any:
        user_id, name = self._get_param("UserId"), self._get_param("UserName")
        check_id(user_id, "UserId", "CreateUser")
        if user_id in self.elasticache_backend.users:
            # Also while a user of that ID is still being deleted.
            raise refuse(UserAlreadyExists(
                "UserAlreadyExists", f"User {user_id} already exists."
            ), "CreateUser")
        mode = self._get_param("AuthenticationMode") or {}
        if mode.get("Type") == IAM and user_id != name:
            raise refuse(InvalidParameterValueException(
                "For IAM authentication, UserName must be identical to UserId."
            ), "CreateUser")
        result = orig(self)
        if mode.get("Type") == "no-password-required":
            # AWS reports it as `no-password` (AuthenticationType), moto as given.
            self.elasticache_backend.users[user_id].no_password_required = True
        return result

    @add(ElastiCacheResponse)
    def modify_user(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        user: User | None = backend.users.get(self._get_param("UserId"))
        if user is None:
            raise UserNotFound(self._get_param("UserId"))
        access = self._get_param("AccessString")
        if access is not None:
            user.access_string = access
        mode = self._get_param("AuthenticationMode") or {}
        if mode.get("Type"):
            if mode["Type"] == IAM and user.name != user.id:
                raise refuse(InvalidParameterValueException(
                    "For IAM authentication, UserName must be identical to UserId."
                ), "ModifyUser")
            user.authentication_type = mode["Type"]
            user.no_password_required = mode["Type"] == "no-password-required"
            user.passwords = list(mode.get("Passwords") or [])
        return ActionResult(user)

    @wrap(ElastiCacheBackend, "delete_user")
    def delete_user(orig: Any, self: ElastiCacheBackend, user_id: str) -> Any:
        user = self.users.get(user_id)
        for group in groups_of(self).values():
            if user is not None and user_id in group.user_ids:
                if user.name == "default":
                    raise refuse(DefaultUserAssociatedToUserGroup(
                        "DefaultUserAssociatedToUserGroup",
                        f"User {user_id} is the default user of user group {group.user_group_id}.",
                    ), "DeleteUser")
                group.user_ids.remove(user_id)
        return orig(self, user_id)


def apply_groups(state: Any) -> None:
    @add(ElastiCacheResponse)
    def create_user_group(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        gid = self._get_param("UserGroupId")
        check_id(gid, "UserGroupId", "CreateUserGroup")
        if gid in groups_of(backend):
            raise refuse(UserGroupAlreadyExists(
                "UserGroupAlreadyExists", f"User group {gid} already exists."
            ), "CreateUserGroup")
        engine = (self._get_param("Engine") or "").lower()
        if engine not in ("redis", "valkey"):
            raise refuse(InvalidParameterValueException(
                f"Unknown parameter for Engine: {engine}, must be one of: redis, valkey"
            ), "CreateUserGroup")
        user_ids = list(self._get_param("UserIds") or [])
        check_members(backend, user_ids, "CreateUserGroup")
        group = UserGroup(backend, gid, engine, user_ids)
        tags = self._get_param("Tags")
        if tags:
            backend.tagging_service.tag_resource(group.arn, tags)
        groups_of(backend)[gid] = group
        lifecycle.begin(group, KIND, "create", "creating", "active", name=gid)
        return ActionResult(group.to_dict())

    @add(ElastiCacheResponse)
    def describe_user_groups(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        gid = self._get_param("UserGroupId")
        groups = [get_user_group(backend, gid)] if gid else list(groups_of(backend).values())
        return ActionResult({"UserGroups": [g.to_dict() for g in groups]})

    @add(ElastiCacheResponse)
    def modify_user_group(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        group = get_user_group(backend, self._get_param("UserGroupId"))
        require_active(group, "ModifyUserGroup")
        to_add = list(self._get_param("UserIdsToAdd") or [])
        to_remove = list(self._get_param("UserIdsToRemove") or [])
        overlap = set(to_add) & set(to_remove)
        if overlap:
            raise refuse(InvalidParameterCombinationException(
                f"Users {sorted(overlap)} are both added and removed."
            ), "ModifyUserGroup")
        members = [u for u in group.user_ids if u not in to_remove]
        members += [u for u in to_add if u not in members]
        check_members(backend, members, "ModifyUserGroup")
        group.user_ids = members
        lifecycle.begin(group, KIND, "update", "modifying", "active", name=group.user_group_id)
        return ActionResult(group.to_dict())

    @add(ElastiCacheResponse)
    def delete_user_group(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        group = get_user_group(backend, self._get_param("UserGroupId"))
        # A replication group being deleted still uses it until it is gone.
        group.replication_groups = [
            r for r in group.replication_groups if r in backend.replication_groups
        ]
        if group.replication_groups:
            raise refuse(InvalidUserGroupState(
                "InvalidUserGroupState",
                f"User group {group.user_group_id} is in use by replication groups "
                f"{group.replication_groups}.",
            ), "DeleteUserGroup")
        require_active(group, "DeleteUserGroup")

        def gone() -> None:
            groups_of(backend).pop(group.user_group_id, None)

        lifecycle.begin(group, KIND, "delete", "deleting", None, on_done=gone, name=group.user_group_id)
        return ActionResult(group.to_dict())


def apply_replication_groups(state: Any) -> None:
    @wrap(ElastiCacheResponse, "create_replication_group")
    def create_replication_group(orig: Any, self: ElastiCacheResponse) -> Any:
        check_replication_group_use(
            self.elasticache_backend, list(self._get_param("UserGroupIds") or []),
            bool(self._get_bool_param("TransitEncryptionEnabled")), self._get_param("AuthToken"),
            self._get_param("EngineVersion"), "CreateReplicationGroup",
        )
        result = orig(self)
        backend = self.elasticache_backend
        rg = backend.replication_groups.get(self._get_param("ReplicationGroupId"))
        if rg is not None:
            attach(backend, rg, list(self._get_param("UserGroupIds") or []), [])
        return result

    @wrap(ElastiCacheResponse, "modify_replication_group")
    def modify_replication_group(orig: Any, self: ElastiCacheResponse) -> Any:
        backend = self.elasticache_backend
        to_add = list(self._get_param("UserGroupIdsToAdd") or [])
        to_remove = list(self._get_param("UserGroupIdsToRemove") or [])
        rg = backend.replication_groups.get(self._get_param("ReplicationGroupId"))
        if rg is not None and to_add:
            check_replication_group_use(
                backend, to_add, bool(rg.transit_encryption_enabled),
                self._get_param("AuthToken") or (
                    # DELETE: the AUTH -> RBAC migration (`elasticache_auth_tokens`).
                    getattr(rg, "auth_token_enabled", False)
                    and self._get_param("AuthTokenUpdateStrategy") != "DELETE"
                ),
                rg.engine_version, "ModifyReplicationGroup",
            )
        result = orig(self)
        if rg is not None:
            attach(backend, rg, to_add, to_remove)
        return result


def apply(state: Any) -> None:
    @wrap(ElastiCacheBackend, "list_tags_for_resource")
    def list_tags(orig: Any, self: ElastiCacheBackend, arn: str) -> Any:
        # moto's ARN check knows no user groups.
        if ":usergroup:" in arn:
            return self.tagging_service.list_tags_for_resource(arn)
        return orig(self, arn)

    apply_users(state)
    apply_groups(state)
    apply_replication_groups(state)
