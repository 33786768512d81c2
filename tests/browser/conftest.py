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
  so by its kernels: they see the same sandbox as the ``sandbox`` fixture.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/install.sh``);
Playwright never downloads a browser. The launch flags turn off Chromium's own
background traffic, which the closed network would refuse.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
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
SERVER_START_TIMEOUT_S = 60.0
#: Playwright's default wait (ms) for one DOM state; generous for a cold kernel on 2 cores.
DOM_TIMEOUT_MS = 60_000
#: Settings written to JUPYTERLAB_SETTINGS_DIR: no news/update toasts (they ask to reach the internet).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    """A running JupyterLab server of this test session."""

    base_url: str
    token: str
    root_dir: Path
    outputs_dir: Path
    process: subprocess.Popen[bytes]
    log_file: Path

    def lab_url(self, notebook: str, workspace: str) -> str:
        """The URL that opens ``notebook`` (relative to the root folder) in a JupyterLab workspace."""
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        """Call the server's REST API with the token; returns the decoded JSON (None when empty)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback only
            payload = response.read()
        return json.loads(payload) if payload else None

    def log_tail(self, n: int = 4000) -> str:
        return self.log_file.read_text(errors="replace")[-n:] if self.log_file.exists() else ""


@pytest.fixture(scope="session")
def lab_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch area: root/ (copies of the notebooks), params/, outputs/ and Jupyter's own folders."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        shutil.copy2(notebook, root / notebook.name)
    outputs = base / "outputs"
    outputs.mkdir()
    params = base / "params"
    params.mkdir()
    for source in sorted((REPO / "params").glob("*.yaml")):
        data = yaml.safe_load(source.read_text())
        if isinstance(data, dict) and isinstance(data.get("evidence"), dict):
            data["evidence"]["outputs_dir"] = str(outputs)
        (params / source.name).write_text(yaml.safe_dump(data, sort_keys=False))
    for folder in ("jupyter-config", "jupyter-runtime", "jupyter-data", "lab-settings", "lab-workspaces"):
        (base / folder).mkdir()
    for relative, settings in LAB_SETTINGS.items():
        target = base / "lab-settings" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings))
    return base


def _wait_for_status(server: LabServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"jupyter lab exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            server.api("GET", "/api/status", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)  # polling a server that is still binding its port
    raise AssertionError(f"jupyter lab did not answer /api/status in {SERVER_START_TIMEOUT_S}s:\n{server.log_tail()}")


def _stop(server: LabServer) -> list[str]:
    """Shut the server and its kernels down; returns what had to be killed (should be nothing)."""
    tree = [server.process.pid]
    try:
        tree += [child.pid for child in psutil.Process(server.process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        pass
    # Kernels are started in sessions of their own: remember them by pid before shutdown.
    procs = []
    for pid in tree:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    try:
        server.api("POST", "/api/shutdown", timeout=10)  # shuts every kernel down, then the server
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        pass
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.terminate()
    _, alive = psutil.wait_procs(procs, timeout=15)
    killed = []
    for proc in alive:
        try:
            killed.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
    return killed


@pytest.fixture(scope="session", autouse=True)
def _lab_started(lab_workdir: Path) -> Iterator[LabServer]:
    """Start ``jupyter lab`` first thing (autouse), so it boots while the sandbox starts; stop it last.

    ``-m jupyterlab`` rather than ``-m jupyter lab``: the ``jupyter`` dispatcher looks the
    ``jupyter-lab`` script up on PATH, which may be another Python's JupyterLab.
    """
    port = free_port()
    token = secrets.token_hex(24)
    env = dict(os.environ)
    env.update(
        {
            "RUNBOOK_PARAMS_DIR": str(lab_workdir / "params"),
            "JUPYTER_CONFIG_DIR": str(lab_workdir / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(lab_workdir / "jupyter-runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(lab_workdir / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(lab_workdir / "lab-workspaces"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("JUPYTER_TOKEN", None)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--ServerApp.root_dir={lab_workdir / 'root'}",
        f"--IdentityProvider.token={token}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.terminals_enabled=False",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log_file = lab_workdir / "jupyterlab.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(  # a server for the whole session: run_command is for commands that end
            command,
            cwd=lab_workdir / "root",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = LabServer(
        f"http://127.0.0.1:{port}", token, lab_workdir / "root", lab_workdir / "outputs", process, log_file
    )
    try:
        yield server
    finally:
        killed = _stop(server)
        assert not killed, f"processes outlived the JupyterLab shutdown and were killed: {killed}"


@pytest.fixture(scope="session")
def jupyter_lab(_lab_started: LabServer) -> LabServer:
    """``jupyter lab`` of this venv on a free loopback port with a random token, answering /api/status."""
    _wait_for_status(_lab_started)
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


class LabPage:
    """One JupyterLab tab, with the few operator actions the tests need, each waiting on DOM state.

    Each page opens its notebook in a workspace of its own, so JupyterLab does not restore
    the notebooks an earlier test left open; every selector is still scoped to the visible
    notebook panel.
    """

    #: The visible notebook (hidden tabs carry ``lm-mod-hidden``).
    NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
    #: The status bar's kernel item reads "Python 3 (ipykernel) | Idle" once the kernel is idle.
    KERNEL_STATUS = ".jp-StatusBar-Widget .jp-StatusBar-TextItem"

    def __init__(self, page: Any, server: LabServer, workspace: str) -> None:
        self.page = page
        self.server = server
        self.workspace = workspace

    @property
    def notebook(self) -> Any:
        return self.page.locator(self.NOTEBOOK)

    def cell(self, index: int) -> Any:
        """The ``index``-th cell (markdown cells count) of the visible notebook."""
        return self.notebook.locator(".jp-Cell").nth(index)

    def open(self, notebook: str) -> None:
        """Open a notebook and wait until its kernel is connected and idle."""
        self.page.goto(self.server.lab_url(notebook, workspace=self.workspace))
        self.notebook.locator(".jp-Cell").first.wait_for()
        self.wait_kernel_idle()

    def wait_kernel_idle(self) -> None:
        self.page.wait_for_function(
            """sel => Array.from(document.querySelectorAll(sel))
                          .some(e => /\\|\\s*Idle\\s*$/.test(e.textContent))""",
            arg=self.KERNEL_STATUS,
        )

    def run_all_cells(self) -> None:
        """Run > Run All Cells, as an operator does."""
        self._run_menu("runmenu:run-all")

    def wait_all_executed(self) -> None:
        """Every code cell has an execution count (no ``[ ]`` or ``[*]`` left), then the kernel is idle."""
        self.page.wait_for_function(
            """sel => {
                const prompts = Array.from(document.querySelectorAll(sel + ' .jp-CodeCell .jp-InputPrompt'));
                return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
            }""",
            arg=self.NOTEBOOK,
        )
        self.wait_kernel_idle()

    def select_cell(self, index: int) -> None:
        """Click a cell's prompt: selects the cell in command mode."""
        self.cell(index).locator(".jp-InputPrompt").click()

    def run_selected_cell(self) -> None:
        """Run > Run Selected Cell and Do not Advance (ctrl-enter's menu twin)."""
        self._run_menu("notebook:run-cell")

    def _run_menu(self, command: str) -> None:
        self.page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator(f'#jp-mainmenu-run .lm-Menu-item[data-command="{command}"]').click()

    def error_outputs(self) -> list[str]:
        """Rendered tracebacks and stderr: JupyterLab renders both with the stderr mime type."""
        return self.notebook.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        ).all_inner_texts()


@pytest.fixture()
def lab_page(jupyter_lab: LabServer, chromium_context: Any) -> Iterator[LabPage]:
    page = chromium_context.new_page()
    try:
        yield LabPage(page, jupyter_lab, workspace=f"test-{secrets.token_hex(6)}")
    finally:
        page.close()
