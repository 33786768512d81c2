"""The pull request comment of the plan job: counts per stack, every change, the cost estimate.

Why markdown from ``runbook tf plan --json``: the JSON summary holds addresses, types and actions but
no attribute values (a plan's values may be secrets), so it is safe to post where everyone with read
access to the repository can see it. The change lists are folded (``<details>``) so the comment opens
on the counts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

ACTIONS = ("create", "update", "replace", "delete", "read", "forget")


def _summary(path: Path) -> dict:
    data = json.loads(path.read_text())
    return data.get("summary", data)


def cost_markdown(cost_files: Sequence[Path]) -> str:
    """A table of ``runbook cost estimate --json`` files: monthly USD and what is not priced, per stack."""
    lines = ["| stack | USD / month | resources | not priced | price table |", "|---|---:|---:|---:|---|"]
    total = 0.0
    for path in sorted(cost_files):
        summary = json.loads(path.read_text()).get("summary", {})
        usd = float(summary.get("monthly_usd") or 0.0)
        total += usd
        lines.append(
            f"| `{summary.get('stack') or path.stem}` | {usd:,.2f} | {summary.get('resources', 0)} | "
            f"{len(summary.get('not_priced') or ())} | {summary.get('price_table_date', '')} |"
        )
    lines.append(f"| **total** | **{total:,.2f}** | | | |")
    return "\n".join(lines)


def plan_comment(plan_files: Sequence[Path], *, cost_markdown: str | None = None, title: str = "Plan") -> str:
    """Markdown for a pull request: a row of counts per stack, the changes folded, the cost table last."""
    lines = [f"### {title}", "", "| stack | " + " | ".join(ACTIONS) + " |", "|---|" + "---:|" * len(ACTIONS)]
    details = []
    for path in sorted(plan_files):
        summary = _summary(path)
        counts = summary.get("counts", {})
        lines.append(f"| `{path.stem}` | " + " | ".join(str(counts.get(a, 0)) for a in ACTIONS) + " |")
        changes = summary.get("changes", [])
        if changes:
            rows = "\n".join(f"| `{c['address']}` | `{c['type']}` | {c['action']} |" for c in changes)
            details.append(
                f"<details><summary>{path.stem}: {len(changes)} change(s)</summary>\n\n"
                f"| address | type | action |\n|---|---|---|\n{rows}\n\n</details>"
            )
    lines.append("")
    lines.extend(details)
    if cost_markdown:
        lines += ["", "#### Cost estimate", "", cost_markdown.strip()]
    return "\n".join(lines) + "\n"
