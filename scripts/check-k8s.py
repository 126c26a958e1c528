#!/usr/bin/env python3
"""Renders the Kubernetes manifests of k8s/ and checks them.

    scripts/check-k8s.py                        # k8s/base and every k8s/overlays/NAME
    scripts/check-k8s.py production local       # only these (`base`, an overlay name or a directory)
    scripts/check-k8s.py --k8s DIR              # another copy of k8s/ (base/, overlays/)
    scripts/check-k8s.py --render production    # print the rendered overlay as a JSON list

Each overlay is rendered with `kubectl kustomize` (the machine image's kubectl, or $KUBECTL).
Every object is validated with kubernetes-validate against the Kubernetes JSON schemas of
KUBERNETES_VERSION in strict mode (a field the API does not know is an error). The one custom
kind, the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1), has no schema there:
it is validated against SERVICEMONITOR_SCHEMA below. Any other kind without a schema is an
error. Then the references between the objects are checked: service accounts, ConfigMaps and
Secrets the pods use, named ports, Service, PDB, NetworkPolicy and ServiceMonitor selectors,
HPA and Ingress targets, and the `restricted` Pod Security profile of every pod.

Prints one line per overlay; on a problem, one line naming overlay, kind/name and field, and
exits 1.
"""

import argparse
import collections
import functools
import ipaddress
import json
import os
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINT_PYTHON = os.path.join(REPO, ".tools", "lint-venv", "bin", "python")

try:
    import jsonschema
    import yaml
    from referencing import Registry, Resource
    import kubernetes_validate.utils as kv
except ImportError:  # run with a Python that lacks them: use the linters' venv (scripts/install-tools.sh)
    if __name__ == "__main__" and os.path.exists(LINT_PYTHON) and not os.environ.get("MOSIA_CHECK_K8S_REEXEC"):
        os.environ["MOSIA_CHECK_K8S_REEXEC"] = "1"
        os.execv(LINT_PYTHON, [LINT_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit("check-k8s: needs kubernetes-validate and PyYAML: run scripts/install-tools.sh "
             f"(they go to {os.path.relpath(LINT_PYTHON, REPO)})")

# kubernetes-validate reads and parses the schema files (among them 1.5 MB of shared
# definitions) at every validate() call; they do not change during a run: read each once.
kv.schema_contents = functools.lru_cache(maxsize=None)(kv.schema_contents)

# The Kubernetes version the manifests are validated against: 1.34, a version EKS has in
# standard support, and one minor below the environments' clusters (eks.version = "1.35" in
# environments/*/terraform.tfvars), so that the manifests also apply to a cluster that has not
# been upgraded yet: a field newer than 1.34 is refused. One place to change it.
KUBERNETES_VERSION = "1.34"

K8S = os.path.join(REPO, "k8s")

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
CLUSTER_SCOPED = ("Namespace",)

# The fields of a ServiceMonitor these manifests may use, with the types and patterns of the
# prometheus-operator CRD (monitoring.coreos.com_servicemonitors.yaml, operator v0.84). Strict
# like the Kubernetes schemas: a field outside this subset is refused (add it here, from the
# CRD, when the manifests need it). metadata and the selector use the Kubernetes definitions.
DURATION = r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
DEFS = "/api/_definitions.json#/$defs/"
RELABEL = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "action": {"type": "string", "enum": [
            "replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod",
            "labelmap", "LabelMap", "labeldrop", "LabelDrop", "labelkeep", "LabelKeep",
            "lowercase", "Lowercase", "uppercase", "Uppercase", "keepequal", "KeepEqual",
            "dropequal", "DropEqual"]},
        "modulus": {"type": "integer"},
        "regex": {"type": "string"},
        "replacement": {"type": "string"},
        "separator": {"type": "string"},
        "sourceLabels": {"type": "array", "items": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"}},
        "targetLabel": {"type": "string"},
    },
}
SERVICEMONITOR_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://kubernetes.io/api/servicemonitor/monitoring/v1",
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"type": "string", "enum": ["monitoring.coreos.com/v1"]},
        "kind": {"type": "string", "enum": ["ServiceMonitor"]},
        "metadata": {"$ref": DEFS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["endpoints", "selector"],
            "properties": {
                "selector": {"$ref": DEFS + "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"},
                "namespaceSelector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "any": {"type": "boolean"},
                        "matchNames": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "jobLabel": {"type": "string"},
                "targetLabels": {"type": "array", "items": {"type": "string"}},
                "podTargetLabels": {"type": "array", "items": {"type": "string"}},
                "sampleLimit": {"type": "integer", "minimum": 0},
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "targetPort": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                            "path": {"type": "string"},
                            "scheme": {"type": "string", "enum": ["http", "https"]},
                            "interval": {"type": "string", "pattern": DURATION},
                            "scrapeTimeout": {"type": "string", "pattern": DURATION},
                            "honorLabels": {"type": "boolean"},
                            "honorTimestamps": {"type": "boolean"},
                            "params": {"type": "object", "additionalProperties": {
                                "type": "array", "items": {"type": "string"}}},
                            "relabelings": {"type": "array", "items": RELABEL},
                            "metricRelabelings": {"type": "array", "items": RELABEL},
                        },
                    },
                },
            },
        },
    },
}


class Failure(Exception):
    """The overlay could not be rendered."""


# Rendering

def overlay_dirs(k8s_dir=K8S):
    """(name, directory) of the base and of every overlay, base first."""
    found = [("base", os.path.join(k8s_dir, "base"))]
    parent = os.path.join(k8s_dir, "overlays")
    if os.path.isdir(parent):
        for name in sorted(os.listdir(parent)):
            path = os.path.join(parent, name)
            if os.path.isfile(os.path.join(path, "kustomization.yaml")):
                found.append((name, path))
    return found


def resolve(name, k8s_dir=K8S):
    """The directory of `base`, of an overlay by name, or a directory given as it is."""
    for known, path in overlay_dirs(k8s_dir):
        if known == name:
            return name, path
    if os.path.isdir(name):
        return os.path.basename(os.path.normpath(name)), name
    names = ", ".join(n for n, _ in overlay_dirs(k8s_dir))
    raise Failure(f"{name}: no such overlay (have: {names})")


def kubectl():
    found = os.environ.get("KUBECTL") or shutil.which("kubectl") or "/usr/bin/kubectl"
    if not os.path.exists(found):
        raise Failure("kubectl is not installed (it renders the overlays with `kubectl kustomize`)")
    return found


def render(directory):
    """The objects `kubectl kustomize DIRECTORY` prints."""
    done = subprocess.run([kubectl(), "kustomize", directory], capture_output=True, text=True)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        raise Failure(f"kubectl kustomize failed: {' '.join(message) or 'exit %d' % done.returncode}")
    try:
        return [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    except yaml.YAMLError as e:
        raise Failure(f"kubectl kustomize printed YAML that does not parse: {e}")


# Schema validation

def field_path(path):
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else str(item))
    return out or "(object)"


def ident(obj):
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind', '?')}/{meta.get('name', '?')}"


_servicemonitor_validator = None


def servicemonitor_validator():
    """A validator of SERVICEMONITOR_SCHEMA that resolves the Kubernetes definitions."""
    global _servicemonitor_validator
    if _servicemonitor_validator is None:
        schema_dir = f"v{KUBERNETES_VERSION}.0-local-strict"
        definitions = kv.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/_definitions.json", KUBERNETES_VERSION)
        registry = Resource.from_contents(definitions) @ (
            Resource.from_contents(SERVICEMONITOR_SCHEMA) @ Registry())
        _servicemonitor_validator = jsonschema.validators.Draft202012Validator(
            SERVICEMONITOR_SCHEMA, registry=registry)
    return _servicemonitor_validator


def validate(obj):
    """Problems of one object against its schema: ["field: message"]."""
    if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
        return ["(object): not a Kubernetes object (no kind or apiVersion)"]
    if obj["kind"] == "ServiceMonitor":
        errors = sorted(servicemonitor_validator().iter_errors(obj), key=lambda e: [str(p) for p in e.path])
        return [f"{field_path(e.path)}: {e.message}" for e in errors]
    try:
        kv.validate(obj, KUBERNETES_VERSION, strict=True)
    except kv.ValidationError as e:
        return [f"{field_path(e.path)}: {e.message}"]
    except kv.SchemaNotFoundError:
        return [f"kind: unknown kind {obj['kind']} ({obj['apiVersion']}): no schema for "
                f"Kubernetes {KUBERNETES_VERSION}, and not the ServiceMonitor this check knows"]
    return []


# References between objects

def selects(selector, labels):
    """Whether a LabelSelector matches the labels (an empty one matches all, None nothing)."""
    if selector is None:
        return False
    labels = labels or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class Index:
    def __init__(self, objects):
        self.objects = objects
        self.by_kind = collections.defaultdict(dict)
        for obj in objects:
            self.by_kind[obj.get("kind")][(obj.get("metadata") or {}).get("name")] = obj
        self.workloads = [o for o in objects if o.get("kind") in WORKLOAD_KINDS]

    def get(self, kind, name):
        return self.by_kind.get(kind, {}).get(name)

    def pods_selected(self, selector):
        """The workloads whose pod template the selector matches."""
        return [w for w in self.workloads
                if selects(selector, template_labels(w))]


def template_labels(workload):
    return (((workload.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def pod_spec(workload):
    return ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}


def containers(spec):
    return (spec.get("initContainers") or []) + (spec.get("containers") or [])


def container_ports(workloads):
    """Names and numbers of the container ports of these workloads' pods."""
    names, numbers = set(), set()
    for w in workloads:
        for c in containers(pod_spec(w)):
            for p in c.get("ports") or []:
                numbers.add(p.get("containerPort"))
                if p.get("name"):
                    names.add(p["name"])
    return names, numbers


class Checker:
    def __init__(self, objects):
        self.index = Index(objects)
        self.problems = []
        self.checked = 0

    def problem(self, obj, field, message):
        self.problems.append(f"{ident(obj)}: {field}: {message}")

    def expect(self, ok, obj, field, message):
        self.checked += 1
        if not ok:
            self.problem(obj, field, message)
        return ok

    def run(self):
        ix = self.index
        self.guarded(None, self.check_namespaces)
        for w in ix.workloads:
            self.guarded(w, self.check_workload, w)
        for kind, check in (("Service", self.check_service), ("Ingress", self.check_ingress),
                            ("HorizontalPodAutoscaler", self.check_hpa),
                            ("PodDisruptionBudget", self.check_pdb),
                            ("NetworkPolicy", self.check_network_policy),
                            ("ServiceMonitor", self.check_service_monitor)):
            for obj in ix.by_kind.get(kind, {}).values():
                self.guarded(obj, check, obj)
        return self.problems

    def guarded(self, obj, check, *args):
        """Runs a check; an object too malformed to follow (its schema error says why) is named."""
        try:
            check(*args)
        except (AttributeError, TypeError, KeyError) as e:
            self.problem(obj or {}, "(references)", f"not checked, the object is malformed ({e!r})")

    def check_namespaces(self):
        namespaces = list(self.index.by_kind.get("Namespace", {}))
        for obj in self.index.objects:
            if obj.get("kind") in CLUSTER_SCOPED:
                continue
            ns = (obj.get("metadata") or {}).get("namespace")
            if namespaces:
                self.expect(ns in namespaces, obj, "metadata.namespace",
                            f"{ns!r} is not the overlay's namespace ({', '.join(namespaces)})")

    # Pods

    def check_workload(self, w):
        ix = self.index
        spec = w.get("spec") or {}
        pod = pod_spec(w)
        base = "spec.template.spec"
        self.expect(selects(spec.get("selector"), template_labels(w)), w, "spec.selector",
                    "does not match the pod template's labels")
        sa = pod.get("serviceAccountName")
        if sa:
            self.expect(ix.get("ServiceAccount", sa), w, f"{base}.serviceAccountName",
                        f"ServiceAccount {sa} is not in the overlay")
        elif w.get("kind") == "Deployment":
            self.expect(False, w, f"{base}.serviceAccountName",
                        "not set: the application runs as its own service account")
        if w.get("kind") == "StatefulSet":
            svc = spec.get("serviceName")
            self.expect(svc and ix.get("Service", svc), w, "spec.serviceName",
                        f"Service {svc} is not in the overlay")
        self.check_restricted(w, pod, base)
        keys = collections.Counter(
            (t.get("topologyKey")) for t in pod.get("topologySpreadConstraints") or [])
        for key, count in keys.items():
            self.expect(count == 1, w, f"{base}.topologySpreadConstraints",
                        f"{count} constraints for topologyKey {key}")
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        for name, v in volumes.items():
            for kind, src, key in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
                ref = (v.get(src) or {}).get(key)
                if ref and not (v[src].get("optional")):
                    self.expect(ix.get(kind, ref), w, f"{base}.volumes[{name}].{src}",
                                f"{kind} {ref} is not in the overlay")
        for i, c in enumerate(containers(pod)):
            where = f"{base}.containers[{i}]" if c in (pod.get("containers") or []) else \
                f"{base}.initContainers[{c.get('name')}]"
            self.check_container(w, c, where, volumes)

    def check_container(self, w, c, where, volumes):
        ix = self.index
        for j, source in enumerate(c.get("envFrom") or []):
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                ref = source.get(key)
                if ref and not ref.get("optional"):
                    self.expect(ix.get(kind, ref.get("name")), w, f"{where}.envFrom[{j}].{key}",
                                f"{kind} {ref.get('name')} is not in the overlay")
        for env in c.get("env") or []:
            value_from = env.get("valueFrom") or {}
            for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                ref = value_from.get(key)
                if not ref or ref.get("optional"):
                    continue
                target = ix.get(kind, ref.get("name"))
                field = f"{where}.env[{env.get('name')}].valueFrom.{key}"
                if self.expect(target, w, field, f"{kind} {ref.get('name')} is not in the overlay"):
                    data = dict(target.get("data") or {}, **(target.get("stringData") or {}))
                    self.expect(ref.get("key") in data, w, field,
                                f"{kind} {ref.get('name')} has no key {ref.get('key')}")
        port_names = {p.get("name") for p in c.get("ports") or [] if p.get("name")}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            p = c.get(probe) or {}
            port = (p.get("httpGet") or p.get("tcpSocket") or p.get("grpc") or {}).get("port")
            if isinstance(port, str):
                self.expect(port in port_names, w, f"{where}.{probe}",
                            f"port {port!r} is not a port of the container ({', '.join(sorted(port_names)) or 'none'})")
        for probe in ("readinessProbe", "livenessProbe"):
            self.expect(c.get(probe), w, f"{where}.{probe}", "missing")
        resources = c.get("resources") or {}
        for part in ("requests", "limits"):
            for res in ("cpu", "memory"):
                self.expect((resources.get(part) or {}).get(res), w, f"{where}.resources.{part}.{res}",
                            "missing")
        for m in c.get("volumeMounts") or []:
            self.expect(m.get("name") in volumes or m.get("name") in self.claim_names(w), w,
                        f"{where}.volumeMounts[{m.get('name')}]", "no volume of that name")
        if w.get("kind") == "Deployment":
            sc = c.get("securityContext") or {}
            self.expect(sc.get("readOnlyRootFilesystem") is True, w,
                        f"{where}.securityContext.readOnlyRootFilesystem", "must be true")

    @staticmethod
    def claim_names(w):
        return {(t.get("metadata") or {}).get("name")
                for t in (w.get("spec") or {}).get("volumeClaimTemplates") or []}

    def check_restricted(self, w, pod, base):
        """The Pod Security `restricted` profile the namespace enforces."""
        psc = pod.get("securityContext") or {}
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            self.expect(not pod.get(flag), w, f"{base}.{flag}", "must not be set (restricted)")
        for i, c in enumerate(containers(pod)):
            sc = c.get("securityContext") or {}
            where = f"{base}.containers[{c.get('name')}].securityContext"
            non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
            self.expect(non_root is True, w, f"{where}.runAsNonRoot", "must be true (restricted)")
            user = sc.get("runAsUser", psc.get("runAsUser"))
            self.expect(user != 0, w, f"{where}.runAsUser", "must not be 0 (restricted)")
            self.expect(sc.get("allowPrivilegeEscalation") is False, w,
                        f"{where}.allowPrivilegeEscalation", "must be false (restricted)")
            self.expect(not sc.get("privileged"), w, f"{where}.privileged", "must not be true")
            drop = (sc.get("capabilities") or {}).get("drop") or []
            self.expect("ALL" in drop, w, f"{where}.capabilities.drop",
                        "must contain ALL (restricted)")
            seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            self.expect(seccomp in ("RuntimeDefault", "Localhost"), w, f"{where}.seccompProfile",
                        "must be RuntimeDefault or Localhost, on the pod or the container (restricted)")

    # Services and what uses them

    def check_service(self, svc):
        spec = svc.get("spec") or {}
        selector = spec.get("selector")
        if not selector:
            return
        pods = self.index.pods_selected({"matchLabels": selector})
        if not self.expect(pods, svc, "spec.selector", f"{selector} selects no pod template"):
            return
        names, numbers = container_ports(pods)
        for i, p in enumerate(spec.get("ports") or []):
            target = p.get("targetPort", p.get("port"))
            ok = target in names if isinstance(target, str) else target in numbers
            self.expect(ok, svc, f"spec.ports[{i}].targetPort",
                        f"{target!r} is not a container port of the selected pods")

    def service_port(self, obj, field, service, port):
        """The backend `service` exists and has `port` ({name} or {number})."""
        svc = self.index.get("Service", service)
        if not self.expect(svc, obj, field, f"Service {service} is not in the overlay"):
            return
        ports = (svc.get("spec") or {}).get("ports") or []
        if "name" in (port or {}):
            self.expect(port["name"] in {p.get("name") for p in ports}, obj, f"{field}.port.name",
                        f"Service {service} has no port named {port['name']!r}")
        elif "number" in (port or {}):
            self.expect(port["number"] in {p.get("port") for p in ports}, obj,
                        f"{field}.port.number", f"Service {service} has no port {port['number']}")

    def check_ingress(self, ing):
        spec = ing.get("spec") or {}
        self.expect(spec.get("ingressClassName"), ing, "spec.ingressClassName", "missing")
        backends = []
        if spec.get("defaultBackend"):
            backends.append(("spec.defaultBackend", spec["defaultBackend"]))
        for i, rule in enumerate(spec.get("rules") or []):
            for j, path in enumerate((rule.get("http") or {}).get("paths") or []):
                backends.append((f"spec.rules[{i}].http.paths[{j}].backend", path.get("backend") or {}))
        self.expect(backends, ing, "spec", "no backend")
        for field, backend in backends:
            service = backend.get("service")
            if service:
                self.service_port(ing, f"{field}.service", service.get("name"), service.get("port"))

    def check_hpa(self, hpa):
        spec = hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        target = self.index.get(ref.get("kind"), ref.get("name"))
        if not self.expect(target and target.get("apiVersion") == ref.get("apiVersion"), hpa,
                           "spec.scaleTargetRef",
                           f"{ref.get('apiVersion')} {ref.get('kind')} {ref.get('name')} is not in the overlay"):
            return
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
        self.expect(high is not None and low <= high, hpa, "spec.minReplicas",
                    f"{low} is above maxReplicas {high}")
        replicas = (target.get("spec") or {}).get("replicas")
        if replicas is not None and high is not None:
            self.expect(low <= replicas <= high, hpa, "spec.minReplicas",
                        f"{ident(target)} has {replicas} replicas, outside the HPA's {low}-{high}")

    def check_pdb(self, pdb):
        spec = pdb.get("spec") or {}
        pods = self.index.pods_selected(spec.get("selector"))
        if not self.expect(pods, pdb, "spec.selector", "selects no pod template"):
            return
        for w in pods:
            replicas = (w.get("spec") or {}).get("replicas", 1)
            hpa = [h for h in self.index.by_kind.get("HorizontalPodAutoscaler", {}).values()
                   if ((h.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == (w.get("metadata") or {}).get("name")]
            low = min([replicas] + [(h.get("spec") or {}).get("minReplicas", 1) for h in hpa])
            if isinstance(spec.get("minAvailable"), int) and low > 0:
                self.expect(spec["minAvailable"] < low or low == 0, pdb, "spec.minAvailable",
                            f"{spec['minAvailable']} of {low} replicas of {ident(w)}: no pod could ever be evicted")
            if spec.get("maxUnavailable") in (0, "0%"):
                self.expect(False, pdb, "spec.maxUnavailable", "0: no pod could ever be evicted")

    def check_network_policy(self, np):
        spec = np.get("spec") or {}
        pods = self.index.pods_selected(spec.get("podSelector") or {})
        if not self.expect(pods, np, "spec.podSelector", "selects no pod template of the overlay"):
            return
        names, numbers = container_ports(pods)
        for i, rule in enumerate(spec.get("ingress") or []):
            for j, p in enumerate(rule.get("ports") or []):
                port = p.get("port")
                if port is None:
                    continue
                ok = port in names if isinstance(port, str) else port in numbers
                self.expect(ok, np, f"spec.ingress[{i}].ports[{j}].port",
                            f"{port!r} is not a container port of the selected pods")
        for direction, peers in (("ingress", "from"), ("egress", "to")):
            for i, rule in enumerate(spec.get(direction) or []):
                for j, peer in enumerate(rule.get(peers) or []):
                    block = peer.get("ipBlock")
                    if not block:
                        continue
                    field = f"spec.{direction}[{i}].{peers}[{j}].ipBlock"
                    try:
                        net = ipaddress.ip_network(block.get("cidr"), strict=True)
                        for k, ex in enumerate(block.get("except") or []):
                            self.expect(ipaddress.ip_network(ex, strict=True).subnet_of(net), np,
                                        f"{field}.except[{k}]", f"{ex} is not inside {net}")
                        self.checked += 1
                    except (ValueError, TypeError) as e:
                        self.expect(False, np, f"{field}.cidr", f"not a CIDR block: {e}")

    def check_service_monitor(self, sm):
        spec = sm.get("spec") or {}
        services = [s for s in self.index.by_kind.get("Service", {}).values()
                    if selects(spec.get("selector"), (s.get("metadata") or {}).get("labels"))]
        if not self.expect(services, sm, "spec.selector", "selects no Service of the overlay"):
            return
        port_names = {p.get("name") for s in services for p in (s.get("spec") or {}).get("ports") or []}
        for i, ep in enumerate(spec.get("endpoints") or []):
            if "port" in ep:
                self.expect(ep["port"] in port_names, sm, f"spec.endpoints[{i}].port",
                            f"{ep['port']!r} is not a port of the selected Service(s) "
                            f"({', '.join(sorted(n for n in port_names if n))})")
            else:
                self.expect("targetPort" in ep, sm, f"spec.endpoints[{i}]", "no port")


# Overlays

def check_objects(objects):
    """(problems, references checked) of rendered objects: schemas, then references."""
    problems = []
    for obj in objects:
        problems += [f"{ident(obj)}: {p}" for p in validate(obj)]
    checker = Checker(objects)
    problems += checker.run()
    return problems, checker.checked


def check_overlay(name, directory):
    """(objects, problems prefixed with the overlay's name, references checked)."""
    try:
        objects = render(directory)
    except Failure as e:
        return [], [f"{name}: {e}"], 0
    if not objects:
        return [], [f"{name}: renders no object"], 0
    problems, checked = check_objects(objects)
    return objects, [f"{name}: {p}" for p in problems], checked


def summary(name, objects, checked):
    kinds = collections.Counter(o.get("kind") for o in objects)
    listing = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    return (f"{name}: {len(objects)} objects valid against Kubernetes {KUBERNETES_VERSION} "
            f"(strict), {checked} references checked ({listing})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("overlays", nargs="*", help="`base`, overlay names or directories (default: all)")
    parser.add_argument("--k8s", default=K8S, metavar="DIR", help="the k8s/ directory (base/, overlays/)")
    parser.add_argument("--render", metavar="OVERLAY",
                        help="print the rendered overlay as a JSON list of objects, and stop")
    args = parser.parse_args(argv)

    try:
        if args.render:
            _, directory = resolve(args.render, args.k8s)
            json.dump(render(directory), sys.stdout, indent=1)
            print()
            return 0
        targets = [resolve(n, args.k8s) for n in args.overlays] or overlay_dirs(args.k8s)
    except Failure as e:
        print(f"check-k8s: {e}", file=sys.stderr)
        return 1
    failed = False
    for name, directory in targets:
        objects, problems, checked = check_overlay(name, directory)
        if problems:
            failed = True
            for p in problems:
                print(f"FAILED {p}")
        else:
            print(summary(name, objects, checked))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
