"""The params sections that say where the run goes and how it is guarded: aws, terraform, gates, evidence, network.

The data to move (``migration``) lives in :mod:`runbook_lib.params.migration`, the whole file in
:mod:`runbook_lib.params.model`.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Literal

from pydantic import Field

from runbook_lib.params.formats import (
    AccountId,
    BucketName,
    Cidr,
    DynamoTableName,
    EndpointUrl,
    PositivePath,
    RegexPattern,
    Region,
    RoleArn,
    StateKeyPrefix,
    StrictModel,
    TfAddress,
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


class GateParams(StrictModel):
    """Approval gates. Headless: a plan passes only if all its actions are in ``auto_approve_actions``."""

    mode: Literal["interactive", "headless"] = "interactive"
    auto_approve_actions: list[GateAction] = Field(default_factory=lambda: list(_DEFAULT_AUTO_APPROVE))
    approver: str | None = None


class EvidenceParams(StrictModel):
    """Where evidence goes and what else to redact (regexes; a group named ``secret`` limits the mask)."""

    outputs_dir: PositivePath = Path("outputs")
    html_export: bool = True
    redact_patterns: list[RegexPattern] = Field(default_factory=list)


class NetworkParams(StrictModel):
    """Address ranges of the self-hosted platform, for stacks that open ingress or routes to it (optional)."""

    source_cidrs: list[Cidr] = Field(default_factory=list)
