"""What the phase modules need from the migrator: both ends, the names, the options, and the plumbing.

Why a Protocol and not the class: ``dump``, ``restore``, ``schema`` and ``verify`` are steps of one
database's move, and :class:`~runbook_lib.migrate.postgres.migrator.PostgresMigrator` is that move; typing
them against this small surface keeps them free of an import cycle and callable with a stand-in in tests.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

from runbook_lib.migrate.base import ProgressFactory
from runbook_lib.migrate.postgres.checkpoint import PgCheckpoint
from runbook_lib.migrate.postgres.libpq import PgEndpoint, PgTools


class PgMove(Protocol):
    """One source database and its target database, with the options of the move (see the migrator's Args)."""

    kind: ClassVar[str]
    source: PgEndpoint
    target: PgEndpoint
    database: str
    target_database: str
    jobs: int
    workers: int
    compress: int
    replace_target: bool
    no_tablespaces: bool
    role_map: dict[str, str]
    maintenance_db: str
    drill_down_limit: int
    analyze: bool
    app_name: str
    dump_root: Path
    checkpoint_path: Path
    schema_checkpoint_path: Path
    progress: ProgressFactory
    #: Guards checkpoint writes and lists shared by the parallel restore threads.
    lock: threading.Lock

    @property
    def tools(self) -> PgTools:
        """``pg_dump``/``pg_restore``, found on first use."""
        ...

    def source_conn(self, *, application_name: str | None = None) -> Any:
        """A read-only connection to the source database."""
        ...

    def target_conn(self, dbname: str | None = None) -> Any:
        """A connection to the target database (or ``dbname`` on the target server)."""
        ...

    def run_tool(self, command: list[str], env: Mapping[str, str]) -> Any:
        """Run ``pg_dump``/``pg_restore`` with the passfile environment and the command timeout."""
        ...

    def save_checkpoint(self, checkpoint: PgCheckpoint) -> None:
        """Write ``checkpoint`` atomically to its file (the schema steps' file for a schema checkpoint)."""
        ...
