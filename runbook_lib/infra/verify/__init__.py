"""Post-apply verification: read every applied resource back from AWS and check what matters.

The runner (``runner``) walks a stack's state and calls the verifier ``registry`` lists for each
type; one module per AWS service holds the verifiers. Imported by ``phases`` and ``infra.iac_check``.
"""

from runbook_lib.infra.verify.core import (
    FAILED,
    NOT_VERIFIED,
    OK,
    WAIVED,
    Outcome,
    ResourceCheck,
    ResourceVerdict,
    StackVerification,
    Verifier,
    VerifyContext,
    equal,
    present,
)
from runbook_lib.infra.verify.policy import (
    broad_statements,
    is_tls_only_deny,
    policy_document,
    public_statements,
    statements,
)
from runbook_lib.infra.verify.registry import VERIFIERS, verifier_for
from runbook_lib.infra.verify.runner import (
    WAIVER_RULES,
    WaiverRule,
    verify_resource,
    verify_stack,
    verify_state,
    waivers_from_tfvars,
)

__all__ = [
    "FAILED",
    "NOT_VERIFIED",
    "OK",
    "VERIFIERS",
    "WAIVED",
    "WAIVER_RULES",
    "Outcome",
    "ResourceCheck",
    "ResourceVerdict",
    "StackVerification",
    "Verifier",
    "VerifyContext",
    "WaiverRule",
    "broad_statements",
    "equal",
    "is_tls_only_deny",
    "policy_document",
    "present",
    "public_statements",
    "statements",
    "verifier_for",
    "verify_resource",
    "verify_stack",
    "verify_state",
    "waivers_from_tfvars",
]
