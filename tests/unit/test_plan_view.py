"""The plan review at a gate (runbook_lib.terraform.plan_view), on captured and hand-made fixture plans.

What an operator must be able to read before approving: a summary by stack, module and type; every address
whole (two buckets whose addresses differ only after 45 characters are two distinct rows); what changes on
every update and replace; the cost estimate when one is given; the drift of the refresh — with the detail in
``<details>``, and no secret anywhere.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fakes import PLAN_FIXTURES

from runbook_lib.terraform.approval import DecisionLog, interactive_gate
from runbook_lib.terraform.plan import load_plan_json, parse_plan
from runbook_lib.terraform.plan_view import PlanView
from runbook_lib.terraform.review import PlanReview
from tests.fixtures.plans.synthetic import plan_document, resource_change

pytestmark = pytest.mark.unit

LONG = "module.data_lake.module.secure_bucket_for_the_platform"  # > 45 characters before the part that differs


def _two_buckets_plan():
    return parse_plan(
        plan_document(
            resource_change("aws_s3_bucket", ["create"], None, {"bucket": "raw"}, name='this["raw"]', module=LONG),
            resource_change(
                "aws_s3_bucket", ["create"], None, {"bucket": "curated"}, name='this["curated"]', module=LONG
            ),
            resource_change(
                "aws_iam_role",
                ["update"],
                {"name": "deploy", "max_session_duration": 3600, "tags": {"Owner": "a"}},
                {"name": "deploy", "max_session_duration": 7200, "tags": {"Owner": "b"}},
                name="deploy",
            ),
        )
    )


def _cells(text: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", text, flags=re.S)]


def test_full_addresses_are_distinct_rows() -> None:
    view = PlanView(_two_buckets_plan(), stack="02_data_stores", plan_sha256="ab" * 32)
    out = view.to_html()
    cells = _cells(out)
    raw, curated = f'{LONG}.aws_s3_bucket.this["raw"]', f'{LONG}.aws_s3_bucket.this["curated"]'
    assert len(raw) > 60 and raw in cells and curated in cells
    assert "…" not in out and "..." not in out  # nothing cut


def test_summary_by_stack_module_and_type() -> None:
    frame = PlanView(_two_buckets_plan(), stack="02_data_stores", plan_sha256="ab" * 32).summary_frame()
    assert list(frame.columns) == ["stack", "module", "type", "create", "update", "total"]
    rows = {(r.module, r.type): (r.create, r.update, r.total) for r in frame.itertuples()}
    assert rows == {(LONG, "aws_s3_bucket"): (2, 0, 2), ("(root)", "aws_iam_role"): (0, 1, 1)}
    assert set(frame["stack"]) == {"02_data_stores"}


def test_changed_attributes_of_every_update_and_replace() -> None:
    plan = load_plan_json(PLAN_FIXTURES / "tf_data_mixed.json")
    view = PlanView(plan, stack="tf_data", plan_sha256="cd" * 32)
    frame = view.attribute_frame()
    detailed = {k for k, rc in plan.changes.items() if rc.action in ("update", "replace")}
    assert set(frame["address"]) == detailed  # every update and replace has its attributes listed
    assert "terraform_data.delete[0]" not in set(frame["address"])
    out = view.to_html()
    for address in detailed:
        assert f"<summary><code>{html.escape(address)}</code>" in out
    assert "s3cr3t" not in out and "s3cr3t" not in view.to_text()  # sensitive values stay masked


def test_replace_marks_the_attribute_that_forces_it() -> None:
    view = PlanView(load_plan_json(PLAN_FIXTURES / "aws_s3_replace.json"), stack="aws_s3", plan_sha256="ef" * 32)
    frame = view.attribute_frame()
    bucket = frame[(frame["address"] == "aws_s3_bucket.this") & (frame["attribute"] == "bucket")]
    assert len(bucket) == 1 and bool(bucket["forces replacement"].iloc[0])


def test_drift_of_the_refresh_is_shown_folded() -> None:
    drift = load_plan_json(PLAN_FIXTURES / "aws_s3_drift_refresh_only.json")
    plan = load_plan_json(PLAN_FIXTURES / "aws_s3_create.json")
    view = PlanView(plan, stack="aws_s3", plan_sha256="01" * 32, drift=drift)
    out = view.to_html()
    assert "<details><summary><b>Drift</b>: the refresh found 1 resource(s)" in out
    frame = view.attribute_frame(view.drift_changes())
    assert any(a.startswith("tags") for a in frame["attribute"])
    clean = PlanView(load_plan_json(PLAN_FIXTURES / "tf_data_mixed.json"), stack="x", plan_sha256="02" * 32)
    assert "found nothing changed outside Terraform" in clean.to_html()


def test_cost_estimate_table_is_rendered_when_given() -> None:
    cost = pd.DataFrame(
        [{"resource": "aws_s3_bucket", "monthly_usd": 1.25}, {"resource": "aws_iam_role", "monthly_usd": 0.0}]
    )
    view = PlanView(_two_buckets_plan(), stack="s", plan_sha256="ab" * 32, cost_estimate=cost)
    out = view.to_html()
    assert "<h5>Cost estimate</h5>" in out and "1.25" in _cells(out)
    assert "Cost estimate" not in PlanView(_two_buckets_plan(), stack="s", plan_sha256="ab" * 32).to_html()


def test_long_detail_is_folded_and_html_is_static() -> None:
    out = PlanView(load_plan_json(PLAN_FIXTURES / "tf_data_mixed.json"), stack="x", plan_sha256="03" * 32).to_html()
    assert out.count("<details>") >= 3  # all changes, the attribute section, one per update/replace
    assert "<script" not in out  # folds without JavaScript: the HTML export shows the same
    assert out.index("Summary by stack") < out.index("<details>")  # the summary is open, the detail folded


def test_interactive_gate_shows_the_view_with_the_cost(tmp_path: Path, capsys) -> None:
    plan_path = tmp_path / "02_data_stores" / "runbook.tfplan"
    plan_path.parent.mkdir()
    plan_path.write_bytes(b"plan")
    review = PlanReview(
        plan=_two_buckets_plan(), plan_path=plan_path, plan_sha256="ab" * 32, stack_dir=plan_path.parent
    )
    cost = pd.DataFrame([{"service": "S3", "monthly_usd": 3.5}])
    interactive_gate(review, display=True, decisions=DecisionLog(), cost_estimate=cost)
    shown = capsys.readouterr().out  # outside a kernel the text form is printed; a kernel shows the HTML
    assert f'{LONG}.aws_s3_bucket.this["curated"]' in shown
    assert "stack 02_data_stores" in shown and "3.5" in shown
    assert "max_session_duration" in shown


def test_html_matches_a_saved_plan_json_roundtrip(tmp_path: Path) -> None:
    # The view reads only the parsed model: a plan saved as JSON and parsed again renders the same review.
    doc = plan_document(resource_change("aws_s3_bucket", ["create"], None, {"bucket": "b"}, name="x"))
    (tmp_path / "p.json").write_text(json.dumps(doc))
    a = PlanView(parse_plan(doc), stack="s", plan_sha256="aa" * 32).to_html()
    b = PlanView(load_plan_json(tmp_path / "p.json"), stack="s", plan_sha256="aa" * 32).to_html()
    assert a == b
