"""The migrators' own metrics: what each copy moved and how fast, what each verification found, in CloudWatch.

Why publish them: an operator watching the cutover sees the data moves beside the services' signals, on the
same charts (phase 07) and alarms, instead of in tables only; an alarm on ``UnitsFailed`` can page someone. The
namespace is the runbook's own (``Runbook/Migration``, dimensions ``Env`` and ``Kind``), never an AWS one, so a chart
never passes these off as service metrics — in the sandbox they and the canary's are the only metrics there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from runbook_lib.health.catalogue import MetricSpec, runbook_specs
from runbook_lib.migrate.base import CopyReport, VerifyReport

NAMESPACE = "Runbook/Migration"
ITEMS_COPIED = "ItemsCopied"
BYTES_COPIED = "BytesCopied"
THROUGHPUT = "ThroughputBytesPerSecond"
UNITS_VERIFIED = "UnitsVerified"
UNITS_FAILED = "UnitsFailed"
KINDS = ("s3", "postgres", "mongo", "kafka")
PHASE = "migration"


def _dims(env: str, kind: str) -> list[dict[str, str]]:
    return [{"Name": "Env", "Value": env}, {"Name": "Kind", "Value": kind}]


def copy_metric_data(env: str, report: CopyReport, *, when: datetime | None = None) -> list[dict[str, Any]]:
    """Items and bytes copied, and the throughput (bytes/s over the copy's own seconds; none for a 0 s copy)."""
    when = when or datetime.now(UTC)
    dims = _dims(env, report.kind)
    data = [
        {"MetricName": ITEMS_COPIED, "Dimensions": dims, "Timestamp": when, "Unit": "Count",
         "Value": float(report.items_copied)},
        {"MetricName": BYTES_COPIED, "Dimensions": dims, "Timestamp": when, "Unit": "Bytes",
         "Value": float(report.bytes_copied)},
    ]
    if report.seconds > 0:
        data.append({"MetricName": THROUGHPUT, "Dimensions": dims, "Timestamp": when, "Unit": "Bytes/Second",
                     "Value": report.bytes_copied / report.seconds})
    return data


def verify_metric_data(env: str, report: VerifyReport, *, when: datetime | None = None) -> list[dict[str, Any]]:
    """Units (buckets, tables, collections, partitions) verified, and how many of them failed."""
    when = when or datetime.now(UTC)
    dims = _dims(env, report.kind)
    failed = sum(1 for row in report.rows if not row.ok) + (1 if report.problems and all(r.ok for r in report.rows)
                                                           else 0)
    return [
        {"MetricName": UNITS_VERIFIED, "Dimensions": dims, "Timestamp": when, "Unit": "Count",
         "Value": float(len(report.rows))},
        {"MetricName": UNITS_FAILED, "Dimensions": dims, "Timestamp": when, "Unit": "Count", "Value": float(failed)},
    ]


def publish(cloudwatch: Any, data: Sequence[dict[str, Any]]) -> int:
    """PutMetricData under :data:`NAMESPACE` in batches the API accepts; returns the points sent."""
    for start in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=list(data[start:start + 500]))
    return len(data)


def migration_specs(env: str, kinds: Sequence[str] = KINDS) -> list[MetricSpec]:
    """What phase 07 charts of them: items copied (traffic), throughput (saturation), failed units (errors)."""
    metrics = [("traffic", ITEMS_COPIED, "Sum"), ("saturation", THROUGHPUT, "Maximum"), ("errors", UNITS_FAILED, "Sum")]
    return runbook_specs(NAMESPACE, metrics, [[("Env", env), ("Kind", kind)] for kind in kinds], phase=PHASE,
                         service="migration")
