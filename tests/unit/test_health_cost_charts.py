"""Health and cost charts draw the data they were given: series handed to matplotlib equal the metric data (gaps
as NaN, never zero), thresholds drawn, batching/period rules, Cost Explorer paging, caching and paid requests."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from runbook_lib.cost import actuals
from runbook_lib.cost import charts as cost_charts
from runbook_lib.errors import CostError, HealthError
from runbook_lib.health.alarms import alarm_table, describe_alarms
from runbook_lib.health.catalogue import CATALOGUE, ServiceTarget, runbook_specs, specs_for
from runbook_lib.health.charts import phase_figure, plotted
from runbook_lib.health.metrics import MAX_QUERIES, batch_size, choose_period, fetch_metrics

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
DIMS = [("Env", "t"), ("Path", "old")]


def test_period_follows_the_window_and_retention() -> None:
    assert choose_period(NOW - timedelta(hours=3), NOW, now=NOW) == 60
    assert choose_period(NOW - timedelta(days=1), NOW, now=NOW) == 300
    assert choose_period(NOW - timedelta(days=7), NOW, now=NOW) == 3600
    assert choose_period(NOW - timedelta(days=20), NOW - timedelta(days=19, hours=23), now=NOW) == 300  # >15 days old
    with pytest.raises(HealthError):
        choose_period(NOW, NOW, now=NOW)


def test_batches_never_exceed_500_queries_or_100800_points() -> None:
    assert batch_size(10) == MAX_QUERIES
    assert batch_size(1440) == 70  # 70 x 1440 = 100,800
    calls = []

    class Recorder:
        def get_metric_data(self, **kw):
            calls.append(len(kw["MetricDataQueries"]))
            return {"MetricDataResults": []}

    specs = runbook_specs("N", [("traffic", "M", "Sum")], [[("i", str(i))] for i in range(1201)], phase="p",
                          service="s")
    result = fetch_metrics(Recorder(), specs, NOW - timedelta(hours=1), NOW, now=NOW)
    assert calls == [500, 500, 201] and result.requests == 3
    assert {s.status for s in result.series} == {"no data"}


def test_catalogue_covers_every_migrated_service() -> None:
    assert set(CATALOGUE) == {"apigateway", "lambda", "msk", "rds", "docdb", "glue", "mwaa", "s3"}
    lam = {(s.metric, s.stat) for s in specs_for([ServiceTarget("lambda", "03", "fn")])}
    assert lam == {("Invocations", "Sum"), ("Errors", "Sum"), ("Throttles", "Sum"), ("Duration", "p99")}
    msk = specs_for([ServiceTarget("msk", "03", "c", (("consumer_group", "g"), ("topic", "t")))])
    lag = next(s for s in msk if s.metric == "MaxOffsetLag")
    assert dict(lag.dimensions) == {"Cluster Name": "c", "Consumer Group": "g", "Topic": "t"}
    for kind in CATALOGUE:
        assert {d.signal for d in CATALOGUE[kind]} <= {"traffic", "errors", "latency", "saturation"}


@mock_aws
def test_plotted_values_equal_the_metric_data_with_gaps_as_nan() -> None:
    cw = boto3.client("cloudwatch", region_name="eu-west-1")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    sent = {3: 7.0, 5: 11.0, 6: 2.0}  # minutes ago -> value; other minutes have no datapoint
    for ago, value in sent.items():
        cw.put_metric_data(Namespace="Runbook/Canary", MetricData=[{
            "MetricName": "SuccessCount", "Dimensions": [{"Name": k, "Value": v} for k, v in DIMS],
            "Value": value, "Timestamp": now - timedelta(minutes=ago), "Unit": "Count"}])
    cw.put_metric_alarm(AlarmName="canary-low", Namespace="Runbook/Canary", MetricName="SuccessCount",
                        Dimensions=[{"Name": k, "Value": v} for k, v in DIMS], Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=5.0, ComparisonOperator="LessThanThreshold")
    specs = runbook_specs("Runbook/Canary", [("traffic", "SuccessCount", "Sum"), ("errors", "ErrorCount", "Sum")],
                          [DIMS], phase="canary", service="canary")
    result = fetch_metrics(cw, specs, now - timedelta(minutes=10), now + timedelta(minutes=1))
    success, errors = result.series
    assert success.status == "ok" and errors.status == "no data"
    expected = {now - timedelta(minutes=ago): v for ago, v in sent.items()}
    got = {ts.to_pydatetime(): v for ts, v in success.values.dropna().items()}
    assert got == expected
    assert success.values.isna().sum() == len(success.values) - 3  # the other minutes: gaps, not zeros
    assert (success.values == 0).sum() == 0

    fig = phase_figure("canary", result.series, describe_alarms(cw))
    lines = plotted(fig)
    x, y = lines["t,old SuccessCount (Sum)"]
    assert len(y) == len(success.values)
    for stamp, value in zip(x, y, strict=True):
        want = expected.get(pd.Timestamp(stamp).tz_convert("UTC").to_pydatetime())
        assert (math.isnan(value) and want is None) or value == want
    assert all(math.isnan(v) for v in lines["t,old ErrorCount (Sum) [no data]"][1])
    threshold = [v for k, v in lines.items() if k.startswith("canary-low (") and k.endswith("LessThanThreshold 5")]
    assert len(threshold) == 1 and set(threshold[0][1]) == {5.0}
    assert "published by the runbook" in fig._suptitle.get_text()


@mock_aws
def test_alarm_in_alarm_state_is_red_and_first() -> None:
    cw = boto3.client("cloudwatch", region_name="eu-west-1")
    for name in ("b-ok", "a-fires"):
        cw.put_metric_alarm(AlarmName=name, Namespace="N", MetricName="M", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName="a-fires", StateValue="ALARM", StateReason="test")
    cw.set_alarm_state(AlarmName="b-ok", StateValue="OK", StateReason="test")
    table = alarm_table(describe_alarms(cw))
    assert list(table["alarm"]) == ["a-fires", "b-ok"]
    assert list(table["colour"]) == ["red", "green"]


def test_daily_cost_chart_draws_the_frame_and_says_injected() -> None:
    frame = pd.DataFrame([
        {"date": "2026-01-01", "group": "AWS Lambda", "usd": 1.5, "estimated": False},
        {"date": "2026-01-01", "group": "Amazon S3", "usd": 2.0, "estimated": False},
        {"date": "2026-01-02", "group": "AWS Lambda", "usd": 3.0, "estimated": True},
    ])
    fig = cost_charts.daily_by_group(frame, source="INJECTED")
    ax = fig.axes[0]
    heights = {(c.get_label(), round(bar.get_x() + bar.get_width() / 2)): bar.get_height()
               for c in ax.containers for bar in c}
    assert sorted(h for h in heights.values() if h) == [1.5, 2.0, 3.0]
    assert "INJECTED" in ax.get_title()
    cumulative = cost_charts.cumulative_vs_budget(frame, 10.0, source="INJECTED")
    lines = {line.get_label(): list(line.get_ydata()) for line in cumulative.axes[0].get_lines()}
    assert lines["cumulative actual"] == [3.5, 6.5] and lines["budget limit 10"] == [10.0, 10.0]
    empty = cost_charts.daily_by_group(frame.iloc[0:0], source="x")
    assert "no cost data" in empty.axes[0].texts[0].get_text()


class FakeCE:
    """Cost Explorer stand-in for paging and caching rules (moto has no NextPageToken)."""

    def __init__(self, pages: int) -> None:
        self.pages, self.calls = pages, []

    def get_cost_and_usage(self, **kw):
        self.calls.append(kw)
        start = date.fromisoformat(kw["TimePeriod"]["Start"])
        end = date.fromisoformat(kw["TimePeriod"]["End"])
        days = [start + timedelta(days=i) for i in range((end - start).days)]
        answer = {"ResultsByTime": [{"TimePeriod": {"Start": d.isoformat()}, "Groups": [
            {"Keys": ["map-migrated$mig42"], "Metrics": {"UnblendedCost": {"Amount": "1.25"}}}]} for d in days]}
        if len(self.calls) < self.pages:
            answer["NextPageToken"] = f"t{len(self.calls)}"
        return answer


def test_cost_pages_are_capped_counted_and_days_cached(tmp_path) -> None:
    ce, ledger = FakeCE(pages=10), actuals.CostLedger()
    cache = actuals.CostCache(tmp_path)
    today = date(2026, 1, 20)
    frame = actuals.daily_costs(ce, actuals.by_tag("map-migrated"), date(2026, 1, 1), date(2026, 1, 5), ledger=ledger,
                                cache=cache, max_pages=3, today=today)
    assert len(ce.calls) == 3 and ledger.requests == 3 and ledger.usd == 0.03
    assert ledger.truncated and "page cap" in ledger.line()
    assert set(frame["group"]) == {"mig42"}
    ce2, ledger2 = FakeCE(pages=1), actuals.CostLedger()
    again = actuals.daily_costs(ce2, actuals.by_tag("map-migrated"), date(2026, 1, 1), date(2026, 1, 6),
                                ledger=ledger2, cache=cache, today=today)
    assert [c["TimePeriod"] for c in ce2.calls] == [{"Start": "2026-01-05", "End": "2026-01-06"}]  # only the new day
    assert ledger2.requests == 1 and len(again) >= 5


def test_empty_cost_period_is_shown_as_such() -> None:
    class Empty:
        def get_cost_and_usage(self, **kw):
            return {"ResultsByTime": []}

    frame = actuals.daily_costs(Empty(), actuals.BY_SERVICE, date(2026, 1, 1), date(2026, 1, 3),
                                ledger=actuals.CostLedger())
    assert frame.empty
    shown = actuals.period_status(frame, date(2026, 1, 1), date(2026, 1, 3))
    assert shown.loc[0, "group"] == "(no cost data for this period)" and shown.loc[0, "usd"] is None
    with pytest.raises(CostError):
        actuals.daily_costs(Empty(), actuals.BY_SERVICE, date(2026, 1, 3), date(2026, 1, 3),
                            ledger=actuals.CostLedger())


@mock_aws
def test_discovery_finds_project_resources_and_reports_unlisted_services() -> None:
    from runbook_lib.health.discover import discover_targets

    s3 = boto3.client("s3", region_name="us-east-1")
    for name in ("dmig-t-raw-1", "someone-else"):
        s3.create_bucket(Bucket=name)

    def client_for(service: str):
        if service == "mwaa":
            raise RuntimeError("not implemented here")
        return boto3.client(service, region_name="us-east-1")

    found = discover_targets(client_for, name_filter="dmig-t", kinds=["s3", "mwaa"])
    assert [(t.kind, t.phase, t.name) for t in found.targets] == [("s3", "02_data_stores", "dmig-t-raw-1")]
    assert "not implemented here" in found.unavailable["mwaa"]


def test_the_evidence_index_shows_each_recorded_chart_under_its_phase(tmp_path) -> None:
    from runbook_lib.evidence import EvidenceLedger

    ledger = EvidenceLedger("unit-charts", tmp_path, phases=["07_cost_health"])
    ledger.start_phase("07_cost_health")
    frame = pd.DataFrame([{"date": "2026-01-01", "group": "AWS Lambda", "usd": 1.0, "estimated": False}])
    relative = ledger.record_chart("07_cost_health", "cost_daily_by_service",
                                   cost_charts.daily_by_group(frame, source="INJECTED"))
    index = (tmp_path / "unit-charts" / "index.html").read_text()
    assert (tmp_path / "unit-charts" / relative).read_bytes()[:4] == b"\x89PNG"
    assert f'<img src="{relative}"' in index and "<h3>07_cost_health</h3>" in index
    assert "<h2>Charts</h2><p>none</p>" not in index


def test_before_after_and_estimate_vs_actual_draw_the_given_figures() -> None:
    fig = cost_charts.before_after({"servers": 900.0, "staff": 100.0}, {"02": 300.0, "03": 50.0},
                                   price_date="2025-01-01", not_priced=2, stacks_missing=1)
    ax = fig.axes[0]
    bars = [(round(b.get_x() + b.get_width() / 2), b.get_y(), b.get_height()) for c in ax.containers for b in c]
    assert bars == [(0, 0.0, 900.0), (0, 900.0, 100.0), (1, 0.0, 300.0), (1, 300.0, 50.0)]
    assert "2 line(s) not priced, 1 stack(s) without a plan" in ax.get_title()
    daily = pd.Series([10.0, 20.0], index=["2026-01-01", "2026-01-02"])
    fig = cost_charts.estimate_vs_actual(400.0, daily, source="INJECTED")
    assert [b.get_height() for c in fig.axes[0].containers for b in c] == [400.0, 450.0]  # mean 15 x 30
