"""Alarm states from ``DescribeAlarms`` as a table, and the thresholds the phase charts draw.

Why the colour lives in the table: an operator scanning the evidence (CSV, HTML) must see which alarm fires
without reading the state column; ``colour`` is part of the recorded table and :func:`styled` paints the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from runbook_lib.errors import HealthError
from runbook_lib.health.catalogue import MetricSpec

#: State -> the colour the table and the chart's threshold line use.
STATE_COLOURS = {"ALARM": "red", "INSUFFICIENT_DATA": "orange", "OK": "green"}
_CSS = {"red": "#ffd7d5", "orange": "#fff1c2", "green": "#dafbe1"}


@dataclass(frozen=True)
class AlarmRow:
    """One metric alarm and what it watches."""

    name: str
    state: str
    reason: str
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    threshold: float | None
    comparison: str
    updated: str

    @property
    def colour(self) -> str:
        return STATE_COLOURS.get(self.state, "grey")

    def watches(self, spec: MetricSpec) -> bool:
        """Whether this alarm is on the spec's metric (same namespace, name and dimensions)."""
        return (self.namespace, self.metric, tuple(sorted(self.dimensions))) == (
            spec.namespace, spec.metric, tuple(sorted(spec.dimensions)))


def describe_alarms(cloudwatch: Any, *, prefix: str | None = None, max_pages: int = 20) -> list[AlarmRow]:
    """Every metric alarm (optionally with names starting ``prefix``), paged.

    Raises:
        HealthError: the API refused the call.
    """
    rows: list[AlarmRow] = []
    kwargs: dict[str, Any] = {"AlarmTypes": ["MetricAlarm"], "PaginationConfig": {"MaxItems": 100 * max_pages}}
    if prefix:
        kwargs["AlarmNamePrefix"] = prefix
    try:
        alarms = [a for page in cloudwatch.get_paginator("describe_alarms").paginate(**kwargs)
                  for a in page.get("MetricAlarms", [])]
    except Exception as error:  # botocore ClientError
        raise HealthError(f"DescribeAlarms failed: {error}", hint="check cloudwatch:DescribeAlarms") from error
    for alarm in alarms:
        rows.append(AlarmRow(
            name=alarm["AlarmName"],
            state=alarm.get("StateValue", "INSUFFICIENT_DATA"),
            reason=alarm.get("StateReason", ""),
            namespace=alarm.get("Namespace", ""),
            metric=alarm.get("MetricName", ""),
            dimensions=tuple((d["Name"], d["Value"]) for d in alarm.get("Dimensions", [])),
            threshold=alarm.get("Threshold"),
            comparison=alarm.get("ComparisonOperator", ""),
            updated=str(alarm.get("StateUpdatedTimestamp", "")),
        ))
    return rows


def alarm_table(rows: Sequence[AlarmRow]) -> pd.DataFrame:
    """One row per alarm, firing ones first; ``colour`` says how the row is painted."""
    order = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}
    ordered = sorted(rows, key=lambda r: (order.get(r.state, 3), r.name))
    return pd.DataFrame(
        [{"alarm": r.name, "state": r.state, "colour": r.colour, "metric": f"{r.namespace} {r.metric}",
          "dimensions": ", ".join(f"{k}={v}" for k, v in r.dimensions), "threshold": r.threshold,
          "comparison": r.comparison, "reason": r.reason, "updated": r.updated} for r in ordered],
        columns=["alarm", "state", "colour", "metric", "dimensions", "threshold", "comparison", "reason", "updated"],
    )


def styled(frame: pd.DataFrame) -> Any:
    """The alarm table painted by state (a pandas Styler, for the notebook)."""
    def paint(row: pd.Series) -> list[str]:
        return [f"background-color: {_CSS.get(row['colour'], '')}"] * len(row)

    return frame.style.apply(paint, axis=1)


def thresholds_for(spec: MetricSpec, alarms: Sequence[AlarmRow]) -> list[AlarmRow]:
    """The alarms watching ``spec``'s metric, with a threshold to draw."""
    return [a for a in alarms if a.threshold is not None and a.watches(spec)]


__all__ = ["STATE_COLOURS", "AlarmRow", "alarm_table", "describe_alarms", "styled", "thresholds_for"]
