"""Producing one event to Kafka/MSK and waiting for the broker's acknowledgement.

Why wait per event: the API answers 202 only once the event is on the broker (``acks=all``), so a producer
that got a 202 never has to resend, and Lambda may freeze the container right after the answer. The client
library (confluent-kafka) is imported lazily so the schema and the app load without it (unit tests use a fake).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from ingestor.config import Settings


@dataclass(frozen=True)
class Delivery:
    """Where the broker stored the event."""

    topic: str
    partition: int
    offset: int


class ProduceError(RuntimeError):
    """The broker did not take the event (unreachable, timeout, refused); the API answers 503."""


class EventProducer(Protocol):
    """What the app needs from a producer; tests pass a fake."""

    def send(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> Delivery: ...


def _msk_iam_token(region: str):  # pragma: no cover - needs AWS credentials and the signer (in the image)
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider  # type: ignore[import-not-found]

    def _token(_config: str) -> tuple[str, float]:
        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expiry_ms / 1000

    return _token


class KafkaEventProducer:
    """A confluent-kafka producer (``acks=all``), plain or SASL/OAUTHBEARER with MSK IAM."""

    def __init__(self, settings: Settings) -> None:
        try:
            from confluent_kafka import Producer  # type: ignore[import-not-found]
        except ImportError as exc:  # pragma: no cover - the image and the dev env both install it
            raise ProduceError("confluent-kafka is not installed: pip install confluent-kafka") from exc
        if not settings.bootstrap_servers:
            raise ProduceError("INGEST_BOOTSTRAP_SERVERS is not set: the ingestor has no broker to produce to")
        config: dict[str, Any] = {
            "bootstrap.servers": settings.bootstrap_servers,
            "acks": "all",
            "linger.ms": 0,
            "message.timeout.ms": int(settings.delivery_timeout_s * 1000),
            "socket.timeout.ms": max(1000, int(settings.delivery_timeout_s * 1000)),
        }
        if settings.auth == "msk_iam":
            if not settings.region:
                raise ProduceError("INGEST_AUTH=msk_iam needs AWS_REGION (Lambda sets it)")
            config.update({"security.protocol": "SASL_SSL", "sasl.mechanisms": "OAUTHBEARER",
                           "oauth_cb": _msk_iam_token(settings.region)})
        self._producer = Producer(config)
        self._timeout = settings.delivery_timeout_s
        self._lock = threading.Lock()

    def send(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> Delivery:
        done = threading.Event()
        outcome: dict[str, Any] = {}

        def _on_delivery(error: Any, message: Any) -> None:
            outcome["error"], outcome["message"] = error, message
            done.set()

        with self._lock:
            self._producer.produce(topic, key=key, value=value, headers=headers, on_delivery=_on_delivery)
        deadline = time.monotonic() + self._timeout + 1
        while not done.is_set():
            if time.monotonic() > deadline:
                raise ProduceError(f"no acknowledgement from the broker within {self._timeout:g} s")
            with self._lock:
                self._producer.poll(0.005)
        if outcome["error"] is not None:
            raise ProduceError(f"the broker refused the event: {outcome['error']}")
        message = outcome["message"]
        return Delivery(message.topic(), message.partition(), message.offset())

    def close(self) -> None:
        self._producer.flush(self._timeout)
