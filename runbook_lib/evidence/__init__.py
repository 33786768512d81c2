"""The evidence of a run: the ledger that records every step (``ledger``), the manifest it keeps (``manifest``),
the HTML index an auditor opens first (``index_html``), and the check that nothing changed since (``integrity``).

Imported by ``phases`` and ``cli``; imports ``redact``, ``process`` and the leaves.
"""

from runbook_lib.evidence.integrity import HashMismatch, IntegrityReport, RunSummary, list_runs, verify_evidence
from runbook_lib.evidence.ledger import EvidenceLedger
from runbook_lib.evidence.manifest import INDEX_NAME, MANIFEST_NAME, Manifest, PhaseRecord, git_commit

__all__ = [
    "INDEX_NAME",
    "MANIFEST_NAME",
    "EvidenceLedger",
    "HashMismatch",
    "IntegrityReport",
    "Manifest",
    "PhaseRecord",
    "RunSummary",
    "git_commit",
    "list_runs",
    "verify_evidence",
]
