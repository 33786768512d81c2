"""The ingest canary: synthetic events sent end to end (ingest API → broker, read back), measured, published.

Why end to end: a 202 from the API proves the event was acknowledged, not that a consumer can read it on the
cluster the path writes to; the staged producer cutover gates each weight on this canary, so it counts an
event a success only when it was accepted AND read back from the broker of the path that took it.

Metrics go to CloudWatch (PutMetricData) under :data:`NAMESPACE` with dimensions ``Env`` and ``Path``:
``SuccessCount`` and ``ErrorCount`` (Count) and ``LatencyMs`` (Milliseconds, a statistic set per round: the API
call until the broker's acknowledgement). The contract other modules chart is these constants.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from runbook_lib.errors import CanaryError
from runbook_lib.health.canary_readback import BrokerReadback, Landed

log = logging.getLogger("runbook_lib.health.canary")

NAMESPACE = "Runbook/Canary"
SUCCESS_COUNT = "SuccessCount"
ERROR_COUNT = "ErrorCount"
LATENCY_MS = "LatencyMs"
PATHS = ("old", "new")


@dataclass(frozen=True)
class Posted:
    """What an ingest target answered for one event."""

    status: int
    body: dict[str, Any]
    latency_ms: float
    path: str
    error: str | None = None


class IngestTarget(Protocol):
    """Something the canary posts an event to: the API Gateway URL, or a local app instance."""

    label: str

    def post(self, body: bytes) -> Posted: ...


class HttpTarget:
    """POST to an ingest URL with httpx; ``sign`` (optional) adds SigV4 headers for an AWS_IAM route."""

    def __init__(self, url: str, label: str, *, timeout_s: float = 5.0,
                 sign: Callable[[str, bytes], Mapping[str, str]] | None = None) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - part of the ingest extra
            raise CanaryError("httpx is not installed", hint="pip install -e '.[ingest]'") from exc
        self.url = url
        self.label = label
        self._sign = sign
        self._client = httpx.Client(timeout=timeout_s)

    def post(self, body: bytes) -> Posted:
        headers = {"content-type": "application/json"}
        if self._sign is not None:
            headers.update(self._sign(self.url, body))
        started = time.perf_counter()
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except Exception as error:  # noqa: BLE001 - a failed call is a counted canary error
            return Posted(0, {}, (time.perf_counter() - started) * 1000, self.label, f"{type(error).__name__}: {error}")
        latency = (time.perf_counter() - started) * 1000
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        error = None if response.status_code == 202 else f"HTTP {response.status_code}: {answer.get('error', '')}"
        return Posted(response.status_code, answer, latency, str(answer.get("path") or self.label), error)

    def close(self) -> None:
        self._client.close()


class WeightedTargets:
    """Send ``weight_pct`` % of events to ``new`` and the rest to ``old``, in exact proportion.

    Why this exists: in the sandbox moto stores the alias' routing but does not run the function, so this
    stands in for the alias' weighted routing with the weight read back from the Lambda API. Lambda routes
    each invocation at random by weight; this spreads them evenly (a Bresenham walk) so a short round
    already shows the proportion.
    """

    label = "weighted"

    def __init__(self, old: IngestTarget, new: IngestTarget, weight_pct: float) -> None:
        if not 0 <= weight_pct <= 100:
            raise CanaryError(f"weight {weight_pct} % is not between 0 and 100")
        self.old, self.new, self.weight = old, new, weight_pct / 100
        self._sent = 0

    def post(self, body: bytes) -> Posted:
        index = self._sent
        self._sent += 1
        to_new = int((index + 1) * self.weight + 1e-9) > int(index * self.weight + 1e-9)
        return (self.new if to_new else self.old).post(body)


@dataclass(frozen=True)
class EventOutcome:
    """One canary event: where it went and whether it arrived."""

    event_id: str
    path: str
    status: int
    latency_ms: float
    read_back: bool
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status == 202 and self.read_back


@dataclass(frozen=True)
class PathStats:
    """One path's share of a round."""

    path: str
    sent: int
    succeeded: int
    errors: int
    latency_ms_avg: float | None
    latency_ms_max: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.sent if self.sent else 0.0


@dataclass
class CanaryReport:
    """A round of canary events; ``error_rate`` is what the cutover gates on."""

    env: str
    started_at: str
    duration_s: float
    outcomes: list[EventOutcome] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.outcomes)

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if not o.ok)

    @property
    def error_rate(self) -> float:
        return self.errors / self.sent if self.sent else 1.0

    def by_path(self) -> list[PathStats]:
        stats = []
        for path in sorted({o.path for o in self.outcomes}):
            mine = [o for o in self.outcomes if o.path == path]
            latencies = [o.latency_ms for o in mine if o.status == 202]
            stats.append(PathStats(path, len(mine), sum(o.ok for o in mine), sum(not o.ok for o in mine),
                                   round(sum(latencies) / len(latencies), 2) if latencies else None,
                                   round(max(latencies), 2) if latencies else None))
        return stats

    def rows(self) -> list[dict[str, Any]]:
        """One row per path, for a table in the notebook and the evidence."""
        return [{"path": s.path, "sent": s.sent, "succeeded": s.succeeded, "errors": s.errors,
                 "error_rate": round(s.error_rate, 4), "latency_ms_avg": s.latency_ms_avg,
                 "latency_ms_max": s.latency_ms_max} for s in self.by_path()]


def canary_event(run_tag: str, index: int) -> tuple[str, bytes]:
    """One synthetic event in the platform's schema, marked as the canary's (type ``canary``)."""
    event_id = str(uuid.uuid4())
    body = {"event_id": event_id, "key": f"canary-{run_tag}-{index % 8}", "type": "canary",
            "ts": datetime.now(UTC).isoformat(), "source": "runbook-canary", "payload": {"run": run_tag, "n": index}}
    return event_id, json.dumps(body).encode()


def run_canary(
    target: IngestTarget,
    readers: Mapping[str, BrokerReadback],
    *,
    env: str,
    events: int,
    rate_per_s: float,
    readback_timeout_s: float = 10.0,
) -> CanaryReport:
    """Send ``events`` canary events at ``rate_per_s`` and read each accepted one back from its path's broker.

    Args:
        target: where to post (the API URL, or :class:`WeightedTargets` over local app instances).
        readers: read-back per path label (``old``, ``new``); an event from a path without one is an error.
        env: the Env dimension of the published metrics.
        events: how many events this round sends.
        rate_per_s: pacing; the round lasts at least ``events / rate_per_s`` seconds.
        readback_timeout_s: how long to wait for accepted events to be readable on the broker.
    """
    if events < 1 or rate_per_s <= 0:
        raise CanaryError(f"a canary round needs events >= 1 and rate_per_s > 0 (got {events}, {rate_per_s})")
    started, began = datetime.now(UTC).isoformat(timespec="seconds"), time.monotonic()
    run_tag = uuid.uuid4().hex[:8]
    posted: list[tuple[str, Posted]] = []
    for index in range(events):
        due = began + index / rate_per_s
        if (delay := due - time.monotonic()) > 0:
            time.sleep(delay)
        event_id, body = canary_event(run_tag, index)
        posted.append((event_id, target.post(body)))
    landed: dict[str, list[Landed]] = {}
    for event_id, answer in posted:
        if answer.status == 202:
            landed.setdefault(answer.path, []).append(
                Landed(event_id, str(answer.body.get("topic")), int(answer.body.get("partition", -1)),
                       int(answer.body.get("offset", -1))))
    seen: set[str] = set()
    for path, records in landed.items():
        reader = readers.get(path)
        if reader is not None:
            seen |= reader.confirm(records, timeout_s=readback_timeout_s)
    outcomes = []
    for event_id, answer in posted:
        read_back = event_id in seen
        error = answer.error or (None if read_back else f"accepted but not read back from the {answer.path} broker")
        outcomes.append(EventOutcome(event_id, answer.path, answer.status, round(answer.latency_ms, 2), read_back,
                                     error))
    report = CanaryReport(env, started, round(time.monotonic() - began, 3), outcomes)
    log.info("canary round: %d sent, %d errors (%.1f %%)", report.sent, report.errors, report.error_rate * 100)
    return report


def metric_data(report: CanaryReport, *, timestamp: datetime | None = None) -> list[dict[str, Any]]:
    """The PutMetricData entries of a round: three metrics per path, dimensions Env and Path."""
    when = timestamp or datetime.now(UTC)
    data: list[dict[str, Any]] = []
    for stats in report.by_path():
        dims = [{"Name": "Env", "Value": report.env}, {"Name": "Path", "Value": stats.path}]
        data.append({"MetricName": SUCCESS_COUNT, "Dimensions": dims, "Timestamp": when, "Value": stats.succeeded,
                     "Unit": "Count"})
        data.append({"MetricName": ERROR_COUNT, "Dimensions": dims, "Timestamp": when, "Value": stats.errors,
                     "Unit": "Count"})
        latencies = [o.latency_ms for o in report.outcomes if o.path == stats.path and o.status == 202]
        if latencies:
            data.append({"MetricName": LATENCY_MS, "Dimensions": dims, "Timestamp": when, "Unit": "Milliseconds",
                         "StatisticValues": {"SampleCount": len(latencies), "Sum": sum(latencies),
                                             "Minimum": min(latencies), "Maximum": max(latencies)}})
    return data


def publish(cloudwatch: Any, report: CanaryReport, *, timestamp: datetime | None = None) -> int:
    """PutMetricData of a round under :data:`NAMESPACE`; returns the number of data points sent."""
    data = metric_data(report, timestamp=timestamp)
    for start in range(0, len(data), 500):  # the API's batch limit
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start:start + 500])
    return len(data)


def read_back_metrics(cloudwatch: Any, env: str, paths: Sequence[str], *, start: datetime, end: datetime,
                      period_s: int = 60) -> dict[str, dict[str, float]]:
    """Sum of SuccessCount/ErrorCount and average LatencyMs per path via GetMetricData (what a chart shows)."""
    queries, index = [], {}
    for n, path in enumerate(paths):
        dims = [{"Name": "Env", "Value": env}, {"Name": "Path", "Value": path}]
        for metric, stat in ((SUCCESS_COUNT, "Sum"), (ERROR_COUNT, "Sum"), (LATENCY_MS, "Average")):
            query_id = f"q{n}_{metric.lower()}"
            index[query_id] = (path, metric)
            queries.append({"Id": query_id, "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": metric,
                                                                      "Dimensions": dims},
                                                           "Period": period_s, "Stat": stat}})
    answer = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
    result: dict[str, dict[str, float]] = {path: {} for path in paths}
    for item in answer["MetricDataResults"]:
        path, metric = index[item["Id"]]
        values = item.get("Values") or []
        if values:
            result[path][metric] = sum(values) if metric != LATENCY_MS else sum(values) / len(values)
    return result
