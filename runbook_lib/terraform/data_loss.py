"""In-place changes that destroy data: the plan says ``update``, the bucket or database loses data all the same.

Why a list of rules and not "every update of a stateful type": most updates of a database or a bucket are
harmless (tags, instance class, a policy), and a guard that flags them all is switched off by the first
operator it annoys. The rules below name the attributes whose change deletes data now (an S3 lifecycle
rule that gains or shortens an expiration, versioning suspended, a log group's retention cut, TTL turned
on), makes data unreadable (a KMS key disabled), or takes away the protection that stops a later delete
from losing it (``deletion_protection`` true → false, ``skip_final_snapshot`` false → true,
``force_destroy`` false → true, a shorter KMS deletion window). The guard (``destroy_guard``) and the gates
(``approval``) treat every change listed here like a delete.

Values come from the masked plan (:mod:`runbook_lib.terraform.plan`): a value known only after apply is
:data:`~runbook_lib.terraform.plan.UNKNOWN` and counts as a change for the worse (a reviewer cannot see it).

Not covered (said plainly): the legacy inline ``lifecycle_rule`` of ``aws_s3_bucket`` (the stacks use
``aws_s3_bucket_lifecycle_configuration``), ECR lifecycle policies (JSON documents), object-lock retention, and
anything a ``local-exec`` provisioner does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runbook_lib.terraform.plan import SENSITIVE, UNKNOWN, Plan, ResourceChange

#: A rule: ``(before, after)`` of one resource -> why the change destroys data, or None.
Rule = Callable[[Any, Any], str | None]

_MISSING = object()
_HIDDEN = (UNKNOWN, SENSITIVE)


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        if isinstance(value, Mapping) and isinstance(part, str):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and isinstance(part, int):
            value = value[part] if part < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _show(value: Any) -> str:
    if value is _MISSING or value is None:
        return "unset"
    if value is True or value is False:
        return str(value).lower()
    return str(value)


def _label(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int))


def turned_off(*path: Any, why: str) -> Rule:
    """A protection that was ``true`` and no longer is (``deletion_protection``, ``is_enabled``)."""

    def rule(before: Any, after: Any) -> str | None:
        old, new = _get(before, path), _get(after, path)
        if old is True and new is not True:
            return f"{_label(path)} {_show(old)} → {_show(new)}: {why}"
        return None

    return rule


def turned_on(*path: Any, why: str) -> Rule:
    """A switch that was off and is now on, or may be (``skip_final_snapshot``, ``force_destroy``, TTL)."""

    def rule(before: Any, after: Any) -> str | None:
        old, new = _get(before, path), _get(after, path)
        if old is not True and (new is True or new in _HIDDEN):
            return f"{_label(path)} {_show(old)} → {_show(new)}: {why}"
        return None

    return rule


def left_value(*path: Any, keep: str, why: str) -> Rule:
    """A setting that was ``keep`` and is now anything else (versioning ``Enabled`` → ``Suspended``)."""

    def rule(before: Any, after: Any) -> str | None:
        old, new = _get(before, path), _get(after, path)
        if old == keep and new != keep:
            return f"{_label(path)} {_show(old)} → {_show(new)}: {why}"
        return None

    return rule


def decreased(*path: Any, why: str, zero_keeps_forever: bool = False) -> Rule:
    """A retention that got shorter; with ``zero_keeps_forever``, 0/unset means "never expires"."""

    def forever(value: Any) -> bool:
        return zero_keeps_forever and (value is _MISSING or value is None or value == 0)

    def rule(before: Any, after: Any) -> str | None:
        old, new = _get(before, path), _get(after, path)
        old_forever = forever(old)
        if not old_forever and not isinstance(old, (int, float)):
            return None  # nothing known to compare with
        if new in _HIDDEN:
            shorter = True
        elif forever(new):
            shorter = False
        elif old_forever:
            shorter = isinstance(new, (int, float))
        else:
            new_n = 0 if new is _MISSING or new is None else new
            shorter = isinstance(new_n, (int, float)) and new_n < old
        if shorter:
            shown_old = "never expires" if old_forever else _show(old)
            return f"{_label(path)} {shown_old} → {_show(new)}: {why}"
        return None

    return rule


# -- S3 lifecycle rules ------------------------------------------------------------------------------------------
def _enabled_rules(config: Any) -> dict[str, Mapping[str, Any]]:
    rules = _get(config, ("rule",))
    if not isinstance(rules, list):
        return {}
    out: dict[str, Mapping[str, Any]] = {}
    for index, rule in enumerate(rules):
        if isinstance(rule, Mapping) and rule.get("status") in ("Enabled", UNKNOWN):
            out[str(rule.get("id") or f"#{index}")] = rule
    return out


def _expiry(rule: Mapping[str, Any] | None, block: str, field: str) -> Any:
    """The expiration of one kind a rule sets: days, ``date …``, :data:`UNKNOWN`, or None for none."""
    if rule is None:
        return None
    value = _get(rule, (block, 0))
    if value in _HIDDEN:
        return UNKNOWN
    if not isinstance(value, Mapping):
        return None
    days = value.get(field)
    if days in _HIDDEN:
        return UNKNOWN
    if isinstance(days, (int, float)) and days > 0:
        return days
    date = value.get("date")
    if date:
        return UNKNOWN if date in _HIDDEN else f"on {date}"
    return None


def _when(expiry: Any) -> str:
    return f"{expiry:g} days" if isinstance(expiry, (int, float)) else str(expiry)


def _scope(rule: Mapping[str, Any]) -> Any:
    return (rule.get("filter"), rule.get("prefix") or "")


_EXPIRIES = (
    ("expiration", "days", "expiration"),
    ("noncurrent_version_expiration", "noncurrent_days", "noncurrent version expiration"),
)


def lifecycle_expiration(before: Any, after: Any) -> str | None:
    """An enabled lifecycle rule that gains an expiration, expires sooner, or expires a wider set of objects."""
    old_rules = _enabled_rules(before)
    found: list[str] = []
    for rule_id, rule in _enabled_rules(after).items():
        old = old_rules.get(rule_id)
        for block, field, label in _EXPIRIES:
            new_days = _expiry(rule, block, field)
            if new_days is None:
                continue
            old_days = _expiry(old, block, field)
            if old_days is None:
                found.append(f"rule {rule_id!r} gains {label} ({_when(new_days)})")
            elif new_days != old_days and not (
                isinstance(new_days, (int, float)) and isinstance(old_days, (int, float)) and new_days > old_days
            ):
                found.append(f"rule {rule_id!r} {label} {_when(old_days)} → {_when(new_days)}")
            elif old is not None and _scope(old) != _scope(rule):
                found.append(f"rule {rule_id!r} {label} now applies to another filter")
    if not found:
        return None
    return "; ".join(found) + ": objects are deleted"



def _database_rules(what: str) -> tuple[Rule, ...]:
    """What RDS instances and clusters, DocumentDB and Neptune clusters share: backups, the final snapshot, deletes."""
    return (
        decreased("backup_retention_period", why="automated backups older than the new period are deleted"),
        turned_on("skip_final_snapshot", why="a later delete keeps no final snapshot"),
        turned_off("deletion_protection", why=f"the {what} can then be deleted"),
    )


def _key_rules(enabled: str) -> tuple[Rule, ...]:
    """A KMS key and its replica: switched off or a shorter recovery window after a delete."""
    return (
        turned_off(enabled, why="everything encrypted with the key becomes unreadable"),
        decreased("deletion_window_in_days", why="a deleted key can be recovered for less time"),
    )


_DELETES_AUTOMATED_BACKUPS = turned_on(
    "delete_automated_backups", why="a later delete also deletes the automated backups"
)

#: The rules per resource type. A type not listed here has no data-destroying in-place update we know of.
RULES: dict[str, tuple[Rule, ...]] = {
    "aws_s3_bucket_lifecycle_configuration": (lifecycle_expiration,),
    "aws_s3_bucket_versioning": (
        left_value(
            "versioning_configuration",
            0,
            "status",
            keep="Enabled",
            why="overwritten and deleted objects lose their versions",
        ),
    ),
    "aws_s3_bucket": (
        turned_on("force_destroy", why="a later delete empties the bucket instead of failing"),
        turned_off("versioning", 0, "enabled", why="overwritten and deleted objects lose their versions"),
    ),
    "aws_kms_key": _key_rules("is_enabled"),
    "aws_kms_replica_key": _key_rules("enabled"),
    "aws_db_instance": (*_database_rules("database"), _DELETES_AUTOMATED_BACKUPS),
    "aws_rds_cluster": (*_database_rules("cluster"), _DELETES_AUTOMATED_BACKUPS),
    "aws_docdb_cluster": _database_rules("cluster"),
    "aws_neptune_cluster": _database_rules("cluster"),
    "aws_dynamodb_table": (
        turned_off("point_in_time_recovery", 0, "enabled", why="the point-in-time backups are deleted"),
        turned_off("deletion_protection_enabled", why="the table can then be deleted"),
        turned_on("ttl", 0, "enabled", why="items past their TTL attribute are deleted"),
    ),
    "aws_elasticache_replication_group": (
        decreased("snapshot_retention_limit", why="snapshots older than the new limit are deleted"),
    ),
    "aws_cloudwatch_log_group": (
        decreased("retention_in_days", why="older log events are deleted", zero_keeps_forever=True),
        turned_off("skip_destroy", why="a later delete removes the log group instead of keeping it"),
    ),
    "aws_sqs_queue": (decreased("message_retention_seconds", why="older messages are deleted"),),
    "aws_kinesis_stream": (decreased("retention_period", why="older records are deleted"),),
    "aws_ecr_repository": (turned_on("force_delete", why="a later delete removes the images too"),),
    "aws_backup_vault": (turned_on("force_destroy", why="a later delete removes the recovery points too"),),
}


def _buckets_created(plan: Plan) -> set[str]:
    names: set[str] = set()
    for rc in plan.resource_changes.values():
        if rc.type == "aws_s3_bucket" and rc.action in ("create", "replace"):
            name = _get(rc.after, ("bucket",))
            if isinstance(name, str):
                names.add(name)
    return names


def data_loss_reason(rc: ResourceChange, *, buckets_created: set[str] | None = None) -> str | None:
    """Why this change destroys data although it deletes nothing, or None.

    Updates and replacements are compared before → after. A new lifecycle configuration is judged as an
    update of "no rules" when its bucket exists already (the bucket's name is known and no bucket of that
    name is created by the same plan), because the rules it brings apply to the objects already there.

    Args:
        rc: one resource change of the (masked) plan.
        buckets_created: names of buckets the same plan creates (see :func:`data_loss_reasons`).
    """
    if rc.mode != "managed":
        return None
    rules = RULES.get(rc.type)
    if not rules:
        return None
    before = rc.before
    if rc.action == "create":
        bucket = _get(rc.after, ("bucket",))
        if rc.type != "aws_s3_bucket_lifecycle_configuration" or not isinstance(bucket, str) or bucket in _HIDDEN:
            return None
        if bucket in (buckets_created or set()):
            return None
        before = {}
    elif rc.action not in ("update", "replace") or rc.before is None or rc.after is None:
        return None
    reasons = [r for rule in rules if (r := rule(before, rc.after))]
    if not reasons:
        return None
    if rc.action == "create":
        reasons = [f"new rules on the existing bucket {_get(rc.after, ('bucket',))}: {'; '.join(reasons)}"]
    return "; ".join(reasons)


def data_loss_reasons(plan: Plan) -> dict[str, str]:
    """Every change of ``plan`` that destroys data in place: resource key -> the reason, in plan order."""
    created = _buckets_created(plan)
    out: dict[str, str] = {}
    for key, rc in plan.resource_changes.items():
        reason = data_loss_reason(rc, buckets_created=created)
        if reason:
            out[key] = reason
    return out
