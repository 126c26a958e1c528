"""EC2: AWS rules and timing behaviours for the calls the provider makes.

- `ec2_rules`: what AWS refuses and moto 5.2.5 accepts (subnet sizes and AZs, one internet
  gateway per VPC, route targets, route table associations, NAT gateways that fail, Elastic
  IPs in use, deletes with dependencies).
- `ec2_consistency`: eventual consistency, new resources not found by ID for
  `ec2_resource.propagate` seconds.
"""

from __future__ import annotations

from typing import Any

from . import ec2_consistency, ec2_rules


def apply(state: Any) -> None:
    _ = state
    ec2_rules.apply()
    # Last, so that its checks wrap the rules': AWS answers NotFound before anything else.
    ec2_consistency.apply()
