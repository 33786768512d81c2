"""Evidence you can trust (#14): each test tampers with a signed run folder one way and sees verify fail.

The attacker here can read and write the whole run folder (and knows the record format), but does not hold
the signing key. Also: the signing params, the KMS signer (moto), the record log's own properties (no
silent re-hash, rewrites say so, crash leftovers), and the ``runbook evidence`` commands.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fakes import REPO, VALID_PARAMS, mocked_aws

from runbook_lib.cli import main
from runbook_lib.errors import EvidenceError, ParamsError
from runbook_lib.evidence import (
    CHAIN_NAME,
    INDEX_NAME,
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    EvidenceLedger,
    SigningConfig,
    TrustAnchor,
    generate_ed25519_key,
    trust_from_params,
    verify_evidence,
)
from runbook_lib.evidence.chain import canonical_json, sha256_bytes
from runbook_lib.evidence.index_html import SealView, render_index
from runbook_lib.evidence.manifest import Manifest
from runbook_lib.evidence.signing import Ed25519Signer, encode_signature, public_key_pem, seal_statement
from runbook_lib.params import load_params, parse_params

pytestmark = [pytest.mark.unit, pytest.mark.usefixtures("clean_redactor")]

PHASES = ["00_plan", "01_copy"]
REJECTED = {"gate": "network-plan", "approved": False, "decided_by": "reviewer", "reason": "deletes a bucket"}


def _key(path: Path) -> Ed25519Signer:
    generate_ed25519_key(path)
    return Ed25519Signer(path)


def _anchor(signer: Ed25519Signer) -> TrustAnchor:
    return TrustAnchor(source="the test's key", public_key_der=signer.public_key_der())


@pytest.fixture
def signer(evidence_key: Path) -> Ed25519Signer:
    return Ed25519Signer(evidence_key)


@pytest.fixture
def trust(signer: Ed25519Signer) -> TrustAnchor:
    return _anchor(signer)


def _signed_ledger(outputs: Path, signer: Ed25519Signer, run_id: str = "run-t") -> EvidenceLedger:
    """Two phases: 00 rejects its gate and fails, 01 writes a table and succeeds; both phase ends signed."""
    signing = SigningConfig(mode="ed25519", key_file=str(signer.key_file))
    ledger = EvidenceLedger(run_id, outputs, phases=PHASES, signing=signing, html_export=False)
    ledger.start_phase("00_plan")
    ledger.record_table(None, "plan_by_action", pd.DataFrame({"action": ["delete"], "count": [1]}))
    ledger.record_gate(REJECTED)
    ledger.finish_phase("failed", error="GateRejectedError: network-plan")
    ledger.start_phase("01_copy")
    ledger.record_table(None, "rows", pd.DataFrame({"table": ["orders"], "rows": [1200]}))
    ledger.finish_phase("succeeded")
    return ledger


@pytest.fixture
def run(tmp_path: Path, signer: Ed25519Signer, trust: TrustAnchor) -> Path:
    ledger = _signed_ledger(tmp_path / "outputs", signer)
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert report.ok, report.errors  # untouched, it verifies: every failure below is the tampering's
    return ledger.run_dir


# -- what an attacker with write access does -----------------------------------------------------------------------
def _lines(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / CHAIN_NAME).read_bytes().splitlines()]


def _write_lines(run_dir: Path, records: list[dict[str, Any]]) -> None:
    (run_dir / CHAIN_NAME).write_bytes(b"".join(canonical_json(r) + b"\n" for r in records))


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _approve_in_manifest(data: dict[str, Any]) -> None:
    data["phases"]["00_plan"]["gates"][0]["approved"] = True
    data["phases"]["00_plan"]["status"] = "succeeded"


def _rechain(run_dir: Path, records: list[dict[str, Any]], attacker: Ed25519Signer | None = None) -> None:
    """Recompute every link (and, with ``attacker``, the public key and every signature) as a forger would."""
    if attacker is not None:
        pem = public_key_pem(attacker.public_key_der())
        (run_dir / PUBLIC_KEY_NAME).write_bytes(pem)
    manifest_sha = sha256_bytes((run_dir / MANIFEST_NAME).read_bytes())
    index_sha = sha256_bytes((run_dir / INDEX_NAME).read_bytes())
    fingerprint = sha256_bytes(attacker.public_key_der()) if attacker else None
    prev, prev_sha = "0" * 64, None
    for number, record in enumerate(records):
        record["seq"], record["prev"] = number, prev
        record["manifest_sha256"] = manifest_sha
        if attacker is not None and record["kind"] == "public_key":
            record["files"][PUBLIC_KEY_NAME] = sha256_bytes(pem)
            record["data"]["public_key_sha256"] = fingerprint
        if record["kind"] == "signature":
            record["data"].update(signed_seq=number - 1, head_sha256=prev_sha)
            if attacker is not None:
                record["data"].update(index_sha256=index_sha, public_key_sha256=fingerprint)
                statement = {k: record["data"][k] for k in ("index_sha256", "public_key_sha256", "algorithm")}
                message = seal_statement(run_id="run-t", seq=number - 1, head_sha256=prev_sha, **statement)
                record["data"]["signature"] = encode_signature(attacker.sign(message))
        prev = prev_sha = sha256_bytes(canonical_json(record))
    _write_lines(run_dir, records)


def _gate_line(records: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in records if r["kind"] == "gate")


# -- the tampering -------------------------------------------------------------------------------------------------
def test_rejected_gate_edited_to_approved_in_the_manifest(run: Path, trust: TrustAnchor) -> None:
    _edit_json(run / MANIFEST_NAME, _approve_in_manifest)
    report = verify_evidence(run, trust=trust)
    assert not report.ok
    assert any("not the one the chain head vouches for" in e for e in report.errors)
    assert any("gate decisions of phase 00_plan differ" in e for e in report.errors)
    assert any("phase 00_plan is succeeded, the records say failed" in e for e in report.errors)


def test_rejected_gate_edited_in_the_manifest_and_the_chain_record(
    run: Path, trust: TrustAnchor, tmp_path: Path
) -> None:
    digest = verify_evidence(run, trust=trust).digest
    _edit_json(run / MANIFEST_NAME, _approve_in_manifest)
    records = _lines(run)
    _gate_line(records)["data"]["approved"] = True
    _write_lines(run, records)
    report = verify_evidence(run, trust=trust)
    assert not report.ok
    assert any("does not follow the record before it" in e for e in report.errors)

    _rechain(run, records)  # every link recomputed: now only the signatures can tell
    report = verify_evidence(run, trust=trust)
    assert not report.ok and report.signature == "invalid"
    assert not any("does not follow" in e for e in report.errors)
    assert any("does not match the sealed statement" in e for e in report.errors)

    _rechain(run, records, attacker=_key(tmp_path / "attacker.pem"))  # and re-signed with the forger's key
    report = verify_evidence(run, trust=trust)
    assert not report.ok and report.signature == "wrong-key"
    assert not verify_evidence(run).ok  # no anchor: the folder's own key is never enough
    assert not verify_evidence(run, expect_digest=digest).ok  # the change ticket's digest is not this one


def test_csv_edited_and_the_index_rewritten(run: Path, trust: TrustAnchor) -> None:
    csv = run / "tables" / "01_copy" / "rows.csv"
    csv.write_text("table,rows\norders,1199\n")
    manifest = Manifest.from_dict(json.loads((run / MANIFEST_NAME).read_text()))
    manifest.hashes["tables/01_copy/rows.csv"] = sha256_bytes(csv.read_bytes())
    (run / MANIFEST_NAME).write_text(json.dumps(manifest.to_dict(), indent=2) + "\n")
    (run / INDEX_NAME).write_text(render_index(manifest, SealView(status="signed", head_sha256="f" * 64, seq=9)))
    report = verify_evidence(run, trust=trust)
    assert not report.ok
    assert [m.path for m in report.mismatched] == ["tables/01_copy/rows.csv"]
    assert any(f"{INDEX_NAME} is not the page that was signed" in e for e in report.errors)
    assert any(f"{MANIFEST_NAME} lists other files or hashes" in e for e in report.errors)


def test_a_file_and_its_hash_deleted(run: Path, trust: TrustAnchor) -> None:
    (run / "tables" / "01_copy" / "rows.csv").unlink()

    def forget(data: dict[str, Any]) -> None:
        del data["hashes"]["tables/01_copy/rows.csv"]
        data["phases"]["01_copy"]["tables"] = []

    _edit_json(run / MANIFEST_NAME, forget)
    report = verify_evidence(run, trust=trust)
    assert not report.ok
    assert report.missing == ["tables/01_copy/rows.csv"]  # the chain still knows it


def test_all_files_and_hashes_deleted(run: Path, trust: TrustAnchor) -> None:
    for path in sorted(run.rglob("*"), reverse=True):
        if path.is_file() and path.name != CHAIN_NAME:
            path.unlink()
    report = verify_evidence(run, trust=trust)
    assert not report.ok and report.checked == 0
    assert {"tables/00_plan/plan_by_action.csv", "tables/01_copy/rows.csv", PUBLIC_KEY_NAME} <= set(report.missing)

    (run / CHAIN_NAME).unlink()  # nothing left at all: "0 files checked" is no longer OK
    report = verify_evidence(run, trust=trust)
    assert not report.ok and report.records == 0
    assert any(f"{CHAIN_NAME} is missing" in e for e in report.errors)


def test_a_folder_with_no_records_is_not_ok(run: Path, trust: TrustAnchor) -> None:
    (run / CHAIN_NAME).write_bytes(b"")
    report = verify_evidence(run, trust=trust)
    assert not report.ok and report.records == 0
    assert any("has no records" in e for e in report.errors)


def test_a_record_removed_from_the_middle_of_the_chain(run: Path, trust: TrustAnchor) -> None:
    records = _lines(run)
    gate = records.index(_gate_line(records))
    _write_lines(run, records[:gate] + records[gate + 1 :])
    report = verify_evidence(run, trust=trust)
    assert not report.ok
    assert any(f"record on line {gate + 1} has seq {gate + 1}" in e for e in report.errors)
    assert any(f"record {gate + 1} does not follow the record before it" in e for e in report.errors)


def test_a_file_renamed(run: Path, trust: TrustAnchor) -> None:
    (run / "tables" / "01_copy" / "rows.csv").rename(run / "tables" / "01_copy" / "rows-final.csv")
    report = verify_evidence(run, trust=trust)
    assert not report.ok
    assert [(r.path, r.now) for r in report.renamed] == [("tables/01_copy/rows.csv", "tables/01_copy/rows-final.csv")]
    assert report.missing == [] and report.unrecorded == []


@pytest.mark.parametrize("where", [".x.tmp-1", "tables/01_copy/.rows.csv.tmp-1"])
def test_an_extra_temporary_file(run: Path, trust: TrustAnchor, where: str) -> None:
    (run / where).write_text("not in any record")
    report = verify_evidence(run, trust=trust)
    assert not report.ok
    assert report.unrecorded == [where]


def test_a_non_empty_lock_file_is_an_extra_file(run: Path, trust: TrustAnchor) -> None:
    (run / ".ledger.lock").write_text("hidden data")
    assert verify_evidence(run, trust=trust).unrecorded == [".ledger.lock"]


def test_the_signature_replaced(run: Path, trust: TrustAnchor, tmp_path: Path) -> None:
    records = _lines(run)
    seal = records[-1]
    assert seal["kind"] == "signature"
    statement = {k: seal["data"][k] for k in ("index_sha256", "public_key_sha256", "algorithm")}
    message = seal_statement(
        run_id="run-t", seq=seal["data"]["signed_seq"], head_sha256=seal["data"]["head_sha256"], **statement
    )
    seal["data"]["signature"] = encode_signature(_key(tmp_path / "other.pem").sign(message))
    _write_lines(run, records)
    report = verify_evidence(run, trust=trust)
    assert not report.ok and report.signature == "invalid"

    seal["data"]["signature"] = base64.b64encode(b"\0" * 64).decode()
    _write_lines(run, records)
    assert verify_evidence(run, trust=trust).signature == "invalid"


def test_the_public_key_replaced_by_another_keys(run: Path, trust: TrustAnchor, tmp_path: Path) -> None:
    digest = verify_evidence(run, trust=trust).digest
    attacker = _key(tmp_path / "attacker.pem")
    (run / PUBLIC_KEY_NAME).write_bytes(public_key_pem(attacker.public_key_der()))
    report = verify_evidence(run, trust=trust)
    assert not report.ok and [m.path for m in report.mismatched] == [PUBLIC_KEY_NAME]

    _rechain(run, _lines(run), attacker=attacker)  # a complete forgery: chain, key and signatures consistent
    unpinned = verify_evidence(run)
    assert not unpinned.mismatched and not unpinned.missing and not unpinned.unrecorded
    assert unpinned.signature == "unpinned" and not unpinned.ok
    pinned = verify_evidence(run, trust=trust)
    assert pinned.signature == "wrong-key" and not pinned.ok
    by_fingerprint = verify_evidence(run, trust=TrustAnchor.from_fingerprint(trust.fingerprint))
    assert by_fingerprint.signature == "wrong-key" and not by_fingerprint.ok
    ticket = verify_evidence(run, expect_digest=f"sha256:{digest}")
    assert not ticket.ok and any("the change ticket says" in e for e in ticket.errors)


def test_the_run_folder_renamed(run: Path, trust: TrustAnchor) -> None:
    moved = run.rename(run.parent / "run-other")
    report = verify_evidence(moved, trust=trust)
    assert not report.ok
    assert any("records are of run 'run-t'" in e for e in report.errors)


# -- what is not tampering, and how the log behaves ----------------------------------------------------------------
def test_the_change_ticket_digest_pins_a_run_without_a_key(run: Path, trust: TrustAnchor) -> None:
    digest = verify_evidence(run, trust=trust).digest
    assert digest and len(digest) == 64
    report = verify_evidence(run, expect_digest=f"sha256:{digest}")
    assert report.ok and report.signature == "valid" and report.trust == "the digest from the change ticket"
    assert not verify_evidence(run, expect_digest="0" * 64).ok


def test_records_after_the_last_signature_are_not_sealed(tmp_path: Path, signer, trust) -> None:
    ledger = _signed_ledger(tmp_path / "outputs", signer)
    ledger.record_apply({"added": 1}, phase="01_copy")  # after the phase end: not signed yet
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert not report.ok and report.unsigned_records == 1
    assert "Not sealed" in (ledger.run_dir / INDEX_NAME).read_text()
    ledger.start_phase("01_copy")
    ledger.finish_phase("succeeded")
    assert verify_evidence(ledger.run_dir, trust=trust).ok


def test_the_index_shows_the_digest_and_the_signature_status(run: Path, trust: TrustAnchor) -> None:
    report = verify_evidence(run, trust=trust)
    index = (run / INDEX_NAME).read_text()
    top = index[: index.index("<table")]
    assert "Signed" in top and report.digest in top and report.public_key_sha256 in top


def test_a_later_write_does_not_take_in_an_earlier_edit(tmp_path: Path, signer, trust) -> None:
    """Before #14 every ledger write re-hashed the whole folder, so an edit made before it was accepted."""
    ledger = _signed_ledger(tmp_path / "outputs", signer)
    csv = ledger.run_dir / "tables" / "01_copy" / "rows.csv"
    csv.write_text("table,rows\norders,1\n")
    ledger.start_phase("02_more")
    ledger.record_table(None, "other", pd.DataFrame({"x": [1]}))
    ledger.finish_phase("succeeded")
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert [m.path for m in report.mismatched] == ["tables/01_copy/rows.csv"] and not report.ok

    _edit_json(ledger.run_dir / MANIFEST_NAME, _approve_in_manifest)
    with pytest.raises(EvidenceError, match="changed outside the ledger"):
        ledger.record_table("02_more", "again", pd.DataFrame({"x": [2]}))


def test_a_rewrite_of_a_path_is_a_record_that_says_so(tmp_path: Path, signer) -> None:
    ledger = _signed_ledger(tmp_path / "outputs", signer)
    first = sha256_bytes((ledger.run_dir / "tables" / "01_copy" / "rows.csv").read_bytes())
    ledger.record_table("01_copy", "rows", pd.DataFrame({"table": ["orders"], "rows": [1300]}))
    last = _lines(ledger.run_dir)[-1]
    assert last["kind"] == "table"
    assert last["replaced"] == {"tables/01_copy/rows.csv": first}
    assert last["files"]["tables/01_copy/rows.csv"] != first


def test_a_killed_write_is_completed_by_the_next_writer(
    tmp_path: Path, signer, trust, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runbook_lib.evidence import store

    ledger = _signed_ledger(tmp_path / "outputs", signer)
    real_replace = os.replace

    def killed(src: Any, dst: Any) -> None:  # the process dies after the record, before the renames
        raise KeyboardInterrupt

    monkeypatch.setattr(store.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        ledger.record_table("01_copy", "late", pd.DataFrame({"x": [1]}))
    monkeypatch.setattr(store.os, "replace", real_replace)
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert not report.ok and report.unsigned_records == 1
    (leftover,) = [r for r in report.renamed if r.path == "tables/01_copy/late.csv"]  # not ignored
    assert Path(leftover.now).name.startswith(".late.csv.tmp-")

    ledger.start_phase("01_copy")  # the next writer, under the lock, completes what the chain vouches for
    ledger.finish_phase("succeeded")
    assert verify_evidence(ledger.run_dir, trust=trust).ok


def test_one_run_is_signed_with_one_key(tmp_path: Path, signer) -> None:
    ledger = _signed_ledger(tmp_path / "outputs", signer)
    other = tmp_path / "keys" / "evidence.pem"
    other.unlink()
    generate_ed25519_key(other)
    with pytest.raises(EvidenceError, match="signed with another key"):
        EvidenceLedger.open(ledger.run_dir).finish_phase("succeeded", phase="01_copy")


def test_an_unsigned_sandbox_run_verifies_only_when_allowed(tmp_path: Path) -> None:
    ledger = EvidenceLedger("run-u", tmp_path, phases=["00_a"], html_export=False)
    ledger.start_phase("00_a")
    ledger.finish_phase("succeeded")
    report = verify_evidence(ledger.run_dir)
    assert report.signature == "unsigned" and not report.ok
    assert verify_evidence(ledger.run_dir, allow_unsigned=True).ok
    assert "Not signed" in (ledger.run_dir / INDEX_NAME).read_text()


# -- keys ----------------------------------------------------------------------------------------------------------
def test_the_sandbox_key_is_generated_with_mode_0600(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "sandbox.pem"
    ledger = EvidenceLedger(
        "run-g",
        tmp_path / "outputs",
        phases=["00_a"],
        html_export=False,
        signing=SigningConfig(mode="ed25519", key_file=str(key), create_if_missing=True),
    )
    ledger.start_phase("00_a")
    ledger.finish_phase("succeeded")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    public = (ledger.run_dir / PUBLIC_KEY_NAME).read_bytes()
    assert public == public_key_pem(Ed25519Signer(key).public_key_der())
    assert b"PRIVATE" not in b"".join(p.read_bytes() for p in ledger.run_dir.rglob("*") if p.is_file())


def test_a_missing_key_is_not_generated_outside_the_sandbox(tmp_path: Path) -> None:
    signing = SigningConfig(mode="ed25519", key_file=str(tmp_path / "absent.pem"))
    ledger = EvidenceLedger("run-m", tmp_path / "outputs", phases=["00_a"], html_export=False, signing=signing)
    ledger.start_phase("00_a")
    with pytest.raises(EvidenceError, match="does not exist"):
        ledger.finish_phase("succeeded")
    assert not (tmp_path / "absent.pem").exists()
    assert "succeeded" in (ledger.run_dir / MANIFEST_NAME).read_text()  # the record is written, just not signed


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "loose.pem"
    generate_ed25519_key(key)
    key.chmod(0o644)
    with pytest.raises(EvidenceError, match="readable by others"):
        Ed25519Signer(key)


# -- params --------------------------------------------------------------------------------------------------------
def _params_data(**signing: Any) -> dict[str, Any]:
    data = yaml.safe_load(VALID_PARAMS.read_text())
    if signing:
        data["evidence"]["signing"] = signing
    return data


@pytest.mark.parametrize(
    ("signing", "key", "allowed"),
    [
        ({"mode": "rsa"}, "evidence.signing.mode", "one of ed25519, kms, none"),
        ({"mode": "ed25519"}, "evidence.signing.key_file", "required with evidence.signing.mode ed25519"),
        ({"mode": "kms"}, "evidence.signing.kms_key_id", "required with evidence.signing.mode kms"),
        ({"mode": "kms", "kms_key_id": "my key"}, "evidence.signing.kms_key_id", "a KMS key ID, key ARN, alias"),
        ({"mode": "kms", "kms_key_id": "alias/x", "key_file": "k.pem"}, "evidence.signing.key_file", "null with"),
        ({"mode": "ed25519", "key_file": "k.pem", "pin": 1}, "evidence.signing.pin", "mode, key_file, kms_key_id"),
    ],
)
def test_signing_params_are_validated(signing: dict[str, Any], key: str, allowed: str) -> None:
    with pytest.raises(ParamsError) as info:
        parse_params(_params_data(**signing))
    assert info.value.key == key
    given = info.value.allowed
    assert allowed in (", ".join(given) if isinstance(given, list) else given)


def test_none_is_refused_on_a_protected_environment() -> None:
    data = _params_data(mode="none")
    assert parse_params(data).evidence.signing.mode == "none"  # the sandbox may
    data["protected"] = True
    with pytest.raises(ParamsError) as info:
        parse_params(data)
    assert info.value.key == "evidence.signing.mode" and "protected" in str(info.value.allowed)
    data = _params_data()
    data.update(env="staging", protected=None)
    data["aws"]["endpoint_url"] = None
    data["gates"]["auto_approve_actions"] = ["no-op", "read"]
    signing = parse_params(data).evidence.signing  # no section on a protected env: its KMS alias, never none
    assert (signing.mode, signing.kms_key_id) == ("kms", "alias/runbook-evidence-staging")


def test_the_project_params_sign_every_environment() -> None:
    sandbox = load_params("sandbox").evidence.signing
    assert sandbox.mode == "ed25519" and sandbox.key_file is not None
    assert str(sandbox.key_file).startswith("outputs/")  # git-ignored (outputs/*), never committed
    gitignore = (REPO / ".gitignore").read_text().splitlines()
    assert "outputs/*" in gitignore
    for env in ("dev", "staging", "prod"):
        assert load_params(env).evidence.signing.mode == "kms"


# -- KMS (moto) ----------------------------------------------------------------------------------------------------
@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    with mocked_aws(monkeypatch):
        import boto3

        yield boto3.client("kms", region_name="eu-west-1")


def _kms_params(alias: str):
    data = _params_data(mode="kms", kms_key_id=alias)
    data.update(env="dev", protected=True)
    data["aws"]["endpoint_url"] = None
    return parse_params(data)


def _kms_key(kms: Any, alias: str, spec: str = "ECC_NIST_P256", usage: str = "SIGN_VERIFY") -> str:
    key_id = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id


@pytest.mark.parametrize(
    ("spec", "algorithm"), [("ECC_NIST_P256", "ECDSA_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_256")]
)
def test_kms_signs_and_verifies(aws: Any, tmp_path: Path, spec: str, algorithm: str) -> None:
    key_id = _kms_key(aws, "alias/runbook-evidence-dev", spec)
    params = _kms_params("alias/runbook-evidence-dev")
    ledger = EvidenceLedger("run-kms", tmp_path / "outputs", params=params, phases=PHASES, repo_dir=tmp_path)
    ledger.start_phase("00_plan")
    ledger.record_gate(REJECTED)
    ledger.finish_phase("failed", error="rejected")
    trust = trust_from_params(params)
    report = verify_evidence(ledger.run_dir, trust=trust)
    assert report.ok, report.errors
    assert report.signer == f"{algorithm} {key_id}"
    assert "kms_key_id alias/runbook-evidence-dev" in report.trust

    _kms_key(aws, "alias/someone-else")
    other = verify_evidence(ledger.run_dir, trust=trust_from_params(_kms_params("alias/someone-else")))
    assert other.signature == "wrong-key" and not other.ok

    _edit_json(ledger.run_dir / MANIFEST_NAME, _approve_in_manifest)
    records = _lines(ledger.run_dir)
    _gate_line(records)["data"]["approved"] = True
    _rechain(ledger.run_dir, records)
    assert verify_evidence(ledger.run_dir, trust=trust).signature == "invalid"


def test_kms_key_that_cannot_sign_is_refused(aws: Any, tmp_path: Path) -> None:
    _kms_key(aws, "alias/runbook-evidence-dev", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    params = _kms_params("alias/runbook-evidence-dev")
    ledger = EvidenceLedger("run-kms", tmp_path / "outputs", params=params, phases=PHASES, repo_dir=tmp_path)
    ledger.start_phase("00_plan")
    with pytest.raises(EvidenceError, match="not SIGN_VERIFY"):
        ledger.finish_phase("succeeded")
    with pytest.raises(EvidenceError, match="KMS GetPublicKey with key alias/absent failed"):
        trust_from_params(_kms_params("alias/absent"))


# -- the command line ----------------------------------------------------------------------------------------------
def _params_dir_for(tmp_path: Path, key_file: Path) -> Path:
    params_dir = tmp_path / "params"
    params_dir.mkdir()
    data = _params_data(mode="ed25519", key_file=str(key_file))
    (params_dir / "sandbox.yaml").write_text(yaml.safe_dump(data))
    return params_dir


def test_cli_verify_takes_the_key_from_the_runs_params(
    tmp_path: Path, signer, capsys: pytest.CaptureFixture[str]
) -> None:
    params_dir = _params_dir_for(tmp_path, signer.key_file)
    params = load_params("sandbox", params_dir)
    ledger = EvidenceLedger("run-cli", tmp_path / "outputs", params=params, phases=PHASES, repo_dir=tmp_path)
    ledger.start_phase("00_plan")
    ledger.finish_phase("succeeded")
    assert main(["evidence", "verify", str(ledger.run_dir), "--params-dir", str(params_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["signature"] == "valid" and len(report["digest"]) == 64
    assert str(signer.key_file) in report["trust"]

    assert main(["evidence", "verify", str(ledger.run_dir), "--expect-digest", f"sha256:{report['digest']}"]) == 0
    assert f"for the change ticket: runbook-evidence run-cli sha256:{report['digest']}" in capsys.readouterr().out

    (ledger.run_dir / ".x.tmp-1").write_text("")
    assert main(["evidence", "verify", str(ledger.run_dir), "--params-dir", str(params_dir)]) != 0
    assert "UNRECORDED .x.tmp-1" in capsys.readouterr().out


def test_cli_keygen_writes_a_private_key_0600_and_its_public_half(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "ops" / "evidence.pem"
    assert main(["evidence", "keygen", str(key)]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    fingerprint = sha256_bytes(Ed25519Signer(key).public_key_der())
    assert fingerprint in capsys.readouterr().out
    assert TrustAnchor.from_public_key_file(key.with_name("evidence.pem.pub.pem")).fingerprint == fingerprint
    assert main(["evidence", "keygen", str(key)]) != 0  # never overwritten
