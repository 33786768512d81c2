"""Which run a folder of checkpoints belongs to, and the work folder dumps are staged in.

Why: a checkpoint says "this much is already copied and verified" — true only of the target it was
made against, in the run that made it. A finished rehearsal's checkpoint must not make the real
cut-over a week later skip the copy. So every checkpoint folder carries an owner stamp
(``owner.json``: the run id and the target identity), and :func:`claim_checkpoints` decides, for the
run about to copy, whether to resume what is there or to move it aside (renamed with the old run id,
never deleted) and start fresh:

* ``own-run`` (the notebooks): resume only a checkpoint of this very run id (``runbook run --resume``
  of the same run, or a notebook re-run by hand within its interactive run); anything else is moved aside;
* ``matching`` (``runbook migrate --resume``): resume a checkpoint of any run whose target matches;
* ``never`` (``runbook migrate --no-resume``): always move aside and start fresh;
* ``ask`` (``runbook migrate`` with neither flag): a folder holding a checkpoint is refused with a message
  that names its run and both flags, and nothing is moved: a new run never silently continues an old copy.

Resuming a checkpoint made against another target is refused (:class:`MigrationError`).

Dumps (a full copy of source data) are staged outside the evidence/outputs folder, which operators
back up and share: in :func:`work_root` (``$RUNBOOK_WORK_DIR`` or ``<project>/.work``, mode 0700).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from runbook_lib.errors import MigrationError, ParamsError
from runbook_lib.paths import project_root
from runbook_lib.util import atomic_write_text, utc_now

log = logging.getLogger("runbook_lib.migrate")

#: The owner stamp inside a checkpoint folder.
OWNER_FILE = "owner.json"
#: How :func:`claim_checkpoints` treats a checkpoint another run left.
RESUME_MODES = ("own-run", "matching", "never", "ask")
#: The run id recorded for a checkpoint folder written before owner stamps existed.
UNRECORDED_RUN = "unrecorded"
#: Overrides where dumps are staged (a volume with room for a full dump). Set by the operator only.
WORK_DIR_ENV = "RUNBOOK_WORK_DIR"


@dataclass(frozen=True)
class CheckpointOwner:
    """The run that made a checkpoint folder, and the target it copied into (no secrets: host/db/bucket names)."""

    run_id: str
    target: str
    made_at: str = ""


@dataclass(frozen=True)
class Claim:
    """What :func:`claim_checkpoints` did: ``fresh``, ``resumed`` or ``moved_aside`` (then ``moved_to``)."""

    action: str
    owner: CheckpointOwner
    previous: CheckpointOwner | None = None
    moved_to: Path | None = None

    def message(self) -> str:
        if self.action == "resumed":
            return f"resuming the checkpoint of run {self.owner.run_id} (target {self.owner.target or '?'})"
        if self.action == "moved_aside" and self.previous is not None:
            return (
                f"checkpoint of run {self.previous.run_id} (target {self.previous.target or '?'}) moved aside "
                f"to {self.moved_to}; run {self.owner.run_id} copies from the start"
            )
        return f"no checkpoint to resume; run {self.owner.run_id} copies from the start"

    def to_row(self) -> dict[str, str]:
        return {
            "action": self.action,
            "run_id": self.owner.run_id,
            "target": self.owner.target,
            "previous_run_id": self.previous.run_id if self.previous else "",
            "previous_target": self.previous.target if self.previous else "",
            "moved_to": str(self.moved_to or ""),
        }


def read_owner(checkpoint_dir: Path) -> CheckpointOwner | None:
    """The owner stamp of ``checkpoint_dir``; ``unrecorded`` for a folder with checkpoints but no stamp."""
    stamp = Path(checkpoint_dir) / OWNER_FILE
    if stamp.exists():
        raw = json.loads(stamp.read_text())
        return CheckpointOwner(
            str(raw.get("run_id", UNRECORDED_RUN)), str(raw.get("target", "")), str(raw.get("made_at", ""))
        )
    if _has_checkpoints(Path(checkpoint_dir)):
        return CheckpointOwner(UNRECORDED_RUN, "")
    return None


def claim_checkpoints(checkpoint_dir: Path, *, run_id: str, target: str, resume: str) -> Claim:
    """Make ``checkpoint_dir`` this run's: resume what is there or move it aside (see the module docstring).

    Raises:
        ParamsError: ``resume`` is not one of :data:`RESUME_MODES`.
        MigrationError: resuming a checkpoint made against another target.
    """
    if resume not in RESUME_MODES:
        raise ParamsError("resume", resume, " | ".join(RESUME_MODES))
    folder = Path(checkpoint_dir)
    previous = read_owner(folder)
    owner = CheckpointOwner(run_id, target, utc_now())
    if previous is None or not _has_checkpoints(folder):
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder, owner)
        return Claim("fresh", owner, previous)
    if resume == "ask":
        raise MigrationError(
            f"{folder} holds a checkpoint of run {previous.run_id} (target {previous.target or '?'}, "
            f"made {previous.made_at or '?'})",
            hint="pass --resume to continue that copy, or --no-resume to move it aside and copy from the start",
        )
    wants_resume = resume == "matching" or (resume == "own-run" and previous.run_id == run_id)
    if wants_resume:
        if previous.target and target and previous.target != target:
            raise MigrationError(
                f"stale checkpoint: {folder} was made by run {previous.run_id} against {previous.target}, not {target}",
                hint="start a new run (the old checkpoint is then moved aside), or copy without --resume",
            )
        kept = CheckpointOwner(previous.run_id, previous.target or target, previous.made_at or owner.made_at)
        _write(folder, kept)
        claim = Claim("resumed", kept, previous)
    else:
        moved_to = _aside_name(folder, previous.run_id)
        os.replace(folder, moved_to)
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder, owner)
        claim = Claim("moved_aside", owner, previous, moved_to)
    log.info("%s: %s", folder, claim.message())
    return claim


def work_root() -> Path:
    """``$RUNBOOK_WORK_DIR`` if set, else ``<project>/.work`` (git-ignored): staging outside ``outputs/``."""
    root = os.environ.get(WORK_DIR_ENV)
    return Path(root) if root else project_root() / ".work"


def default_dump_dir(env: str, kind: str) -> Path:
    """``<work_root()>/dumps/<env>/<kind>``, every level this creates mode 0700 (a dump is the source's data)."""
    root = work_root()
    folder = root / "dumps" / env / kind
    for level in (root, root / "dumps", root / "dumps" / env, folder):
        if not level.exists():
            level.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(level, 0o700)
    return folder


def _has_checkpoints(folder: Path) -> bool:
    return folder.is_dir() and any(p.name != OWNER_FILE for p in folder.iterdir())


def _write(folder: Path, owner: CheckpointOwner) -> None:
    atomic_write_text(folder / OWNER_FILE, json.dumps(asdict(owner), indent=1))


def _aside_name(folder: Path, run_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id) or UNRECORDED_RUN
    candidate = folder.with_name(f"{folder.name}.run-{safe}")
    n = 2
    while candidate.exists():
        candidate = folder.with_name(f"{folder.name}.run-{safe}-{n}")
        n += 1
    return candidate
