"""Endpoint resolution: one place maps what AWS reports to where to connect."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from runbook_lib import endpoints
from runbook_lib.errors import EndpointError, ParamsError, SandboxDownError

pytestmark = pytest.mark.unit


@pytest.fixture()
def bindings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUNBOOK_SANDBOX_DIR", str(tmp_path))
    (tmp_path / "bindings.json").write_text(
        json.dumps(
            {
                "aws_endpoint_url": "http://127.0.0.1:4566",
                "rds": {"*": "127.0.0.1:55432"},
                "msk": {"b-1.special.kafka.us-east-1.amazonaws.com": "127.0.0.1:9999", "*": "127.0.0.1:19092"},
                "docdb": {},
            }
        )
    )
    return tmp_path


def test_real_aws_endpoints_are_left_alone(bindings: Path) -> None:
    resolved = endpoints.resolve_endpoint("rds", "db.abc.eu-west-1.rds.amazonaws.com:5432", sandbox=False)
    assert resolved.connect_to == "db.abc.eu-west-1.rds.amazonaws.com:5432" and not resolved.bound_by_sandbox


def test_sandbox_binds_by_host_then_wildcard(bindings: Path) -> None:
    assert endpoints.resolve_endpoint("rds", "x.rds.amazonaws.com:5432", sandbox=True).connect_to == "127.0.0.1:55432"
    special = "b-1.special.kafka.us-east-1.amazonaws.com:9094,b-2.special.kafka.us-east-1.amazonaws.com:9094"
    assert endpoints.resolve_endpoint("msk", special, sandbox=True).connect_to == "127.0.0.1:9999"
    assert endpoints.resolve_endpoint("msk", "b-1.other:9094", sandbox=True).connect_to == "127.0.0.1:19092"


def test_missing_binding_and_unknown_family(bindings: Path) -> None:
    with pytest.raises(EndpointError):
        endpoints.resolve_endpoint("docdb", "docdb.cluster:27017", sandbox=True)
    with pytest.raises(ParamsError) as caught:
        endpoints.resolve_endpoint("redis", "x", sandbox=True)
    assert caught.value.key == "family"


def test_aws_endpoint_url(bindings: Path) -> None:
    assert endpoints.aws_endpoint_url(SimpleNamespace(endpoint_url=None)) is None
    assert endpoints.aws_endpoint_url(SimpleNamespace(endpoint_url="sandbox")) == "http://127.0.0.1:4566"
    assert endpoints.aws_endpoint_url(SimpleNamespace(endpoint_url="https://x.example")) == "https://x.example"
    with pytest.raises(ParamsError) as caught:
        endpoints.aws_endpoint_url(SimpleNamespace(endpoint_url="ftp://nope"))
    assert caught.value.key == "aws.endpoint_url"


def test_sandbox_endpoint_when_the_sandbox_is_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOK_SANDBOX_DIR", str(tmp_path / "none"))
    with pytest.raises(SandboxDownError) as caught:
        endpoints.aws_endpoint_url(SimpleNamespace(endpoint_url="sandbox"))
    assert "runbook sandbox up" in caught.value.one_line()


def test_kafka_bootstrap() -> None:
    assert endpoints.kafka_bootstrap("kafka://127.0.0.1:1,127.0.0.1:2") == "127.0.0.1:1,127.0.0.1:2"
    assert endpoints.kafka_bootstrap("b-1:9094") == "b-1:9094"
