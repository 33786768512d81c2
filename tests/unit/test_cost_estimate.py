"""The offline plan estimate: a hand-computed fixture, not-priced lines never zero, the production plan's coverage,
usage profiles in the params, the CLI, and the estimate carried by a stack phase's gate record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fakes import REPO

from runbook_lib.cost.estimate import NOT_PRICED, PRICED, combine, estimate_plan
from runbook_lib.cost.prices import HOURS_PER_MONTH, load_price_table
from runbook_lib.errors import ParamsError
from runbook_lib.params import USAGE_KEYS, parse_params
from runbook_lib.terraform.plan import parse_plan

pytestmark = pytest.mark.unit

PROD_PLANS = REPO / "tests" / "fixtures" / "plans" / "prod_platform"


def _rc(address: str, rtype: str, after: dict, actions: tuple[str, ...] = ("create",), module: str | None = None):
    return {"address": address, "type": rtype, "name": address.split(".")[-1], "mode": "managed",
            "module_address": module, "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": list(actions), "before": None, "after": after}}


def _plan(*rcs) -> object:
    return parse_plan({"format_version": "1.2", "terraform_version": "1.11.4", "resource_changes": list(rcs)})


FIXTURE = _plan(
    _rc("aws_nat_gateway.a", "aws_nat_gateway", {"connectivity_type": "public"}),
    _rc("aws_db_instance.pg", "aws_db_instance", {"engine": "postgres", "instance_class": "db.r6g.large",
                                                   "multi_az": True, "allocated_storage": 100, "storage_type": "gp3"}),
    _rc("aws_lambda_function.f", "aws_lambda_function", {"memory_size": 512, "architectures": ["x86_64"]}),
    _rc("aws_iam_role.r", "aws_iam_role", {}),
    _rc("aws_quantum_ledger.q", "aws_quantum_ledger", {}),
    _rc("aws_s3_bucket.gone", "aws_s3_bucket", {}, actions=("delete",)),
)
USAGE = {"nat_gb_processed": 100.0, "lambda_requests": 1_000_000.0, "lambda_avg_duration_ms": 200.0}


def test_fixture_plan_estimate_equals_the_hand_computed_figure() -> None:
    est = estimate_plan(FIXTURE, stack="s", region="eu-west-1", usage=USAGE, usage_profile="p")
    # By hand, from the price table's rows (eu-west-1):
    nat = 730 * 0.048 + 100 * 0.048                       # 35.04 + 4.80
    rds = 730 * 2 * 0.245 + 100 * 2 * 0.127              # Multi-AZ doubles instance hours and storage
    lam = 1_000_000 * 0.20 / 1e6 + 1_000_000 * 0.2 * 0.5 * 0.0000166667   # requests + GB-seconds
    assert est.total_usd == pytest.approx(round(nat + rds + lam, 2), abs=0.01)
    assert est.total_usd == pytest.approx(39.84 + 383.10 + 1.87, abs=0.01)  # = 424.81
    by_address = est.by_resource().set_index("address")["monthly_usd"]
    assert by_address["aws_db_instance.pg"] == pytest.approx(round(rds, 2))
    assert "aws_s3_bucket.gone" not in by_address.index  # deleted: it costs nothing after apply


def test_a_type_without_price_is_not_priced_never_zero() -> None:
    est = estimate_plan(FIXTURE, stack="s", region="eu-west-1", usage=USAGE)
    line = next(line for line in est.lines if line.type == "aws_quantum_ledger")
    assert line.status == NOT_PRICED and line.monthly_usd is None
    assert "no price rule" in line.reason
    assert list(est.not_priced_frame()["type"]) == ["aws_quantum_ledger"]
    assert est.coverage().uncovered_types == ("aws_quantum_ledger",)
    iam = next(line for line in est.lines if line.type == "aws_iam_role")
    assert iam.status == "no charge" and iam.reason == "IAM is free"


def test_missing_usage_or_region_is_not_priced_with_the_reason() -> None:
    est = estimate_plan(FIXTURE, stack="s", region="eu-west-1", usage={}, usage_profile="empty")
    nat_data = next(line for line in est.lines if line.type == "aws_nat_gateway" and line.dimension == "data-processed")
    assert nat_data.status == NOT_PRICED and nat_data.monthly_usd is None
    assert nat_data.reason == "usage profile 'empty' has no nat_gb_processed"
    nat_hours = next(line for line in est.lines if line.type == "aws_nat_gateway" and line.dimension == "hours")
    assert nat_hours.status == PRICED and nat_hours.monthly_usd == pytest.approx(730 * 0.048)
    other = estimate_plan(FIXTURE, stack="s", region="ap-south-2", usage=USAGE)
    assert other.total_usd == 0 and all(line.status != PRICED for line in other.lines)
    assert any("no price row for aws_nat_gateway hours in ap-south-2" == line.reason for line in other.lines)


def test_price_table_rows_are_complete() -> None:
    table = load_price_table()
    assert table.rows and table.effective_date
    for row in table.rows:
        assert row.usd >= 0 and row.source_url.startswith("https://aws.amazon.com/") and row.region == "eu-west-1"
    assert HOURS_PER_MONTH == 730


def test_production_plan_covers_at_least_90_percent_of_priced_types() -> None:
    params = parse_params(yaml.safe_load((REPO / "params" / "prod.yaml").read_text()))
    from runbook_lib.cost.estimate import estimate_from_params
    from runbook_lib.terraform.plan import load_plan_json

    stacks = sorted(p.stem for p in PROD_PLANS.glob("*.json"))
    assert stacks == ["00_state_backend", "01_network_iam", "02_data_stores", "03_streaming_ingestion",
                      "04_processing", "05_orchestration_observability", "06_cicd"]
    total = combine(estimate_from_params(load_plan_json(PROD_PLANS / f"{s}.json"), stack=s, params=params)
                    for s in stacks)
    cov = total.coverage()
    assert len(cov.chargeable_types) >= 25
    assert cov.share >= 0.9, cov.uncovered_types
    assert total.total_usd > 1000 and not total.not_priced


def test_unknown_usage_profile_key_is_a_one_line_params_error() -> None:
    data = yaml.safe_load((REPO / "params" / "sandbox.yaml").read_text())
    data["cost"]["usage_profiles"]["rehearsal"]["api_requestz"] = 5
    with pytest.raises(ParamsError) as info:
        parse_params(data)
    text = info.value.one_line()
    assert "cost.usage_profiles.rehearsal.api_requestz" in text and "api_requests" in text and "\n" not in text
    data["cost"]["usage_profiles"]["rehearsal"].pop("api_requestz")
    data["cost"]["usage_profile"] = "nope"
    with pytest.raises(ParamsError, match="cost.usage_profile"):
        parse_params(data)
    assert "glue_job_hours" in USAGE_KEYS


def test_cli_estimate_json_for_the_production_plan(capsys: pytest.CaptureFixture[str]) -> None:
    from runbook_lib.cli import main

    assert main(["cost", "estimate", "--stack", "all", "--env", "prod", "--plan-json", str(PROD_PLANS), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["type_coverage"] >= 0.9 and out["summary"]["usage_profile"] == "steady"
    assert {row["stack"] for row in out["by_stack"]} >= {"02_data_stores", "05_orchestration_observability"}
    assert sum(r["monthly_usd"] for r in out["by_stack"]) == pytest.approx(out["summary"]["monthly_usd"], abs=0.05)


def test_stack_phase_records_the_estimate_before_the_gate_and_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real ledger and StackPhase; the runner is a stand-in returning the production fixture plan of stack 02."""
    from runbook_lib.evidence import EvidenceLedger
    from runbook_lib.phases.session import PhaseSession
    from runbook_lib.phases.stack import StackPhase
    from runbook_lib.terraform.plan import load_plan_json
    from runbook_lib.terraform.runner import PlanReview
    from runbook_lib.util import sha256_file

    fixture = PROD_PLANS / "02_data_stores.json"

    class Runner:
        def plan(self, *, destroy: bool = False) -> PlanReview:
            path = tmp_path / "stack.tfplan"
            path.write_bytes(fixture.read_bytes())
            sha = sha256_file(path)
            return PlanReview(plan=load_plan_json(fixture, plan_sha256=sha), plan_path=path, plan_sha256=sha,
                              stack_dir=tmp_path, destroy=destroy)

    params = parse_params(yaml.safe_load((REPO / "params" / "sandbox.yaml").read_text()))
    ledger = EvidenceLedger("unit-cost", tmp_path / "outputs", params=params, phases=["02_data_stores"])
    ledger.start_phase("02_data_stores")
    session = PhaseSession(phase="02_data_stores", params=params, ledger=ledger, owns_phase=True)
    phase = StackPhase(session=session, stack="02_data_stores", runner=Runner())  # type: ignore[arg-type]
    phase.plan()
    assert phase.estimate is not None and phase.estimate.total_usd > 0
    assert "02_data_stores: estimated USD" in capsys.readouterr().out  # shown in the notebook before the gate
    record = ledger.manifest.phases["02_data_stores"]
    assert any(t.name == "02_data_stores_cost_estimate" for t in record.tables) and not record.gates
    from runbook_lib.terraform.plan_view import PlanView

    shown: list[PlanView] = []
    monkeypatch.setattr(PlanView, "show", lambda view: shown.append(view))
    phase.request_approval()
    (view,) = shown  # the review the headless gate shows carries the estimate plan() made
    assert view.cost_estimate is not None and len(view.cost_estimate) == len(phase.estimate.by_resource())
    assert "-- cost estimate" in view.to_text()
    (gate,) = ledger.manifest.phases["02_data_stores"].gates
    carried = gate["cost_estimate"]
    assert carried["monthly_usd"] == phase.estimate.total_usd and carried["usage_profile"] == "rehearsal"
    # The sandbox profile gives no DocumentDB quantities: those lines are carried as not priced, with the reason.
    assert any(n["reason"] == "usage profile 'rehearsal' has no docdb_gb_stored" for n in carried["not_priced"])
