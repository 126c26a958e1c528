#!/usr/bin/env python3
"""Smoke check of a deployed environment, read through the `mosia_environment` data source.

    scripts/smoke-environment.py NAME [--region REGION] [--no-resolve] [--outputs FILE]

Passes (exit 0) when every part the environment has reports `ready` and every endpoint it
publishes (Kubernetes API, RDS primary and replicas, ElastiCache primary and reader, MSK
bootstrap brokers) is a well-formed host name that resolves in DNS. Otherwise exits 1 with
one line per problem, naming the part and what is wrong; exits 2 when the environment cannot
be read at all (Terraform or the provider failed, with their message). The delivery pipelines run it after
applying staging (pipelines/README.md).

It writes a throwaway Terraform root in a temporary directory that reads NAME with the data
source, applies it (a read, nothing is created) and checks the outputs. Terraform comes from
$TERRAFORM (default `terraform` on PATH) and finds the provider as configured for it
(TF_CLI_CONFIG_FILE, a mirror); AWS credentials, region and AWS_ENDPOINT_URL come from the
environment as for any run of the provider.

`--no-resolve` skips the DNS lookups, for emulators whose endpoints are not in DNS (it still
requires every endpoint to be present and well-formed). `--outputs FILE` checks a saved
`terraform output -json` of such a root instead of running Terraform.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from urllib.parse import urlparse

ROOT_CONFIG = """\
terraform {
  required_providers {
    mosia = { source = "mosia/mosia" }
  }
}

variable "name" { type = string }
variable "region" {
  type    = string
  default = null
}

provider "mosia" {
  region = var.region
}

data "mosia_environment" "this" {
  name = var.name
}

output "environment" {
  value = data.mosia_environment.this
}
"""

HOST_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")

# Which attributes carry a part's endpoints, and how to read hosts out of them.
ENDPOINTS = {
    "eks": [("eks_endpoint", "url")],
    "rds": [("rds_endpoint", "host"), ("rds_reader_endpoints", "hosts")],
    "elasticache": [
        ("elasticache_primary_endpoint", "host"),
        ("elasticache_reader_endpoint", "optional_host"),
    ],
    "msk": [
        ("msk_bootstrap_brokers_iam", "brokers"),
        ("msk_bootstrap_brokers_tls", "brokers"),
        ("msk_bootstrap_brokers", "brokers"),
    ],
}


class SmokeError(Exception):
    """Running Terraform failed: the check could not be made."""


def read_environment(name, region, terraform):
    """Applies the throwaway root and returns the data source's attributes."""
    with tempfile.TemporaryDirectory(prefix="mosia-smoke-") as work:
        with open(os.path.join(work, "main.tf"), "w", encoding="utf-8") as f:
            f.write(ROOT_CONFIG)
        env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0", TF_VAR_name=name)
        if region:
            env["TF_VAR_region"] = region
        for step in (["init", "-input=false", "-no-color"],
                     ["apply", "-auto-approve", "-input=false", "-no-color"],
                     ["output", "-json"]):
            done = subprocess.run([terraform, *step], cwd=work, env=env, capture_output=True,
                                  text=True, timeout=600, check=False)
            if done.returncode != 0:
                raise SmokeError(f"terraform {step[0]} failed:\n{done.stdout}{done.stderr}")
        return environment_from_outputs(json.loads(done.stdout))


def environment_from_outputs(outputs):
    try:
        return outputs["environment"]["value"]
    except (KeyError, TypeError) as e:
        raise SmokeError("the outputs have no `environment` output") from e


def endpoint_hosts(kind, value):
    """(host, as written) pairs of one attribute's value; [] when absent."""
    if value in (None, "", []):
        return []
    if kind == "url":
        return [(urlparse(value).hostname or "", value)]
    if kind in ("host", "optional_host"):
        return [(value, value)]
    if kind == "hosts":
        return [(v, v) for v in value]
    # brokers: "host:port,host:port"
    return [(b.rsplit(":", 1)[0], b) for b in value.split(",") if b]


def check(environment, resolve=socket.getaddrinfo):
    """Problems found (strings), and the number of endpoints checked."""
    problems, checked = [], 0
    status = environment.get("part_status") or {}
    if not status:
        problems.append(f"{environment.get('name')}: no part found (is the name right?)")
    for part, state in sorted(status.items()):
        if state != "ready":
            problems.append(f"{part}: status is `{state}`, expected `ready`")
    for part, attributes in ENDPOINTS.items():
        if part not in status:
            continue
        found = 0
        for attribute, kind in attributes:
            for host, written in endpoint_hosts(kind, environment.get(attribute)):
                found += 1
                checked += 1
                problems.extend(check_host(part, attribute, host, written, resolve))
        required = [a for a, k in attributes if k not in ("optional_host", "hosts")]
        if found == 0:
            problems.append(f"{part}: no endpoint published ({' / '.join(required)} empty)")
    return problems, checked


def check_host(part, attribute, host, written, resolve):
    if not HOST_NAME.match(host or ""):
        return [f"{part}: {attribute} `{written}` is not a host name"]
    if resolve is None:
        return []
    try:
        resolve(host, None)
    except (socket.gaierror, UnicodeError) as e:
        return [f"{part}: {attribute} host `{host}` does not resolve ({e})"]
    return []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the environment's name (its mosia_environment name)")
    parser.add_argument("--region", help="AWS region (default: the provider's, AWS_REGION)")
    parser.add_argument("--no-resolve", action="store_true",
                        help="skip DNS lookups (emulators); endpoints must still be well-formed")
    parser.add_argument("--outputs", help="check this saved `terraform output -json` instead")
    args = parser.parse_args(argv)
    terraform = os.environ.get("TERRAFORM", "terraform")
    try:
        if args.outputs:
            with open(args.outputs, encoding="utf-8") as f:
                environment = environment_from_outputs(json.load(f))
        else:
            if not shutil.which(terraform):
                raise SmokeError(f"`{terraform}` not found (set TERRAFORM)")
            environment = read_environment(args.name, args.region, terraform)
    except (SmokeError, subprocess.TimeoutExpired, OSError, ValueError) as e:
        print(f"smoke: {args.name}: cannot read the environment: {e}", file=sys.stderr)
        return 2
    problems, checked = check(environment, None if args.no_resolve else socket.getaddrinfo)
    parts = ", ".join(f"{p}={s}" for p, s in sorted((environment.get("part_status") or {}).items()))
    if problems:
        print(f"smoke: {args.name}: FAILED ({len(problems)} problem(s)); parts: {parts}", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    how = "well-formed" if args.no_resolve else "resolved"
    print(f"smoke: {args.name}: ok; parts: {parts}; {checked} endpoint(s) {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
