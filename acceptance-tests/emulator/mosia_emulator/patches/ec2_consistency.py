"""EC2 eventual consistency: a VPC, subnet, internet gateway, route table, security group or
NAT gateway created less than `ec2_resource.propagate` seconds ago (lifecycle durations,
0 s by default; the delay in force when it was created, or a lower one set since) is not
found yet by the calls that name it by ID: describes by ID, attach, associate, routes to it,
ingress rules, tags, deletes, a subnet in it, ... They answer the resource's NotFound error,
as AWS does while the new ID propagates; the create call itself succeeds, and describes by
filter list the resource at once.

AWS: "Eventual consistency in the Amazon EC2 API" (EC2 Developer Guide: "if you run a command
to modify or describe the resource that you just created, its ID might not have propagated
throughout the system, and you will get an error responding that the resource does not
exist"); terraform-provider-aws retries e.g. InvalidInternetGatewayID.NotFound on attach.

Also here, because they are lookups by ID too: DescribeNatGateways with an unknown ID and
DeleteNatGateway of an unknown one answer NatGatewayNotFound (moto: an empty list, and an
HTTP 500 crash); DescribeSecurityGroups names the unknown group in AWS's words (moto: a Python
set in the message).
"""

from __future__ import annotations

import time
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import EC2Backend
from moto.ec2.responses import EC2Response

from .. import lifecycle, rejections
from . import wrap

KIND, TRANSITION = "ec2_resource", "propagate"

# ID prefix -> AWS's NotFound error (code, message).
NOT_FOUND = {
    "vpc": ("InvalidVpcID.NotFound", "The vpc ID '{}' does not exist"),
    "subnet": ("InvalidSubnetID.NotFound", "The subnet ID '{}' does not exist"),
    "igw": ("InvalidInternetGatewayID.NotFound", "The internetGateway ID '{}' does not exist"),
    "rtb": ("InvalidRouteTableID.NotFound", "The routeTable ID '{}' does not exist"),
    "sg": ("InvalidGroup.NotFound", "The security group '{}' does not exist"),
    # terraform-provider-aws errCodeNatGatewayNotFound; AWS's exact message is not documented.
    "nat": ("NatGatewayNotFound", "NAT gateway {} was not found"),
}

# The create call whose new resource propagates, by backend method.
CREATES = {
    "create_vpc": "CreateVpc",
    "create_subnet": "CreateSubnet",
    "create_internet_gateway": "CreateInternetGateway",
    "create_route_table": "CreateRouteTable",
    "create_security_group": "CreateSecurityGroup",
    "create_nat_gateway": "CreateNatGateway",
}


class Request:
    """The EC2 request being handled (moto's requests are handled one at a time)."""

    action = ""
    epoch = 0
    active = False
    response: Any = None
    status: int | None = None  # HTTP status for the error being answered, when not moto's

    def param(self, name: str) -> Any:
        return self.response._get_param(name) if self.response is not None else None


REQUEST = Request()
# resource ID -> (monotonic creation time, propagation delay then, request epoch)
_created: dict[str, tuple[float, float, int]] = {}


def error(code: str, message: str, status: int | None = None, record: bool = True) -> EC2ClientError:
    """An EC2 error for the current request, recorded as a rule rejection. `status`: AWS's
    HTTP status where moto's differs (moto answers AuthFailure with 401, EC2 with 400)."""
    REQUEST.status = status
    err = EC2ClientError(code, message)
    return rejections.rule(err, "ec2", REQUEST.action) if record else err


def not_found(resource_id: str, kind: str = "", record: bool = True) -> EC2ClientError:
    """The NotFound error of a resource (`kind`: an ID prefix, for IDs without one);
    `record=False` for an ID that does not exist at all (AWS's message instead of moto's,
    not a rule)."""
    code, message = NOT_FOUND.get(resource_id.split("-", 1)[0]) or NOT_FOUND[kind]
    return error(code, message.format(resource_id), record=record)


def propagating(resource_id: Any) -> bool:
    """True while an EC2 request cannot see `resource_id` yet: created by an earlier request
    less than `ec2_resource.propagate` seconds ago, the delay in force at its creation (a
    lower one set since shortens it: setting 0 makes every resource visible)."""
    if not REQUEST.active or not isinstance(resource_id, str):
        return False
    entry = _created.get(resource_id)
    if entry is None or entry[2] == REQUEST.epoch:
        return False
    created, delay, _ = entry
    return time.monotonic() - created < min(delay, lifecycle.DURATIONS.get(KIND, TRANSITION))


def check(ids: Any) -> None:
    """NotFound for the first of `ids` (one ID or a list) that has not propagated yet."""
    for resource_id in [ids] if isinstance(ids, str) else list(ids or []):
        if propagating(resource_id):
            raise not_found(resource_id)


def _stamp(resource_id: str) -> None:
    now = time.monotonic()
    delay = lifecycle.DURATIONS.get(KIND, TRANSITION)
    if len(_created) > 10000:
        for key in [k for k, (t, d, _) in _created.items() if now - t > d]:
            del _created[key]
    if delay > 0:
        _created[resource_id] = (now, delay, REQUEST.epoch)


def _track_requests() -> None:
    @wrap(EC2Response, "call_action")
    def call_action(orig: Any, self: EC2Response) -> Any:
        REQUEST.action = self._get_action()
        REQUEST.epoch += 1
        REQUEST.active, REQUEST.response, REQUEST.status = True, self, None
        try:
            status, headers, body = orig(self)
            if REQUEST.status is not None and status >= 400:
                status = headers["status"] = REQUEST.status
            return status, headers, body
        finally:
            REQUEST.active, REQUEST.response = False, None


def _stamp_creations() -> None:
    """A resource the client asked to create propagates (not the default VPC moto makes on
    the side, nor a VPC's main route table and default security group)."""
    for method, action in CREATES.items():

        def creator(orig: Any, self: EC2Backend, *args: Any, _action: str = action, **kwargs: Any) -> Any:
            resource = orig(self, *args, **kwargs)
            if REQUEST.action == _action and not getattr(resource, "is_default", False):
                _stamp(resource.id)
            return resource

        wrap(EC2Backend, method)(creator)


def _guard_lookups() -> None:
    """Every lookup by ID moto makes while handling an EC2 request."""

    def guard_first(method: str) -> None:
        def lookup(orig: Any, self: EC2Backend, *args: Any, **kwargs: Any) -> Any:
            check(args[0] if args else next(iter(kwargs.values()), None))
            return orig(self, *args, **kwargs)

        wrap(EC2Backend, method)(lookup)

    for method in ("get_subnet", "get_route_table", "get_security_group_from_id"):
        guard_first(method)

    @wrap(EC2Backend, "get_vpc")
    def get_vpc(orig: Any, self: EC2Backend, vpc_id: str) -> Any:
        check(vpc_id)
        if REQUEST.active and vpc_id not in self.vpcs:
            raise not_found(str(vpc_id), "vpc", record=False)
        return orig(self, vpc_id)

    @wrap(EC2Backend, "describe_vpcs")
    def describe_vpcs(orig: Any, self: EC2Backend, vpc_ids: Any = None, filters: Any = None) -> Any:
        check(vpc_ids)
        unknown = [v for v in vpc_ids or [] if v not in self.vpcs]
        if unknown and REQUEST.active:
            raise not_found(unknown[0], "vpc", record=False)
        return orig(self, vpc_ids, filters)

    @wrap(EC2Backend, "describe_subnets")
    def describe_subnets(orig: Any, self: EC2Backend, subnet_ids: Any = None, filters: Any = None) -> Any:
        check(subnet_ids)
        return orig(self, subnet_ids, filters)

    @wrap(EC2Backend, "describe_internet_gateways")
    def describe_igws(orig: Any, self: EC2Backend, internet_gateway_ids: Any = None, filters: Any = None) -> Any:
        check(internet_gateway_ids)
        unknown = [g for g in internet_gateway_ids or [] if g not in self.internet_gateways]
        if unknown and REQUEST.active:
            raise not_found(unknown[0], "igw", record=False)
        return orig(self, internet_gateway_ids, filters)

    @wrap(EC2Backend, "describe_route_tables")
    def describe_route_tables(orig: Any, self: EC2Backend, route_table_ids: Any = None, filters: Any = None) -> Any:
        check(route_table_ids)
        return orig(self, route_table_ids, filters)

    @wrap(EC2Backend, "describe_security_groups")
    def describe_sgs(
        orig: Any, self: EC2Backend, group_ids: Any = None, groupnames: Any = None, filters: Any = None
    ) -> Any:
        check(group_ids)
        if group_ids and REQUEST.active:
            for group_id in group_ids:
                if self.get_security_group_from_id(group_id) is None:
                    raise not_found(group_id, "sg", record=False)
        return orig(self, group_ids, groupnames, filters)

    @wrap(EC2Backend, "delete_security_group")
    def delete_sg(orig: Any, self: EC2Backend, name: Any = None, group_id: Any = None) -> Any:
        check(group_id)
        return orig(self, name, group_id)

    @wrap(EC2Backend, "delete_subnet")
    def delete_subnet(orig: Any, self: EC2Backend, subnet_id: str) -> Any:
        check(subnet_id)
        return orig(self, subnet_id)

    @wrap(EC2Backend, "delete_vpc")
    def delete_vpc(orig: Any, self: EC2Backend, vpc_id: str) -> Any:
        check(vpc_id)
        return orig(self, vpc_id)

    @wrap(EC2Backend, "describe_nat_gateways")
    def describe_nats(orig: Any, self: EC2Backend, filters: Any, nat_gateway_ids: Any) -> Any:
        for nat_id in nat_gateway_ids or []:
            if nat_id not in self.nat_gateways or propagating(nat_id):
                raise not_found(nat_id, "nat", record=propagating(nat_id))
        return orig(self, filters, nat_gateway_ids)

    @wrap(EC2Backend, "delete_nat_gateway")
    def delete_nat(orig: Any, self: EC2Backend, nat_gateway_id: str) -> Any:
        if nat_gateway_id not in self.nat_gateways or propagating(nat_gateway_id):
            raise not_found(str(nat_gateway_id), "nat", record=propagating(nat_gateway_id))
        return orig(self, nat_gateway_id)


def apply() -> None:
    _track_requests()
    _stamp_creations()
    _guard_lookups()
