"""End to end: apply every sandbox stack 00->06, read each resource back, plan production, destroy.

One run on purpose (it takes many minutes): the real Terraform and AWS provider apply the real
stacks of ``terraform_infra`` against the session sandbox's moto, :mod:`runbook_lib.verify_infra`
reads every applied resource back, the production tfvars are planned against the same stand-in,
and everything is destroyed in reverse order. fmt/validate/checkov are not repeated here (the
unit tier and ``runbook iac check`` cover them).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from runbook_lib.iac_check import IacCheck
from runbook_lib.params import load_params

pytestmark = pytest.mark.integration

MIN_COVERAGE = 0.85


@pytest.mark.timeout(5400)
def test_sandbox_apply_verify_prod_plan_and_destroy(sandbox, tmp_path: Path) -> None:
    params = load_params("sandbox")
    started = time.monotonic()
    check = IacCheck(params, apply=True, destroy=True, static=False, work_dir=tmp_path / "iac-check",
                     progress=lambda message: print(f"[iac-check {time.monotonic() - started:6.0f}s] {message}"))
    report = check.run()
    duration = time.monotonic() - started
    summary = {"duration_s": round(duration), "counts": report.counts, "durations_s": report.durations_s,
               "errors": report.errors, "verification_failures": report.verification_failures,
               "leftovers": [vars(x) for x in report.leftovers or []]}
    print(json.dumps(summary, indent=2, default=str))

    # Every stack applied and was destroyed without an error.
    assert report.errors == []
    runs = report.runs
    assert list(runs) == sorted(runs) and len(runs) == 7
    assert all(run.applied and run.verification is not None for run in runs.values())
    assert all(run.destroyed for run in runs.values())

    # Every check that ran passed (waived and not-verified ones are listed, not counted as passes).
    assert report.verification_failures == []
    ran = [r for run in runs.values() for r in run.verification.results if r.ran]
    assert ran and all(r.ok for r in ran)

    # The full production plan was planned, and most of it applied and verified in the sandbox.
    counts = report.counts
    assert counts["resources_planned_complete"] is True, report.prod_plan_problems
    assert counts["resources_planned"] > counts["resources_in_sandbox_state"] * 0.9
    assert counts["coverage"] >= MIN_COVERAGE, [vars(n) for n in report.not_applied]
    assert all(n.reason for n in report.not_applied)

    # Nothing of the project is left in the emulator.
    assert report.leftovers == []
