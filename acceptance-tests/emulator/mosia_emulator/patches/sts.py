"""STS: GetCallerIdentity for credentials moto does not know (every request of the tests)
answers as AWS does for an IAM user, `arn:aws:iam::ACCOUNT:user/moto` (moto: an `arn:aws:sts::`
ARN, a form AWS never gives a user). EKS records the same ARN as the cluster creator's
access entry (eks_cluster_config.caller_principal)."""

from __future__ import annotations

from typing import Any

from moto.sts.models import STSBackend

from . import wrap


def apply(state: Any) -> None:
    _ = state

    @wrap(STSBackend, "get_caller_identity")
    def get_caller_identity(orig: Any, self: STSBackend, *args: Any, **kwargs: Any) -> Any:
        user_id, arn, account = orig(self, *args, **kwargs)
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("user/"):
            arn = f"arn:{parts[1]}:iam::{parts[4]}:{parts[5]}"
        return user_id, arn, account
