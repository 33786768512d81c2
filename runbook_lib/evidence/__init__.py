"""The evidence of a run: the ledger that records every step (``ledger``) in a hash-chained record log
(``chain``) written through ``store``, the manifest it keeps (``manifest``), the signatures that seal the chain
head at each phase end (``signing``), the HTML index an auditor opens first (``index_html``), and the check that
nothing changed since (``integrity``).

Trust model: the chain and the file hashes show whether anything changed after a signature; the signature
shows who sealed it, and counts only against a key pinned outside the run folder (the params' key file or KMS
key, a public key given to the verifier) or a digest pasted into the change ticket - never against the public
key found in the folder, which whoever can write the folder can replace. See ``integrity`` for the details.

Imported by ``phases`` and ``cli``; imports ``params``, ``clients``, ``redact``, ``process`` and the leaves.
"""

from runbook_lib.evidence.chain import CHAIN_NAME
from runbook_lib.evidence.integrity import (
    HashMismatch,
    IntegrityReport,
    Renamed,
    RunSummary,
    list_runs,
    verify_evidence,
)
from runbook_lib.evidence.ledger import EvidenceLedger
from runbook_lib.evidence.manifest import INDEX_NAME, MANIFEST_NAME, Manifest, PhaseRecord, git_commit
from runbook_lib.evidence.signing import (
    PUBLIC_KEY_NAME,
    SigningConfig,
    TrustAnchor,
    generate_ed25519_key,
    trust_from_params,
)

__all__ = [
    "CHAIN_NAME",
    "INDEX_NAME",
    "MANIFEST_NAME",
    "PUBLIC_KEY_NAME",
    "EvidenceLedger",
    "HashMismatch",
    "IntegrityReport",
    "Manifest",
    "PhaseRecord",
    "Renamed",
    "RunSummary",
    "SigningConfig",
    "TrustAnchor",
    "generate_ed25519_key",
    "git_commit",
    "list_runs",
    "trust_from_params",
    "verify_evidence",
]
