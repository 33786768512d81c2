"""The run's own evidence, read by name: what the go/no-go and the auditor's summary look up.

Why by name and not by importing the code that wrote it: a row of the go/no-go must say where its verdict
came from (a table's CSV in the run folder, a gate record), and must turn red - "missing" - when that
record is not there, whoever was supposed to write it. Reading the manifest the ledger keeps (which the
record log vouches for) gives both, and needs none of the writers' packages installed.
"""

from __future__ import annotations

import csv
import fnmatch
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.evidence import EvidenceLedger, Manifest, PhaseRecord
from runbook_lib.evidence.manifest import TableRecord


@dataclass(frozen=True)
class FoundTable:
    """One recorded table: the phase that recorded it, its name, its file (run-relative) and its rows."""

    phase: str
    name: str
    file: str
    rows: list[dict[str, Any]]

    @property
    def source(self) -> str:
        """Where an auditor finds it: the CSV in the run folder."""
        return self.file


class RunEvidence:
    """A read-only view of one run folder's manifest (re-read on :meth:`refresh`).

    Args:
        run_dir: the run folder (``outputs/<run-id>``).
        manifest: a manifest already loaded (tests); read from ``run_dir`` when None.
    """

    def __init__(self, run_dir: str | Path, manifest: Manifest | None = None) -> None:
        self.run_dir = Path(run_dir)
        self._manifest = manifest

    @classmethod
    def of_ledger(cls, ledger: EvidenceLedger) -> RunEvidence:
        return cls(ledger.run_dir, ledger.manifest)

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            self._manifest = EvidenceLedger.open(self.run_dir).manifest
        return self._manifest

    def refresh(self) -> RunEvidence:
        self._manifest = None
        return self

    @property
    def phases(self) -> dict[str, PhaseRecord]:
        return self.manifest.phases

    def tables(self, pattern: str, *, before: str | None = None) -> Iterator[FoundTable]:
        """Every table whose name matches ``pattern`` (fnmatch), phase by phase in run order.

        Args:
            pattern: e.g. ``*_verification`` or ``postgres_verification``.
            before: only phases whose name sorts before this one (the phase asking: 08 reads 00-07).
        """
        for phase, record in self.phases.items():
            if before is not None and phase >= before:
                continue
            for table in record.tables:
                if fnmatch.fnmatchcase(table.name, pattern):
                    yield FoundTable(phase, table.name, table.file, self._rows(table))

    def table(self, name: str, *, before: str | None = None) -> FoundTable | None:
        """The last recorded table called ``name`` (a later phase's wins), or None."""
        found = list(self.tables(name, before=before))
        return found[-1] if found else None

    def _rows(self, table: TableRecord) -> list[dict[str, Any]]:
        if not table.truncated:
            return list(table.records)
        path = self.run_dir / table.file  # the manifest keeps the first rows only; the CSV has them all
        with path.open(encoding="utf-8", newline="") as handle:
            return [dict(row) for row in csv.DictReader(io.StringIO(handle.read()))]


def truthy(value: Any) -> bool:
    """A table cell as a boolean: CSV re-reads give strings, the manifest gives JSON values."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "ok", "passed", "pass")
    return bool(value)


def number(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
