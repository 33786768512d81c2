"""The whole params file, :class:`RunbookParams`, and the rules that span its sections.

Why pydantic with ``extra="forbid"`` everywhere: a typo in a params file (``alow_destroy``) must stop
the run before anything touches AWS, not be silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from runbook_lib.params.cicd import CicdParams
from runbook_lib.params.cost import CostParams
from runbook_lib.params.formats import DATASYNC_AGENT_ALLOWED, EnvName, StrictModel, rule_error
from runbook_lib.params.ingest import IngestParams
from runbook_lib.params.migration import MigrationParams
from runbook_lib.params.orchestration import OrchestrationParams
from runbook_lib.params.resilience import CutoverParams, DrParams
from runbook_lib.params.sections import (
    DESTRUCTIVE_ACTIONS,
    GATE_ACTIONS,
    AwsParams,
    EvidenceParams,
    GateParams,
    NetworkParams,
    TerraformParams,
)

#: Words that mark an environment name as production (``prod``, ``eu-prd``, ``live-2`` …): such an env must talk
#: to real AWS and may not set ``protected: false``. The production *rules* follow ``protected``, not the name.
PRODUCTION_ENVS = frozenset({"prod", "prd", "production", "live"})


class RunbookParams(StrictModel):
    """Everything one run of the runbook needs to know, loaded from ``params/<env>.yaml``."""

    env: EnvName
    run_label: str | None = None
    #: The production rules (named accounts, no policy approves a delete, a replace or a data-destroying change).
    #: Unset: true for every environment but the sandbox (``aws.endpoint_url: sandbox``).
    protected: bool = True
    aws: AwsParams
    terraform: TerraformParams = Field(default_factory=TerraformParams)
    gates: GateParams = Field(default_factory=GateParams)
    migration: MigrationParams = Field(default_factory=MigrationParams)
    evidence: EvidenceParams = Field(default_factory=EvidenceParams)
    network: NetworkParams = Field(default_factory=NetworkParams)
    ingest: IngestParams = Field(default_factory=IngestParams)
    orchestration: OrchestrationParams = Field(default_factory=OrchestrationParams)
    cost: CostParams = Field(default_factory=CostParams)
    cicd: CicdParams = Field(default_factory=CicdParams)
    cutover: CutoverParams = Field(default_factory=CutoverParams)
    dr: DrParams | None = None

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

    @model_validator(mode="before")
    @classmethod
    def _default_signing(cls, data: Any) -> Any:
        """No ``evidence.signing`` section: unsigned where not protected, the env's KMS alias where protected."""
        if not (isinstance(data, Mapping) and isinstance(data.get("env"), str)):
            return data
        evidence = data.get("evidence")
        if evidence is None:
            evidence = {}
        if not isinstance(evidence, Mapping) or evidence.get("signing") is not None:
            return data
        protected = data.get("protected")
        if protected is None:  # as _default_protected decides it (the order of "before" validators is not ours)
            aws = data.get("aws")
            protected = not (isinstance(aws, Mapping) and aws.get("endpoint_url") == "sandbox")
        signing = (
            {"mode": "kms", "kms_key_id": f"alias/runbook-evidence-{data['env']}"} if protected else {"mode": "none"}
        )
        return {**data, "evidence": {**evidence, "signing": signing}}

    @model_validator(mode="before")
    @classmethod
    def _default_protected(cls, data: Any) -> Any:
        """``protected`` unset (or null): true unless the run talks to the sandbox."""
        if isinstance(data, Mapping) and data.get("protected") is None:
            aws = data.get("aws")
            sandbox = isinstance(aws, Mapping) and aws.get("endpoint_url") == "sandbox"
            data = {**data, "protected": not sandbox}
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
        if self.evidence.signing.mode == "none" and self.protected:
            raise rule_error(
                "evidence.signing.mode",
                "none",
                "ed25519 or kms on a protected environment (protected: true): its evidence must be signed",
            )
        if self.is_production:
            self._production_rules()
        if self.protected:
            self._protection_rules()
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
        """An env named like production talks to real AWS only and cannot opt out of the protection."""
        if self.aws.endpoint_url is not None:
            raise rule_error("aws.endpoint_url", self.aws.endpoint_url, "null in production (real AWS only)")
        if not self.protected:
            raise rule_error(
                "protected",
                False,
                f"true: env {self.env!r} is named like production ({', '.join(sorted(PRODUCTION_ENVS))}); "
                "only a non-production rehearsal environment may set protected: false",
            )

    def _protection_rules(self) -> None:
        """A protected env names its accounts, and no policy may approve a delete or replace there.

        Why in every ``gates.mode``: ``runbook tf apply|destroy --auto-approve-policy`` uses the policy
        whatever the mode says (the gates refuse such changes on a protected env at run time too).
        """
        if not self.aws.allowed_account_ids:
            raise rule_error(
                "aws.allowed_account_ids",
                [],
                "at least one 12-digit account ID on a protected environment (protected: true)",
            )
        destructive = sorted(DESTRUCTIVE_ACTIONS & set(self.gates.auto_approve_actions))
        if destructive:
            raise rule_error(
                "gates.auto_approve_actions",
                list(self.gates.auto_approve_actions),
                f"no {'/'.join(destructive)} auto-approval on a protected environment (protected: true); "
                f"allowed: {', '.join(a for a in GATE_ACTIONS if a not in DESTRUCTIVE_ACTIONS)}",
            )

    @property
    def is_production(self) -> bool:
        """Named like production: a word of the name (split at ``-``, digits dropped) is in :data:`PRODUCTION_ENVS`."""
        return any(word.rstrip("0123456789") in PRODUCTION_ENVS for word in self.env.split("-"))

    @property
    def is_sandbox(self) -> bool:
        return self.aws.endpoint_url == "sandbox"
