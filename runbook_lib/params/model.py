"""The whole params file, :class:`RunbookParams`, and the rules that span its sections.

Why pydantic with ``extra="forbid"`` everywhere: a typo in a params file (``alow_destroy``) must stop
the run before anything touches AWS, not be silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from runbook_lib.params.formats import DATASYNC_AGENT_ALLOWED, EnvName, StrictModel, rule_error
from runbook_lib.params.migration import MigrationParams
from runbook_lib.params.sections import (
    DESTRUCTIVE_ACTIONS,
    GATE_ACTIONS,
    AwsParams,
    EvidenceParams,
    GateParams,
    NetworkParams,
    TerraformParams,
)

#: Environment names treated as production by the cross-field rules.
PRODUCTION_ENVS = frozenset({"prod", "production"})


class RunbookParams(StrictModel):
    """Everything one run of the runbook needs to know, loaded from ``params/<env>.yaml``."""

    env: EnvName
    run_label: str | None = None
    aws: AwsParams
    terraform: TerraformParams = Field(default_factory=TerraformParams)
    gates: GateParams = Field(default_factory=GateParams)
    migration: MigrationParams = Field(default_factory=MigrationParams)
    evidence: EvidenceParams = Field(default_factory=EvidenceParams)
    network: NetworkParams = Field(default_factory=NetworkParams)

    @model_validator(mode="before")
    @classmethod
    def _default_env_dir(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("env"), str):
            terraform = data.get("terraform")
            if terraform is None:
                terraform = {}
            if isinstance(terraform, Mapping) and terraform.get("env_dir") is None:
                data = dict(data)
                data["terraform"] = {**terraform, "env_dir": f"terraform_infra/envs/{data['env']}"}
        return data

    @model_validator(mode="after")
    def _cross_field_rules(self) -> RunbookParams:
        if self.aws.assume_role_arn and self.aws.allowed_account_ids:
            role_account = self.aws.assume_role_arn.split(":")[4]
            if role_account not in self.aws.allowed_account_ids:
                raise rule_error(
                    "aws.assume_role_arn",
                    self.aws.assume_role_arn,
                    f"a role in one of aws.allowed_account_ids ({', '.join(self.aws.allowed_account_ids)})",
                )
        if self.is_production:
            self._production_rules()
        datasync = self.migration.at_scale.datasync if self.migration.at_scale else None
        if datasync and not datasync.agent_arns and not self.is_sandbox:
            raise rule_error(
                "migration.at_scale.datasync.agent_arns",
                [],
                f"at least one DataSync agent ARN that reaches the source store ({DATASYNC_AGENT_ALLOWED}); "
                "only the sandbox (moto, no object-storage location) runs without agents",
            )
        return self

    def _production_rules(self) -> None:
        """Production talks to real AWS only, in named accounts, and never auto-approves a delete."""
        if self.aws.endpoint_url is not None:
            raise rule_error("aws.endpoint_url", self.aws.endpoint_url, "null in production (real AWS only)")
        if not self.aws.allowed_account_ids:
            raise rule_error("aws.allowed_account_ids", [], "at least one 12-digit account ID in production")
        if self.gates.mode == "headless":
            destructive = sorted(DESTRUCTIVE_ACTIONS & set(self.gates.auto_approve_actions))
            if destructive:
                raise rule_error(
                    "gates.auto_approve_actions",
                    list(self.gates.auto_approve_actions),
                    "no delete/replace auto-approval in headless production; "
                    f"allowed: {', '.join(a for a in GATE_ACTIONS if a not in DESTRUCTIVE_ACTIONS)}",
                )

    @property
    def is_production(self) -> bool:
        return self.env in PRODUCTION_ENVS

    @property
    def is_sandbox(self) -> bool:
        return self.aws.endpoint_url == "sandbox"
