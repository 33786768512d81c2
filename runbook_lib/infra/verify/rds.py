"""RDS verifiers: instances encrypted, Multi-AZ, protected, backed up, private, TLS forced.

DocumentDB is managed through the same API (``docdb`` clients speak RDS's operations), so its
verifiers (:mod:`.docdb`) reuse the parameter and subnet-group readers here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from runbook_lib.infra.verify.core import Outcome, VerifyContext, equal
from runbook_lib.terraform.state import StateResource


def db_parameter(ctx: VerifyContext, service: str, group: str, name: str, *, cluster: bool = False) -> str | None:
    """A parameter's value in a (cluster) parameter group, read through the paginator."""
    client = ctx.client(service)
    op = "describe_db_cluster_parameters" if cluster else "describe_db_parameters"
    key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
    for page in client.get_paginator(op).paginate(**{key: group}):
        for param in page.get("Parameters", []):
            if param.get("ParameterName") == name:
                return param.get("ParameterValue")
    return None


def parameter_is(check: str, want: str, value: str | None, unset: str = "unset") -> Outcome:
    """A parameter group setting (``rds.force_ssl``, ``tls``) has the value a control needs."""
    return Outcome(check, want, value if value is not None else unset, str(value) == want)


def backups_kept(check: str, db: Mapping[str, Any]) -> Outcome:
    retention = int(db.get("BackupRetentionPeriod") or 0)
    return Outcome(check, "> 0 days", retention, retention > 0)


@dataclass(frozen=True)
class SubnetGroup:
    """``aws_db_subnet_group`` / ``aws_docdb_subnet_group``: the group's subnets are the state's."""

    service: str

    def __call__(self, r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
        client = ctx.client(self.service)
        group = client.describe_db_subnet_groups(DBSubnetGroupName=r.get("name"))["DBSubnetGroups"][0]
        yield equal(
            "matches state: subnets",
            sorted(r.get("subnet_ids", [])),
            sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
        )


def verify_db_instance(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """Encryption, Multi-AZ, deletion protection, backups, not public, TLS forced by the parameter group."""
    db = ctx.client("rds").describe_db_instances(DBInstanceIdentifier=r.get("identifier"))["DBInstances"][0]
    yield equal("rds.storage_encrypted", True, db.get("StorageEncrypted"))
    yield equal("rds.multi_az", True, db.get("MultiAZ"))
    yield equal("rds.deletion_protection", True, db.get("DeletionProtection"))
    yield backups_kept("rds.backup_retention", db)
    yield equal("rds.not_public", False, bool(db.get("PubliclyAccessible")))
    if str(db.get("Engine", "")).startswith("postgres"):
        groups = [g["DBParameterGroupName"] for g in db.get("DBParameterGroups", [])]
        value = db_parameter(ctx, "rds", groups[0], "rds.force_ssl") if groups else None
        yield parameter_is("rds.force_ssl", "1", value, f"unset in {groups or 'no group'}")


def verify_db_parameter_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    group = ctx.client("rds").describe_db_parameter_groups(DBParameterGroupName=r.get("name"))["DBParameterGroups"][0]
    yield equal("matches state: family", r.get("family"), group.get("DBParameterGroupFamily"))
    if str(r.get("family", "")).startswith("postgres"):
        yield parameter_is("rds.force_ssl", "1", db_parameter(ctx, "rds", r.get("name"), "rds.force_ssl"))


verify_db_subnet_group = SubnetGroup("rds")
