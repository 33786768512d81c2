"""The named sign-off of a go/no-go: who approved switching, when, and exactly which table they saw.

Why its own gate and not a Terraform gate: what is approved here is a decision to switch production traffic,
not a plan file. It reuses the gate's record (:class:`~runbook_lib.terraform.approval.GateDecision`), with the
go/no-go table's sha256 in place of a plan's, so the evidence shows sign-offs and plan approvals alike and a
table that changed after signing needs new signatures.

Rules:

* only a GO can be signed (a NO-GO raises, naming the red rows);
* a protected environment (params ``protected``) needs **two distinct** approvers, and a person may not
  approve twice (names compared case-insensitively); elsewhere one approver is enough;
* a protected environment is signed by people at the notebook (:meth:`SignOff.approve` from the widget, or
  code an operator runs); the headless path (names from ``cutover.approvers``) is refused there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.cutover.gonogo import GoNoGo
from runbook_lib.errors import SignOffError
from runbook_lib.terraform.approval import DECISIONS, DecisionLog, GateDecision
from runbook_lib.util import utc_now

log = logging.getLogger("runbook_lib.cutover.signoff")

GATE_NAME = "cutover-sign-off"


@dataclass
class SignOff:
    """Sign-offs collected for one go/no-go table.

    Args:
        table: the go/no-go table being signed.
        protected: the environment is protected (two distinct approvers).
        env: the environment's name, for messages.
        decisions: where each approval is recorded (the process-wide gate log by default).
    """

    table: GoNoGo
    protected: bool
    env: str = ""
    decisions: DecisionLog = field(default=DECISIONS, repr=False)
    approvals: list[GateDecision] = field(default_factory=list)

    @property
    def required(self) -> int:
        return 2 if self.protected else 1

    @property
    def digest(self) -> str:
        return self.table.digest()

    @property
    def complete(self) -> bool:
        return len({a.decided_by.lower() for a in self.approvals}) >= self.required

    @property
    def approvers(self) -> list[str]:
        return [a.decided_by for a in self.approvals]

    def approve(self, by: str, *, reason: str = "go/no-go reviewed", mode: str = "interactive") -> GateDecision:
        """Record ``by``'s approval of this table.

        Raises:
            SignOffError: the table is a NO-GO, ``by`` is empty, or ``by`` already approved.
        """
        name = (by or "").strip()
        if not name:
            raise SignOffError("a sign-off needs the approver's name", hint="pass by='<your name>'")
        if not self.table.go:
            raise SignOffError(
                f"{name} cannot sign a NO-GO ({len(self.table.red)} red rows)",
                hint="fix the red rows, build the go/no-go again, then sign",
            )
        if name.lower() in {a.lower() for a in self.approvers}:
            raise SignOffError(
                f"{name} already approved this go/no-go; one person counts once",
                hint=f"a second, different person must approve (env {self.env!r} needs {self.required} approvers)",
            )
        decision = GateDecision(GATE_NAME, True, name, utc_now(), self.digest,
                                f"{reason} ({len(self.approvals) + 1} of {self.required})",
                                {"green": len(self.table.rows)}, mode=mode)
        self.approvals.append(decision)
        self.decisions.record(decision)
        return decision

    def approve_from_params(self, names: Sequence[str], *, gates_mode: str) -> list[GateDecision]:
        """The headless path: ``cutover.approvers`` sign in order (refused on a protected environment)."""
        if self.protected:
            raise SignOffError(
                f"env {self.env!r} is protected: the cutover sign-off is given by {self.required} people at the "
                "notebook, never from cutover.approvers",
                hint="run 08_cutover with gates.mode: interactive and have two people press Approve",
            )
        if len(names) < self.required:
            raise SignOffError(
                f"cutover.approvers names {len(names)} approver(s); env {self.env!r} needs {self.required}",
                hint="add the approvers' names to cutover.approvers in the params file",
            )
        return [self.approve(n, reason=f"named in cutover.approvers ({gates_mode} run)", mode="headless")
                for n in names[: self.required]]

    def require_complete(self, table: GoNoGo | None = None) -> list[GateDecision]:
        """The approvals, or raise when there are too few or the table changed since they were given."""
        if table is not None and table.digest() != self.digest:
            raise SignOffError("the go/no-go table changed after it was signed", hint="sign the new table")
        if not self.complete:
            raise SignOffError(
                f"go/no-go signed by {len(self.approvals)} of the {self.required} approver(s) env {self.env!r} needs"
                + (f" ({', '.join(self.approvers)})" if self.approvals else ""),
                hint="press Approve with your name (a second person on a protected env), then run this cell again",
            )
        return list(self.approvals)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"approver": a.decided_by, "at": a.decided_at, "mode": a.mode,
                              "go/no-go sha256": a.plan_sha256[:16], "reason": a.reason} for a in self.approvals],
                            columns=["approver", "at", "mode", "go/no-go sha256", "reason"])

    def build_widget(self) -> Any:
        """A name box and an Approve button; each click approves as the name typed (ipywidgets)."""
        import ipywidgets as widgets

        from runbook_lib.terraform.approval import current_user

        name = widgets.Text(value=current_user(), description="approver")
        button = widgets.Button(description="Approve go/no-go", button_style="success", icon="check")
        status = widgets.HTML(self._status_text())

        def on_click(_: Any) -> None:
            try:
                self.approve(name.value)
            except SignOffError as error:
                status.value = f"<b style='color:crimson'>{error.one_line()}</b>"
                return
            status.value = self._status_text()

        button.on_click(on_click)
        return widgets.VBox([widgets.HBox([name, button]), status])

    def _status_text(self) -> str:
        done = ", ".join(self.approvers) or "nobody yet"
        return (f"<b>{self.table.decision}</b> table {self.digest[:12]}: signed by {done} "
                f"({len(self.approvals)} of {self.required})")
