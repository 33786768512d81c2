"""Cost charts: daily cost by service, cumulative cost against the budget, before/after, estimate vs actual.

Each function returns the figure; the values drawn are the frame's values (tests read them back from the axes).
``source`` goes into every title, so cost data injected into the sandbox's Cost Explorer never passes for a bill.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def _pyplot() -> Any:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("module://matplotlib_inline.backend_inline", "agg"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)


def daily_by_group(frame: pd.DataFrame, *, source: str, what: str = "service") -> Any:
    """Stacked bars: one bar per day, one segment per group (service or tag value)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.set_title(f"Daily cost by {what} (USD) · {source}", fontsize=10)
    if frame.empty:
        _empty(ax, "no cost data for this period")
        plt.close(fig)  # shown where the caller displays it, not twice by the inline backend
        return fig
    pivot = frame.pivot_table(index="date", columns="group", values="usd", aggfunc="sum")  # NaN: no cost reported
    bottom = pd.Series(0.0, index=pivot.index)
    for group in pivot.columns:
        values = pivot[group]
        ax.bar(list(pivot.index), values.fillna(0.0).to_list(), bottom=bottom.to_list(), label=str(group))
        bottom = bottom + values.fillna(0.0)
    ax.legend(fontsize=7, loc="upper left")
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    plt.close(fig)  # shown where the caller displays it, not twice by the inline backend
    return fig


def cumulative_vs_budget(frame: pd.DataFrame, budget_usd: float | None, *, source: str,
                         budget_name: str = "budget") -> Any:
    """The running total of daily cost, and the budget limit as a horizontal line."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.set_title(f"Cumulative cost vs {budget_name} (USD) · {source}", fontsize=10)
    if frame.empty:
        _empty(ax, "no cost data for this period")
    else:
        daily = frame.groupby("date")["usd"].sum().sort_index()
        ax.plot(list(daily.index), daily.cumsum().to_list(), marker=".", label="cumulative actual")
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    if budget_usd is not None:
        ax.axhline(budget_usd, color="red", linestyle="--", label=f"{budget_name} limit {budget_usd:,.0f}")
    ax.legend(fontsize=7, loc="upper left")
    plt.close(fig)  # shown where the caller displays it, not twice by the inline backend
    return fig


def before_after(self_hosted: Mapping[str, float], target_by_stack: Mapping[str, float], *, price_date: str,
                 not_priced: int, stacks_missing: int = 0) -> Any:
    """Two stacked bars: the self-hosted platform per component, the target platform's estimate per stack."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.set_title(f"Monthly cost before/after (USD) · estimate, prices of {price_date}"
                 + (f", {not_priced} line(s) not priced" if not_priced else "")
                 + (f", {stacks_missing} stack(s) without a plan" if stacks_missing else ""), fontsize=10)
    for x, parts in ((0, self_hosted), (1, target_by_stack)):
        bottom = 0.0
        for name, usd in parts.items():
            ax.bar(x, usd, bottom=bottom, label=name)
            bottom += usd
    ax.set_xticks([0, 1], ["self-hosted (params)", "AWS target (plan estimate)"])
    ax.legend(fontsize=6, loc="upper right")
    plt.close(fig)  # shown where the caller displays it, not twice by the inline backend
    return fig


def estimate_vs_actual(estimate_usd: float, actual_daily: pd.Series, *, source: str) -> Any:
    """The plan estimate per month beside the actual cost run-rate (mean daily cost x 30)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.set_title(f"Estimate vs actual (USD/month) · {source}", fontsize=10)
    if actual_daily.empty:
        ax.bar([0], [estimate_usd])
        ax.set_xticks([0, 1], ["estimate", "actual: no cost data"])
        plt.close(fig)  # shown where the caller displays it, not twice by the inline backend
        return fig
    ax.bar([0, 1], [estimate_usd, float(actual_daily.mean() * 30)])
    ax.set_xticks([0, 1], ["plan estimate", f"actual run-rate ({len(actual_daily)} days x 30)"])
    plt.close(fig)  # shown where the caller displays it, not twice by the inline backend
    return fig


__all__ = ["before_after", "cumulative_vs_budget", "daily_by_group", "estimate_vs_actual"]
