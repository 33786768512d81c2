"""The evidence signing key is created by stack 00 (#14): a first run signs once that stack is applied.

On a fresh account the KMS alias that ``evidence.signing.kms_key_id`` names does not exist until phase 01
applies ``00_state_backend``. Until then (and only until then) a phase end may leave its seal to the next
one; the chain makes that later signature cover every earlier record. After the stack is applied, or after
a first signature, a missing key is an error again. The Terraform side is checked too: every environment's
stack-00 tfvars create exactly the alias its params sign with.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes import REPO, VALID_PARAMS
from moto import mock_aws

from runbook_lib.errors import SigningKeyNotFoundError
from runbook_lib.evidence import EvidenceLedger, trust_from_params, verify_evidence
from runbook_lib.evidence.ledger import SIGNING_KEY_STACK
from runbook_lib.params import load_params, parse_params
from runbook_lib.phases.headless import _check_signing

pytestmark = pytest.mark.unit

ALIAS = "alias/runbook-evidence-dev"
PHASES = ["00_preflight", "01_network_iam", "02_data"]


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        import boto3

        yield boto3.client("kms", region_name="eu-west-1")


def _params() -> Any:
    data = yaml.safe_load(VALID_PARAMS.read_text())
    data["evidence"]["signing"] = {"mode": "kms", "kms_key_id": ALIAS}
    data.update(env="dev", protected=True)
    data["aws"]["endpoint_url"] = None
    return parse_params(data)


def _create_key(kms: Any) -> str:
    """What stack 00's aws_kms_key + aws_kms_alias create."""
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key_id)
    return key_id


def _ledger(tmp_path: Path) -> EvidenceLedger:
    return EvidenceLedger("run-first", tmp_path / "outputs", params=_params(), phases=PHASES, repo_dir=tmp_path)


def _kinds(ledger: EvidenceLedger) -> list[str]:
    lines = (ledger.run_dir / "ledger.jsonl").read_text().splitlines()
    return [json.loads(line)["kind"] for line in lines]


def test_a_first_run_signs_once_stack_00_has_created_the_key(kms: Any, tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    _check_signing(ledger)  # the runner's early check: the key may be missing, stack 00 is not applied yet
    ledger.start_phase("00_preflight")
    ledger.finish_phase("succeeded")  # no key yet: the seal is left to a later phase end, no error
    assert "signature" not in _kinds(ledger)

    ledger.start_phase("01_network_iam")
    key_id = _create_key(kms)
    ledger.record_apply({"add": 5}, stack=SIGNING_KEY_STACK)
    ledger.finish_phase("succeeded")
    assert _kinds(ledger).count("signature") == 1

    report = verify_evidence(ledger.run_dir, trust=trust_from_params(_params()))
    assert report.ok, report.errors
    assert report.unsigned_records == 0  # the one signature covers phase 00's records too
    assert key_id in report.signer


def test_after_stack_00_is_applied_a_missing_key_is_an_error(kms: Any, tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    ledger.start_phase("01_network_iam")
    ledger.record_apply({"add": 5}, stack=SIGNING_KEY_STACK)  # applied, but the alias is wrong/absent
    with pytest.raises(SigningKeyNotFoundError, match="does not exist") as info:
        ledger.finish_phase("succeeded")
    assert "evidence_signing_key_alias" in (info.value.hint or "")
    with pytest.raises(SigningKeyNotFoundError):
        _check_signing(ledger)  # a resumed run fails before any phase runs


def test_after_a_first_signature_the_key_cannot_go_missing(kms: Any, tmp_path: Path) -> None:
    key_id = _create_key(kms)
    ledger = _ledger(tmp_path)
    ledger.start_phase("00_preflight")
    ledger.finish_phase("succeeded")
    assert "signature" in _kinds(ledger)
    kms.delete_alias(AliasName=ALIAS)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    reopened = EvidenceLedger.open(ledger.run_dir)
    assert not reopened.may_defer_seal()
    reopened.start_phase("01_network_iam")
    with pytest.raises(SigningKeyNotFoundError):
        reopened.finish_phase("succeeded")


def test_an_unsigned_head_does_not_verify(kms: Any, tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    ledger.start_phase("00_preflight")
    ledger.finish_phase("succeeded")  # deferred, and the run stops here
    _create_key(kms)
    report = verify_evidence(ledger.run_dir, trust=trust_from_params(_params()))
    assert not report.ok and report.signature != "valid"


def _tfvars_alias(env: str) -> str | None:
    text = (REPO / "terraform_infra" / "envs" / env / "00_state_backend.tfvars").read_text()
    match = re.search(r'^evidence_signing_key_alias\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else None


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_stack_00_creates_the_alias_each_environment_signs_with(env: str) -> None:
    signing = load_params(env).evidence.signing
    assert signing.mode == "kms"
    assert _tfvars_alias(env) == signing.kms_key_id


def test_stack_00_declares_an_asymmetric_signing_key() -> None:
    import hcl2

    def unquote(value: Any) -> Any:  # python-hcl2 5 keeps string quotes in names and values
        return value.strip('"') if isinstance(value, str) else value

    path = REPO / "terraform_infra" / "stacks" / "00_state_backend" / "evidence_signing.tf"
    with path.open() as handle:
        blocks = hcl2.load(handle)["resource"]
    resources = {
        (unquote(kind), unquote(name)): {unquote(k): unquote(v) for k, v in body.items()}
        for block in blocks
        for kind, named in block.items()
        for name, body in named.items()
    }
    key = resources[("aws_kms_key", "evidence_signing")]
    assert (key["customer_master_key_spec"], key["key_usage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    assert resources[("aws_kms_alias", "evidence_signing")]["name"] == "${var.evidence_signing_key_alias}"
