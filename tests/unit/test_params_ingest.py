"""The ``ingest`` params section: defaults, and one clear error per bad value naming the key."""

from __future__ import annotations

import pytest

from runbook_lib.errors import ParamsError
from runbook_lib.params import load_params, parse_params

pytestmark = pytest.mark.unit


def _with(ingest: dict) -> dict:
    return {"env": "sandbox", "aws": {"region": "eu-west-1", "endpoint_url": "sandbox"}, "ingest": ingest}


def test_defaults_and_the_sandbox_file() -> None:
    params = parse_params(_with({}))
    assert params.ingest.cutover.steps_pct == [1, 10, 50, 100] and params.ingest.alias_name == "live"
    sandbox = load_params("sandbox")
    assert sandbox.ingest.cutover.max_error_rate == 0.01 and sandbox.ingest.canary.rate_per_s > 0


@pytest.mark.parametrize(
    ("ingest", "key", "needle"),
    [
        ({"cutover": {"steps_pct": [10, 1, 100]}}, "ingest.cutover.steps_pct", "strictly increasing"),
        ({"cutover": {"steps_pct": [1, 50]}}, "ingest.cutover.steps_pct", "ending with 100"),
        ({"cutover": {"max_error_rate": 2}}, "ingest.cutover.max_error_rate", ""),
        ({"canary": {"rate_per_s": 0}}, "ingest.canary.rate_per_s", ""),
        ({"alias_name": "123"}, "ingest.alias_name", "alias name"),
        ({"canary": {"api_url": "ftp://x"}}, "ingest.canary.api_url", "http"),
        ({"cutover": {"steps": [1]}}, "ingest.cutover.steps", ""),
    ],
)
def test_bad_values_name_the_key(ingest, key, needle) -> None:
    with pytest.raises(ParamsError) as info:
        parse_params(_with(ingest))
    assert info.value.key == key
    assert needle in str(info.value)
