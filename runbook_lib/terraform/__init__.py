"""Drive Terraform for one stack: the runner, the typed plan and state, tfvars, the sandbox override file,
the machine-readable messages, the destructive-change guard, the approval gates and the offline CLI config.

Imported by ``phases``, ``infra`` and ``cli``; imports only ``tools``, ``process``, ``params`` and the leaves.
It does not know the sandbox: whoever builds a runner (``infra.terraform_setup``) passes the endpoint in.
"""

from runbook_lib.terraform.approval import (
    DECISIONS,
    DecisionLog,
    GateDecision,
    PendingGate,
    headless_gate,
    interactive_gate,
    require_approval,
    terminal_gate,
)
from runbook_lib.terraform.backend import (
    backend_config_from_params,
    detect_backend_type,
    render_backend_config,
    resolve_binary,
)
from runbook_lib.terraform.cli_config import InstallResult, install_cli_config, render_cli_config
from runbook_lib.terraform.destroy_guard import (
    STATEFUL_TYPES,
    DestructiveFinding,
    check_destructive,
    destructive_findings,
)
from runbook_lib.terraform.messages import ApplyStream, Diagnostic, ResourceApplyStatus
from runbook_lib.terraform.override import remove_override, write_override
from runbook_lib.terraform.plan import (
    SENSITIVE,
    UNKNOWN,
    AttributeChange,
    OutputChange,
    Plan,
    ResourceChange,
    load_plan_json,
    parse_plan,
)
from runbook_lib.terraform.results import ApplyResult, DriftItem, DriftReport, OutputValue
from runbook_lib.terraform.review import PlanReview, file_sha256, read_review_metadata, review_path_for
from runbook_lib.terraform.runner import TerraformRunner
from runbook_lib.terraform.state import StateResource, TfState, load_state_json, parse_state
from runbook_lib.terraform.tfvars import TfVars, read_tfvars

__all__ = [
    "DECISIONS",
    "SENSITIVE",
    "STATEFUL_TYPES",
    "UNKNOWN",
    "ApplyResult",
    "ApplyStream",
    "AttributeChange",
    "DecisionLog",
    "DestructiveFinding",
    "Diagnostic",
    "DriftItem",
    "DriftReport",
    "GateDecision",
    "InstallResult",
    "OutputChange",
    "OutputValue",
    "PendingGate",
    "Plan",
    "PlanReview",
    "ResourceApplyStatus",
    "ResourceChange",
    "StateResource",
    "TerraformRunner",
    "TfState",
    "TfVars",
    "backend_config_from_params",
    "check_destructive",
    "destructive_findings",
    "detect_backend_type",
    "file_sha256",
    "headless_gate",
    "install_cli_config",
    "interactive_gate",
    "load_plan_json",
    "load_state_json",
    "parse_plan",
    "parse_state",
    "read_review_metadata",
    "read_tfvars",
    "remove_override",
    "render_backend_config",
    "render_cli_config",
    "require_approval",
    "resolve_binary",
    "review_path_for",
    "terminal_gate",
    "write_override",
]
