"""runbook_lib.evidence.ledger: the run folder, its manifest, hashes, and `runbook evidence`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import matplotlib
import nbformat
import pandas as pd
import pytest
import yaml
from fakes import REPO, VALID_PARAMS

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from runbook_lib import redact  # noqa: E402
from runbook_lib.cli import main  # noqa: E402
from runbook_lib.errors import EvidenceError, ParamsError  # noqa: E402
from runbook_lib.evidence import (  # noqa: E402
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    EvidenceLedger,
    SigningConfig,
    TrustAnchor,
    list_runs,
    trust_from_params,
    verify_evidence,
)
from runbook_lib.evidence.signing import public_key_pem  # noqa: E402
from runbook_lib.params import params_hash, parse_params  # noqa: E402

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("clean_redactor")]

PHASES = ["00_preflight", "01_network", "02_data"]


@pytest.fixture
def params(evidence_key: Path):
    data = yaml.safe_load(VALID_PARAMS.read_text())
    data["evidence"]["html_export"] = False
    data["evidence"]["signing"] = {"mode": "ed25519", "key_file": str(evidence_key)}
    return parse_params(data)


@pytest.fixture
def trust(params) -> TrustAnchor:
    """The key the params name: what `runbook evidence verify` trusts (never the key inside the folder)."""
    return trust_from_params(params)


@pytest.fixture
def ledger(tmp_path: Path, params) -> EvidenceLedger:
    return EvidenceLedger(
        "run-1", tmp_path / "outputs", params=params, phases=PHASES, selected=PHASES[:2], repo_dir=tmp_path
    )


def _manifest(ledger: EvidenceLedger) -> dict:
    return json.loads((ledger.run_dir / MANIFEST_NAME).read_text())


def test_new_ledger_writes_manifest_and_index(ledger: EvidenceLedger, params, trust: TrustAnchor) -> None:
    data = _manifest(ledger)
    assert data["run_id"] == "run-1"
    assert data["git_commit"] == "unknown"  # tmp_path is not a git checkout
    assert data["params_hash"] == params_hash(params)
    assert data["params"]["aws"]["region"] == "eu-west-1"
    assert [data["phases"][p]["status"] for p in PHASES] == ["pending", "pending", "skipped"]
    assert (ledger.run_dir / "index.html").is_file()
    assert data["hashes"] == {}  # the index is covered by the signature, not by a file hash
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert report.records == 1 and not report.mismatched and not report.unrecorded
    assert not report.ok and report.signature == "missing"  # nothing is sealed before the first phase end


def test_git_commit_is_recorded_inside_a_checkout(tmp_path: Path) -> None:
    ledger = EvidenceLedger("run-git", tmp_path, repo_dir=REPO)
    commit = ledger.manifest.git_commit
    assert commit == "unknown" or (len(commit) == 40 and all(c in "0123456789abcdef" for c in commit))
    if (REPO / ".git").exists():
        assert commit != "unknown"


def test_phase_records_everything(ledger: EvidenceLedger, tmp_path: Path, trust: TrustAnchor) -> None:
    ledger.start_phase("01_network", parameters={"env": "sandbox", "phase": "01_network"})
    plan = tmp_path / "network.tfplan"
    plan.write_bytes(b"binary plan bytes")
    digest = ledger.record_plan(plan, stack="01_network", summary={"create": 4, "delete": 0})
    ledger.record_apply({"added": 4, "changed": 0, "destroyed": 0})
    ledger.record_gate({"gate": "network-plan", "approved": True, "decided_by": "policy", "plan_sha256": digest})
    table_path = ledger.record_table(
        None, "subnets", pd.DataFrame({"cidr": ["10.0.0.0/24", "10.0.1.0/24"], "ok": [True, False]})
    )
    fig, ax = plt.subplots()
    ax.bar(["a", "b"], [1, 2])
    chart_path = ledger.record_chart("01_network", "sizes", fig)
    plt.close(fig)
    ledger.finish_phase("succeeded")

    record = ledger.phase("01_network")
    assert record.status == "succeeded"
    assert record.started_at and record.ended_at
    assert record.plan_sha256 == hashlib.sha256(b"binary plan bytes").hexdigest() == digest
    assert record.plans[0].summary == {"create": 4, "delete": 0}
    assert record.applies[0]["added"] == 4
    assert record.gates[0]["approved"] is True and record.gates[0]["plan_sha256"] == digest
    assert record.tables[0].records == [
        {"cidr": "10.0.0.0/24", "ok": True},
        {"cidr": "10.0.1.0/24", "ok": False},
    ]
    assert (ledger.run_dir / table_path).read_text().splitlines()[0] == "cidr,ok"
    assert (ledger.run_dir / chart_path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = _manifest(ledger)
    assert set(data["hashes"]) == {table_path, chart_path, PUBLIC_KEY_NAME}
    index = (ledger.run_dir / "index.html").read_text()
    assert table_path in index and chart_path in index and "succeeded" in index
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert report.ok, report.errors
    assert report.signature == "valid" and report.digest and report.digest in index


def test_recorded_values_are_redacted(ledger: EvidenceLedger) -> None:
    redact.register_secret("Ledger-Secret-123")
    ledger.start_phase("00_preflight")
    ledger.record_table(
        None, "conn", pd.DataFrame({"dsn": ["postgresql://u:tablepw9@h/db"], "v": ["Ledger-Secret-123"]})
    )
    ledger.record_gate({"gate": "g", "approved": False, "reason": "password=gatepw77"})
    ledger.finish_phase("failed", error=RuntimeError("auth failed for Ledger-Secret-123"))
    everything = "".join(p.read_text(errors="ignore") for p in ledger.run_dir.rglob("*") if p.is_file())
    for secret in ("Ledger-Secret-123", "tablepw9", "gatepw77"):
        assert secret not in everything
    record = ledger.phase("00_preflight")
    assert record.status == "failed"
    assert record.error == f"RuntimeError: auth failed for {redact.MASK}"


def test_tampering_is_reported(ledger: EvidenceLedger, trust: TrustAnchor) -> None:
    ledger.start_phase("00_preflight")
    table = ledger.record_table(None, "t", pd.DataFrame({"a": [1, 2]}))
    ledger.finish_phase("succeeded")
    assert verify_evidence(ledger.run_dir, trust=trust).ok

    (ledger.run_dir / table).write_text("a\n1\n3\n")
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert not report.ok
    assert [m.path for m in report.mismatched] == [table]
    assert report.mismatched[0].actual == hashlib.sha256(b"a\n1\n3\n").hexdigest()

    (ledger.run_dir / table).unlink()
    (ledger.run_dir / "extra.txt").write_text("added later")
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert table in report.missing
    assert report.unrecorded == ["extra.txt"]


def test_verify_without_manifest(tmp_path: Path) -> None:
    report = verify_evidence(tmp_path)
    assert not report.ok and report.errors


def test_cli_verify_and_list(
    ledger: EvidenceLedger, trust: TrustAnchor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger.start_phase("00_preflight")
    table = ledger.record_table(None, "t", pd.DataFrame({"a": [1]}))
    ledger.finish_phase("succeeded")
    public_key = tmp_path / "expected.pub.pem"
    public_key.write_bytes(public_key_pem(trust.public_key_der))
    pin = ["--public-key", str(public_key)]
    assert main(["evidence", "verify", str(ledger.run_dir), *pin]) == 0
    out = capsys.readouterr().out
    digest = verify_evidence(ledger.run_dir, trust=trust).digest
    assert "OK" in out and f"sha256:{digest}" in out

    (ledger.run_dir / table).write_text("changed\n")
    assert main(["evidence", "verify", str(ledger.run_dir), "--json", *pin]) != 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False
    assert report["mismatched"][0]["path"] == table
    assert report["digest"] == digest and report["signature"] == "valid"  # the chain and seal still hold

    assert main(["evidence", "list", "--outputs-dir", str(ledger.outputs_dir), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in runs] == ["run-1"]
    assert runs[0]["statuses"] == {"succeeded": 1, "pending": 1, "skipped": 1}


def test_reopen_and_concurrent_writers_do_not_clobber(ledger: EvidenceLedger) -> None:
    ledger.start_phase("01_network")
    kernel_side = EvidenceLedger.open(ledger.run_dir)  # what a notebook does with evidence_dir
    kernel_side.record_table(None, "from_kernel", pd.DataFrame({"x": [1]}))  # current phase from the manifest
    ledger.finish_phase("succeeded", phase="01_network")  # the runner's stale in-memory copy must not win
    record = ledger.phase("01_network")
    assert [t.name for t in record.tables] == ["from_kernel"]
    assert record.status == "succeeded"
    assert list_runs(ledger.outputs_dir)[0].statuses["succeeded"] == 1


def test_open_requires_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError):
        EvidenceLedger.open(tmp_path)


@pytest.mark.parametrize("run_id", ["../escape", ".hidden", "a/b", ""])
def test_run_id_is_validated(tmp_path: Path, run_id: str) -> None:
    with pytest.raises(ParamsError) as info:
        EvidenceLedger(run_id, tmp_path)
    assert info.value.key == "run_id"


def test_record_without_phase_is_an_error(ledger: EvidenceLedger) -> None:
    with pytest.raises(EvidenceError):
        ledger.record_gate({"gate": "g"})


def test_finish_phase_rejects_unknown_status(ledger: EvidenceLedger) -> None:
    ledger.start_phase("00_preflight")
    with pytest.raises(ParamsError) as info:
        ledger.finish_phase("done")
    assert info.value.key == "status"


def _write_notebook(path: Path, secret: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "print(dsn)",
            outputs=[nbformat.v4.new_output("stream", name="stdout", text=f"postgresql://u:{secret}@h/db\n")],
            execution_count=1,
        )
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_add_notebook_redacts_in_place_copies_and_exports_html(tmp_path: Path, evidence_key: Path, trust) -> None:
    signing = SigningConfig(mode="ed25519", key_file=str(evidence_key))
    ledger = EvidenceLedger(
        "run-nb", tmp_path / "outputs", phases=["00_preflight"], html_export=True, repo_dir=tmp_path, signing=signing
    )
    outside = tmp_path / "00_preflight.ipynb"
    _write_notebook(outside, "nbSecret42")
    ledger.start_phase("00_preflight")
    relative = ledger.add_notebook(None, outside)
    ledger.finish_phase("succeeded")
    assert relative == "notebooks/00_preflight.ipynb"
    assert "nbSecret42" not in outside.read_text()  # redacted where it was
    copied = ledger.run_dir / relative
    assert "nbSecret42" not in copied.read_text()
    record = ledger.phase("00_preflight")
    assert record.redactions == 1
    assert record.html == "notebooks/00_preflight.html"
    html_text = (ledger.run_dir / record.html).read_text()
    assert "<html" in html_text.lower() and "nbSecret42" not in html_text
    assert verify_evidence(ledger.run_dir, trust=trust).ok


def test_restarting_a_phase_archives_the_earlier_attempt(ledger: EvidenceLedger, trust: TrustAnchor) -> None:
    notebooks = ledger.run_dir / "notebooks"
    notebooks.mkdir(parents=True)
    _write_notebook(notebooks / "01_network.ipynb", "first")
    ledger.start_phase("01_network")
    ledger.record_table(None, "t", pd.DataFrame({"attempt": [1]}))
    ledger.add_notebook(None, notebooks / "01_network.ipynb")
    ledger.finish_phase("failed", error="boom")

    ledger.start_phase("01_network")  # before the next attempt writes its notebook, as the runner does
    assert not (notebooks / "01_network.ipynb").exists()  # moved away with the attempt
    _write_notebook(notebooks / "01_network.ipynb", "second")
    ledger.record_table(None, "t", pd.DataFrame({"attempt": [2]}))
    ledger.add_notebook(None, notebooks / "01_network.ipynb")
    ledger.finish_phase("succeeded")

    record = ledger.phase("01_network")
    assert record.status == "succeeded"
    assert record.tables[0].records == [{"attempt": 2}]
    attempt = record.attempts[0]
    assert attempt["status"] == "failed" and attempt["error"] == "boom"
    assert attempt["notebook"] == "attempts/01_network-1/notebooks/01_network.ipynb"
    archived_table = ledger.run_dir / attempt["tables"][0]["file"]
    assert archived_table.read_text().splitlines() == ["attempt", "1"]
    assert verify_evidence(ledger.run_dir, trust=trust).ok


def test_existing_run_refuses_other_params(ledger: EvidenceLedger) -> None:
    data = yaml.safe_load(VALID_PARAMS.read_text())
    data["migration"]["workers"] = 7
    with pytest.raises(EvidenceError):
        EvidenceLedger("run-1", ledger.outputs_dir, params=parse_params(data))
