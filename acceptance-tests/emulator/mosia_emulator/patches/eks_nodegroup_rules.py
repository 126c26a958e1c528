"""EKS node group taints and update config: the rules AWS applies beyond the API model
(which already bounds a taint key to 1-63 characters, a value to 63, the effect to
NO_SCHEDULE | NO_EXECUTE | PREFER_NO_SCHEDULE, and maxUnavailablePercentage to 1-100), and
what moto drops (CreateNodegroup's updateConfig; UpdateNodegroupConfig's update params in
EKS's names).

Rules (InvalidParameterException, recorded under "rejected"; sources: EKS User Guide "Recipe:
Prevent pods from being scheduled on specific nodes" (taints: at most 50 per node group, keys
and values in Kubernetes' syntax) and the API reference's NodegroupUpdateConfig (maxUnavailable
1-100, exactly one of maxUnavailable and maxUnavailablePercentage); the wording of each
refusal is assumed):
- at most 50 taints (after an update's additions and removals);
- a taint key is an optional DNS-subdomain prefix and `/`, then a name of alphanumerics,
  `-`, `_`, `.` starting and ending alphanumeric; a value is such a name or empty;
- updateConfig has exactly one of maxUnavailable (1-100) and maxUnavailablePercentage.
A node group created without updateConfig reports {"maxUnavailable": 1} (EKS's default)."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.core.responses import ActionResult
from moto.eks.exceptions import EKSError
from moto.eks.models import EKSBackend
from moto.eks.responses import EKSResponse

from . import add, eks_rules, wrap

MAX_TAINTS = 50
NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
TAINT_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?{NAME}$")
TAINT_VALUE = re.compile(rf"^({NAME})?$")
DEFAULT_UPDATE_CONFIG = {"maxUnavailable": 1}


def check_taints(taints: list[dict[str, Any]], cluster: str, nodegroup: str) -> None:
    if len(taints) > MAX_TAINTS:
        raise eks_rules.invalid(
            f"Nodegroup can have at most {MAX_TAINTS} taints, {len(taints)} were given", cluster, nodegroup
        )
    for taint in taints:
        key, value = taint.get("key") or "", taint.get("value") or ""
        if not TAINT_KEY.match(key):
            raise eks_rules.invalid(f"Taint key {key!r} is not a valid Kubernetes taint key", cluster, nodegroup)
        if not TAINT_VALUE.match(value):
            raise eks_rules.invalid(f"Taint value {value!r} is not a valid Kubernetes taint value", cluster, nodegroup)


def check_update_config(config: dict[str, Any] | None, cluster: str, nodegroup: str) -> None:
    if config is None:
        return
    count = config.get("maxUnavailable")
    percent = config.get("maxUnavailablePercentage")
    if (count is None) == (percent is None):
        raise eks_rules.invalid(
            "Exactly one of maxUnavailable and maxUnavailablePercentage must be specified",
            cluster, nodegroup,
        )
    if count is not None and not 1 <= int(count) <= 100:
        raise eks_rules.invalid("maxUnavailable must be between 1 and 100", cluster, nodegroup)


def merged_taints(current: list[dict[str, Any]], change: dict[str, Any]) -> list[dict[str, Any]]:
    """The taints after UpdateNodegroupConfig (a taint is identified by key and effect)."""
    out = [dict(t) for t in current]
    for taint in change.get("removeTaints") or []:
        out = [t for t in out if (t["key"], t.get("effect")) != (taint["key"], taint.get("effect"))]
    for taint in change.get("addOrUpdateTaints") or []:
        out = [t for t in out if (t["key"], t.get("effect")) != (taint["key"], taint.get("effect"))]
        out.append(dict(taint))
    return out


def eks_params(kwargs: dict[str, Any]) -> list[dict[str, str]]:
    """UpdateNodegroupConfig's update params, with EKS's UpdateParamType names."""
    params: list[dict[str, str]] = []
    labels = kwargs.get("labels") or {}
    taints = kwargs.get("taints") or {}
    for source, key, kind in (
        (labels, "addOrUpdateLabels", "LabelsToAdd"), (labels, "removeLabels", "LabelsToRemove"),
        (taints, "addOrUpdateTaints", "TaintsToAdd"), (taints, "removeTaints", "TaintsToRemove"),
    ):
        if source.get(key):
            params.append({"type": kind, "value": json.dumps(source[key])})
    for key, kind in (("minSize", "MinSize"), ("maxSize", "MaxSize"), ("desiredSize", "DesiredSize")):
        if (kwargs.get("scaling_config") or {}).get(key) is not None:
            params.append({"type": kind, "value": str(kwargs["scaling_config"][key])})
    for key, kind in (("maxUnavailable", "MaxUnavailable"), ("maxUnavailablePercentage", "MaxUnavailablePercentage")):
        if (kwargs.get("update_config") or {}).get(key) is not None:
            params.append({"type": kind, "value": str(kwargs["update_config"][key])})
    if kwargs.get("node_repair_config"):
        params.append({"type": "NodeRepairEnabled", "value": json.dumps(kwargs["node_repair_config"].get("enabled"))})
    return params


def apply() -> None:
    previous_create = EKSResponse.create_nodegroup

    @add(EKSResponse)
    def create_nodegroup(self: EKSResponse) -> ActionResult:
        cluster = self.eks_backend.clusters.get(self._get_param("name"))
        ng_name = self._get_param("nodegroupName")
        update_config = self._get_param("updateConfig")
        if cluster is not None and ng_name not in cluster.nodegroups:
            try:
                check_taints(self._get_param("taints") or [], cluster.name, ng_name)
                check_update_config(update_config, cluster.name, ng_name)
            except EKSError as err:
                raise eks_rules.refuse(err, "CreateNodegroup")
        result = previous_create(self)
        ng = cluster.nodegroups[ng_name]
        ng.update_config = dict(update_config or DEFAULT_UPDATE_CONFIG)
        ng.taints = [dict(t) for t in ng.taints]
        return result

    @wrap(EKSBackend, "update_nodegroup_config")
    def update_nodegroup_config(orig: Any, self: EKSBackend, **kwargs: Any) -> Any:
        cluster = self.clusters.get(kwargs.get("cluster_name"))
        ng = cluster.nodegroups.get(kwargs.get("nodegroup_name")) if cluster else None
        if ng is None:
            return orig(self, **kwargs)
        try:
            if kwargs.get("taints"):
                check_taints(merged_taints(ng.taints, kwargs["taints"]), cluster.name, ng.nodegroup_name)
            check_update_config(kwargs.get("update_config"), cluster.name, ng.nodegroup_name)
        except EKSError as err:
            raise eks_rules.refuse(err, "UpdateNodegroupConfig")
        ng.taints = [dict(t) for t in ng.taints]  # moto's default list may be shared
        result = orig(self, **kwargs)
        result["params"] = eks_params(kwargs)
        return result
