"""The HTTP API: ``POST /events`` (one event) and ``GET /health``.

Answers: 202 with where the event landed; 400 for a body that is not a JSON object; 413 for a body over
``INGEST_MAX_EVENT_BYTES``; 422 naming each invalid field; 503 when the broker did not take the event (the
producer may retry). The same app runs under uvicorn and, through Mangum, on Lambda.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ingestor import __version__
from ingestor.config import Settings
from ingestor.producer import EventProducer, KafkaEventProducer, ProduceError
from ingestor.schema import Accepted, Event, Rejected

log = logging.getLogger("ingestor")


def _rejected(status: int, error: str, reasons: list[dict[str, str]] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=Rejected(error=error, reasons=reasons or []).model_dump())


def _reasons(error: ValidationError) -> list[dict[str, str]]:
    return [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "reason": e["msg"]} for e in error.errors()]


def create_app(
    settings: Settings | None = None,
    producer_factory: Callable[[Settings], EventProducer] = KafkaEventProducer,
) -> FastAPI:
    """Build the app; the producer is created at the first event, so import and ``/health`` need no broker."""
    settings = settings or Settings.from_env()
    app = FastAPI(title="platform ingestor", version=__version__)
    holder: dict[str, EventProducer] = {}

    def producer() -> EventProducer:
        if "p" not in holder:
            holder["p"] = producer_factory(settings)
        return holder["p"]

    @app.get("/health")
    def health() -> dict[str, object]:
        return {"status": "ok", "version": __version__, "topic": settings.topic, "path": settings.path_label,
                "broker_configured": bool(settings.bootstrap_servers)}

    @app.post("/events", status_code=202, response_model=Accepted,
              responses={400: {"model": Rejected}, 413: {"model": Rejected}, 422: {"model": Rejected},
                         503: {"model": Rejected}})
    async def post_event(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_event_bytes:
            return _rejected(413, f"event of {declared} bytes is over the limit of {settings.max_event_bytes}")
        body = await request.body()
        if len(body) > settings.max_event_bytes:
            return _rejected(413, f"event of {len(body)} bytes is over the limit of {settings.max_event_bytes}")
        try:
            document = json.loads(body)
        except ValueError:
            return _rejected(400, "body is not JSON")
        if not isinstance(document, dict):
            return _rejected(400, "body must be one JSON object (one event per request)")
        try:
            event = Event.model_validate(document)
        except ValidationError as error:
            return _rejected(422, "invalid event", _reasons(error))
        headers = [("event_id", str(event.event_id).encode()), ("path", settings.path_label.encode())]
        try:
            delivery = await _send(producer, settings.topic, event.key.encode(), body, headers)
        except ProduceError as error:
            log.warning("event %s not produced: %s", event.event_id, error)
            return _rejected(503, str(error))
        accepted = Accepted(event_id=event.event_id, topic=delivery.topic, partition=delivery.partition,
                            offset=delivery.offset, path=settings.path_label)
        return JSONResponse(status_code=202, content=accepted.model_dump(mode="json"))

    return app


async def _send(producer: Callable[[], EventProducer], topic: str, key: bytes, value: bytes,
                headers: list[tuple[str, bytes]]):
    """Produce off the event loop: the wait for the broker's acknowledgement blocks."""
    from starlette.concurrency import run_in_threadpool

    def _do():
        return producer().send(topic, key, value, headers)

    try:
        return await run_in_threadpool(_do)
    except ProduceError:
        raise
    except Exception as error:  # noqa: BLE001 - any client failure is a 503 with its reason
        raise ProduceError(f"{type(error).__name__}: {error}") from error
