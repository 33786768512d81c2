"""End to end: the whole runbook headless, then the IaC check over what it applied, then destroy.

One run on purpose (it takes many minutes), in two parts that share the applied sandbox:

1. ``runbook run --env sandbox`` executes every phase notebook 00->06 with papermill, as CI and
   ``make demo`` do: each stack is planned, gated by the headless policy, applied with the real
   Terraform and AWS provider against the session sandbox's moto, read back and drift-checked; phase 02
   moves the seeded objects, PostgreSQL and MongoDB data and verifies them by content. The evidence
   folder must verify.
2. :class:`~runbook_lib.infra.iac_check.IacCheck` then plans every stack again on the same state (the
   runbook left nothing to change, so nothing is re-applied), reads every resource back with
   :mod:`runbook_lib.infra.verify`, plans the production tfvars against the same stand-in, counts
   coverage, and destroys everything in reverse order, leaving no project resource behind.

fmt/validate/checkov are not repeated here (the unit tier and ``runbook iac check`` cover them).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from cli_helpers import run_cli
from fakes import empty_bucket

from runbook_lib.evidence.signing import SigningConfig
from runbook_lib.infra.iac_check import IacCheck
from runbook_lib.params import load_params

pytestmark = pytest.mark.notebooks

PHASES = [
    "00_preflight",
    "01_network_iam",
    "02_data_lake_databases",
    "03_streaming_ingestion",
    "04_processing",
    "05_orchestration_observability",
    "06_cicd",
    "07_cost_health",
    "08_cutover",
    "09_dr",
]

MIN_COVERAGE = 0.85
KMS_ALIAS = "alias/runbook-evidence-sandbox"  # terraform_infra/envs/sandbox/00_state_backend.tfvars


def _table(phase: dict, name: str) -> list[dict]:
    return next(t for t in phase["tables"] if t["name"] == name)["records"]


def _empty_buckets(endpoint: str, buckets: list[str]) -> int:
    from runbook_lib.migrate.objects import s3_client

    s3 = s3_client(endpoint, access_key="test", secret_key="test")
    return sum(empty_bucket(s3, bucket, versions=True) for bucket in buckets)


@pytest.mark.timeout(5400)
def test_whole_runbook_headless_then_iac_check_and_destroy(sandbox, tmp_path: Path, check_evidence) -> None:
    started = time.monotonic()
    # ---- 1. the whole runbook, headless, as `make demo` runs it
    outputs = tmp_path / "outputs"
    result = run_cli("run", "--env", "sandbox", "--outputs-dir", str(outputs), "--json", timeout=3600)
    print(f"[runbook run {time.monotonic() - started:6.0f}s] exit {result.returncode}")
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    (run_dir,) = [p for p in outputs.iterdir() if p.is_dir() and not p.name.startswith(".")]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [name for name in manifest["phases"]] == PHASES
    assert all(p["status"] == "succeeded" for p in manifest["phases"].values()), {
        n: p["status"] for n, p in manifest["phases"].items()
    }
    for name in PHASES[1:]:
        assert (run_dir / "notebooks" / f"{name}.ipynb").exists()
    data = manifest["phases"]["02_data_lake_databases"]
    for kind in ("s3", "postgres", "mongo"):
        rows = _table(data, f"{kind}_verification")
        assert rows, kind
    # What phases 03-09 move and decide is in their tables: each must be there and hold rows.
    for phase, table in (
        ("03_streaming_ingestion", "kafka_verification"),
        ("03_streaming_ingestion", "ingest_cutover_steps"),
        ("04_processing", "spark_parity"),
        ("05_orchestration_observability", "05_dag_validation"),
        ("06_cicd", "cicd_workflows"),
        ("07_cost_health", "health_metrics"),
        ("08_cutover", "go_no_go"),
        ("08_cutover", "rollback_rehearsal"),
        ("09_dr", "dr_rpo_rto"),
    ):
        assert _table(manifest["phases"][phase], table), (phase, table)
    cutover = _table(manifest["phases"]["03_streaming_ingestion"], "ingest_cutover_steps")
    assert cutover[-1]["applied_pct"] == 100 and all(row["passed"] for row in cutover)
    check_evidence(run_dir)
    # The evidence signing key stack 00 created (the one dev/staging/prod sign with) signs through KMS on moto.
    params = load_params("sandbox")
    kms_signing = SigningConfig(mode="kms", kms_key_id=KMS_ALIAS, aws=params.aws.model_dump(mode="json")).signer()
    seal = kms_signing.sign(b"chain head")
    assert kms_signing.algorithm == "ECDSA_SHA_256" and kms_signing.verify(b"chain head", seal)
    assert not kms_signing.verify(b"another head", seal)

    # ---- 2. the IaC check over the applied sandbox, the production plan, and the teardown
    # moto answers the provider's DeleteObjects (force_destroy) for the migrated data-lake objects with
    # HTTP 500 (seen twice in clean-clone runs; one DeleteObject per version works), so the test empties
    # the buckets phase 02 filled before the teardown. Emulator gap, listed in the README.
    emptied = _empty_buckets(sandbox.url("aws"), [m.target_bucket for m in params.migration.s3])
    print(f"[teardown prep] deleted {emptied} object versions from the migrated buckets")
    assert emptied > 0
    check = IacCheck(
        params,
        apply=True,
        destroy=True,
        static=False,
        work_dir=tmp_path / "iac-check",
        progress=lambda message: print(f"[iac-check {time.monotonic() - started:6.0f}s] {message}"),
    )
    report = check.check_all()
    duration = time.monotonic() - started
    summary = {
        "duration_s": round(duration),
        "counts": report.counts,
        "durations_s": report.durations_s,
        "errors": report.errors,
        "verification_failures": report.verification_failures,
        "leftovers": [vars(x) for x in report.leftovers or []],
    }
    print(json.dumps(summary, indent=2, default=str))

    # Every stack applied and was destroyed without an error.
    assert report.errors == []
    runs = report.runs
    assert list(runs) == sorted(runs) and len(runs) == 7
    assert all(run.applied and run.verification is not None for run in runs.values())
    assert all(run.destroyed for run in runs.values())
    # What the notebooks applied plans clean: nothing left to create, replace or delete.
    assert {
        s: run.plan_counts
        for s, run in runs.items()
        if any(run.plan_counts.get(a) for a in ("create", "delete", "replace"))
    } == {}

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
