"""Checkpoints belong to one run; PostgreSQL dumps are staged outside outputs/ and deleted once verified."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from fakes import REPO

from runbook_lib.errors import MigrationError, ParamsError
from runbook_lib.migrate import registry
from runbook_lib.migrate.base import CheckReport, CopyReport, Migrator, VerifyReport, VerifyRow
from runbook_lib.migrate.ownership import OWNER_FILE, claim_checkpoints, default_dump_dir, read_owner
from runbook_lib.migrate.postgres import dump
from runbook_lib.migrate.postgres.checkpoint import PgCheckpoint
from runbook_lib.migrate.postgres.migrator import PostgresMigrator
from runbook_lib.phases.migration import MigrationStep
from tests.unit.test_cli_migrate import fake  # noqa: F401 - the fixture
from tests.unit.test_migration_phase import _params


class _NoBar:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


class CheckpointedFake(Migrator):
    """Skips the copy when its checkpoint says it is done (what the real migrators do on resume)."""

    kind = "ckfake"
    target = "db.example.internal:5432/platform"

    def __init__(self, checkpoint_dir: Path) -> None:
        super().__init__(checkpoint_dir=checkpoint_dir, progress=_NoBar)

    @classmethod
    def from_params(
        cls, params: Any, sandbox_state: Any, *, checkpoint_dir: Path | None = None, progress: Any = None
    ) -> Migrator:
        assert checkpoint_dir is not None
        return cls(checkpoint_dir)

    def target_identity(self) -> str:
        return type(self).target

    def source_size_bytes(self) -> int:
        return 10  # below any threshold: the direct path

    def check(self) -> CheckReport:
        return CheckReport(self.kind)

    def copy(self, *, resume: bool = True) -> CopyReport:
        done = self.checkpoint_dir / "done.json"
        if resume and done.exists():
            return CopyReport(self.kind, items_skipped=3)
        done.write_text("{}")
        return CopyReport(self.kind, items_copied=3)

    def verify(self) -> VerifyReport:
        return VerifyReport(self.kind)


@pytest.fixture()
def fake_kind(monkeypatch: pytest.MonkeyPatch) -> type[CheckpointedFake]:
    monkeypatch.setitem(registry._KINDS, "ckfake", CheckpointedFake)
    monkeypatch.delenv("RUNBOOK_CHECKPOINT_DIR", raising=False)
    CheckpointedFake.target = "db.example.internal:5432/platform"
    return CheckpointedFake


def _session(outputs: Path, run_id: str) -> Any:
    from runbook_lib.evidence.ledger import EvidenceLedger
    from runbook_lib.phases.session import PhaseSession

    params = _params(sandbox=False)
    ledger = EvidenceLedger(run_id, outputs, params=params, phases=["02_data"])
    return PhaseSession(phase="02_data", params=params, ledger=ledger, owns_phase=True)


def _copy_in_run(outputs: Path, run_id: str) -> tuple[MigrationStep, CopyReport]:
    step = MigrationStep.open(_session(outputs, run_id), "ckfake")
    step.copy(resume=True)
    assert step.copy_report is not None
    return step, step.copy_report


# ----------------------------------------------------------------------------- through the notebook step


def test_a_rehearsal_checkpoint_does_not_make_a_new_run_skip_the_copy(fake_kind: Any, tmp_path: Path) -> None:
    outs = tmp_path / "outs"
    _, rehearsal = _copy_in_run(outs, "dev-rehearsal-1")
    assert rehearsal.items_copied == 3
    step, cutover = _copy_in_run(outs, "dev-cutover-2")
    assert cutover.items_copied == 3 and cutover.items_skipped == 0  # a full copy, not skipped
    folder = outs / ".checkpoints" / "dev" / "ckfake"
    aside = folder.with_name("ckfake.run-dev-rehearsal-1")
    assert (aside / "done.json").exists()  # moved aside with its run id, not deleted
    assert json.loads((folder / OWNER_FILE).read_text())["run_id"] == "dev-cutover-2"
    table = (step.session.ledger.run_dir / "tables" / "02_data" / "ckfake_checkpoint.csv").read_text()
    assert "moved_aside" in table and "dev-rehearsal-1" in table  # the evidence says what was moved aside


def test_resuming_the_same_run_skips_what_its_checkpoint_says_is_done(fake_kind: Any, tmp_path: Path) -> None:
    outs = tmp_path / "outs"
    _copy_in_run(outs, "dev-run-1")
    _, again = _copy_in_run(outs, "dev-run-1")
    assert again.items_skipped == 3 and again.items_copied == 0


def test_resuming_a_checkpoint_made_against_another_target_is_refused(fake_kind: Any, tmp_path: Path) -> None:
    outs = tmp_path / "outs"
    _copy_in_run(outs, "dev-run-1")
    fake_kind.target = "other.example.internal:5432/platform"
    with pytest.raises(MigrationError, match="stale checkpoint"):
        MigrationStep.open(_session(outs, "dev-run-1"), "ckfake")


# ----------------------------------------------------------------------------- claim_checkpoints


def _with_checkpoint(folder: Path, run_id: str, target: str) -> None:
    claim_checkpoints(folder, run_id=run_id, target=target, resume="own-run")
    (folder / "state.json").write_text("{}")


def test_cli_resume_takes_a_matching_checkpoint_of_another_run_and_says_whose(tmp_path: Path) -> None:
    folder = tmp_path / "postgres"
    _with_checkpoint(folder, "dev-a", "h:5432/db")
    claim = claim_checkpoints(folder, run_id="migrate-b", target="h:5432/db", resume="matching")
    assert claim.action == "resumed" and (folder / "state.json").exists()
    assert "dev-a" in claim.message() and read_owner(folder).run_id == "dev-a"  # type: ignore[union-attr]
    with pytest.raises(MigrationError, match="stale checkpoint.*dev-a"):
        claim_checkpoints(folder, run_id="migrate-c", target="other:5432/db", resume="matching")


def test_no_resume_moves_even_a_matching_checkpoint_aside(tmp_path: Path) -> None:
    folder = tmp_path / "postgres"
    _with_checkpoint(folder, "dev-a", "h:5432/db")
    (tmp_path / "postgres.run-dev-a").mkdir()  # an earlier move aside of the same run is kept too
    claim = claim_checkpoints(folder, run_id="migrate-b", target="h:5432/db", resume="never")
    assert claim.action == "moved_aside" and claim.moved_to == tmp_path / "postgres.run-dev-a-2"
    assert (claim.moved_to / "state.json").exists() and not (folder / "state.json").exists()


def test_a_checkpoint_without_an_owner_stamp_is_not_resumed_by_a_run(tmp_path: Path) -> None:
    folder = tmp_path / "mongo"
    folder.mkdir()
    (folder / "mongo-x.json").write_text("{}")  # written before owner stamps existed
    claim = claim_checkpoints(folder, run_id="dev-b", target="h/db", resume="own-run")
    assert claim.action == "moved_aside" and claim.moved_to == tmp_path / "mongo.run-unrecorded"


def test_an_unknown_resume_mode_names_the_allowed_ones(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="own-run"):
        claim_checkpoints(tmp_path, run_id="r", target="t", resume="always")


# ----------------------------------------------------------------------------- PostgreSQL: identity, dumps


def _pg(tmp_path: Path, **kwargs: Any) -> PostgresMigrator:
    return PostgresMigrator(
        "postgresql://mig:src-pass-123@10.0.0.5:5432/platform",
        "postgresql://admin:tgt-pass-456@db.example.internal:5432/postgres",
        "platform",
        checkpoint_dir=tmp_path / "ck",
        progress=_NoBar,
        **kwargs,
    )


def test_postgres_target_identity_has_no_password_and_a_new_run_keeps_only_target_ownership(tmp_path: Path) -> None:
    pg = _pg(tmp_path)
    assert pg.target_identity() == "db.example.internal:5432/platform" and "tgt-pass" not in pg.target_identity()
    done = PgCheckpoint(
        source=pg.source.describe("platform"),
        target=pg.target_identity(),
        target_prepared=True,
        dump_done=True,
        complete=True,
        tables_done=[1, 2],
    )
    pg.save_checkpoint(done)
    claim = pg.claim_checkpoints("dev-cutover", resume="own-run")  # a checkpoint left before owner stamps
    assert claim.action == "moved_aside" and PgCheckpoint.load(claim.moved_to / pg.checkpoint_path.name).complete
    fresh = PgCheckpoint.load(pg.checkpoint_path)
    assert fresh is not None and fresh.target_prepared  # the target database stays known as ours...
    assert not fresh.complete and not fresh.dump_done and not fresh.tables_done  # ...but nothing counts as copied


def test_dumps_go_to_a_private_work_dir_outside_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOK_WORK_DIR", str(tmp_path / "work"))
    folder = default_dump_dir("dev", "postgres")
    assert folder == tmp_path / "work" / "dumps" / "dev" / "postgres" and folder.is_dir()
    for level in (tmp_path / "work", tmp_path / "work" / "dumps", folder):
        assert stat.S_IMODE(os.stat(level).st_mode) == 0o700, level
    monkeypatch.delenv("RUNBOOK_WORK_DIR")
    from runbook_lib.migrate.ownership import work_root
    from runbook_lib.paths import outputs_dir

    assert outputs_dir() not in work_root().parents and work_root() != outputs_dir()
    ignored = (REPO / ".gitignore").read_text().split()
    assert ".work/" in ignored


def _dumped(tmp_path: Path) -> tuple[PostgresMigrator, Path]:
    pg = _pg(tmp_path, dump_dir=tmp_path / "work")
    folder = tmp_path / "work" / "dump-platform-to-platform-abcd1234"
    folder.mkdir(parents=True)
    (folder / "toc.dat").write_bytes(b"rows")
    pg.save_checkpoint(PgCheckpoint(source="s", target="t", dump_dir=str(folder), dump_done=True, complete=True))
    return pg, folder


def _report(ok: bool) -> VerifyReport:
    row = VerifyRow("public.t", 2, 2 if ok else 1, 2 if ok else 1, 0 if ok else 1, 0, 0)
    return VerifyReport("postgres", rows=[row])


def test_a_verified_dump_is_deleted_and_the_notes_say_so(tmp_path: Path) -> None:
    pg, folder = _dumped(tmp_path)
    report = _report(ok=True)
    dump.settle_dumps(pg, report)
    assert not folder.exists()
    assert any("deleted" in n and str(folder) in n for n in report.notes)
    assert PgCheckpoint.load(pg.checkpoint_path).dump_deleted_at  # type: ignore[union-attr]


def test_a_dump_whose_verify_failed_is_kept_for_the_retry(tmp_path: Path) -> None:
    pg, folder = _dumped(tmp_path)
    report = _report(ok=False)
    dump.settle_dumps(pg, report)
    assert (folder / "toc.dat").exists()
    assert any("kept for the retry" in n for n in report.notes)


# ----------------------------------------------------------------------------- runbook migrate --resume


def test_runbook_migrate_says_whose_checkpoint_it_resumes_and_no_resume_moves_it_aside(
    fake: Any,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from runbook_lib import cli

    folder = tmp_path / "ck"
    _with_checkpoint(folder, "dev-rehearsal", "")
    # Neither flag: refused, naming the run and both flags; nothing moved (a new copy never resumes unasked).
    assert cli.main(["migrate", "fake", "--env", "sandbox", "--checkpoint-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "holds a checkpoint of run dev-rehearsal" in err and "--resume" in err and "--no-resume" in err
    assert (folder / "state.json").exists() and not (tmp_path / "ck.run-dev-rehearsal").exists()
    assert cli.main(["migrate", "fake", "--env", "sandbox", "--resume", "--checkpoint-dir", str(folder)]) == 0
    assert "resuming the checkpoint of run dev-rehearsal" in capsys.readouterr().out
    assert cli.main(["migrate", "fake", "--env", "sandbox", "--no-resume", "--checkpoint-dir", str(folder)]) == 0
    assert "moved aside" in capsys.readouterr().out
    assert (tmp_path / "ck.run-dev-rehearsal" / "state.json").exists()


def test_mongo_and_object_target_identities_name_hosts_and_targets_without_credentials(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from runbook_lib.migrate.mongo.migrator import MongoMigrator
    from runbook_lib.migrate.objects.migrator import S3Migrator

    mongo = MongoMigrator(
        None,
        None,
        ["app"],
        checkpoint_dir=tmp_path / "m",
        progress=_NoBar,
        target_uri="mongodb://admin:tgt-pass-456@docdb.example.internal:27017/?tls=true",
    )
    assert mongo.target_identity() == "docdb.example.internal:27017/app"
    target = SimpleNamespace(meta=SimpleNamespace(endpoint_url="http://127.0.0.1:4566"))
    s3 = S3Migrator(None, target, [("raw", "platform-raw")], checkpoint_dir=tmp_path / "o", progress=_NoBar)
    assert s3.target_identity() == "http://127.0.0.1:4566 platform-raw"
