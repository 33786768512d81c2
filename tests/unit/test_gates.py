"""Approval gates: the headless policy, the pending interactive gate and its buttons, the terminal prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.plans.synthetic import plan_document, resource_change

from runbook_lib.errors import GateRejectedError, PlanError, PlanRejectedError
from runbook_lib.terraform.approval import (
    DecisionLog,
    GateDecision,
    PendingGate,
    disallowed_changes,
    headless_gate,
    interactive_gate,
    require_approval,
    terminal_gate,
)
from runbook_lib.terraform.plan import load_plan_json, parse_plan
from runbook_lib.terraform.review import PlanReview

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def _review(name: str = "tf_data_mixed.json", sha: str = "cd" * 32) -> PlanReview:
    plan = load_plan_json(FIXTURES / name, plan_sha256=sha)
    return PlanReview(plan=plan, plan_path=Path("/nonexistent/x.tfplan"), plan_sha256=sha, stack_dir=Path("/tmp"))


@pytest.fixture
def log() -> DecisionLog:
    return DecisionLog()


def test_headless_policy_approves_when_every_action_is_allowed(log):
    review = _review()
    decision = headless_gate(review, ["create", "update", "delete", "replace"], "ci-bot", decisions=log)
    assert decision.approved
    assert decision.decided_by == "policy:ci-bot"
    assert decision.plan_sha256 == review.plan_sha256
    assert decision.counts == review.plan.counts()
    assert log.decisions == [decision]
    record = decision.to_dict()
    assert set(record) >= {"gate", "approved", "decided_by", "decided_at", "plan_sha256", "reason"}
    assert record["decided_at"].endswith("Z")  # the one timestamp format (runbook_lib.util)
    json.dumps(log.to_dicts())  # evidence-ready


def test_headless_policy_rejects_and_attaches_the_summary(log):
    review = _review()
    with pytest.raises(PlanRejectedError) as caught:
        headless_gate(review, ["no-op", "read", "create", "update"], decisions=log)
    error = caught.value
    assert isinstance(error, GateRejectedError)
    assert error.disallowed == {"terraform_data.delete[0]": "delete", "terraform_data.replace": "replace"}
    assert error.summary == review.plan.counts()
    assert error.plan_sha256 == review.plan_sha256
    assert error.exit_code == 3
    (recorded,) = log.decisions  # the rejection is on record before the error propagates
    assert recorded.approved is False
    assert "terraform_data.replace (replace)" in recorded.reason


def test_no_op_needs_no_approval():
    review = _review("tf_data_noop.json")
    assert disallowed_changes(review.plan, []) == {}
    assert headless_gate(review, [], decisions=DecisionLog()).approved


def test_listeners_hear_every_decision(log):
    heard: list[GateDecision] = []
    log.subscribe(heard.append)
    headless_gate(_review("tf_data_noop.json"), ["no-op"], decisions=log)
    with pytest.raises(PlanRejectedError):
        headless_gate(_review(), ["no-op"], decisions=log)
    assert [d.approved for d in heard] == [True, False]


def test_pending_gate_blocks_apply_until_approved(log):
    review = _review()
    pending = PendingGate(review, approver="alice", decisions=log)
    assert pending.state == "pending"
    with pytest.raises(PlanError, match="not approved yet"):
        require_approval(pending, review)
    decision = pending.approve()
    assert pending.state == "approved"
    assert require_approval(pending, review) is decision
    assert decision.decided_by == "alice"
    assert decision.mode == "interactive"
    assert log.decisions == [decision]


def test_rejected_pending_gate_raises_gate_rejected(log):
    review = _review()
    pending = PendingGate(review, decisions=log)
    pending.reject(by="bob", reason="too many deletes")
    with pytest.raises(PlanRejectedError, match="too many deletes"):
        require_approval(pending, review)
    with pytest.raises(PlanError, match="already rejected"):
        pending.approve()


def test_buttons_decide(log):
    review = _review()
    pending = interactive_gate(review, display=False, decisions=log, approver="carol")
    approve_button, reject_button = pending._buttons
    assert pending.state == "pending"
    approve_button.click()
    assert pending.state == "approved"
    assert approve_button.disabled and reject_button.disabled
    assert "APPROVED" in pending._status.value


def test_reject_button(log):
    pending = interactive_gate(_review(), display=False, decisions=log)
    pending._buttons[1].click()
    assert pending.state == "rejected"
    assert log.decisions[-1].approved is False


def test_interactive_gate_displays_the_plan(capsys, log):
    pending = interactive_gate(_review("aws_s3_replace.json"), display=True, decisions=log)
    shown = capsys.readouterr().out  # outside a kernel, IPython.display prints the reprs
    assert "aws_s3_bucket.this" in shown
    assert "replace" in shown
    assert pending.state == "pending"


def test_a_decision_for_another_plan_is_refused(log):
    decision = headless_gate(_review(sha="11" * 32), ["create", "update", "delete", "replace"], decisions=log)
    with pytest.raises(PlanError, match="not 2222"):
        require_approval(decision, _review(sha="22" * 32))


def test_no_gate_is_refused():
    with pytest.raises(PlanError, match="approved gate"):
        require_approval(None, _review())


@pytest.mark.parametrize(("answer", "approved"), [("yes", True), ("y", False), ("", False), ("YES", False)])
def test_terminal_gate(answer, approved, log):
    review = _review()
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return answer

    if approved:
        assert terminal_gate(review, ask=ask, decisions=log, approver="dave").approved
    else:
        with pytest.raises(PlanRejectedError):
            terminal_gate(review, ask=ask, decisions=log)
    assert review.plan_sha256[:12] in prompts[0]
    assert log.decisions[-1].approved is approved


# -- protected environments and changes that destroy data -------------------------------------------------------
EVERYTHING = ["no-op", "read", "create", "update", "delete", "replace"]


def _synthetic_review(*changes, sha: str = "ef" * 32) -> PlanReview:
    plan = parse_plan(plan_document(*changes), plan_sha256=sha)
    return PlanReview(plan=plan, plan_path=Path("/nonexistent/x.tfplan"), plan_sha256=sha, stack_dir=Path("/tmp"))


def _versioning_suspended():
    return resource_change(
        "aws_s3_bucket_versioning",
        ["update"],
        {"bucket": "lake", "versioning_configuration": [{"status": "Enabled"}]},
        {"bucket": "lake", "versioning_configuration": [{"status": "Suspended"}]},
    )


def test_a_protected_env_refuses_deletes_and_replaces_whatever_the_policy_lists(log):
    review = _review()  # tf_data_mixed: creates, updates, a delete and a replace
    with pytest.raises(PlanRejectedError) as caught:
        headless_gate(review, EVERYTHING, "ci-bot", decisions=log, protected=True, env="prd")
    error = caught.value
    assert error.disallowed == {"terraform_data.delete[0]": "delete", "terraform_data.replace": "replace"}
    text = str(error)
    assert "'prd' is protected" in text and "protected: true" in text
    assert "terraform_data.delete[0]" in text and "terraform_data.replace" in text
    assert "a person" in text  # the hint: who can approve instead
    (recorded,) = log.decisions
    assert recorded.approved is False and "'prd' is protected" in recorded.reason


def test_a_protected_env_still_lets_the_policy_approve_creates_and_updates(log):
    review = _review("tf_data_create.json")
    assert headless_gate(review, EVERYTHING, decisions=log, protected=True, env="prod").approved


def test_the_policy_name_is_in_the_refusal(log):
    with pytest.raises(PlanRejectedError, match="--auto-approve-policy"):
        headless_gate(
            _review(), EVERYTHING, decisions=log, protected=True, env="prod", policy_name="--auto-approve-policy"
        )


def test_an_update_that_destroys_data_needs_delete_in_the_policy(log):
    review = _synthetic_review(_versioning_suspended())
    with pytest.raises(PlanRejectedError) as caught:
        headless_gate(review, ["no-op", "read", "create", "update"], decisions=log)
    (what,) = caught.value.disallowed.values()
    assert what.startswith("update: destroys data (") and "Suspended" in what
    # an unprotected env whose policy allows deletes may let it through
    assert headless_gate(review, EVERYTHING, decisions=log).approved


def test_a_protected_env_refuses_an_update_that_destroys_data(log):
    review = _synthetic_review(_versioning_suspended())
    with pytest.raises(PlanRejectedError) as caught:
        headless_gate(review, EVERYTHING, decisions=log, protected=True, env="staging")
    assert list(caught.value.disallowed) == ["aws_s3_bucket_versioning.this"]
    assert "destroys data" in str(caught.value)


def test_interactive_gate_shows_what_destroys_data(capsys, log):
    interactive_gate(_synthetic_review(_versioning_suspended()), display=True, decisions=log)
    shown = capsys.readouterr().out
    assert "aws_s3_bucket_versioning.this" in shown and "Suspended" in shown
