"""The platform's ingestor (examples/platform/ingestor): good events are produced with their key, bad ones get a
4xx with a reason, oversized ones a 413 — through FastAPI's TestClient and through the Mangum handler with
API Gateway HTTP API (payload 2.0) events. The producer here is a fake (no broker in the unit tier); the
integration test tests/integration/test_ingestor_broker.py produces into the sandbox's Tansu broker.
"""

from __future__ import annotations

import base64
import json
import sys
import uuid

import pytest
from fakes import REPO

pytestmark = pytest.mark.unit

sys.path.insert(0, str(REPO / "examples" / "platform"))

from fastapi.testclient import TestClient  # noqa: E402
from ingestor.app import create_app  # noqa: E402
from ingestor.config import Settings, SettingsError  # noqa: E402
from ingestor.producer import Delivery, ProduceError  # noqa: E402
from mangum import Mangum  # noqa: E402


class FakeProducer:
    """Records what the app produced; ``fail`` makes every send raise like an unreachable broker."""

    def __init__(self, settings: Settings, fail: bool = False) -> None:
        self.sent: list[tuple[str, bytes, bytes, dict[str, bytes]]] = []
        self.fail = fail

    def send(self, topic, key, value, headers):
        if self.fail:
            raise ProduceError("no acknowledgement from the broker within 1 s")
        self.sent.append((topic, key, value, dict(headers)))
        return Delivery(topic, 0, len(self.sent) - 1)


def _event(**over) -> dict:
    event = {"event_id": str(uuid.uuid4()), "key": "device-42", "type": "page_view",
             "ts": "2026-11-01T12:00:00Z", "source": "web", "payload": {"url": "/home"}}
    event.update(over)
    return event


@pytest.fixture()
def app_and_producer():
    holder: dict[str, FakeProducer] = {}

    def factory(settings: Settings) -> FakeProducer:
        holder["p"] = FakeProducer(settings)
        return holder["p"]

    settings = Settings(bootstrap_servers="fake:9092", topic="ingest.events", max_event_bytes=2048, path_label="old")
    return create_app(settings, factory), holder


def test_good_event_is_produced_with_its_key(app_and_producer) -> None:
    app, holder = app_and_producer
    event = _event()
    response = TestClient(app).post("/events", json=event)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["event_id"] == event["event_id"] and body["path"] == "old" and body["offset"] == 0
    topic, key, value, headers = holder["p"].sent[0]
    assert (topic, key) == ("ingest.events", b"device-42")
    assert json.loads(value) == event
    assert headers["event_id"] == event["event_id"].encode()


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"not json", 400, "not JSON"),
        (b"[1, 2]", 400, "one JSON object"),
        (json.dumps(_event(event_id="nope")).encode(), 422, "event_id"),
        (json.dumps(_event(ts="2026-11-01T12:00:00")).encode(), 422, "time zone"),
        (json.dumps(_event(type="Page View")).encode(), 422, "type"),
        (json.dumps(_event(extra_field=1)).encode(), 422, "extra_field"),
        (json.dumps({k: v for k, v in _event().items() if k != "key"}).encode(), 422, "key"),
    ],
)
def test_bad_events_get_a_4xx_with_a_reason_and_are_not_produced(app_and_producer, body, status, needle) -> None:
    app, holder = app_and_producer
    response = TestClient(app).post("/events", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert needle in json.dumps(response.json())
    assert "p" not in holder or holder["p"].sent == []


def test_oversized_event_is_413(app_and_producer) -> None:
    app, holder = app_and_producer
    response = TestClient(app).post("/events", json=_event(payload={"blob": "x" * 4000}))
    assert response.status_code == 413
    assert "over the limit of 2048" in response.json()["error"]
    assert "p" not in holder


def test_broker_failure_is_503_with_the_reason() -> None:
    app = create_app(Settings(bootstrap_servers="fake:9092"), lambda s: FakeProducer(s, fail=True))
    response = TestClient(app).post("/events", json=_event())
    assert response.status_code == 503
    assert "no acknowledgement" in response.json()["error"]


def test_no_broker_configured_is_503_and_health_says_so() -> None:
    app = create_app(Settings(bootstrap_servers=""))
    client = TestClient(app)
    assert client.get("/health").json()["broker_configured"] is False
    response = client.post("/events", json=_event())
    assert response.status_code == 503
    assert "INGEST_BOOTSTRAP_SERVERS" in response.json()["error"]


def test_health(app_and_producer) -> None:
    app, _ = app_and_producer
    body = TestClient(app).get("/health").json()
    assert body["status"] == "ok" and body["path"] == "old" and body["topic"] == "ingest.events"


def test_settings_from_env_and_bad_values() -> None:
    settings = Settings.from_env({"INGEST_BOOTSTRAP_SERVERS": "b:9092", "INGEST_TOPIC": "t.x",
                                  "INGEST_MAX_EVENT_BYTES": "1000", "INGEST_PATH_LABEL": "new"})
    assert (settings.bootstrap_servers, settings.topic, settings.max_event_bytes, settings.path_label) == (
        "b:9092", "t.x", 1000, "new")
    with pytest.raises(SettingsError, match="INGEST_AUTH='sasl'.*none, msk_iam"):
        Settings.from_env({"INGEST_AUTH": "sasl"})
    with pytest.raises(SettingsError, match="INGEST_MAX_EVENT_BYTES='0'"):
        Settings.from_env({"INGEST_MAX_EVENT_BYTES": "0"})
    with pytest.raises(SettingsError, match="INGEST_TOPIC"):
        Settings.from_env({"INGEST_TOPIC": "bad topic"})


# ----------------------------------------------------------------------------- through Mangum (Lambda)


def _apigw_v2_event(body: bytes, *, method: str = "POST", path: str = "/events", b64: bool = False) -> dict:
    """An API Gateway HTTP API event, payload format 2.0, as the $default stage sends it."""
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "content-length": str(len(body)), "host": "api.example"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123", "requestId": "req-1", "routeKey": f"{method} {path}", "stage": "$default",
            "time": "01/Nov/2026:12:00:00 +0000", "timeEpoch": 1793534400000,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1",
                     "userAgent": "pytest"},
        },
        "body": base64.b64encode(body).decode() if b64 else body.decode(),
        "isBase64Encoded": b64,
    }


class _Context:
    aws_request_id = "req-1"
    function_name = "dmig-sandbox-ingest"


def test_mangum_handler_accepts_good_and_rejects_bad(app_and_producer) -> None:
    app, holder = app_and_producer
    handler = Mangum(app, lifespan="off")
    event = _event()
    good = handler(_apigw_v2_event(json.dumps(event).encode()), _Context())
    assert good["statusCode"] == 202, good
    assert json.loads(good["body"])["event_id"] == event["event_id"]
    assert holder["p"].sent[0][1] == b"device-42"

    b64 = handler(_apigw_v2_event(json.dumps(_event()).encode(), b64=True), _Context())
    assert b64["statusCode"] == 202 and len(holder["p"].sent) == 2

    bad = handler(_apigw_v2_event(json.dumps(_event(ts="yesterday")).encode()), _Context())
    assert bad["statusCode"] == 422 and "ts" in bad["body"]
    big = handler(_apigw_v2_event(json.dumps(_event(payload={"b": "y" * 5000})).encode()), _Context())
    assert big["statusCode"] == 413
    health = handler(_apigw_v2_event(b"", method="GET", path="/health"), _Context())
    assert health["statusCode"] == 200 and json.loads(health["body"])["status"] == "ok"
    assert len(holder["p"].sent) == 2


def test_lambda_module_builds_the_handler_from_env(monkeypatch) -> None:
    import importlib

    monkeypatch.setenv("INGEST_BOOTSTRAP_SERVERS", "")
    monkeypatch.setenv("INGEST_PATH_LABEL", "new")
    module = importlib.reload(importlib.import_module("ingestor.lambda_handler"))
    answer = module.handler(_apigw_v2_event(b"", method="GET", path="/health"), _Context())
    assert json.loads(answer["body"])["path"] == "new"
    refused = module.handler(_apigw_v2_event(json.dumps(_event()).encode()), _Context())
    assert refused["statusCode"] == 503
