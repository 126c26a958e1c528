"""Tests of the Kubernetes manifests (k8s/) and their tools: scripts/check-k8s.py renders every
overlay with `kubectl kustomize` and validates it (Kubernetes schemas, strict; the
ServiceMonitor; references between objects), and scripts/k8s-environment.py writes an
environment overlay's values from `terraform output -json`.

Run from the repository root with the linters' venv (kubernetes-validate, PyYAML):
    .tools/lint-venv/bin/python -m unittest discover -s scripts/tests -p 'test_k8s*.py'
"""

import contextlib
import io
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from support import REPO, SCRIPTS, load

K8S = os.path.join(REPO, "k8s")
APP = {"app.kubernetes.io/name": "mosia-app", "app.kubernetes.io/component": "api"}


check = load("check-k8s")
envgen = load("k8s-environment")

_rendered = {}


def rendered(overlay):
    """The objects of an overlay of the repository's k8s/ (rendered once per run)."""
    if overlay not in _rendered:
        _, directory = check.resolve(overlay)
        _rendered[overlay] = check.render(directory)
    return _rendered[overlay]


def only(objects, kind):
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"one {kind}, found {len(found)}"
    return found[0]


def subnets(env):
    """(private, public) subnet CIDRs of environments/ENV as Mosia lays them out: the VPC split
    into equal power-of-two blocks, one private then one public per AZ (provider/src/aws/network/
    input.rs, subnet_layout)."""
    with open(os.path.join(REPO, "environments", env, "terraform.tfvars")) as f:
        tfvars = f.read()
    network = re.search(r"^network\s*=\s*\{(.*?)\}", tfvars, re.S | re.M).group(1)
    vpc = ipaddress.ip_network(re.search(r'cidr_block\s*=\s*"([^"]+)"', network).group(1))
    azs = re.search(r"az_count\s*=\s*(\d+)", network)
    azs = int(azs.group(1)) if azs else {"dev": 2, "staging": 2, "production": 3}[env]
    count = 1
    while count < 2 * azs:
        count *= 2
    blocks = list(vpc.subnets(new_prefix=vpc.prefixlen + count.bit_length() - 1))
    return blocks[:azs], blocks[azs:2 * azs]


def ip_blocks(peers):
    return [ipaddress.ip_network(p["ipBlock"]["cidr"]) for p in peers if "ipBlock" in p]


class EveryOverlay(unittest.TestCase):
    def test_every_overlay_renders_and_validates(self):
        names = [name for name, _ in check.overlay_dirs()]
        self.assertLessEqual({"base", "local", "dev", "staging", "production"}, set(names))
        for name in names:
            with self.subTest(overlay=name):
                objects = rendered(name)
                problems, checked = check.check_objects(objects)
                self.assertEqual(problems, [])
                self.assertGreater(checked, 20)
                kinds = {o["kind"] for o in objects}
                for kind in ("Deployment", "Service", "ServiceAccount", "ConfigMap", "Ingress",
                             "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy",
                             "ServiceMonitor"):
                    self.assertIn(kind, kinds)

    def test_the_version_is_pinned_and_its_strict_schemas_exist(self):
        self.assertEqual(check.KUBERNETES_VERSION, "1.34")
        self.assertEqual(check.kv.validate(only(rendered("production"), "Deployment"),
                                           check.KUBERNETES_VERSION, strict=True), "1.34")

    def test_the_command_prints_one_line_per_overlay_and_renders_json(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(check.main(["dev", "staging"]), 0)
        lines = out.getvalue().splitlines()
        self.assertEqual([line.split(":")[0] for line in lines], ["dev", "staging"])
        self.assertIn("valid against Kubernetes 1.34 (strict)", lines[0])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(check.main(["--render", "local"]), 0)
        kinds = [o["kind"] for o in json.loads(out.getvalue())]
        self.assertEqual(kinds.count("StatefulSet"), 3, "PostgreSQL, Redis, Kafka")

    def test_environment_overlays_take_the_namespace_and_service_account_of_their_workload(self):
        for env in ("dev", "staging", "production"):
            with self.subTest(env=env):
                objects = rendered(env)
                sa = only(objects, "ServiceAccount")["metadata"]["name"]
                self.assertEqual(sa, "app", "the default service account of workload `app`")
                pod = only(objects, "Deployment")["spec"]["template"]["spec"]
                self.assertEqual(pod["serviceAccountName"], sa)
                self.assertEqual({o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"},
                                 {"mosia-app"})

    def test_environment_network_policies_use_their_environments_subnets(self):
        for env in ("dev", "staging", "production"):
            with self.subTest(env=env):
                private, public = subnets(env)
                policy = only(rendered(env), "NetworkPolicy")["spec"]
                self.assertEqual(ip_blocks(policy["ingress"][0]["from"]), public)
                self.assertEqual(ip_blocks(policy["egress"][1]["to"]), private)


class Production(unittest.TestCase):
    """The production overlay keeps serving through node drains and zone outages, and talks to
    nothing but the load balancer, Prometheus, DNS, the data services and AWS."""

    @classmethod
    def setUpClass(cls):
        cls.objects = rendered("production")
        cls.deployment = only(cls.objects, "Deployment")
        cls.hpa = only(cls.objects, "HorizontalPodAutoscaler")["spec"]
        cls.pdb = only(cls.objects, "PodDisruptionBudget")["spec"]
        cls.policy = only(cls.objects, "NetworkPolicy")["spec"]
        cls.private, cls.public = subnets("production")

    def test_replicas_and_autoscaling_bounds(self):
        self.assertGreaterEqual(self.deployment["spec"]["replicas"], 3)
        self.assertGreaterEqual(self.hpa["minReplicas"], 3)
        self.assertGreater(self.hpa["maxReplicas"], self.hpa["minReplicas"])
        self.assertEqual(self.hpa["scaleTargetRef"],
                         {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mosia-app"})

    def test_the_disruption_budget_selects_the_app_and_keeps_two(self):
        self.assertEqual(self.pdb["selector"], {"matchLabels": APP})
        self.assertTrue(check.selects(self.pdb["selector"], self.deployment["spec"]["template"]["metadata"]["labels"]))
        fewest = min(self.deployment["spec"]["replicas"], self.hpa["minReplicas"])
        if "minAvailable" in self.pdb:
            kept = self.pdb["minAvailable"]
        else:
            kept = fewest - self.pdb["maxUnavailable"]
        self.assertGreaterEqual(kept, 2)
        self.assertLess(kept, fewest, "a drain can still evict a pod")

    def test_pods_must_spread_over_zones(self):
        constraints = self.deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        zone = [c for c in constraints if c["topologyKey"] == "topology.kubernetes.io/zone"]
        self.assertEqual(len(zone), 1)
        self.assertEqual(zone[0]["whenUnsatisfiable"], "DoNotSchedule")
        self.assertEqual(zone[0]["maxSkew"], 1)
        self.assertEqual(zone[0]["labelSelector"], {"matchLabels": APP})

    def test_the_app_runs_as_non_root_on_a_read_only_filesystem(self):
        pod = self.deployment["spec"]["template"]["spec"]
        (app,) = pod["containers"]
        sc = app["securityContext"]
        self.assertTrue(sc["runAsNonRoot"])
        self.assertNotEqual(sc["runAsUser"], 0)
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertFalse(sc["allowPrivilegeEscalation"])
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertEqual(sc["seccompProfile"]["type"], "RuntimeDefault")
        self.assertIn({"name": "tmp", "mountPath": "/tmp"}, app["volumeMounts"])
        for probe in ("readinessProbe", "livenessProbe"):
            self.assertEqual(app[probe]["httpGet"]["port"], "http")
        self.assertEqual({p["containerPort"] for p in app["ports"]}, {3010})

    def test_network_policy_selects_the_app_in_both_directions(self):
        self.assertEqual(self.policy["podSelector"], {"matchLabels": APP})
        self.assertEqual(sorted(self.policy["policyTypes"]), ["Egress", "Ingress"])

    def test_ingress_only_to_port_3010_from_the_load_balancer_and_prometheus(self):
        rules = self.policy["ingress"]
        self.assertEqual(len(rules), 2)
        for rule in rules:
            self.assertEqual(rule["ports"], [{"protocol": "TCP", "port": 3010}])
            self.assertTrue(rule.get("from"), "a rule without `from` admits everyone")
        alb, prometheus = rules
        self.assertEqual(ip_blocks(alb["from"]), self.public, "the ALB's nodes: the public subnets")
        self.assertTrue(all(set(p) == {"ipBlock"} and "except" not in p["ipBlock"] for p in alb["from"]))
        self.assertEqual(prometheus["from"], [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
        }])

    def test_egress_only_to_dns_the_data_services_and_aws(self):
        rules = self.policy["egress"]
        for rule in rules:
            self.assertTrue(rule.get("to"), "a rule without `to` lets out everything")
            self.assertTrue(rule.get("ports"), "a rule without `ports` lets out every port")
        ports = {(p["protocol"], p["port"]) for rule in rules for p in rule["ports"]}
        self.assertEqual(ports, {("UDP", 53), ("TCP", 53),                      # DNS
                                 ("TCP", 5432), ("TCP", 6379),                  # RDS, ElastiCache
                                 ("TCP", 9098), ("TCP", 9094),                  # MSK IAM, TLS
                                 ("TCP", 443),                                  # VPC endpoints
                                 ("TCP", 80)})                                  # Pod Identity agent
        for rule in rules:
            rule_ports = {p["port"] for p in rule["ports"]}
            if rule_ports == {53}:
                self.assertEqual(rule["to"], [{
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }])
            elif rule_ports == {80}:
                self.assertEqual(ip_blocks(rule["to"]), [ipaddress.ip_network("169.254.170.23/32")])
            else:
                self.assertLessEqual(rule_ports, {5432, 6379, 9098, 9094, 443})
                self.assertEqual(ip_blocks(rule["to"]), self.private,
                                 "data services and VPC endpoints: the private subnets only")
                self.assertTrue(all(set(p) == {"ipBlock"} for p in rule["to"]))


class BrokenManifests(unittest.TestCase):
    """A copy of k8s/ broken on purpose is refused, with overlay, object and field named."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="k8s-broken-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.k8s = os.path.join(self.tmp, "k8s")
        shutil.copytree(K8S, self.k8s)

    def edit(self, path, old, new, count=1):
        path = os.path.join(self.k8s, path)
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new, count))

    def problems(self, overlay="production"):
        _, directory = check.resolve(overlay, self.k8s)
        _, problems, _ = check.check_overlay(overlay, directory)
        return problems

    def test_a_misspelled_field_is_refused_by_the_command(self):
        self.edit("base/deployment.yaml", "readinessProbe:", "readinessProb:")
        done = subprocess.run([sys.executable, os.path.join(SCRIPTS, "check-k8s.py"), "--k8s", self.k8s,
                               "production"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("FAILED production: Deployment/mosia-app: spec.template.spec.containers[0]: "
                      "Additional properties are not allowed ('readinessProb' was unexpected)", done.stdout)

    def test_broken_references_are_each_named(self):
        # One copy with several mistakes (one render): each is reported on its own.
        self.edit("base/servicemonitor.yaml", "- port: http", "- port: metrics")
        self.edit("base/servicemonitor.yaml", "scrapeTimeout:", "scrape_timeout:")
        self.edit("base/service.yaml", "targetPort: http", "targetPort: web")
        self.edit("overlays/production/ingress.yaml", "name: http", "name: https")
        self.edit("base/pdb.yaml", "      app.kubernetes.io/component: api", "      app.kubernetes.io/component: web")
        self.edit("base/hpa.yaml", "    name: mosia-app", "    name: mosia-api")
        self.edit("base/networkpolicy.yaml", "      app.kubernetes.io/component: api", "      app.kubernetes.io/component: web")
        problems = self.problems()
        for expected in [
            "production: ServiceMonitor/mosia-app: spec.endpoints[0]: Additional properties are not allowed "
            "('scrape_timeout' was unexpected)",
            "production: ServiceMonitor/mosia-app: spec.endpoints[0].port: 'metrics' is not a port of the "
            "selected Service(s) (http)",
            "production: Service/mosia-app: spec.ports[0].targetPort: 'web' is not a container port of the "
            "selected pods",
            "production: Ingress/mosia-app: spec.rules[0].http.paths[0].backend.service.port.name: Service "
            "mosia-app has no port named 'https'",
            "production: PodDisruptionBudget/mosia-app: spec.selector: selects no pod template",
            "production: HorizontalPodAutoscaler/mosia-app: spec.scaleTargetRef: apps/v1 Deployment mosia-api "
            "is not in the overlay",
            "production: NetworkPolicy/mosia-app: spec.podSelector: selects no pod template of the overlay",
        ]:
            self.assertIn(expected, problems)
        self.assertEqual(len(problems), 7, problems)

    def test_a_policy_admitting_a_port_the_pods_lack_is_refused(self):
        self.edit("base/networkpolicy.yaml", "port: 3010", "port: 3011", count=2)
        self.edit("overlays/production/network-policy.yaml", "value: 3010", "value: 3011")
        problems = self.problems()
        for i in (0, 1):
            self.assertIn(f"production: NetworkPolicy/mosia-app: spec.ingress[{i}].ports[0].port: 3011 is not a "
                          "container port of the selected pods", problems)
        self.assertEqual(len(problems), 2, problems)

    def test_an_unknown_kind_is_refused(self):
        with open(os.path.join(self.k8s, "base", "widget.yaml"), "w") as f:
            f.write("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
        self.edit("base/kustomization.yaml", "  - servicemonitor.yaml\n", "  - servicemonitor.yaml\n  - widget.yaml\n")
        problems = self.problems("base")
        self.assertEqual(len(problems), 1, problems)
        self.assertTrue(problems[0].startswith("base: Widget/w: kind: unknown kind Widget (example.com/v1)"), problems)

    def test_a_root_container_is_refused(self):
        self.edit("overlays/local/redis-statefulset.yaml", "runAsUser: 999", "runAsUser: 0")
        self.assertIn("local: StatefulSet/redis: spec.template.spec.containers[redis].securityContext.runAsUser: "
                      "must not be 0 (restricted)", self.problems("local"))

    def test_a_patch_on_the_wrong_rule_is_refused(self):
        self.edit("base/networkpolicy.yaml", "port: 5432", "port: 5433")
        problems = self.problems()
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("production: kubectl kustomize failed", problems[0])
        self.assertIn("/spec/egress/1/ports/0/port", problems[0])


def outputs(workloads, name="acme-production"):
    """A document shaped as `terraform output -json` of an environment root prints it."""
    return {
        "name": {"sensitive": False, "type": "string", "value": name},
        "vpc_id": {"sensitive": False, "type": "string", "value": "vpc-0123456789abcdef0"},
        "workloads": {
            "sensitive": False,
            "type": ["map", ["object", {"connection": ["map", "string"], "identity": "string",
                                        "namespace": "string", "role_arn": "string",
                                        "role_name": "string", "service_account": "string"}]],
            "value": workloads,
        },
    }


def workload(identity="pod_identity", **overrides):
    w = {
        "role_arn": "arn:aws:iam::111122223333:role/acme-production-wl-orders",
        "role_name": "acme-production-wl-orders",
        "namespace": "shop",
        "service_account": "orders-api",
        "identity": identity,
        "connection": {
            "AWS_REGION": "us-east-1",
            "PGHOST": "acme-production-db.abc.us-east-1.rds.amazonaws.com",
            "PGPORT": "5432",
            "PGDATABASE": "orders",
            "PGUSER": "orders",
            "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-1-AbCdEf",
            "REDIS_URL": "rediss://master.acme-production-cache.abc.use1.cache.amazonaws.com:6379",
            "REDIS_USER": "acme-production-wl-orders",
            "KAFKA_BOOTSTRAP_SERVERS": "b-1.acme.kafka.us-east-1.amazonaws.com:9098",
            "KAFKA_SASL_MECHANISM": "AWS_MSK_IAM",
        },
    }
    w.update(overrides)
    return w


class EnvironmentValues(unittest.TestCase):
    """scripts/k8s-environment.py: the overlay's Component from the environment's outputs."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="k8s-env-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.k8s = os.path.join(self.tmp, "k8s")
        shutil.copytree(K8S, self.k8s)
        self.overlay = os.path.join(self.k8s, "overlays", "production")

    def generate(self, doc, *extra):
        path = os.path.join(self.tmp, "outputs.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = envgen.main(["production", "--outputs", path, "--overlay", self.overlay] + list(extra))
        return code, out.getvalue(), err.getvalue()

    def read(self, name):
        with open(os.path.join(self.overlay, "environment", name)) as f:
            return f.read()

    def test_pod_identity_writes_the_connection_and_renames_the_service_account(self):
        code, out, err = self.generate(outputs({"orders": workload()}), "--workload", "orders")
        self.assertEqual(code, 0, err)
        self.assertIn("namespace shop, service account orders-api (pod_identity), 10 connection settings", out)
        env = [line for line in self.read("connection.env").splitlines() if not line.startswith("#")]
        self.assertEqual(env, sorted(f"{k}={v}" for k, v in workload()["connection"].items()))
        patch = self.read("serviceaccount.yaml")
        self.assertIn('path: /metadata/name\n  value: "orders-api"', patch)
        self.assertNotIn("eks.amazonaws.com/role-arn", patch)

    def test_irsa_annotates_the_service_account_and_the_overlay_renders_with_it(self):
        code, _, err = self.generate(outputs({"orders": workload("irsa"), "other": workload()}),
                                     "--workload", "orders")
        self.assertEqual(code, 0, err)
        self.assertIn('"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/acme-production-wl-orders"',
                      self.read("serviceaccount.yaml"))
        objects = check.render(self.overlay)
        self.assertEqual(check.check_objects(objects)[0], [])
        sa = only(objects, "ServiceAccount")
        self.assertEqual(sa["metadata"]["name"], "orders-api")
        self.assertEqual(sa["metadata"]["annotations"],
                         {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/acme-production-wl-orders"})
        self.assertEqual(sa["metadata"]["labels"]["mosia.dev/environment"], "acme-production")
        pod = only(objects, "Deployment")["spec"]["template"]["spec"]
        self.assertEqual(pod["serviceAccountName"], "orders-api")
        self.assertEqual({o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"}, {"shop"})
        self.assertEqual(only(objects, "Namespace")["metadata"]["name"], "shop")
        connection = [o for o in objects if o["kind"] == "ConfigMap"
                      and o["metadata"]["name"].startswith("mosia-app-connection-")]
        self.assertEqual(len(connection), 1)
        self.assertEqual(connection[0]["data"], workload()["connection"])
        refs = [e["configMapRef"]["name"] for e in pod["containers"][0]["envFrom"]]
        self.assertIn(connection[0]["metadata"]["name"], refs)

    def test_a_missing_workload_is_refused_naming_those_there_are(self):
        before = self.read("connection.env")
        code, _, err = self.generate(outputs({"orders": workload(), "billing": workload()}))
        self.assertEqual(code, 1)
        self.assertIn("workload `app` is not in the `workloads` output (workloads: `billing`, `orders`)", err)
        self.assertIn('"app" = {', err, "shows the block to declare")
        self.assertEqual(self.read("connection.env"), before, "nothing written")

    def test_outputs_without_workloads_are_refused(self):
        doc = outputs({})
        del doc["workloads"]
        code, _, err = self.generate(doc)
        self.assertEqual(code, 1)
        self.assertIn("no `workloads` output", err)

    def test_irsa_without_a_role_is_refused(self):
        code, _, err = self.generate(outputs({"app": workload("irsa", role_arn=None)}))
        self.assertEqual(code, 1)
        self.assertIn("workload `app`: identity `irsa` without a `role_arn`", err)

    def test_the_command_reads_stdin_and_exits_1_on_refusal(self):
        script = os.path.join(SCRIPTS, "k8s-environment.py")
        doc = json.dumps(outputs({"app": workload()}))
        done = subprocess.run([sys.executable, script, "production", "--outputs", "-", "--overlay", self.overlay],
                              input=doc, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("`terraform output -json` on stdin", self.read("kustomization.yaml"))
        done = subprocess.run([sys.executable, script, "production", "--outputs", "-", "--overlay", self.overlay,
                               "--workload", "api"], input=doc, capture_output=True, text=True)
        self.assertEqual(done.returncode, 1)
        self.assertIn("k8s-environment: ", done.stderr)
        self.assertIn("workload `api` is not in the `workloads` output", done.stderr)

    def test_the_committed_examples_are_marked_and_match_the_shipped_workload(self):
        for env in ("dev", "staging", "production"):
            with self.subTest(env=env):
                directory = os.path.join(K8S, "overlays", env, "environment")
                for name in ("kustomization.yaml", "connection.env", "serviceaccount.yaml"):
                    with open(os.path.join(directory, name)) as f:
                        self.assertTrue(f.read().startswith("# EXAMPLE VALUES"), f"{env}/{name}")
                with open(os.path.join(REPO, "environments", env, "terraform.tfvars")) as f:
                    tfvars = f.read()
                self.assertRegex(tfvars, r'(?ms)^workloads\s*=\s*\{\s*app\s*=\s*\{[^}]*namespace\s*=\s*"mosia-app"',
                                 "the examples are for the workload `app` of the shipped tfvars")


if __name__ == "__main__":
    unittest.main()
