"""Fixtures the unit tier shares: an empty secret redactor around a test, and a signing key for an evidence run.

The redactor is one per process (``runbook_lib.redact``), so a secret one test registers would mask text in the next;
the modules that register secrets ask for ``clean_redactor`` in their ``pytestmark``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runbook_lib import redact
from runbook_lib.evidence import generate_ed25519_key


@pytest.fixture
def clean_redactor() -> Iterator[None]:
    """The process-wide redactor empty before and after the test."""
    redact.get_redactor().clear()
    yield
    redact.get_redactor().clear()


@pytest.fixture
def evidence_key(tmp_path: Path) -> Path:
    """A new Ed25519 key at ``keys/evidence.pem`` in the test's folder: what ``evidence.signing.key_file`` names."""
    path = tmp_path / "keys" / "evidence.pem"
    generate_ed25519_key(path)
    return path
