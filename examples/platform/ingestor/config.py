"""Settings of the ingestor, from environment variables only (uvicorn, the container image and Lambda alike).

Why env vars: the same image runs against the self-hosted Kafka (old path) and MSK (new path); only its
environment differs, which Terraform sets on the Lambda function and an operator sets for uvicorn.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

AUTH_MODES = ("none", "msk_iam")
#: API Gateway HTTP APIs take payloads up to 10 MB, Kafka's default message.max.bytes is ~1 MB; events are small.
DEFAULT_MAX_EVENT_BYTES = 256 * 1024


class SettingsError(ValueError):
    """A bad environment variable: the message names the variable and what it accepts."""


@dataclass(frozen=True)
class Settings:
    """What the app needs to know; ``bootstrap_servers`` empty means "not configured" (503 on POST)."""

    bootstrap_servers: str = ""
    topic: str = "ingest.events"
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    auth: str = "none"
    path_label: str = "local"
    delivery_timeout_s: float = 10.0
    region: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``INGEST_*`` variables; a wrong value raises :class:`SettingsError` naming the variable."""
        env = os.environ if env is None else env
        auth = env.get("INGEST_AUTH", "none")
        if auth not in AUTH_MODES:
            raise SettingsError(f"INGEST_AUTH={auth!r}: allowed values are {', '.join(AUTH_MODES)}")
        topic = env.get("INGEST_TOPIC", "ingest.events")
        if not topic or len(topic) > 249 or not all(c.isalnum() or c in "._-" for c in topic):
            raise SettingsError(f"INGEST_TOPIC={topic!r}: allowed is a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)")
        return cls(
            bootstrap_servers=env.get("INGEST_BOOTSTRAP_SERVERS", "").strip(),
            topic=topic,
            max_event_bytes=_positive_int(env, "INGEST_MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES, upper=1_000_000),
            auth=auth,
            path_label=env.get("INGEST_PATH_LABEL", "local") or "local",
            delivery_timeout_s=float(_positive_int(env, "INGEST_DELIVERY_TIMEOUT_S", 10, upper=30)),
            region=env.get("AWS_REGION") or None,
        )


def _positive_int(env: Mapping[str, str], name: str, default: int, *, upper: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= upper:
        raise SettingsError(f"{name}={raw!r}: allowed is an integer from 1 to {upper}")
    return value
