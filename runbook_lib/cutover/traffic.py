"""Staged producer cutover: the ingest alias' weighted routing moved 1 → 10 → 50 → 100 %, each step gated.

Why weighted routing: producers keep one URL (API Gateway → the ``live`` alias) while the share of events
that the version producing to MSK takes grows in steps. Each step is applied through the Lambda API and read
back, then held only if the canary's error rate and the mirror's lag stay under their thresholds; otherwise
the alias goes back to the previous step's weight and the cutover stops. Every step is recorded.

The mirror's lag is passed in (a number or a callable) so this module does not depend on the Kafka migrator.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from runbook_lib.errors import TrafficShiftError
from runbook_lib.health.canary import CanaryReport

log = logging.getLogger("runbook_lib.cutover.traffic")


@dataclass(frozen=True)
class AliasState:
    """The alias as the Lambda API reads it back: the primary version and the share sent to another one."""

    function_name: str
    alias: str
    primary_version: str
    additional_version: str | None
    additional_weight: float  # 0-1, as the API stores it

    def new_share_pct(self, new_version: str) -> float:
        """The percentage of invocations ``new_version`` receives under this routing."""
        if self.primary_version == new_version:
            return round(100 * (1 - self.additional_weight), 6) if self.additional_version else 100.0
        if self.additional_version == new_version:
            return round(100 * self.additional_weight, 6)
        return 0.0


@dataclass(frozen=True)
class CutoverVersions:
    """The version producing to the old cluster and the one producing to MSK."""

    old: str
    new: str


class AliasRouting:
    """Set and read back an alias' weighted routing between two published versions."""

    def __init__(self, lambda_client: Any, function_name: str, alias: str = "live") -> None:
        self.client, self.function_name, self.alias = lambda_client, function_name, alias

    def read(self) -> AliasState:
        try:
            answer = self.client.get_alias(FunctionName=self.function_name, Name=self.alias)
        except self.client.exceptions.ResourceNotFoundException as error:
            raise TrafficShiftError(f"alias {self.alias!r} of {self.function_name!r} does not exist") from error
        weights = (answer.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        version, weight = next(iter(weights.items()), (None, 0.0))
        return AliasState(self.function_name, self.alias, answer["FunctionVersion"], version, float(weight))

    def published_versions(self) -> list[str]:
        pages = self.client.get_paginator("list_versions_by_function").paginate(FunctionName=self.function_name)
        versions = [v["Version"] for page in pages for v in page["Versions"] if v["Version"] != "$LATEST"]
        return sorted(set(versions), key=int)

    def apply(self, versions: CutoverVersions, weight_pct: float) -> AliasState:
        """Route ``weight_pct`` % to ``versions.new``; 0 and 100 leave a single version (no routing config)."""
        if not 0 <= weight_pct <= 100:
            raise TrafficShiftError(f"weight {weight_pct} % is not between 0 and 100",
                                    hint="fix ingest.cutover.steps_pct")
        if weight_pct >= 100:
            primary, routing = versions.new, {}
        elif weight_pct <= 0:
            primary, routing = versions.old, {}
        else:
            primary, routing = versions.old, {versions.new: round(weight_pct / 100, 5)}
        self.client.update_alias(FunctionName=self.function_name, Name=self.alias, FunctionVersion=primary,
                                 RoutingConfig={"AdditionalVersionWeights": routing})
        state = self.read()
        if abs(state.new_share_pct(versions.new) - weight_pct) > 1e-3:
            raise TrafficShiftError(
                f"alias {self.alias!r} reads back {state.new_share_pct(versions.new)} % on version {versions.new}, "
                f"not the {weight_pct} % just set", hint="another deployment is moving the alias: stop it, then resume")
        return state


def resolve_versions(routing: AliasRouting, new_version: str | None = None) -> CutoverVersions:
    """Old = the alias' primary version now; new = ``new_version`` or the newest published one."""
    state = routing.read()
    published = routing.published_versions()
    new = new_version or (published[-1] if published else None)
    if new is None or new == state.primary_version or new not in published:
        raise TrafficShiftError(
            f"no published version of {routing.function_name!r} to move to (alias on {state.primary_version}, "
            f"published: {', '.join(published) or 'none'})",
            hint="apply stack 03 with the MSK brokers (it publishes the new version), then run the cutover")
    return CutoverVersions(state.primary_version, new)


def stage_new_version(lambda_client: Any, function_name: str, environment: Mapping[str, str],
                      *, timeout_s: float = 30.0) -> str:
    """Publish a version of the function with ``environment`` merged in, then restore ``$LATEST``'s environment.

    Why restore: the published version is immutable and keeps the new settings, while ``$LATEST`` stays as
    Terraform wrote it (a plan after the rehearsal stays clean). On AWS the new version normally comes from
    the stack 03 apply that switches the brokers to MSK; this is the sandbox rehearsal's way to get one.
    """
    config = lambda_client.get_function_configuration(FunctionName=function_name)
    original = dict((config.get("Environment") or {}).get("Variables") or {})

    def _update(variables: Mapping[str, str]) -> None:
        lambda_client.update_function_configuration(FunctionName=function_name,
                                                    Environment={"Variables": dict(variables)})
        deadline = time.monotonic() + timeout_s
        while lambda_client.get_function_configuration(FunctionName=function_name).get(
                "LastUpdateStatus", "Successful") == "InProgress":
            if time.monotonic() > deadline:
                raise TrafficShiftError(f"{function_name} is still updating after {timeout_s:g} s")
            time.sleep(0.5)

    _update({**original, **environment})
    try:
        version = lambda_client.publish_version(FunctionName=function_name,
                                                Description="staged cutover: new ingest path")["Version"]
    finally:
        _update(original)
    return version


@dataclass(frozen=True)
class GateThresholds:
    max_error_rate: float
    max_mirror_lag: float


@dataclass
class StepRecord:
    """One step of the cutover as it happened."""

    step: int
    target_pct: float
    previous_pct: float
    applied_pct: float  # read back from the Lambda API
    primary_version: str
    error_rate: float
    canary_sent: int
    canary_by_path: list[dict[str, Any]]
    mirror_lag: float
    passed: bool
    reasons: list[str] = field(default_factory=list)
    rolled_back_to_pct: float | None = None
    started_at: str = ""
    duration_s: float = 0.0


@dataclass
class CutoverReport:
    """All steps; ``completed`` when the last one (100 %) held."""

    function_name: str
    alias: str
    versions: CutoverVersions
    steps: list[StepRecord] = field(default_factory=list)
    final_pct: float = 0.0

    @property
    def completed(self) -> bool:
        return bool(self.steps) and self.steps[-1].passed and self.final_pct >= 100

    def rows(self) -> list[dict[str, Any]]:
        keep = ("step", "target_pct", "applied_pct", "error_rate", "canary_sent", "mirror_lag", "passed",
                "rolled_back_to_pct", "duration_s")
        return [{k: v for k, v in asdict(s).items() if k in keep} | {"reasons": "; ".join(s.reasons)}
                for s in self.steps]


def gate(error_rate: float, mirror_lag: float, thresholds: GateThresholds) -> list[str]:
    """The reasons a step does not hold (empty: it holds)."""
    reasons = []
    if error_rate > thresholds.max_error_rate:
        reasons.append(f"canary error rate {error_rate:.2%} > {thresholds.max_error_rate:.2%}")
    if mirror_lag > thresholds.max_mirror_lag:
        reasons.append(f"mirror lag {mirror_lag:g} > {thresholds.max_mirror_lag:g} records")
    return reasons


def run_staged_cutover(
    routing: AliasRouting,
    versions: CutoverVersions,
    *,
    steps_pct: Sequence[float],
    thresholds: GateThresholds,
    canary: Callable[[float], CanaryReport],
    mirror_lag: float | Callable[[], float],
    settle_s: float = 0.0,
    on_step: Callable[[StepRecord], None] | None = None,
) -> CutoverReport:
    """Walk ``steps_pct``; stop at the first step whose gate fails, after rolling back to the previous weight.

    Args:
        routing: the alias to move.
        versions: old (producing to the self-hosted cluster) and new (producing to MSK).
        steps_pct: the new version's share at each step, e.g. [1, 10, 50, 100].
        thresholds: what a step must stay under to hold.
        canary: runs one canary round at the weight read back from the API and returns its report.
        mirror_lag: records the mirror is behind (a number, or a callable asked once per step).
        settle_s: wait after a weight change before the canary measures.
        on_step: called with each record as soon as it is made (the notebook records it to evidence).
    """
    report = CutoverReport(routing.function_name, routing.alias, versions)
    previous = routing.read().new_share_pct(versions.new)
    for number, target in enumerate(steps_pct, start=1):
        started, began = datetime.now(UTC).isoformat(timespec="seconds"), time.monotonic()
        state = routing.apply(versions, target)
        applied = state.new_share_pct(versions.new)
        if settle_s:
            time.sleep(settle_s)
        result = canary(applied)
        lag = float(mirror_lag() if callable(mirror_lag) else mirror_lag)
        reasons = gate(result.error_rate, lag, thresholds)
        record = StepRecord(number, target, previous, applied, state.primary_version, round(result.error_rate, 4),
                            result.sent, result.rows(), lag, not reasons, reasons, started_at=started)
        if reasons:
            back = routing.apply(versions, previous)
            record.rolled_back_to_pct = back.new_share_pct(versions.new)
            log.warning("step %d (%g %%) failed: %s; alias back to %g %%", number, target, "; ".join(reasons),
                        record.rolled_back_to_pct)
        record.duration_s = round(time.monotonic() - began, 3)
        report.steps.append(record)
        if on_step is not None:
            on_step(record)
        if reasons:
            report.final_pct = record.rolled_back_to_pct or 0.0
            return report
        previous = applied
        report.final_pct = applied
    return report
