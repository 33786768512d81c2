"""The plan model against `terraform show -json` output captured from Terraform 1.11.4 (fixtures/plans)."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter

import pytest
from fakes import PLAN_FIXTURES

from runbook_lib.errors import PlanError
from runbook_lib.terraform.plan import (
    ROOT_MODULE,
    SENSITIVE,
    UNKNOWN,
    derive_action,
    format_path,
    load_plan_json,
    mark_unknown,
    mask_sensitive,
    parse_plan,
)

pytestmark = pytest.mark.unit


def _raw(name: str) -> dict:
    return json.loads((PLAN_FIXTURES / name).read_text())


def _synthetic():
    spec = importlib.util.spec_from_file_location("plan_synthetic", PLAN_FIXTURES / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mixed():
    return load_plan_json(PLAN_FIXTURES / "tf_data_mixed.json", plan_sha256="ab" * 32)


# -- actions ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["no-op"], "no-op"),
        (["create"], "create"),
        (["read"], "read"),
        (["update"], "update"),
        (["delete"], "delete"),
        (["delete", "create"], "replace"),
        (["create", "delete"], "replace"),
    ],
)
def test_derive_action(actions, expected):
    assert derive_action(actions) == expected


def test_unknown_action_list_is_an_error():
    with pytest.raises(PlanError):
        derive_action(["update", "delete"])


def test_every_action_of_the_mixed_plan(mixed):
    raw = {rc["address"]: rc["change"]["actions"] for rc in _raw("tf_data_mixed.json")["resource_changes"]}
    assert set(mixed.resource_changes) == set(raw)
    for address, rc in mixed.resource_changes.items():
        assert rc.actions == tuple(raw[address])
        assert rc.action == derive_action(raw[address])
    assert mixed.resource_changes["terraform_data.create[0]"].action == "create"
    assert mixed.resource_changes["terraform_data.delete[0]"].action == "delete"
    assert mixed.resource_changes["terraform_data.keep"].action == "no-op"
    assert mixed.resource_changes["terraform_data.replace"].action == "replace"
    assert mixed.resource_changes["terraform_data.update"].action == "update"
    assert mixed.raw_sha256 == "ab" * 32


def test_resource_fields(mixed):
    child = mixed.resource_changes["module.child.terraform_data.this"]
    assert child.module_address == "module.child"
    assert (child.type, child.name, child.mode) == ("terraform_data", "this", "managed")
    assert child.provider == "terraform.io/builtin/terraform"
    assert mixed.resource_changes["terraform_data.create[0]"].index == 0
    assert mixed.resource_changes["terraform_data.keep"].module_address is None


def test_replace_paths_and_forces_replacement(mixed):
    rc = mixed.resource_changes["terraform_data.replace"]
    assert rc.replace_paths == (("triggers_replace",),)
    diff = mixed.diff("terraform_data.replace").set_index("attribute")
    assert bool(diff.loc["triggers_replace[0]", "forces_replacement"]) is True
    assert (diff.loc["triggers_replace[0]", "before"], diff.loc["triggers_replace[0]", "after"]) == ("1", "2")
    assert bool(diff.loc["id", "forces_replacement"]) is False


def test_aws_bucket_rename_is_a_replace_forced_by_bucket():
    plan = load_plan_json(PLAN_FIXTURES / "aws_s3_replace.json")
    assert plan.resource_changes["aws_s3_bucket.this"].action == "replace"
    diff = plan.diff("aws_s3_bucket.this").set_index("attribute")
    assert diff.loc["bucket", "before"] == "fixture-bucket-a"
    assert diff.loc["bucket", "after"] == "fixture-bucket-b"
    assert bool(diff.loc["bucket", "forces_replacement"])
    assert diff.loc["arn", "after"] == UNKNOWN


# -- masking ---------------------------------------------------------------------------------
def test_unknown_values_are_marked(mixed):
    created = mixed.resource_changes["terraform_data.create[0]"]
    assert created.after["id"] == UNKNOWN  # absent from "after", true in after_unknown
    assert created.after["output"] == UNKNOWN
    assert created.before is None
    child = mixed.resource_changes["module.child.terraform_data.this"]
    assert child.after["output"] == UNKNOWN
    assert child.after["input"] == "phase-2"
    diff = mixed.diff("module.child.terraform_data.this").set_index("attribute")
    assert diff.loc["output", "after"] == UNKNOWN


def test_sensitive_values_never_reach_the_model(mixed):
    raw_text = (PLAN_FIXTURES / "tf_data_mixed.json").read_text()
    assert "s3cr3t-one" in raw_text and "s3cr3t-two" in raw_text  # the fixture does hold them in clear
    rendered = [repr(mixed), json.dumps(mixed.summary_dict())]
    rendered += [mixed.diff(a).to_string() for a in mixed.resource_changes]
    rendered += [repr(oc) for oc in mixed.output_changes.values()]
    for text in rendered:
        assert "s3cr3t" not in text
    secret = mixed.resource_changes["terraform_data.secret"]
    assert secret.before["input"]["password"] == SENSITIVE
    assert secret.after["input"]["password"] == SENSITIVE
    assert mixed.output_changes["secret_out"].sensitive
    assert mixed.output_changes["secret_out"].before == SENSITIVE


def test_a_changed_sensitive_value_is_still_listed_in_the_diff(mixed):
    diff = mixed.diff("terraform_data.secret").set_index("attribute")
    assert "input.password" in diff.index
    assert (diff.loc["input.password", "before"], diff.loc["input.password", "after"]) == (
        SENSITIVE,
        SENSITIVE,
    )
    assert mixed.resource_changes["terraform_data.secret"].sensitive_changes == (("input", "password"),)


def test_sensitive_strings_are_handed_to_the_sink():
    seen: list[str] = []
    parse_plan(_raw("tf_data_mixed.json"), secret_sink=seen.append)
    assert {"s3cr3t-one", "s3cr3t-two"} <= set(seen)


def test_mask_functions_copy_only_what_they_change():
    value = {"a": {"b": "x", "c": "y"}, "d": [1, 2]}
    masked = mask_sensitive(value, {"a": {"b": True}, "d": []})
    assert masked == {"a": {"b": SENSITIVE, "c": "y"}, "d": [1, 2]}
    assert value["a"]["b"] == "x"  # input untouched
    assert masked["d"] is value["d"]  # unmasked branches are shared
    assert mask_sensitive(value, {}) is value
    assert mark_unknown({"a": 1}, {"b": True, "l": [False, True]}) == {
        "a": 1,
        "b": UNKNOWN,
        "l": [None, UNKNOWN],
    }
    assert mask_sensitive({"k": [1, 2]}, {"k": True}) == {"k": SENSITIVE}


def test_format_path():
    assert format_path(("tags", "Owner")) == "tags.Owner"
    assert format_path(("rule", 0, "id")) == "rule[0].id"
    assert format_path(("tags", "a.b")) == 'tags["a.b"]'


# -- plans as a whole ------------------------------------------------------------------------
def test_noop_plan_has_no_changes():
    plan = load_plan_json(PLAN_FIXTURES / "tf_data_noop.json")
    raw = _raw("tf_data_noop.json")["resource_changes"]
    assert len(plan.resource_changes) == len(raw)
    assert plan.actions == {"no-op"}
    assert plan.changes == {}
    assert not plan.has_changes
    for address in plan.resource_changes:
        assert plan.diff(address).empty


def test_destroy_plan_deletes_everything():
    plan = load_plan_json(PLAN_FIXTURES / "tf_data_destroy.json")
    assert plan.actions == {"delete"}
    assert all(rc.after is None for rc in plan.resource_changes.values())


def test_a_state_document_is_not_a_plan():
    with pytest.raises(PlanError, match="state"):
        parse_plan(_raw("tf_data_state.json"))
    with pytest.raises(PlanError):
        parse_plan({"hello": "world"})


def test_refresh_only_plan_exposes_drift():
    plan = load_plan_json(PLAN_FIXTURES / "aws_s3_drift_refresh_only.json")
    assert plan.resource_changes == {}
    drifted = plan.resource_drift["aws_s3_bucket.this"]
    paths = {c.path: c for c in drifted.attribute_changes()}
    assert paths["tags.Owner"].before == "runbook"
    assert paths["tags.Owner"].after == "someone-else"
    assert paths["tags.Extra"].before == ""


def test_deposed_objects_get_their_own_key():
    raw = _raw("tf_data_destroy.json")
    first = dict(raw["resource_changes"][0])
    deposed = {**first, "deposed": "0badcafe"}
    raw["resource_changes"] = [first, deposed]
    plan = parse_plan(raw)
    assert set(plan.resource_changes) == {first["address"], f"{first['address']} (deposed 0badcafe)"}


def test_diff_of_an_unknown_address_names_close_matches(mixed):
    with pytest.raises(KeyError, match="terraform_data.update"):
        mixed.diff("terraform_data.updte")


# -- summaries -------------------------------------------------------------------------------
def test_summaries_of_the_mixed_plan(mixed):
    raw = _raw("tf_data_mixed.json")["resource_changes"]
    expected = Counter(derive_action(rc["change"]["actions"]) for rc in raw)
    by_action = mixed.summary_by_action().set_index("action")["count"].to_dict()
    assert {a: n for a, n in by_action.items() if n} == dict(expected)
    assert list(mixed.summary_by_action()["action"])[:6] == [
        "no-op",
        "create",
        "read",
        "update",
        "delete",
        "replace",
    ]

    by_module = mixed.summary_by_module().set_index("module")
    modules = Counter(rc.get("module_address", ROOT_MODULE) for rc in raw)
    assert by_module["total"].to_dict() == dict(modules)
    assert by_module.loc["module.child", "update"] == 1
    assert by_module.loc[ROOT_MODULE, "replace"] == 1

    by_type = mixed.summary_by_type().set_index("type")
    assert by_type.loc["terraform_data", "total"] == len(raw)


def test_summaries_of_an_empty_plan():
    plan = parse_plan({"format_version": "1.2", "resource_changes": []})
    assert plan.summary_by_module().empty
    assert list(plan.summary_by_module().columns)[-1] == "total"
    assert plan.summary_by_action()["count"].sum() == 0


def test_generated_5000_resource_plan():
    synthetic = _synthetic()
    raw = synthetic.synthetic_plan(5000, seed=7)
    plan = parse_plan(json.dumps(raw))
    assert len(plan.resource_changes) == 5000

    expected_actions = Counter(derive_action(rc["change"]["actions"]) for rc in raw["resource_changes"])
    counts = plan.summary_by_action().set_index("action")["count"]
    for action, n in expected_actions.items():
        assert counts[action] == n
    assert counts.sum() == 5000

    expected_modules = Counter(rc.get("module_address", ROOT_MODULE) for rc in raw["resource_changes"])
    by_module = plan.summary_by_module().set_index("module")
    assert by_module["total"].to_dict() == dict(expected_modules)
    assert by_module.drop(columns="total").sum(axis=1).to_dict() == dict(expected_modules)
    expected_types = Counter(rc["type"] for rc in raw["resource_changes"])
    assert plan.summary_by_type().set_index("type")["total"].to_dict() == dict(expected_types)

    for rc in plan.resource_changes.values():
        for side in (rc.before, rc.after):
            assert synthetic.SECRET_PREFIX not in json.dumps(side)
    assert synthetic.SECRET_PREFIX not in json.dumps(plan.summary_dict())
    assert plan.output_changes["admin_password"].after == SENSITIVE
    updated = next(rc for rc in plan.resource_changes.values() if rc.action == "update")
    diff = plan.diff(updated.key).set_index("attribute")
    assert diff.loc["password", "after"] == SENSITIVE  # listed: its hidden value changes
    assert diff.loc["tags.Owner", "after"] == "someone-else"
