"""Coverage: how much of the production plan the sandbox applied and verified, and why not the rest.

``resources_planned`` is the full production plan (every stack planned with ``envs/prod`` tfvars
against the sandbox's AWS stand-in); ``resources_applied`` the resources of the sandbox state read
back and verified. What the production plan has and the sandbox does not is listed with a reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runbook_lib.infra.iac_check.addresses import strip_instance_keys
from runbook_lib.infra.iac_check.gaps import GapRow, NotApplied, explain_missing
from runbook_lib.infra.iac_check.report import StackRun
from runbook_lib.terraform.tfvars import TfVars

#: The environment whose tfvars make the production plan.
PROD_ENV = "prod"


def measure_coverage(
    runs: Mapping[str, StackRun],
    tfvars: Callable[[str, str], TfVars | None],
    gap_rows: Sequence[GapRow] = (),
    *,
    sandbox_env: str = "sandbox",
) -> tuple[dict[str, Any], list[NotApplied]]:
    """``resources_planned`` (production plan), ``resources_applied`` (verified in the sandbox), coverage.

    A production address counts as covered when the same address is applied and verified ok in the
    sandbox; instances keyed differently per environment (an alert e-mail, a budget per service)
    match by their address without keys, as many as the sandbox verified. Everything else is listed
    with a reason. ``tfvars(env, stack)`` reads an environment's tfvars of a stack.
    """
    planned = applied = covered = 0
    complete = True
    not_applied: list[NotApplied] = []
    for stack, run in runs.items():
        verified = run.verification.ok_addresses if run.verification else set()
        status = {v.address: v.status for v in run.verification.verdicts} if run.verification else {}
        applied += len(verified)
        if run.prod_planned is None:
            complete = False
            continue
        planned += len(run.prod_planned)
        spare = Counter(strip_instance_keys(a) for a in verified)
        exact = {a for a, _ in run.prod_planned if a in verified}
        for a in exact:
            spare[strip_instance_keys(a)] -= 1
        for address, rtype in run.prod_planned:
            if address in exact:
                covered += 1
                continue
            base = strip_instance_keys(address)
            if spare[base] > 0:
                spare[base] -= 1
                covered += 1
                continue
            if address in status:
                reason, variable = f"applied in the sandbox, verification {status[address]}", ""
            elif any(strip_instance_keys(a) == base for a in run.state_addresses):
                reason, variable = "the sandbox tfvars create fewer instances of this resource", ""
            else:
                reason, variable = explain_missing(
                    stack, address, tfvars(PROD_ENV, stack), tfvars(sandbox_env, stack), gap_rows
                )
            not_applied.append(NotApplied(stack, address, rtype, reason, variable))
    counts = {
        "resources_planned": planned,
        "resources_planned_complete": complete,
        "resources_applied": applied,
        "resources_applied_of_planned": covered,
        "coverage": round(covered / planned, 4) if planned else None,
        "resources_in_sandbox_state": sum(len(r.state_addresses) for r in runs.values()),
        "verified_failed": sum(r.verification.failed for r in runs.values() if r.verification),
        "not_verified": sum(r.verification.not_verified for r in runs.values() if r.verification),
    }
    return counts, not_applied
