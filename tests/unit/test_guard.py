"""The destructive-change guard on captured plans: refused unless allow_destroy names the address."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbook_lib.errors import DestructiveChangeError
from runbook_lib.terraform.destroy_guard import (
    STATEFUL_TYPES,
    address_allowed,
    check_destructive,
    destructive_findings,
    is_stateful,
)
from runbook_lib.terraform.plan import load_plan_json, parse_plan

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


@pytest.fixture(scope="module")
def bucket_replace():
    return load_plan_json(FIXTURES / "aws_s3_replace.json")


def test_bucket_replace_is_refused(bucket_replace):
    with pytest.raises(DestructiveChangeError) as caught:
        check_destructive(bucket_replace, [])
    # the versioning resource is replaced too, but holds no data of its own
    assert caught.value.addresses == ["aws_s3_bucket.this"]
    assert caught.value.exit_code == 3


def test_bucket_replace_allowed_by_exact_address(bucket_replace):
    allowed = check_destructive(bucket_replace, ["aws_s3_bucket.this"])
    assert [(f.address, f.action, f.allowed) for f in allowed] == [("aws_s3_bucket.this", "replace", True)]


def test_bucket_replace_allowed_by_trailing_glob(bucket_replace):
    assert check_destructive(bucket_replace, ["aws_s3_bucket.*"])[0].allowed


@pytest.mark.parametrize("entry", ["aws_s3_bucket.other*", "aws_s3_bucket.thi", "module.x.aws_s3_bucket.this"])
def test_entries_that_do_not_cover_the_address_refuse(bucket_replace, entry):
    with pytest.raises(DestructiveChangeError):
        check_destructive(bucket_replace, [entry])


def test_glob_is_only_special_at_the_end():
    assert address_allowed('aws_s3_bucket.raw["a"]', ["aws_s3_bucket.raw*"])
    assert not address_allowed("aws_s3_bucket.raw", ["aws_s3_bucket.*.raw"])
    assert address_allowed("module.lake.aws_s3_bucket.x", ["module.lake.*"])


def test_deleting_resources_without_data_passes():
    plan = load_plan_json(FIXTURES / "tf_data_destroy.json")
    assert plan.actions == {"delete"}
    assert check_destructive(plan, []) == []


def test_creating_a_stateful_resource_passes():
    plan = load_plan_json(FIXTURES / "aws_s3_create.json")
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
    findings = destructive_findings(bucket_replace, [])
    assert [(f.address, f.allowed) for f in findings] == [("aws_s3_bucket.this", False)]
