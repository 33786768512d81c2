"""Approval gates: the headless policy, the pending interactive gate and its buttons, the terminal prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import PLAN_FIXTURES
from fixtures.plans.synthetic import plan_document, resource_change

from runbook_lib.errors import GateRejectedError, PlanError, PlanRejectedError
from runbook_lib.terraform.approval import (
    NO_CHANGES_MODE,
    NOTHING_TO_APPLY,
    DecisionLog,
    GateDecision,
    PendingGate,
    disallowed_changes,
    headless_gate,
    interactive_gate,
    nothing_to_apply,
    require_approval,
    terminal_gate,
)
from runbook_lib.terraform.plan import load_plan_json, parse_plan
from runbook_lib.terraform.plan_view import PlanView
from runbook_lib.terraform.review import PlanReview

pytestmark = pytest.mark.unit


def _review(name: str = "tf_data_mixed.json", sha: str = "cd" * 32) -> PlanReview:
    plan = load_plan_json(PLAN_FIXTURES / name, plan_sha256=sha)
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


# -- what the operator sees of a gate in a notebook -------------------------------------------------------------
class _Kernel:
    """Stands for the IPython kernel: the running cell's number and what the cell displays."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.execution_count = 1
        self.shown: list[object] = []
        monkeypatch.setattr("IPython.get_ipython", lambda: self)
        monkeypatch.setattr("IPython.display.display", lambda *objs, **_: self.shown.extend(objs))

    def out(self, result: object) -> dict:
        """The cell's ``Out[]`` for ``result``: what IPython's display hook formats (empty: no ``Out[]`` at all)."""
        from IPython.core.formatters import DisplayFormatter

        data, _ = DisplayFormatter().format(result)
        return data


def test_after_the_click_nothing_in_the_gate_cell_still_says_pending(monkeypatch, log):
    """JupyterLab renders a cell's Out[] once: a text repr of the gate there would read "pending" after Approve."""
    kernel = _Kernel(monkeypatch)
    review = _review()
    pending = interactive_gate(review, display=True, decisions=log, approver="carol")  # the gate cell runs
    view, widget = kernel.shown
    assert isinstance(view, PlanView) and widget is pending.widget
    assert kernel.out(pending) == {}  # its result adds nothing: the live widget above is the one place with the state
    assert "PENDING" in pending._status.value

    pending._buttons[0].click()  # Approve, while the cell's output stays as rendered
    assert "APPROVED" in pending._status.value and "by carol" in pending._status.value
    assert "pending" not in repr(pending) and "approved by carol (interactive)" in repr(pending)

    kernel.execution_count = 2  # a later cell echoes the gate: the same live widget, not a frozen text
    assert kernel.out(pending) == {}
    assert kernel.shown[-1] is pending.widget and len(kernel.shown) == 3


# -- a plan that changes nothing ---------------------------------------------------------------------------------
def _noop_document() -> dict:
    return json.loads((PLAN_FIXTURES / "tf_data_noop.json").read_text())  # Terraform's own: applyable false


def _document_review(document: dict, sha: str = "ab" * 32) -> PlanReview:
    plan = parse_plan(document, plan_sha256=sha)
    return PlanReview(plan=plan, plan_path=Path("/nonexistent/x.tfplan"), plan_sha256=sha, stack_dir=Path("/tmp"))


def _refuse_to_ask(prompt: str) -> str:
    raise AssertionError(f"asked about a plan that changes nothing: {prompt}")


def test_a_plan_that_changes_nothing_passes_every_gate_without_a_click(log):
    review = _document_review(_noop_document())
    assert nothing_to_apply(review.plan)
    by_policy = headless_gate(review, [], decisions=log, protected=True, env="prod")  # not even no-op listed
    at_terminal = terminal_gate(review, ask=_refuse_to_ask, decisions=log)
    pending = interactive_gate(review, display=False, decisions=log, approver="carol")
    assert pending.state == "approved" and pending._buttons == ()  # no button to press
    assert "NO CHANGES" in pending._status.value and NO_CHANGES_MODE in pending._status.value
    assert require_approval(pending, review) is pending.decision  # the apply cell below runs without a click
    for decision in (by_policy, at_terminal, pending.decision):
        assert decision.approved and decision.mode == NO_CHANGES_MODE and decision.decided_by == NOTHING_TO_APPLY
        assert decision.plan_sha256 == review.plan_sha256 and decision.counts == review.plan.counts()
    assert [d.mode for d in log.decisions] == [NO_CHANGES_MODE] * 3  # each pass is on record


def _changed(document: dict, actions: list[str]) -> dict:
    document["resource_changes"][0]["change"]["actions"] = actions
    return document


def _output_changed(document: dict) -> dict:
    document["output_changes"]["phase"].update(actions=["update"], after=2)
    return document


def _without(document: dict, key: str) -> dict:
    document.pop(key)
    return document


#: Plans that must stop at a gate. Each keeps ``applyable: false`` unless the case is about it, so the model's own
#: check is what holds: a wrong or missing ``applyable`` never lets a change through.
STILL_GATED = {
    "create": lambda d: _changed(d, ["create"]),
    "update": lambda d: _changed(d, ["update"]),
    "delete": lambda d: _changed(d, ["delete"]),
    "replace": lambda d: _changed(d, ["delete", "create"]),
    "replace, create first": lambda d: _changed(d, ["create", "delete"]),
    "read": lambda d: _changed(d, ["read"]),
    "forget": lambda d: _changed(d, ["forget"]),
    "an output changes": _output_changed,
    "Terraform says applyable": lambda d: {**d, "applyable": True},
    "Terraform does not say": lambda d: _without(d, "applyable"),
    "errored": lambda d: {**d, "errored": True},
}


@pytest.mark.parametrize("case", sorted(STILL_GATED))
def test_any_change_still_needs_a_decision(case, log):
    review = _document_review(STILL_GATED[case](_noop_document()))
    assert not nothing_to_apply(review.plan)
    pending = interactive_gate(review, display=False, decisions=log)
    assert pending.state == "pending" and len(pending._buttons) == 2
    with pytest.raises(PlanError, match="not approved yet"):
        require_approval(pending, review)
    asked: list[str] = []
    with pytest.raises(PlanRejectedError):
        terminal_gate(review, ask=lambda prompt: asked.append(prompt) or "no", decisions=log)
    assert asked  # the terminal asked
    assert NO_CHANGES_MODE not in {d.mode for d in log.decisions}


def test_a_refresh_only_plan_that_would_save_drift_still_asks(log):
    review = _review("aws_s3_drift_refresh_only.json")  # no change, but Terraform would write the drift to state
    assert not review.plan.changes and review.plan.resource_drift
    assert interactive_gate(review, display=False, decisions=log).state == "pending"


def test_the_review_says_which_outputs_change_when_only_outputs_do(log):
    """An output-only plan asks for a click; the review shows why (headline and table), not just "no changes"."""
    review = _document_review(_output_changed(_noop_document()))
    view = PlanView(review.plan, stack="01_network_iam", plan_sha256=review.plan_sha256)
    assert view.output_frame().to_dict("records") == [{"output": "phase", "action": "update", "before": "1",
                                                       "after": "2"}]
    page = view.to_html()
    assert "0 changes (no changes), 1 output change(s)" in page and "later stacks read these" in page
    assert "output changes" in view.to_text()
