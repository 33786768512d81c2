"""DocumentDB verifiers: clusters encrypted, protected, backed up and TLS-only; instances private."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Outcome, VerifyContext, equal
from runbook_lib.infra.verify.rds import SubnetGroup, backups_kept, db_parameter, parameter_is
from runbook_lib.terraform.state import StateResource


def verify_docdb_parameter_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    yield parameter_is("docdb.tls", "enabled", db_parameter(ctx, "docdb", r.get("name"), "tls", cluster=True))


def verify_docdb_cluster(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    docdb = ctx.client("docdb")
    cluster = docdb.describe_db_clusters(DBClusterIdentifier=r.get("cluster_identifier"))["DBClusters"][0]
    yield equal("docdb.storage_encrypted", True, cluster.get("StorageEncrypted"))
    yield equal("docdb.deletion_protection", True, cluster.get("DeletionProtection"))
    yield backups_kept("docdb.backup_retention", cluster)
    group = cluster.get("DBClusterParameterGroup")
    value = db_parameter(ctx, "docdb", group, "tls", cluster=True) if group else None
    yield parameter_is("docdb.tls", "enabled", value, f"unset in {group}")


def verify_docdb_instance(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    db = ctx.client("docdb").describe_db_instances(DBInstanceIdentifier=r.get("identifier"))["DBInstances"][0]
    yield equal("matches state: cluster", r.get("cluster_identifier"), db.get("DBClusterIdentifier"))
    yield equal("docdb.not_public", False, bool(db.get("PubliclyAccessible")))


verify_docdb_subnet_group = SubnetGroup("docdb")
