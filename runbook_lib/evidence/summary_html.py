"""The auditor's one-minute summary at the top of ``index.html``: what moved and how it was proven, who or what
decided at each gate, the go/no-go, RPO/RTO, the cost estimate, and the time each phase took.

Why from the manifest alone: the index is rewritten on every record and signed with the chain head, so the
summary must be a pure function of what the record log vouches for - the tables' records and the phases'
gates and times - never of files read behind its back. Tables are found by the names their phases record them
under (``<kind>_verification``, ``go_no_go``, ``dr_rpo_rto``, ``cost_estimate``); a missing one is said to be missing.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from runbook_lib.evidence.manifest import Manifest, TableRecord

#: What each migration kind's parity is counted in (the go/no-go uses the same words).
KIND_UNITS: dict[str, str] = {"s3": "objects", "postgres": "rows", "mongo": "documents", "kafka": "records"}

_GREEN, _RED, _GREY = "#1a7f37", "#cf222e", "#57606a"


def _tables(manifest: Manifest, name: str) -> Iterator[tuple[str, TableRecord]]:
    for phase, record in manifest.phases.items():
        for table in record.tables:
            if table.name == name:
                yield phase, table


def _last(manifest: Manifest, name: str) -> tuple[str, TableRecord] | None:
    found = list(_tables(manifest, name))
    return found[-1] if found else None


def _ok(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def _int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _link(table: TableRecord, label: str) -> str:
    return f'<a href="{html.escape(table.file, quote=True)}">{html.escape(label)}</a>'


def _moved(manifest: Manifest) -> str:
    rows = []
    for kind, unit in KIND_UNITS.items():
        found = _last(manifest, f"{kind}_verification")
        if found is None:
            continue
        _, table = found
        records = table.records
        good = all(_ok(r.get("ok")) for r in records) and bool(records)
        digest = hashlib.sha256("".join(f"{r.get('unit')}:{r.get('target_checksum')}\n" for r in records)
                                .encode()).hexdigest()[:16]
        rows.append(
            f"<tr><td>{html.escape(kind)}</td><td>{len(records)}</td>"
            f"<td>{sum(_int(r.get('source_count')) for r in records)} {unit}</td>"
            f"<td>{sum(_int(r.get('target_count')) for r in records)} {unit}</td>"
            f"<td><code>{digest}</code></td>"
            f'<td style="color:{_GREEN if good else _RED};font-weight:bold">{"equal" if good else "DIFFERS"}</td>'
            f"<td>{_link(table, 'verification table')}</td></tr>")
    if not rows:
        return "<p>No data was moved in this run.</p>"
    return ("<table><thead><tr><th>kind</th><th>units</th><th>source</th><th>target</th>"
            "<th>digest of the target checksums</th><th>content</th><th>proof</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _gates(manifest: Manifest) -> str:
    rows = []
    for phase, record in manifest.phases.items():
        for gate in record.gates:
            approved = gate.get("approved")
            colour = _GREEN if approved else _RED
            rows.append(
                f"<tr><td>{html.escape(phase)}</td><td>{html.escape(str(gate.get('gate', '?')))}</td>"
                f'<td style="color:{colour}">{"approved" if approved else "refused"}</td>'
                f"<td>{html.escape(str(gate.get('decided_by', '?')))}</td>"
                f"<td>{html.escape(str(gate.get('decided_at') or gate.get('recorded_at') or ''))}</td>"
                f"<td><code>{html.escape(str(gate.get('plan_sha256') or '')[:12])}</code></td></tr>")
    if not rows:
        return "<p>No gate was decided in this run.</p>"
    return ("<table><thead><tr><th>phase</th><th>gate</th><th>decision</th><th>by</th><th>when</th>"
            "<th>sha256 decided on</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _go_no_go(manifest: Manifest) -> str:
    found = _last(manifest, "go_no_go")
    if found is None:
        return "<p>Go/no-go: not built in this run.</p>"
    _, table = found
    red = [r for r in table.records if r.get("status") != "green"]
    verdict = "GO" if table.records and not red else "NO-GO"
    colour = _GREEN if verdict == "GO" else _RED
    shown = "; ".join(html.escape(f"{r.get('check')}: {r.get('detail')}") for r in red[:5])
    return (f'<p>Go/no-go: <b style="color:{colour}">{verdict}</b> - {len(table.records) - len(red)} green, '
            f"{len(red)} red{': ' + shown if shown else ''} ({_link(table, 'table')})</p>")


def _recovery(manifest: Manifest) -> str:
    found = _last(manifest, "dr_rpo_rto")
    if found is None:
        return "<p>RPO/RTO: no DR drill in this run.</p>"
    _, table = found
    parts = []
    for row in table.records:
        met = _ok(row.get("met"))
        parts.append(f'<b style="color:{_GREEN if met else _RED}">{html.escape(str(row.get("measure")))} '
                     f'{html.escape(str(row.get("seconds")))} s</b> (target {html.escape(str(row.get("target_s")))} s)')
    return f"<p>DR drill: {', '.join(parts)} ({_link(table, 'table')})</p>"


#: Tables holding the monthly cost estimate, in order of preference, and the column summed in each.
COST_TABLES: tuple[tuple[str, str], ...] = (
    ("cost_estimate", "monthly_usd"),
    ("cost_estimate_vs_actual", "estimate_usd_month"),
    ("cost_estimate_by_stack", "monthly_usd"),
)


def estimate_total(records: list[dict[str, Any]], column: str) -> float:
    """The sum of ``column`` over the rows, a row whose first cell is ``total`` left out (it would count twice)."""
    total = 0.0
    for row in records:
        if str(next(iter(row.values()), "")).strip().lower() == "total":
            continue
        try:
            total += float(row.get(column) or 0)
        except (TypeError, ValueError):
            continue
    return total


def _cost(manifest: Manifest) -> str:
    for name, column in COST_TABLES:
        found = _last(manifest, name)
        if found is not None:
            _, table = found
            total = estimate_total(table.records, column)
            return f"<p>Cost estimate: <b>USD {total:,.2f} per month</b> ({_link(table, 'table')})</p>"
    return "<p>Cost estimate: not recorded in this run.</p>"


def _seconds(record: Any) -> float | None:
    if not (record.started_at and record.ended_at):
        return None
    try:
        start = datetime.fromisoformat(record.started_at.replace("Z", "+00:00"))
        end = datetime.fromisoformat(record.ended_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (end - start).total_seconds())


def phase_times_svg(manifest: Manifest) -> str:
    """A horizontal bar per phase (seconds from start to end), inline SVG so the signed page holds it."""
    rows = [(name, _seconds(record), record.status) for name, record in manifest.phases.items()]
    timed = [(n, s, st) for n, s, st in rows if s is not None]
    if not timed:
        return "<p>No phase has finished yet.</p>"
    longest = max(s for _, s, _ in timed) or 1.0
    bar_h, label_w, width = 18, 230, 420
    parts = []
    for index, (name, seconds, status) in enumerate(timed):
        y = index * (bar_h + 4)
        w = max(1.0, width * seconds / longest)
        colour = _GREEN if status == "succeeded" else (_RED if status == "failed" else _GREY)
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{html.escape(name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="12">{seconds:.0f} s</text>')
    total = sum(s for _, s, _ in timed)
    height = len(timed) * (bar_h + 4)
    return (f'<svg id="phase-times" role="img" aria-label="time per phase" width="{label_w + width + 70}" '
            f'height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
            f"<p>{len(timed)} phases, {total:.0f} s in total.</p>")


def render_summary(manifest: Manifest) -> str:
    """The summary section (HTML), placed right under the seal banner of the index."""
    return (
        '<section id="summary"><h2>Summary</h2>'
        "<h3>What moved, and how it was proven</h3>" + _moved(manifest)
        + "<h3>Decisions</h3>" + _go_no_go(manifest) + _recovery(manifest) + _cost(manifest)
        + "<h3>Gates: who or what decided</h3>" + _gates(manifest)
        + "<h3>Time per phase</h3>" + phase_times_svg(manifest)
        + "</section>\n"
    )
