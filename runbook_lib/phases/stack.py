"""One Terraform stack as a notebook phase: plan → review → gate → apply → outputs, all recorded.

Why here and not in the notebook: every phase notebook does the same steps in
the same order with the same safety rules (the gate decides on the saved plan's
sha256; apply refuses anything else), so the steps live in the library where
they are tested, and each notebook cell is one call plus what a person wants to
see (a table, the gate's buttons, a progress bar).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.cost.estimate import PlanEstimate, estimate_from_params
from runbook_lib.errors import RunbookError
from runbook_lib.infra import verify as infra_verify
from runbook_lib.infra.terraform_setup import runner_from_params
from runbook_lib.params import resolve_path
from runbook_lib.phases.session import PhaseSession
from runbook_lib.terraform import ApplyResult, OutputValue, PlanReview, TerraformRunner
from runbook_lib.terraform.approval import DECISIONS, GateDecision, PendingGate, headless_gate, interactive_gate
from runbook_lib.terraform.plan_view import PlanView
from runbook_lib.terraform.tfvars import read_tfvars

log = logging.getLogger("runbook_lib.phases.stack")


@dataclass
class StackPhase:
    """The state of one stack's trip through a phase notebook."""

    session: PhaseSession
    stack: str
    runner: TerraformRunner
    review: PlanReview | None = None
    gate: GateDecision | PendingGate | None = None
    result: ApplyResult | None = None
    outputs: dict[str, OutputValue] = field(default_factory=dict)
    estimate: PlanEstimate | None = None  # the plan's monthly cost, shown and recorded before the gate

    @classmethod
    def open(cls, session: PhaseSession, stack: str) -> StackPhase:
        """Build the runner from the parameters and ``init`` the stack (backend, providers)."""
        runner = runner_from_params(session.params, stack)
        runner.init()
        return cls(session=session, stack=stack, runner=runner)

    def plan(self, *, destroy: bool = False) -> Any:
        """Plan to a saved file, record its sha256 in the evidence, and return the summary by action."""
        self.review = self.runner.plan(destroy=destroy)
        self.session.ledger.record_plan(self.review.plan_path, phase=self.session.phase, stack=self.stack,
                                        summary=self.review.plan.summary_dict())
        frame = self.review.plan.summary_by_action()
        self.session.table(f"{self.stack}_plan_by_action", frame)
        self.estimate = self._estimate()
        return frame

    def _estimate(self) -> PlanEstimate | None:
        """The plan's offline monthly cost (runbook_lib.cost), recorded before the gate; never fails the phase."""
        assert self.review is not None, "plan() first"
        try:
            estimate = estimate_from_params(self.review.plan, stack=self.stack, params=self.session.params)
        except RunbookError as error:
            log.warning("%s: no cost estimate: %s", self.stack, error.one_line())
            return None
        self.session.table(f"{self.stack}_cost_estimate", estimate.by_resource())
        cov = estimate.coverage()
        print(f"{self.stack}: estimated USD {estimate.total_usd:,.2f}/month (prices of {estimate.price_date}, "
              f"usage profile {estimate.usage_profile}); {len(estimate.not_priced)} line(s) not priced; "
              f"types priced {len(cov.covered_types)}/{len(cov.chargeable_types)}")
        return estimate

    def changes(self) -> Any:
        """Every change in the reviewed plan (address, type, action) — what the gate approves."""
        assert self.review is not None, "plan() first"
        return self.review.plan.changes_frame()[["key", "type", "action"]]

    def review_view(self, cost_estimate: Any = None) -> PlanView:
        """The plan review the gate shows (summary, full addresses, attribute changes, cost, drift), folded."""
        assert self.review is not None, "plan() first"
        return PlanView(self.review.plan, stack=self.stack, plan_sha256=self.review.plan_sha256,
                        cost_estimate=cost_estimate)

    def request_approval(self, cost_estimate: Any = None) -> GateDecision | PendingGate:
        """The gate the parameters ask for: headless policy (decides now) or Approve / Reject buttons.

        Every decision is recorded in the evidence with who, when and the plan hash. ``cost_estimate`` (a table
        of the plan's estimated cost; default: the estimate ``plan()`` made) is shown in the review; a headless
        gate shows the same review in the notebook, so its HTML export holds what the policy approved.
        """
        assert self.review is not None, "plan() first"
        if cost_estimate is None and self.estimate is not None:
            cost_estimate = self.estimate.by_resource()  # the estimate plan() computed, shown before the decision
        gates = self.session.params.gates
        name = f"{self.stack}-{'destroy' if self.review.destroy else 'apply'}"

        def record(decision: GateDecision) -> None:
            if decision.plan_sha256 == self.review.plan_sha256:  # type: ignore[union-attr]
                entry = decision.to_dict()
                if self.estimate is not None:
                    entry["cost_estimate"] = self.estimate.summary()
                self.session.gate(entry)

        DECISIONS.subscribe(record)
        if gates.mode == "headless":
            self.review_view(cost_estimate).show()
            params = self.session.params
            self.gate = headless_gate(self.review, list(gates.auto_approve_actions), gates.approver, gate=name,
                                      protected=params.protected, env=params.env)
        else:
            self.gate = interactive_gate(self.review, gate=name, approver=gates.approver,
                                         allow_destroy=self.session.params.terraform.allow_destroy,
                                         cost_estimate=cost_estimate)
        return self.gate

    def apply(self) -> Any:
        """Apply exactly the reviewed plan (gate, sha256 and destructive-change checks first).

        A failed, timed-out or interrupted apply is recorded as well - which resources completed, which
        errored, Terraform's diagnostics, and the error - before the error propagates.
        """
        assert self.review is not None, "plan() first"
        try:
            self.result = self.runner.apply(self.review, gate=self.gate)
        except BaseException as error:
            partial = getattr(error, "result", None) or getattr(self.runner, "last_apply", None)
            if partial is not None:
                self._record_apply(partial, error)
            raise
        return self._record_apply(self.result, None)

    def _record_apply(self, result: ApplyResult, error: BaseException | None) -> Any:
        entry = result.to_dict()
        if error is None:
            entry["status"] = "applied"
        else:
            timed_out = getattr(error, "timed_out_after", None)
            entry["status"] = "interrupted" if isinstance(error, KeyboardInterrupt) else (
                "timed out" if timed_out else "failed")
            entry["error"] = error.one_line() if isinstance(error, RunbookError) else type(error).__name__
        self.session.ledger.record_apply(entry, phase=self.session.phase, stack=self.stack)
        frame = result.to_frame()
        self.session.table(f"{self.stack}_apply", frame)
        return frame

    def read_outputs(self) -> Any:
        """The stack's outputs as a table (sensitive values masked)."""
        import pandas as pd

        self.outputs = self.runner.outputs()
        frame = pd.DataFrame([{"output": k, "sensitive": v.sensitive, "value": v.value}
                              for k, v in sorted(self.outputs.items())])
        self.session.table(f"{self.stack}_outputs", frame)
        return frame

    def verify(self) -> Any:
        """Read every applied resource back from the AWS API and check what matters; raise after recording a failure.

        Checks waived by the environment's tfvars (what the sandbox switches off, with the reason) are
        shown as waived, never as passed.
        """
        tf = self.session.params.terraform
        tfvars_path = resolve_path(tf.env_dir) / f"{self.stack}.tfvars" if tf.env_dir else None
        tfvars = read_tfvars(tfvars_path) if tfvars_path and tfvars_path.is_file() else None
        waivers = infra_verify.waivers_from_tfvars(tfvars)
        aws = self.session.params.aws
        verification = infra_verify.verify_stack(self.runner, aws, waivers=waivers, stack=self.stack)
        frame = verification.to_frame()
        self.session.table(f"{self.stack}_verification", frame)
        if not verification.ok:
            failed = verification.failures()
            raise RunbookError(
                f"{self.stack}: {len(failed)} verification checks failed: "
                + "; ".join(f"{r.address} {r.check}" for r in failed[:5]),
                hint="see the verification table in the evidence",
            )
        return frame

    def drift(self) -> Any:
        """A refresh-only plan after apply: an empty table means the emulator/cloud agrees with the state.

        Attributes the configuration does not set, on resources this phase's apply just created, that the stack's
        own later resources filled in (a role's inline policies, a NAT gateway's Elastic IP association) are not
        drift: they are recorded apart, as ``<stack>_drift_settled``.
        """
        created: frozenset[str] = frozenset()
        if self.review is not None and self.result is not None:
            created = frozenset(k for k, rc in self.review.plan.changes.items() if rc.action in ("create", "replace"))
        report = self.runner.drift(created=created)
        if report.settled:
            self.session.table(f"{self.stack}_drift_settled", report.to_frame(report.settled))
        frame = report.to_frame()
        self.session.table(f"{self.stack}_drift", frame)
        return frame
