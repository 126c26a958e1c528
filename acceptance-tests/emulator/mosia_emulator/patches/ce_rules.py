"""Cost Explorer (json protocol, target `AWSInsightsIndexService`): cost allocation tags,
ListCostAllocationTags and UpdateCostAllocationTagsStatus, which moto 5.2.5 lacks (it answers
NotImplemented for both).

Sources:
- ListCostAllocationTags (API reference): "All inputs in the API are optional and serve as
  filters. By default, all cost allocation tags are returned": `Status` (Active | Inactive),
  `TagKeys` (1-100), `Type` (AWSGenerated | UserDefined), `MaxResults` ("By default, the
  request returns 100 results", at most 1000), `NextToken` (an unknown one:
  InvalidNextTokenException "The pagination token is invalid. Try again without a pagination
  token."). CostAllocationTag: `TagKey`, `Type`, `Status`, `LastUpdatedDate` ("The last date
  that the tag was either activated or deactivated"; absent for a tag never activated, as
  terraform-provider-aws#44763's state sample shows), `LastUsedDate` ("The last month that the
  tag was used on an AWS resource": the first of that month, `2024-05-01T00:00:00Z`).
- UpdateCostAllocationTagsStatus (API reference): "Updates status for cost allocation tags in
  bulk, with maximum batch size of 20" (the model's list bounds, checked by `validation.py`).
  "If the tag status that's updated is the same as the existing tag status, the request doesn't
  fail. Instead, it doesn't have any effect on the tag status". The answer is HTTP 200 with
  `Errors`, "error details about each cost allocation tag that can't be updated. If there's no
  failure, an empty array returns."
- A user-defined tag can be activated only after AWS has seen it on a resource: Billing User
  Guide, "Activating user-defined cost allocation tags" ("Tags only appear in the Billing and
  Cost Management console after you've applied them to resources ... it can take up to 24
  hours for tag keys to appear"); terraform-provider-aws#29068 (a new key: the update
  changes nothing and ListCostAllocationTags answers no tag) and #31442 ("AWS does only allow
  to activate tags in the cost allocation after they have been used for ~24 hours"). A key the
  account has not used is an `Errors` entry; its code and message are assumed
  (`TagKeysNotFoundException`, "Failed to update Cost Allocation Tag: Tag keys not found: KEY",
  as recalled from the API reference's partial-update example, which could not be retrieved).
- Only the management (payer) account manages cost allocation tags: a member (linked) account
  gets AccessDeniedException "Failed to update Cost Allocation Tag: Linked account doesn't have
  access to cost allocation tags." (HTTP 400; as AWS answered it in 2i2c-org/infrastructure#4932
  and runs-on/runs-on#458; Billing User Guide: "Only a management account in an organization
  ... can activate cost allocation tags"). ListCostAllocationTags stays allowed for a member
  account (assumed).

Controls (there is no AWS call for either; `POST /_mosia/events`):
- `ce_tag_keys_seen` `{"tag_keys": [...], "account_id": optional}`: AWS has seen these tag keys
  on the account's resources (the "up to 24 hours" have passed): they are listed, Inactive,
  `UserDefined` (`AWSGenerated` for `aws:` keys), with this month as LastUsedDate.
- `ce_linked_account` `{"account_id": optional, "linked": true|false}`: the account is a
  member (linked) account of an organization (true) or a management / standalone account
  (false, the default).
Both default to the emulator's account (123456789012) and are cleared by `/_mosia/reset`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from moto.ce.models import ce_backends
from moto.ce.responses import CostExplorerResponse
from moto.core.exceptions import JsonRESTError

from .. import events, rejections
from . import add

SERVICE = "ce"
DEFAULT_ACCOUNT = "123456789012"
PARTITION = "aws"
LINKED_MESSAGE = (
    "Failed to update Cost Allocation Tag: Linked account doesn't have access to cost allocation tags."
)
NOT_FOUND_CODE = "TagKeysNotFoundException"


class CostExplorerError(JsonRESTError):
    code = 400


def refuse(code: str, message: str, operation: str) -> CostExplorerError:
    rejections.record("rule", SERVICE, operation, code, message)
    return CostExplorerError(code, message)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def this_month_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).isoformat().replace("+00:00", "Z")


def account_state(account: str) -> dict[str, Any]:
    """{"tags": {key: CostAllocationTag}, "linked": bool} on moto's Cost Explorer backend
    (moto's reset re-creates the backend and so clears it)."""
    backend = ce_backends[account][PARTITION]
    found = backend.__dict__.get("_mosia_cost_allocation")
    if found is None:
        found = backend.__dict__["_mosia_cost_allocation"] = {"tags": {}, "linked": False}
    return found


def mark_seen(account: str, keys: list[str], last_used: str | None = None) -> list[dict[str, Any]]:
    """AWS has seen `keys` on the account's resources: they become cost allocation tags (Inactive
    unless already known). Answers the tags."""
    tags = account_state(account)["tags"]
    out = []
    for key in keys:
        key = str(key)
        tag = tags.get(key)
        if tag is None:
            tag = tags[key] = {
                "TagKey": key,
                "Type": "AWSGenerated" if key.startswith("aws:") else "UserDefined",
                "Status": "Inactive",
            }
        tag["LastUsedDate"] = last_used or this_month_iso()
        out.append(dict(tag))
    return out


def set_linked(account: str, linked: bool) -> None:
    account_state(account)["linked"] = bool(linked)


def body(response: CostExplorerResponse) -> dict[str, Any]:
    try:
        data = json.loads(response.body or "{}")
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def ok(payload: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    return 200, {"status": 200, "Content-Type": "application/x-amz-json-1.1"}, json.dumps(payload)


# -- events --------------------------------------------------------------------------------------
def tag_keys_seen(payload: dict[str, Any]) -> dict[str, Any]:
    keys = payload.get("tag_keys")
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise ValueError('ce_tag_keys_seen needs "tag_keys": a non-empty list of tag keys')
    account = str(payload.get("account_id") or DEFAULT_ACCOUNT)
    return {"account_id": account, "tags": mark_seen(account, keys, payload.get("last_used"))}


def linked_account(payload: dict[str, Any]) -> dict[str, Any]:
    account = str(payload.get("account_id") or DEFAULT_ACCOUNT)
    linked = payload.get("linked", True)
    if not isinstance(linked, bool):
        raise ValueError('ce_linked_account: "linked" is true or false')
    set_linked(account, linked)
    return {"account_id": account, "linked": linked}


# -- wiring --------------------------------------------------------------------------------------
def apply(state: Any) -> None:
    _ = state
    events.register("ce_tag_keys_seen")(tag_keys_seen)
    events.register("ce_linked_account")(linked_account)

    @add(CostExplorerResponse)
    def list_cost_allocation_tags(self: CostExplorerResponse) -> Any:
        op = "ListCostAllocationTags"
        params = body(self)
        tags = account_state(self.current_account)["tags"]
        wanted_keys = params.get("TagKeys")
        items = []
        for key in sorted(tags):
            tag = tags[key]
            if params.get("Status") and tag["Status"] != params["Status"]:
                continue
            if params.get("Type") and tag["Type"] != params["Type"]:
                continue
            if isinstance(wanted_keys, list) and wanted_keys and key not in wanted_keys:
                continue
            items.append(dict(tag))
        token = params.get("NextToken")
        start = 0
        if token:
            if not str(token).isdigit() or int(token) > len(items):
                raise refuse(
                    "InvalidNextTokenException",
                    "The pagination token is invalid. Try again without a pagination token.",
                    op,
                )
            start = int(token)
        size = int(params.get("MaxResults") or 100)
        out: dict[str, Any] = {"CostAllocationTags": items[start:start + size]}
        if start + size < len(items):
            out["NextToken"] = str(start + size)
        return ok(out)

    @add(CostExplorerResponse)
    def update_cost_allocation_tags_status(self: CostExplorerResponse) -> Any:
        op = "UpdateCostAllocationTagsStatus"
        params = body(self)
        account = account_state(self.current_account)
        if account["linked"]:
            raise refuse("AccessDeniedException", LINKED_MESSAGE, op)
        errors = []
        for entry in params.get("CostAllocationTagsStatus") or []:
            entry = entry if isinstance(entry, dict) else {}
            key = str(entry.get("TagKey") or "")
            status = str(entry.get("Status") or "")
            tag = account["tags"].get(key)
            if tag is None:
                message = f"Failed to update Cost Allocation Tag: Tag keys not found: {key}"
                rejections.record("rule", SERVICE, op, NOT_FOUND_CODE, message)
                errors.append({"TagKey": key, "Code": NOT_FOUND_CODE, "Message": message})
                continue
            if tag["Status"] != status:
                tag["Status"] = status
                tag["LastUpdatedDate"] = now_iso()
        return ok({"Errors": errors})
