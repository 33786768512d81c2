"""``runbook migrate``: generic over kinds, prints every step, fails with fields when verification fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fakes import VALID_PARAMS

from runbook_lib import cli
from runbook_lib.errors import MigrationVerificationError
from runbook_lib.migrate import base, registry
from runbook_lib.migrate.base import CheckReport, CopyReport, Finding, Migrator, VerifyReport, VerifyRow

pytestmark = pytest.mark.unit


class FakeMigrator(Migrator):
    """Records how the CLI drove it; ``verify_ok`` decides the verdict."""

    kind: ClassVar[str] = "fake"
    calls: ClassVar[list[Any]] = []
    verify_ok: ClassVar[bool] = True
    blocker: ClassVar[bool] = False

    @classmethod
    def from_params(
        cls, params: Any, sandbox_state: Any, *, checkpoint_dir: Path | None = None, progress: Any = None
    ) -> Migrator:
        cls.calls.append(("from_params", params.env, sandbox_state, checkpoint_dir))
        return cls(checkpoint_dir=checkpoint_dir or Path("/nonexistent"), progress=progress or (lambda **kw: None))

    def check(self) -> CheckReport:
        self.calls.append("check")
        findings = [Finding("info", "b1", "3 objects")]
        if self.blocker:
            findings.append(Finding("blocker", "b2", "target bucket does not exist", "apply the stack"))
        return CheckReport("fake", findings)

    def copy(self, *, resume: bool = True) -> CopyReport:
        self.calls.append(("copy", resume))
        return CopyReport(
            "fake",
            items_copied=2,
            bytes_copied=20,
            items_skipped=1,
            seconds=0.5,
            details={"buckets": {"b1": {"copied": 2, "skipped": 1}}},
        )

    def verify(self) -> VerifyReport:
        self.calls.append("verify")
        mismatched = 0 if self.verify_ok else 1
        row = VerifyRow("b1", 3, 3, 3 - mismatched, 0, mismatched, 0, "aaa", "aaa" if self.verify_ok else "bbb", 30)
        return VerifyReport("fake", [row], [] if self.verify_ok else ["b1/k: mismatched (checksum)"])


@pytest.fixture()
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> type[FakeMigrator]:
    params_dir = tmp_path / "params"
    params_dir.mkdir()
    shutil.copy(VALID_PARAMS, params_dir / "sandbox.yaml")
    monkeypatch.setenv("RUNBOOK_PARAMS_DIR", str(params_dir))
    monkeypatch.setattr("runbook_lib.sandbox.require_running", lambda what="": "STATE")
    monkeypatch.setitem(registry._KINDS, "fake", FakeMigrator)
    FakeMigrator.calls = []
    FakeMigrator.verify_ok = True
    FakeMigrator.blocker = False
    return FakeMigrator


def test_check_copy_verify_in_order_with_tables(
    fake: type[FakeMigrator], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["migrate", "fake", "--env", "sandbox", "--checkpoint-dir", str(tmp_path / "ck")])
    out = capsys.readouterr().out
    assert code == 0
    assert fake.calls == [
        ("from_params", "sandbox", "STATE", tmp_path / "ck"),
        "check",
        ("copy", True),
        "verify",
    ]
    assert out.index("== check (ok)") < out.index("== copy: 2 copied") < out.index("== verify (ok)")
    assert "3 objects" in out and "1 skipped (already verified)" in out


def test_verify_only_and_no_resume(fake: type[FakeMigrator]) -> None:
    assert cli.main(["migrate", "fake", "--env", "sandbox", "--verify-only"]) == 0
    assert fake.calls[1:] == ["check", "verify"]
    fake.calls.clear()
    assert cli.main(["migrate", "fake", "--env", "sandbox", "--no-resume"]) == 0
    assert ("copy", False) in fake.calls


def test_failed_verification_prints_the_table_then_exits_nonzero(
    fake: type[FakeMigrator], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.verify_ok = False
    code = cli.main(["migrate", "fake", "--env", "sandbox"])
    captured = capsys.readouterr()
    assert code == MigrationVerificationError("k", "o", 1, 2).exit_code == 1
    assert "== verify (FAILED)" in captured.out and "! b1/k: mismatched (checksum)" in captured.out
    assert "fake b1: expected" in captured.err


def test_the_error_carries_fields(fake: type[FakeMigrator]) -> None:
    from runbook_lib.cli.migrate import _verification_error

    fake.verify_ok = False
    error = _verification_error("fake", FakeMigrator(checkpoint_dir=Path("/tmp"), progress=lambda **kw: None).verify())
    assert (error.kind, error.object) == ("fake", "b1")
    assert error.expected == {"count": 3, "checksum": "aaa"}
    assert error.actual == {"count": 3, "missing": 0, "mismatched": 1, "extra": 0, "checksum": "bbb"}


def test_json_is_one_document_even_when_verification_fails(
    fake: type[FakeMigrator], capsys: pytest.CaptureFixture[str]
) -> None:
    fake.verify_ok = False
    code = cli.main(["migrate", "fake", "--env", "sandbox", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1 and document["ok"] is False
    assert document["copy"]["items_copied"] == 2 and document["verify"]["rows"][0]["mismatched"] == 1
    assert document["verify"]["rows"][0]["ok"] is False and document["check"]["ok"] is True


def test_blockers_stop_before_any_copy(fake: type[FakeMigrator], capsys: pytest.CaptureFixture[str]) -> None:
    fake.blocker = True
    code = cli.main(["migrate", "fake", "--env", "sandbox"])
    assert code == 1 and "copy" not in [c[0] if isinstance(c, tuple) else c for c in fake.calls]
    assert "== check (BLOCKED)" in capsys.readouterr().out


def test_an_unknown_kind_lists_the_known_ones(fake: type[FakeMigrator], capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["migrate", "tape", "--env", "sandbox"])
    err = capsys.readouterr().err
    assert code == 2 and "s3" in err and "fake" in err


def test_checkpoints_default_to_the_params_outputs_dir(
    fake: type[FakeMigrator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # RUNBOOK_PARAMS_DIR is tmp_path/params and the fixture's evidence.outputs_dir is "outputs": resolved as
    # `runbook run` resolves it (against the params folder's parent), not against this checkout.
    monkeypatch.delenv(base.CHECKPOINT_DIR_ENV, raising=False)
    assert cli.main(["migrate", "fake", "--env", "sandbox"]) == 0
    assert fake.calls[0] == (
        "from_params",
        "sandbox",
        "STATE",
        tmp_path / "outputs" / ".checkpoints" / "sandbox" / "fake",
    )


def test_an_operator_set_checkpoint_dir_env_wins_over_the_outputs_dir(
    fake: type[FakeMigrator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(base.CHECKPOINT_DIR_ENV, str(tmp_path / "volume"))
    assert cli.main(["migrate", "fake", "--env", "sandbox"]) == 0
    assert fake.calls[0] == ("from_params", "sandbox", "STATE", tmp_path / "volume" / "sandbox" / "fake")
    fake.calls.clear()
    assert cli.main(["migrate", "fake", "--env", "sandbox", "--checkpoint-dir", str(tmp_path / "ck")]) == 0
    assert fake.calls[0][3] == tmp_path / "ck"  # an explicit --checkpoint-dir wins over both
