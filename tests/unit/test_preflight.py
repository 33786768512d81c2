"""Preflight decides whether a run may start: identity, the account allow-list, region, tools, sandbox.

AWS is moto in-process (``mock_aws``: account 123456789012); tools and the sandbox are replaced by
stand-ins so each rule is tested alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fakes import mocked_aws

from runbook_lib.errors import RunbookError, SandboxDownError
from runbook_lib.phases import preflight
from runbook_lib.phases.preflight import PreflightReport, run_preflight

pytestmark = pytest.mark.unit

MOTO_ACCOUNT = "123456789012"


@pytest.fixture()
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with mocked_aws(monkeypatch):
        yield


def _params(*, allowed: list[str], region: str = "eu-west-1", endpoint_url: str | None = None) -> Any:
    aws = SimpleNamespace(
        region=region,
        endpoint_url=endpoint_url,
        allowed_account_ids=allowed,
        profile=None,
        connect_timeout=None,
        max_attempts=None,
    )
    return SimpleNamespace(aws=aws, terraform=SimpleNamespace(binary="auto"))


def _tool(name: str, ready: bool) -> Any:
    return SimpleNamespace(name=name, ready=ready, version="1.0", path=f"/usr/bin/{name}", detail="")


@pytest.fixture()
def tools_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "runbook_lib.tools.tools_status",
        lambda **_: SimpleNamespace(tools=[_tool("terraform", True), _tool("java", False)]),
    )


def test_an_allowed_account_is_ready_and_named(aws: None) -> None:
    report = PreflightReport()
    checks = preflight.check_aws_identity(_params(allowed=[MOTO_ACCOUNT]), report)
    assert [(c.name, c.ready, c.blocking) for c in checks] == [
        ("identity", True, True),
        ("account allowed", True, True),
    ]
    assert report.account_id == MOTO_ACCOUNT and report.caller_arn and report.caller_arn.startswith("arn:aws:")


def test_an_account_not_on_the_allow_list_blocks_the_run(aws: None) -> None:
    report = PreflightReport()
    report.checks.extend(preflight.check_aws_identity(_params(allowed=["111111111111"]), report))
    assert not report.ready
    (failed,) = report.failed
    assert failed.name == "account allowed" and MOTO_ACCOUNT in failed.detail and "111111111111" in failed.detail
    with pytest.raises(RunbookError) as caught:
        report.require_ready()
    assert "account allowed" in str(caught.value) and caught.value.exit_code == 4


def test_a_real_account_with_an_empty_allow_list_is_refused(aws: None) -> None:
    """Only the sandbox may run without an allow-list; against AWS an empty list allows nothing."""
    report = PreflightReport()
    report.checks.extend(preflight.check_aws_identity(_params(allowed=[]), report))
    assert not report.ready


def test_the_sandbox_without_an_allow_list_passes_but_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Sts:
        def get_caller_identity(self) -> dict[str, str]:
            return {"Account": MOTO_ACCOUNT, "Arn": f"arn:aws:iam::{MOTO_ACCOUNT}:user/moto"}

    monkeypatch.setattr(preflight, "aws_endpoint_url", lambda aws: "http://127.0.0.1:1")
    monkeypatch.setattr(preflight, "aws_client", lambda service, aws: _Sts())
    report = PreflightReport()
    checks = preflight.check_aws_identity(_params(allowed=[], endpoint_url="sandbox"), report)
    allowed = next(c for c in checks if c.name == "account allowed")
    assert allowed.ready and not allowed.blocking and "no allow-list" in allowed.detail
    assert report.endpoint_url == "http://127.0.0.1:1"


def test_no_identity_is_a_failed_check_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def _boom(service: str, aws: Any) -> Any:
        raise ConnectionError("no route to sts")

    monkeypatch.setattr(preflight, "aws_client", _boom)
    checks = preflight.check_aws_identity(_params(allowed=[MOTO_ACCOUNT]), PreflightReport())
    assert [(c.name, c.ready) for c in checks] == [("identity", False)]
    assert "ConnectionError" in checks[0].detail


@pytest.mark.parametrize(("region", "ready"), [("eu-west-1", True), ("mars-north-1", False)])
def test_the_region_must_exist(aws: None, region: str, ready: bool) -> None:
    report = PreflightReport()
    check = preflight.check_region(_params(allowed=[MOTO_ACCOUNT], region=region), report)
    assert check.ready is ready and report.region == region
    assert ready or region in check.detail  # moto refuses the unknown region outright; AWS lists without it


def test_java_is_reported_but_does_not_block(tools_ready: None) -> None:
    checks = {c.name: c for c in preflight.check_tools()}
    assert checks["terraform"].ready and checks["terraform"].blocking
    assert not checks["java"].ready and not checks["java"].blocking


def test_a_sandbox_run_checks_the_sandbox_and_a_down_sandbox_blocks(
    aws: None, tools_ready: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def _down() -> list[Any]:
        raise SandboxDownError("preflight")

    monkeypatch.setattr("runbook_lib.sandbox.status", _down)
    monkeypatch.setattr(preflight, "check_aws_identity", lambda params, report: [])
    monkeypatch.setattr(
        preflight, "check_region", lambda params, report: preflight.PreflightCheck("aws", "region", True, "ok")
    )
    report = run_preflight(_params(allowed=[], endpoint_url="sandbox"))
    sandbox_checks = [c for c in report.checks if c.area == "sandbox"]
    assert sandbox_checks and not sandbox_checks[0].ready and not report.ready


def test_a_real_run_does_not_look_for_the_sandbox(
    aws: None, tools_ready: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("runbook_lib.sandbox.status", lambda: pytest.fail("the sandbox was consulted"))
    report = run_preflight(_params(allowed=[MOTO_ACCOUNT]))
    assert report.ready, report.failed
    frame = report.to_frame()
    assert list(frame.columns) == ["area", "check", "ready", "blocking", "detail"]
    assert set(frame["area"]) == {"tools", "aws"}
