"""Preflight: is it safe to start? Tools, AWS identity, region, sandbox health.

Why a separate phase: every later phase changes something. Before any of
that, the operator (and the evidence) should show which account and region the
run will touch, that the tools are the expected ones, and — against a real
account — that the account is one the parameters allow. Nothing here changes
anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from runbook_lib import sandbox, tools
from runbook_lib.clients import aws_client
from runbook_lib.endpoints import aws_endpoint_url
from runbook_lib.errors import PreflightError, RunbookError
from runbook_lib.phases.account_guard import account_verdict

log = logging.getLogger("runbook_lib.phases.preflight")


@dataclass
class PreflightCheck:
    """One preflight check."""

    area: str  # "tools", "aws", "sandbox"
    name: str
    ready: bool
    detail: str
    blocking: bool = True


@dataclass
class PreflightReport:
    """Every check, plus what the operator must see: account, region, endpoint."""

    checks: list[PreflightCheck] = field(default_factory=list)
    account_id: str | None = None
    caller_arn: str | None = None
    region: str | None = None
    endpoint_url: str | None = None

    @property
    def ready(self) -> bool:
        return all(c.ready for c in self.checks if c.blocking)

    @property
    def failed(self) -> list[PreflightCheck]:
        return [c for c in self.checks if c.blocking and not c.ready]

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"area": c.area, "check": c.name, "ready": "ready" if c.ready else "NOT READY",
                              "blocking": c.blocking, "detail": c.detail} for c in self.checks])

    def require_ready(self) -> None:
        """Raise ``PreflightError`` listing every failed blocking check."""
        if not self.ready:
            raise PreflightError(self.failed)


def check_tools(terraform_binary: str = "auto") -> list[PreflightCheck]:
    report = tools.tools_status(terraform_binary=terraform_binary)
    # Java (Spark) is only needed by phase 4; it does not block preflight.
    return [PreflightCheck("tools", t.name, t.ready, f"{t.version or '-'} {t.path or ''} {t.detail}".strip(),
                        blocking=t.name != "java") for t in report.tools]


def check_aws_identity(params: Any, report: PreflightReport) -> list[PreflightCheck]:
    """STS GetCallerIdentity, then the account allow-list (refuses a real account not listed)."""
    aws = params.aws
    results: list[PreflightCheck] = []
    try:
        report.endpoint_url = aws_endpoint_url(aws)
        identity = aws_client("sts", aws).get_caller_identity()
    except RunbookError as error:
        return [PreflightCheck("aws", "identity", False, error.one_line())]
    except Exception as error:  # noqa: BLE001 - botocore raises many kinds; all mean "no identity"
        return [PreflightCheck("aws", "identity", False, f"{type(error).__name__}: {error}")]
    report.account_id, report.caller_arn = identity["Account"], identity["Arn"]
    results.append(PreflightCheck("aws", "identity", True, f"{identity['Arn']} (account {identity['Account']})"))
    verdict = account_verdict(identity["Account"], aws)  # the rule every entry point's guard applies
    results.append(PreflightCheck("aws", "account allowed", verdict.allowed, verdict.detail, blocking=verdict.blocking))
    return results


def check_region(params: Any, report: PreflightReport) -> PreflightCheck:
    report.region = params.aws.region
    try:
        regions = {r["RegionName"] for r in aws_client("ec2", params.aws).describe_regions()["Regions"]}
    except Exception as error:  # noqa: BLE001
        return PreflightCheck("aws", "region", False, f"cannot list regions: {error}")
    ok = params.aws.region in regions
    detail = params.aws.region + ("" if ok else f" is not one of {len(regions)} regions")
    return PreflightCheck("aws", "region", ok, detail)


def check_sandbox() -> list[PreflightCheck]:
    try:
        services = sandbox.status()
    except RunbookError as error:
        return [PreflightCheck("sandbox", "sandbox", False, error.one_line())]
    return [PreflightCheck("sandbox", s.name, s.health == "healthy",
                        f"{s.role}: {s.stands_for}{' [MOCK]' if s.mocked else ''} at {s.url}") for s in services]


def run_preflight(params: Any) -> PreflightReport:
    """Run every check; never raises for a failed check (``require_ready`` does)."""
    report = PreflightReport()
    report.checks.extend(check_tools(params.terraform.binary))
    report.checks.extend(check_aws_identity(params, report))
    report.checks.append(check_region(params, report))
    if params.aws.endpoint_url == "sandbox":
        report.checks.extend(check_sandbox())
    return report
