"""AWS Budgets verifiers: the budget's limit is the one the state records."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Outcome, VerifyContext, equal
from runbook_lib.terraform.state import StateResource


def verify_budget(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    account = r.get("account_id") or str(r.get("id", ":")).split(":", 1)[0] or ctx.account_id()
    budget = ctx.client("budgets").describe_budget(AccountId=account, BudgetName=r.get("name"))["Budget"]
    limit = budget.get("BudgetLimit") or {}
    yield equal("matches state: limit", float(r.get("limit_amount") or 0), float(limit.get("Amount") or 0))
