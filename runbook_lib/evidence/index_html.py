"""``index.html``: the page an auditor opens first in a run folder — the signed digest and signature status at
the top, then phases, statuses, plans, gates, links.

The page is signed with the chain head (its sha256 is in the signed statement), so what it shows at a phase
end is what ``runbook evidence verify`` checks; between signatures it says plainly that it is not sealed.
"""

from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass

from runbook_lib.evidence.manifest import (
    MANIFEST_NAME,
    Manifest,
)
from runbook_lib.evidence.summary_html import render_summary

log = logging.getLogger("runbook_lib.evidence.index_html")

# --------------------------------------------------------------------------------------------
# index.html
# --------------------------------------------------------------------------------------------
_STATUS_COLOURS = {
    "succeeded": "#1a7f37",
    "failed": "#cf222e",
    "running": "#9a6700",
    "pending": "#57606a",
    "skipped": "#8c959f",
}


@dataclass(frozen=True)
class SealView:
    """What the index says about the signature.

    ``status``: ``signed`` (the head is sealed), ``unsealed`` (records after the last signature: a phase is
    running or was interrupted), ``unsigned`` (mode none), ``signing-failed``.
    """

    status: str
    mode: str = ""
    head_sha256: str | None = None
    seq: int | None = None
    algorithm: str | None = None
    key_id: str | None = None
    public_key_sha256: str | None = None
    unsigned_records: int = 0
    error: str | None = None


_SEAL_COLOURS = {"signed": "#1a7f37", "unsealed": "#9a6700", "unsigned": "#cf222e", "signing-failed": "#cf222e"}


def render_seal(view: SealView | None) -> str:
    """The banner at the top of the index: the digest to paste into the change ticket and who signed it."""
    if view is None:
        return ""
    esc = html.escape
    colour = _SEAL_COLOURS.get(view.status, "#000")
    signed = (
        f'chain head sha256 <code id="digest">{esc(str(view.head_sha256))}</code> (record {view.seq})'
        if view.head_sha256
        else "no chain head signed yet"
    )
    key = (
        f"{esc(str(view.algorithm))} key <code>{esc(str(view.key_id))}</code>, public key sha256 "
        f"<code>{esc(str(view.public_key_sha256))}</code>"
    )
    if view.status == "signed":
        text = (
            f"<b>Signed</b>: {signed} by {key}. The digest goes into the change ticket; "
            "check the folder with <code>runbook evidence verify</code>."
        )
    elif view.status == "unsealed":
        text = (
            f"<b>Not sealed</b>: {view.unsigned_records} record(s) after the last signature (a phase is running "
            f"or was interrupted; the next phase end signs them). Last signed: {signed}."
        )
    elif view.status == "signing-failed":
        text = f"<b>Signing failed</b> for {signed}: {esc(str(view.error))}"
    else:
        text = f"<b>Not signed</b>: {esc(view.mode)}. Nothing proves this folder is what the run wrote."
    return f'<p id="seal" style="border:2px solid {colour};padding:8px;color:{colour}">{text}</p>\n'


def _link(relative: str | None, label: str | None = None) -> str:
    if not relative:
        return ""
    return f'<a href="{html.escape(relative, quote=True)}">{html.escape(label or relative)}</a>'


def render_index(manifest: Manifest, seal: SealView | None = None) -> str:
    """The human entry point of a run folder: parameters, phases with statuses, and links to every file."""
    esc = html.escape
    rows = []
    for record in manifest.phases.values():
        colour = _STATUS_COLOURS.get(record.status, "#000")
        links = [
            _link(record.notebook, "notebook"),
            _link(record.html, "html"),
            *(_link(t.file, f"table: {t.name} ({t.rows} rows)") for t in record.tables),
            *(_link(c.file, f"chart: {c.name}") for c in record.charts),
            *(_link(f.file, f"file: {f.name} ({f.bytes} bytes)") for f in record.files_kept),
        ]
        for number, attempt in enumerate(record.attempts, start=1):
            links.append(
                f"attempt {number} ({esc(str(attempt.get('status')))}): "
                + " ".join(
                    filter(None, [_link(attempt.get("notebook"), "notebook"), _link(attempt.get("html"), "html")])
                )
            )
        gates = "<br>".join(
            esc(
                f"{g.get('gate', '?')}: {'approved' if g.get('approved') else g.get('decision', 'rejected')}"
                f" by {g.get('decided_by', g.get('approver', '?'))}"
            )
            for g in record.gates
        )
        plans = "<br>".join(esc(f"{p.stack or ''} {p.sha256[:12]}") for p in record.plans)
        rows.append(
            "<tr>"
            f"<td>{esc(record.name)}</td>"
            f'<td style="color:{colour};font-weight:bold">{esc(record.status)}</td>'
            f"<td>{esc(record.started_at or '')}</td><td>{esc(record.ended_at or '')}</td>"
            f"<td>{plans}</td><td>{gates}</td>"
            f"<td>{'<br>'.join(filter(None, links))}</td>"
            f"<td>{esc(record.error or '')}</td>"
            "</tr>"
        )
    charts = "".join(  # grouped by phase: phase 07 alone draws a figure per phase, the canary, and the bill
        f"<h3>{esc(r.name)}</h3>"
        + "".join(
            f'<figure style="display:inline-block"><a href="{esc(c.file, quote=True)}">'
            f'<img src="{esc(c.file, quote=True)}" alt="{esc(c.name)}" style="max-width:480px"></a>'
            f"<figcaption>{esc(c.name)}</figcaption></figure>"
            for c in r.charts
        )
        for r in manifest.phases.values()
        if r.charts
    )
    params = esc(json.dumps(manifest.params, indent=2, sort_keys=True))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Run {esc(manifest.run_id)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top}}
pre{{background:#f6f8fa;padding:1em}}</style>
</head><body>
<h1>Run {esc(manifest.run_id)}</h1>
{render_seal(seal)}<p>env <b>{esc(str(manifest.env))}</b> · git <code>{esc(manifest.git_commit)}</code> ·
params sha256 <code>{esc(str(manifest.params_hash))}</code> · created {esc(manifest.created_at)} ·
updated {esc(manifest.updated_at)} · <a href="{MANIFEST_NAME}">manifest.json</a></p>
{render_summary(manifest)}<h2>Phases</h2>
<table><thead><tr><th>phase</th><th>status</th><th>started</th><th>ended</th><th>plans</th><th>gates</th>
<th>evidence</th><th>error</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<h2>Charts</h2>{charts or "<p>none</p>"}
<h2>Parameters (redacted)</h2><pre>{params}</pre>
</body></html>
"""
