"""EC2 rules AWS enforces and moto 5.2.5 does not, for the calls a network is built and torn
down with. Each rule applies only to the API operation it belongs to (moto calls the same
backend methods internally, e.g. DeleteVpc deletes the default security group).

Errors are raised with AWS's code and message (sources beside each rule) through
`ec2_consistency.error`, which records them as rule rejections.
"""

from __future__ import annotations

import inspect
import ipaddress
from typing import Any, Callable

from moto.core.utils import utcnow
from moto.ec2.models import EC2Backend
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
from moto.ec2.exceptions import InvalidAvailabilityZoneError

from .. import rejections
from . import wrap
from .ec2_consistency import REQUEST, error, propagating

# CreateRoute/ReplaceRoute targets, as request parameters. AWS: "The request must contain
# exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId,
# egressOnlyInternetGatewayId, transitGatewayId, localGatewayId or instanceId" (an AWS CLI
# answer quoted in devopsacademyau/academy; MissingParameter with none,
# InvalidParameterCombination with several, as OpenStack's EC2 API mirrors it).
ROUTE_TARGETS = (
    "GatewayId", "NatGatewayId", "NetworkInterfaceId", "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId", "TransitGatewayId", "LocalGatewayId", "CarrierGatewayId",
    "VpcEndpointId", "CoreNetworkArn", "InstanceId",
)
TARGETS_MESSAGE = (
    "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, "
    "vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, "
    "carrierGatewayId, vpcEndpointId, coreNetworkArn or instanceId"
)


def rule(method: str, action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap EC2Backend.method with `check(self, args)` run before it when the request is
    `action`; `args` holds every argument by name (defaults filled in)."""

    def decorator(check: Callable[[EC2Backend, dict[str, Any]], None]) -> Callable[..., Any]:
        signature = inspect.signature(getattr(EC2Backend, method))

        def wrapper(orig: Any, self: EC2Backend, *args: Any, **kwargs: Any) -> Any:
            if REQUEST.active and REQUEST.action == action:
                bound = signature.bind(self, *args, **kwargs)
                bound.apply_defaults()
                check(self, bound.arguments)
            return orig(self, *args, **kwargs)

        return wrap(EC2Backend, method)(wrapper)

    return decorator


def _vpc_igws(backend: EC2Backend, vpc_id: str) -> list[Any]:
    return [g for g in backend.internet_gateways.values() if g.vpc is not None and g.vpc.id == vpc_id]


def _address(backend: EC2Backend, allocation_id: str) -> Any:
    """The Elastic IP, or AWS's InvalidAllocationID.NotFound (moto's message quotes a list)."""
    found = [a for a in backend.addresses if a.allocation_id == allocation_id]
    if not found:
        raise error(
            "InvalidAllocationID.NotFound", f"The allocation ID '{allocation_id}' does not exist", record=False
        )
    return found[0]


def _nat_of_eni(backend: EC2Backend, eni: Any) -> Any:
    return next(
        (n for n in backend.nat_gateways.values() if n._eni is eni and n.state != "deleted"), None
    )


# ---------------------------------------------------------------------------------------------
# Subnets


def _subnet_rules() -> None:
    @rule("create_subnet", "CreateSubnet")
    def create_subnet(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: a subnet is a /16 to /28 (VPC User Guide, "Subnet sizing": InvalidSubnet.Range,
        "The CIDR '...' is invalid."), in one of the region's AZs (moto accepts any region's)."""
        self.get_vpc(a["vpc_id"])
        zones = RegionsAndZonesBackend.zones.get(self.region_name, [])
        az, az_id = a["availability_zone"], a["availability_zone_id"]
        if az and az not in [z.name for z in zones] or az_id and az_id not in [z.zone_id for z in zones]:
            raise rejections.rule(
                InvalidAvailabilityZoneError(az or az_id, ", ".join(z.name for z in zones)),
                "ec2", "CreateSubnet",
            )
        cidr = a["cidr_block"]
        try:
            prefix = ipaddress.IPv4Network(str(cidr), strict=False).prefixlen if cidr else None
        except ValueError:
            return  # moto answers InvalidParameterValue
        if prefix is not None and not 16 <= prefix <= 28:
            raise error("InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.")

    @rule("delete_subnet", "DeleteSubnet")
    def delete_subnet(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: network interfaces in the subnet (NAT gateways', instances', load balancers')
        block its deletion (DependencyViolation "The subnet '...' has dependencies and cannot be
        deleted."; moto deletes it anyway)."""
        subnet = self.get_subnet(a["subnet_id"])
        if any(getattr(e.subnet, "id", None) == subnet.id for e in self.enis.values()):
            raise error(
                "DependencyViolation", f"The subnet '{subnet.id}' has dependencies and cannot be deleted."
            )

    @wrap(EC2Backend, "delete_subnet")
    def drop_associations(orig: Any, self: EC2Backend, subnet_id: str) -> Any:
        """AWS removes a deleted subnet's route table association (moto kept it)."""
        subnet = orig(self, subnet_id)
        for table in self.route_tables.values():
            for assoc in [k for k, v in table._associations.items() if v == subnet_id]:
                del table._associations[assoc]
        return subnet


# ---------------------------------------------------------------------------------------------
# Internet gateways


def _gateway_rules() -> None:
    @rule("attach_internet_gateway", "AttachInternetGateway")
    def attach(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: one internet gateway per VPC (InvalidParameterValue "Network vpc-... already has
        an internet gateway attached", terraform-aws-vault-ha-raft #54, kubo-deployment #167);
        a gateway attached already: Resource.AlreadyAssociated "resource igw-... is already
        attached to network vpc-..." (berlioz #1; moto's message differs)."""
        igw = self.get_internet_gateway(a["internet_gateway_id"])
        if igw.vpc is not None:
            raise error(
                "Resource.AlreadyAssociated",
                f"resource {igw.id} is already attached to network {igw.vpc.id}",
            )
        vpc = self.get_vpc(a["vpc_id"])
        if _vpc_igws(self, vpc.id):
            raise error("InvalidParameterValue", f"Network {vpc.id} already has an internet gateway attached")

    @rule("detach_internet_gateway", "DetachInternetGateway")
    def detach(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: the gateway stays while an Elastic IP in the VPC is associated (a NAT
        gateway's, an instance's): DependencyViolation "Network vpc-... has some mapped
        public address(es). Please unmap those public address(es) before detaching the
        gateway." (terraform-provider-aws destroy logs, e.g. in openshift/installer)."""
        igw = self.get_internet_gateway(a["internet_gateway_id"])
        vpc_id = a["vpc_id"]
        if igw.vpc is None or igw.vpc.id != vpc_id:
            # AWS's message (moto's code, its own message); cfn101-workshop #165.
            raise error("Gateway.NotAttached", f"resource {igw.id} is not attached to network {vpc_id}", record=False)
        for eip in self.addresses:
            eni_vpc = getattr(getattr(eip.eni, "subnet", None), "vpc_id", None)
            instance_vpc = getattr(eip.instance, "vpc_id", None)
            if vpc_id in (eni_vpc, instance_vpc):
                raise error(
                    "DependencyViolation",
                    f"Network {vpc_id} has some mapped public address(es). Please unmap those "
                    "public address(es) before detaching the gateway.",
                )

    @rule("delete_internet_gateway", "DeleteInternetGateway")
    def delete(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS's message for an attached gateway (moto: "igw-... is being utilized by ...")."""
        igw = self.get_internet_gateway(a["internet_gateway_id"])
        if igw.vpc is not None:
            raise error(
                "DependencyViolation", f"The internetGateway '{igw.id}' has dependencies and cannot be deleted."
            )


# ---------------------------------------------------------------------------------------------
# Route tables


def _check_route_targets(self: EC2Backend, a: dict[str, Any], replace: bool) -> None:
    given = [p for p in ROUTE_TARGETS if REQUEST.param(p)]
    if replace and str(REQUEST.param("LocalTarget")).lower() == "true":
        given.append("LocalTarget")
    if len(given) != 1:
        message = TARGETS_MESSAGE + (", or must have localTarget set to true" if replace else "")
        raise error("MissingParameter" if not given else "InvalidParameterCombination", message)
    table = self.get_route_table(a["route_table_id"])
    gateway_id, nat_id = a.get("gateway_id"), a.get("nat_gateway_id")
    if gateway_id and str(gateway_id).startswith("igw-"):
        igw = self.internet_gateways.get(gateway_id)
        if igw is None or propagating(gateway_id):
            raise error("InvalidGatewayID.NotFound", f"The gateway ID '{gateway_id}' does not exist")
        if igw.vpc is None or igw.vpc.id != table.vpc_id:
            # AWS: the gateway must be attached to the table's VPC (CloudFormation answers
            # quoted in giantswarm/aws-operator #611, #634).
            raise error(
                "InvalidParameterValue",
                f"route table {table.id} and network gateway {gateway_id} belong to different networks",
            )
    if nat_id:
        nat = self.nat_gateways.get(nat_id)
        # A failed or deleted NAT gateway is not a target either ("InvalidNatGatewayID.NotFound:
        # The natGateway ID 'nat-...' does not exist" for a failed one, in a terraform log).
        if nat is None or propagating(nat_id) or nat.state in ("failed", "deleted"):
            raise error("InvalidNatGatewayID.NotFound", f"The natGateway ID '{nat_id}' does not exist")


def _route_rules() -> None:
    @rule("create_route", "CreateRoute")
    def create_route(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: exactly one target; an internet gateway attached to the table's VPC; a NAT
        gateway that exists (pending or available)."""
        _check_route_targets(self, a, replace=False)

    @rule("replace_route", "ReplaceRoute")
    def replace_route(self: EC2Backend, a: dict[str, Any]) -> None:
        """The same rules as CreateRoute (moto replaced a route with no target at all)."""
        _check_route_targets(self, a, replace=True)

    @rule("associate_route_table", "AssociateRouteTable")
    def associate(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: a subnet has one explicit association; another one is Resource.AlreadyAssociated
        "the specified association for route table rtb-... conflicts with an existing
        association" (terraform-provider-aws #38960; ReplaceRouteTableAssociation moves it;
        moto returned the existing association). Table and subnet in one VPC
        (InvalidParameterValue "... belong to different networks", AWS's wording for
        gateways)."""
        table = self.get_route_table(a["route_table_id"])
        subnet_id = a["subnet_id"]
        if not subnet_id:
            return
        subnet = self.get_subnet(subnet_id)
        if subnet.vpc_id != table.vpc_id:
            raise error(
                "InvalidParameterValue",
                f"route table {table.id} and subnet {subnet.id} belong to different networks",
            )
        if any(subnet_id in t._associations.values() for t in self.route_tables.values()):
            raise error(
                "Resource.AlreadyAssociated",
                f"the specified association for route table {table.id} conflicts with an existing association",
            )


# ---------------------------------------------------------------------------------------------
# NAT gateways and Elastic IPs


def _nat_rules() -> None:
    @wrap(EC2Backend, "create_nat_gateway")
    def create_nat(
        orig: Any, self: EC2Backend, subnet_id: str, allocation_id: str | None,
        tags: Any = None, connectivity_type: str | None = "public",
    ) -> Any:
        """AWS accepts CreateNatGateway and the gateway then fails (state `failed`, with
        FailureCode and FailureMessage as the CreateNatGateway/NatGateway reference documents
        them) when its Elastic IP is already associated ("Elastic IP address [eipalloc-...] is
        already associated", terraform-provider-aws #709, cluster-api-provider-aws #1418;
        moto refused the call) or when its VPC has no internet gateway attached (Gateway.
        NotAttached "Network vpc-... has no Internet gateway attached")."""
        if REQUEST.action != "CreateNatGateway" or connectivity_type == "private" or not allocation_id:
            return orig(self, subnet_id, allocation_id, tags, connectivity_type)
        subnet = self.get_subnet(subnet_id)
        eip = _address(self, allocation_id)
        failure = None
        if eip.association_id or eip.eni is not None or eip.instance is not None:
            failure = ("Resource.AlreadyAssociated", f"Elastic IP address [{allocation_id}] is already associated")
        elif not _vpc_igws(self, subnet.vpc_id):
            failure = ("Gateway.NotAttached", f"Network {subnet.vpc_id} has no Internet gateway attached")
        if failure is None:
            return orig(self, subnet_id, allocation_id, tags, connectivity_type)
        nat = orig(self, subnet_id, None, tags, connectivity_type)
        nat.address_set[0]["allocationId"] = allocation_id
        nat.state, nat.failure_code, nat.failure_message = "failed", failure[0], failure[1]
        nat.delete_time = utcnow()
        self.enis.pop(nat._eni.id, None)  # a failed NAT gateway keeps no network interface
        rejections.record("rule", "ec2", "CreateNatGateway", failure[0], failure[1])
        return nat

    @wrap(EC2Backend, "delete_nat_gateway")
    def delete_nat(orig: Any, self: EC2Backend, nat_gateway_id: str) -> Any:
        """A deleted NAT gateway gives back its Elastic IP and network interface (moto kept
        both, so the address could not be released and the subnet not deleted)."""
        nat = orig(self, nat_gateway_id)
        for eip in self.addresses:
            if eip.eni is not None and eip.eni is nat._eni:
                self.disassociate_address(address=eip.public_ip)
        self.enis.pop(nat._eni.id, None)
        if getattr(nat, "delete_time", None) is None:
            nat.delete_time = utcnow()
        return nat

    @rule("release_address", "ReleaseAddress")
    def release(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: an associated address is not released: InvalidIPAddress.InUse "Address ... is
        in use." (ReleaseAddress reference: "[Nondefault VPC] You must disassociate the Elastic
        IP address before you can release it"; message in genevieve/leftovers #16); while a NAT
        gateway holds it (until the gateway is `deleted`): AuthFailure "You do not have
        permission to access the specified resource." (eformat/sno-for-100 #5)."""
        if a["allocation_id"]:
            eip = _address(self, a["allocation_id"])
        elif a["address"]:
            eip = self.address_by_ip([a["address"]])[0]
        else:
            return
        if eip.eni is not None and _nat_of_eni(self, eip.eni) is not None:
            raise error("AuthFailure", "You do not have permission to access the specified resource.", status=400)
        if eip.association_id or eip.eni is not None or eip.instance is not None:
            raise error("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")


# ---------------------------------------------------------------------------------------------
# Security groups and VPCs


def _group_rules() -> None:
    @rule("create_security_group", "CreateSecurityGroup")
    def create_group(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: names starting with sg- are refused (InvalidParameterValue "Value (...) for
        parameter GroupName is invalid. Group names may not be in the format sg-*.", the
        message quoted in many deploy logs); the VPC must exist (moto created the group in a
        VPC that does not)."""
        name = str(a["name"] or "")
        if name.lower().startswith("sg-"):
            raise error(
                "InvalidParameterValue",
                f"Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.",
            )
        if a["vpc_id"]:
            self.get_vpc(a["vpc_id"])

    @rule("delete_security_group", "DeleteSecurityGroup")
    def delete_group(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: a group used by a network interface or named in another group's rules is not
        deleted: DependencyViolation "resource sg-... has a dependent object"; a VPC's default
        group never is: CannotDelete (EC2 API error codes reference)."""
        group_id = a["group_id"]
        group = self.get_security_group_from_id(group_id) if group_id else None
        if group is None:
            return  # moto answers InvalidGroup.NotFound
        if group.is_default:
            raise error(
                "CannotDelete", f'the specified group: "{group.id}" name: "default" cannot be deleted by a user'
            )
        used = any(group in list(getattr(e, "group_set", []) or []) for e in self.enis.values())
        referenced = any(
            rule.source_group.get("GroupId") == group.id
            for vpc_groups in self.groups.values()
            for other in vpc_groups.values()
            if other.id != group.id
            for rule in other.ingress_rules + other.egress_rules
        )
        if used or referenced:
            raise error("DependencyViolation", f"resource {group.id} has a dependent object")

    @rule("delete_vpc", "DeleteVpc")
    def delete_vpc(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS: an attached internet gateway or a security group other than the default one
        keeps the VPC (DependencyViolation "The vpc '...' has dependencies and cannot be
        deleted."); moto checked subnets and route tables only, and dropped the groups."""
        vpc = self.get_vpc(a["vpc_id"])
        groups = [g for g in self.groups.get(vpc.id, {}).values() if not g.is_default]
        if _vpc_igws(self, vpc.id) or groups:
            raise error("DependencyViolation", f"The vpc '{vpc.id}' has dependencies and cannot be deleted.")


def _endpoint_rules() -> None:
    @rule("create_vpc_endpoint", "CreateVpcEndpoint")
    def create_endpoint(self: EC2Backend, a: dict[str, Any]) -> None:
        """AWS (CreateVpcEndpoint, EC2 API error codes): an unknown service is
        InvalidServiceName "The Vpc Endpoint Service '...' does not exist"; private DNS needs
        the VPC's enableDnsSupport and enableDnsHostnames (InvalidParameter "Enabling private
        DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true
        for vpc-..."); an interface endpoint takes one subnet per AZ
        (DuplicateSubnetsInSameZone); a gateway endpoint's route tables are in its VPC."""
        vpc = self.get_vpc(a["vpc_id"])
        service = str(a["service_name"] or "")
        known = self.describe_vpc_endpoint_services(
            service_names=[], filters=None, max_results=1000, next_token=None, region=self.region_name
        )["servicesDetails"]
        if service not in {s["ServiceName"] for s in known}:
            raise error("InvalidServiceName", f"The Vpc Endpoint Service '{service}' does not exist")
        interface = str(a["endpoint_type"] or "Gateway").lower() == "interface"
        if interface and a["private_dns_enabled"] is not False and not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
            raise error(
                "InvalidParameter",
                "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC "
                f"attributes set to true for {vpc.id}",
            )
        if interface:
            zones = [self.get_subnet(s).availability_zone for s in a["subnet_ids"] or []]
            if len(zones) != len(set(zones)):
                raise error("DuplicateSubnetsInSameZone", f"Found another VPC endpoint subnet in the availability zone of {a['subnet_ids'][-1]}")
        for table in a["route_table_ids"] or []:
            if self.get_route_table(table).vpc_id != vpc.id:
                raise error("InvalidParameter", f"The route table {table} is not in vpc {vpc.id}")


def apply() -> None:
    _endpoint_rules()
    _subnet_rules()
    _gateway_rules()
    _route_rules()
    _nat_rules()
    _group_rules()
