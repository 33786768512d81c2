"""Terraform's -json UI stream: the state-lock parser and the apply progress consumer."""

from __future__ import annotations

import json

import pytest
from fakes import PLAN_FIXTURES

from runbook_lib.terraform.messages import (
    ApplyStream,
    Diagnostic,
    find_lock_conflict,
    parse_json_lines,
    parse_lock_info,
    parse_timestamp,
)

pytestmark = pytest.mark.unit

#: What the local backend itself wrote to .terraform.tfstate.lock.info during the capture.
LOCK_FILE = json.loads((PLAN_FIXTURES / "lock_info.json").read_text())
FIELDS = ("ID", "Who", "Operation", "Path", "Version")


def test_lock_info_from_the_json_diagnostic():
    messages = parse_json_lines((PLAN_FIXTURES / "lock_diagnostic.jsonl").read_text())
    info = find_lock_conflict(messages)
    assert info is not None
    assert {k: info[k] for k in FIELDS} == {k: LOCK_FILE[k] for k in FIELDS}


def test_lock_info_from_plain_stderr():
    info = find_lock_conflict([], (PLAN_FIXTURES / "lock_stderr.txt").read_text())
    assert info is not None
    assert {k: info[k] for k in FIELDS} == {k: LOCK_FILE[k] for k in FIELDS}


def test_lock_info_given_as_a_json_block():
    text = "Error: Error acquiring the state lock\n\nLock Info:\n" + json.dumps(LOCK_FILE) + "\n\nmore text"
    info = find_lock_conflict([], text)
    assert info["Who"] == LOCK_FILE["Who"]
    assert info["ID"] == LOCK_FILE["ID"]


def test_lock_error_without_info_still_detected():
    message = {
        "type": "diagnostic",
        "diagnostic": {
            "severity": "error",
            "summary": "Error acquiring the state lock",
            "detail": "ConditionalCheckFailedException",
        },
    }
    assert find_lock_conflict([message]) == {"Info": "ConditionalCheckFailedException"}


def test_other_errors_are_not_lock_errors():
    messages = parse_json_lines((PLAN_FIXTURES / "apply_errored.jsonl").read_text())
    assert find_lock_conflict(messages, "Error: Invalid reference") is None
    assert parse_lock_info("no block here") == {}


def test_apply_stream_of_a_successful_apply():
    lines = (PLAN_FIXTURES / "apply_ok.jsonl").read_text().splitlines()
    done: list[int] = []
    stream = ApplyStream(on_progress=lambda n, status: done.append(n))
    for line in [*lines, "not json", ""]:
        stream.feed_line(line)
    completes = [json.loads(x) for x in lines if '"type":"apply_complete"' in x]
    statuses = stream.statuses()
    assert len(statuses) == len(completes)
    assert {s.address for s in statuses} == {m["hook"]["resource"]["addr"] for m in completes}
    assert all(s.status == "complete" and s.elapsed_s is not None and s.elapsed_s >= 0 for s in statuses)
    assert done == list(range(1, len(completes) + 1))
    assert stream.change_summary["add"] == len(completes)
    assert stream.outputs["secret_out"]["sensitive"] is True
    assert "value" not in stream.outputs["secret_out"]


def test_apply_stream_ties_errors_to_resources():
    stream = ApplyStream()
    for line in (PLAN_FIXTURES / "apply_errored.jsonl").read_text().splitlines():
        stream.feed_line(line)
    by_address = {s.address: s for s in stream.statuses()}
    assert by_address["terraform_data.ok"].status == "complete"
    broken = by_address["terraform_data.broken"]
    assert broken.status == "errored"
    assert "exit status 3" in broken.error
    (error,) = [d for d in stream.diagnostics if d.severity == "error"]
    assert error.address == "terraform_data.broken"
    assert error.filename == "main.tf"


def test_an_error_without_address_goes_to_the_only_errored_resource():
    stream = ApplyStream()
    hook = {"resource": {"addr": "aws_s3_bucket.x"}, "action": "create"}
    stream.feed({"type": "apply_start", "hook": hook, "@timestamp": "2026-01-01T00:00:00.000000001Z"})
    stream.feed({"type": "apply_errored", "hook": hook, "@timestamp": "2026-01-01T00:00:02.5Z"})
    stream.feed({"type": "diagnostic", "diagnostic": {"severity": "error", "summary": "AccessDenied"}})
    (status,) = stream.statuses()
    assert status.error and "AccessDenied" in status.error
    assert status.elapsed_s == pytest.approx(2.5, abs=1e-3)


def test_timestamps_with_nanoseconds():
    ts = parse_timestamp("2026-11-26T15:47:59.873287123Z")
    assert ts is not None and ts.microsecond == 873287 and ts.utcoffset().total_seconds() == 0
    assert parse_timestamp(None) is None
    assert parse_timestamp("garbage") is None


def test_diagnostic_one_line():
    diag = Diagnostic("error", "Bad thing", "first line\nsecond", address="aws_s3_bucket.x")
    assert diag.one_line() == "error: Bad thing (aws_s3_bucket.x): first line"
