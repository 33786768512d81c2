"""01_network_iam.ipynb stepped through in JupyterLab with interactive gates: Run All stops at a gate, Approve applies.

What an operator does, in Chromium: open the notebook, Run > Run All Cells. Each stack's apply cell raises
"not approved yet" while its gate is pending, and JupyterLab's stop-on-error halts the run there. At the
bootstrap gate (stack ``00_state_backend``) the operator clicks Approve and carries on (Run Selected Cell and
All Below from the apply cell); at the network gate the test checks the plan review is on screen, the gate is
pending and nothing of stack 01 exists yet, then clicks Approve and carries on to the verification, the drift
check and ``session.done()``. Afterwards the VPC is read back from moto and the evidence must hold both gates
as interactive decisions by the person at the keyboard, and verify against the signing key.

Why a server and a sandbox of its own: the kernel must see an interactive ``gates.mode`` (the sandbox's
params are headless) and a sandbox no other run applies to — in ``make test`` lane 1 runs the whole
runbook on ``.sandbox-test`` meanwhile. The sandbox here is the AWS stand-in alone (the phase needs
nothing else), in a temporary folder, with its own environment-lock folder, stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lab_driver import REPO, LabPage, LabServer, make_lab_workdir, running_lab, wait_for_status
from playwright.sync_api import expect

from runbook_lib import sandbox as sb
from runbook_lib.clients import aws_client
from runbook_lib.evidence import trust_from_params, verify_evidence
from runbook_lib.params import load_params_file
from runbook_lib.terraform.approval import current_user
from runbook_lib.terraform.tfvars import read_tfvars

pytestmark = [pytest.mark.browser, pytest.mark.timeout(1800)]

STORED = REPO / "notebooks" / "01_network_iam.ipynb"
TFVARS = REPO / "terraform_infra" / "envs" / "sandbox" / "01_network_iam.tfvars"
PHASE = "01_network_iam"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: init + plan of a stack against moto (about half a minute alone; lane 1 runs beside it in `make test`).
PLAN_WAIT_MS = 600_000
#: apply of stack 01 (about a minute alone), outputs, verification, the refresh-only plan, the phase end.
APPLY_WAIT_MS = 1_200_000


def _cell_index(source: str) -> int:
    """The index (markdown cells count) of the stored notebook's cell whose whole source is ``source``."""
    cells = json.loads(STORED.read_text())["cells"]
    return next(i for i, cell in enumerate(cells) if "".join(cell["source"]).strip() == source)


BACKEND_GATE = _cell_index("state_backend.request_approval()")
BACKEND_APPLY = _cell_index("state_backend.apply()")
NETWORK_GATE = _cell_index("network.request_approval()")
NETWORK_APPLY = _cell_index("network.apply()")
NETWORK_OUTPUTS = _cell_index("network.read_outputs()")
DONE = _cell_index("session.done()")


@dataclass
class NetworkLab:
    """The JupyterLab server of this module, and the sandbox its kernels apply to."""

    server: LabServer
    sandbox: sb.SandboxState
    params_file: Path


@contextlib.contextmanager
def _sandbox_folder(folder: Path) -> Iterator[None]:
    """``RUNBOOK_SANDBOX_DIR`` for this process while the sandbox library starts or stops the private sandbox."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNBOOK_SANDBOX_DIR", str(folder))
        yield


@pytest.fixture(scope="module")
def network_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetworkLab]:
    """A moto-only sandbox and a JupyterLab whose kernels use it, with interactive gates; both stopped after."""
    base = tmp_path_factory.mktemp("lab-network-iam")
    sandbox_folder = base / "sandbox"
    key_file = base / "keys" / "sandbox-evidence-ed25519.pem"  # generated at the phase end, never outputs/.keys

    def interactive(data: dict[str, Any]) -> None:
        if data.get("env") == "sandbox":
            data["gates"]["mode"] = "interactive"
            data["gates"].pop("approver", None)  # the person at the keyboard decides, not a named policy
            data["evidence"]["signing"]["key_file"] = str(key_file)

    workdir = make_lab_workdir(base, notebooks=[STORED], edit_params=interactive)
    try:
        with _sandbox_folder(sandbox_folder):
            state = sb.up("small", services=("aws",), seed=False)
        extra_env = {
            "RUNBOOK_SANDBOX_DIR": str(sandbox_folder),
            "RUNBOOK_LOCK_DIR": str(base / "locks"),
            "RUNBOOK_WORK_DIR": str(base / "work"),
        }
        with running_lab(workdir, extra_env=extra_env) as server:
            wait_for_status(server)
            yield NetworkLab(server, state, workdir / "params" / "sandbox.yaml")
    finally:
        if sb.load_state(sandbox_folder) is not None:
            with _sandbox_folder(sandbox_folder):
                sb.down()


def _approve(lab: LabPage, gate_index: int) -> None:
    """Click the gate's Approve and wait for the kernel's answer: the status line says APPROVED, buttons disabled."""
    gate = lab.cell(gate_index)
    approve = gate.locator("button.jupyter-button", has_text="Approve")
    approve.click()
    gate.locator(".widget-html", has_text="APPROVED").wait_for()
    expect(approve).to_be_disabled(timeout=30_000)


def _vpcs(sandbox: sb.SandboxState, region: str, cidr: str) -> list[dict[str, Any]]:
    ec2 = aws_client("ec2", region=region, endpoint_url=sandbox.url("aws"))
    return ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [cidr]}])["Vpcs"]


def _phase_record(outputs_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The hand run's folder and its phase record (the session opened one interactive run)."""
    manifests = list(outputs_dir.glob("interactive-*/manifest.json"))
    assert len(manifests) == 1, manifests
    return manifests[0].parent, json.loads(manifests[0].read_text())["phases"][PHASE]


def test_network_iam_stops_at_the_gate_and_approve_applies_it(network_lab: NetworkLab, chromium_context, tmp_path):
    stored_before = STORED.read_bytes()
    tfvars = read_tfvars(TFVARS).values
    cidr, vpc_name, region = tfvars["vpc_cidr"], f"{tfvars['name_prefix']}-vpc", tfvars["region"]
    lab = LabPage(chromium_context.new_page(), network_lab.server, workspace=f"test-{secrets.token_hex(6)}")
    try:
        lab.open(STORED.name)

        # Run All: the bootstrap stack is planned and the run stops at its gate (its apply refuses, pending).
        lab.run_all_cells()
        lab.wait_run_settled(PLAN_WAIT_MS)
        assert "not approved yet" in lab.cell(BACKEND_APPLY).inner_text(), lab.error_outputs()
        _approve(lab, BACKEND_GATE)
        lab.select_cell(BACKEND_APPLY)
        lab.run_all_below()
        lab.wait_run_settled(PLAN_WAIT_MS)

        # The network gate: the review of the plan is on screen, pending; nothing of stack 01 exists yet.
        run_dir, record = _phase_record(network_lab.server.outputs_dir)
        plan = [p for p in record["plans"] if p["stack"] == PHASE][-1]
        changes = plan["summary"]["changes"]
        creates = sum(1 for c in changes if c["action"] == "create")
        gate = lab.cell(NETWORK_GATE)
        review = gate.locator(".jp-OutputArea").inner_text()
        assert f"stack {PHASE}, plan {plan['sha256'][:12]} — {len(changes)} changes ({creates} create" in review
        assert "Summary by stack, module and resource type" in review
        assert "aws_vpc" in review
        assert f"PENDING: plan {plan['sha256'][:12]} awaits a decision" in review
        assert "not approved yet" in lab.cell(NETWORK_APPLY).inner_text(), lab.error_outputs()
        assert _vpcs(network_lab.sandbox, region, cidr) == []
        assert [a["stack"] for a in record["applies"]] == ["00_state_backend"]
        assert [g["gate"] for g in record["gates"]] == ["00_state_backend-apply"]
        gate.locator("button.jupyter-button", has_text="Approve").scroll_into_view_if_needed()
        lab.page.screenshot(path=str(tmp_path / "network_iam_gate_pending.png"))

        _approve(lab, NETWORK_GATE)
        lab.select_cell(NETWORK_APPLY)
        lab.run_all_below()
        lab.wait_run_settled(APPLY_WAIT_MS)

        # The apply finished: every cell ran, the phase ended, the VPC is in the AWS stand-in.
        assert lab.error_outputs() == []
        assert str(run_dir) in lab.cell(DONE).inner_text()
        vpcs = _vpcs(network_lab.sandbox, region, cidr)
        assert len(vpcs) == 1, vpcs
        tags = {t["Key"]: t["Value"] for t in vpcs[0].get("Tags", [])}
        assert tags["Name"] == vpc_name and tags["Stack"] == PHASE and tags["Environment"] == "sandbox"
        assert vpcs[0]["VpcId"] in lab.cell(NETWORK_OUTPUTS).inner_text()

        # The evidence: both gates decided interactively by the person at the keyboard, for the planned files.
        _, record = _phase_record(network_lab.server.outputs_dir)
        assert record["status"] == "succeeded"
        decisions = {g["gate"]: g for g in record["gates"]}
        assert set(decisions) == {"00_state_backend-apply", f"{PHASE}-apply"}
        network = decisions[f"{PHASE}-apply"]
        assert network["approved"] is True and network["mode"] == "interactive"
        assert network["decided_by"] == current_user()
        assert network["plan_sha256"] == plan["sha256"]
        assert decisions["00_state_backend-apply"]["mode"] == "interactive"
        applied = {a["stack"]: a for a in record["applies"]}[PHASE]  # the reviewed file, every create done
        assert applied["status"] == "applied" and applied["plan_sha256"] == plan["sha256"]
        assert applied["change_summary"]["add"] == creates and applied["gate"]["mode"] == "interactive"
        params = load_params_file(network_lab.params_file, env="sandbox")
        report = verify_evidence(run_dir, trust=trust_from_params(params))
        assert report.ok, report

        # The decision and, below it, the apply's table: what an auditor of the session would want to see.
        gate.locator(".widget-html", has_text="APPROVED").scroll_into_view_if_needed()
        lab.page.screenshot(path=str(tmp_path / "network_iam_applied.png"))
        shots = [tmp_path / "network_iam_gate_pending.png", tmp_path / "network_iam_applied.png"]
        assert all(shot.read_bytes().startswith(PNG_MAGIC) for shot in shots)
    finally:
        lab.page.close()
    # JupyterLab worked on a copy: the stored notebook is byte-for-byte what it was.
    assert STORED.read_bytes() == stored_before
