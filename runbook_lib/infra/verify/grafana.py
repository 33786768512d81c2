"""Managed Grafana verifiers: the workspace is active."""

from __future__ import annotations

from collections.abc import Iterator

from runbook_lib.infra.verify.core import Outcome, VerifyContext
from runbook_lib.terraform.state import StateResource


def verify_grafana(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    ws = ctx.client("grafana").describe_workspace(workspaceId=r.get("id"))["workspace"]
    yield Outcome("active", "ACTIVE", ws.get("status"), ws.get("status") in ("ACTIVE", "UPDATING"))
