"""A run's private working area: where papermill writes while a phase runs, outside the evidence folder.

Why: papermill saves the executing notebook after every cell, and a killed run leaves that file
wherever it was. Written into the run folder it would be evidence nobody redacted. So papermill
writes into ``<outputs_dir>/.work/<run_id>/`` (mode 0700), and only the redacted copy the ledger
makes (:meth:`EvidenceLedger.add_notebook`) lands in the run folder, with its HTML.

The same folder holds the secret digests the phase kernels share with the runner
(:data:`runbook_lib.redact.DIGESTS_ENV`): the kernel resolves the secrets, the runner redacts what it
copies with their digests, never their values. A notebook left behind by a killed phase is copied
(redacted) when the run is resumed, so the resumed phase keeps it as an earlier attempt. The folder
is removed once every phase of the run succeeded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runbook_lib import redact
from runbook_lib.evidence import EvidenceLedger

log = logging.getLogger("runbook_lib.phases.run_workspace")

#: The folder of working areas, beside the run folders.
WORK_DIR_NAME = ".work"
DIGESTS_NAME = "secret-digests.jsonl"
PRIVATE_MODE = 0o700


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=PRIVATE_MODE, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_MODE)  # mkdir's mode is subject to the umask, and the folder may predate us
    return path


@dataclass(frozen=True)
class RunWorkspace:
    """``<outputs_dir>/.work/<run_id>/``: in-progress notebooks and the run's secret digests."""

    root: Path

    @classmethod
    def of(cls, outputs_dir: str | Path, run_id: str) -> RunWorkspace:
        """The working area of a run (not created until :meth:`create`)."""
        return cls(Path(outputs_dir) / WORK_DIR_NAME / run_id)

    def create(self) -> RunWorkspace:
        """Create the folder and its parent, both readable by the owner only."""
        _private_dir(self.root.parent)
        _private_dir(self.root / "notebooks")
        _private_dir(self.root)
        return self

    @property
    def digests(self) -> Path:
        return self.root / DIGESTS_NAME

    def subdir(self, name: str) -> Path:
        """A private folder inside the working area, for what a phase step builds before the ledger keeps it."""
        return _private_dir(self.root / name)

    def notebook(self, file_name: str) -> Path:
        """Where papermill writes the executing copy of the phase notebook ``file_name``."""
        return self.root / "notebooks" / file_name

    @contextlib.contextmanager
    def kernel_environment(self) -> Iterator[None]:
        """Environment the runner's kernels inherit: this checkout importable, and where to share digests."""
        package_parent = str(Path(__file__).resolve().parents[2])
        before = {name: os.environ.get(name) for name in ("PYTHONPATH", redact.DIGESTS_ENV)}
        parts = [p for p in (before["PYTHONPATH"] or "").split(os.pathsep) if p]
        if package_parent not in parts:
            os.environ["PYTHONPATH"] = os.pathsep.join([package_parent, *parts])
        os.environ[redact.DIGESTS_ENV] = str(self.digests)
        try:
            yield
        finally:
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def learn_secrets(self) -> int:
        """Teach this process's redactor the digests of every secret the run's kernels registered so far."""
        return redact.get_redactor().load_digests(self.digests)

    def capture(self, ledger: EvidenceLedger, phase: str, notebook: Path) -> str:
        """Put a redacted copy of an executed (or killed) notebook into the run folder; drop the working copy.

        The runner's redactor first learns the digests of every secret the run's kernels registered.

        Returns:
            The notebook's path relative to the run folder.
        """
        self.learn_secrets()
        relative = ledger.add_notebook(phase, notebook)
        notebook.unlink(missing_ok=True)
        return relative

    def rescue(self, ledger: EvidenceLedger, phases: dict[str, str]) -> list[str]:
        """Capture notebooks a killed run left here, so the resumed phase keeps them as an attempt.

        Args:
            phases: phase name -> notebook file name, for the phases about to run again.

        Returns:
            The phases whose notebook was rescued.
        """
        rescued = []
        for phase, file_name in phases.items():
            left = self.notebook(file_name)
            if left.is_file():
                log.info("phase %s: keeping the notebook of its interrupted attempt", phase)
                self.capture(ledger, phase, left)
                rescued.append(phase)
        return rescued

    def remove(self) -> None:
        """Delete the working area (the run is complete: nothing left to resume)."""
        shutil.rmtree(self.root, ignore_errors=True)


__all__ = ["DIGESTS_NAME", "WORK_DIR_NAME", "RunWorkspace"]
