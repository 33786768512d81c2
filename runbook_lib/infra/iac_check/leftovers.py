"""What the emulator still holds of the project after the destroy, walked from one table of listings.

Each :class:`Listing` row says which service call lists a kind of resource, where in each item the
name is, which part of the name carries the project prefix and which items still count (a secret
scheduled for deletion does not). Kinds that need more than one call (KMS keys, tagged EC2
networking, OIDC providers known only by their tags, ECS clusters that stay listed while INACTIVE)
name a function of their own. A listing that fails is reported as a leftover of kind ``unlisted``:
an unlistable kind is never assumed empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.infra.iac_check.report import Leftover
from runbook_lib.terraform.tfvars import read_tfvars

#: Items of a listing: one dict per resource, or the bare name (``list_tables``, ``list_queues``).
Item = Mapping[str, Any] | str


@dataclass(frozen=True)
class ProjectMatch:
    """What marks a resource as the project's: a name prefix (also with ``_`` for Glue), or all its tags."""

    prefixes: tuple[str, ...]
    glue_prefixes: tuple[str, ...]
    tags: Mapping[str, str]

    @classmethod
    def of(cls, prefixes: Iterable[str], tags: Mapping[str, str]) -> ProjectMatch:
        kept = tuple(p for p in prefixes if p)
        return cls(kept, tuple(p.replace("-", "_") for p in kept), tags)

    def named(self, name: str) -> bool:
        """The name starts with a project prefix, or has one after a ``/`` (log groups, parameters)."""
        return bool(name) and (
            name.startswith(self.prefixes)
            or name.startswith(self.glue_prefixes)
            or any(f"/{p}" in name for p in self.prefixes)
        )

    def tagged(self, items: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None) -> bool:
        """The resource carries every project tag (``[{"Key":…, "Value":…}]``, lower-case keys, or a dict)."""
        if isinstance(items, Mapping):
            have = {str(k): str(v) for k, v in items.items()}
        else:
            have = {str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value"))) for t in items or ()}
        return bool(self.tags) and all(have.get(k) == v for k, v in self.tags.items())


# -- which part of a name carries the project prefix -------------------------------------------
def _whole(name: str) -> str:
    return name


def _after_last_colon(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _after_last_slash(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _without_alias_prefix(name: str) -> str:
    return name.removeprefix("alias/")


def _without_leading_slash(name: str) -> str:
    return name.lstrip("/")


def _always(item: Item) -> bool:
    return True


def _not_deleted(secret: Item) -> bool:
    return not secret.get("DeletedDate")  # type: ignore[union-attr]


# -- kinds that need more than one call ------------------------------------------------------------
def _kms_keys(kms: Any, project: ProjectMatch) -> Iterable[str]:
    """Customer keys tagged or described as the project's; AWS-managed keys and keys pending deletion skip."""
    for page in kms.get_paginator("list_keys").paginate():
        for key in page["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta.get("KeyManager") == "AWS" or meta.get("KeyState") in (
                "PendingDeletion",
                "PendingReplicaDeletion",
            ):
                continue
            key_tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
            if project.tagged([{"Key": t["TagKey"], "Value": t["TagValue"]} for t in key_tags]) or project.named(
                meta.get("Description", "")
            ):
                yield key["KeyId"]


def _ec2_tagged(ec2: Any, project: ProjectMatch) -> Iterable[str]:
    """VPCs, security groups, subnets, live NAT gateways and EIPs carrying the project tags."""
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in project.tags.items()]
    if not filters:
        return
    for vpc in ec2.describe_vpcs(Filters=filters)["Vpcs"]:
        yield f"vpc {vpc['VpcId']}"
    for sg in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]:
        yield f"security group {sg['GroupId']} {sg.get('GroupName')}"
    for subnet in ec2.describe_subnets(Filters=filters)["Subnets"]:
        yield f"subnet {subnet['SubnetId']}"
    for nat in ec2.describe_nat_gateways(Filters=filters)["NatGateways"]:
        if nat.get("State") not in ("deleted", "deleting"):
            yield f"nat gateway {nat['NatGatewayId']}"
    for address in ec2.describe_addresses(Filters=filters)["Addresses"]:
        yield f"eip {address.get('AllocationId')}"


def _tagged_oidc_providers(iam: Any, project: ProjectMatch) -> list[str]:
    """OIDC providers have no name of ours, only an ARN: they are the project's by their tags."""
    return [
        x["Arn"]
        for x in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])
        if project.tagged(iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=x["Arn"]).get("Tags", []))
    ]


def _active_ecs_clusters(ecs: Any, project: ProjectMatch) -> list[str]:
    """Project ECS clusters still ACTIVE.

    DeleteCluster only marks a cluster INACTIVE (AWS keeps describing it for a while, and moto
    keeps listing it); an INACTIVE cluster holds nothing and is gone for every purpose.
    """
    arns = [c for c in ecs.list_clusters().get("clusterArns", []) if project.named(c.rsplit("/", 1)[-1])]
    if not arns:
        return []
    described = ecs.describe_clusters(clusters=arns).get("clusters", [])
    return [c["clusterArn"] for c in described if c.get("status") != "INACTIVE"]


# -- the table ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Listing:
    """One kind of resource to look for, and how.

    Attributes:
        service: the boto3 client.
        kind: what is listed, as the report names it.
        operation: the client method that lists (a paginator of that name when ``paginate``).
        key: the response (or page) key holding the items.
        name_field: the item's field holding the reported name; ``None``: the item is the name.
        match_on: the part of the name a project prefix must start.
        params: keyword arguments of the call.
        paginate: walk every page (a page without ``key`` is an error).
        strict: a response without ``key`` is an error (reported ``unlisted``) rather than empty.
        active: whether a matching item still counts (not scheduled for deletion).
        custom: a function of its own for kinds one call cannot list; the fields above are unused.
    """

    service: str
    kind: str
    operation: str = ""
    key: str = ""
    name_field: str | None = None
    match_on: Callable[[str], str] = _whole
    params: Mapping[str, Any] = field(default_factory=dict)
    paginate: bool = False
    strict: bool = False
    active: Callable[[Item], bool] = _always
    custom: Callable[[Any, ProjectMatch], Iterable[str]] | None = None


LISTINGS: tuple[Listing, ...] = (
    Listing("s3", "bucket", "list_buckets", "Buckets", "Name"),
    Listing("ec2", "tagged", custom=_ec2_tagged),
    Listing("iam", "role", "list_roles", "Roles", "RoleName", paginate=True),
    Listing("iam", "policy", "list_policies", "Policies", "PolicyName", params={"Scope": "Local"}, paginate=True),
    Listing(
        "iam", "instance profile", "list_instance_profiles", "InstanceProfiles", "InstanceProfileName", paginate=True
    ),
    Listing("iam", "oidc provider", custom=_tagged_oidc_providers),
    Listing("kms", "key", custom=_kms_keys),
    Listing("kms", "alias", "list_aliases", "Aliases", "AliasName", match_on=_without_alias_prefix),
    Listing("dynamodb", "table", "list_tables", "TableNames"),
    Listing("rds", "db instance", "describe_db_instances", "DBInstances", "DBInstanceIdentifier", strict=True),
    Listing("rds", "db subnet group", "describe_db_subnet_groups", "DBSubnetGroups", "DBSubnetGroupName", strict=True),
    Listing(
        "rds",
        "db parameter group",
        "describe_db_parameter_groups",
        "DBParameterGroups",
        "DBParameterGroupName",
        strict=True,
    ),
    Listing("logs", "log group", "describe_log_groups", "logGroups", "logGroupName", paginate=True),
    Listing("sns", "topic", "list_topics", "Topics", "TopicArn", match_on=_after_last_colon),
    Listing("sqs", "queue", "list_queues", "QueueUrls", match_on=_after_last_slash),
    Listing("lambda", "function", "list_functions", "Functions", "FunctionName"),
    Listing("ecr", "repository", "describe_repositories", "repositories", "repositoryName"),
    Listing("secretsmanager", "secret", "list_secrets", "SecretList", "Name", active=_not_deleted),
    Listing("ssm", "parameter", "describe_parameters", "Parameters", "Name", match_on=_without_leading_slash),
    Listing("glue", "database", "get_databases", "DatabaseList", "Name"),
    Listing("glue", "job", "list_jobs", "JobNames"),
    Listing("apigatewayv2", "api", "get_apis", "Items", "Name"),
    Listing("cloudwatch", "alarm", "describe_alarms", "MetricAlarms", "AlarmName"),
    Listing("ecs", "cluster", custom=_active_ecs_clusters),
    Listing("opensearch", "domain", "list_domain_names", "DomainNames", "DomainName"),
)


def _items(listing: Listing, api: Any) -> list[Item]:
    if listing.paginate:
        pages = api.get_paginator(listing.operation).paginate(**listing.params)
        return [item for page in pages for item in page[listing.key]]
    response = getattr(api, listing.operation)(**listing.params)
    return response[listing.key] if listing.strict else response.get(listing.key, [])


def _names(listing: Listing, api: Any, project: ProjectMatch) -> Iterable[str]:
    """The project's resources of one listing (a custom function's are read as it yields them)."""
    if listing.custom is not None:
        return listing.custom(api, project)
    names = []
    for item in _items(listing, api):
        name = item[listing.name_field] if listing.name_field else item  # type: ignore[index]
        if project.named(listing.match_on(name)) and listing.active(item):
            names.append(name)
    return names


def find_leftovers(client: Callable[[str], Any], prefixes: Iterable[str], tags: Mapping[str, str]) -> list[Leftover]:
    """List buckets, VPCs, roles, keys, tables … whose name starts with a project prefix or that carry
    the project's tags. A lister that fails is reported as a leftover of kind ``unlisted`` (never a pass)."""
    project = ProjectMatch.of(prefixes, tags)
    found: list[Leftover] = []
    for listing in LISTINGS:
        try:
            for name in _names(listing, client(listing.service), project):
                found.append(Leftover(listing.service, listing.kind, name))
        except Exception as error:  # noqa: BLE001 - an unlistable kind is reported, not assumed empty
            found.append(
                Leftover(listing.service, "unlisted", f"{listing.kind}: {type(error).__name__}: {str(error)[:120]}")
            )
    return found


def project_markers(env_dir: Path) -> tuple[list[str], dict[str, str]]:
    """Name prefixes (name_prefix, state bucket, lock table) and the Project tag of an environment's tfvars."""
    prefixes: set[str] = set()
    tags: dict[str, str] = {}
    for path in sorted(env_dir.glob("*.tfvars")):
        tfvars = read_tfvars(path)
        for key in ("name_prefix", "state_bucket_name", "lock_table_name"):
            if isinstance(tfvars.values.get(key), str):
                prefixes.add(tfvars.values[key])
        if isinstance(tfvars.values.get("tags"), Mapping) and "Project" in tfvars.values["tags"]:
            tags["Project"] = str(tfvars.values["tags"]["Project"])
    return sorted(prefixes), tags
