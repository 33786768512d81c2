"""The sandbox PostgreSQL superuser password reaches ``initdb`` through a private file, never a readable one."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from runbook_lib.sandbox import services

pytestmark = pytest.mark.unit


class _Stop(Exception):
    pass


def test_initdb_reads_the_password_from_a_0600_file_in_a_private_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(command: list[str], **_kwargs: Any) -> None:
        pwfile = Path(next(arg.split("=", 1)[1] for arg in command if arg.startswith("--pwfile=")))
        seen.update(
            path=pwfile,
            mode=stat.S_IMODE(os.stat(pwfile).st_mode),
            dir_mode=stat.S_IMODE(os.stat(pwfile.parent).st_mode),
            text=pwfile.read_text(),
        )
        raise _Stop  # initdb itself is not needed

    monkeypatch.setattr(services, "postgres_bindir", lambda: tmp_path / "bin")
    monkeypatch.setattr(services, "_pg_os_user", lambda: None)
    monkeypatch.setattr(services, "pg_data_root", lambda state_dir: tmp_path / "pgroot")
    monkeypatch.setattr(services, "run_command", fake_run)
    spec = services.ServiceSpec(
        "postgres-source", "source", "postgres", "PostgreSQL", port=5432, extra={"password": "s3cret-pw"}
    )
    old = os.umask(0o022)  # the usual umask: a plain write_text would give 0644
    try:
        with pytest.raises(_Stop):
            services.start_postgres(spec, tmp_path / "state")
    finally:
        os.umask(old)
    assert seen["mode"] == 0o600 and seen["dir_mode"] == 0o700
    assert seen["text"] == "s3cret-pw\n"
    assert seen["path"].parent != tmp_path / "pgroot"  # not the predictable folder beside the data
    assert not seen["path"].exists() and not seen["path"].parent.exists()  # removed once initdb ran
