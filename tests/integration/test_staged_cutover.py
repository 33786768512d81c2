"""Staged producer cutover against the sandbox: the alias' weights set and read back through moto's Lambda API
(server), the canary driving real events through two local ingestor instances (old → kafka-source, new →
kafka-target) by the weight read back, both brokers receiving their share, a failing gate rolling back; the
canary's metrics going through moto's CloudWatch and coming back via GetMetricData.

What is not real here: moto stores the alias' RoutingConfig but does not run the function, so the canary's
WeightedTargets stands in for Lambda's weighted routing (with the weight read from the API)."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from runbook_lib.clients import aws_client
from runbook_lib.cutover.local_ingestors import local_ingestor
from runbook_lib.cutover.traffic import (
    AliasRouting,
    GateThresholds,
    resolve_versions,
    run_staged_cutover,
    stage_new_version,
)
from runbook_lib.health import canary as c
from runbook_lib.health.canary_readback import BrokerReadback

pytestmark = pytest.mark.integration


def _ensure_topic(bootstrap: str, topic: str = "ingest.events") -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic not in admin.list_topics(timeout=10).topics:
        for future in admin.create_topics([NewTopic(topic, 3, 1)]).values():
            future.result(10)


@pytest.fixture()
def function(sandbox):
    """A function with an alias on moto (server), as stack 03 leaves it: version 1 behind ``live``."""
    endpoint = sandbox.url("aws")
    lam = aws_client("lambda", region="eu-west-1", endpoint_url=endpoint, connect_timeout=2, max_attempts=2)
    iam = aws_client("iam", region="eu-west-1", endpoint_url=endpoint)
    name = f"cutover-test-{uuid.uuid4().hex[:6]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", "def h(e, c):\n    return 1\n")
    lam.create_function(FunctionName=name, Role=role, Runtime="python3.12", Handler="h.h",
                        Code={"ZipFile": buffer.getvalue()}, Publish=True,
                        Environment={"Variables": {"INGEST_PATH_LABEL": "old"}})
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    yield lam, name
    lam.delete_function(FunctionName=name)
    iam.delete_role(RoleName=name)


def test_staged_cutover_moves_events_between_brokers_and_rolls_back(sandbox, function, tmp_path) -> None:
    lam, name = function
    source, target = sandbox.service("kafka-source").address, sandbox.service("kafka-target").address
    # A topic of its own: events produced into the sandbox's ingest.events would be records the Kafka mirror did
    # not write, and a later `runbook migrate kafka` onto that topic is (rightly) refused.
    topic = f"cutover-test-{uuid.uuid4().hex[:6]}"
    _ensure_topic(source, topic)
    _ensure_topic(target, topic)
    new_version = stage_new_version(lam, name, {"INGEST_PATH_LABEL": "new"})
    routing = AliasRouting(lam, name)
    versions = resolve_versions(routing)
    assert (versions.old, versions.new) == ("1", new_version)
    readers = {"old": BrokerReadback(source), "new": BrokerReadback(target)}
    cloudwatch = aws_client("cloudwatch", region="eu-west-1", endpoint_url=sandbox.url("aws"))
    env = f"test-{uuid.uuid4().hex[:6]}"
    rounds: list[c.CanaryReport] = []
    started = datetime.now(UTC)
    with local_ingestor("old", source, topic=topic, log_dir=tmp_path) as old, \
            local_ingestor("new", target, topic=topic, log_dir=tmp_path) as new:

        def canary(weight: float) -> c.CanaryReport:
            assert routing.read().new_share_pct(versions.new) == weight  # the API holds the weight being measured
            report = c.run_canary(c.WeightedTargets(c.HttpTarget(old.url, "old"), c.HttpTarget(new.url, "new"),
                                                    weight), readers, env=env, events=20, rate_per_s=100)
            c.publish(cloudwatch, report)
            rounds.append(report)
            return report

        lags = iter([0, 0, 50_000])  # the mirror falls behind at the third step (50 %)
        report = run_staged_cutover(routing, versions, steps_pct=[1, 10, 50, 100],
                                    thresholds=GateThresholds(0.01, 1000), canary=canary,
                                    mirror_lag=lambda: next(lags))
    assert [s.passed for s in report.steps] == [True, True, False]
    assert report.steps[-1].rolled_back_to_pct == 10 and report.final_pct == 10
    alias = lam.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] == "1" and alias["RoutingConfig"]["AdditionalVersionWeights"] == {
        new_version: 0.1}
    # every event read back from the broker of its path, in the weight's proportion
    assert all(r.error_rate == 0 for r in rounds)
    shares = [{row["path"]: row["succeeded"] for row in r.rows()} for r in rounds]
    assert shares == [{"old": 20}, {"old": 18, "new": 2}, {"old": 10, "new": 10}]
    # the canary's metrics come back from CloudWatch (moto server) via GetMetricData
    back = c.read_back_metrics(cloudwatch, env, ["old", "new"], start=started - timedelta(minutes=1),
                               end=datetime.now(UTC) + timedelta(minutes=1), period_s=60)
    assert back["old"]["SuccessCount"] == 48 and back["new"]["SuccessCount"] == 12
    assert back["old"]["ErrorCount"] == 0 and back["new"]["LatencyMs"] > 0


def test_all_steps_hold_and_the_alias_ends_on_the_new_version(sandbox, function) -> None:
    lam, name = function
    new_version = stage_new_version(lam, name, {"INGEST_PATH_LABEL": "new"})
    routing = AliasRouting(lam, name)
    ok = c.CanaryReport("sandbox", "", 0.0, [c.EventOutcome("e", "new", 202, 1.0, True, None)])
    report = run_staged_cutover(routing, resolve_versions(routing), steps_pct=[1, 10, 50, 100],
                                thresholds=GateThresholds(0.01, 1000), canary=lambda w: ok, mirror_lag=0)
    assert report.completed and [s.applied_pct for s in report.steps] == [1, 10, 50, 100]
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == new_version
