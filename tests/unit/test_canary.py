"""The ingest canary (runbook_lib.health.canary) offline: weighted routing proportions, outcome accounting,
the PutMetricData contract (namespace, names, dimensions) and its read-back through moto's CloudWatch in
process. Real rounds through the local app and the Tansu brokers: tests/integration/test_staged_cutover.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from runbook_lib.errors import CanaryError
from runbook_lib.health import canary as c
from runbook_lib.health.canary_readback import Landed

pytestmark = pytest.mark.unit


class FakeTarget:
    """Answers like the ingestor; ``fail_every`` makes every n-th event a 503."""

    def __init__(self, label: str, fail_every: int = 0) -> None:
        self.label, self.fail_every, self.bodies = label, fail_every, []

    def post(self, body: bytes) -> c.Posted:
        self.bodies.append(json.loads(body))
        n = len(self.bodies)
        if self.fail_every and n % self.fail_every == 0:
            return c.Posted(503, {"error": "broker down"}, 3.0, self.label, "HTTP 503: broker down")
        event = self.bodies[-1]
        return c.Posted(202, {"event_id": event["event_id"], "topic": "ingest.events", "partition": 0,
                              "offset": n - 1, "path": self.label}, 2.0, self.label)


class FakeReader:
    def __init__(self, drop: int = 0) -> None:
        self.drop = drop

    def confirm(self, records: list[Landed], *, timeout_s: float) -> set[str]:
        return {r.event_id for r in records[self.drop:]}


@pytest.mark.parametrize(("weight", "events", "new"), [(0, 50, 0), (1, 100, 1), (10, 40, 4), (50, 40, 20),
                                                      (100, 40, 40), (33, 100, 33)])
def test_weighted_targets_split_in_exact_proportion(weight, events, new) -> None:
    old_t, new_t = FakeTarget("old"), FakeTarget("new")
    router = c.WeightedTargets(old_t, new_t, weight)
    for i in range(events):
        router.post(json.dumps({"event_id": str(i)}).encode())
    assert (len(new_t.bodies), len(old_t.bodies)) == (new, events - new)


def test_round_counts_errors_and_unread_events_per_path() -> None:
    old_t, new_t = FakeTarget("old"), FakeTarget("new", fail_every=2)
    report = c.run_canary(c.WeightedTargets(old_t, new_t, 50), {"old": FakeReader(drop=1), "new": FakeReader()},
                          env="sandbox", events=20, rate_per_s=1000)
    rows = {r["path"]: r for r in report.rows()}
    assert rows["old"]["sent"] == 10 and rows["old"]["errors"] == 1  # one accepted, not read back
    assert rows["new"]["sent"] == 10 and rows["new"]["errors"] == 5  # every 2nd a 503
    assert report.error_rate == 6 / 20
    not_read = [o for o in report.outcomes if o.status == 202 and not o.read_back]
    assert len(not_read) == 1 and "not read back from the old broker" in not_read[0].error
    assert all(body["type"] == "canary" and body["key"].startswith("canary-") for body in old_t.bodies)


def test_a_path_without_reader_counts_as_errors() -> None:
    report = c.run_canary(FakeTarget("new"), {}, env="sandbox", events=3, rate_per_s=1000)
    assert report.errors == 3


def test_bad_round_settings() -> None:
    with pytest.raises(CanaryError, match="events >= 1"):
        c.run_canary(FakeTarget("old"), {}, env="sandbox", events=0, rate_per_s=1)
    with pytest.raises(CanaryError, match="between 0 and 100"):
        c.WeightedTargets(FakeTarget("old"), FakeTarget("new"), 101)


def test_metric_contract_and_read_back_through_cloudwatch() -> None:
    report = c.run_canary(c.WeightedTargets(FakeTarget("old"), FakeTarget("new", fail_every=4), 50),
                          {"old": FakeReader(), "new": FakeReader()}, env="sandbox", events=16, rate_per_s=1000)
    data = c.metric_data(report)
    assert c.NAMESPACE == "Runbook/Canary"
    assert {d["MetricName"] for d in data} == {"SuccessCount", "ErrorCount", "LatencyMs"}
    assert all([x["Name"] for x in d["Dimensions"]] == ["Env", "Path"] for d in data)
    with mock_aws():
        cw = boto3.client("cloudwatch", region_name="eu-west-1")
        now = datetime.now(UTC)
        assert c.publish(cw, report, timestamp=now) == 6
        back = c.read_back_metrics(cw, "sandbox", ["old", "new"], start=now - timedelta(minutes=5),
                                   end=now + timedelta(minutes=5))
    assert back["old"] == {"SuccessCount": 8.0, "ErrorCount": 0.0, "LatencyMs": 2.0}
    assert back["new"]["SuccessCount"] == 6.0 and back["new"]["ErrorCount"] == 2.0
