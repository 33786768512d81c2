"""``sandbox.up(services=...)`` starts only the services asked for (a test that needs only the AWS stand-in).

The starters and health checks are replaced by fakes: what is tested is which services ``up`` starts and
records, not the services themselves (the integration tier starts the real ones).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbook_lib import sandbox as sb
from runbook_lib.errors import ParamsError

pytestmark = pytest.mark.unit


@pytest.fixture()
def started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fake starters that record the services started; a sandbox folder of the test's own."""
    calls: list[str] = []

    def fake_start(spec: sb.ServiceSpec, state_dir: Path) -> None:
        calls.append(spec.name)

    monkeypatch.setenv("RUNBOOK_SANDBOX_DIR", str(tmp_path / "sbx"))
    monkeypatch.setattr(sb, "_STARTERS", {kind: fake_start for kind in sb._STARTERS})
    monkeypatch.setattr(sb, "_HEALTH", {kind: (lambda spec: False) for kind in sb._HEALTH})
    return calls


def test_up_with_services_starts_and_records_only_those(started: list[str], tmp_path: Path) -> None:
    state = sb.up("small", services=("aws",), seed=False)

    assert started == ["aws"]
    assert list(state.services) == ["aws"]
    assert list(sb.load_state().services) == ["aws"]
    bindings = json.loads((tmp_path / "sbx" / "bindings.json").read_text())
    assert bindings["aws_endpoint_url"] == state.url("aws")
    assert bindings["rds"] == {} and bindings["sources"] == {}


def test_up_without_services_starts_every_service(started: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    sb.up("small", seed=False)

    assert started == [name for name, *_ in sb.SERVICES]


def test_an_unknown_service_is_refused_naming_the_known_ones(started: list[str]) -> None:
    with pytest.raises(ParamsError) as error:
        sb.up("small", services=("aws", "redis"), seed=False)

    assert error.value.key == "services" and error.value.value == "redis"
    assert "kafka-target" in error.value.hint
    assert started == []


def test_a_partial_sandbox_is_not_seeded(started: list[str]) -> None:
    with pytest.raises(ParamsError) as error:
        sb.up("small", services=("aws",))

    assert error.value.key == "seed"
    assert started == []
