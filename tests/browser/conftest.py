"""Browser tier: a real JupyterLab server driven by headless Debian Chromium through Playwright.

Why this tier exists: operators step through the runbook in JupyterLab, not in papermill.
Widgets (approval gates), tables and error banners only prove themselves when a browser
renders them and a click reaches the kernel. Everything here is started by the fixtures
and stopped by them, leaving no process behind.

Isolation, so a run never touches the checkout or the machine's Jupyter state:

* the notebooks are copied to a temporary root folder (JupyterLab may autosave the copy;
  the stored notebooks are never opened), so executed outputs never reach git;
* ``RUNBOOK_PARAMS_DIR`` points at a copy of ``params/`` whose ``evidence.outputs_dir`` is
  a temporary folder, so the hand-run evidence does not land in ``outputs/``;
* Jupyter's config, runtime, settings and workspace folders are temporary, and the
  settings turn off the news/update toasts (no internet here, and a toast hides cells);
* ``RUNBOOK_SANDBOX_DIR`` (set by ``tests/conftest.py``) is inherited by the server and
  so by its kernels: they see the same sandbox as the ``sandbox`` fixture;
* a test that needs other parameters or a sandbox of its own (``test_lab_network_iam.py``:
  interactive gates, applies) starts a server of its own from the same pieces (``lab_driver``).

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/install.sh``);
Playwright never downloads a browser. The launch flags turn off Chromium's own
background traffic, which the closed network would refuse.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_driver import LabPage, LabServer, make_lab_workdir, running_lab, wait_for_status

CHROMIUM = Path(os.environ.get("RUNBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Playwright's default wait (ms) for one DOM state; generous for a cold kernel on 2 cores.
DOM_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def lab_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch area: root/ (copies of the notebooks), params/, outputs/ and Jupyter's own folders."""
    return make_lab_workdir(tmp_path_factory.mktemp("jupyterlab"))


@pytest.fixture(scope="session", autouse=True)
def _lab_started(lab_workdir: Path) -> Iterator[LabServer]:
    """Start ``jupyter lab`` first thing (autouse), so it boots while the sandbox starts; stop it last."""
    with running_lab(lab_workdir) as server:
        yield server


@pytest.fixture(scope="session")
def jupyter_lab(_lab_started: LabServer) -> LabServer:
    """``jupyter lab`` of this venv on a free loopback port with a random token, answering /api/status."""
    wait_for_status(_lab_started)
    return _lab_started


@pytest.fixture(scope="session")
def chromium_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Debian Chromium with a fresh profile (Playwright's persistent context)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: scripts/install.sh installs Debian's chromium"
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(DOM_TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture()
def lab_page(jupyter_lab: LabServer, chromium_context: Any) -> Iterator[LabPage]:
    page = chromium_context.new_page()
    try:
        yield LabPage(page, jupyter_lab, workspace=f"test-{secrets.token_hex(6)}")
    finally:
        page.close()
