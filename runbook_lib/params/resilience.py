"""The ``cutover`` and ``dr`` sections: who signs the switch and how it is staged; what a DR drill must achieve.

Why their own sections: the go/no-go and the drill are decisions with names and numbers an auditor checks
(who signed, which RPO/RTO were promised), so they are written in the params file beside the environment,
not in a notebook cell. Both are optional; phase 08 / 09 refuse to run without theirs, naming the key.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from runbook_lib.params.formats import Allowed, BucketName, StrictModel, refuse_repeats, rule_error

#: What a pipeline of the progressive plan is: one migration kind and its consumers' endpoint binding.
PIPELINE_KINDS: tuple[str, ...] = ("s3", "postgres", "mongo", "kafka")

ApproverName = Annotated[
    str,
    Allowed(
        "a person's name or login: 2-64 letters, digits, '.', '_', '@', '-' or spaces",
        pattern=r"[A-Za-z0-9][A-Za-z0-9._@ -]{1,63}",
    ),
]
SsmPrefix = Annotated[
    str,
    Allowed(
        "an SSM parameter path prefix such as /runbook/{env}/endpoints: starts with '/', letters, digits, "
        "'.', '_', '-', '/' and the placeholder {env}; no trailing '/'",
        pattern=r"/[A-Za-z0-9._\-/{}]*[A-Za-z0-9._\-}]",
    ),
]


class WaivedCheck(StrictModel):
    """A go/no-go row an operator accepts red, by its exact check name, with the reason shown in the row.

    Data parity and phase status can never be waived (``CutoverParams`` refuses them).
    """

    check: str = Field(min_length=3, max_length=200)
    reason: str = Field(min_length=10, max_length=500)


class CutoverParams(StrictModel):
    """Phase 08: the sign-off, the progressive plan, and where consumers read their endpoints.

    ``approvers`` sign the go/no-go in a headless run (the sandbox); a protected environment needs two distinct
    people and signs in the notebook (``gates.mode: interactive``), never from this list.
    ``endpoint_parameter_prefix`` is the SSM path under which each pipeline's consumers read the endpoint they
    connect to (``<prefix>/<kind>``); switching a pipeline is writing its parameter. ``waived_checks``: red rows
    accepted with a reason (shown in the row, which stays marked as waived; the sign-off sees them).
    """

    approvers: list[ApproverName] = Field(default_factory=list)
    first_pipeline: Literal["s3", "postgres", "mongo", "kafka"] | None = None
    endpoint_parameter_prefix: SsmPrefix = "/runbook/{env}/endpoints"
    step_timeout_s: int = Field(default=900, gt=0, le=24 * 3600)
    rollback_rehearsal: bool = True
    waived_checks: list[WaivedCheck] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_waived_parity(self) -> CutoverParams:
        for index, waiver in enumerate(self.waived_checks):
            if " parity " in f" {waiver.check} " or waiver.check.startswith("phase "):
                raise rule_error(f"cutover.waived_checks[{index}].check", waiver.check,
                                 "a verification, drift, alarms, canary or cost check: data parity and phase "
                                 "status are never waived")
        return self

    @model_validator(mode="after")
    def _distinct_approvers(self) -> CutoverParams:
        names = ((name.strip().lower(), name) for name in self.approvers)
        refuse_repeats("cutover.approvers[{index}]", names, "a name not already in cutover.approvers")
        return self


class DrParams(StrictModel):
    """Phase 09: the recovery targets the drill is measured against, and how long its steps last.

    ``rpo_target_s``: the most data (seconds of heartbeats) a restore may lose; ``rto_target_s``: the longest a
    restore may take from the disaster to a verified copy. ``heartbeat_interval_s`` is the writer's period,
    ``backup_after_s`` how long it writes before the backup, ``disaster_after_s`` how long after the backup the
    disaster strikes. ``s3_bucket``: the target bucket the object drill runs in (default: the first
    ``migration.s3`` target); ``require_replication``: a bucket without cross-region replication is a failure.
    """

    rpo_target_s: float = Field(gt=0, le=7 * 24 * 3600)
    rto_target_s: float = Field(gt=0, le=7 * 24 * 3600)
    heartbeat_interval_s: float = Field(default=1.0, ge=0.2, le=60)
    backup_after_s: float = Field(default=3.0, ge=0, le=3600)
    disaster_after_s: float = Field(default=3.0, ge=0, le=3600)
    s3_bucket: BucketName | None = None
    s3_objects: int = Field(default=5, ge=1, le=1000)
    require_replication: bool = False

    @model_validator(mode="after")
    def _heartbeats_before_disaster(self) -> DrParams:
        if self.disaster_after_s < self.heartbeat_interval_s:
            raise rule_error(
                "dr.disaster_after_s",
                self.disaster_after_s,
                f">= dr.heartbeat_interval_s ({self.heartbeat_interval_s:g}): at least one heartbeat after the backup",
            )
        return self
