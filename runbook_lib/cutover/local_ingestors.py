"""The platform's ingestor (examples/platform/ingestor) run locally under uvicorn, one instance per path.

Why subprocesses: in the sandbox moto keeps the Lambda alias' weights but does not run the function image,
so the canary drives real events through the same app code as it runs on the self-hosted platform: an "old"
instance producing into the source broker and a "new" one producing into the target (MSK's stand-in).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runbook_lib.errors import SandboxError
from runbook_lib.paths import project_root
from runbook_lib.process import stop_process
from runbook_lib.sandbox.services import free_port

log = logging.getLogger("runbook_lib.cutover.local_ingestors")

APP_DIR = Path("examples") / "platform"


@dataclass(frozen=True)
class LocalIngestor:
    """A running instance: POST events to ``url``."""

    label: str
    url: str
    health_url: str
    pid: int
    log_file: str


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback http only
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def local_ingestor(label: str, bootstrap_servers: str, *, topic: str = "ingest.events", log_dir: Path,
                   max_event_bytes: int = 262_144, start_timeout_s: float = 30.0) -> Iterator[LocalIngestor]:
    """Run one ingestor instance on a free loopback port for the duration of the ``with`` block."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"ingestor-{label}.log"
    env = {**os.environ, "INGEST_BOOTSTRAP_SERVERS": bootstrap_servers, "INGEST_TOPIC": topic,
           "INGEST_PATH_LABEL": label, "INGEST_MAX_EVENT_BYTES": str(max_event_bytes), "INGEST_AUTH": "none"}
    command = [sys.executable, "-m", "uvicorn", "ingestor.app:create_app", "--factory",
               "--app-dir", str(project_root() / APP_DIR), "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]
    with open(log_file, "ab") as handle:
        proc = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    instance = LocalIngestor(label, f"{base}/events", f"{base}/health", proc.pid, str(log_file))
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _healthy(instance.health_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SandboxError(f"the local ingestor {label!r} did not start", hint=f"see {log_file}")
            time.sleep(0.2)
        log.info("ingestor %s on %s (pid %s)", label, base, proc.pid)
        yield instance
    finally:
        stop_process(proc, 5.0, 5.0, log=log)
