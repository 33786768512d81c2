"""runbook_lib: the library behind the AWS migration runbook notebooks.

Notebooks call this package; it drives Terraform (``terraform_infra``), the AWS
APIs, and the local services, and writes the evidence of every step. The
public API is re-exported here; everything else is internal.
"""

from runbook_lib.errors import RunbookError
from runbook_lib.evidence import EvidenceLedger, verify_evidence
from runbook_lib.params import RunbookParams, SecretRef, load_params, params_hash, resolve_secret
from runbook_lib.phases.headless import run_notebooks
from runbook_lib.redact import redact_text, register_secret

__all__ = [
    "EvidenceLedger",
    "RunbookError",
    "RunbookParams",
    "SecretRef",
    "load_params",
    "params_hash",
    "redact_text",
    "register_secret",
    "resolve_secret",
    "run_notebooks",
    "verify_evidence",
]
__version__ = "0.1.0"
