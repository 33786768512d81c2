"""The guard refuses destructive plans, whoever approves them; the gate (``approval``) asks who approves a plan.

No apply deletes or replaces a resource holding data unless ``terraform.allow_destroy`` lists it.

Why a separate, boring check: approval gates are about *whether* a person or a
policy accepts a plan; this guard is about a class of change that must never
happen by accident, whoever approves. A renamed S3 bucket, a changed RDS
identifier or a KMS key argument that forces replacement all show up as
``replace`` in a plan, and each destroys data (or, for a KMS key, makes data
unreadable). The guard runs before every apply, headless or interactive, and
an address passes only when it is listed in ``terraform.allow_destroy``.

What it does not do: judge resources outside :data:`STATEFUL_TYPES` (a replaced
security group is an outage, not data loss; the gate is where that is judged),
or look inside ``local-exec`` provisioners.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from runbook_lib.errors import DestructiveChangeError
from runbook_lib.terraform.plan import DESTRUCTIVE_ACTIONS, Plan, ResourceChange

log = logging.getLogger("runbook_lib.terraform.destroy_guard")

#: Resource types whose deletion or replacement loses data, keys or history. Entries ending in ``*``
#: match every type with that prefix. Extend per call with ``check_destructive(..., stateful_types=...)``.
STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        # relational and document databases
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_rds_global_cluster",
        "aws_docdb_cluster",
        "aws_docdb_cluster_instance",
        "aws_docdb_global_cluster",
        "aws_docdb_elastic_cluster",
        "aws_neptune_cluster",
        "aws_redshift_cluster",
        "aws_redshiftserverless_namespace",
        "aws_dynamodb_table",
        "aws_dynamodb_global_table",
        "aws_keyspaces_table",
        "aws_timestreamwrite_table",
        "aws_memorydb_cluster",
        "aws_elasticache_*",
        # object, file and block storage
        "aws_s3_bucket",
        "aws_s3_directory_bucket",
        "aws_efs_file_system",
        "aws_fsx_*_file_system",
        "aws_ebs_volume",
        "aws_ebs_snapshot",
        "aws_glacier_vault",
        "aws_backup_vault",
        "aws_ecr_repository",
        # streams and queues (messages not yet consumed)
        "aws_msk_cluster",
        "aws_msk_serverless_cluster",
        "aws_kinesis_stream",
        "aws_kinesis_firehose_delivery_stream",
        "aws_sqs_queue",
        # search and analytics
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        # keys and secrets (deleting a key makes everything it encrypted unreadable)
        "aws_kms_key",
        "aws_kms_replica_key",
        "aws_secretsmanager_secret",
        # audit trails: the evidence of the migration itself
        "aws_cloudwatch_log_group",
    }
)


def is_stateful(resource_type: str, stateful_types: Iterable[str] = STATEFUL_TYPES) -> bool:
    """Whether ``resource_type`` is one of (or matches a ``*`` pattern of) ``stateful_types``."""
    for entry in stateful_types:
        if "*" in entry:
            if fnmatchcase(resource_type, entry):
                return True
        elif entry == resource_type:
            return True
    return False


def address_allowed(address: str, allow_destroy: Sequence[str]) -> bool:
    """Whether ``address`` is listed exactly, or starts with an entry's text before a trailing ``*``.

    ``module.lake.aws_s3_bucket.scratch*`` allows ``…scratch`` and every instance
    ``…scratch["a"]``; only a trailing ``*`` is special, so an entry cannot
    accidentally allow more than its author wrote.
    """
    for entry in allow_destroy:
        if entry.endswith("*"):
            if address.startswith(entry[:-1]):
                return True
        elif address == entry:
            return True
    return False


@dataclass(frozen=True)
class DestructiveFinding:
    """A stateful resource the plan deletes or replaces, and whether the params allow it."""

    address: str
    type: str
    action: str
    allowed: bool


def destructive_findings(
    plan: Plan, allow_destroy: Sequence[str] = (), *, stateful_types: Iterable[str] = STATEFUL_TYPES
) -> list[DestructiveFinding]:
    """Every delete/replace of a stateful managed resource in ``plan``, allowed or not (for review tables)."""
    types = tuple(stateful_types)
    found: list[DestructiveFinding] = []
    for rc in plan.resource_changes.values():
        if _is_destructive(rc, types):
            found.append(
                DestructiveFinding(rc.key, rc.type, rc.action, address_allowed(rc.address, allow_destroy))
            )
    return found


def check_destructive(
    plan: Plan, allow_destroy: Sequence[str] = (), *, stateful_types: Iterable[str] = STATEFUL_TYPES
) -> list[DestructiveFinding]:
    """Refuse a plan that deletes or replaces a stateful resource not listed in ``allow_destroy``.

    Args:
        plan: the parsed plan.
        allow_destroy: exact addresses, or prefixes ending in ``*`` (``terraform.allow_destroy``).
        stateful_types: types to protect; defaults to :data:`STATEFUL_TYPES`.

    Returns:
        The destructive changes that were allowed (for the evidence ledger).

    Raises:
        DestructiveChangeError: listing every refused address.
    """
    findings = destructive_findings(plan, allow_destroy, stateful_types=stateful_types)
    refused = [f.address for f in findings if not f.allowed]
    if refused:
        log.warning("refusing plan %s: destructive changes to %s", plan.raw_sha256, ", ".join(refused))
        raise DestructiveChangeError(refused)
    for finding in findings:
        log.info("allowed by terraform.allow_destroy: %s %s", finding.action, finding.address)
    return findings


def _is_destructive(rc: ResourceChange, types: tuple[str, ...]) -> bool:
    return rc.mode == "managed" and rc.action in DESTRUCTIVE_ACTIONS and is_stateful(rc.type, types)
