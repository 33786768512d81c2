"""The gate asks a person or a policy to approve a plan; the guard (``destroy_guard``) refuses destructive ones.

Nothing is applied until a person or a written policy has approved *this* plan file.

Why a decision is tied to a sha256: a gate approves what was reviewed. A
decision names the plan file's sha256, and ``TerraformRunner.apply`` refuses a
decision for any other file (and a plan file that changed since review), so a
re-plan after approval needs a new approval.

Two gates share one decision type:

* :func:`headless_gate` - the params' policy (``gates.auto_approve_actions``): approve
  only if every resource change's action is in the list. ``no-op`` is always allowed
  (it changes nothing); an update that destroys data (:mod:`~runbook_lib.terraform.data_loss`)
  counts as a ``delete``. On a *protected* environment (params ``protected: true``) no
  policy approves a delete, a replace or a data-destroying change, whatever it lists:
  a person must.
* :func:`interactive_gate` - in JupyterLab, show the plan tables and Approve / Reject
  buttons, and return a :class:`PendingGate` at once. Nothing waits on the
  click: a cell cannot block while the kernel needs to process the click, so
  the *next* cell's ``runner.apply(review, gate=pending)`` raises
  ``PlanError("not approved yet")`` until a button was pressed.

A plan that changes nothing passes every gate without asking anyone, as Terraform does ("No changes"), and the
pass is recorded like any decision: ``mode="no-changes"``, ``decided_by="nothing to apply"``, approved. "Nothing"
is strict (:func:`nothing_to_apply`): Terraform's own ``applyable`` must be ``false`` (it is ``true`` for a
refresh-only plan that would write drift to the state, and absent from a Terraform too old to say: then a person
or the policy is asked as before), and every resource change *and every root output change* is ``no-op``. An
output change needs a decision although no real object changes: later stacks read these outputs through remote
state, so a changed output changes what they build (Terraform asks too, "Changes to Outputs"). A ``read``
(data source read at apply) or ``forget`` is a change as well. So a gate is never skipped for a plan holding any
create, update, delete, replace, read or forget.

Every decision, approval or rejection, is appended to :data:`DECISIONS`, which
the evidence ledger reads (``to_dict()`` on each entry), so a rejection is on
record even though it ends the run.
"""

from __future__ import annotations

import getpass
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runbook_lib.errors import PlanError, PlanRejectedError
from runbook_lib.terraform.data_loss import data_loss_reasons
from runbook_lib.terraform.destroy_guard import destructive_findings
from runbook_lib.terraform.plan import DESTRUCTIVE_ACTIONS
from runbook_lib.terraform.plan_view import PlanView
from runbook_lib.util import utc_now

if TYPE_CHECKING:
    from runbook_lib.terraform.plan import Plan

log = logging.getLogger("runbook_lib.terraform.approval")

#: Actions that need no approval: they change nothing.
ALWAYS_ALLOWED = frozenset({"no-op"})
#: ``GateDecision.mode`` and ``decided_by`` of a plan that changes nothing: no one was asked (see the module doc).
NO_CHANGES_MODE = "no-changes"
NOTHING_TO_APPLY = "nothing to apply"


class ReviewLike(Protocol):
    """What a gate needs of a plan review (``runbook_lib.terraform.review.PlanReview``)."""

    @property
    def plan(self) -> Plan: ...

    @property
    def plan_sha256(self) -> str: ...

    @property
    def plan_path(self) -> Path: ...


@dataclass(frozen=True)
class GateDecision:
    """One gate's verdict on one plan file."""

    gate: str
    approved: bool
    decided_by: str
    decided_at: str  # UTC, ISO 8601
    plan_sha256: str
    reason: str
    #: Changes per action at decision time, so the record stands on its own.
    counts: dict[str, int] = field(default_factory=dict)
    mode: str = "headless"  # "headless" | "interactive" | "terminal" | "no-changes" (NO_CHANGES_MODE)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DecisionLog:
    """The decisions taken in this process, in order; thread-safe (widget callbacks run on other threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decisions: list[GateDecision] = []
        self._listeners: list[Callable[[GateDecision], None]] = []

    def record(self, decision: GateDecision) -> GateDecision:
        with self._lock:
            self._decisions.append(decision)
            listeners = list(self._listeners)
        log.info(
            "gate %s %s by %s for plan %s: %s",
            decision.gate,
            "approved" if decision.approved else "REJECTED",
            decision.decided_by,
            decision.plan_sha256[:12],
            decision.reason,
        )
        for listener in listeners:
            listener(decision)
        return decision

    def subscribe(self, listener: Callable[[GateDecision], None]) -> None:
        """Call ``listener(decision)`` for every decision recorded from now on (the evidence ledger)."""
        with self._lock:
            self._listeners.append(listener)

    @property
    def decisions(self) -> list[GateDecision]:
        """A copy of the decisions so far."""
        with self._lock:
            return list(self._decisions)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [d.to_dict() for d in self.decisions]

    def clear(self) -> None:
        with self._lock:
            self._decisions.clear()


#: The process-wide decision log.
DECISIONS = DecisionLog()



def current_user() -> str:
    """Who is at the keyboard: the JupyterHub user if any, else the OS user."""
    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


def _described(action: str, loss: str | None) -> str:
    return f"{action}: destroys data ({loss})" if loss else action


def disallowed_changes(plan: Plan, allowed_actions: Sequence[str]) -> dict[str, str]:
    """Changes the policy ``allowed_actions`` does not cover: address -> action.

    ``no-op`` always passes. A change that destroys data in place passes only if ``delete`` is allowed
    too (it is a delete in all but name); its entry says so: ``update: destroys data (…)``.
    """
    allowed = set(allowed_actions) | ALWAYS_ALLOWED
    losses = data_loss_reasons(plan)
    out: dict[str, str] = {}
    for key, rc in plan.resource_changes.items():
        loss = losses.get(key)
        if rc.action not in allowed or (loss and "delete" not in allowed):
            out[key] = _described(rc.action, loss)
    return out


def protected_changes(plan: Plan) -> dict[str, str]:
    """What no policy may approve on a protected environment: every delete or replace, and every change that
    destroys data in place (address -> action)."""
    losses = data_loss_reasons(plan)
    return {
        key: _described(rc.action, losses.get(key))
        for key, rc in plan.resource_changes.items()
        if rc.action in DESTRUCTIVE_ACTIONS or key in losses
    }


def nothing_to_apply(plan: Plan) -> bool:
    """Whether applying ``plan`` would change nothing at all, so no one need approve it.

    Why both Terraform's word and ours: ``applyable: false`` also covers what the model does not keep (a ``moved``
    block, an import, drift a refresh-only plan would save); the model's own check (every resource and root output
    change ``no-op``) keeps a wrong ``applyable`` from letting a change through. A plan without ``applyable`` (a
    Terraform too old to say) never passes here.
    """
    return plan.applyable is False and not plan.errored and not plan.has_changes


def no_changes_decision(
    review: ReviewLike, *, gate: str = "apply", decisions: DecisionLog = DECISIONS
) -> GateDecision | None:
    """The recorded pass of a plan that changes nothing, or None when it changes anything (then a gate must ask)."""
    plan = review.plan
    if not nothing_to_apply(plan):
        return None
    return decisions.record(
        GateDecision(
            gate,
            True,
            NOTHING_TO_APPLY,
            utc_now(),
            review.plan_sha256,
            "the plan changes no resource and no output (Terraform: not applyable): nothing to approve",
            plan.counts(),
            mode=NO_CHANGES_MODE,
        )
    )


def _listed(changes: dict[str, str], limit: int = 10) -> str:
    shown = ", ".join(f"{a} ({act})" for a, act in list(changes.items())[:limit])
    return shown + (f" and {len(changes) - limit} more" if len(changes) > limit else "")


def _reject(
    decision: GateDecision, review: ReviewLike, disallowed: dict[str, str], *, hint: str | None = None
) -> PlanRejectedError:
    error = PlanRejectedError(
        decision.gate,
        decision.reason,
        decided_by=decision.decided_by,
        plan_sha256=review.plan_sha256,
        summary=review.plan.counts(),
        disallowed=disallowed,
    )
    if hint:
        error.hint = hint
        error.args = (error.one_line(),)
    return error


def headless_gate(
    review: ReviewLike,
    policy_actions: Sequence[str],
    approver: str | None = None,
    *,
    gate: str = "apply",
    decisions: DecisionLog = DECISIONS,
    protected: bool = False,
    env: str | None = None,
    policy_name: str = "gates.auto_approve_actions",
) -> GateDecision:
    """Approve ``review`` by policy, or raise.

    Args:
        review: the plan review.
        policy_actions: ``gates.auto_approve_actions``.
        approver: the name the decision is recorded under (``gates.approver``); defaults to ``policy``.
        gate: the gate's name in the evidence (e.g. ``phase2-apply``).
        decisions: where the decision is recorded.
        protected: the environment is protected (params ``protected``): no delete, replace or
            data-destroying change passes, whatever ``policy_actions`` lists.
        env: the environment's name, for the rejection's message.
        policy_name: how the policy was asked for, for the message (the CLI names ``--auto-approve-policy``).

    Returns:
        The approving decision (``mode="no-changes"`` when the plan changes nothing: :func:`no_changes_decision`).

    Raises:
        PlanRejectedError: some change is outside the policy (or, on a protected environment, deletes,
            replaces or destroys data); the error carries the plan's counts and the offending addresses.
            The rejection is recorded first.
    """
    unchanged = no_changes_decision(review, gate=gate, decisions=decisions)
    if unchanged is not None:
        return unchanged
    plan = review.plan
    refused = protected_changes(plan) if protected else {}
    disallowed = {**disallowed_changes(plan, policy_actions), **refused}
    decided_by = f"policy:{approver}" if approver else "policy"
    n_changes = len(plan.changes)
    hint = None
    if refused:
        reason = (
            f"env {env or '(unnamed)'!r} is protected (params protected: true): {policy_name} never approves a "
            f"delete, a replace or a change that destroys data there, whatever it lists; "
            f"{len(refused)} of {n_changes} changes need a person: {_listed(refused)}"
        )
        hint = (
            "have a person approve this plan: `runbook tf apply` at a terminal (answer yes) or the Approve "
            "button of the notebook's gate (gates.mode: interactive)"
        )
    elif disallowed:
        reason = (
            f"{len(disallowed)} of {n_changes} changes are outside the policy "
            f"[{', '.join(policy_actions)}]: {_listed(disallowed)}"
        )
    else:
        reason = f"all {n_changes} changes are within the policy [{', '.join(policy_actions)}]"
    decision = decisions.record(
        GateDecision(
            gate, not disallowed, decided_by, utc_now(), review.plan_sha256, reason, plan.counts()
        )
    )
    if disallowed:
        raise _reject(decision, review, disallowed, hint=hint)
    return decision


def _execution_count() -> int | None:
    """The running cell's number in IPython (None outside a kernel): which cell already shows a gate's widget."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook stack
        return None
    shell = get_ipython()
    return None if shell is None else int(shell.execution_count)


class PendingGate:
    """An interactive gate waiting for a click; ``decision`` is None until then.

    The buttons call :meth:`approve` / :meth:`reject`; code (or a test) may call
    them too. Only the first decision counts. A plan that changes nothing is
    decided when the gate is made (:func:`no_changes_decision`) and has no buttons.

    In a notebook a gate shows itself as its widget, never as text: a cell's result
    (``Out[]``) is rendered once, when the cell ends, so a text repr left there would
    still say "pending" after the click. The widget's status line is the one place
    that shows the state, re-rendered by the click; the cell that made the gate
    already shows it, so echoing the gate there adds nothing, and echoing it in a
    later cell shows the same live widget again.
    """

    def __init__(
        self,
        review: ReviewLike,
        *,
        gate: str = "apply",
        approver: str | None = None,
        decisions: DecisionLog = DECISIONS,
    ) -> None:
        self.review = review
        self.gate = gate
        self.approver = approver
        self._decisions = decisions
        self._lock = threading.Lock()
        self.decision: GateDecision | None = None
        self.widget: Any = None
        self._status: Any = None
        self._buttons: tuple[Any, ...] = ()
        self._shown_in: int | None = None  # the IPython cell that displayed the widget

    def __repr__(self) -> str:
        d = self.decision
        by = f" by {d.decided_by} ({d.mode})" if d else ""
        return f"<PendingGate {self.gate!r} plan {self.review.plan_sha256[:12]}: {self.state}{by}>"

    def _ipython_display_(self) -> None:
        """Show the live widget (see the class doc); nothing in the cell that already shows it."""
        from IPython.display import display

        count = _execution_count()
        if self.widget is not None and count is not None and self._shown_in == count:
            return
        display(self.widget if self.widget is not None else self.build_widget())
        self._shown_in = count

    @property
    def state(self) -> str:
        """``pending``, ``approved`` or ``rejected``."""
        if self.decision is None:
            return "pending"
        return "approved" if self.decision.approved else "rejected"

    def _decide(self, approved: bool, by: str | None, reason: str) -> GateDecision:
        with self._lock:
            if self.decision is not None:
                if self.decision.approved == approved:
                    return self.decision
                raise PlanError(
                    f"gate {self.gate!r} was already {self.state} by {self.decision.decided_by}",
                    hint="plan again for a new decision",
                )
            self.decision = GateDecision(
                self.gate,
                approved,
                by or self.approver or current_user(),
                utc_now(),
                self.review.plan_sha256,
                reason,
                self.review.plan.counts(),
                mode="interactive",
            )
        self._decisions.record(self.decision)
        self._show_status()
        return self.decision

    def approve(
        self, by: str | None = None, reason: str = "approved after review in the notebook"
    ) -> GateDecision:
        return self._decide(True, by, reason)

    def reject(
        self, by: str | None = None, reason: str = "rejected after review in the notebook"
    ) -> GateDecision:
        return self._decide(False, by, reason)

    def require_approved(self) -> GateDecision:
        """The approving decision; ``PlanError`` while pending, ``PlanRejectedError`` if rejected."""
        decision = self.decision
        if decision is None:
            raise PlanError(
                f"gate {self.gate!r}: not approved yet",
                hint="press Approve (or Reject) under the plan tables, then run this cell again",
            )
        if not decision.approved:
            raise _reject(decision, self.review, {})
        return decision

    def status_html(self) -> str:
        """The status line: pending, the decision (who, when, which plan), or why no click was needed."""
        sha = self.review.plan_sha256[:12]
        d = self.decision
        if d is None:
            return f"<b>PENDING</b>: plan {sha} awaits a decision"
        if d.mode == NO_CHANGES_MODE:
            return (
                f"<b style='color:green'>NO CHANGES</b>: plan {sha} changes no resource and no output, so it passed "
                f"without a click (recorded at {d.decided_at} as {NO_CHANGES_MODE!r}, by {d.decided_by!r})"
            )
        colour, then = ("green", "the apply runs this plan file") if d.approved else (
            "crimson", "nothing is applied; plan again for a new decision")
        return (
            f"<b style='color:{colour}'>{self.state.upper()}</b> by {d.decided_by} at {d.decided_at} "
            f"(plan {d.plan_sha256[:12]}): {then}"
        )

    def _show_status(self) -> None:
        if self._status is None or self.decision is None:
            return
        self._status.value = self.status_html()
        for button in self._buttons:
            button.disabled = True

    def build_widget(self) -> Any:
        """The Approve / Reject buttons, a reason box and a status line (ipywidgets); the status line alone for a
        plan that changes nothing."""
        import ipywidgets as widgets

        if self.decision is not None and self.decision.mode == NO_CHANGES_MODE:
            self._status = widgets.HTML(self.status_html())
            self.widget = widgets.VBox([self._status])
            return self.widget
        approve = widgets.Button(description="Approve", button_style="success", icon="check")
        reject = widgets.Button(description="Reject", button_style="danger", icon="times")
        reason = widgets.Text(
            placeholder="reason (optional, recorded in the evidence)", layout={"width": "40em"}
        )
        self._status = widgets.HTML(self.status_html())
        self._buttons = (approve, reject)

        def on_approve(_: Any) -> None:
            self.approve(reason=reason.value or "approved after review in the notebook")

        def on_reject(_: Any) -> None:
            self.reject(reason=reason.value or "rejected after review in the notebook")

        approve.on_click(on_approve)
        reject.on_click(on_reject)
        self.widget = widgets.VBox([widgets.HBox([approve, reject, reason]), self._status])
        self._show_status()
        return self.widget


def interactive_gate(
    review: ReviewLike,
    *,
    gate: str = "apply",
    approver: str | None = None,
    allow_destroy: Sequence[str] = (),
    display: bool = True,
    max_rows: int = 200,
    decisions: DecisionLog = DECISIONS,
    cost_estimate: Any = None,
) -> PendingGate:
    """Show the plan for review with Approve / Reject buttons; return at once with a :class:`PendingGate`.

    A plan that changes nothing (:func:`nothing_to_apply`) is shown with a status line saying so instead of
    buttons; its gate is already decided (``mode="no-changes"``), so the apply below needs no click.

    Args:
        review: the plan review.
        gate: the gate's name in the evidence.
        approver: recorded as ``decided_by`` (default: the JupyterHub or OS user).
        allow_destroy: ``terraform.allow_destroy``, to mark destructive changes that are allowed.
        display: render in the notebook (False builds the widget only, e.g. for tests).
        max_rows: unused (kept for callers): the review lists every change, folded (``plan_view``).
        decisions: where the decision is recorded.
        cost_estimate: an optional table (DataFrame) of the plan's estimated cost, shown in the review.
    """
    pending = PendingGate(review, gate=gate, approver=approver, decisions=decisions)
    pending.decision = no_changes_decision(review, gate=gate, decisions=decisions)
    widget = pending.build_widget()
    if display:
        from IPython.display import display as show

        findings = destructive_findings(review.plan, allow_destroy)
        view = PlanView(
            review.plan,
            stack=Path(getattr(review, "stack_dir", review.plan_path.parent)).name,
            plan_sha256=review.plan_sha256,
            gate=gate,
            cost_estimate=cost_estimate,
            destructive=tuple((f.address, f.what, f.allowed) for f in findings),
        )
        show(view)  # one HTML block, whole addresses, detail folded: Lab and HTML export alike
        show(widget)
        pending._shown_in = _execution_count()
    return pending


def terminal_gate(
    review: ReviewLike,
    *,
    gate: str = "apply",
    approver: str | None = None,
    ask: Callable[[str], str] = input,
    decisions: DecisionLog = DECISIONS,
) -> GateDecision:
    """Ask at a terminal: approve only on the exact answer ``yes`` (as Terraform does).

    A plan that changes nothing is not asked about (Terraform does not ask either): its pass is recorded
    (:func:`no_changes_decision`) and returned.

    Raises:
        PlanRejectedError: any other answer (recorded first).
    """
    unchanged = no_changes_decision(review, gate=gate, decisions=decisions)
    if unchanged is not None:
        return unchanged
    counts = {a: n for a, n in review.plan.counts().items() if n and a != "no-op"}
    answer = ask(f"Apply plan {review.plan_sha256[:12]} ({counts or 'no changes'})? Only 'yes' approves: ")
    approved = answer.strip() == "yes"
    decision = decisions.record(
        GateDecision(
            gate,
            approved,
            approver or current_user(),
            utc_now(),
            review.plan_sha256,
            "confirmed at the terminal" if approved else f"answered {answer.strip()[:20]!r} at the terminal",
            review.plan.counts(),
            mode="terminal",
        )
    )
    if not approved:
        raise _reject(decision, review, {})
    return decision


def require_approval(gate: GateDecision | PendingGate | None, review: ReviewLike) -> GateDecision:
    """The approving decision for exactly this review's plan file, or raise.

    Raises:
        PlanError: no gate, a gate still pending, or a decision about another plan file.
        PlanRejectedError: the gate rejected the plan.
    """
    if gate is None:
        raise PlanError(
            "apply needs an approved gate decision",
            hint="pass gate=headless_gate(...) or gate=interactive_gate(...) from runbook_lib.terraform.approval",
        )
    if isinstance(gate, PendingGate):
        decision = gate.require_approved()
    else:
        decision = gate
        if not decision.approved:
            raise _reject(decision, review, {})
    if decision.plan_sha256 != review.plan_sha256:
        raise PlanError(
            f"gate {decision.gate!r} approved plan {decision.plan_sha256[:12]}, "
            f"not {review.plan_sha256[:12]}",
            hint="a re-planned file needs its own review and approval",
        )
    return decision
