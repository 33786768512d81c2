"""Which move a kind takes, by size, and what the at-scale one needs from the parameters.

Why: below ``migration.at_scale_threshold_bytes`` the runbook's own copy (objects streamed by
:mod:`~runbook_lib.migrate.objects`, ``pg_dump``/``pg_restore``, the batched Mongo copy) is simplest
and verifiable end to end. At or above it, one machine is the bottleneck (and the source must be
frozen for hours), so the bytes move with AWS DataSync (objects, one task per bucket mapping) or
AWS DMS (databases). :func:`decide` makes the call from the migrator's own size estimate;
:func:`~runbook_lib.migrate.at_scale.datasync_path.run_datasync` and
:func:`~runbook_lib.migrate.at_scale.dms_path.run_dms` drive the services with what
``migration.at_scale`` in the parameters says (what they need and cannot guess: roles, agents,
subnets, security groups); :func:`required_section` stops a move whose section is missing before
anything moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runbook_lib.clients import aws_client
from runbook_lib.errors import MigrationError, ParamsError
from runbook_lib.migrate.at_scale.datasync import choose_path as choose_object_path
from runbook_lib.migrate.at_scale.dms import choose_path as choose_db_path
from runbook_lib.util import human_bytes

#: The path names per kind: (below the threshold, at or above it).
PATHS: dict[str, tuple[str, str]] = {
    "s3": ("direct", "datasync"),
    "postgres": ("native", "dms"),
    "mongo": ("native", "dms"),
    "kafka": ("direct", "msk-connect"),
}
AT_SCALE_PATHS = frozenset({"datasync", "dms", "msk-connect"})
#: Which ``migration.at_scale`` member each at-scale path reads.
SECTION_FOR_PATH = {"datasync": "datasync", "dms": "dms"}
REQUIRED_KEYS = {
    "datasync": "bucket_access_role_arn, agent_arns, server_hostname (and server_port, server_protocol, "
    "access_key_ref + secret_key_ref as needed)",
    "dms": "replication_instance_class, replication_subnet_group_id, security_group_ids (and cdc_required, "
    "docdb_certificate_arn for a TLS DocumentDB target)",
}


@dataclass(frozen=True)
class PathDecision:
    """The move one kind takes and why; one row of the ``<kind>_path`` evidence table."""

    kind: str
    size_bytes: int
    threshold_bytes: int
    path: str  # direct | native | datasync | dms
    reason: str

    @property
    def at_scale(self) -> bool:
        return self.path in AT_SCALE_PATHS

    def to_row(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "size_bytes": self.size_bytes,
            "size": human_bytes(self.size_bytes),
            "threshold_bytes": self.threshold_bytes,
            "path": self.path,
            "reason": self.reason,
        }


def estimate_size(migrator: Any) -> int:
    """The bytes a migrator would move (its ``source_size_bytes()``; groups sum their members)."""
    size_of = getattr(migrator, "source_size_bytes", None)
    if size_of is None:
        raise MigrationError(
            f"the {getattr(migrator, 'kind', type(migrator).__name__)} migrator cannot estimate its size",
            hint="add a source_size_bytes() method to it",
        )
    return int(size_of())


def decide(kind: str, size_bytes: int, params: Any) -> PathDecision:
    """Direct/native below ``migration.at_scale_threshold_bytes``; DataSync/DMS at or above it.

    For databases, ``migration.at_scale.dms.cdc_required`` sends any size to DMS (only CDC keeps the
    source writable during the copy). A kind without an at-scale path always moves directly.
    """
    migration = params.migration
    threshold = int(migration.at_scale_threshold_bytes)
    if kind not in PATHS:
        return PathDecision(kind, size_bytes, threshold, "direct", f"{kind} has no at-scale path")
    below, above = PATHS[kind]
    if above == "datasync":
        path = choose_object_path(size_bytes, threshold)
        relation = "at or above" if path == above else "below"
        reason = f"{human_bytes(size_bytes)} is {relation} the {human_bytes(threshold)} threshold: " + (
            "DataSync agents next to the source move it in parallel"
            if path == above
            else "the runbook copies it directly and verifies every object"
        )
        return PathDecision(kind, size_bytes, threshold, path, reason)
    if above == "msk-connect":
        at_scale = size_bytes >= threshold
        relation = "at or above" if at_scale else "below"
        reason = f"{human_bytes(size_bytes)} is {relation} the {human_bytes(threshold)} " + (
            "threshold: MirrorMaker 2 on MSK Connect mirrors it (stack 03, enable_msk_connect)"
            if at_scale
            else "threshold: the runbook mirrors it directly and verifies every record"
        )
        return PathDecision(kind, size_bytes, threshold, above if at_scale else below, reason)
    dms_params = migration.at_scale.dms if migration.at_scale else None
    cdc = bool(dms_params and dms_params.cdc_required)
    choice = choose_db_path(size_bytes, threshold, cdc_required=cdc)
    return PathDecision(kind, size_bytes, threshold, choice.path, choice.reason)


def missing_section_key(path: str, params: Any) -> str | None:
    """The key to add for the at-scale ``path`` (``migration.at_scale[.<section>]``), None if it is set."""
    section = SECTION_FOR_PATH[path]
    at_scale = params.migration.at_scale
    if at_scale is None:
        return "migration.at_scale"
    return None if getattr(at_scale, section, None) is not None else f"migration.at_scale.{section}"


def required_section(kind: str, path: str, params: Any, *, reason: str = "") -> Any:
    """The ``migration.at_scale`` member the at-scale ``path`` needs; ParamsError if it is not set.

    Called before anything moves, so a missing section stops the copy with the key to add.
    """
    section = SECTION_FOR_PATH[path]
    key = missing_section_key(path, params)
    if key is not None:
        why = f" ({reason})" if reason else ""
        raise ParamsError(
            key,
            None,
            f"migration.at_scale.{section} with {REQUIRED_KEYS[section]} (see the example in params/prod.yaml)",
            message=f"{kind}: the {path} path was chosen{why} but {key} is not set in the parameters",
        )
    return getattr(params.migration.at_scale, section)


def service_client(service: str, params: Any, factory: Callable[[str], Any] | None) -> Any:
    """The boto3 client of ``service`` (``datasync``, ``dms``) for the parameters' account, or the injected one."""
    if factory is not None:
        return factory(service)
    return aws_client(service, params.aws)
