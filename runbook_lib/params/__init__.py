"""Validated run parameters: one YAML file per environment in ``params/``, secrets by reference only.

Any layer above may import from here (phases, migrate, terraform, evidence, cli); this package imports
only the leaves (``errors``, ``paths``, ``redact``). Callers use the names re-exported below.
"""

from runbook_lib.params.at_scale import AtScaleParams, DataSyncParams, DmsParams
from runbook_lib.params.cost import USAGE_KEYS, CostParams
from runbook_lib.params.fingerprint import canonical_json, diff_keys, params_hash, redacted_dict
from runbook_lib.params.formats import Allowed
from runbook_lib.params.ingest import CanaryParams, IngestCutoverParams, IngestParams
from runbook_lib.params.loading import (
    available_envs,
    load_params,
    load_params_file,
    parse_params,
    resolve_outputs_dir,
    resolve_path,
)
from runbook_lib.params.messages import dotted_key, params_error_from_validation
from runbook_lib.params.migration import BucketMapping, DatabaseMapping, MigrationParams, MongoMapping, TopicMapping
from runbook_lib.params.model import PRODUCTION_ENVS, RunbookParams
from runbook_lib.params.secret_refs import SecretRef, reject_literal_secrets, resolve_secret
from runbook_lib.params.sections import (
    DESTRUCTIVE_ACTIONS,
    GATE_ACTIONS,
    SIGNING_MODES,
    AwsParams,
    BackendParams,
    EvidenceParams,
    EvidenceSigningParams,
    GateAction,
    GateParams,
    NetworkParams,
    TerraformParams,
)

__all__ = [
    "DESTRUCTIVE_ACTIONS",
    "GATE_ACTIONS",
    "SIGNING_MODES",
    "USAGE_KEYS",
    "CostParams",
    "PRODUCTION_ENVS",
    "Allowed",
    "CanaryParams",
    "IngestCutoverParams",
    "IngestParams",
    "AtScaleParams",
    "AwsParams",
    "BackendParams",
    "BucketMapping",
    "DataSyncParams",
    "DatabaseMapping",
    "DmsParams",
    "EvidenceParams",
    "EvidenceSigningParams",
    "GateAction",
    "GateParams",
    "MigrationParams",
    "MongoMapping",
    "NetworkParams",
    "RunbookParams",
    "SecretRef",
    "TerraformParams",
    "TopicMapping",
    "available_envs",
    "canonical_json",
    "diff_keys",
    "dotted_key",
    "load_params",
    "load_params_file",
    "params_error_from_validation",
    "params_hash",
    "parse_params",
    "redacted_dict",
    "reject_literal_secrets",
    "resolve_outputs_dir",
    "resolve_path",
    "resolve_secret",
]
