"""One interface for every kind of data move: check -> copy -> verify -> report.

Why one interface: the notebook, the CLI (``runbook migrate KIND``) and the
evidence ledger treat objects, PostgreSQL, MongoDB and Kafka alike — run the
compatibility check before anything moves, copy (resumably), verify the target
against the source, and record a report table. Migrators register by name (as
papermill registers engines); an unknown name lists the known ones.

Rules every migrator keeps:
- the source is never written to (read-only connections/credentials where the
  system allows it);
- progress is checkpointed in ``checkpoint_dir`` so a killed run resumes
  without recopying what is already verified, and without duplicates; the
  folder belongs to one run (:meth:`Migrator.claim_checkpoints`): a new run
  moves an older run's checkpoints aside instead of resuming them;
- verification compares content (checksums), not only counts.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from runbook_lib.errors import CompatibilityError, MigrationError, MigrationVerificationError
from runbook_lib.paths import outputs_dir as default_outputs_dir

log = logging.getLogger("runbook_lib.migrate")


@dataclass
class Finding:
    """One compatibility finding: ``blocker`` stops the move, ``warning`` is shown and recorded."""

    severity: str  # "blocker" | "warning" | "info"
    object: str
    message: str
    fix: str = ""


@dataclass
class CheckReport:
    kind: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def blockers(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "blocker"]

    @property
    def ok(self) -> bool:
        return not self.blockers


@dataclass
class CopyReport:
    """What a copy did; ``skipped`` counts items already present and verified (resume)."""

    kind: str
    items_copied: int = 0
    bytes_copied: int = 0
    items_skipped: int = 0
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class VerifyRow:
    """One verified unit (a bucket, a table, a collection, a topic)."""

    unit: str
    source_count: int
    target_count: int
    matched: int
    missing: int
    mismatched: int
    extra: int
    source_checksum: str = ""
    target_checksum: str = ""
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.mismatched == 0 and self.source_count == self.target_count


@dataclass
class VerifyReport:
    kind: str
    rows: list[VerifyRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # e.g. the first N mismatched keys
    #: What was deliberately not compared, and why (nothing is excluded silently); does not affect ``ok``.
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows) and not self.problems

    def to_frame(self):  # -> pandas.DataFrame
        import pandas as pd

        frame = pd.DataFrame([{**r.__dict__, "ok": r.ok} for r in self.rows])
        return frame


@dataclass
class MigrationResult:
    kind: str
    check: CheckReport
    copy: CopyReport | None
    verify: VerifyReport

    @property
    def ok(self) -> bool:
        return self.check.ok and self.verify.ok


ProgressFactory = Callable[..., Any]  # tqdm-like: progress(total=..., desc=..., unit=...) -> bar with update()


class Migrator(abc.ABC):
    """Base class of all migrators. Subclasses set ``kind`` and implement the three steps."""

    kind: ClassVar[str]

    def __init__(self, *, checkpoint_dir: Path, workers: int = 4, progress: ProgressFactory | None = None) -> None:
        self.checkpoint_dir = Path(checkpoint_dir)
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        if progress is None:
            from tqdm.auto import tqdm

            progress = tqdm
        self.progress = progress

    @classmethod
    def from_params(
        cls,
        params: Any,
        sandbox_state: Any | None,
        *,
        checkpoint_dir: Path | None = None,
        progress: ProgressFactory | None = None,
    ) -> Migrator:
        """Build this migrator from validated run parameters (what ``runbook migrate KIND`` calls).

        Args:
            params: the ``runbook_lib.params.RunbookParams`` of the environment.
            sandbox_state: the running ``SandboxState`` when ``params.is_sandbox``, else None; sandbox
                secret references and endpoints resolve through it.
            checkpoint_dir: where checkpoints go; :func:`default_checkpoint_dir` when None.
            progress: tqdm-like factory; tqdm.auto when None.
        """
        raise MigrationError(f"the {cls.kind} migrator cannot be built from params yet",
                             hint=f"construct {cls.__name__} directly")

    @abc.abstractmethod
    def check(self) -> CheckReport:
        """Compatibility of the source with the target service, before anything moves."""

    @abc.abstractmethod
    def copy(self, *, resume: bool = True) -> CopyReport:
        """Copy source to target; with ``resume`` continue from the checkpoint."""

    @abc.abstractmethod
    def verify(self) -> VerifyReport:
        """Compare target with source by content."""

    def target_identity(self) -> str:
        """What this migrator copies into (endpoint, database, buckets; never a secret), for checkpoint owner stamps."""
        return ""

    def claim_checkpoints(self, run_id: str, *, resume: str) -> Any:
        """Make ``checkpoint_dir`` belong to ``run_id``: resume it or move it aside (``migrate.ownership``).

        Returns the :class:`~runbook_lib.migrate.ownership.Claim`; a folder moved aside is offered to
        :meth:`carry_forward` first.
        """
        from runbook_lib.migrate.ownership import claim_checkpoints

        claim = claim_checkpoints(self.checkpoint_dir, run_id=run_id, target=self.target_identity(), resume=resume)
        if claim.moved_to is not None:
            self.carry_forward(claim.moved_to)
        return claim

    def carry_forward(self, old_dir: Path) -> None:  # noqa: B027 - a hook; most migrators carry nothing forward
        """After an older run's checkpoints were moved to ``old_dir``: keep what a fresh copy still needs (nothing)."""

    def run(self, *, verify_only: bool = False, resume: bool = True, fail_on_blockers: bool = True) -> MigrationResult:
        """check -> copy -> verify. Blockers stop before any copy."""
        check = self.check()
        if fail_on_blockers and not check.ok:
            raise CompatibilityError(self.kind, [f"{f.object}: {f.message}" for f in check.blockers])
        copy = None if verify_only else self.copy(resume=resume)
        return MigrationResult(self.kind, check, copy, self.verify())


#: Overrides where checkpoints live (tests, or a volume that outlives the machine). Set by the operator only:
#: nothing in the runbook sets it, so when it is set it wins over every run's outputs folder.
CHECKPOINT_DIR_ENV = "RUNBOOK_CHECKPOINT_DIR"


def checkpoint_root(outputs_dir: Path | None = None) -> Path:
    """``$RUNBOOK_CHECKPOINT_DIR`` if set, else ``<outputs_dir>/.checkpoints``.

    Why beside the run folders: a checkpoint describes a copy into one particular target, so it belongs
    with the evidence of the run that made it. A run with its own ``--outputs-dir`` (a test, a rehearsal)
    then never finds a checkpoint left by another run against a target that has since been destroyed,
    while ``runbook run --resume`` of the same run (same outputs folder) finds its own again.

    Args:
        outputs_dir: the folder holding the run folders (the run's effective ``--outputs-dir`` /
            ``evidence.outputs_dir``); ``<project>/outputs`` when None, for callers without parameters.
    """
    import os

    root = os.environ.get(CHECKPOINT_DIR_ENV)
    if root:
        return Path(root)
    if outputs_dir is None:
        outputs_dir = default_outputs_dir()
    return Path(outputs_dir) / ".checkpoints"


def default_checkpoint_dir(env: str, kind: str, outputs_dir: Path | None = None) -> Path:
    """``<checkpoint_root(outputs_dir)>/<env>/<kind>``.

    Why under an outputs folder: it is git-ignored and already the place an operator backs up after
    a run; the leading dot keeps it out of ``outputs/*/`` listings of run folders.
    """
    return checkpoint_root(outputs_dir) / env / kind


def verification_error(kind: str, verify: VerifyReport) -> MigrationVerificationError:
    """The error for a failed verification, naming the first unit that differs (and keeping all problems)."""
    bad = next((r for r in verify.rows if not r.ok), verify.rows[0] if verify.rows else None)
    if bad is None:
        error = MigrationVerificationError(kind, "(nothing)", "at least one unit", verify.problems)
    else:
        expected = {"count": bad.source_count, "checksum": bad.source_checksum}
        actual = {"count": bad.target_count, "missing": bad.missing, "mismatched": bad.mismatched,
                  "extra": bad.extra, "checksum": bad.target_checksum}
        error = MigrationVerificationError(kind, bad.unit, expected, actual)
    error.problems = list(verify.problems)  # type: ignore[attr-defined]
    return error
