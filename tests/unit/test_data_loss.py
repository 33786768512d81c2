"""In-place changes that destroy data, classified from the plan's before/after (synthetic plan JSON)."""

from __future__ import annotations

from typing import Any

import pytest
from fixtures.plans.synthetic import plan_document, resource_change

from runbook_lib.terraform.data_loss import data_loss_reasons
from runbook_lib.terraform.plan import parse_plan

pytestmark = pytest.mark.unit


def _reasons(*changes: dict[str, Any]) -> dict[str, str]:
    return data_loss_reasons(parse_plan(plan_document(*changes)))


def _update(rtype: str, before: dict[str, Any], changed: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return resource_change(rtype, ["update"], before, {**before, **changed}, **kwargs)


def _rule(rule_id: str = "tiering", *, days: int | None = None, noncurrent: int | None = 90, **extra: Any):
    return {
        "id": rule_id,
        "status": "Enabled",
        "filter": [{"prefix": ""}],
        "prefix": "",
        "expiration": [{"days": days, "date": None, "expired_object_delete_marker": False}] if days else [],
        "noncurrent_version_expiration": [{"noncurrent_days": noncurrent}] if noncurrent else [],
        "transition": [{"days": 30, "storage_class": "STANDARD_IA"}],
        **extra,
    }


def _lifecycle(*rules: dict[str, Any], bucket: str = "platform-raw-prod") -> dict[str, Any]:
    return {"bucket": bucket, "rule": list(rules)}


def _lifecycle_update(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, Any]:
    """One bucket's lifecycle configuration updated in place, from ``before``'s rules to ``after``'s."""
    return resource_change("aws_s3_bucket_lifecycle_configuration", ["update"], _lifecycle(*before), _lifecycle(*after))


DESTROYING: list[tuple[str, dict[str, Any], str]] = [
    ("lifecycle-gains-expiration", _lifecycle_update([_rule()], [_rule(days=30)]), "gains expiration (30 days)"),
    (
        "lifecycle-expiration-shortened",
        _lifecycle_update([_rule(days=365)], [_rule(days=30)]),
        "expiration 365 days → 30 days",
    ),
    (
        "lifecycle-noncurrent-shortened",
        _lifecycle_update([_rule(noncurrent=90)], [_rule(noncurrent=1)]),
        "noncurrent version expiration 90 days → 1 days",
    ),
    (
        "lifecycle-expiring-rule-added",
        _lifecycle_update([_rule()], [_rule(), _rule("purge", days=7, noncurrent=None)]),
        "rule 'purge' gains expiration (7 days)",
    ),
    (
        "lifecycle-disabled-rule-enabled",
        _lifecycle_update([{**_rule(days=7), "status": "Disabled"}], [_rule(days=7)]),
        "gains expiration (7 days)",
    ),
    (
        "lifecycle-expiration-widened",
        _lifecycle_update([_rule(days=7, filter=[{"prefix": "tmp/"}])], [_rule(days=7, filter=[{"prefix": ""}])]),
        "now applies to another filter",
    ),
    (
        "versioning-suspended",
        _update(
            "aws_s3_bucket_versioning",
            {"bucket": "b", "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}]},
            {"versioning_configuration": [{"status": "Suspended", "mfa_delete": ""}]},
        ),
        "versioning_configuration.status Enabled → Suspended",
    ),
    (
        "bucket-force-destroy",
        _update("aws_s3_bucket", {"bucket": "b", "force_destroy": False}, {"force_destroy": True}),
        "force_destroy false → true",
    ),
    (
        "kms-key-disabled",
        _update("aws_kms_key", {"is_enabled": True, "deletion_window_in_days": 30}, {"is_enabled": False}),
        "is_enabled true → false: everything encrypted with the key becomes unreadable",
    ),
    (
        "kms-deletion-window-shortened",
        _update("aws_kms_key", {"is_enabled": True, "deletion_window_in_days": 30}, {"deletion_window_in_days": 7}),
        "deletion_window_in_days 30 → 7",
    ),
    (
        "dynamodb-ttl-on",
        _update(
            "aws_dynamodb_table",
            {"ttl": [{"enabled": False, "attribute_name": ""}]},
            {"ttl": [{"enabled": True, "attribute_name": "exp"}]},
        ),
        "ttl.enabled false → true",
    ),
    (
        "log-group-retention-set",
        _update("aws_cloudwatch_log_group", {"retention_in_days": 0}, {"retention_in_days": 30}),
        "retention_in_days never expires → 30",
    ),
    (
        "sqs-retention-shortened",
        _update("aws_sqs_queue", {"message_retention_seconds": 1209600}, {"message_retention_seconds": 60}),
        "message_retention_seconds 1209600 → 60",
    ),
]


#: RDS instances and clusters, DocumentDB and Neptune clusters share their rules: each rule is tried on each type.
DATABASE_TYPES = ("aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster")
DESTROYING += [
    (f"{rtype}-{attr}", _update(rtype, {attr: old}, {attr: new}), f"{attr} {shown}")
    for rtype in DATABASE_TYPES
    for attr, old, new, shown in (
        ("backup_retention_period", 14, 0, "14 → 0"),
        ("skip_final_snapshot", False, True, "false → true"),
        ("deletion_protection", True, False, "true → false"),
        ("delete_automated_backups", False, True, "false → true"),
    )
    if attr != "delete_automated_backups" or rtype in ("aws_db_instance", "aws_rds_cluster")
]


@pytest.mark.parametrize(("change", "reason"), [c[1:] for c in DESTROYING], ids=[c[0] for c in DESTROYING])
def test_updates_that_destroy_data_are_classified_with_their_reason(change, reason):
    reasons = _reasons(change)
    assert list(reasons) == [change["address"]]
    assert reason in reasons[change["address"]]


HARMLESS: list[tuple[str, dict[str, Any]]] = [
    ("tags-only", _update("aws_db_instance", {"backup_retention_period": 14, "tags": {}}, {"tags": {"a": "b"}})),
    (
        "versioning-enabled",
        _update(
            "aws_s3_bucket_versioning",
            {"versioning_configuration": [{"status": "Suspended"}]},
            {"versioning_configuration": [{"status": "Enabled"}]},
        ),
    ),
    ("lifecycle-expiration-lengthened", _lifecycle_update([_rule(days=30)], [_rule(days=365)])),
    (
        "lifecycle-transition-only",
        _lifecycle_update(
            [_rule(transition=[{"days": 30, "storage_class": "STANDARD_IA"}])],
            [_rule(transition=[{"days": 60, "storage_class": "GLACIER"}])],
        ),
    ),
    ("retention-longer", _update("aws_db_instance", {"backup_retention_period": 7}, {"backup_retention_period": 35})),
    ("log-retention-forever", _update("aws_cloudwatch_log_group", {"retention_in_days": 30}, {"retention_in_days": 0})),
    ("protection-on", _update("aws_docdb_cluster", {"deletion_protection": False}, {"deletion_protection": True})),
    ("kms-enabled", _update("aws_kms_key", {"is_enabled": False}, {"is_enabled": True})),
]


@pytest.mark.parametrize("change", [c[1] for c in HARMLESS], ids=[c[0] for c in HARMLESS])
def test_harmless_updates_are_not_classified(change):
    assert _reasons(change) == {}


def test_a_value_known_only_after_apply_counts_as_a_loss():
    change = resource_change(
        "aws_kms_key",
        ["update"],
        {"is_enabled": True},
        {"is_enabled": None},
        after_unknown={"is_enabled": True},
    )
    assert "(known after apply)" in _reasons(change)["aws_kms_key.this"]


def test_a_new_lifecycle_configuration_on_an_existing_bucket_destroys_data():
    lifecycle = resource_change(
        "aws_s3_bucket_lifecycle_configuration", ["create"], None, _lifecycle(_rule(days=30), bucket="raw")
    )
    reasons = _reasons(lifecycle)
    assert "existing bucket raw" in reasons["aws_s3_bucket_lifecycle_configuration.this"]
    # the same configuration created together with its bucket only shapes a new, empty bucket
    bucket = resource_change("aws_s3_bucket", ["create"], None, {"bucket": "raw"})
    assert _reasons(bucket, lifecycle) == {}
    # and a bucket name known only after apply means the bucket is being created
    unknown = resource_change(
        "aws_s3_bucket_lifecycle_configuration",
        ["create"],
        None,
        {"rule": [_rule(days=30)]},
        after_unknown={"bucket": True},
    )
    assert _reasons(unknown) == {}


def test_creates_and_deletes_of_other_types_are_not_data_loss_updates():
    assert _reasons(resource_change("aws_db_instance", ["create"], None, {"backup_retention_period": 0})) == {}
    assert _reasons(resource_change("aws_db_instance", ["delete"], {"deletion_protection": True}, None)) == {}
