"""The Kafka benchmark turns a crashed, stopped or failing stage into a FAILED line, never into a lost run.

Why: the stage that moved 1,000,000 records used to die with SIGSEGV (librdkafka), and the ratios
must still print for the stages that finished. Only the harness's pure pieces are tested here; the
brokers and the timing are the benchmark's own business (no timing assertions).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from fakes import REPO

pytestmark = pytest.mark.unit


def _bench():
    spec = importlib.util.spec_from_file_location("bench_kafka", REPO / "benchmarks" / "bench_kafka.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_kafka"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


bench = _bench()


def test_a_finished_stage_is_read_from_the_last_stdout_line() -> None:
    measured = bench.Measurement("ours", 10.0, 1000, 1_030_000, True, "ok")
    stdout = "some chatter\n" + json.dumps(asdict(measured)) + "\n"
    got = bench.stage_outcome("ours", 0, stdout, "")
    assert got == measured
    assert got.records_per_s == 100.0 and not got.failed


@pytest.mark.parametrize(
    ("returncode", "stdout", "stderr", "expected"),
    [
        (-11, "", "%3|1796|FAIL|rdkafka#producer-1| broker down\n", "FAILED: crashed (SIGSEGV)"),
        (None, "", "", "FAILED: timed out"),
        (1, "", 'Traceback...\ncimpl.KafkaException: KafkaError{code=_TRANSPORT}\n%3|17|FAIL|noise\n',
         "FAILED: exit 1: cimpl.KafkaException: KafkaError{code=_TRANSPORT}"),
        (0, "not json\n", "", "FAILED: unreadable result"),
    ],
)
def test_a_stage_without_a_result_is_a_failure_naming_why(returncode, stdout, stderr, expected) -> None:
    got = bench.stage_outcome("plain", returncode, stdout, stderr)
    assert got.failed and not got.complete
    assert got.note.startswith(expected)
    assert "%3|" not in got.note  # librdkafka's log lines are not the reason
    assert got.records_per_s == 0.0 and got.mb_per_s == 0.0


def test_the_report_prints_both_ratios_and_na_for_a_failed_stage(tmp_path: Path) -> None:
    args = argparse.Namespace(records=1000, size=1024, partitions=6, rounds=1, out=tmp_path / "kafka.json")
    seed = bench.Measurement("seed", 1.0, 1000, 1_030_000, True)
    results = [
        bench.Measurement("direct", 10.0, 1000, 1_030_000, True),
        bench.Measurement("ours", 20.0, 1000, 1_030_000, True),
        bench.stage_outcome("plain", -11, "", ""),
    ]
    text = bench.report(args, seed, results)
    assert "ratio ours/direct: 0.50x" in text
    assert "ratio ours/plain: n/a" in text
    assert "FAILED: crashed (SIGSEGV)" in text
    bench.write_json(args, seed, results)
    written = json.loads(args.out.read_text())
    assert written["ratios"] == {"ours_to_direct": 0.5, "ours_to_plain": None}
    assert [r["tool"] for r in written["results"]] == ["direct", "ours", "plain"]


def test_ours_to_plain_is_above_one_when_the_mirror_is_faster() -> None:
    ours = bench.Measurement("ours", 10.0, 1000, 1, True)
    plain = bench.Measurement("plain", 20.0, 1000, 1, True)
    assert bench.ratio(ours, plain) == 2.0
    assert bench.ratio(ours, None) is None


def test_best_prefers_a_complete_round_and_keeps_a_failure_when_there_is_nothing_else() -> None:
    fast_but_incomplete = bench.Measurement("ours", 1.0, 900, 1, False, round=1)
    complete = bench.Measurement("ours", 10.0, 1000, 1, True, round=2)
    crashed = bench.stage_outcome("plain", -11, "", "")
    crashed.round = 2
    chosen = bench.best([fast_but_incomplete, complete, crashed])
    assert chosen["ours"].round == 2
    assert chosen["plain"].failed
    args = argparse.Namespace(records=1000, size=1024, partitions=6, rounds=2)
    assert "  round 2: ours/direct: n/a, ours/plain: n/a" in bench.report(args, complete, [complete, crashed])
