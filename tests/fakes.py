"""Stand-ins shared by the test tiers: the repository and fixture paths, progress bars that draw nothing, moto with
test credentials, emptying buckets, a copy child killed mid-way.

Imported as ``from fakes import ...`` (pytest puts ``tests/`` on the path through ``tests/conftest.py``;
the subprocess scripts under ``tests/integration`` add it themselves).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The checkout and the checked-in fixtures, found once here rather than from every test file's own ``__file__``
#: (``parents[1]`` in one tier, ``parents[2]`` in another: a file moved a level down would read the wrong folder).
REPO = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO / "tests" / "fixtures"
PLAN_FIXTURES = FIXTURES_DIR / "plans"
VALID_PARAMS = FIXTURES_DIR / "params" / "valid.yaml"


def quiet_progress(**kwargs: Any) -> Any:
    """A real tqdm bar that draws nothing: the migrators' progress calls run, the test output stays clean."""
    from tqdm import tqdm

    return tqdm(disable=True, **kwargs)


class StubBar:
    """A tqdm-like bar that keeps what it was told (total, count, postfix, descriptions) for assertions."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.total, self.n, self.postfix, self.closed = kwargs.get("total"), 0, "", False
        self.descriptions: list[str] = []

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text

    def set_description(self, text: str, refresh: bool = True) -> None:
        self.descriptions.append(text)

    def close(self) -> None:
        self.closed = True


class RecordingBars:
    """A progress factory that records every bar it made (``bars``), for tests that count what was reported."""

    def __init__(self) -> None:
        self.bars: list[StubBar] = []

    def __call__(self, **kwargs: Any) -> StubBar:
        bar = StubBar(**kwargs)
        self.bars.append(bar)
        return bar


@contextmanager
def mocked_aws(monkeypatch: Any, *, region: str | None = "eu-west-1") -> Iterator[None]:
    """moto's ``mock_aws`` with its test credentials and no profile: boto3 inside can reach no real account.

    ``region`` becomes AWS_DEFAULT_REGION (None leaves it as it is, for tests that name a region per client).
    """
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    if region is not None:
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def empty_bucket(client: Any, bucket: str, *, versions: bool = False) -> int:
    """Abort open uploads and delete every object (every version and delete marker with ``versions``).

    Object by object (DeleteObject), not DeleteObjects: moto answered the batch call with HTTP 500 on
    migrated buckets during teardown. Returns how many objects or versions were deleted.
    """
    deleted = 0
    for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    if versions:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                client.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
                deleted += 1
        return deleted
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
            deleted += len(keys)
    return deleted


def sigkill_mid_copy(
    script: Path, config: Path, started: Callable[[], bool], *, poll: float, delay: tuple[float, float], seed: int
) -> int:
    """Run ``script config`` in a child, wait (at most 120 s) until ``started()``, then SIGKILL it after a seeded delay.

    Asserts the child is still copying when the kill lands (a kill after the end proves nothing about resume).
    Returns the killed child's pid.
    """
    child = subprocess.Popen([sys.executable, str(script), str(config)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not started():
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            time.sleep(poll)
        time.sleep(random.Random(seed).uniform(*delay))
        assert child.poll() is None, "the copy finished before the kill; the kill must land mid-copy"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    return child.pid


def folder_args(workspace: Any, outputs: Path | None = None) -> list[str]:
    """``runbook run``'s folder options for a test workspace: its notebooks and params (and outputs when given)."""
    args = ["--notebooks-dir", str(workspace["notebooks"]), "--params-dir", str(workspace["params"])]
    return args if outputs is None else [*args, "--outputs-dir", str(outputs)]


#: The parameters cell papermill fills in a phase notebook (what ``runbook run`` injects).
PARAMETERS_CELL = 'env = "none"\nrun_id = None\nevidence_dir = None\nparams_file = None\nphase = None'


def write_phase_notebook(path: Any, *sources: str) -> None:
    """A small phase notebook at ``path``: a title, the tagged parameters cell, then one code cell per source."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), params]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)

