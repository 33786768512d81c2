"""The plan review an operator approves at a gate, as one HTML block: JupyterLab and the HTML export alike.

Why one HTML block of our own rather than a few DataFrames: pandas cuts every cell at
``display.max_colwidth`` (50 characters) when it renders a frame, so two resources whose addresses
differ only at the end (``module.data_lake.module.bucket["raw"].aws_s3_bucket.this`` and
``…["curated"]…``) read the same; and a DataFrame's widget-free HTML is all an exported notebook keeps.
Here every table is rendered whole (escaped), the detail an operator reads second — every change,
the attributes of each update and replace, the drift — sits in ``<details>`` elements, which both
JupyterLab and a static HTML page fold without any script.

What is shown, top to bottom: the headline (stack, plan sha256, counts), what destroys data, the
summary by stack, module and resource type, the cost estimate when one is given (any DataFrame; the
cost engineer's estimate is passed in by the caller), every change with its full address, the root
outputs that change (later stacks read them, so a plan that changes only outputs still asks for a
decision, and the review must say why), the changed attributes of every update and replace, and the
drift the plan's refresh found. Values are the plan model's, already masked
(:data:`~runbook_lib.terraform.plan.SENSITIVE`); the HTML is redacted once more.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runbook_lib import redact
from runbook_lib.terraform.plan import ACTIONS, ROOT_MODULE, Plan, ResourceChange, render_value

if TYPE_CHECKING:
    import pandas as pd

#: Actions whose attribute changes the review lists one by one.
DETAILED_ACTIONS = ("update", "replace")
_STYLE = (
    "<style>.runbook-plan-review table{border-collapse:collapse;margin:4px 0 8px}"
    ".runbook-plan-review td,.runbook-plan-review th{border:1px solid #ccc;padding:2px 6px;text-align:left;"
    "vertical-align:top;white-space:pre-wrap;word-break:break-all}"
    ".runbook-plan-review summary{cursor:pointer;margin:4px 0}</style>"
)


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole HTML table (no cell is cut), every value escaped."""
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _frame_table(frame: pd.DataFrame) -> str:
    return _table([str(c) for c in frame.columns], frame.itertuples(index=False, name=None))


def _details(summary: str, content: str, *, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>{content}</details>"


@dataclass(frozen=True)
class SummaryRow:
    """Counts of one (stack, module, resource type) group, by action."""

    stack: str
    module: str
    type: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class PlanView:
    """What the gate shows for one stack's saved plan.

    Args:
        plan: the parsed plan.
        stack: the stack's name (its folder).
        plan_sha256: the plan file's sha256 (what the gate decides on).
        gate: the gate's name, for the headline.
        cost_estimate: an optional table (DataFrame) of the estimated cost of the plan, shown as given.
        drift: a refresh-only plan to show the drift of; by default the drift the plan's own refresh found.
        destructive: rows (address, what is destroyed, allowed by params) of the destroy guard's findings.
    """

    plan: Plan
    stack: str
    plan_sha256: str
    gate: str | None = None
    cost_estimate: pd.DataFrame | None = None
    drift: Plan | None = None
    destructive: tuple[tuple[str, str, bool], ...] = ()

    # -- tables ---------------------------------------------------------------------------------
    def summary_rows(self) -> list[SummaryRow]:
        """One row per (module, resource type) that the plan changes, the biggest first."""
        groups: Counter[tuple[str, str, str]] = Counter()
        for rc in self.plan.resource_changes.values():
            if rc.action != "no-op":
                groups[(rc.module_address or ROOT_MODULE, rc.type, rc.action)] += 1
        table: dict[tuple[str, str], dict[str, int]] = {}
        for (module, rtype, action), n in groups.items():
            table.setdefault((module, rtype), {})[action] = n
        rows = [SummaryRow(self.stack, m, t, c) for (m, t), c in table.items()]
        return sorted(rows, key=lambda r: (-r.total, r.module, r.type))

    def summary_frame(self) -> pd.DataFrame:
        """Columns stack, module, type, one per action present, total."""
        import pandas as pd

        rows = self.summary_rows()
        present = [a for a in ACTIONS if a != "no-op" and any(a in r.counts for r in rows)]
        return pd.DataFrame(
            [[r.stack, r.module, r.type, *(r.counts.get(a, 0) for a in present), r.total] for r in rows],
            columns=["stack", "module", "type", *present, "total"],
        )

    def changes_frame(self) -> pd.DataFrame:
        """Every change with its full address (deposed objects keyed apart), type, action and Terraform's reason."""
        import pandas as pd

        rows = [(k, rc.type, rc.action, rc.action_reason or "") for k, rc in self.plan.changes.items()]
        return pd.DataFrame(rows, columns=["address", "type", "action", "reason"])

    def attribute_frame(self, changes: Iterable[ResourceChange] | None = None) -> pd.DataFrame:
        """The changed attributes of every update and replace: address, action, attribute, before, after."""
        import pandas as pd

        picked = changes if changes is not None else self._detailed()
        rows = [
            (rc.key, rc.action, a.path, a.before, a.after, a.forces_replacement)
            for rc in picked
            for a in rc.attribute_changes()
        ]
        return pd.DataFrame(rows, columns=["address", "action", "attribute", "before", "after", "forces replacement"])

    def output_frame(self) -> pd.DataFrame:
        """The root outputs that change: output, action, before, after (sensitive values already masked)."""
        import pandas as pd

        rows = [
            (name, oc.action, render_value(oc.before), render_value(oc.after))
            for name, oc in self.plan.output_changes.items()
            if oc.action != "no-op"
        ]
        return pd.DataFrame(rows, columns=["output", "action", "before", "after"])

    def drift_changes(self) -> list[ResourceChange]:
        source = self.drift.resource_drift if self.drift is not None else self.plan.resource_drift
        return [rc for rc in source.values() if rc.action != "no-op"]

    def _detailed(self) -> list[ResourceChange]:
        return [rc for rc in self.plan.changes.values() if rc.action in DETAILED_ACTIONS]

    # -- HTML -----------------------------------------------------------------------------------
    def _headline(self) -> str:
        counts = {a: n for a, n in self.plan.counts().items() if n and a != "no-op"}
        said = ", ".join(f"{n} {a}" for a, n in counts.items()) or "no changes"
        gate = f"Gate <code>{_esc(self.gate)}</code>: " if self.gate else ""
        outputs = len(self.output_frame())
        also = f", {outputs} output change(s)" if outputs else ""
        return (
            f"<h4>{gate}stack <code>{_esc(self.stack)}</code>, plan <code>{_esc(self.plan_sha256[:12])}</code>"
            f" — {len(self.plan.changes)} changes ({_esc(said)}){also}</h4>"
            f"<p>plan sha256 <code>{_esc(self.plan_sha256)}</code></p>"
        )

    def _attribute_section(self) -> str:
        detailed = self._detailed()
        if not detailed:
            return "<p>No update or replace in this plan.</p>"
        blocks = []
        for rc in detailed:
            frame = self.attribute_frame([rc])
            label = f"<code>{_esc(rc.key)}</code> — {_esc(rc.action)}, {len(frame)} attribute(s)"
            blocks.append(_details(label, _frame_table(frame.drop(columns=["address", "action"]))))
        return _details(
            f"What changes on the {len(detailed)} update(s) and replace(s), attribute by attribute", "".join(blocks)
        )

    def _drift_section(self) -> str:
        drifted = self.drift_changes()
        if not drifted:
            return "<p>Drift: the refresh found nothing changed outside Terraform.</p>"
        frame = self.attribute_frame(drifted)
        return _details(
            f"<b>Drift</b>: the refresh found {len(drifted)} resource(s) changed outside Terraform",
            _frame_table(frame.drop(columns=["action"])),
        )

    def to_html(self) -> str:
        """The whole review as one HTML block (redacted)."""
        parts = [_STYLE, '<div class="runbook-plan-review">', self._headline()]
        if self.destructive:
            parts.append(
                "<p><b style='color:crimson'>Deletes, replaces or destroys data of resources that hold data:</b></p>"
            )
            parts.append(_table(["address", "destroys data", "allowed by params"], self.destructive))
        parts.append("<h5>Summary by stack, module and resource type</h5>")
        summary = self.summary_frame()
        parts.append(_frame_table(summary) if len(summary) else "<p>No changes.</p>")
        if self.cost_estimate is not None:
            parts.append("<h5>Cost estimate</h5>")
            parts.append(_frame_table(self.cost_estimate))
        changes = self.changes_frame()
        if len(changes):
            parts.append(_details(f"All {len(changes)} changes, full addresses", _frame_table(changes)))
        outputs = self.output_frame()
        if len(outputs):
            parts.append(_details(f"{len(outputs)} output change(s): later stacks read these", _frame_table(outputs)))
        parts.append(self._attribute_section())
        parts.append(self._drift_section())
        parts.append("</div>")
        return redact.redact_text("".join(parts))

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_text(self) -> str:
        """The same review as plain text (a terminal, the ``text/plain`` part of a notebook output), uncut."""
        import pandas as pd

        counts = {a: n for a, n in self.plan.counts().items() if n and a != "no-op"}
        lines = [f"stack {self.stack}, plan {self.plan_sha256}: {len(self.plan.changes)} changes {counts}"]
        lines += [
            f"DESTROYS DATA: {a} ({what}){' allowed by params' if ok else ''}" for a, what, ok in self.destructive
        ]
        with pd.option_context("display.max_colwidth", None, "display.width", None):
            for title, frame in (
                ("summary", self.summary_frame()),
                ("cost estimate", self.cost_estimate),
                ("changes", self.changes_frame()),
                ("output changes", self.output_frame()),
                ("attributes of updates and replaces", self.attribute_frame()),
                ("drift", self.attribute_frame(self.drift_changes())),
            ):
                if frame is not None and len(frame):
                    lines += [f"-- {title}", frame.to_string(index=False)]
        return redact.redact_text("\n".join(lines))

    def __str__(self) -> str:
        return self.to_text()

    def show(self) -> None:
        """Display in the running notebook (JupyterLab, papermill); nothing outside a kernel."""
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython comes with the notebook stack
            return
        if get_ipython() is not None:
            display(self)
