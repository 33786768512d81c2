"""``runbook iac check`` logic without Terraform: parsing, attribution, counting, leftovers (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from fakes import FIXTURES_DIR, REPO
from moto import mock_aws

from runbook_lib.errors import ParamsError
from runbook_lib.infra.iac_check import (
    IacCheck,
    IacCheckReport,
    ModuleMap,
    StackRun,
    Unit,
    ValidateResult,
    discover_units,
    explain_missing,
    find_leftovers,
    measure_coverage,
    module_path,
    parse_checkov_json,
    parse_gap_docs,
    parse_validate_json,
    snapshot_tree,
    strip_instance_keys,
    unit_of_file,
)
from runbook_lib.infra.iac_check.assemble import PartResults, assemble_report
from runbook_lib.infra.verify import ResourceVerdict, StackVerification
from runbook_lib.terraform.tfvars import read_tfvars

pytestmark = pytest.mark.unit

FIXTURES = FIXTURES_DIR / "iac_check"


# ------------------------------------------------------------------------------------- checkov, validate
def test_checkov_json_is_parsed_per_unit() -> None:
    report = parse_checkov_json((FIXTURES / "checkov_sample.json").read_text())
    assert report.version == "3.3.30"
    assert len(report.failed) == 10 and len(report.skipped) == 1
    assert {f.unit for f in report.failed} == {"module:bad"}
    by_id = {f.check_id: f for f in report.failed}
    assert by_id["CKV_AWS_24"].resource == "aws_security_group.open"
    assert by_id["CKV_AWS_24"].lines == (5, 14)
    assert report.count("module:bad", "failed") == 10
    assert report.count("module:bad", "passed") == 3
    assert report.skipped[0].suppress_comment == "fixture: a suppressed check"
    assert report.count("module:other", "failed") == 0


def test_checkov_list_form_and_empty_summary() -> None:
    one = json.loads((FIXTURES / "checkov_sample.json").read_text())
    both = parse_checkov_json([one, {"check_type": "secrets", "results": {"failed_checks": []}}])
    assert len(both.failed) == 10
    empty = parse_checkov_json({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0})
    assert empty.failed == () and empty.passed == {}


def test_validate_json() -> None:
    ok = parse_validate_json(
        "module:kms",
        '{"format_version":"1.0","valid":true,"error_count":0,"warning_count":0,"diagnostics":[]}',
    )
    assert ok.valid and ok.diagnostics == ()
    bad = parse_validate_json(
        "stack:01",
        json.dumps(
            {
                "valid": False,
                "error_count": 1,
                "warning_count": 0,
                "diagnostics": [
                    {
                        "severity": "error",
                        "summary": "Unsupported argument",
                        "range": {"filename": "main.tf", "start": {"line": 7}},
                    }
                ],
            }
        ),
    )
    assert (bad.valid, bad.error_count) == (False, 1)
    assert bad.diagnostics == ("error: Unsupported argument (main.tf:7)",)


# ------------------------------------------------------------------------------------- addresses, units
@pytest.mark.parametrize(
    ("address", "modules", "stripped"),
    [
        ("aws_s3_bucket.this", [], "aws_s3_bucket.this"),
        ('module.lake.aws_s3_bucket.this["raw"]', ["lake"], "module.lake.aws_s3_bucket.this"),
        (
            "module.glue[0].module.scripts_bucket.aws_s3_bucket.this[0]",
            ["glue", "scripts_bucket"],
            "module.glue.module.scripts_bucket.aws_s3_bucket.this",
        ),
        (
            'module.obs.aws_sns_topic_subscription.alerts["email:a.b@example.com"]',
            ["obs"],
            "module.obs.aws_sns_topic_subscription.alerts",
        ),
        ('module.m["k.[x]"].aws_x.y', ["m"], "module.m.aws_x.y"),
    ],
)
def test_address_parsing(address: str, modules: list[str], stripped: str) -> None:
    assert module_path(address) == modules
    assert strip_instance_keys(address) == stripped


def test_unit_of_file() -> None:
    assert unit_of_file("/modules/kms/main.tf") == "module:kms"
    assert unit_of_file("stacks/01_network_iam/main.tf") == "stack:01_network_iam"
    assert unit_of_file("envs/prod/01.tfvars") == "env:prod"
    assert unit_of_file("README.md") == "other"


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "terraform_infra"
    for rel, text in {
        "modules/bucket/main.tf": 'resource "aws_s3_bucket" "this" {}\n',
        "modules/glue/main.tf": 'module "scripts_bucket" {\n  source = "../bucket"\n}\n',
        "stacks/04_processing/main.tf": 'module "glue" {\n  source = "../../modules/glue"\n}\n'
        'resource "aws_caller" "x" {}\n',
        "stacks/04_processing/_sandbox_override.tf": "# generated\n",
        "stacks/04_processing/.terraform/junk": "x",
        "stacks/00_state/main.tf": "",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_units_snapshot_and_module_attribution(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert discover_units(root) == [
        Unit("module", "bucket"),
        Unit("module", "glue"),
        Unit("stack", "00_state"),
        Unit("stack", "04_processing"),
    ]
    copy = snapshot_tree(root, tmp_path / "snap" / "terraform_infra")
    assert (copy / "stacks/04_processing/main.tf").exists()
    assert not (copy / "stacks/04_processing/_sandbox_override.tf").exists()
    assert not (copy / "stacks/04_processing/.terraform").exists()
    modules = ModuleMap(copy)
    assert (
        modules.unit_for("04_processing", "module.glue[0].module.scripts_bucket.aws_s3_bucket.this[0]")
        == "module:bucket"
    )
    assert modules.unit_for("04_processing", "aws_caller.x") == "stack:04_processing"
    assert modules.unit_for("04_processing", "module.unknown.aws_x.y") == "stack:04_processing"


def test_assembly_counts_resources_per_stack_and_declaring_module(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    units = discover_units(root)
    run = StackRun("04_processing", planned_sandbox=2)
    bucket_address = "module.glue[0].module.scripts_bucket.aws_s3_bucket.this[0]"
    run.state_addresses = (bucket_address,)
    run.prod_planned = ((bucket_address, "aws_s3_bucket"), ("module.glue[0].aws_glue_job.x", "aws_glue_job"))
    run.verification = _verified("04_processing", {bucket_address: "ok"})
    report = IacCheckReport("sandbox", apply=True, destroy=False)
    validations = {
        "module:bucket": ValidateResult("module:bucket", True, 0, 0),
        "module:glue": ValidateResult("module:glue", False, 2, 0, ("error: x",)),
    }
    fmt = {"module:glue": ["modules/glue/main.tf"]}
    parts = PartResults(units, fmt, validations, None, {"04_processing": run})
    assemble_report(report, parts, root, static=True, measured=True)
    rows = {(r["kind"], r["name"]): r for r in report.units}
    bucket, glue, stack = rows["module", "bucket"], rows["module", "glue"], rows["stack", "04_processing"]
    assert (bucket["fmt"], bucket["validate"], bucket["checkov"]) == ("ok", "ok", "-")
    assert (glue["fmt"], glue["validate"]) == ("1 unformatted", "2 errors")
    assert (bucket["prod_planned"], bucket["applied"], bucket["verified_ok"]) == (1, 1, 1)
    assert (glue["prod_planned"], glue["applied"]) == (1, 0)
    assert "planned_sandbox" not in bucket
    assert (stack["prod_planned"], stack["planned_sandbox"], stack["applied"], stack["verified_ok"]) == (2, 2, 1, 1)
    assert stack["prod_plan"] == "ok" and stack["errors"] == []
    assert rows["stack", "00_state"]["applied"] == 0 and "prod_plan" not in rows["stack", "00_state"]
    assert report.fmt_unformatted == ["modules/glue/main.tf"]
    assert report.validate_errors == [{"unit": "module:glue", "diagnostics": ["error: x"]}]

    unmeasured = IacCheckReport("prod", apply=False, destroy=False)
    assemble_report(unmeasured, PartResults(units, {}, {}, None, {}), root, static=False, measured=False)
    assert all(r["applied"] is None and r["fmt"] == "-" for r in unmeasured.units)


# ------------------------------------------------------------------------------------- reasons, coverage
GAPS = """# gaps
| Stack | Switch (sandbox value) | Resources not created | Why |
|---|---|---|---|
| 03 | `enable_msk_cluster = false` | `aws_msk_configuration.this`, `aws_msk_cluster.this` | No CreateConfiguration. |
| 04, 05 | `enable_x = false` | `module.budgets.aws_budgets_budget.*` | No budgets backend. |
"""


def _vars(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return read_tfvars(path)


def test_reasons_come_from_gap_docs_then_tfvars(tmp_path: Path) -> None:
    (tmp_path / "SANDBOX_GAPS_x.md").write_text(GAPS)
    rows = parse_gap_docs(tmp_path)
    assert len(rows) == 2
    reason, variable = explain_missing("03_streaming", "module.msk.aws_msk_cluster.this[0]", None, None, rows)
    assert variable == "enable_msk_cluster" and "No CreateConfiguration" in reason
    reason, _ = explain_missing("05_obs", 'module.budgets.aws_budgets_budget.service["Glue"]', None, None, rows)
    assert "No budgets backend" in reason
    assert not rows[1].covers("06_cicd", "module.budgets.aws_budgets_budget.this[0]")

    prod = _vars(tmp_path, "prod.tfvars", "enable_emr_cluster = true\nenable_glue = true\n")
    sandbox = _vars(
        tmp_path,
        "sandbox.tfvars",
        "# moto lacks ListInstanceFleets\nenable_emr_cluster = false\nenable_glue = true\n",
    )
    reason, variable = explain_missing("04_processing", "module.emr.aws_emr_cluster.this[0]", prod, sandbox, rows)
    assert variable == "enable_emr_cluster"
    assert reason.startswith("likely enable_emr_cluster = false") and "ListInstanceFleets" in reason
    reason, variable = explain_missing("04_processing", "module.zzz.aws_thing.this", prod, sandbox, rows)
    assert variable == "" and "no differing variable" in reason


def _verified(stack: str, statuses: dict[str, str]) -> StackVerification:
    verdicts = tuple(ResourceVerdict(stack, a, a.split(".")[-2], s, 1, 0, 0, 0) for a, s in statuses.items())
    return StackVerification(stack, (), verdicts)


def test_coverage_counts_and_reasons(tmp_path: Path) -> None:
    run = StackRun("05_obs")
    run.state_addresses = (
        "aws_a.x",
        "aws_b.y",
        'aws_sub.s["email:sandbox@x"]',
        "aws_c.z",
        'aws_bud.b["one"]',
    )
    run.verification = _verified(
        "05_obs",
        {
            "aws_a.x": "ok",
            "aws_b.y": "failed",
            'aws_sub.s["email:sandbox@x"]': "ok",
            "aws_c.z": "ok",
            'aws_bud.b["one"]': "ok",
        },
    )
    run.prod_planned = (
        ("aws_a.x", "aws_a"),
        ("aws_b.y", "aws_b"),
        ('aws_sub.s["email:prod@x"]', "aws_sub"),
        ('aws_bud.b["one"]', "aws_bud"),
        ('aws_bud.b["two"]', "aws_bud"),
        ("aws_cluster.q", "aws_cluster"),
    )
    missing_stack = StackRun("06_cicd")
    missing_stack.prod_plan_error = "cannot plan"

    counts, not_applied = measure_coverage({"05_obs": run, "06_cicd": missing_stack}, lambda env, stack: None)
    assert counts["resources_planned"] == 6
    assert counts["resources_planned_complete"] is False
    assert counts["resources_applied"] == 4  # verified ok in the sandbox
    assert counts["resources_applied_of_planned"] == 3  # a.x, the subscription (other key), bud["one"]
    assert counts["coverage"] == 0.5
    assert counts["verified_failed"] == 1
    reasons = {n.address: n.reason for n in not_applied}
    assert reasons["aws_b.y"] == "applied in the sandbox, verification failed"
    assert reasons['aws_bud.b["two"]'] == "the sandbox tfvars create fewer instances of this resource"
    assert reasons["aws_cluster.q"] == "no tfvars to compare"


def test_report_ok_needs_every_part() -> None:
    report = IacCheckReport("sandbox", apply=True, destroy=True, leftovers=[], counts={"coverage": 0.9})
    assert report.ok(0.85)
    assert not report.ok(0.95)
    report.checkov_failed.append({"check_id": "CKV_AWS_1"})
    assert not report.ok() and not report.static_ok
    clean = IacCheckReport("sandbox", apply=False, destroy=False)
    clean.verification_failures.append({"check": "s3.versioning"})
    assert not clean.ok()
    assert json.loads(json.dumps(clean.to_dict(), default=str))["ok"] is False


def test_apply_is_refused_outside_a_sandbox() -> None:
    from runbook_lib.params import RunbookParams

    params = RunbookParams.model_validate(
        {"env": "prod", "aws": {"region": "eu-west-1", "allowed_account_ids": ["123456789012"]}}
    )
    with pytest.raises(ParamsError, match="only in a sandbox"):
        IacCheck(params, apply=True)


# ------------------------------------------------------------------------------------- leftovers
def test_leftovers_find_project_resources_and_ignore_others(monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():

        def client(service: str):
            return boto3.client(service, region_name="eu-west-1")

        tags = {"Project": "data-migration"}
        assert find_leftovers(client, ["dmig-sandbox"], tags) == []
        s3 = client("s3")
        s3.create_bucket(Bucket="dmig-sandbox-raw-1", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.create_bucket(Bucket="someone-else", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        client("ec2").create_vpc(
            CidrBlock="10.1.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Project", "Value": "data-migration"}]}],
        )
        client("iam").create_role(RoleName="dmig-sandbox-glue", AssumeRolePolicyDocument="{}")
        kms = client("kms")
        kept = kms.create_key(Tags=[{"TagKey": "Project", "TagValue": "data-migration"}])["KeyMetadata"]["KeyId"]
        gone = kms.create_key(Tags=[{"TagKey": "Project", "TagValue": "data-migration"}])["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=gone, PendingWindowInDays=7)
        client("logs").create_log_group(logGroupName="/aws/vpc/dmig-sandbox/flow-logs")

        found = find_leftovers(client, ["dmig-sandbox"], tags)
        assert not [x for x in found if x.kind == "unlisted"]
        listed = {(x.service, x.kind, x.name) for x in found}
        assert ("s3", "bucket", "dmig-sandbox-raw-1") in listed
        assert ("iam", "role", "dmig-sandbox-glue") in listed
        assert ("kms", "key", kept) in listed
        assert ("logs", "log group", "/aws/vpc/dmig-sandbox/flow-logs") in listed
        assert any(x.service == "ec2" and x.name.startswith("vpc ") for x in found)
        assert not any(x.name in ("someone-else", gone) for x in found)


def test_every_leftover_listing_reads_its_names_and_skips_what_is_not_ours_or_gone(monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():

        def client(service: str):
            return boto3.client(service, region_name="eu-west-1")

        client("sns").create_topic(Name="dmig-sandbox-alerts")
        client("sns").create_topic(Name="other-alerts")
        client("sqs").create_queue(QueueName="dmig-sandbox-dlq")
        sm = client("secretsmanager")
        sm.create_secret(Name="dmig-sandbox/db", SecretString="x")
        sm.create_secret(Name="dmig-sandbox/old", SecretString="x")
        sm.delete_secret(SecretId="dmig-sandbox/old", RecoveryWindowInDays=7)
        client("ssm").put_parameter(Name="/dmig-sandbox/endpoint", Value="x", Type="String")
        kms = client("kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/dmig-sandbox-lake", TargetKeyId=key)
        client("dynamodb").create_table(
            TableName="dmig-sandbox-locks",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client("glue").create_database(DatabaseInput={"Name": "dmig_sandbox_raw"})
        client("iam").create_policy(
            PolicyName="dmig-sandbox-read",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
            ),
        )

        found = find_leftovers(client, ["dmig-sandbox"], {})
        assert not [x for x in found if x.kind == "unlisted"]
        listed = {(x.service, x.kind, x.name) for x in found}
        assert {
            ("sqs", "queue"),
            ("secretsmanager", "secret"),
            ("ssm", "parameter"),
            ("kms", "alias"),
            ("dynamodb", "table"),
            ("glue", "database"),
            ("iam", "policy"),
            ("sns", "topic"),
        } == {(s, k) for s, k, _ in listed}
        names = {n for _, _, n in listed}
        assert {"dmig-sandbox/db", "/dmig-sandbox/endpoint", "alias/dmig-sandbox-lake"} <= names
        assert {"dmig-sandbox-locks", "dmig_sandbox_raw", "dmig-sandbox-read"} <= names
        assert any(n.endswith(":dmig-sandbox-alerts") for n in names)
        assert any(n.endswith("/dmig-sandbox-dlq") for n in names)
        assert not any(n.endswith("other-alerts") or n == "dmig-sandbox/old" for n in names)


def test_a_listing_that_fails_is_reported_unlisted_not_assumed_empty(monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():

        def client(service: str):
            if service == "rds":
                raise RuntimeError("no rds here")
            return boto3.client(service, region_name="eu-west-1")

        found = find_leftovers(client, ["dmig-sandbox"], {"Project": "data-migration"})
        unlisted = [(x.service, x.name) for x in found if x.kind == "unlisted"]
        assert unlisted == [
            ("rds", "db instance: RuntimeError: no rds here"),
            ("rds", "db subnet group: RuntimeError: no rds here"),
            ("rds", "db parameter group: RuntimeError: no rds here"),
        ]


def test_a_deleted_ecs_cluster_is_not_a_leftover_but_an_active_one_is(monkeypatch) -> None:
    """DeleteCluster leaves the cluster INACTIVE (and moto keeps listing it): gone for every purpose."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():

        def client(service: str):
            return boto3.client(service, region_name="eu-west-1")

        ecs = client("ecs")
        ecs.create_cluster(clusterName="dmig-sandbox-openmetadata")
        ecs.create_cluster(clusterName="dmig-sandbox-still-here")
        ecs.delete_cluster(cluster="dmig-sandbox-openmetadata")
        clusters = [x.name for x in find_leftovers(client, ["dmig-sandbox"], {}) if x.service == "ecs"]
        assert len(clusters) == 1 and clusters[0].endswith("/dmig-sandbox-still-here")


def test_destroy_waves_follow_remote_state_reads_of_our_stacks() -> None:
    from runbook_lib.infra.iac_check import destroy_waves, stack_dependencies

    stacks_dir = REPO / "terraform_infra" / "stacks"
    stacks = sorted(p.name for p in stacks_dir.iterdir() if p.is_dir())
    deps = stack_dependencies(stacks_dir, stacks)
    assert deps["05_orchestration_observability"] >= {"03_streaming_ingestion", "04_processing"}
    assert deps["06_cicd"] == {"00_state_backend", "01_network_iam"}
    waves = destroy_waves(stacks, deps)
    assert waves == [
        ["06_cicd", "05_orchestration_observability"],
        ["04_processing", "03_streaming_ingestion"],
        ["02_data_stores"],
        ["01_network_iam"],
        ["00_state_backend"],
    ]
    # every stack goes after all stacks that read it
    order = {s: i for i, wave in enumerate(waves) for s in wave}
    assert all(order[d] > order[s] for s, ds in deps.items() for d in ds)


def test_destroy_waves_fall_back_to_one_at_a_time_on_a_cycle() -> None:
    from runbook_lib.infra.iac_check import destroy_waves

    assert destroy_waves(["a", "b"], {"a": {"b"}, "b": {"a"}}) == [["b"], ["a"]]
