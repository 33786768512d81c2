"""The interactive approval gate in JupyterLab: the plan is shown; nothing is decided until a click.

A scratch notebook (in the server's temporary root, never in ``notebooks/``) builds a
review from a saved plan fixture and shows ``interactive_gate(review)``. The test
checks the gate is pending before any click, clicks Approve in Chromium, and runs
the next cell, whose output must say the gate was approved for this very plan file.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from runbook_lib.plan import load_plan_json
from runbook_lib.terraform import file_sha256

pytestmark = pytest.mark.browser

PLAN_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "tf_data_mixed.json"

SHOW_GATE = f"""\
from pathlib import Path
from runbook_lib.gates import interactive_gate
from runbook_lib.plan import load_plan_json
from runbook_lib.terraform import PlanReview, file_sha256

plan_path = Path({str(PLAN_FIXTURE)!r})
sha = file_sha256(plan_path)
review = PlanReview(plan=load_plan_json(plan_path, plan_sha256=sha), plan_path=plan_path, plan_sha256=sha,
                    stack_dir=plan_path.parent)
pending = interactive_gate(review, gate="browser-apply", approver="browser-operator")"""

REPORT_DECISION = """\
from runbook_lib.gates import DECISIONS
d = pending.decision
print(f"gate state: {pending.state}")
if d is not None:
    print(f"decision: approved={d.approved} gate={d.gate} by={d.decided_by} mode={d.mode}")
    print(f"plan: {d.plan_sha256}")
    print(f"recorded decisions: {len(DECISIONS.decisions)}")"""


def _scratch_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("Scratch: an approval gate on a saved plan fixture (browser test)."),
        nbformat.v4.new_code_cell(SHOW_GATE),
        nbformat.v4.new_code_cell(REPORT_DECISION),
    ]
    nbformat.write(nb, path)


def test_interactive_gate_approve_click_reaches_the_kernel(jupyter_lab, lab_page, tmp_path: Path) -> None:
    sha = file_sha256(PLAN_FIXTURE)
    plan = load_plan_json(PLAN_FIXTURE, plan_sha256=sha)
    _scratch_notebook(jupyter_lab.root_dir / "scratch_gate.ipynb")
    lab = lab_page
    lab.open("scratch_gate.ipynb")

    lab.select_cell(1)
    lab.run_selected_cell()
    gate_cell = lab.cell(1)
    approve = gate_cell.locator("button.jupyter-button", has_text="Approve")
    reject = gate_cell.locator("button.jupyter-button", has_text="Reject")
    approve.wait_for()
    lab.wait_kernel_idle()
    assert reject.is_visible() and approve.is_enabled() and reject.is_enabled()
    # The plan under review is on screen: its sha, its change count and the change table.
    gate_text = gate_cell.locator(".jp-OutputArea").inner_text()
    assert f"plan {sha[:12]}" in gate_text
    assert f"({len(plan.changes)} changes)" in gate_text
    assert all(key in gate_text for key in plan.changes)
    assert "PENDING" in gate_text
    assert lab.error_outputs() == []

    # Before any click the gate is pending: nothing was decided.
    report_cell = lab.cell(2)
    lab.select_cell(2)
    lab.run_selected_cell()
    report_cell.locator(".jp-OutputArea-output", has_text="gate state: pending").wait_for()
    lab.wait_kernel_idle()
    assert "decision:" not in report_cell.locator(".jp-OutputArea").inner_text()

    approve.click()
    # The status line is re-rendered from the kernel's side: the click made the round trip.
    gate_cell.locator(".widget-html", has_text="APPROVED").wait_for()
    assert approve.is_disabled() and reject.is_disabled()

    lab.select_cell(2)
    lab.run_selected_cell()
    report_cell.locator(".jp-OutputArea-output", has_text="gate state: approved").wait_for()
    lab.wait_kernel_idle()
    report = report_cell.locator(".jp-OutputArea").inner_text()
    assert "decision: approved=True gate=browser-apply by=browser-operator mode=interactive" in report
    assert f"plan: {sha}" in report
    assert "recorded decisions: 1" in report
    assert lab.error_outputs() == []

    shot = tmp_path / "gate.png"
    report_cell.locator(".jp-OutputArea").scroll_into_view_if_needed()
    lab.page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
