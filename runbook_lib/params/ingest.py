"""The ``ingest`` section: the ingest Lambda's alias, the staged producer cutover's steps and gates, the canary.

Why params and not notebook constants: the weights a production cutover walks through and the error rate and
mirror lag that stop it are promises an operator reviews before the run (and an auditor reads afterwards), the
same as the other sections. Every key has a safe default; a bad value names the key and what it accepts.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from runbook_lib.params.formats import Allowed, StrictModel, TopicName, format_error

LambdaName = Annotated[
    str,
    Allowed("a Lambda function name: 1-64 of letters, digits, '-' and '_'", pattern=r"[A-Za-z0-9_-]{1,64}"),
]
AliasName = Annotated[
    str,
    Allowed("a Lambda alias name: 1-128 of letters, digits, '-' and '_', not only digits",
            pattern=r"(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}"),
]
HttpUrl = Annotated[str, Allowed("an http(s):// URL", pattern=r"https?://[^\s]+")]
STEPS_ALLOWED = "a list of percentages, strictly increasing, each 1-100, ending with 100, e.g. [1, 10, 50, 100]"


class IngestCutoverParams(StrictModel):
    """How producers move from the old ingest path to the new one through the alias' weighted routing.

    ``steps_pct``: the new path's share at each step. A step holds only if the canary's error rate on it is at
    most ``max_error_rate`` and the mirror's lag (records not yet on the target) at most ``max_mirror_lag``;
    otherwise the alias goes back to the previous step's weight. ``settle_s`` waits after a weight change
    before measuring (Lambda applies a new routing within seconds).
    """

    steps_pct: list[int] = Field(default_factory=lambda: [1, 10, 50, 100])
    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    max_mirror_lag: int = Field(default=1000, ge=0)
    canary_events_per_step: int = Field(default=40, ge=1, le=100_000)
    settle_s: float = Field(default=0.0, ge=0, le=3600)

    @field_validator("steps_pct")
    @classmethod
    def _steps(cls, steps: list[int]) -> list[int]:
        increasing = all(a < b for a, b in zip(steps, steps[1:], strict=False))
        if not steps or not increasing or steps[0] < 1 or steps[-1] != 100:
            raise format_error(STEPS_ALLOWED)
        return steps


class CanaryParams(StrictModel):
    """The synthetic events the canary sends end to end (ingest API → broker, read back).

    ``api_url``: the ingest route to post to; null uses stack 03's ``ingest_url`` on AWS, and the local app
    instances in the sandbox (moto does not run the function's image).
    """

    rate_per_s: float = Field(default=20.0, gt=0, le=1000)
    readback_timeout_s: float = Field(default=10.0, gt=0, le=300)
    request_timeout_s: float = Field(default=5.0, gt=0, le=30)
    api_url: HttpUrl | None = None


class IngestParams(StrictModel):
    """The ingest path after phase 03: which function and alias producers reach, and its cutover."""

    function_name: LambdaName | None = None  # null: stack 03's output ingest_function_name
    alias_name: AliasName = "live"
    topic: TopicName = "ingest.events"
    max_event_bytes: int = Field(default=262_144, ge=1, le=1_000_000)
    cutover: IngestCutoverParams = Field(default_factory=IngestCutoverParams)
    canary: CanaryParams = Field(default_factory=CanaryParams)
