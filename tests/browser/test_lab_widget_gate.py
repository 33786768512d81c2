"""The interactive approval gate in JupyterLab: the plan is shown; nothing is decided until a click.

A scratch notebook (in the server's temporary root, never in ``notebooks/``) builds a
review from a saved plan fixture and shows ``interactive_gate(review)``, the gate echoed
as the last line of its cell as the phase notebooks' gate cells do. The test checks the
gate is pending before any click, clicks Approve in Chromium, checks nothing in the gate
cell still reads "pending", and runs the next cell, whose output must say the gate was
approved for this very plan file. Last, a gate on a plan that changes nothing shows a
status line saying so and no button.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PLAN_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "tf_data_mixed.json"
NOOP_FIXTURE = PLAN_FIXTURE.with_name("tf_data_noop.json")

SHOW_GATE = f"""\
from pathlib import Path
from runbook_lib.terraform.approval import interactive_gate
from runbook_lib.terraform.plan import load_plan_json
from runbook_lib.terraform.review import PlanReview, file_sha256

plan_path = Path({str(PLAN_FIXTURE)!r})
sha = file_sha256(plan_path)
review = PlanReview(plan=load_plan_json(plan_path, plan_sha256=sha), plan_path=plan_path, plan_sha256=sha,
                    stack_dir=plan_path.parent)
pending = interactive_gate(review, gate="browser-apply", approver="browser-operator")
pending"""

REPORT_DECISION = """\
from runbook_lib.terraform.approval import DECISIONS
d = pending.decision
print(f"gate state: {pending.state}")
if d is not None:
    print(f"decision: approved={d.approved} gate={d.gate} by={d.decided_by} mode={d.mode}")
    print(f"plan: {d.plan_sha256}")
    print(f"recorded decisions: {len(DECISIONS.decisions)}")"""

SHOW_NOOP_GATE = f"""\
noop_path = Path({str(NOOP_FIXTURE)!r})
noop_sha = file_sha256(noop_path)
noop = PlanReview(plan=load_plan_json(noop_path, plan_sha256=noop_sha), plan_path=noop_path, plan_sha256=noop_sha,
                  stack_dir=noop_path.parent)
interactive_gate(noop, gate="browser-noop", approver="browser-operator")"""


def _scratch_notebook(path: Path) -> None:
    """Written as plain JSON: importing nbformat costs seconds (jsonschema's format checkers)."""

    def cell(index: int, kind: str, source: str) -> dict[str, object]:
        extra = {"execution_count": None, "outputs": []} if kind == "code" else {}
        return {"cell_type": kind, "id": f"cell-{index}", "metadata": {}, "source": source, **extra}

    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            cell(0, "markdown", "Scratch: an approval gate on a saved plan fixture (browser test)."),
            cell(1, "code", SHOW_GATE),
            cell(2, "code", REPORT_DECISION),
            cell(3, "code", SHOW_NOOP_GATE),
        ],
    }
    path.write_text(json.dumps(notebook, indent=1))


def test_interactive_gate_approve_click_reaches_the_kernel(jupyter_lab, lab_page, tmp_path: Path) -> None:
    sha = hashlib.sha256(PLAN_FIXTURE.read_bytes()).hexdigest()
    raw_changes = json.loads(PLAN_FIXTURE.read_text())["resource_changes"]
    changing = [rc["address"] for rc in raw_changes if rc["change"]["actions"] != ["no-op"]]
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
    assert f"— {len(changing)} changes (" in gate_text  # the review's headline: count, then counts by action
    # Every change is there with its full address, folded: one click on the summary unfolds it.
    gate_cell.locator("summary", has_text="full addresses").click()
    gate_text = gate_cell.locator(".jp-OutputArea").inner_text()
    assert all(address in gate_text for address in changing)
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
    # The buttons are disabled by separate widget-state messages: wait for them, do not sample.
    expect(approve).to_be_disabled(timeout=30_000)
    expect(reject).to_be_disabled(timeout=30_000)
    # The echoed gate left no Out[] rendered before the click: nothing in the cell still says pending.
    gate_text = gate_cell.locator(".jp-OutputArea").inner_text()
    assert "PendingGate" not in gate_text and "PENDING" not in gate_text, gate_text

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

    # A plan that changes nothing: the review, then a status line that says so, and nothing to click.
    noop_cell = lab.cell(3)
    lab.select_cell(3)
    lab.run_selected_cell()
    noop_cell.locator(".widget-html", has_text="NO CHANGES").wait_for()
    lab.wait_kernel_idle()
    assert "— 0 changes (no changes)" in noop_cell.locator(".jp-OutputArea").inner_text()
    assert noop_cell.locator("button.jupyter-button").count() == 0
    assert lab.error_outputs() == []
