#!/usr/bin/env python3
"""Summarises a saved Terraform plan for reviewers: what changes, and what it costs.

    terraform show -json PLAN > plan.json
    scripts/plan-summary.py plan.json [--title dev]      # Markdown (pull-request comment, job summary)
    scripts/plan-summary.py plan.json --costs            # "name before after actions" per environment

The Markdown names every resource change with its action, the attributes of each Mosia
environment that change (names only: values can be sensitive, and the plan output has them),
what changed outside Terraform since the last apply, and the environment's
`estimated_monthly_cost_usd` before and after. The first line is a marker
(`<!-- mosia-plan:TITLE -->`) so that a pipeline can update its earlier comment.
"""

import argparse
import json
import sys

ENVIRONMENT_TYPE = "mosia_environment"
COST = "estimated_monthly_cost_usd"


def counts(changes):
    """(add, change, destroy) as Terraform counts them: a replacement is one add and one destroy."""
    add = change = destroy = 0
    for rc in changes:
        actions = rc["change"]["actions"]
        add += "create" in actions
        destroy += "delete" in actions
        change += actions == ["update"]
    return add, change, destroy


def action_name(actions):
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    return "+".join(actions)


def cost_of(values):
    """The cost in the values, 0 when the resource does not exist, None when unknown."""
    if not values:
        return 0.0
    return values.get(COST)


def environment_costs(plan):
    """(name, before, after, actions) per Mosia environment in the plan."""
    rows = []
    for rc in plan.get("resource_changes", []):
        if rc.get("type") != ENVIRONMENT_TYPE:
            continue
        change = rc["change"]
        before, after = change.get("before") or {}, change.get("after") or {}
        unknown = (change.get("after_unknown") or {}).get(COST) is True
        name = after.get("name") or before.get("name") or rc["address"]
        after_cost = None if unknown else cost_of(change.get("after"))
        rows.append((name, cost_of(before), after_cost, change["actions"]))
    return rows


def changed_attributes(change):
    """Top-level attributes whose value changes (or becomes known only after apply)."""
    before, after = change.get("before") or {}, change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    names = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    names |= {k for k, v in unknown.items() if v is True or (v and v != before.get(k))}
    return sorted(names - {COST})


def money(value):
    return "known after apply" if value is None else f"${value:,.2f}"


def cost_line(name, before, after):
    if before is None or after is None:
        return f"- `{name}`: {money(before)} → {money(after)}"
    delta = after - before
    sign = "+" if delta >= 0 else "-"
    return f"- `{name}`: {money(before)} → {money(after)} ({sign}${abs(delta):,.2f} a month)"


def markdown(plan, title):
    changes = [rc for rc in plan.get("resource_changes", [])
               if rc["change"]["actions"] not in (["no-op"], ["read"])]
    add, change, destroy = counts(changes)
    lines = [f"<!-- mosia-plan:{title} -->", f"### Terraform plan: `{title}`", ""]
    if changes:
        lines += [f"**{add} to add, {change} to change, {destroy} to destroy.**", "",
                  "| Action | Resource | Attributes changing |", "|---|---|---|"]
        for rc in changes:
            attrs = ", ".join(f"`{a}`" for a in changed_attributes(rc["change"])) \
                if rc["change"]["actions"] == ["update"] else ""
            lines.append(f"| {action_name(rc['change']['actions'])} | `{rc['address']}` | {attrs} |")
    else:
        lines.append("**No changes.** The environment matches the configuration.")
    drift = plan.get("resource_drift", [])
    if drift:
        lines += ["", "Changed outside Terraform since the last apply (the plan restores them):"]
        for rc in drift:
            attrs = ", ".join(f"`{a}`" for a in changed_attributes(rc["change"]))
            lines.append(f"- `{rc['address']}`: {attrs or action_name(rc['change']['actions'])}")
    costs = environment_costs(plan)
    if costs:
        lines += ["", "**Estimated monthly cost** (on-demand list prices, `estimated_monthly_cost_usd`):"]
        lines += [cost_line(name, before, after) for name, before, after, _ in costs]
    return "\n".join(lines) + "\n"


def plain(value):
    return "-" if value is None else f"{value:.2f}"


def cost_rows(plan):
    return "".join(f"{name} {plain(before)} {plain(after)} {','.join(actions)}\n"
                   for name, before, after, actions in environment_costs(plan))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan_json", help="`terraform show -json PLAN` output ('-' for stdin)")
    parser.add_argument("--title", default="plan", help="heading and comment marker (the environment)")
    parser.add_argument("--costs", action="store_true",
                        help="print 'name before after actions' per environment instead")
    args = parser.parse_args(argv)
    try:
        if args.plan_json == "-":
            plan = json.load(sys.stdin)
        else:
            with open(args.plan_json, encoding="utf-8") as f:
                plan = json.load(f)
    except (OSError, ValueError) as e:
        print(f"plan-summary: cannot read {args.plan_json}: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(cost_rows(plan) if args.costs else markdown(plan, args.title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
