"""EC2/VPC verifiers: the network as the state records it, security groups closed to the internet,
the default security group empty, and flow logs on every VPC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from runbook_lib.infra.verify.core import Lookup, MatchesState, Outcome, VerifyContext, equal, present
from runbook_lib.terraform.state import StateResource

_OPEN_CIDRS = ("0.0.0.0/0", "::/0")


# ----------------------------------------------------------------------------------------------
# Security groups
# ----------------------------------------------------------------------------------------------
def _open_ingress(permissions: Iterable[Mapping[str, Any]]) -> list[str]:
    found = []
    for perm in permissions:
        ports = f"{perm.get('IpProtocol')}:{perm.get('FromPort', 'all')}-{perm.get('ToPort', 'all')}"
        for rng in perm.get("IpRanges", []):
            if rng.get("CidrIp") in _OPEN_CIDRS:
                found.append(f"{rng['CidrIp']} {ports}")
        for rng in perm.get("Ipv6Ranges", []):
            if rng.get("CidrIpv6") in _OPEN_CIDRS:
                found.append(f"{rng['CidrIpv6']} {ports}")
    return found


def _intended(ctx: VerifyContext, r: StateResource, group_id: Any) -> bool:
    """Open ingress the operator declared on purpose (by group id or resource address)."""
    return group_id in ctx.open_ingress_allowed or r.address in ctx.open_ingress_allowed


def _no_open_ingress(actual: Any, is_open: bool, intended: bool, detail: str = "") -> Outcome:
    return Outcome("sg.no_open_ingress", "no ingress from 0.0.0.0/0 or ::/0", actual, not is_open or intended, detail)


def _security_group(ctx: VerifyContext, group_id: str) -> dict[str, Any]:
    return ctx.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def verify_security_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    group = _security_group(ctx, r.get("id"))
    yield equal("matches state: vpc", r.get("vpc_id"), group.get("VpcId"))
    open_rules = _open_ingress(group.get("IpPermissions", []))
    intended = _intended(ctx, r, r.get("id"))
    detail = "0.0.0.0/0 ingress is intended here" if open_rules and intended else ""
    yield _no_open_ingress(open_rules or "none", bool(open_rules), intended, detail)


def verify_default_security_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    group = _security_group(ctx, r.get("id"))
    rules = len(group.get("IpPermissions", [])) + len(group.get("IpPermissionsEgress", []))
    yield equal("sg.default_denies_all", 0, rules, "the default security group must have no rules")


def _sg_rule(ctx: VerifyContext, rule_id: str) -> dict[str, Any]:
    rules = ctx.client("ec2").describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"]
    if not rules:
        # botocore is imported when a verifier runs, not when the package is imported (it is heavy).
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {"Code": "InvalidSecurityGroupRuleId.NotFound", "Message": rule_id},
                "ResponseMetadata": {"HTTPStatusCode": 404},
            },
            "DescribeSecurityGroupRules",
        )
    return rules[0]


def verify_security_group_rule(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """The rule is on its group; an ingress rule is not open to the internet."""
    group = _security_group(ctx, r.get("security_group_id"))
    ingress = r.get("type") == "ingress"
    perms = group.get("IpPermissions" if ingress else "IpPermissionsEgress", [])
    want_from, want_to = r.get("from_port"), r.get("to_port")
    any_protocol = r.get("protocol") in ("-1", "all")

    def matches(perm: Mapping[str, Any]) -> bool:
        if perm.get("IpProtocol") not in (r.get("protocol"), "-1" if any_protocol else None):
            return False
        if not any_protocol and (perm.get("FromPort"), perm.get("ToPort")) != (want_from, want_to):
            return False
        pairs = {p.get("GroupId") for p in perm.get("UserIdGroupPairs", [])}
        if r.get("source_security_group_id"):
            return r.get("source_security_group_id") in pairs
        if r.get("self"):
            return r.get("security_group_id") in pairs
        cidrs = set(r.get("cidr_blocks", []))
        return cidrs <= {x.get("CidrIp") for x in perm.get("IpRanges", [])}

    yield present(
        "exists", any(matches(p) for p in perms), f"{r.get('type')} {r.get('protocol')} {want_from}-{want_to}"
    )
    if ingress:
        open_cidrs = [c for c in [*r.get("cidr_blocks", []), *r.get("ipv6_cidr_blocks", [])] if c in _OPEN_CIDRS]
        yield _no_open_ingress(open_cidrs or "none", bool(open_cidrs), _intended(ctx, r, r.get("security_group_id")))


def verify_vpc_sg_rule(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """``aws_vpc_security_group_ingress_rule`` and ``..._egress_rule``: one rule, read by its id."""
    rule = _sg_rule(ctx, r.get("security_group_rule_id") or r.get("id"))
    yield equal("matches state: group", r.get("security_group_id"), rule.get("GroupId"))
    egress = r.type.endswith("egress_rule")
    yield equal(
        "matches state: direction",
        "egress" if egress else "ingress",
        "egress" if rule.get("IsEgress") else "ingress",
    )
    if not egress:
        cidr = rule.get("CidrIpv4") or rule.get("CidrIpv6")
        yield _no_open_ingress(cidr or "none", cidr in _OPEN_CIDRS, _intended(ctx, r, r.get("security_group_id")))


# ----------------------------------------------------------------------------------------------
# VPC, subnets, gateways, routes
# ----------------------------------------------------------------------------------------------
def _flow_logs_by_resource(ctx: VerifyContext) -> dict[str, list[dict[str, Any]]]:
    """Every flow log of the account by the resource it watches, read once per run."""

    def load() -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for page in ctx.client("ec2").get_paginator("describe_flow_logs").paginate():
            for item in page.get("FlowLogs", []):
                out.setdefault(item.get("ResourceId", ""), []).append(item)
        return out

    return ctx.memo(("flow_logs",), load)


def verify_vpc(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    vpc = ctx.client("ec2").describe_vpcs(VpcIds=[r.get("id")])["Vpcs"][0]
    yield equal("matches state: cidr", r.get("cidr_block"), vpc.get("CidrBlock"))
    logs = _flow_logs_by_resource(ctx).get(r.get("id"), [])
    yield Outcome("ec2.vpc_flow_logs", "a flow log on the VPC", f"{len(logs)} flow logs", bool(logs))


def verify_subnet(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    subnet = ctx.client("ec2").describe_subnets(SubnetIds=[r.get("id")])["Subnets"][0]
    yield equal(
        "matches state",
        [r.get("vpc_id"), r.get("cidr_block"), r.get("availability_zone")],
        [subnet.get("VpcId"), subnet.get("CidrBlock"), subnet.get("AvailabilityZone")],
    )
    yield equal(
        "matches state: public ip on launch",
        bool(r.get("map_public_ip_on_launch")),
        bool(subnet.get("MapPublicIpOnLaunch")),
    )


def verify_igw(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    igw = ctx.client("ec2").describe_internet_gateways(InternetGatewayIds=[r.get("id")])["InternetGateways"][0]
    attached = [a.get("VpcId") for a in igw.get("Attachments", [])]
    yield equal("matches state: attached vpc", [r.get("vpc_id")], attached)


def verify_nat(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    nat = ctx.client("ec2").describe_nat_gateways(NatGatewayIds=[r.get("id")])["NatGateways"][0]
    yield equal("available", "available", nat.get("State"))
    yield equal("matches state: subnet", r.get("subnet_id"), nat.get("SubnetId"))


verify_eip = MatchesState(
    "matches state: public ip",
    Lookup("ec2", "describe_addresses", {"AllocationIds": ["id"]}, ("Addresses", 0)),
    field="PublicIp",
    attribute="public_ip",
)

verify_route_table = MatchesState(
    "matches state: vpc",
    Lookup("ec2", "describe_route_tables", {"RouteTableIds": ["id"]}, ("RouteTables", 0)),
    field="VpcId",
    attribute="vpc_id",
)


def _route_table(ctx: VerifyContext, table_id: str) -> dict[str, Any]:
    return ctx.client("ec2").describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]


#: Route targets, in the order Terraform's attributes are tried: state attribute -> EC2 API field.
_ROUTE_TARGETS = {
    "gateway_id": "GatewayId",
    "nat_gateway_id": "NatGatewayId",
    "transit_gateway_id": "TransitGatewayId",
    "vpc_peering_connection_id": "VpcPeeringConnectionId",
    "network_interface_id": "NetworkInterfaceId",
    "vpc_endpoint_id": "GatewayId",
}


def verify_route(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    table = _route_table(ctx, r.get("route_table_id"))
    dest = r.get("destination_cidr_block") or r.get("destination_ipv6_cidr_block")
    target = next((t for t in _ROUTE_TARGETS if r.get(t)), None)
    found = [
        x
        for x in table.get("Routes", [])
        if (x.get("DestinationCidrBlock") or x.get("DestinationIpv6CidrBlock")) == dest
    ]
    ok = bool(found) and (target is None or found[0].get(_ROUTE_TARGETS[target]) == r.get(target))
    yield present("exists", ok, f"{dest} -> {r.get(target) if target else '?'}")


def verify_route_table_association(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    table = _route_table(ctx, r.get("route_table_id"))
    found = any(
        a.get("RouteTableAssociationId") == r.get("id") and a.get("SubnetId") == r.get("subnet_id")
        for a in table.get("Associations", [])
    )
    yield present("exists", found, f"{r.get('subnet_id')} in {r.get('route_table_id')}")


def verify_vpc_endpoint(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    endpoint = ctx.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[r.get("id")])["VpcEndpoints"][0]
    yield equal("matches state: service", r.get("service_name"), endpoint.get("ServiceName"))
    yield equal("available", "available", str(endpoint.get("State", "")).lower())


def verify_flow_log(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    logs = ctx.client("ec2").describe_flow_logs(FlowLogIds=[r.get("id")])["FlowLogs"]
    yield present("exists", bool(logs), r.get("id"))
    if logs:
        yield equal("matches state: traffic type", r.get("traffic_type"), logs[0].get("TrafficType"))
