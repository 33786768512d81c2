"""The params sections that say where the run goes and how it is guarded: aws, terraform, gates, evidence, network.

The data to move (``migration``) lives in :mod:`runbook_lib.params.migration`, the whole file in
:mod:`runbook_lib.params.model`.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from runbook_lib.params.formats import (
    AccountId,
    BucketName,
    Cidr,
    DynamoTableName,
    EndpointUrl,
    KmsKeyId,
    PositivePath,
    RegexPattern,
    Region,
    RoleArn,
    StateKeyPrefix,
    StrictModel,
    TfAddress,
    rule_error,
)

#: Every action a Terraform plan can contain, in the spelling ``terraform show -json`` uses.
GateAction = Literal["no-op", "create", "update", "read", "delete", "replace"]
GATE_ACTIONS: tuple[str, ...] = typing.get_args(GateAction)
DESTRUCTIVE_ACTIONS = frozenset({"delete", "replace"})
_DEFAULT_AUTO_APPROVE: tuple[GateAction, ...] = ("no-op", "read")


class AwsParams(StrictModel):
    """Which AWS (or sandbox) the run talks to, and how patiently."""

    region: Region
    profile: str | None = None
    assume_role_arn: RoleArn | None = None
    allowed_account_ids: list[AccountId] = Field(default_factory=list)
    endpoint_url: EndpointUrl | None = None
    connect_timeout: float = Field(default=5.0, gt=0, le=300)
    max_attempts: int = Field(default=3, ge=1, le=10)


class BackendParams(StrictModel):
    """The S3 backend that holds Terraform state; ``region`` defaults to ``aws.region``.

    ``lock_table`` is optional: Terraform >= 1.10 can lock with an S3 lock file instead.
    """

    bucket: BucketName
    lock_table: DynamoTableName | None = None
    key_prefix: StateKeyPrefix = "runbook"
    region: Region | None = None


class TerraformParams(StrictModel):
    """How Terraform is driven. ``env_dir`` defaults to ``terraform_infra/envs/<env>``."""

    binary: Literal["auto", "terraform", "tofu"] = "auto"
    stacks_dir: PositivePath = Path("terraform_infra/stacks")
    env_dir: PositivePath | None = None
    backend: BackendParams | None = None
    var_files: list[PositivePath] = Field(default_factory=list)
    allow_destroy: list[TfAddress] = Field(default_factory=list)
    plan_timeout_s: int = Field(default=900, gt=0, le=24 * 3600)
    apply_timeout_s: int = Field(default=3600, gt=0, le=24 * 3600)
    interrupt_grace_s: int = Field(default=60, ge=1, le=3600)


class GateParams(StrictModel):
    """Approval gates. Headless: a plan passes only if all its actions are in ``auto_approve_actions``."""

    mode: Literal["interactive", "headless"] = "interactive"
    auto_approve_actions: list[GateAction] = Field(default_factory=lambda: list(_DEFAULT_AUTO_APPROVE))
    approver: str | None = None


SigningMode = Literal["ed25519", "kms", "none"]
SIGNING_MODES: tuple[str, ...] = typing.get_args(SigningMode)


class EvidenceSigningParams(StrictModel):
    """Who signs a run's record log: a local Ed25519 key file, an AWS KMS asymmetric key, or nobody.

    ``none`` is refused on a protected environment (``RunbookParams``); a missing section gets ``kms`` with
    ``alias/runbook-evidence-<env>`` where protected and ``none`` where not (the sandbox).
    """

    mode: SigningMode
    key_file: PositivePath | None = None
    kms_key_id: KmsKeyId | None = None

    @model_validator(mode="after")
    def _one_key_per_mode(self) -> EvidenceSigningParams:
        needs = {"ed25519": "key_file", "kms": "kms_key_id"}.get(self.mode)
        for key in ("key_file", "kms_key_id"):
            value = getattr(self, key)
            if key == needs and value is None:
                raise rule_error(f"evidence.signing.{key}", None, f"required with evidence.signing.mode {self.mode}")
            if key != needs and value is not None:
                raise rule_error(
                    f"evidence.signing.{key}",
                    str(value),
                    f"null with evidence.signing.mode {self.mode} (it belongs to mode "
                    f"{'ed25519' if key == 'key_file' else 'kms'})",
                )
        return self


class EvidenceParams(StrictModel):
    """Where evidence goes, what else to redact (regexes; a group named ``secret`` limits the mask), who signs."""

    outputs_dir: PositivePath = Path("outputs")
    html_export: bool = True
    redact_patterns: list[RegexPattern] = Field(default_factory=list)
    signing: EvidenceSigningParams = Field(default_factory=lambda: EvidenceSigningParams(mode="none"))


class NetworkParams(StrictModel):
    """Address ranges of the self-hosted platform, for stacks that open ingress or routes to it (optional)."""

    source_cidrs: list[Cidr] = Field(default_factory=list)
