"""The event the platform accepts: validated before anything reaches Kafka, unknown fields refused.

Why strict: a producer's typo (``evnt_type``) must come back as a 422 naming the field, not land on the topic
and break a consumer hours later. ``key`` is the Kafka message key (same key, same partition, same order).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Event(BaseModel):
    """One event as producers POST it to ``/events``."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID
    key: str = Field(min_length=1, max_length=256, description="Kafka message key (partitioning, ordering)")
    type: str = Field(pattern=r"^[a-z][a-z0-9_.]{0,63}$", description="event type, e.g. page_view")
    ts: datetime = Field(description="when the event happened, ISO 8601 with a time zone")
    source: str = Field(default="unknown", min_length=1, max_length=128)
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("ts")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("ts needs a time zone, e.g. 2026-11-01T12:00:00Z")
        return value


class Accepted(BaseModel):
    """The 202 answer: where the event landed, and which deployment (path) took it."""

    status: str = "accepted"
    event_id: UUID
    topic: str
    partition: int
    offset: int
    path: str


class Rejected(BaseModel):
    """Every 4xx/5xx answer: one line of reason, plus the failing fields for a 422."""

    error: str
    reasons: list[dict[str, str]] = Field(default_factory=list)
