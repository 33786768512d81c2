"""Files a phase builds (requirements, plugins.zip, configs, the local ingestors' logs) enter the run folder only
through the ledger: recorded, hashed, redacted if text, listed on the index, and never reported as unrecorded.
A file written into the run folder behind the ledger's back still is."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbook_lib import redact
from runbook_lib.evidence import EvidenceLedger, SigningConfig, TrustAnchor, generate_ed25519_key, verify_evidence
from runbook_lib.evidence.signing import Ed25519Signer

pytestmark = pytest.mark.unit

SECRET = "hunter2-s3cr3t-value"


@pytest.fixture
def no_secrets_between_tests() -> Iterator[None]:
    redact.get_redactor().clear()
    yield
    redact.get_redactor().clear()


def _ledger(tmp_path: Path) -> tuple[EvidenceLedger, TrustAnchor]:
    key = tmp_path / "keys" / "evidence.pem"
    generate_ed25519_key(key)
    signing = SigningConfig(mode="ed25519", key_file=str(key))
    ledger = EvidenceLedger("run-f", tmp_path / "outputs", phases=["05_work"], signing=signing, html_export=False)
    return ledger, TrustAnchor(source="test key", public_key_der=Ed25519Signer(key).public_key_der())


def test_kept_files_are_recorded_redacted_listed_and_verify(tmp_path: Path, no_secrets_between_tests: None) -> None:
    redact.register_secret(SECRET)
    build = tmp_path / "build"
    (build / "openmetadata").mkdir(parents=True)
    (build / "requirements.txt").write_text("apache-airflow-providers-postgres==5.13.1\n")
    (build / "openmetadata" / "kafka.json").write_text(f'{{"password": "{SECRET}"}}')
    with zipfile.ZipFile(build / "plugins.zip", "w") as archive:
        archive.writestr("plugins/a.py", "x = 1\n")
    ledger, trust = _ledger(tmp_path)
    ledger.start_phase("05_work")
    kept = {name: ledger.record_file(None, name, build / name)
            for name in ("requirements.txt", "openmetadata/kafka.json", "plugins.zip")}
    ledger.finish_phase("succeeded")

    run = ledger.run_dir
    assert kept["openmetadata/kafka.json"] == "files/05_work/openmetadata/kafka.json"
    assert SECRET not in (run / kept["openmetadata/kafka.json"]).read_text()
    assert (run / kept["plugins.zip"]).read_bytes() == (build / "plugins.zip").read_bytes()
    record = ledger.phase("05_work")
    assert [f.name for f in record.files_kept] == ["requirements.txt", "openmetadata/kafka.json", "plugins.zip"]
    assert all(len(f.sha256) == 64 and f.bytes > 0 for f in record.files_kept)
    index = (run / "index.html").read_text()
    assert "file: plugins.zip" in index and kept["plugins.zip"] in index
    report = verify_evidence(run, trust=trust)
    assert report.ok, (report.unrecorded, report.mismatched, report.errors)


def test_a_file_dropped_into_the_run_folder_is_still_unrecorded(tmp_path: Path) -> None:
    ledger, trust = _ledger(tmp_path)
    ledger.start_phase("05_work")
    (ledger.run_dir / "workloads_05").mkdir()
    (ledger.run_dir / "workloads_05" / "requirements.txt").write_text("x\n")
    ledger.finish_phase("succeeded")
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert not report.ok and "workloads_05/requirements.txt" in report.unrecorded


def test_a_kept_file_changed_afterwards_fails_verify(tmp_path: Path) -> None:
    source = tmp_path / "ingestor-new.log"
    source.write_text("202 accepted\n")
    ledger, trust = _ledger(tmp_path)
    ledger.start_phase("05_work")
    relative = ledger.record_file(None, f"logs/{source.name}", source)
    ledger.finish_phase("succeeded")
    (ledger.run_dir / relative).write_text("202 accepted\n500 hidden\n")
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert not report.ok and relative in {m.path for m in report.mismatched}
