#!/usr/bin/env python3
"""Writes what an environment overlay of k8s/ takes from its Terraform environment.

    scripts/k8s-environment.py production                      # runs terraform -chdir=environments/production output -json
    scripts/k8s-environment.py production --outputs out.json   # or reads that JSON (`-` for stdin)
    scripts/k8s-environment.py staging --workload app --overlay path/to/overlay

It reads the `workloads` output of the environment root (modules/environment: by workload
name, `namespace`, `service_account`, `identity`, `role_arn` and `connection`, the environment
variables of the data services, no secret value) and writes, for one workload (default `app`,
the application's workload in environments/*/terraform.tfvars), a kustomize Component in
OVERLAY/environment/ (default k8s/overlays/ENV):

    connection.env       the workload's `connection`, for the ConfigMap mosia-app-connection
    serviceaccount.yaml  a JSON patch renaming the base ServiceAccount to the workload's
                         `service_account` (the Deployment follows), with the annotation
                         eks.amazonaws.com/role-arn when `identity` is `irsa`
    kustomization.yaml   the Component: the workload's namespace, the ConfigMap, the patch,
                         the label mosia.dev/environment (the `name` output) on every object

Exits 1, naming the workloads the outputs do have, when the workload is not there. Needs only
the Python standard library.
"""

import argparse
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_WORKLOAD = "app"
# Names in k8s/base that the Component addresses.
BASE_SERVICE_ACCOUNT = "mosia-app"
CONNECTION_CONFIGMAP = "mosia-app-connection"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
IDENTITIES = ("pod_identity", "irsa")
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")

EXAMPLE_NOTE = (
    "EXAMPLE VALUES (account 123456789012, `example` in every host name): not a real environment's.\n"
    "Regenerate before deploying: scripts/k8s-environment.py {env}"
)


class Refused(Exception):
    """A clear, user-facing reason to stop."""


def workload_from_outputs(outputs, name, source):
    """The workload `name` of a `terraform output -json` document (its `workloads` output)."""
    if not isinstance(outputs, dict):
        raise Refused(f"{source}: not the JSON object `terraform output -json` prints")
    if "workloads" not in outputs:
        have = ", ".join(sorted(outputs)) or "none"
        raise Refused(
            f"{source}: no `workloads` output (outputs: {have}). Is it an environment root "
            "using modules/environment, applied?"
        )
    entry = outputs["workloads"]
    workloads = entry.get("value") if isinstance(entry, dict) and "value" in entry else None
    if not isinstance(workloads, dict):
        raise Refused(f"{source}: the `workloads` output has no map `value`")
    if name not in workloads:
        have = ", ".join(f"`{n}`" for n in sorted(workloads)) or "none"
        raise Refused(
            f"{source}: workload `{name}` is not in the `workloads` output (workloads: {have}). "
            f"Declare it in the environment's terraform.tfvars and apply, e.g.\n"
            f"  workloads = {{\n"
            f"    {json.dumps(name)} = {{\n"
            f"      namespace   = \"mosia-app\"\n"
            f"      rds         = \"read_write\"\n"
            f"      elasticache = \"read_write\"\n"
            f"      msk         = {{ topics = [\"app.*\"], groups = [\"app-*\"] }}\n"
            f"    }}\n"
            f"  }}\n"
            f"or pass the workload's name with --workload."
        )
    return check_workload(name, workloads[name], source)


def check_workload(name, w, source):
    where = f"{source}: workload `{name}`"
    if not isinstance(w, dict):
        raise Refused(f"{where}: not an object")
    for key in ("namespace", "service_account", "identity", "connection"):
        if w.get(key) is None:
            raise Refused(f"{where}: `{key}` is missing")
    if not DNS_LABEL.match(w["namespace"]):
        raise Refused(f"{where}: namespace {w['namespace']!r} is not a DNS label")
    if not DNS_SUBDOMAIN.match(w["service_account"]):
        raise Refused(f"{where}: service_account {w['service_account']!r} is not a DNS subdomain")
    if w["identity"] not in IDENTITIES:
        raise Refused(f"{where}: identity {w['identity']!r} is not one of {', '.join(IDENTITIES)}")
    if w["identity"] == "irsa" and not w.get("role_arn"):
        raise Refused(f"{where}: identity `irsa` without a `role_arn`")
    connection = w["connection"]
    if not isinstance(connection, dict):
        raise Refused(f"{where}: `connection` is not a map")
    for key, value in connection.items():
        if not ENV_KEY.match(key):
            raise Refused(f"{where}: connection key {key!r} is not an environment variable name")
        if not isinstance(value, str) or "\n" in value or "\r" in value:
            raise Refused(f"{where}: connection value of {key} is not a one-line string")
    return w


def header(lines):
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def environment_name(outputs):
    """The `name` output (the environment's name), when the root has it."""
    entry = outputs.get("name")
    value = entry.get("value") if isinstance(entry, dict) else None
    return value if isinstance(value, str) and DNS_LABEL.match(value) else None


def render(name, w, origin, example_env=None, env_name=None):
    """The Component's files, by file name."""
    about = [f"Generated by scripts/k8s-environment.py from {origin}, workload `{name}`.",
             "Do not edit: regenerate it when the environment changes."]
    if example_env:
        about = EXAMPLE_NOTE.format(env=example_env).split("\n") + [""] + about
    files = {}
    env_lines = [f"{k}={v}\n" for k, v in sorted(w["connection"].items())]
    files["connection.env"] = header(about) + "".join(env_lines)

    ops = [{"op": "replace", "path": "/metadata/name", "value": w["service_account"]}]
    if w["identity"] == "irsa":
        ops.append({"op": "add", "path": "/metadata/annotations",
                    "value": {IRSA_ANNOTATION: w["role_arn"]}})
    identity = ("IRSA: the role is in the annotation" if w["identity"] == "irsa" else
                "EKS Pod Identity: Mosia associates the role with this namespace and name, "
                "no annotation")
    patch = header(about + ["", f"The ServiceAccount the workload's role trusts ({identity})."])
    for op in ops:
        patch += f"- op: {op['op']}\n  path: {op['path']}\n"
        if isinstance(op["value"], dict):
            patch += "  value:\n" + "".join(
                f"    {json.dumps(k)}: {json.dumps(v)}\n" for k, v in op["value"].items())
        else:
            patch += f"  value: {json.dumps(op['value'])}\n"
    files["serviceaccount.yaml"] = patch

    labels = ""
    if env_name:
        labels = ("labels:\n"
                  "  - pairs:\n"
                  f"      mosia.dev/environment: {env_name}\n"
                  "    includeSelectors: false\n"
                  "    includeTemplates: true\n"
                  "\n")
    files["kustomization.yaml"] = header(about) + (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
        "kind: Component\n"
        "\n"
        f"namespace: {json.dumps(w['namespace'])}\n"
        "\n"
        + labels +
        "configMapGenerator:\n"
        f"  - name: {CONNECTION_CONFIGMAP}\n"
        "    behavior: replace\n"
        "    envs:\n"
        "      - connection.env\n"
        "    options:\n"
        "      labels:\n"
        "        app.kubernetes.io/name: mosia-app\n"
        "\n"
        "patches:\n"
        "  - path: serviceaccount.yaml\n"
        "    target:\n"
        "      kind: ServiceAccount\n"
        f"      name: {BASE_SERVICE_ACCOUNT}\n"
    )
    return files


def read_outputs(env, path):
    """(outputs, description of where they came from)."""
    if path == "-":
        text, origin = sys.stdin.read(), "`terraform output -json` on stdin"
    elif path:
        try:
            with open(path) as f:
                text = f.read()
        except OSError as e:
            raise Refused(f"{path}: {e.strerror}")
        origin = f"the outputs in {os.path.basename(path)}"
    else:
        root = os.path.join("environments", env)
        if not os.path.isdir(os.path.join(REPO, root)):
            raise Refused(f"{root}: no such environment root (give the outputs with --outputs FILE)")
        cmd = ["terraform", f"-chdir={root}", "output", "-json"]
        try:
            done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        except FileNotFoundError:
            raise Refused("terraform is not on PATH (give the outputs with --outputs FILE)")
        if done.returncode != 0:
            raise Refused(f"{' '.join(cmd)} failed:\n{done.stderr.strip()}")
        text, origin = done.stdout, f"`terraform -chdir={root} output -json`"
    try:
        return json.loads(text), origin
    except json.JSONDecodeError as e:
        raise Refused(f"{path or origin}: not JSON ({e})")


def write(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("env", help="environment: environments/ENV and k8s/overlays/ENV")
    parser.add_argument("--outputs", metavar="FILE",
                        help="`terraform output -json` of the environment root (`-`: stdin); "
                             "default: run terraform -chdir=environments/ENV output -json")
    parser.add_argument("--workload", default=DEFAULT_WORKLOAD,
                        help=f"workload name in the `workloads` output (default {DEFAULT_WORKLOAD})")
    parser.add_argument("--overlay", metavar="DIR",
                        help="overlay directory (default k8s/overlays/ENV); writes DIR/environment/")
    parser.add_argument("--example", action="store_true",
                        help="mark the files as example values (the committed ones)")
    args = parser.parse_args(argv)

    overlay = args.overlay or os.path.join(REPO, "k8s", "overlays", args.env)
    try:
        if not os.path.isfile(os.path.join(overlay, "kustomization.yaml")):
            raise Refused(f"{overlay}: not a kustomize overlay (no kustomization.yaml)")
        outputs, origin = read_outputs(args.env, args.outputs)
        if args.example:
            origin = f"example outputs shaped as `terraform -chdir=environments/{args.env} output -json`"
        w = workload_from_outputs(outputs, args.workload,
                                 origin if args.outputs in (None, "-") else args.outputs)
        files = render(args.workload, w, origin, args.env if args.example else None,
                       environment_name(outputs))
        target = os.path.join(overlay, "environment")
        write(target, files)
    except Refused as e:
        print(f"k8s-environment: {e}", file=sys.stderr)
        return 1
    print(f"{os.path.relpath(target)}: namespace {w['namespace']}, service account "
          f"{w['service_account']} ({w['identity']}), {len(w['connection'])} connection settings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
