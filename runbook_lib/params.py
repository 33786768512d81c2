"""Validated run parameters: one YAML file per environment in ``params/``.

Why pydantic with ``extra="forbid"`` everywhere: a typo in a params file
(``alow_destroy``) must stop the run before anything touches AWS, not be
silently ignored. Every validation problem is turned into one
:class:`~runbook_lib.errors.ParamsError` whose ``key`` is the dotted path of the
offending value (``aws.allowed_account_ids[0]``), whose ``value`` is what was
given and whose ``allowed`` says what would have been accepted, so the notebook,
the CLI and the tests can all point at the exact line to fix.

Secrets never live in params files: a value is either a :class:`SecretRef`
(environment variable, Secrets Manager, SSM Parameter Store, or a service of the
local sandbox) or rejected. :func:`resolve_secret` turns a reference into a
value at the last moment and registers it with the process-wide redactor so it
never reaches evidence in clear.

Relative paths in a params file (``terraform.stacks_dir``, ``evidence.outputs_dir``
…) are relative to the project root, the folder that holds ``params/``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from runbook_lib import redact
from runbook_lib.errors import ParamsError
from runbook_lib.paths import params_dir as params_dir_default
from runbook_lib.paths import project_root

log = logging.getLogger("runbook_lib.params")

#: Environment names treated as production by the cross-field rules.
PRODUCTION_ENVS = frozenset({"prod", "production"})

#: Every action a Terraform plan can contain, in the spelling ``terraform show -json`` uses.
GateAction = Literal["no-op", "create", "update", "read", "delete", "replace"]
GATE_ACTIONS: tuple[str, ...] = typing.get_args(GateAction)
DESTRUCTIVE_ACTIONS = frozenset({"delete", "replace"})
_DEFAULT_AUTO_APPROVE: tuple[GateAction, ...] = ("no-op", "read")


# --------------------------------------------------------------------------------------------
# Field formats. Each check raises a PydanticCustomError whose context carries ``allowed``, the
# phrase ParamsError reports; the regexes are over operator input, not over tool output.
# --------------------------------------------------------------------------------------------
def _format_error(allowed: str) -> PydanticCustomError:
    return PydanticCustomError("params_format", "must be {allowed}", {"allowed": allowed})


def _matching(pattern: str, allowed: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise _format_error(allowed)
        return value

    return check


REGION_ALLOWED = "an AWS region name such as eu-west-1 or us-gov-west-1"
ACCOUNT_ALLOWED = "a 12-digit AWS account ID as a quoted string, e.g. '111111111111'"
ENDPOINT_ALLOWED = "null (real AWS), 'sandbox', or an http(s)://host[:port] URL without credentials"
BUCKET_ALLOWED = (
    "an S3 bucket name: 3-63 characters, lowercase letters, digits, '.' and '-', starting and ending "
    "with a letter or digit, no '..', not an IP address, "
    "no 'xn--'/'sthree-' prefix or '-s3alias'/'--ol-s3' suffix"
)
TF_ADDRESS_ALLOWED = (
    'a Terraform resource address such as module.db.aws_db_instance.this or aws_s3_bucket.raw["x"]'
)
CIDR_ALLOWED = "an IPv4 or IPv6 network in CIDR notation with no host bits set, e.g. 10.20.0.0/16"

_REGION_RE = (
    r"[a-z]{2}(-gov|-iso[a-z]?)?"
    r"-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}"
)
_TF_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_TF_INDEX = r"(\[(\d+|\"[^\"]*\")\])?"
_TF_ADDRESS_RE = rf"(module\.{_TF_NAME}{_TF_INDEX}\.)*(data\.)?{_TF_NAME}\.{_TF_NAME}{_TF_INDEX}"


def _check_bucket(value: str) -> str:
    ok = (
        3 <= len(value) <= 63
        and re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", value) is not None
        and ".." not in value
        and ".-" not in value
        and "-." not in value
        and not value.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        and not value.endswith(("-s3alias", "--ol-s3", "--x-s3", ".mrap"))
    )
    if ok:
        try:
            ipaddress.IPv4Address(value)
            ok = False
        except ValueError:
            pass
    if not ok:
        raise _format_error(BUCKET_ALLOWED)
    return value


def _check_endpoint(value: str) -> str:
    if value == "sandbox":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise _format_error(ENDPOINT_ALLOWED)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _format_error(ENDPOINT_ALLOWED) from None
    return value


def _check_cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise _format_error(CIDR_ALLOWED) from None
    if "/" not in value:
        raise _format_error(CIDR_ALLOWED)
    return value


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise _format_error(f"{REGEX_ALLOWED} ({error})") from None
    return value


def _check_relative_or_absolute_path(value: Path) -> Path:
    if str(value).strip() == "":
        raise _format_error(PATH_ALLOWED)
    return value


class Allowed:
    """Annotated marker: the phrase ParamsError reports as ``allowed`` for a type (pydantic ignores it)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Allowed({self.text!r})"


ENV_NAME_ALLOWED = "lowercase letters, digits and '-', e.g. staging"
ROLE_ARN_ALLOWED = "an IAM role ARN, e.g. arn:aws:iam::111111111111:role/runbook"
DYNAMO_ALLOWED = "a DynamoDB table name: 3-255 of A-Z a-z 0-9 _ . -"
STATE_PREFIX_ALLOWED = "an S3 key prefix without leading/trailing '/'"
S3_PREFIX_ALLOWED = "an S3 key prefix without a leading '/', or empty for all"
PG_NAME_ALLOWED = "a PostgreSQL identifier (max 63 characters)"
MONGO_NAME_ALLOWED = 'a MongoDB database name without /\\. "$*<>:|?'
TOPIC_ALLOWED = "a Kafka topic name: 1-249 of A-Z a-z 0-9 . _ -"
ENV_VAR_ALLOWED = "an environment variable name, e.g. PG_SOURCE_DSN"
SM_ARN_ALLOWED = (
    "a Secrets Manager secret ARN, e.g. arn:aws:secretsmanager:eu-west-1:111111111111:secret:pg-AbCdEf"
)
SSM_ALLOWED = "an SSM parameter name, e.g. /runbook/prod/pg-dsn"
SANDBOX_SERVICE_ALLOWED = "a sandbox service name, e.g. postgres-source"
REGEX_ALLOWED = "a valid Python regular expression"
PATH_ALLOWED = "a non-empty path"

# Written out as Annotated[...] (not built by a helper) so type checkers see them as type aliases.
Region = Annotated[str, AfterValidator(_matching(_REGION_RE, REGION_ALLOWED)), Allowed(REGION_ALLOWED)]
AccountId = Annotated[str, AfterValidator(_matching(r"\d{12}", ACCOUNT_ALLOWED)), Allowed(ACCOUNT_ALLOWED)]
EndpointUrl = Annotated[str, AfterValidator(_check_endpoint), Allowed(ENDPOINT_ALLOWED)]
BucketName = Annotated[str, AfterValidator(_check_bucket), Allowed(BUCKET_ALLOWED)]
TfAddress = Annotated[
    str, AfterValidator(_matching(_TF_ADDRESS_RE, TF_ADDRESS_ALLOWED)), Allowed(TF_ADDRESS_ALLOWED)
]
Cidr = Annotated[str, AfterValidator(_check_cidr), Allowed(CIDR_ALLOWED)]
RegexPattern = Annotated[str, AfterValidator(_check_regex), Allowed(REGEX_ALLOWED)]
EnvName = Annotated[
    str, AfterValidator(_matching(r"[a-z][a-z0-9-]{0,31}", ENV_NAME_ALLOWED)), Allowed(ENV_NAME_ALLOWED)
]
RoleArn = Annotated[
    str,
    AfterValidator(
        _matching(r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}", ROLE_ARN_ALLOWED)
    ),
    Allowed(ROLE_ARN_ALLOWED),
]
DynamoTableName = Annotated[
    str, AfterValidator(_matching(r"[A-Za-z0-9_.-]{3,255}", DYNAMO_ALLOWED)), Allowed(DYNAMO_ALLOWED)
]
StateKeyPrefix = Annotated[
    str,
    AfterValidator(_matching(r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*", STATE_PREFIX_ALLOWED)),
    Allowed(STATE_PREFIX_ALLOWED),
]
S3Prefix = Annotated[
    str, AfterValidator(_matching(r"([^/\s][^\s]*)?", S3_PREFIX_ALLOWED)), Allowed(S3_PREFIX_ALLOWED)
]
PgName = Annotated[
    str, AfterValidator(_matching(r"[A-Za-z_][A-Za-z0-9_$]{0,62}", PG_NAME_ALLOWED)), Allowed(PG_NAME_ALLOWED)
]
MongoDbName = Annotated[
    str,
    AfterValidator(_matching(r"[^/\\. \"$*<>:|?]{1,63}", MONGO_NAME_ALLOWED)),
    Allowed(MONGO_NAME_ALLOWED),
]
TopicName = Annotated[
    str, AfterValidator(_matching(r"[A-Za-z0-9._-]{1,249}", TOPIC_ALLOWED)), Allowed(TOPIC_ALLOWED)
]
EnvVarName = Annotated[
    str, AfterValidator(_matching(r"[A-Za-z_][A-Za-z0-9_]*", ENV_VAR_ALLOWED)), Allowed(ENV_VAR_ALLOWED)
]
SecretsManagerArn = Annotated[
    str,
    AfterValidator(
        _matching(
            r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+", SM_ARN_ALLOWED
        )
    ),
    Allowed(SM_ARN_ALLOWED),
]
SsmParameterName = Annotated[
    str, AfterValidator(_matching(r"/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", SSM_ALLOWED)), Allowed(SSM_ALLOWED)
]
SandboxService = Annotated[
    str,
    AfterValidator(_matching(r"[a-z0-9][a-z0-9-]*", SANDBOX_SERVICE_ALLOWED)),
    Allowed(SANDBOX_SERVICE_ALLOWED),
]
PositivePath = Annotated[Path, AfterValidator(_check_relative_or_absolute_path), Allowed(PATH_ALLOWED)]

DATASYNC_AGENT_ALLOWED = (
    "a DataSync agent ARN, e.g. arn:aws:datasync:eu-west-1:111111111111:agent/agent-0123456789abcdef0"
)
HOSTNAME_ALLOWED = "a host name or IPv4 address without scheme, port or path, e.g. minio.internal.example"
DMS_INSTANCE_CLASS_ALLOWED = "a DMS replication instance class, e.g. dms.t3.medium or dms.r5.xlarge"
DMS_SUBNET_GROUP_ALLOWED = (
    "a DMS replication subnet group identifier: 1-255 of letters, digits, '.', '_', '-', not 'default'"
)
SECURITY_GROUP_ALLOWED = "a VPC security group ID, e.g. sg-0123456789abcdef0"
DMS_CERTIFICATE_ALLOWED = "a DMS certificate ARN, e.g. arn:aws:dms:eu-west-1:111111111111:cert:RDSGLOBALBUNDLE"
_HOST_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"

DataSyncAgentArn = Annotated[
    str,
    AfterValidator(
        _matching(r"arn:aws[a-z-]*:datasync:[a-z0-9-]+:\d{12}:agent/agent-[0-9a-z]{17}", DATASYNC_AGENT_ALLOWED)
    ),
    Allowed(DATASYNC_AGENT_ALLOWED),
]
HostName = Annotated[
    str,
    AfterValidator(_matching(rf"(?=.{{1,253}}$){_HOST_LABEL}(\.{_HOST_LABEL})*", HOSTNAME_ALLOWED)),
    Allowed(HOSTNAME_ALLOWED),
]
DmsInstanceClass = Annotated[
    str,
    AfterValidator(_matching(r"dms\.[a-z][a-z0-9]*\.[0-9]*x?[a-z]+", DMS_INSTANCE_CLASS_ALLOWED)),
    Allowed(DMS_INSTANCE_CLASS_ALLOWED),
]
DmsSubnetGroup = Annotated[
    str,
    AfterValidator(_matching(r"(?!default$)[A-Za-z0-9._-]{1,255}", DMS_SUBNET_GROUP_ALLOWED)),
    Allowed(DMS_SUBNET_GROUP_ALLOWED),
]
SecurityGroupId = Annotated[
    str,
    AfterValidator(_matching(r"sg-([0-9a-f]{8}|[0-9a-f]{17})", SECURITY_GROUP_ALLOWED)),
    Allowed(SECURITY_GROUP_ALLOWED),
]
DmsCertificateArn = Annotated[
    str,
    AfterValidator(
        _matching(r"arn:aws[a-z-]*:dms:[a-z0-9-]+:\d{12}:cert:[A-Za-z0-9-]{1,255}", DMS_CERTIFICATE_ALLOWED)
    ),
    Allowed(DMS_CERTIFICATE_ALLOWED),
]


class _Strict(BaseModel):
    """Base for every params model: unknown keys are errors, values are immutable after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------
class SecretRef(_Strict):
    """Where a secret lives; exactly one source is set. The value itself never appears in params.

    ``json_key`` picks one member when the stored secret is a JSON object (RDS-managed secrets are).
    """

    env: EnvVarName | None = None
    secretsmanager_arn: SecretsManagerArn | None = None
    ssm_parameter: SsmParameterName | None = None
    sandbox: SandboxService | None = None
    json_key: str | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> SecretRef:
        sources = [
            name for name in ("env", "secretsmanager_arn", "ssm_parameter", "sandbox") if getattr(self, name)
        ]
        if len(sources) != 1:
            raise PydanticCustomError(
                "params_rule",
                "exactly one secret source",
                {
                    "allowed": "exactly one of env, secretsmanager_arn, ssm_parameter, sandbox",
                    "given": sources,
                },
            )
        return self

    @property
    def kind(self) -> str:
        """Which source is set: ``env``, ``secretsmanager_arn``, ``ssm_parameter`` or ``sandbox``."""
        for name in ("env", "secretsmanager_arn", "ssm_parameter", "sandbox"):
            if getattr(self, name):
                return name
        raise AssertionError("validated SecretRef without a source")  # pragma: no cover

    def describe(self) -> str:
        """``kind:name`` for messages and evidence, e.g. ``env:PG_SOURCE_DSN``."""
        return f"{self.kind}:{getattr(self, self.kind)}" + (f"#{self.json_key}" if self.json_key else "")


class AwsParams(_Strict):
    """Which AWS (or sandbox) the run talks to, and how patiently."""

    region: Region
    profile: str | None = None
    assume_role_arn: RoleArn | None = None
    allowed_account_ids: list[AccountId] = Field(default_factory=list)
    endpoint_url: EndpointUrl | None = None
    connect_timeout: float = Field(default=5.0, gt=0, le=300)
    max_attempts: int = Field(default=3, ge=1, le=10)


class BackendParams(_Strict):
    """The S3 backend that holds Terraform state; ``region`` defaults to ``aws.region``.

    ``lock_table`` is optional: Terraform >= 1.10 can lock with an S3 lock file instead.
    """

    bucket: BucketName
    lock_table: DynamoTableName | None = None
    key_prefix: StateKeyPrefix = "runbook"
    region: Region | None = None


class TerraformParams(_Strict):
    """How Terraform is driven. ``env_dir`` defaults to ``terraform_infra/envs/<env>``."""

    binary: Literal["auto", "terraform", "tofu"] = "auto"
    stacks_dir: PositivePath = Path("terraform_infra/stacks")
    env_dir: PositivePath | None = None
    backend: BackendParams | None = None
    var_files: list[PositivePath] = Field(default_factory=list)
    allow_destroy: list[TfAddress] = Field(default_factory=list)
    plan_timeout_s: int = Field(default=900, gt=0, le=24 * 3600)
    apply_timeout_s: int = Field(default=3600, gt=0, le=24 * 3600)


class GateParams(_Strict):
    """Approval gates. Headless: a plan passes only if all its actions are in ``auto_approve_actions``."""

    mode: Literal["interactive", "headless"] = "interactive"
    auto_approve_actions: list[GateAction] = Field(default_factory=lambda: list(_DEFAULT_AUTO_APPROVE))
    approver: str | None = None


class BucketMapping(_Strict):
    """Copy ``source_bucket``/``prefix`` (self-hosted, S3 API) into ``target_bucket`` (AWS)."""

    source_bucket: BucketName
    target_bucket: BucketName
    prefix: S3Prefix = ""


class DatabaseMapping(_Strict):
    """Copy the PostgreSQL database ``name`` with ``jobs`` parallel dump/restore workers."""

    name: PgName
    source_dsn_ref: SecretRef
    target_dsn_ref: SecretRef
    jobs: int = Field(default=2, ge=1, le=64)


class MongoMapping(_Strict):
    """Copy MongoDB database ``name`` (all collections unless listed) to ``target_name`` (default: same)."""

    name: MongoDbName
    source_uri_ref: SecretRef
    target_uri_ref: SecretRef
    target_name: MongoDbName | None = None
    collections: list[str] = Field(default_factory=list)


class TopicMapping(_Strict):
    """Mirror Kafka topic ``source_topic`` to ``target_topic`` (default: same name).

    Bootstrap addresses are references because real clusters embed SASL credentials in them and the
    sandbox ones are only known while it runs.
    """

    source_topic: TopicName
    target_topic: TopicName | None = None
    source_bootstrap_ref: SecretRef
    target_bootstrap_ref: SecretRef


class DataSyncParams(_Strict):
    """What the DataSync object path needs and cannot guess (see ``runbook_lib.migrate.at_scale.datasync``).

    ``server_hostname``/``server_port``/``server_protocol`` are the MinIO endpoint *as the DataSync
    agents see it* (they run next to MinIO, so it is often not the address the runbook uses).
    The MinIO keys are references only; both or neither (neither: the bucket allows anonymous reads).
    """

    bucket_access_role_arn: RoleArn
    agent_arns: list[DataSyncAgentArn] = Field(default_factory=list)
    server_hostname: HostName
    server_port: int = Field(default=443, ge=1, le=65535)
    server_protocol: Literal["HTTPS", "HTTP"] = "HTTPS"
    access_key_ref: SecretRef | None = None
    secret_key_ref: SecretRef | None = None
    storage_class: Literal[
        "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_INSTANT_RETRIEVAL",
        "DEEP_ARCHIVE",
    ] = "STANDARD"
    poll_interval_s: float = Field(default=15.0, gt=0, le=3600)
    timeout_s: float | None = Field(default=None, gt=0)


class DmsParams(_Strict):
    """What the DMS database path needs and cannot guess (see ``runbook_lib.migrate.at_scale.dms``).

    ``cdc_required``: the source cannot be frozen for the copy, so DMS is used whatever the size
    and the task keeps applying changes (``full-load-and-cdc``) until the cut-over.
    ``ssl_mode`` is the PostgreSQL endpoints'; MongoDB/DocumentDB endpoints follow their URIs' ``tls``
    option, and a TLS DocumentDB target needs ``docdb_certificate_arn`` (DMS connects with verify-full).
    """

    replication_instance_class: DmsInstanceClass
    replication_subnet_group_id: DmsSubnetGroup
    security_group_ids: list[SecurityGroupId] = Field(min_length=1)
    cdc_required: bool = False
    allocated_storage_gib: int = Field(default=50, ge=5, le=6144)
    ssl_mode: Literal["none", "require", "verify-ca", "verify-full"] = "require"
    poll_interval_s: float = Field(default=15.0, gt=0, le=3600)
    timeout_s: float = Field(default=24 * 3600.0, gt=0)
    docdb_certificate_arn: DmsCertificateArn | None = None


class AtScaleParams(_Strict):
    """The at-scale movers, used at or above ``migration.at_scale_threshold_bytes`` (either may be omitted)."""

    datasync: DataSyncParams | None = None
    dms: DmsParams | None = None


class MigrationParams(_Strict):
    """What data moves, and how much parallelism the copy may use."""

    s3: list[BucketMapping] = Field(default_factory=list)
    postgres: list[DatabaseMapping] = Field(default_factory=list)
    mongo: list[MongoMapping] = Field(default_factory=list)
    kafka: list[TopicMapping] = Field(default_factory=list)
    at_scale_threshold_bytes: int = Field(default=10 * 1024**3, gt=0)
    at_scale: AtScaleParams | None = None
    workers: int = Field(default=4, ge=1, le=64)
    #: How ``verify()`` proves objects: ``auto`` (``listing`` where the target confirmed each write's digest,
    #: else ``deep``), ``listing``, ``checksum`` (HeadObject per object, metadata too) or ``deep`` (re-read all).
    s3_verify_mode: Literal["auto", "listing", "checksum", "deep"] = "auto"

    @model_validator(mode="after")
    def _minio_keys_together(self) -> MigrationParams:
        datasync = self.at_scale.datasync if self.at_scale else None
        if datasync and (datasync.access_key_ref is None) != (datasync.secret_key_ref is None):
            missing = "secret_key_ref" if datasync.secret_key_ref is None else "access_key_ref"
            raise _rule_error(
                f"migration.at_scale.datasync.{missing}",
                None,
                "both access_key_ref and secret_key_ref (MinIO's keys), or neither for anonymous reads",
            )
        return self

    @model_validator(mode="after")
    def _unique_targets(self) -> MigrationParams:
        seen: dict[str, int] = {}
        for index, mapping in enumerate(self.s3):
            key = f"{mapping.target_bucket}/{mapping.prefix}"
            if key in seen:
                raise _rule_error(
                    f"migration.s3[{index}].target_bucket",
                    mapping.target_bucket,
                    f"a target not already used by migration.s3[{seen[key]}]",
                )
            seen[key] = index
        return self


class EvidenceParams(_Strict):
    """Where evidence goes and what else to redact (regexes; a group named ``secret`` limits the mask)."""

    outputs_dir: PositivePath = Path("outputs")
    html_export: bool = True
    redact_patterns: list[RegexPattern] = Field(default_factory=list)


class NetworkParams(_Strict):
    """Address ranges of the self-hosted platform, for stacks that open ingress or routes to it (optional)."""

    source_cidrs: list[Cidr] = Field(default_factory=list)


class RunbookParams(_Strict):
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
                raise _rule_error(
                    "aws.assume_role_arn",
                    self.aws.assume_role_arn,
                    f"a role in one of aws.allowed_account_ids ({', '.join(self.aws.allowed_account_ids)})",
                )
        if self.is_production:
            if self.aws.endpoint_url is not None:
                raise _rule_error(
                    "aws.endpoint_url", self.aws.endpoint_url, "null in production (real AWS only)"
                )
            if not self.aws.allowed_account_ids:
                raise _rule_error(
                    "aws.allowed_account_ids", [], "at least one 12-digit account ID in production"
                )
            if self.gates.mode == "headless":
                destructive = sorted(DESTRUCTIVE_ACTIONS & set(self.gates.auto_approve_actions))
                if destructive:
                    raise _rule_error(
                        "gates.auto_approve_actions",
                        list(self.gates.auto_approve_actions),
                        "no delete/replace auto-approval in headless production; "
                        f"allowed: {', '.join(a for a in GATE_ACTIONS if a not in DESTRUCTIVE_ACTIONS)}",
                    )
        datasync = self.migration.at_scale.datasync if self.migration.at_scale else None
        if datasync and not datasync.agent_arns and not self.is_sandbox:
            raise _rule_error(
                "migration.at_scale.datasync.agent_arns",
                [],
                f"at least one DataSync agent ARN that reaches the source store ({DATASYNC_AGENT_ALLOWED}); "
                "only the sandbox (moto, no object-storage location) runs without agents",
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.env in PRODUCTION_ENVS

    @property
    def is_sandbox(self) -> bool:
        return self.aws.endpoint_url == "sandbox"


def _rule_error(key: str, value: Any, allowed: str) -> PydanticCustomError:
    """A cross-field rule failure; ``key`` rides in the context because pydantic places it at the root."""
    return PydanticCustomError("params_rule", "{allowed}", {"key": key, "value": value, "allowed": allowed})


# --------------------------------------------------------------------------------------------
# Loading and error conversion
# --------------------------------------------------------------------------------------------
def available_envs(params_dir: Path | None = None) -> list[str]:
    """Environment names that have a params file."""
    directory = params_dir or params_dir_default()
    return sorted(p.stem for p in directory.glob("*.yaml")) if directory.is_dir() else []


def load_params(env: str, params_dir: Path | None = None) -> RunbookParams:
    """Read and validate ``params/<env>.yaml``.

    Args:
        env: environment name (the file stem).
        params_dir: folder of params files; defaults to the project's ``params/``.

    Returns:
        The validated parameters. The configured ``evidence.redact_patterns`` are added to the
        process-wide redactor as a side effect, so any process that loads params also hides what
        they say to hide.

    Raises:
        ParamsError: unknown environment, unreadable YAML, or any invalid value (``key`` is its dotted path).
    """
    directory = params_dir or params_dir_default()
    envs = available_envs(directory)
    if env not in envs:
        raise ParamsError(
            "env", env, envs or [f"(no *.yaml files in {directory})"], message=f"unknown env {env!r}"
        )
    return load_params_file(directory / f"{env}.yaml", env=env)


def load_params_file(path: str | Path, *, env: str | None = None) -> RunbookParams:
    """Read and validate one params file (notebooks get its path as the ``params_file`` parameter).

    Args:
        path: the YAML file.
        env: if given, the file's ``env`` must equal it.

    Raises:
        ParamsError: as :func:`load_params`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ParamsError(
            "params_file", str(path), "a readable YAML file", message=f"cannot read {path}: {error}"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParamsError(
            "params_file", str(path), "valid YAML", message=f"{path} is not valid YAML{where}: {error}"
        ) from None
    if not isinstance(data, dict):
        raise ParamsError(
            "params_file", str(path), "a YAML mapping with env, aws, terraform, gates, migration, evidence"
        )
    if env is not None and data.get("env") != env:
        raise ParamsError(
            "env",
            data.get("env"),
            [env],
            message=f"{path.name} says env={data.get('env')!r}, expected {env!r}",
        )
    params = parse_params(data)
    redact.add_patterns(params.evidence.redact_patterns)
    return params


def parse_params(data: Mapping[str, Any]) -> RunbookParams:
    """Validate an already-parsed mapping (what :func:`load_params_file` does after YAML).

    Raises:
        ParamsError: for a literal secret (checked first, so the secret is never echoed) or any invalid value.
    """
    reject_literal_secrets(data)
    try:
        return RunbookParams.model_validate(data)
    except ValidationError as error:
        raise params_error_from_validation(error, RunbookParams) from None


_URL_PASSWORD_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:[^\s@/]+@")
_LIBPQ_PASSWORD_RE = re.compile(r"\bpass(word|wd)\s*=", re.IGNORECASE)
#: Keys whose values are regular expressions (and so may legitimately mention ``password=``).
_PATTERN_KEYS = frozenset({"redact_patterns"})


def reject_literal_secrets(data: Any, path: str = "") -> None:
    """Raise :class:`ParamsError` at the first literal secret in raw params data.

    A literal secret is a plain value under a key named like a secret (``password``, ``api_token``,
    ``aws_secret_access_key`` …) or any string holding a DSN/URL with a password or a libpq
    ``password=``. The error's ``value`` is redacted: the secret must not travel further in a message.
    """
    if isinstance(data, Mapping):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            if str(key) in _PATTERN_KEYS:
                continue
            if (
                isinstance(key, str)
                and redact.is_secret_key(key)
                and isinstance(value, (str, int, float, bytes))
            ):
                if value not in ("", None):
                    raise ParamsError(
                        child,
                        redact.MASK,
                        "a secret reference, e.g. {env: NAME} | {secretsmanager_arn: ARN} | "
                        "{ssm_parameter: NAME} | {sandbox: SERVICE}",
                        message=f"literal secret in {child}: params files may only reference secrets",
                    )
            reject_literal_secrets(value, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            reject_literal_secrets(value, f"{path}[{index}]")
    elif isinstance(data, str):
        if _URL_PASSWORD_RE.search(data) or _LIBPQ_PASSWORD_RE.search(data):
            raise ParamsError(
                path or "<root>",
                redact.get_redactor().redact_text(data),
                "a value without an embedded password; put the DSN in a secret and reference it "
                "with a SecretRef",
                message=f"{path} embeds a password",
            )


def params_error_from_validation(error: ValidationError, model: type[BaseModel]) -> ParamsError:
    """Turn pydantic's first error into a ParamsError naming the dotted key; count the others."""
    problems = error.errors(include_url=False)
    first = problems[0]
    loc = tuple(first.get("loc", ()))
    ctx = first.get("ctx") or {}
    kind = first.get("type", "")
    if kind == "params_rule" and "key" in ctx:
        key = ctx["key"]
        value = ctx.get("value")
    else:
        key = dotted_key(loc) or "<root>"
        value = None if kind == "missing" else first.get("input")
    if kind == "extra_forbidden":
        allowed: str | list[str] = _fields_at(model, loc[:-1])
        message = f"unknown key {key}"
    elif kind == "missing":
        allowed = f"required ({_describe(model, loc)})"
        message = f"missing required key {key}"
    else:
        allowed = ctx.get("allowed") or _describe(model, loc) or first.get("msg", "")
        message = f"bad parameter {key}={redact.redact_obj(value)!r}"
    if len(problems) > 1:
        others = [dotted_key(tuple(p.get("loc", ()))) or "<root>" for p in problems[1:]]
        message += f" (and {len(others)} more: {', '.join(others[:5])}{' …' if len(others) > 5 else ''})"
    return ParamsError(key, redact.redact_obj(value), allowed, message=message)


def dotted_key(loc: Sequence[Any]) -> str:
    """``('aws', 'allowed_account_ids', 0)`` -> ``aws.allowed_account_ids[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated/Optional to the core type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _walk(model: type[BaseModel], loc: Sequence[Any]) -> tuple[Any, Any]:
    """The (annotation, FieldInfo) at ``loc`` below ``model``; (None, None) where it cannot be followed."""
    annotation: Any = model
    field_info = None
    for part in loc:
        core = _unwrap(annotation)
        if isinstance(part, int):
            if typing.get_origin(core) is list:
                annotation = typing.get_args(core)[0]
                continue
            return None, None
        if isinstance(core, type) and issubclass(core, BaseModel) and part in core.model_fields:
            field_info = core.model_fields[part]
            annotation = field_info.annotation
            # keep metadata (Annotated constraints) attached
            if field_info.metadata:
                annotation = Annotated[(annotation, *field_info.metadata)]
            continue
        return None, None
    return annotation, field_info


def _fields_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    annotation, _ = _walk(model, loc)
    core = _unwrap(annotation) if annotation is not None else None
    if isinstance(core, type) and issubclass(core, BaseModel):
        return list(core.model_fields)
    return []


def _describe(model: type[BaseModel], loc: Sequence[Any]) -> str:
    """What the field at ``loc`` accepts: an :class:`Allowed` phrase, Literal choices, bounds, or its type."""
    annotation, _ = _walk(model, loc)
    if annotation is None:
        return ""
    bounds: list[str] = []
    current = annotation
    while True:
        origin = typing.get_origin(current)
        if origin is Annotated:
            args = typing.get_args(current)
            for meta in args[1:]:
                if isinstance(meta, Allowed):
                    return meta.text
                for attr, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
                    if getattr(meta, attr, None) is not None:
                        bounds.append(f"{sign} {getattr(meta, attr)}")
            current = args[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(current) if a is not type(None)]
            if len(members) == 1:
                current = members[0]
                continue
        break
    core = current
    if typing.get_origin(core) is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(core)))
    if isinstance(core, type) and issubclass(core, BaseModel):
        return f"a mapping with keys {', '.join(core.model_fields)}"
    if typing.get_origin(core) is list:
        return "a list"
    type_name = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}.get(
        getattr(core, "__name__", ""), getattr(core, "__name__", str(core))
    )
    return f"{type_name} {' and '.join(bounds)}".strip()


# --------------------------------------------------------------------------------------------
# Hashing and evidence
# --------------------------------------------------------------------------------------------
def canonical_json(params: RunbookParams) -> str:
    """The parameters as canonical JSON (sorted keys, no spaces): the input of :func:`params_hash`."""
    return json.dumps(
        params.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def params_hash(params: RunbookParams) -> str:
    """sha256 of the canonical JSON; a resumed run must have the same hash as the run it continues."""
    return hashlib.sha256(canonical_json(params).encode("utf-8")).hexdigest()


def redacted_dict(params: RunbookParams) -> dict[str, Any]:
    """The parameters as plain JSON values, passed through the redactor, for the evidence manifest."""
    return redact.redact_obj(params.model_dump(mode="json"))


def diff_keys(old: Any, new: Any, path: str = "") -> list[str]:
    """Dotted keys whose values differ between two JSON-like parameter dicts (for resume refusals)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(child)
            else:
                out.extend(diff_keys(old[key], new[key], child))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(diff_keys(a, b, f"{path}[{index}]"))
        return out
    return [] if old == new else [path or "<root>"]


def resolve_path(path: Path, root: Path | None = None) -> Path:
    """A params path made absolute: relative paths are relative to the project root."""
    return path if path.is_absolute() else (root or project_root()) / path


def resolve_outputs_dir(params: RunbookParams, params_dir: Path | None = None) -> Path:
    """``evidence.outputs_dir`` made absolute the way ``runbook run`` does it.

    Why relative to the parent of the params folder rather than to :func:`project_root`: with
    ``RUNBOOK_PARAMS_DIR`` (or ``--params-dir``) pointing at another checkout or a test's folder, the run
    folders — and the migration checkpoints that live beside them — belong to that tree, not to this one.
    For the project's own ``params/`` both are the same folder.

    Args:
        params: the validated parameters.
        params_dir: the folder the params file was read from (default :func:`runbook_lib.paths.params_dir`).
    """
    base = (params_dir or params_dir_default()).resolve().parent
    return resolve_path(params.evidence.outputs_dir, base).resolve()


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------
def resolve_secret(
    ref: SecretRef,
    *,
    sandbox_resolver: Callable[[str], str] | None = None,
    session: Any | None = None,
    endpoint_url: str | None = None,
) -> str:
    """Fetch a secret's value and register it (and any password inside it) with the redactor.

    Args:
        ref: where the secret lives.
        sandbox_resolver: called with the service name for ``sandbox`` references (the running
            sandbox supplies it); required for those.
        session: a boto3 ``Session`` (or anything with ``.client(name, **kw)``) for Secrets Manager/SSM;
            a default session when omitted.
        endpoint_url: AWS endpoint for Secrets Manager/SSM (the sandbox's moto), None for real AWS.

    Returns:
        The secret value. Never log it: it is already registered, but do not rely on that.

    Raises:
        ParamsError: the referenced variable/secret/parameter does not exist or cannot be read.
    """
    kind = ref.kind
    name = getattr(ref, kind)
    if kind == "env":
        value = os.environ.get(name)
        if value is None:
            raise ParamsError(
                "env",
                name,
                "the name of a set environment variable",
                message=f"environment variable {name} is not set",
            )
    elif kind == "sandbox":
        if sandbox_resolver is None:
            raise ParamsError(
                "sandbox",
                name,
                "a sandbox_resolver (the running sandbox) to resolve sandbox references",
                message=f"cannot resolve sandbox:{name} without the sandbox",
            )
        value = sandbox_resolver(name)
    else:
        value = _resolve_aws_secret(kind, name, session=session, endpoint_url=endpoint_url)
    raw = value
    if ref.json_key:
        try:
            document = json.loads(value)
            value = str(document[ref.json_key])
        except (ValueError, KeyError, TypeError):
            redact.register_secret(raw)
            raise ParamsError(
                "json_key",
                ref.json_key,
                "a member of the JSON object stored in the secret",
                message=f"{ref.describe()} is not a JSON object with member {ref.json_key!r}",
            ) from None
        redact.register_secret(raw)
    _register_with_parts(value)
    return value


def _register_with_parts(value: str) -> None:
    """Register the value, and separately a password embedded in it (it may be printed alone later)."""
    redact.register_secret(value)
    try:
        parts = urlsplit(value)
        if parts.scheme and parts.password:
            redact.register_secret(parts.password)
    except ValueError:
        pass
    match = re.search(r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|[^\s]+)", value, re.IGNORECASE)
    if match:
        redact.register_secret(match.group(1).strip("'"))


def _resolve_aws_secret(kind: str, name: str, *, session: Any | None, endpoint_url: str | None) -> str:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = session or boto3.Session()
    kwargs = {"endpoint_url": endpoint_url} if endpoint_url else {}
    try:
        if kind == "secretsmanager_arn":
            response = session.client("secretsmanager", **kwargs).get_secret_value(SecretId=name)
            if "SecretString" in response:
                return str(response["SecretString"])
            return bytes(response["SecretBinary"]).decode("utf-8")
        response = session.client("ssm", **kwargs).get_parameter(Name=name, WithDecryption=True)
        return str(response["Parameter"]["Value"])
    except (ClientError, BotoCoreError) as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        raise ParamsError(
            kind,
            name,
            "an existing secret the current credentials may read",
            message=f"cannot read {kind} {name}: {code}",
        ) from None
