"""Shared fixtures. The test session uses its own sandbox folder so a running demo sandbox is never touched."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_SANDBOX_DIR = REPO / ".sandbox-test"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("RUNBOOK_SANDBOX_DIR", str(TEST_SANDBOX_DIR))
    # Environment locks of this test process (runbook_lib.phases.envlock): its own folder, so that two test
    # runs on one machine never refuse each other's `runbook run --env sandbox`.
    os.environ.setdefault("RUNBOOK_LOCK_DIR", tempfile.mkdtemp(prefix="runbook-test-locks-"))


@pytest.fixture(scope="session")
def sandbox() -> Iterator[object]:
    """A running, seeded sandbox (small scale); started here and stopped at the end unless it was already up.

    A missing real part (PostgreSQL, Tansu, moto) fails the fixture: integration tests are never skipped.
    """
    from runbook_lib import sandbox as sb

    state = sb.load_state()
    started_here = False
    if state is None or not all(s.health == "healthy" for s in _safe_status(sb)):
        if state is not None:
            sb.down()
        state = sb.up("small")
        started_here = True
    yield sb.load_state()
    if started_here and not os.environ.get("RUNBOOK_KEEP_TEST_SANDBOX"):
        sb.down()


def _safe_status(sb) -> list:
    try:
        return sb.status()
    except Exception:  # noqa: BLE001 - a broken previous sandbox is restarted
        return []


@pytest.fixture(scope="session")
def aws_endpoint(sandbox) -> str:
    return sandbox.url("aws")


@pytest.fixture()
def tf_env() -> dict[str, str]:
    """Environment for running terraform against the sandbox in a test."""
    return {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "TF_IN_AUTOMATION": "1"}
