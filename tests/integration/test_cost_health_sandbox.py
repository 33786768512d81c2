"""Cost and health against the sandbox's moto server: the canary's metrics go through CloudWatch and come back in
the chart data; Cost Explorer results injected through moto's documented API become the cost chart; an alarm set
to ALARM is red in the table; a metric that does not exist and an empty cost period are shown as such.

moto is the AWS stand-in here (no AWS account): its CloudWatch stores and aggregates real PutMetricData points;
its Cost Explorer answers only what was injected (it tracks no cost), which the charts' titles say.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from runbook_lib.clients import aws_client
from runbook_lib.cost import actuals
from runbook_lib.cost import charts as cost_charts
from runbook_lib.health import canary
from runbook_lib.health.alarms import alarm_table, describe_alarms
from runbook_lib.health.catalogue import ServiceTarget, specs_for
from runbook_lib.health.charts import phase_figure, plotted
from runbook_lib.health.metrics import fetch_metrics
from runbook_lib.phases.cost_health import canary_specs
from runbook_lib.sandbox.cost_injection import DEFAULT_DAILY_USD, inject_daily_costs

pytestmark = pytest.mark.integration


def _client(service: str, endpoint: str):
    return aws_client(service, endpoint_url=endpoint, region="eu-west-1")


def test_canary_metrics_round_trip_into_the_chart_and_alarm_is_red(aws_endpoint: str) -> None:
    cw = _client("cloudwatch", aws_endpoint)
    env = f"it-{datetime.now(UTC).strftime('%H%M%S%f')}"  # a fresh Env dimension: the shared server keeps data
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    rounds = {4: (3, 1), 2: (5, 0)}  # minutes ago -> (ok events, failed events) on the "new" path
    for ago, (good, bad) in rounds.items():
        outcomes = [canary.EventOutcome(f"e{ago}-{i}", "new", 202, 40.0 + i, True, None) for i in range(good)]
        outcomes += [canary.EventOutcome(f"f{ago}-{i}", "new", 500, 5.0, False, "boom") for i in range(bad)]
        report = canary.CanaryReport(env=env, started_at=now.isoformat(), duration_s=1.0, outcomes=outcomes)
        assert canary.publish(cw, report, timestamp=now - timedelta(minutes=ago)) > 0
    alarm = f"{env}-canary-errors"
    cw.put_metric_alarm(AlarmName=alarm, Namespace=canary.NAMESPACE, MetricName=canary.ERROR_COUNT,
                        Dimensions=[{"Name": "Env", "Value": env}, {"Name": "Path", "Value": "new"}],
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=0.5,
                        ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="canary errors in the test")

    specs = canary_specs(env) + specs_for([ServiceTarget("lambda", "03_streaming_ingestion", f"{env}-absent")])
    result = fetch_metrics(cw, specs, now - timedelta(minutes=10), now + timedelta(minutes=1))
    table = result.table().set_index(["resource", "metric"])
    assert table.loc[(f"{env},new", canary.SUCCESS_COUNT), "status"] == "ok"
    assert table.loc[(f"{env},old", canary.SUCCESS_COUNT), "status"] == "no data"  # nothing sent on "old"
    assert table.loc[(f"{env}-absent", "Invocations"), "status"] == "no data"  # a metric that does not exist

    alarms = [a for a in describe_alarms(cw, prefix=env)]
    frame = alarm_table(alarms)
    assert frame.loc[0, "alarm"] == alarm and frame.loc[0, "state"] == "ALARM" and frame.loc[0, "colour"] == "red"

    fig = phase_figure("canary", [s for s in result.series if s.spec.phase == "canary"], alarms)
    lines = plotted(fig)
    success = lines[f"{env},new {canary.SUCCESS_COUNT} (Sum)"][1]
    errors = lines[f"{env},new {canary.ERROR_COUNT} (Sum)"][1]
    assert [v for v in success if v == v] == [3.0, 5.0]  # the two rounds, in time order; the rest NaN
    assert [v for v in errors if v == v] == [1.0, 0.0]
    red = [label for label in lines if label.startswith(f"{alarm} (ALARM)")]
    assert red, list(lines)
    assert "published by the runbook" in fig._suptitle.get_text()


def test_injected_cost_explorer_results_become_the_cost_chart(aws_endpoint: str) -> None:
    start, end = date(2026, 1, 1), date(2026, 1, 4)
    assert inject_daily_costs(aws_endpoint, start, end, tag_keys=["map-migrated"]) == 2
    ce = _client("ce", aws_endpoint)
    ledger = actuals.CostLedger()
    by_service = actuals.daily_costs(ce, actuals.BY_SERVICE, start, end, ledger=ledger)
    by_tag = actuals.daily_costs(ce, actuals.by_tag("map-migrated"), start, end, ledger=ledger)
    assert ledger.requests == 2 and "USD 0.02" in ledger.line()
    assert set(by_service["group"]) == set(DEFAULT_DAILY_USD) and len(by_service) == 3 * len(DEFAULT_DAILY_USD)
    assert set(by_tag["group"]) == {"mig1234567890"}
    assert by_tag.groupby("date")["usd"].sum().round(2).to_list() == pytest.approx(
        by_service.groupby("date")["usd"].sum().round(2).to_list(), abs=0.05)

    fig = cost_charts.daily_by_group(by_service, source="INJECTED into moto")
    ax = fig.axes[0]
    drawn = sorted(round(bar.get_height(), 4) for c in ax.containers for bar in c)
    assert drawn == sorted(round(v, 4) for v in by_service["usd"])
    assert "INJECTED" in ax.get_title()

    # A period nobody injected: moto's queue is empty, the chart and table say "no cost data".
    empty = actuals.daily_costs(ce, actuals.BY_SERVICE, date(2025, 6, 1), date(2025, 6, 3), ledger=ledger)
    assert empty.empty
    assert actuals.period_status(empty, date(2025, 6, 1), date(2025, 6, 3)).loc[0, "group"].startswith("(no cost")
    chart = cost_charts.daily_by_group(empty, source="INJECTED")
    assert "no cost data" in chart.axes[0].texts[0].get_text()


def test_budget_actual_vs_limit(aws_endpoint: str) -> None:
    budgets = _client("budgets", aws_endpoint)
    name = f"it-{datetime.now(UTC).strftime('%H%M%S%f')}"
    budgets.create_budget(AccountId="123456789012", Budget={
        "BudgetName": name, "BudgetLimit": {"Amount": "100", "Unit": "USD"}, "TimeUnit": "MONTHLY",
        "BudgetType": "COST", "CalculatedSpend": {"ActualSpend": {"Amount": "42", "Unit": "USD"}}})
    rows = [r for r in actuals.budgets(budgets, "123456789012") if r.name == name]
    assert len(rows) == 1 and rows[0].limit_usd == 100.0
    table = actuals.budget_table(rows)
    assert isinstance(table, pd.DataFrame) and table.loc[0, "limit_usd"] == 100.0
