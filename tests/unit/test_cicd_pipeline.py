"""Phase 06's pipeline: the generated workflows, both checkers (real actionlint and check-jsonschema binaries,
no mocks), the OIDC trust policy check, and the plan comment.

The checkers run for real on files in a temporary folder: a generated workflow passes both, a broken one fails
both, so a checker that silently passes everything would fail these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from runbook_lib.cicd.pipeline import build_spec, generate_pipeline
from runbook_lib.cicd.plan_comment import plan_comment
from runbook_lib.cicd.trust import check_trust_policy
from runbook_lib.cicd.validate import validate_workflows
from runbook_lib.cicd.workflow import AWS_CREDENTIALS, UPLOAD_ARTIFACT, render_workflow
from runbook_lib.errors import ParamsError, PipelineCheckError
from runbook_lib.params import load_params

pytestmark = pytest.mark.unit

REPO = "example-org/data-migration"
HOST = "token.actions.githubusercontent.com"
ROLE = "arn:aws:iam::123456789012:role/dmig-sandbox-github-deploy"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    params = load_params("sandbox")
    return generate_pipeline(params, default_dir=tmp_path_factory.mktemp("wf"), role_arns={"sandbox": ROLE})


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_generated_workflow_passes_actionlint_and_schema(generated) -> None:
    assert [p.name for p in generated.paths] == ["runbook-sandbox.yml"]
    assert generated.report.ok, generated.problems()
    assert generated.ok
    assert generated.report.tools["actionlint"].startswith("actionlint")
    frame = generated.report.to_frame()
    assert list(frame["actionlint"]) == ["pass"] and list(frame["json schema"]) == ["pass"]


def test_workflow_shape_oidc_gate_evidence_concurrency(generated) -> None:
    text = generated.paths[0].read_text()
    assert "aws-access-key-id" not in text and "secrets.AWS" not in text  # no long-lived keys
    wf = _load(generated.paths[0])
    on = wf[True] if True in wf else wf["on"]  # PyYAML reads the key `on` as a boolean
    assert set(on) == {"pull_request", "push", "workflow_dispatch"}
    assert wf["permissions"] == {"contents": "read"}
    plan, apply = wf["jobs"]["plan"], wf["jobs"]["apply"]
    for job in (plan, apply):
        assert job["permissions"]["id-token"] == "write"
        creds = next(s for s in job["steps"] if s.get("uses") == AWS_CREDENTIALS)
        assert creds["with"]["role-to-assume"] == ROLE
        assert creds["with"]["aws-region"] == "eu-west-1"
    assert plan["environment"] == "sandbox-plan"
    assert apply["environment"] == {"name": "sandbox"}
    assert apply["needs"] == "plan"
    assert "github.event_name != 'pull_request'" in apply["if"]
    assert apply["concurrency"] == {"group": "runbook-sandbox", "cancel-in-progress": False}
    plan_runs = "\n".join(s.get("run", "") for s in plan["steps"])
    assert "runbook tf plan --stack" in plan_runs
    assert 'runbook cost estimate --stack "$stack" --env sandbox --json' in plan_runs
    assert "00_state_backend" not in plan_runs and "06_cicd" in plan_runs
    assert any("gh pr comment" in s.get("run", "") for s in plan["steps"])
    upload = next(s for s in apply["steps"] if s.get("uses") == UPLOAD_ARTIFACT)
    assert upload["if"] == "always()" and "!outputs/.keys/" in upload["with"]["path"]
    assert any("runbook run --env sandbox" in s.get("run", "") for s in apply["steps"])
    assert generated.spec.trusted_subjects() == [
        f"repo:{REPO}:environment:sandbox-plan",
        f"repo:{REPO}:environment:sandbox",
    ]


def test_broken_workflow_fails_both_checkers(generated, tmp_path: Path) -> None:
    wf = _load(generated.paths[0])
    del wf["jobs"]["apply"]["runs-on"]  # a job without a runner: GitHub refuses the file
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(wf, sort_keys=False))
    report = validate_workflows([broken])
    (check,) = report.files
    assert check.actionlint and check.schema
    assert not report.ok
    assert any("runs-on" in f.message for f in check.actionlint)


def test_missing_action_input_fails_actionlint(generated, tmp_path: Path) -> None:
    wf = _load(generated.paths[0])
    creds = next(s for s in wf["jobs"]["plan"]["steps"] if s.get("uses") == AWS_CREDENTIALS)
    del creds["with"]["aws-region"]
    broken = tmp_path / "no-region.yml"
    broken.write_text(yaml.safe_dump(wf, sort_keys=False))
    (check,) = validate_workflows([broken]).files
    assert any("aws-region" in f.message for f in check.actionlint)


def test_role_from_github_environment_variable_when_params_name_none(tmp_path: Path) -> None:
    spec, _ = build_spec(load_params("sandbox"))
    text = render_workflow(spec, spec.targets[0])
    assert "role-to-assume: ${{ vars.RUNBOOK_DEPLOY_ROLE_ARN }}" in text


def test_environment_the_trust_policy_does_not_admit_is_a_problem(tmp_path: Path) -> None:
    params_dir = tmp_path / "params"
    params_dir.mkdir()
    src = yaml.safe_load((Path("params") / "sandbox.yaml").read_text())
    src["cicd"] = {"environments": ["sandbox"], "plan_environment_suffix": "-preview"}
    (params_dir / "sandbox.yaml").write_text(yaml.safe_dump(src))
    from runbook_lib.params import load_params_file

    params = load_params_file(params_dir / "sandbox.yaml")
    result = generate_pipeline(params, default_dir=tmp_path / "wf", role_arns={"sandbox": ROLE})
    assert result.report.ok  # the file itself is valid …
    assert not result.ok  # … but its plan job's environment is not trusted by stack 06
    assert any("sandbox-preview" in p for p in result.problems())
    with pytest.raises(PipelineCheckError, match="sandbox-preview"):
        result.raise_for_problems()


def test_bad_repository_param_names_the_key() -> None:
    from runbook_lib.params import parse_params

    data = yaml.safe_load((Path("params") / "sandbox.yaml").read_text())
    data["cicd"] = {"repository": "example-org/*"}
    with pytest.raises(ParamsError) as info:
        parse_params(data)
    assert "cicd.repository" in str(info.value)


def _policy(test: str, subs: list[str]) -> dict:
    condition: dict = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
    condition.setdefault(test, {})["token.actions.githubusercontent.com:sub"] = subs
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {
                    "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
                },
                "Condition": condition,
            }
        ],
    }


def test_trust_policy_restricted_to_repository_environments_passes() -> None:
    subs = [f"repo:{REPO}:environment:prod", f"repo:{REPO}:environment:prod-plan"]
    check = check_trust_policy(_policy("StringEquals", subs), repository=REPO, environments=["prod", "prod-plan"])
    assert check.ok, check.problems
    assert set(check.subjects) == set(subs)


@pytest.mark.parametrize(
    ("test", "sub", "why"),
    [
        ("StringLike", f"repo:{REPO}:*", "wildcard"),
        ("StringEquals", f"repo:{REPO}:ref:refs/heads/main", "not an environment"),
        ("StringEquals", "repo:other-org/data-migration:environment:prod", "not an environment"),
        ("StringLike", f"repo:{REPO}:environment:prod", "StringLike"),
    ],
)
def test_trust_policy_wider_than_one_environment_fails(test: str, sub: str, why: str) -> None:
    check = check_trust_policy(_policy(test, [sub]), repository=REPO)
    assert not check.ok
    assert any(why in p for p in check.problems), check.problems


def test_trust_policy_url_encoded_json_is_read() -> None:
    from urllib.parse import quote

    doc = quote(json.dumps(_policy("StringEquals", [f"repo:{REPO}:environment:prod"])))
    assert check_trust_policy(doc, repository=REPO).ok


def test_plan_comment_counts_changes_folded_and_cost(tmp_path: Path) -> None:
    summary = {
        "summary": {
            "counts": {"create": 2, "update": 1, "delete": 0},
            "changes": [
                {"address": 'module.data_lake.aws_s3_bucket.this["raw"]', "type": "aws_s3_bucket", "action": "create"},
                {
                    "address": 'module.data_lake.aws_s3_bucket.this["curated"]',
                    "type": "aws_s3_bucket",
                    "action": "create",
                },
                {"address": "aws_iam_role.deploy", "type": "aws_iam_role", "action": "update"},
            ],
        }
    }
    path = tmp_path / "02_data_stores.json"
    path.write_text(json.dumps(summary))
    text = plan_comment([path], cost_markdown="| service | monthly |\n|---|---|\n| S3 | 1.00 |")
    assert "| `02_data_stores` | 2 | 1 | 0 | 0 | 0 | 0 |" in text
    assert "<details><summary>02_data_stores: 3 change(s)</summary>" in text
    assert 'module.data_lake.aws_s3_bucket.this["curated"]' in text  # full addresses
    assert "#### Cost estimate" in text and "| S3 | 1.00 |" in text


def test_cli_generate_and_plan_comment(tmp_path: Path, capsys) -> None:
    from runbook_lib.cli import main

    assert main(["cicd", "generate", "--env", "sandbox", "--out", str(tmp_path / "wf"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["files"][0]["actionlint"] == "pass"
    assert (tmp_path / "wf" / "runbook-sandbox.yml").is_file()
    plan = tmp_path / "01_network_iam.json"
    plan.write_text(json.dumps({"summary": {"counts": {"create": 1}, "changes": []}}))
    cost = tmp_path / "cost" / "01_network_iam.json"
    cost.parent.mkdir()
    cost.write_text(
        json.dumps(
            {
                "summary": {
                    "stack": "01_network_iam",
                    "monthly_usd": 12.5,
                    "resources": 3,
                    "not_priced": [{"address": "x"}],
                    "price_table_date": "2026-11-01",
                }
            }
        )
    )
    assert main(["cicd", "plan-comment", "--cost", str(cost), "--", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "| `01_network_iam` | 1 |" in out
    assert "| `01_network_iam` | 12.50 | 3 | 1 | 2026-11-01 |" in out and "**12.50**" in out
