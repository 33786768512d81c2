"""The JupyterLab server and page the browser tests drive: start a server on a scratch folder, act as an operator.

Why apart from ``conftest.py``: a test that needs a server of its own (other parameters, a sandbox of its
own, as ``test_lab_network_iam.py``) imports these directly; ``conftest.py`` builds the session's shared
server and page from the same pieces.
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml

REPO = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 60.0
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


def make_lab_workdir(
    base: Path,
    notebooks: Iterable[Path] | None = None,
    edit_params: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Fill ``base`` with root/ (copies of the notebooks), params/, outputs/, keys/ and Jupyter's own folders.

    Every params copy writes under ``base`` only: ``evidence.outputs_dir`` is ``base/outputs`` and an
    ``evidence.signing.key_file`` (the sandbox's is ``outputs/.keys/…`` of the checkout, generated at the first
    phase end) becomes ``base/keys/<same name>``, so a hand run in the browser never creates or reuses the
    checkout's signing key.

    Args:
        notebooks: the notebooks to copy into the root folder (default: every one in ``notebooks/``).
        edit_params: called with each params file's data after ``evidence.outputs_dir`` and the key file are set,
            before it is written: a test that needs other parameters (an interactive gate, a key file of its own)
            edits them in its copy, never in ``params/``.
    """
    root = base / "root"
    root.mkdir()
    for notebook in sorted(notebooks if notebooks is not None else (REPO / "notebooks").glob("*.ipynb")):
        shutil.copy2(notebook, root / notebook.name)
    outputs = base / "outputs"
    outputs.mkdir()
    params = base / "params"
    params.mkdir()
    for source in sorted((REPO / "params").glob("*.yaml")):
        data = yaml.safe_load(source.read_text())
        if isinstance(data, dict) and isinstance(data.get("evidence"), dict):
            data["evidence"]["outputs_dir"] = str(outputs)
            signing = data["evidence"].get("signing")
            if isinstance(signing, dict) and signing.get("key_file"):
                signing["key_file"] = str(base / "keys" / Path(signing["key_file"]).name)
        if isinstance(data, dict) and edit_params is not None:
            edit_params(data)
        (params / source.name).write_text(yaml.safe_dump(data, sort_keys=False))
    for folder in ("jupyter-config", "jupyter-runtime", "jupyter-data", "lab-settings", "lab-workspaces"):
        (base / folder).mkdir()
    for relative, settings in LAB_SETTINGS.items():
        target = base / "lab-settings" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings))
    return base


def wait_for_status(server: LabServer) -> None:
    """Wait until the server answers ``/api/status`` (it exited or took too long: fail with its log)."""
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


@contextlib.contextmanager
def running_lab(workdir: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[LabServer]:
    """``jupyter lab`` on ``workdir`` (see :func:`make_lab_workdir`), stopped with its kernels on exit.

    Returns as soon as the process is started (wait with :func:`wait_for_status`), so a caller can start
    other things while it boots. ``extra_env`` reaches the server and so its kernels (e.g. a sandbox
    folder of a test's own). ``-m jupyterlab`` rather than ``-m jupyter lab``: the ``jupyter`` dispatcher
    looks the ``jupyter-lab`` script up on PATH, which may be another Python's JupyterLab.
    """
    port = free_port()
    token = secrets.token_hex(24)
    env = dict(os.environ)
    env.update(
        {
            "RUNBOOK_PARAMS_DIR": str(workdir / "params"),
            "JUPYTER_CONFIG_DIR": str(workdir / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(workdir / "jupyter-runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(workdir / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "lab-workspaces"),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
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
        f"--ServerApp.root_dir={workdir / 'root'}",
        f"--IdentityProvider.token={token}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.terminals_enabled=False",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log_file = workdir / "jupyterlab.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(  # a server for the whole session: run_command is for commands that end
            command,
            cwd=workdir / "root",
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, workdir / "root", workdir / "outputs", process, log_file)
    try:
        yield server
    finally:
        killed = _stop(server)
        assert not killed, f"processes outlived the JupyterLab shutdown and were killed: {killed}"


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

    def run_all_below(self) -> None:
        """Run > Run Selected Cell and All Below: how an operator carries on from a cell (after a gate)."""
        self._run_menu("notebook:run-all-below")

    def wait_run_settled(self, timeout_ms: float) -> None:
        """Every cell the last run command queued has run or was dropped: a ``[*]`` prompt came and went.

        A cell that raises drops the rest of the queue (JupyterLab runs with stop-on-error): that is how a
        notebook stops at an interactive gate, whose apply cell raises until Approve was pressed. Waiting for
        a ``[*]`` first keeps a wait that starts before the queue shows from passing at once.
        """
        busy = """sel => Array.from(document.querySelectorAll(sel + ' .jp-CodeCell .jp-InputPrompt'))
                             .some(p => p.textContent.trim() === '[*]:')"""
        self.page.wait_for_function(busy, arg=self.NOTEBOOK)
        self.page.wait_for_function(f"sel => !({busy})(sel)", arg=self.NOTEBOOK, timeout=timeout_ms)
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
