"""Fetching the catalogue's series with ``GetMetricData``: batched, paged, on a period chosen from the window.

Missing data stays missing: every series is laid on the same grid of period starts, and a period without a
datapoint is NaN - a gap in the chart - never zero (zero requests and "no data reported" are different answers).
A series with no datapoint at all is marked ``no data`` (a metric that does not exist looks exactly like this to
CloudWatch), one the API flagged as partial or failed keeps its status code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from runbook_lib.errors import HealthError
from runbook_lib.health.catalogue import MetricSpec

#: GetMetricData's limits: queries per request and datapoints per request.
MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
#: Periods the runbook chooses from (seconds): CloudWatch keeps 1-minute data 15 days, 5-minute 63 days, hourly 455.
PERIODS = (60, 300, 900, 3600, 21600, 86400)
#: Points a chart should have at most (readable, and cheap: GetMetricData bills per metric requested).
TARGET_POINTS = 360


def choose_period(start: datetime, end: datetime, *, now: datetime | None = None,
                  target_points: int = TARGET_POINTS) -> int:
    """The smallest period that keeps the series under ``target_points`` and that CloudWatch still keeps.

    Raises:
        HealthError: ``end`` is not after ``start``.
    """
    window = (end - start).total_seconds()
    if window <= 0:
        raise HealthError(f"metric window {start.isoformat()} .. {end.isoformat()} is empty",
                          hint="give an end after the start (e.g. the last 3 hours)")
    age_days = ((now or datetime.now(UTC)) - start).total_seconds() / 86400
    floor = 60 if age_days <= 15 else 300 if age_days <= 63 else 3600
    for period in PERIODS:
        if period >= floor and window / period <= target_points:
            return period
    return PERIODS[-1]


def grid(start: datetime, end: datetime, period: int) -> pd.DatetimeIndex:
    """Period starts from ``start`` (floored to the period) to before ``end``, in UTC."""
    first = datetime.fromtimestamp(math.floor(start.timestamp() / period) * period, UTC)
    return pd.date_range(first, end, freq=f"{period}s", inclusive="left", tz="UTC")


@dataclass
class MetricSeries:
    """One spec's values on the common grid (NaN where no datapoint), and what the API said about it."""

    spec: MetricSpec
    values: pd.Series
    status: str  # "ok", "no data", or the API's status code (PartialData, InternalError, Forbidden)
    messages: list[str] = field(default_factory=list)

    @property
    def points(self) -> int:
        return int(self.values.notna().sum())


@dataclass
class MetricsResult:
    """Every fetched series, the period and window used, and how many requests it took."""

    series: list[MetricSeries]
    period: int
    start: datetime
    end: datetime
    requests: int

    def table(self) -> pd.DataFrame:
        """One row per series: phase, service, resource, signal, metric, stat, status, points, last value."""
        rows = []
        for s in self.series:
            last = s.values.dropna()
            rows.append({
                "phase": s.spec.phase, "service": s.spec.service, "resource": s.spec.resource,
                "signal": s.spec.signal, "namespace": s.spec.namespace, "metric": s.spec.metric,
                "stat": s.spec.stat, "source": s.spec.source, "status": s.status, "points": s.points,
                "last": float(last.iloc[-1]) if len(last) else None,
                "dimensions": ", ".join(f"{k}={v}" for k, v in s.spec.dimensions),
            })
        return pd.DataFrame(rows, columns=["phase", "service", "resource", "signal", "namespace", "metric", "stat",
                                           "source", "status", "points", "last", "dimensions"])

    def for_phase(self, phase: str) -> list[MetricSeries]:
        return [s for s in self.series if s.spec.phase == phase]


def _queries(specs: Sequence[MetricSpec], offset: int, period: int) -> list[dict[str, Any]]:
    out = []
    for i, spec in enumerate(specs):
        stat: dict[str, Any] = {"Metric": spec.metric_dict(), "Period": period, "Stat": spec.stat}
        if spec.unit:
            stat["Unit"] = spec.unit
        out.append({"Id": f"m{offset + i}", "MetricStat": stat, "Label": spec.label, "ReturnData": True})
    return out


def batch_size(points_per_series: int) -> int:
    """Queries per request: at most 500, and at most 100,800 datapoints in one answer."""
    return max(1, min(MAX_QUERIES, MAX_DATAPOINTS // max(1, points_per_series)))


def fetch_metrics(cloudwatch: Any, specs: Sequence[MetricSpec], start: datetime, end: datetime, *,
                  period: int | None = None, now: datetime | None = None) -> MetricsResult:
    """Fetch ``specs`` over ``start`` .. ``end`` (UTC) with as few GetMetricData calls as the limits allow.

    Raises:
        HealthError: the API refused a request (bad query, no permission); a metric without data is not an error.
    """
    period = period or choose_period(start, end, now=now)
    index = grid(start, end, period)
    size = batch_size(len(index))
    raw: dict[str, tuple[list[Any], list[float], str, list[str]]] = {}
    requests = 0
    for offset in range(0, len(specs), size):
        queries = _queries(specs[offset:offset + size], offset, period)
        token = None
        while True:
            kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": index[0].to_pydatetime(),
                                      "EndTime": end, "ScanBy": "TimestampAscending"}
            if token:
                kwargs["NextToken"] = token
            try:
                answer = cloudwatch.get_metric_data(**kwargs)
            except Exception as error:  # botocore ClientError / EndpointConnectionError
                raise HealthError(f"GetMetricData failed: {error}",
                                  hint="check cloudwatch:GetMetricData permission and the region") from error
            requests += 1
            for result in answer.get("MetricDataResults", []):
                ts, vals, _, msgs = raw.setdefault(result["Id"], ([], [], "Complete", []))
                ts.extend(result.get("Timestamps", []))
                vals.extend(result.get("Values", []))
                status = result.get("StatusCode", "Complete")
                msgs.extend(m.get("Value", "") for m in result.get("Messages", []))
                raw[result["Id"]] = (ts, vals, status if status != "Complete" else raw[result["Id"]][2], msgs)
            token = answer.get("NextToken")
            if not token:
                break
    series = []
    for i, spec in enumerate(specs):
        ts, vals, status, msgs = raw.get(f"m{i}", ([], [], "Complete", []))
        values = pd.Series(float("nan"), index=index, dtype=float, name=spec.label)
        for t, v in zip(ts, vals, strict=False):
            stamp = pd.Timestamp(t).tz_convert("UTC") if pd.Timestamp(t).tzinfo else pd.Timestamp(t, tz="UTC")
            slot = index.asof(stamp) if len(index) else None
            if slot is not None and not pd.isna(slot):
                values[slot] = float(v)
        state = "no data" if status == "Complete" and not values.notna().any() else (
            "ok" if status == "Complete" else status)
        series.append(MetricSeries(spec, values, state, msgs))
    return MetricsResult(series, period, index[0].to_pydatetime() if len(index) else start, end, requests)


def last_hours(hours: float, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The window ``now - hours`` .. ``now`` (UTC, whole seconds)."""
    end = (now or datetime.now(UTC)).replace(microsecond=0)
    return end - timedelta(hours=hours), end


__all__ = ["MAX_QUERIES", "PERIODS", "MetricSeries", "MetricsResult", "batch_size", "choose_period",
           "fetch_metrics", "grid", "last_hours"]
