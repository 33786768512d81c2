"""The destructive-change guard on captured plans: refused unless allow_destroy names the address."""

from __future__ import annotations

import json

import pytest
from fakes import PLAN_FIXTURES, REPO
from fixtures.plans.synthetic import plan_document, resource_change

from runbook_lib.errors import DestructiveChangeError
from runbook_lib.terraform.destroy_guard import (
    NO_DATA_TYPES,
    STATEFUL_TYPES,
    address_allowed,
    check_destructive,
    destructive_findings,
    is_stateful,
)
from runbook_lib.terraform.plan import load_plan_json, parse_plan

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def bucket_replace():
    return load_plan_json(PLAN_FIXTURES / "aws_s3_replace.json")


BOTH = ["aws_s3_bucket.this", "aws_s3_bucket_versioning.this"]


def test_bucket_replace_is_refused(bucket_replace):
    with pytest.raises(DestructiveChangeError) as caught:
        check_destructive(bucket_replace, [])
    # the versioning resource is replaced too: deleting it suspends versioning, so it is guarded as well
    assert caught.value.addresses == BOTH
    assert caught.value.exit_code == 3


def test_bucket_replace_allowed_by_exact_address(bucket_replace):
    with pytest.raises(DestructiveChangeError) as caught:
        check_destructive(bucket_replace, ["aws_s3_bucket.this"])
    assert caught.value.addresses == ["aws_s3_bucket_versioning.this"]
    allowed = check_destructive(bucket_replace, BOTH)
    assert [(f.address, f.action, f.allowed) for f in allowed] == [(a, "replace", True) for a in BOTH]


def test_bucket_replace_allowed_by_trailing_glob(bucket_replace):
    assert all(f.allowed for f in check_destructive(bucket_replace, ["aws_s3_bucket*"]))


@pytest.mark.parametrize("entry", ["aws_s3_bucket.other*", "aws_s3_bucket.thi", "module.x.aws_s3_bucket.this"])
def test_entries_that_do_not_cover_the_address_refuse(bucket_replace, entry):
    with pytest.raises(DestructiveChangeError):
        check_destructive(bucket_replace, [entry])


def test_glob_is_only_special_at_the_end():
    assert address_allowed('aws_s3_bucket.raw["a"]', ["aws_s3_bucket.raw*"])
    assert not address_allowed("aws_s3_bucket.raw", ["aws_s3_bucket.*.raw"])
    assert address_allowed("module.lake.aws_s3_bucket.x", ["module.lake.*"])


def test_deleting_resources_without_data_passes():
    plan = load_plan_json(PLAN_FIXTURES / "tf_data_destroy.json")
    assert plan.actions == {"delete"}
    assert check_destructive(plan, []) == []


def test_creating_a_stateful_resource_passes():
    plan = load_plan_json(PLAN_FIXTURES / "aws_s3_create.json")
    assert plan.resource_changes["aws_s3_bucket.this"].action == "create"
    assert check_destructive(plan, []) == []


def _plan_with(rtype: str, actions: list[str], *, mode: str = "managed", deposed: str | None = None):
    change = {
        "actions": actions,
        "before": {"id": "x"},
        "after": None if actions == ["delete"] else {"id": "x"},
    }
    rc = {"address": f"{rtype}.this", "mode": mode, "type": rtype, "name": "this", "change": change}
    if deposed:
        rc["deposed"] = deposed
    return parse_plan(json.dumps({"format_version": "1.2", "resource_changes": [rc]}))


@pytest.mark.parametrize(
    "rtype",
    [
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_kms_key",
        "aws_dynamodb_table",
        "aws_elasticache_replication_group",
        "aws_elasticache_cluster",
        "aws_msk_cluster",
        "aws_fsx_lustre_file_system",
        "aws_docdb_cluster_instance",
    ],
)
def test_stateful_types_are_guarded(rtype):
    assert is_stateful(rtype)
    with pytest.raises(DestructiveChangeError):
        check_destructive(_plan_with(rtype, ["delete"]), [])
    with pytest.raises(DestructiveChangeError):
        check_destructive(_plan_with(rtype, ["create", "delete"]), [])  # create_before_destroy replace


def test_updates_and_stateless_types_pass():
    assert not is_stateful("aws_security_group")
    assert check_destructive(_plan_with("aws_security_group", ["delete"]), []) == []
    assert check_destructive(_plan_with("aws_db_instance", ["update"]), []) == []


def test_a_deposed_stateful_object_is_guarded_and_reported_by_key():
    plan = _plan_with("aws_db_instance", ["delete"], deposed="abc123")
    with pytest.raises(DestructiveChangeError) as caught:
        check_destructive(plan, [])
    assert caught.value.addresses == ["aws_db_instance.this (deposed abc123)"]
    assert check_destructive(plan, ["aws_db_instance.this"])[0].allowed


def test_extra_stateful_types_can_be_given():
    plan = _plan_with("aws_security_group", ["delete"])
    with pytest.raises(DestructiveChangeError):
        check_destructive(plan, [], stateful_types=STATEFUL_TYPES | {"aws_security_group"})


def test_findings_list_allowed_and_refused(bucket_replace):
    findings = destructive_findings(bucket_replace, ["aws_s3_bucket.this"])
    assert [(f.address, f.allowed) for f in findings] == [(BOTH[0], True), (BOTH[1], False)]


# -- every resource type of the stacks is classified ------------------------------------------------------------
TERRAFORM_INFRA = REPO / "terraform_infra"


def _stack_resource_types() -> dict[str, set[str]]:
    """``resource "TYPE" "NAME"`` blocks of every .tf under terraform_infra/ (modules, stacks, shared)."""
    import hcl2

    found: dict[str, set[str]] = {}
    files = [p for p in TERRAFORM_INFRA.rglob("*.tf") if ".terraform" not in p.parts and "override" not in p.name]
    assert len(files) > 50, f"expected the stacks' .tf files under {TERRAFORM_INFRA}"
    for path in files:
        with path.open() as handle:
            parsed = hcl2.load(handle)  # a file that does not parse fails the test: its types would go unchecked
        for block in parsed.get("resource", []):
            for rtype in block:
                found.setdefault(rtype.strip('"'), set()).add(str(path.relative_to(TERRAFORM_INFRA)))
    return found


def test_every_resource_type_of_the_stacks_is_stateful_or_listed_as_holding_no_data():
    types = _stack_resource_types()
    assert {"aws_s3_bucket", "aws_db_instance", "aws_vpc"} <= set(types)  # the walk found the stacks
    unlisted = {t: sorted(files) for t, files in types.items() if not is_stateful(t) and t not in NO_DATA_TYPES}
    assert not unlisted, (
        "resource types in terraform_infra/ that are neither in STATEFUL_TYPES nor in NO_DATA_TYPES "
        f"(runbook_lib/terraform/destroy_guard.py); add each to the right list: {unlisted}"
    )


def test_no_type_is_both_stateful_and_without_data():
    assert not {t for t in NO_DATA_TYPES if is_stateful(t)}


@pytest.mark.parametrize(
    "rtype",
    [
        "aws_glue_catalog_database",
        "aws_mwaa_environment",
        "aws_grafana_workspace",
        "aws_emr_cluster",
        "aws_ssm_parameter",
        "aws_s3_bucket_versioning",
        "aws_secretsmanager_secret_version",
        "aws_s3_object",
    ],
)
def test_data_holding_types_of_the_stacks_are_guarded(rtype):
    with pytest.raises(DestructiveChangeError):
        check_destructive(_plan_with(rtype, ["delete"]), [])


# -- updates that destroy data are treated like deletes ---------------------------------------------------------
def _versioning_suspended():
    before = {"bucket": "lake", "versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}]}
    after = {"bucket": "lake", "versioning_configuration": [{"mfa_delete": "", "status": "Suspended"}]}
    return parse_plan(plan_document(resource_change("aws_s3_bucket_versioning", ["update"], before, after)))


def test_an_update_that_destroys_data_is_refused_like_a_delete():
    with pytest.raises(DestructiveChangeError) as caught:
        check_destructive(_versioning_suspended(), [])
    assert caught.value.addresses == ["aws_s3_bucket_versioning.this"]
    assert "Enabled → Suspended" in str(caught.value)
    (finding,) = destructive_findings(_versioning_suspended(), [])
    assert (finding.action, finding.allowed) == ("update", False)
    assert "destroys data" in finding.what and "Suspended" in finding.reason


def test_allow_destroy_lets_a_data_destroying_update_through():
    (finding,) = check_destructive(_versioning_suspended(), ["aws_s3_bucket_versioning.this"])
    assert finding.allowed and finding.reason
