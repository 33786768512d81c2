"""Sandbox only: give moto's Cost Explorer a bill to answer with, through moto's documented results queue.

moto tracks no cost; ``GetCostAndUsage`` answers from a queue filled by ``POST /moto-api/static/ce/
cost-and-usage-results`` (https://docs.getmoto.org/en/latest/docs/services/ce.html): each new set of request
parameters takes the next queued result. :func:`inject_daily_costs` queues one result per query, in the order the
caller will ask (by service first, then each tag key). The amounts are deterministic, made up for the rehearsal,
and every chart drawn from them says "injected" in its title.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

from runbook_lib.errors import SandboxError

MOTO_CE_RESULTS = "/moto-api/static/ce/cost-and-usage-results"
#: USD per day per service of the made-up bill (what a small rehearsal platform might cost).
DEFAULT_DAILY_USD: dict[str, float] = {
    "Amazon Simple Storage Service": 1.8,
    "AWS Lambda": 0.4,
    "Amazon API Gateway": 0.3,
    "Amazon Managed Streaming for Apache Kafka": 21.5,
    "Amazon Relational Database Service": 12.2,
    "Amazon DocumentDB (with MongoDB compatibility)": 9.6,
    "AWS Glue": 3.1,
    "Amazon CloudWatch": 1.2,
}


def _wobble(day: date, name: str) -> float:
    """A deterministic -15 % .. +15 % day-to-day variation (no randomness: reruns draw the same bill)."""
    seed = (day.toordinal() * 31 + sum(map(ord, name))) % 31
    return 0.85 + seed / 100.0


def daily_results(start: date, end: date, amounts: Callable[[date], Mapping[str, float]], *,
                  tag_key: str | None = None) -> dict[str, object]:
    """One ``GetCostAndUsage`` answer: a ``ResultsByTime`` entry per day, a group per service or tag value."""
    by_time = []
    day = start
    while day < end:
        entries = [
            {"Keys": [f"{tag_key}${name}" if tag_key else name],
             "Metrics": {"UnblendedCost": {"Amount": str(round(usd, 4)), "Unit": "USD"}}}
            for name, usd in amounts(day).items()
        ]
        by_time.append({"TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
                        "Total": {}, "Groups": entries, "Estimated": day >= end - timedelta(days=1)})
        day += timedelta(days=1)
    return {"ResultsByTime": by_time, "DimensionValueAttributes": []}


def inject_daily_costs(endpoint_url: str, start: date, end: date, *, tag_keys: Sequence[str] = (),
                       daily_usd: Mapping[str, float] | None = None, account_id: str = "123456789012") -> int:
    """Queue, in moto, the answer by service then one answer per tag key; returns how many were queued.

    Each tag answer splits the same daily total as the service answer: ``map-migrated`` all of it to one MAP
    server id, other keys 90 % to the project and 10 % untagged.

    Raises:
        SandboxError: moto refused (or is not) the endpoint.
    """
    services = dict(daily_usd or DEFAULT_DAILY_USD)

    def by_service(day: date) -> dict[str, float]:
        return {name: round(usd * _wobble(day, name), 4) for name, usd in services.items()}

    def split(key: str) -> Callable[[date], dict[str, float]]:
        def amounts(day: date) -> dict[str, float]:
            total = sum(by_service(day).values())
            return {"mig1234567890": total} if key == "map-migrated" else {"data-migration": total * 0.9,
                                                                            "": total * 0.1}
        return amounts

    results = [daily_results(start, end, by_service)] + [
        daily_results(start, end, split(key), tag_key=key) for key in tag_keys]
    body = json.dumps({"results": results, "account_id": account_id}).encode()
    request = urllib.request.Request(endpoint_url.rstrip("/") + MOTO_CE_RESULTS, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            if answer.status not in (200, 201):
                raise SandboxError(f"moto refused the injected cost results (HTTP {answer.status})")
    except OSError as error:
        raise SandboxError(f"cannot inject cost results at {endpoint_url}: {error}",
                           hint="start the sandbox: runbook sandbox up") from error
    return len(results)


__all__ = ["DEFAULT_DAILY_USD", "MOTO_CE_RESULTS", "daily_results", "inject_daily_costs"]
