"""EC2 (a network's VPC, subnets, gateways, routes, security groups, Elastic IPs) and S3 (a
Terraform state bucket): the rules AWS enforces, EC2's eventual consistency, and quota
errors as AWS answers them. Each refusal is checked next to the request AWS accepts."""

from __future__ import annotations

import time
from typing import Any

from .support import EmulatorCase

SUBNET_CIDR = "10.0.0.0/24"


class Network:
    """A VPC with one subnet, and helpers to add what a network has."""

    def __init__(self, ec2: Any, cidr: str = "10.0.0.0/16", az: str = "us-east-1a") -> None:
        self.ec2 = ec2
        self.vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        first = cidr.split("/")[0].rsplit(".", 2)[0]
        self.subnet = ec2.create_subnet(VpcId=self.vpc, CidrBlock=f"{first}.0.0/24",
                                        AvailabilityZone=az)["Subnet"]["SubnetId"]

    def igw(self, attach: bool = True) -> str:
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        if attach:
            self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.vpc)
        return igw

    def route_table(self) -> str:
        return self.ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]

    def eip(self) -> str:
        return self.ec2.allocate_address(Domain="vpc")["AllocationId"]

    def nat(self, alloc: str | None = None) -> dict[str, Any]:
        gw = self.ec2.create_nat_gateway(SubnetId=self.subnet, AllocationId=alloc or self.eip())
        return self.ec2.describe_nat_gateways(
            NatGatewayIds=[gw["NatGateway"]["NatGatewayId"]])["NatGateways"][0]


def ingress(cidr: str = "10.0.0.0/16", port: int = 443) -> list[dict[str, Any]]:
    return [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}]


class Ec2ConsistencyTest(EmulatorCase):
    """AWS: "Eventual consistency in the Amazon EC2 API": a resource just created may not be
    found by the next calls that name it. `ec2_resource.propagate` sets how long."""

    def setUp(self) -> None:
        super().setUp()
        self.ec2 = self.client("ec2")

    def propagate(self, seconds: float) -> None:
        self.control("POST", "/_mosia/durations", {"ec2_resource": {"propagate": seconds}})

    def test_a_new_internet_gateway_is_not_found_by_id_until_propagated(self) -> None:
        net = Network(self.ec2)
        self.propagate(60)
        created = self.ec2.create_internet_gateway(TagSpecifications=[
            {"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": "igw"}]}])
        igw = created["InternetGateway"]["InternetGatewayId"]  # the create itself succeeds
        self.assertAwsError("InvalidInternetGatewayID.NotFound", self.ec2.attach_internet_gateway,
                            InternetGatewayId=igw, VpcId=net.vpc, message=f"'{igw}' does not exist")
        self.assertAwsError("InvalidInternetGatewayID.NotFound", self.ec2.describe_internet_gateways,
                            InternetGatewayIds=[igw])
        listed = self.ec2.describe_internet_gateways(
            Filters=[{"Name": "tag:Name", "Values": ["igw"]}])["InternetGateways"]
        self.assertEqual([g["InternetGatewayId"] for g in listed], [igw], "filters list it at once")
        self.propagate(0)
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)

    def test_a_new_vpc_takes_no_subnet_until_propagated(self) -> None:
        self.propagate(60)
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.assertAwsError("InvalidVpcID.NotFound", self.ec2.create_subnet, VpcId=vpc,
                            CidrBlock=SUBNET_CIDR, AvailabilityZone="us-east-1a",
                            message=f"The vpc ID '{vpc}' does not exist")
        self.propagate(0)
        self.ec2.create_subnet(VpcId=vpc, CidrBlock=SUBNET_CIDR, AvailabilityZone="us-east-1a")

    def test_a_new_subnet_and_route_table_are_not_found_by_id(self) -> None:
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.propagate(60)
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock=SUBNET_CIDR,
                                        AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        table = self.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        self.assertAwsError("InvalidSubnetID.NotFound", self.ec2.describe_subnets, SubnetIds=[subnet])
        self.assertAwsError("InvalidRouteTableID.NotFound", self.ec2.associate_route_table,
                            RouteTableId=table, SubnetId=subnet)
        self.assertAwsError("InvalidRouteTableID.NotFound", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", GatewayId="igw-0123456789abcdef0")
        self.assertAwsError("InvalidSubnetID.NotFound", self.ec2.create_tags, Resources=[subnet],
                            Tags=[{"Key": "k", "Value": "v"}])
        self.assertAwsError("InvalidSubnetID.NotFound", self.ec2.create_nat_gateway, SubnetId=subnet,
                            AllocationId=self.ec2.allocate_address(Domain="vpc")["AllocationId"])
        self.propagate(0)
        self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        self.assertEqual(len(self.ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]), 1)

    def test_a_new_security_group_refuses_ingress_rules_until_propagated(self) -> None:
        net = Network(self.ec2)
        self.propagate(60)
        group = self.ec2.create_security_group(GroupName="g", Description="d", VpcId=net.vpc)["GroupId"]
        self.assertAwsError("InvalidGroup.NotFound", self.ec2.authorize_security_group_ingress,
                            GroupId=group, IpPermissions=ingress(),
                            message=f"The security group '{group}' does not exist")
        self.assertAwsError("InvalidGroup.NotFound", self.ec2.describe_security_groups, GroupIds=[group])
        self.propagate(0)
        self.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=ingress())

    def test_a_new_nat_gateway_is_not_found_by_id_nor_as_a_route_target(self) -> None:
        net = Network(self.ec2)
        net.igw()
        table = net.route_table()
        self.propagate(60)
        nat = self.ec2.create_nat_gateway(SubnetId=net.subnet, AllocationId=net.eip())
        nat_id = nat["NatGateway"]["NatGatewayId"]
        self.assertAwsError("NatGatewayNotFound", self.ec2.describe_nat_gateways, NatGatewayIds=[nat_id])
        self.assertAwsError("InvalidNatGatewayID.NotFound", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
        self.assertAwsError("NatGatewayNotFound", self.ec2.delete_nat_gateway, NatGatewayId=nat_id)
        self.propagate(0)
        self.assertEqual(self.ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"],
                         "available")
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)

    def test_propagation_ends_after_the_configured_time(self) -> None:
        net = Network(self.ec2)
        self.propagate(0.4)
        igw = net.igw(attach=False)
        self.assertAwsError("InvalidInternetGatewayID.NotFound", self.ec2.attach_internet_gateway,
                            InternetGatewayId=igw, VpcId=net.vpc)
        time.sleep(0.5)
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
        rejected = self.control("GET", "/_mosia/calls")["rejected"]["requests"]
        self.assertIn({"kind": "rule", "service": "ec2", "operation": "AttachInternetGateway",
                       "code": "InvalidInternetGatewayID.NotFound",
                       "message": f"The internetGateway ID '{igw}' does not exist"}, rejected)

    def test_by_default_new_resources_are_found_at_once(self) -> None:
        net = Network(self.ec2)
        igw = net.igw()
        table = net.route_table()
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        self.ec2.associate_route_table(RouteTableId=table, SubnetId=net.subnet)


class Ec2RulesTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.ec2 = self.client("ec2")

    # Subnets

    def test_subnets_are_16_to_28_bits_in_the_vpc(self) -> None:
        net = Network(self.ec2)
        self.assertAwsError("InvalidSubnet.Range", self.ec2.create_subnet, VpcId=net.vpc,
                            CidrBlock="10.0.1.0/29", AvailabilityZone="us-east-1a",
                            message="The CIDR '10.0.1.0/29' is invalid.")
        self.ec2.create_subnet(VpcId=net.vpc, CidrBlock="10.0.1.0/28", AvailabilityZone="us-east-1a")
        self.assertAwsError("InvalidSubnet.Conflict", self.ec2.create_subnet, VpcId=net.vpc,
                            CidrBlock="10.0.0.0/25", AvailabilityZone="us-east-1a")
        self.assertAwsError("InvalidSubnet.Range", self.ec2.create_subnet, VpcId=net.vpc,
                            CidrBlock="10.1.0.0/24", AvailabilityZone="us-east-1a")

    def test_subnets_go_to_the_regions_availability_zones(self) -> None:
        net = Network(self.ec2)
        for az in ("us-east-1z", "eu-west-1a"):
            err = self.assertAwsError("InvalidParameterValue", self.ec2.create_subnet, VpcId=net.vpc,
                                      CidrBlock="10.0.1.0/24", AvailabilityZone=az,
                                      message=f"Value ({az}) for parameter availabilityZone is invalid.")
            self.assertNotIn("eu-west-1a", err.response["Error"]["Message"].split("zones:")[1])
        self.ec2.create_subnet(VpcId=net.vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1b")

    def test_a_subnet_with_network_interfaces_is_not_deleted(self) -> None:
        net = Network(self.ec2)
        eni = self.ec2.create_network_interface(SubnetId=net.subnet)["NetworkInterface"]["NetworkInterfaceId"]
        self.assertAwsError("DependencyViolation", self.ec2.delete_subnet, SubnetId=net.subnet,
                            message=f"The subnet '{net.subnet}' has dependencies and cannot be deleted.")
        self.ec2.delete_network_interface(NetworkInterfaceId=eni)
        table = net.route_table()
        self.ec2.associate_route_table(RouteTableId=table, SubnetId=net.subnet)
        self.ec2.delete_subnet(SubnetId=net.subnet)
        tables = self.ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
        self.assertEqual(tables[0]["Associations"], [], "the association goes with the subnet")
        self.ec2.delete_route_table(RouteTableId=table)

    # Internet gateways

    def test_a_vpc_has_one_internet_gateway(self) -> None:
        net = Network(self.ec2)
        first = net.igw()
        second = net.igw(attach=False)
        self.assertAwsError("InvalidParameterValue", self.ec2.attach_internet_gateway,
                            InternetGatewayId=second, VpcId=net.vpc,
                            message=f"Network {net.vpc} already has an internet gateway attached")
        self.assertAwsError("Resource.AlreadyAssociated", self.ec2.attach_internet_gateway,
                            InternetGatewayId=first, VpcId=net.vpc,
                            message=f"resource {first} is already attached to network {net.vpc}")
        other = Network(self.ec2, "10.1.0.0/16")
        self.ec2.attach_internet_gateway(InternetGatewayId=second, VpcId=other.vpc)

    def test_an_attached_internet_gateway_is_not_deleted(self) -> None:
        net = Network(self.ec2)
        igw = net.igw()
        self.assertAwsError("DependencyViolation", self.ec2.delete_internet_gateway, InternetGatewayId=igw,
                            message=f"The internetGateway '{igw}' has dependencies and cannot be deleted.")
        self.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
        self.assertAwsError("Gateway.NotAttached", self.ec2.detach_internet_gateway,
                            InternetGatewayId=igw, VpcId=net.vpc,
                            message=f"resource {igw} is not attached to network {net.vpc}")
        self.ec2.delete_internet_gateway(InternetGatewayId=igw)

    def test_the_gateway_stays_while_public_addresses_are_mapped(self) -> None:
        net = Network(self.ec2)
        igw = net.igw()
        nat = net.nat()
        self.assertAwsError("DependencyViolation", self.ec2.detach_internet_gateway,
                            InternetGatewayId=igw, VpcId=net.vpc,
                            message=f"Network {net.vpc} has some mapped public address(es)")
        self.ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
        self.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)

    # Routes

    def test_a_route_has_exactly_one_target(self) -> None:
        net = Network(self.ec2)
        igw = net.igw()
        table = net.route_table()
        self.assertAwsError("MissingParameter", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", message="must contain exactly one of gatewayId")
        nat = net.nat()
        self.assertAwsError("InvalidParameterCombination", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", GatewayId=igw,
                            NatGatewayId=nat["NatGatewayId"])
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        self.assertAwsError("RouteAlreadyExists", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        self.assertAwsError("MissingParameter", self.ec2.replace_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0")
        self.ec2.replace_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0",
                               NatGatewayId=nat["NatGatewayId"])

    def test_a_route_goes_to_the_tables_vpc_gateway(self) -> None:
        net = Network(self.ec2)
        table = net.route_table()
        detached = net.igw(attach=False)
        self.assertAwsError("InvalidParameterValue", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", GatewayId=detached,
                            message=f"route table {table} and network gateway {detached} belong to different networks")
        self.assertAwsError("InvalidGatewayID.NotFound", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", GatewayId="igw-0123456789abcdef0")
        self.ec2.attach_internet_gateway(InternetGatewayId=detached, VpcId=net.vpc)
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=detached)

    def test_a_route_to_a_nat_gateway_needs_one_that_is_not_failed(self) -> None:
        net = Network(self.ec2)
        table = net.route_table()
        self.assertAwsError("InvalidNatGatewayID.NotFound", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", NatGatewayId="nat-0123456789abcdef0",
                            message="The natGateway ID 'nat-0123456789abcdef0' does not exist")
        failed = net.nat()  # no internet gateway yet
        self.assertEqual(failed["State"], "failed")
        self.assertAwsError("InvalidNatGatewayID.NotFound", self.ec2.create_route, RouteTableId=table,
                            DestinationCidrBlock="0.0.0.0/0", NatGatewayId=failed["NatGatewayId"])
        net.igw()
        nat = net.nat()
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0",
                              NatGatewayId=nat["NatGatewayId"])

    def test_a_subnet_is_associated_with_one_route_table_of_its_vpc(self) -> None:
        net = Network(self.ec2)
        first, second = net.route_table(), net.route_table()
        assoc = self.ec2.associate_route_table(RouteTableId=first, SubnetId=net.subnet)["AssociationId"]
        for table in (first, second):
            self.assertAwsError("Resource.AlreadyAssociated", self.ec2.associate_route_table,
                                RouteTableId=table, SubnetId=net.subnet,
                                message=f"the specified association for route table {table} conflicts")
        self.ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=second)
        other = Network(self.ec2, "10.1.0.0/16")
        self.assertAwsError("InvalidParameterValue", self.ec2.associate_route_table,
                            RouteTableId=first, SubnetId=other.subnet,
                            message=f"route table {first} and subnet {other.subnet} belong to different networks")
        self.ec2.associate_route_table(RouteTableId=other.route_table(), SubnetId=other.subnet)

    # NAT gateways and Elastic IPs

    def test_a_nat_gateway_fails_without_an_internet_gateway(self) -> None:
        net = Network(self.ec2)
        failed = net.nat()
        self.assertEqual((failed["State"], failed["FailureCode"], failed["FailureMessage"]),
                         ("failed", "Gateway.NotAttached", f"Network {net.vpc} has no Internet gateway attached"))
        net.igw()
        self.assertEqual(net.nat()["State"], "available")

    def test_a_nat_gateway_fails_on_an_elastic_ip_in_use(self) -> None:
        net = Network(self.ec2)
        net.igw()
        alloc = net.eip()
        self.assertEqual(net.nat(alloc)["State"], "available")
        second = net.nat(alloc)  # accepted, then failed, as AWS does
        self.assertEqual((second["State"], second["FailureCode"], second["FailureMessage"]),
                         ("failed", "Resource.AlreadyAssociated",
                          f"Elastic IP address [{alloc}] is already associated"))
        self.assertAwsError("InvalidAllocationID.NotFound", self.ec2.create_nat_gateway,
                            SubnetId=net.subnet, AllocationId="eipalloc-0123456789abcdef0",
                            message="The allocation ID 'eipalloc-0123456789abcdef0' does not exist")

    def test_unknown_nat_gateways_are_not_found(self) -> None:
        self.assertAwsError("NatGatewayNotFound", self.ec2.describe_nat_gateways,
                            NatGatewayIds=["nat-0123456789abcdef0"])
        self.assertAwsError("NatGatewayNotFound", self.ec2.delete_nat_gateway,
                            NatGatewayId="nat-0123456789abcdef0")
        self.assertEqual(self.ec2.describe_nat_gateways()["NatGateways"], [])

    def test_a_nat_gateways_address_is_released_once_it_is_deleted(self) -> None:
        net = Network(self.ec2)
        net.igw()
        alloc = net.eip()
        nat = net.nat(alloc)
        err = self.assertAwsError("AuthFailure", self.ec2.release_address, AllocationId=alloc,
                                  message="You do not have permission to access the specified resource.")
        self.assertEqual(err.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertAwsError("DependencyViolation", self.ec2.delete_subnet, SubnetId=net.subnet)
        self.ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
        gone = self.ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]
        self.assertEqual(gone["State"], "deleted")
        self.ec2.release_address(AllocationId=alloc)
        self.ec2.delete_subnet(SubnetId=net.subnet)

    def test_an_associated_address_is_not_released(self) -> None:
        net = Network(self.ec2)
        net.igw()
        alloc = net.eip()
        eni = self.ec2.create_network_interface(SubnetId=net.subnet)["NetworkInterface"]["NetworkInterfaceId"]
        assoc = self.ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=eni)["AssociationId"]
        ip = self.ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]["PublicIp"]
        self.assertAwsError("InvalidIPAddress.InUse", self.ec2.release_address, AllocationId=alloc,
                            message=f"Address {ip} is in use.")
        self.ec2.disassociate_address(AssociationId=assoc)
        self.ec2.release_address(AllocationId=alloc)

    def test_quota_errors_reach_the_client_as_aws_sends_them(self) -> None:
        self.control("POST", "/_mosia/faults", {
            "service": "ec2", "operation": "AllocateAddress", "error_code": "AddressLimitExceeded",
            "message": "The maximum number of addresses has been reached."})
        err = self.assertAwsError("AddressLimitExceeded", self.ec2.allocate_address, Domain="vpc",
                                  message="The maximum number of addresses has been reached.")
        self.assertEqual(err.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.ec2.allocate_address(Domain="vpc")

    # Security groups and VPCs

    def test_security_group_names_and_vpcs(self) -> None:
        net = Network(self.ec2)
        self.assertAwsError("InvalidParameterValue", self.ec2.create_security_group, GroupName="sg-web",
                            Description="d", VpcId=net.vpc,
                            message="Group names may not be in the format sg-*.")
        self.assertAwsError("InvalidVpcID.NotFound", self.ec2.create_security_group, GroupName="web",
                            Description="d", VpcId="vpc-0123456789abcdef0",
                            message="The vpc ID 'vpc-0123456789abcdef0' does not exist")
        group = self.ec2.create_security_group(GroupName="web", Description="d", VpcId=net.vpc)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=ingress())
        self.assertAwsError("InvalidPermission.Duplicate", self.ec2.authorize_security_group_ingress,
                            GroupId=group, IpPermissions=ingress())

    def test_a_security_group_in_use_is_not_deleted(self) -> None:
        net = Network(self.ec2)
        used = self.ec2.create_security_group(GroupName="used", Description="d", VpcId=net.vpc)["GroupId"]
        named = self.ec2.create_security_group(GroupName="named", Description="d", VpcId=net.vpc)["GroupId"]
        eni = self.ec2.create_network_interface(SubnetId=net.subnet, Groups=[used])
        self.ec2.authorize_security_group_ingress(GroupId=used, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": named}]}])
        for group in (used, named):
            self.assertAwsError("DependencyViolation", self.ec2.delete_security_group, GroupId=group,
                                message=f"resource {group} has a dependent object")
        default = self.ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [net.vpc]}, {"Name": "group-name", "Values": ["default"]}])
        self.assertAwsError("CannotDelete", self.ec2.delete_security_group,
                            GroupId=default["SecurityGroups"][0]["GroupId"])
        self.ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterface"]["NetworkInterfaceId"])
        self.ec2.delete_security_group(GroupId=used)
        self.ec2.delete_security_group(GroupId=named)

    def test_a_vpc_with_a_gateway_or_groups_is_not_deleted(self) -> None:
        net = Network(self.ec2)
        self.ec2.delete_subnet(SubnetId=net.subnet)
        igw = net.igw()
        message = f"The vpc '{net.vpc}' has dependencies and cannot be deleted."
        self.assertAwsError("DependencyViolation", self.ec2.delete_vpc, VpcId=net.vpc, message=message)
        self.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=net.vpc)
        group = self.ec2.create_security_group(GroupName="web", Description="d", VpcId=net.vpc)["GroupId"]
        self.assertAwsError("DependencyViolation", self.ec2.delete_vpc, VpcId=net.vpc, message=message)
        self.ec2.delete_security_group(GroupId=group)
        self.ec2.delete_vpc(VpcId=net.vpc)


class S3StateBucketRulesTest(EmulatorCase):
    """The calls of a Terraform state backend's bucket (provider/src/aws/state_bucket.rs)."""

    def setUp(self) -> None:
        super().setUp()
        self.s3 = self.client("s3")

    def bucket(self, name: str = "mosia-state-test") -> str:
        self.s3.create_bucket(Bucket=name)
        return name

    def test_bucket_names_follow_the_naming_rules(self) -> None:
        for name in ("my_state", "MyState", "ab", "a" * 64, "192.168.5.4", "state..bucket",
                     "-state", "state-", "xn--state", "state-s3alias", "state--ol-s3"):
            self.assertAwsError("InvalidBucketName", self.s3.create_bucket, Bucket=name,
                                message="The specified bucket is not valid.")
        for name in ("abc", "a" * 63, "mosia-prod.tfstate-123"):
            self.s3.create_bucket(Bucket=name)

    def test_the_location_constraint_matches_the_region(self) -> None:
        west = self.client("s3", region="eu-west-1")
        self.assertAwsError("IllegalLocationConstraintException", west.create_bucket, Bucket="state-eu")
        self.assertAwsError("InvalidLocationConstraint", self.s3.create_bucket, Bucket="state-us",
                            CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
        west.create_bucket(Bucket="state-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.s3.create_bucket(Bucket="state-us")

    def test_a_kms_key_only_with_kms_encryption(self) -> None:
        bucket = self.bucket()
        key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

        def encrypt(algorithm: str, key_id: str | None = None) -> Any:
            default = {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key_id} if key_id else {})}
            return self.s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bool(key_id)}]})

        self.assertAwsError("InvalidArgument", encrypt, "AES256", key,
                            message="a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms")
        self.assertAwsError("MalformedXML", encrypt, "DES")
        encrypt("aws:kms", key)
        encrypt("AES256")

    def test_lifecycle_days_are_positive(self) -> None:
        bucket = self.bucket()

        def lifecycle(days: int) -> Any:
            return self.s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={
                "Rules": [{"ID": "expiry", "Status": "Enabled", "Filter": {"Prefix": ""},
                           "NoncurrentVersionExpiration": {"NoncurrentDays": days},
                           "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]})

        self.assertAwsError("InvalidArgument", lifecycle, 0,
                            message="'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
        lifecycle(90)

    def test_bucket_tags_limits(self) -> None:
        bucket = self.bucket()

        def tag(tags: dict[str, str]) -> Any:
            return self.s3.put_bucket_tagging(Bucket=bucket, Tagging={
                "TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})

        self.assertAwsError("BadRequest", tag, {f"k{i}": "v" for i in range(51)},
                            message="Bucket tag count cannot be greater than 50")
        self.assertAwsError("InvalidTag", tag, {"k" * 129: "v"}, message="The TagKey you have provided is too long")
        self.assertAwsError("InvalidTag", tag, {"k": "v" * 257}, message="The TagValue you have provided is too long")
        self.assertAwsError("InvalidTag", tag, {"aws:owner": "me"})
        tag({**{f"k{i}": "v" for i in range(49)}, "k" * 128: "v" * 256})

    def test_bucket_policies_are_json_on_the_buckets_resources(self) -> None:
        bucket = self.bucket()
        tls_only = ('{"Version":"2012-10-17","Statement":[{"Sid":"MosiaDenyInsecureTransport",'
                    '"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":['
                    f'"arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"],'
                    '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}')
        for policy, message in (
            ("not json", "Policies must be valid JSON"),
            ('{"Version":"2012-10-17"}', "Missing required field Statement"),
            (tls_only.replace(f"arn:aws:s3:::{bucket}/*", "arn:aws:s3:::another-bucket/*"),
             "Policy has invalid resource"),
        ):
            self.assertAwsError("MalformedPolicy", self.s3.put_bucket_policy, Bucket=bucket,
                                Policy=policy, message=message)
        self.s3.put_bucket_policy(Bucket=bucket, Policy=tls_only)

    def test_a_bucket_with_object_versions_is_not_deleted(self) -> None:
        bucket = self.bucket()
        self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_object(Bucket=bucket, Key="env/terraform.tfstate", Body=b"{}")
        self.s3.delete_object(Bucket=bucket, Key="env/terraform.tfstate")  # a delete marker
        self.assertAwsError("BucketNotEmpty", self.s3.delete_bucket, Bucket=bucket)
        listed = self.s3.list_object_versions(Bucket=bucket)
        for v in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
            self.s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])
        self.s3.delete_bucket(Bucket=bucket)


class VpcEndpointRulesTest(EmulatorCase):
    """CreateVpcEndpoint: unknown services, private DNS without the VPC's DNS attributes,
    two subnets of one AZ, each refused next to the request AWS accepts."""

    def setUp(self) -> None:
        super().setUp()
        self.ec2 = self.client("ec2")
        self.vpc = self.ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            self.ec2.create_subnet(VpcId=self.vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
            for i, z in enumerate(("us-east-1a", "us-east-1a", "us-east-1b"))
        ]

    def interface(self, **kwargs: object) -> dict:
        request = {"VpcId": self.vpc, "ServiceName": "com.amazonaws.us-east-1.ecr.api",
                   "VpcEndpointType": "Interface", "SubnetIds": [self.subnets[0], self.subnets[2]],
                   "PrivateDnsEnabled": True}
        request.update(kwargs)
        return self.ec2.create_vpc_endpoint(**request)["VpcEndpoint"]

    def test_unknown_services_are_refused(self) -> None:
        self.assertAwsError("InvalidServiceName", self.ec2.create_vpc_endpoint, VpcId=self.vpc,
                            ServiceName="com.amazonaws.us-east-1.nosuchservice", VpcEndpointType="Gateway")

    def test_private_dns_needs_the_vpc_dns_attributes(self) -> None:
        self.assertAwsError("InvalidParameter", self.interface, message="enableDnsHostnames")
        self.ec2.modify_vpc_attribute(VpcId=self.vpc, EnableDnsHostnames={"Value": True})
        self.assertEqual(self.interface()["State"].lower(), "available")

    def test_one_subnet_per_zone(self) -> None:
        self.ec2.modify_vpc_attribute(VpcId=self.vpc, EnableDnsHostnames={"Value": True})
        self.assertAwsError("DuplicateSubnetsInSameZone", self.interface, SubnetIds=self.subnets[:2])
