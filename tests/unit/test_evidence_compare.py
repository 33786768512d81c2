"""`runbook evidence compare`: two runs of the same input must reach the same results; any result that differs
(a count, a checksum, a phase status, a gate, the go/no-go, a DR target) is named, while run ids, clocks and
measured seconds never count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbook_lib.cli import main
from runbook_lib.errors import EvidenceError
from runbook_lib.evidence.compare import compare_runs, outcome_of
from runbook_lib.evidence.manifest import MANIFEST_NAME, Manifest, PhaseRecord, TableRecord

pytestmark = pytest.mark.unit


def _table(name: str, records: list[dict[str, object]]) -> TableRecord:
    return TableRecord(name=name, file=f"tables/{name}.csv", rows=len(records),
                       columns=list(records[0]) if records else [], records=records)


def _manifest(run_id: str, *, started: str = "2026-12-04T10:00:00Z", rows: int = 7843, checksum: str = "ab12",
              status: str = "succeeded", go: str = "green", rto_met: bool = True,
              rto_seconds: float = 41.0) -> Manifest:
    migrate = PhaseRecord(name="02_data_lake_databases", status=status, started_at=started,
                          ended_at="2026-12-04T10:05:00Z",
                          gates=[{"gate": "02_data_stores-apply", "approved": True, "decided_by": "policy:sandbox",
                                  "decided_at": started}],
                          tables=[_table("postgres_verification", [
                              {"unit": "sales.customers", "source_count": rows, "target_count": rows,
                               "target_checksum": checksum, "ok": True},
                              {"unit": "sales.orders", "source_count": 10, "target_count": 10,
                               "target_checksum": "cd34", "ok": True}])])
    cutover = PhaseRecord(name="08_cutover", status="succeeded", started_at=started,
                          tables=[_table("go_no_go", [{"check": "postgres parity", "status": go, "detail": "x"}])])
    drill = PhaseRecord(name="09_dr", status="succeeded", tables=[_table("dr_rpo_rto", [
        {"measure": "RTO", "seconds": rto_seconds, "target_s": 600, "met": rto_met}])])
    return Manifest(run_id=run_id, env="sandbox", created_at=started,
                    phases={p.name: p for p in (migrate, cutover, drill)})


def _write(folder: Path, manifest: Manifest) -> Path:
    folder.mkdir(parents=True)
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest.to_dict()))
    return folder


def test_two_runs_with_the_same_results_are_the_same_despite_ids_clocks_and_seconds(tmp_path: Path) -> None:
    first = _write(tmp_path / "a", _manifest("run-a"))
    second = _write(tmp_path / "b", _manifest("run-b", started="2026-12-05T08:00:00Z", rto_seconds=57.5))
    comparison = compare_runs(first, second)
    assert comparison.same, comparison.differing
    aspects = {row.aspect for row in comparison.rows}
    assert {"postgres: source rows", "postgres: target checksums", "go/no-go checks", "DR targets met"} <= aspects
    assert outcome_of(_manifest("x")).moved["postgres"].source_count == 7843 + 10


@pytest.mark.parametrize(("change", "aspect"), [
    ({"rows": 7842}, "postgres: target rows"),
    ({"checksum": "ffff"}, "postgres: target checksums"),
    ({"status": "failed"}, "phase 02_data_lake_databases"),
    ({"go": "red"}, "go/no-go checks"),
    ({"rto_met": False}, "DR targets met"),
])
def test_one_changed_result_is_named(tmp_path: Path, change: dict[str, object], aspect: str) -> None:
    first = _write(tmp_path / "a", _manifest("run-a"))
    second = _write(tmp_path / "b", _manifest("run-b", **change))  # type: ignore[arg-type]
    comparison = compare_runs(first, second)
    assert not comparison.same
    assert aspect in {row.aspect for row in comparison.differing}


def test_the_cli_exits_1_on_a_difference_and_0_when_the_same(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    first = _write(tmp_path / "a", _manifest("run-a"))
    same = _write(tmp_path / "b", _manifest("run-b"))
    other = _write(tmp_path / "c", _manifest("run-c", checksum="ffff"))
    assert main(["evidence", "compare", str(first), str(same)]) == 0
    assert "SAME RESULTS" in capsys.readouterr().out
    assert main(["evidence", "compare", str(first), str(other)]) == 1
    out = capsys.readouterr().out
    assert "postgres: target checksums" in out and "DIFFERENT RESULTS" in out


def test_the_same_run_twice_or_a_folder_without_a_manifest_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path / "a", _manifest("run-a"))
    copy = _write(tmp_path / "copy", _manifest("run-a"))
    with pytest.raises(EvidenceError, match="same run"):
        compare_runs(first, copy)
    with pytest.raises(EvidenceError, match="has no manifest.json"):
        compare_runs(first, tmp_path / "nothing")
