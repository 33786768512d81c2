"""What the platform costs once it runs: Cost Explorer ``GetCostAndUsage`` daily, by service and by tag.

Why cached per day and counted: every Cost Explorer request is billed (USD 0.01), and a day's cost hardly changes
once it is a few days old. A query is split into days; days already in the cache (older than
:data:`SETTLE_DAYS`) are not asked again, the missing ones are asked in one range, pages are capped
(``cost.max_pages``), and :class:`CostLedger` counts the paid requests so the notebook and CLI can print them.
An empty period is a table that says so, never a row of zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from runbook_lib.errors import CostError
from runbook_lib.util import atomic_write_text

#: USD per Cost Explorer API request (https://aws.amazon.com/aws-cost-management/aws-cost-explorer/pricing/).
USD_PER_REQUEST = 0.01
#: Days younger than this are asked again (Cost Explorer still revises them).
SETTLE_DAYS = 3
METRIC = "UnblendedCost"


@dataclass
class CostLedger:
    """Paid requests made by this process (what the notebook prints), and pages cut off by the cap."""

    requests: int = 0
    truncated: list[str] = field(default_factory=list)

    @property
    def usd(self) -> float:
        return round(self.requests * USD_PER_REQUEST, 2)

    def line(self) -> str:
        return (f"Cost Explorer: {self.requests} paid request(s), USD {self.usd:.2f}"
                + (f"; page cap reached for {', '.join(self.truncated)}" if self.truncated else ""))


@dataclass(frozen=True)
class Grouping:
    """How a query groups: by the SERVICE dimension, or by a cost-allocation tag key (``map-migrated``,
    ``project`` …: the keys must be activated as cost-allocation tags in the billing console)."""

    kind: str  # "DIMENSION" | "TAG"
    key: str

    @property
    def name(self) -> str:
        return f"tag:{self.key}" if self.kind == "TAG" else self.key.lower()

    def group_by(self) -> list[dict[str, str]]:
        return [{"Type": self.kind, "Key": self.key}]


BY_SERVICE = Grouping("DIMENSION", "SERVICE")


def by_tag(key: str) -> Grouping:
    return Grouping("TAG", key)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


class CostCache:
    """One JSON file per (query, day) under ``folder``; only settled days are kept."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, key: str, day: date) -> Path | None:
        return None if self.folder is None else self.folder / key / f"{day.isoformat()}.json"

    def get(self, key: str, day: date) -> list[dict[str, Any]] | None:
        path = self._path(key, day)
        if path is None or not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def put(self, key: str, day: date, rows: list[dict[str, Any]], *, today: date) -> None:
        path = self._path(key, day)
        if path is None or (today - day).days < SETTLE_DAYS:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(rows))


def daily_costs(ce: Any, grouping: Grouping, start: date, end: date, *, ledger: CostLedger,
                cache: CostCache | None = None, max_pages: int = 5, today: date | None = None,
                filter_: dict[str, Any] | None = None) -> pd.DataFrame:
    """Daily cost from ``start`` (inclusive) to ``end`` (exclusive), one row per (day, group).

    Columns ``date``, ``group``, ``usd``, ``estimated``, ``grouping``. Empty when Cost Explorer has nothing for
    the period (the caller shows that as "no cost data", never as zero).

    Raises:
        CostError: the API refused the request (Cost Explorer not enabled, no permission).
    """
    if end <= start:
        raise CostError(f"cost period {start} .. {end} is empty", hint="end must be after start (end is exclusive)")
    today = today or datetime.now(UTC).date()
    cache = cache or CostCache(None)
    key = hashlib.sha256(json.dumps([grouping.kind, grouping.key, filter_], sort_keys=True).encode()).hexdigest()[:16]
    rows: list[dict[str, Any]] = []
    missing = []
    for day in _days(start, end):
        cached = cache.get(key, day)
        if cached is None:
            missing.append(day)
        else:
            rows.extend(cached)
    if missing:
        fetched = _fetch(ce, grouping, missing[0], missing[-1] + timedelta(days=1), ledger, max_pages, filter_)
        for day in missing:
            day_rows = [r for r in fetched if r["date"] == day.isoformat()]
            rows.extend(day_rows)
            cache.put(key, day, day_rows, today=today)
    frame = pd.DataFrame(rows, columns=["date", "group", "usd", "estimated"])
    frame["grouping"] = grouping.name
    return frame.sort_values(["date", "group"], kind="stable").reset_index(drop=True)


def _fetch(ce: Any, grouping: Grouping, start: date, end: date, ledger: CostLedger, max_pages: int,
           filter_: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    token = None
    for page in range(max_pages):
        kwargs: dict[str, Any] = {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                                  "Granularity": "DAILY", "Metrics": [METRIC], "GroupBy": grouping.group_by()}
        if filter_:
            kwargs["Filter"] = filter_
        if token:
            kwargs["NextPageToken"] = token
        try:
            answer = ce.get_cost_and_usage(**kwargs)
        except Exception as error:  # botocore ClientError (DataUnavailableException, AccessDenied …)
            raise CostError(f"GetCostAndUsage ({grouping.name}) failed: {error}",
                            hint="enable Cost Explorer for the account and allow ce:GetCostAndUsage") from error
        ledger.requests += 1
        for period in answer.get("ResultsByTime", []):
            day = period["TimePeriod"]["Start"][:10]
            estimated = bool(period.get("Estimated", False))
            for group in period.get("Groups", []):
                amount = group.get("Metrics", {}).get(METRIC, {}).get("Amount")
                if amount is None:
                    continue
                label = group.get("Keys", ["?"])[0]
                if grouping.kind == "TAG":  # Cost Explorer answers "key$value"; "key$" is untagged
                    label = label.split("$", 1)[1] if "$" in label else label
                    label = label or "(untagged)"
                rows.append({"date": day, "group": label, "usd": float(amount), "estimated": estimated})
            if not period.get("Groups") and METRIC in period.get("Total", {}):
                rows.append({"date": day, "group": "(total)", "usd": float(period["Total"][METRIC]["Amount"]),
                             "estimated": estimated})
        token = answer.get("NextPageToken")
        if not token:
            return rows
        if page == max_pages - 1:
            ledger.truncated.append(f"{grouping.name} {start}..{end}")
    return rows


@dataclass(frozen=True)
class BudgetRow:
    name: str
    limit_usd: float
    actual_usd: float | None
    forecast_usd: float | None
    time_unit: str

    @property
    def used_share(self) -> float | None:
        return None if self.actual_usd is None or not self.limit_usd else self.actual_usd / self.limit_usd


def budgets(client: Any, account_id: str, *, max_pages: int = 5) -> list[BudgetRow]:
    """The account's budgets: limit, actual and forecast spend (``DescribeBudgets``).

    Raises:
        CostError: the API refused the call.
    """
    pages = client.get_paginator("describe_budgets").paginate(
        AccountId=account_id, PaginationConfig={"MaxItems": 100 * max_pages})
    try:
        found = [b for page in pages for b in page.get("Budgets", [])]
    except Exception as error:  # botocore ClientError
        raise CostError(f"DescribeBudgets failed: {error}", hint="allow budgets:ViewBudget") from error

    def amount(b: dict[str, Any], key: str) -> float | None:
        value = b.get("CalculatedSpend", {}).get(key, {}).get("Amount")
        return float(value) if value is not None else None

    return [BudgetRow(b["BudgetName"], float(b.get("BudgetLimit", {}).get("Amount", 0)), amount(b, "ActualSpend"),
                      amount(b, "ForecastedSpend"), b.get("TimeUnit", "")) for b in found]


def budget_table(rows: Sequence[BudgetRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"budget": r.name, "time_unit": r.time_unit, "limit_usd": r.limit_usd, "actual_usd": r.actual_usd,
          "forecast_usd": r.forecast_usd,
          "used": f"{r.used_share:.0%}" if r.used_share is not None else "no actual spend reported"} for r in rows],
        columns=["budget", "time_unit", "limit_usd", "actual_usd", "forecast_usd", "used"],
    )


def period_status(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """A one-row table for an empty period (shown instead of an empty chart), or the frame unchanged."""
    if not frame.empty:
        return frame
    return pd.DataFrame([{"date": f"{start}..{end}", "group": "(no cost data for this period)", "usd": None,
                          "estimated": None, "grouping": frame.attrs.get("grouping", "")}])


__all__ = ["BY_SERVICE", "SETTLE_DAYS", "USD_PER_REQUEST", "BudgetRow", "CostCache", "CostLedger", "Grouping",
           "budget_table", "budgets", "by_tag", "daily_costs", "period_status"]
