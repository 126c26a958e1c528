"""CloudWatch Logs: PutRetentionPolicy takes only the retention periods AWS offers (moto
stores any number). AWS: InvalidParameterException with the enum constraint message (the
list: CloudWatch Logs API reference, PutRetentionPolicy, "retentionInDays"; the Days shape
in the API model is a plain integer, so the model validation cannot see it). The refusal is
recorded under "rejected". CreateLogGroup (ResourceAlreadyExistsException), DescribeLogGroups
(retentionInDays only when set), DeleteLogGroup, TagResource/ListTagsForResource: moto's, as
AWS answers."""

from __future__ import annotations

from typing import Any

from moto.logs.exceptions import InvalidParameterException
from moto.logs.responses import LogsResponse

from .. import rejections
from . import wrap

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)


def apply(state: Any) -> None:
    _ = state

    @wrap(LogsResponse, "put_retention_policy")
    def put_retention_policy(orig: Any, self: LogsResponse) -> Any:
        days = self._get_param("retentionInDays")
        if days not in RETENTION_DAYS:
            raise rejections.rule(
                InvalidParameterException(
                    constraint="Member must satisfy enum value set: "
                    f"[{', '.join(str(d) for d in RETENTION_DAYS)}]",
                    parameter="retentionInDays",
                    value=days,
                ),
                "logs",
                "PutRetentionPolicy",
            )
        return orig(self)
