"""Drift right after an apply: what the stack's own resources filled in settles; everything else stays drift.

A refresh-only plan's JSON (the shape ``terraform show -json`` gives) with a role whose ``inline_policy`` its
``aws_iam_role_policy`` filled in, an Elastic IP the NAT gateway associated, a bucket whose configured ``tags``
were edited by hand, and an older role (not created by the last apply) edited by hand.
"""

from __future__ import annotations

import pytest

from runbook_lib.terraform.configured import config_address, configured_attributes, settled_after_create
from runbook_lib.terraform.plan import parse_plan
from runbook_lib.terraform.results import SETTLED, DriftReport

pytestmark = pytest.mark.unit

ROLE = 'module.iam.aws_iam_role.this["glue"]'
OLD_ROLE = 'module.iam.aws_iam_role.this["mwaa"]'
EIP = "module.network.aws_eip.nat[0]"
BUCKET = "aws_s3_bucket.raw"


def _drift(address: str, rtype: str, before: dict, after: dict) -> dict:
    module = address.rsplit(".", 2)[0] if address.startswith("module.") else None
    name = address.split(".")[-1].split("[")[0]
    return {
        "address": address, "module_address": module, "mode": "managed", "type": rtype, "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": ["update"], "before": before, "after": after, "after_unknown": {},
                   "before_sensitive": {}, "after_sensitive": {}},
    }


PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.11.4",
    "resource_drift": [
        _drift(ROLE, "aws_iam_role", {"name": "glue", "inline_policy": []},
               {"name": "glue", "inline_policy": [{"name": "glue", "policy": "{}"}]}),
        _drift(OLD_ROLE, "aws_iam_role", {"name": "mwaa", "inline_policy": []},
               {"name": "mwaa", "inline_policy": [{"name": "by-hand", "policy": "{}"}]}),
        _drift(EIP, "aws_eip", {"association_id": "", "domain": "vpc"},
               {"association_id": "eipassoc-1", "domain": "vpc"}),
        _drift(BUCKET, "aws_s3_bucket", {"bucket": "raw", "tags": {"a": "1"}}, {"bucket": "raw", "tags": {"a": "2"}}),
    ],
    "resource_changes": [],
    "configuration": {
        "root_module": {
            "resources": [{"address": "aws_s3_bucket.raw", "mode": "managed", "type": "aws_s3_bucket",
                           "expressions": {"bucket": {}, "tags": {}}}],
            "module_calls": {
                "iam": {"module": {"resources": [{"address": "aws_iam_role.this", "mode": "managed",
                                                  "expressions": {"name": {}, "assume_role_policy": {}}},
                                                 {"address": "data.aws_iam_policy_document.x", "mode": "data"}]}},
                "network": {"module": {"resources": [{"address": "aws_eip.nat", "mode": "managed",
                                                      "expressions": {"domain": {}, "tags": {}}}]}},
            },
        }
    },
}


def test_configured_attributes_come_from_the_plans_configuration() -> None:
    found = configured_attributes(PLAN)
    assert found["module.iam.aws_iam_role.this"] == {"name", "assume_role_policy"}
    assert found["module.network.aws_eip.nat"] == {"domain", "tags"}
    assert "module.iam.data.aws_iam_policy_document.x" not in found  # data sources hold no state to drift
    assert config_address('module.a["x"].aws_y.z[0]') == "module.a.aws_y.z"


def test_only_unconfigured_attributes_of_just_created_resources_settle() -> None:
    plan = parse_plan(PLAN)
    created = frozenset({ROLE, EIP, BUCKET})  # the last apply created these; OLD_ROLE existed before
    report = DriftReport.from_plan(plan, 2, "refresh-only", created=created)
    assert {i.address for i in report.settled} == {ROLE, EIP}
    assert {i.address for i in report.drifted} == {OLD_ROLE, BUCKET}  # a hand edit, a configured attribute
    assert report.has_drift
    assert list(report.to_frame()["address"]) == [i.address for i in report.drifted]
    assert set(report.to_frame(report.settled)["source"]) == {SETTLED}


def test_without_a_create_nothing_settles_and_settled_alone_is_not_drift() -> None:
    plan = parse_plan(PLAN)
    assert DriftReport.from_plan(plan, 2, "refresh-only").settled == ()
    only_settled = parse_plan({**PLAN, "resource_drift": PLAN["resource_drift"][:1]})
    report = DriftReport.from_plan(only_settled, 2, "refresh-only", created=frozenset({ROLE}))
    assert report.has_drift is False and report.to_frame().empty
    # a resource the configuration does not describe never settles
    assert not settled_after_create("aws_x.unknown", ["a"], created=frozenset({"aws_x.unknown"}), configured={})
