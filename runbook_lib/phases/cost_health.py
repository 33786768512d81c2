"""Phase 07, cost and health: what the notebook calls, each step recording its tables and charts.

Why one module in ``phases``: health and cost are siblings that must not import each other; this is where both
meet the session (params, evidence) and the clients. Every chart is recorded as PNG evidence under its name, so
the run's ``index.html`` shows it; every table likewise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from runbook_lib.clients import aws_client
from runbook_lib.cost import actuals
from runbook_lib.cost import charts as cost_charts
from runbook_lib.cost.estimate import PlanEstimate, combine, estimate_from_params
from runbook_lib.endpoints import aws_endpoint_url
from runbook_lib.errors import RunbookError
from runbook_lib.health import canary
from runbook_lib.health.alarms import AlarmRow, alarm_table, describe_alarms
from runbook_lib.health.catalogue import MetricSpec, runbook_specs, specs_for
from runbook_lib.health.charts import phase_figure
from runbook_lib.health.discover import PHASE_OF_KIND, Discovery, discover_targets
from runbook_lib.health.metrics import MetricsResult, fetch_metrics, last_hours
from runbook_lib.health.migration_metrics import PHASE as MIGRATION_PHASE
from runbook_lib.health.migration_metrics import migration_specs
from runbook_lib.params import resolve_outputs_dir, resolve_path
from runbook_lib.phases.session import PhaseSession
from runbook_lib.terraform.plan import load_plan_json

log = logging.getLogger("runbook_lib.phases.cost_health")
CANARY_PHASE = "canary"


def canary_specs(env: str) -> list[MetricSpec]:
    """The canary's series (``runbook_lib.health.canary``'s namespace and names), one set per ingest path."""
    metrics = [("traffic", canary.SUCCESS_COUNT, "Sum"), ("errors", canary.ERROR_COUNT, "Sum"),
               ("latency", canary.LATENCY_MS, "Average")]
    dims = [[("Env", env), ("Path", path)] for path in canary.PATHS]
    return runbook_specs(canary.NAMESPACE, metrics, dims, phase=CANARY_PHASE, service="canary")


@dataclass
class HealthView:
    """What the health cells show: the series, the alarms, what was found, the figure per phase."""

    result: MetricsResult
    alarms: list[AlarmRow]
    discovery: Discovery
    figures: dict[str, Any] = field(default_factory=dict)

    def metrics_table(self) -> pd.DataFrame:
        return self.result.table()

    def alarm_table(self) -> pd.DataFrame:
        return alarm_table(self.alarms)

    def unavailable_table(self) -> pd.DataFrame:
        return pd.DataFrame([{"service": k, "error": v} for k, v in self.discovery.unavailable.items()],
                            columns=["service", "error"])


def collect_health(session: PhaseSession, *, hours: float = 3.0, name_filter: str | None = None,
                   alarm_prefix: str | None = None, extra: dict[str, list[tuple[str, str]]] | None = None
                   ) -> HealthView:
    """Find the migrated resources, fetch their golden signals and the canary's, read the alarms, chart per phase.

    Records the tables ``health_metrics``, ``alarms``, ``health_unlisted_services`` and a chart per phase
    (``health_<phase>``) plus ``canary``.
    """
    aws = session.params.aws
    cloudwatch = aws_client("cloudwatch", aws)
    discovery = discover_targets(lambda service: aws_client(service, aws), name_filter=name_filter, extra=extra)
    specs = specs_for(discovery.targets) + canary_specs(session.params.env) + migration_specs(session.params.env)
    start, end = last_hours(hours)
    result = fetch_metrics(cloudwatch, specs, start, end)
    alarms = describe_alarms(cloudwatch, prefix=alarm_prefix)
    view = HealthView(result, alarms, discovery)
    session.table("health_metrics", view.metrics_table())
    session.table("alarms", view.alarm_table())
    session.table("health_unlisted_services", view.unavailable_table())
    for phase in sorted(set(PHASE_OF_KIND.values())):
        note = " · sandbox (moto): AWS service metrics exist only if something put them" if session.params.is_sandbox \
            else ""
        view.figures[phase] = session.chart(f"health_{phase}", phase_figure(phase, result.for_phase(phase), alarms,
                                                                             title_note=note))
    view.figures[CANARY_PHASE] = session.chart(
        "canary", phase_figure("canary", result.for_phase(CANARY_PHASE), alarms))
    view.figures[MIGRATION_PHASE] = session.chart(
        "migration", phase_figure("migration", result.for_phase(MIGRATION_PHASE), alarms,
                                  title_note=" · published by the runbook's migrators (PutMetricData)"))
    return view


@dataclass
class CostView:
    """Daily cost by service and per tag key, budgets, the paid-request count, where the data came from."""

    by_service: pd.DataFrame
    by_tag: dict[str, pd.DataFrame]
    budgets: list[actuals.BudgetRow]
    ledger: actuals.CostLedger
    source: str
    start: date
    end: date
    figures: dict[str, Any] = field(default_factory=dict)


def collect_costs(session: PhaseSession, *, days: int = 14, inject: bool = True) -> CostView:
    """Cost Explorer daily by service and by each ``cost.tag_keys`` tag, budgets, charts; prints paid requests.

    In the sandbox (and with ``inject``) a made-up bill is first queued in moto's Cost Explorer
    (``runbook_lib.sandbox.cost_injection``) and every title says "injected".
    """
    params = session.params
    end = datetime.now(UTC).date()
    start = end - timedelta(days=days)
    sandbox = params.is_sandbox
    if sandbox and inject:
        from runbook_lib.sandbox.cost_injection import inject_daily_costs

        inject_daily_costs(str(aws_endpoint_url(params.aws)), start, end, tag_keys=params.cost.tag_keys)
    source = "INJECTED into moto's Cost Explorer (sandbox, not a bill)" if sandbox else "AWS Cost Explorer"
    # The sandbox's answers are injected per run: caching them would carry a made-up bill into the next run.
    cache = actuals.CostCache(None if sandbox else resolve_outputs_dir(params) / ".cost-cache" / params.env)
    ce = aws_client("ce", params.aws, region="us-east-1")
    ledger = actuals.CostLedger()
    kwargs = {"ledger": ledger, "cache": cache, "max_pages": params.cost.max_pages}
    by_service = actuals.daily_costs(ce, actuals.BY_SERVICE, start, end, **kwargs)
    by_tag = {key: actuals.daily_costs(ce, actuals.by_tag(key), start, end, **kwargs) for key in params.cost.tag_keys}
    account = aws_client("sts", params.aws).get_caller_identity()["Account"]
    budget_rows = actuals.budgets(aws_client("budgets", params.aws, region="us-east-1"), account)
    view = CostView(by_service, by_tag, budget_rows, ledger, source, start, end)
    session.table("cost_daily_by_service", actuals.period_status(by_service, start, end))
    for key, frame in by_tag.items():
        session.table(f"cost_daily_by_tag_{key}", actuals.period_status(frame, start, end))
    session.table("budgets", actuals.budget_table(budget_rows))
    view.figures["by_service"] = session.chart("cost_daily_by_service",
                                               cost_charts.daily_by_group(by_service, source=source))
    if "map-migrated" in by_tag:
        view.figures["map_migrated"] = session.chart(
            "cost_daily_by_map_migrated", cost_charts.daily_by_group(by_tag["map-migrated"], source=source,
                                                                     what="tag map-migrated"))
    limit, name = _budget_limit(budget_rows, params.cost)
    view.figures["cumulative"] = session.chart(
        "cost_cumulative_vs_budget", cost_charts.cumulative_vs_budget(by_service, limit, source=source,
                                                                      budget_name=name))
    print(ledger.line())
    return view


def _budget_limit(rows: list[actuals.BudgetRow], cost: Any) -> tuple[float | None, str]:
    chosen = [r for r in rows if r.name == cost.budget_name] if cost.budget_name else rows[:1]
    if chosen:
        return chosen[0].limit_usd, f"budget {chosen[0].name}"
    return cost.monthly_budget_usd, "cost.monthly_budget_usd"


@dataclass
class PlatformEstimate:
    """The whole target platform's estimate and the stacks that had no plan to price."""

    estimate: PlanEstimate
    missing: dict[str, str]

    def missing_table(self) -> pd.DataFrame:
        return pd.DataFrame([{"stack": k, "why": v} for k, v in self.missing.items()], columns=["stack", "why"])


def platform_estimate(session: PhaseSession, *, plan_json_dir: str | None = None) -> PlatformEstimate:
    """Price every stack's plan: ``<stack>.json`` in ``plan_json_dir``, else the stack's saved plan file.

    A stack without either is listed as not estimated (never as zero). Records ``cost_estimate_by_stack``,
    ``cost_estimate_not_priced``, ``cost_estimate_missing_stacks`` and the before/after chart.
    """
    params = session.params
    stacks_dir = resolve_path(params.terraform.stacks_dir)
    stacks = sorted(p.name for p in stacks_dir.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    estimates, missing = [], {}
    for stack in stacks:
        try:
            plan = _saved_plan(params, stack, Path(plan_json_dir) if plan_json_dir else None)
        except RunbookError as error:
            missing[stack] = error.one_line()
            continue
        if plan is None:
            missing[stack] = "no saved plan (run its phase, or `runbook tf plan`, first)"
            continue
        estimates.append(estimate_from_params(plan, stack=stack, params=params))
    total = combine(estimates, name="platform")
    view = PlatformEstimate(total, missing)
    session.table("cost_estimate_by_stack", total.by_stack())
    session.table("cost_estimate_not_priced", total.not_priced_frame())
    session.table("cost_estimate_missing_stacks", view.missing_table())
    by_stack = dict(zip(total.by_stack()["stack"], total.by_stack()["monthly_usd"], strict=True)) if estimates else {}
    session.chart("cost_before_after", cost_charts.before_after(
        params.cost.self_hosted_monthly_usd, by_stack, price_date=total.price_date or "-",
        not_priced=len(total.not_priced), stacks_missing=len(missing)))
    return view


def _saved_plan(params: Any, stack: str, plan_json_dir: Path | None) -> Any:
    if plan_json_dir is not None:
        path = plan_json_dir / f"{stack}.json"
        return load_plan_json(path) if path.is_file() else None
    from runbook_lib.infra.terraform_setup import runner_from_params

    runner = runner_from_params(params, stack)
    saved = runner.default_plan_path()
    return runner.show(saved) if saved.is_file() else None


def estimate_vs_actual(session: PhaseSession, estimate: PlatformEstimate, costs: CostView) -> Any:
    """The plan estimate beside the actual run-rate, as a chart and a one-row table."""
    daily = costs.by_service.groupby("date")["usd"].sum() if not costs.by_service.empty else pd.Series(dtype=float)
    fig = cost_charts.estimate_vs_actual(estimate.estimate.total_usd, daily, source=costs.source)
    session.chart("cost_estimate_vs_actual", fig)
    return session.table("cost_estimate_vs_actual", pd.DataFrame([{
        "estimate_usd_month": estimate.estimate.total_usd,
        "actual_run_rate_usd_month": round(float(daily.mean() * 30), 2) if len(daily) else None,
        "actual_days": len(daily), "actual_source": costs.source,
        "stacks_not_estimated": len(estimate.missing), "lines_not_priced": len(estimate.estimate.not_priced),
    }]))


__all__ = ["CostView", "HealthView", "PlatformEstimate", "canary_specs", "collect_costs", "collect_health",
           "estimate_vs_actual", "platform_estimate"]
