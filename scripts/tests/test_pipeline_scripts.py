"""Unit tests of the pipeline helpers: scripts/smoke-environment.py's checks and
scripts/plan-summary.py's summary (plans shaped as `terraform show -json` writes them).
The end-to-end runs against Terraform and the emulator are in
acceptance-tests/tests/delivery_pipelines.rs."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

from support import SCRIPTS, load

smoke = load("smoke-environment")
summary = load("plan-summary")


def environment(**overrides):
    env = {
        "name": "acme-staging",
        "part_status": {"network": "ready", "eks": "ready", "rds": "ready", "elasticache": "ready", "msk": "ready"},
        "eks_endpoint": "https://localhost",
        "rds_endpoint": "localhost",
        "rds_reader_endpoints": [],
        "elasticache_primary_endpoint": "localhost",
        "elasticache_reader_endpoint": None,
        "msk_bootstrap_brokers_iam": "localhost:9098,localhost:9098",
        "msk_bootstrap_brokers_tls": None,
        "msk_bootstrap_brokers": None,
    }
    env.update(overrides)
    return env


class SmokeChecks(unittest.TestCase):
    def test_ready_parts_with_resolving_endpoints_pass(self):
        problems, checked = smoke.check(environment(), socket.getaddrinfo)
        self.assertEqual(problems, [])
        self.assertEqual(checked, 5, "EKS, RDS, ElastiCache and two brokers")

    def test_a_part_not_ready_is_named_with_its_status(self):
        env = environment(part_status={"network": "ready", "rds": "stopped"})
        problems, _ = smoke.check(env, None)
        self.assertEqual(problems, ["rds: status is `stopped`, expected `ready`"])

    def test_an_endpoint_that_does_not_resolve_is_named(self):
        env = environment(rds_reader_endpoints=["replica-1.invalid"])
        problems, _ = smoke.check(env, socket.getaddrinfo)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("rds: rds_reader_endpoints host `replica-1.invalid` does not resolve", problems[0])

    def test_no_resolve_still_requires_well_formed_endpoints(self):
        env = environment(rds_endpoint="not a host", msk_bootstrap_brokers_iam=None)
        problems, _ = smoke.check(env, None)
        self.assertIn("rds: rds_endpoint `not a host` is not a host name", problems)
        self.assertIn("msk: no endpoint published (msk_bootstrap_brokers_iam / msk_bootstrap_brokers_tls / msk_bootstrap_brokers empty)", problems)

    def test_an_environment_without_parts_fails(self):
        problems, _ = smoke.check({"name": "nope", "part_status": {}}, None)
        self.assertEqual(problems, ["nope: no part found (is the name right?)"])

    def test_the_command_reports_problems_and_exits_1(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"environment": {"value": environment(part_status={"eks": "UPDATING"})}}, f)
        try:
            done = subprocess.run([sys.executable, os.path.join(SCRIPTS, "smoke-environment.py"), "acme-staging",
                                   "--outputs", f.name], capture_output=True, text=True, check=False)
        finally:
            os.unlink(f.name)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn("smoke: acme-staging: FAILED (1 problem(s))", done.stderr)
        self.assertIn("eks: status is `UPDATING`, expected `ready`", done.stderr)


def change(address, actions, before, after, after_unknown=None, rtype="mosia_environment"):
    return {"address": address, "type": rtype,
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": after_unknown or {}}}


class PlanSummary(unittest.TestCase):
    def test_an_update_names_its_attributes_and_the_cost_change(self):
        plan = {"resource_changes": [change(
            "module.environment.mosia_environment.this", ["update"],
            {"name": "acme-dev", "rds": {"instance_class": "db.t4g.medium"}, "estimated_monthly_cost_usd": 300.0, "tags": {}},
            {"name": "acme-dev", "rds": {"instance_class": "db.t4g.large"}, "estimated_monthly_cost_usd": 350.5, "tags": {}})]}
        text = summary.markdown(plan, "dev")
        self.assertTrue(text.startswith("<!-- mosia-plan:dev -->\n"))
        self.assertIn("**0 to add, 1 to change, 0 to destroy.**", text)
        self.assertIn("| update | `module.environment.mosia_environment.this` | `rds` |", text)
        self.assertIn("- `acme-dev`: $300.00 → $350.50 (+$50.50 a month)", text)
        self.assertNotIn("db.t4g", text, "attribute names only, never values")

    def test_create_replace_and_destroy_are_counted_as_terraform_does(self):
        plan = {"resource_changes": [
            change("a.new", ["create"], None, {"name": "new", "estimated_monthly_cost_usd": 10.0}),
            change("b.swap", ["delete", "create"], {"x": 1}, {"x": 2}, rtype="null_resource"),
            change("c.gone", ["delete"], {"name": "gone", "estimated_monthly_cost_usd": 5.0}, None),
            change("d.same", ["no-op"], {"x": 1}, {"x": 1}, rtype="null_resource"),
        ]}
        text = summary.markdown(plan, "staging")
        self.assertIn("**2 to add, 0 to change, 2 to destroy.**", text)
        self.assertIn("| replace | `b.swap` |", text)
        self.assertNotIn("d.same", text)
        self.assertIn("- `new`: $0.00 → $10.00 (+$10.00 a month)", text)
        self.assertIn("- `gone`: $5.00 → $0.00 (-$5.00 a month)", text)
        self.assertEqual(summary.cost_rows(plan), "new 0.00 10.00 create\ngone 5.00 0.00 delete\n")

    def test_an_unknown_cost_and_drift_are_reported(self):
        plan = {
            "resource_changes": [change("e.this", ["update"], {"name": "e", "estimated_monthly_cost_usd": 1.0, "rds": 1},
                                        {"name": "e", "rds": 2}, {"estimated_monthly_cost_usd": True})],
            "resource_drift": [change("e.this", ["update"], {"eks": 1}, {"eks": 2})],
        }
        text = summary.markdown(plan, "prod")
        self.assertIn("- `e`: $1.00 → known after apply", text)
        self.assertIn("Changed outside Terraform since the last apply", text)
        self.assertIn("- `e.this`: `eks`", text)
        self.assertEqual(summary.cost_rows(plan), "e 1.00 - update\n")

    def test_no_changes_says_so(self):
        plan = {"resource_changes": [change("e.this", ["no-op"], {"name": "e", "estimated_monthly_cost_usd": 2.0},
                                            {"name": "e", "estimated_monthly_cost_usd": 2.0})]}
        text = summary.markdown(plan, "dev")
        self.assertIn("**No changes.**", text)
        self.assertIn("- `e`: $2.00 → $2.00 (+$0.00 a month)", text)


if __name__ == "__main__":
    unittest.main()
