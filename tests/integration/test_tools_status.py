"""`runbook tools status --json` on this machine: every tool the runbook needs is ready."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_tools_status_json_reports_terraform_and_provider_ready() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runbook_lib.cli", "tools", "status", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stdout)
    tools = {t["name"]: t for t in report["tools"]}
    terraform = tools.get("terraform") or tools.get("tofu")
    assert terraform["ready"] and terraform["version"]
    assert tools["aws-provider"]["ready"], tools["aws-provider"]["detail"]
    for name in ("postgresql", "tansu", "java", "moto"):
        assert tools[name]["ready"], (name, tools[name]["detail"])
    assert result.returncode == 0
