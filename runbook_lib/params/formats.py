"""Field formats of the params files: each type says in words what it accepts and checks it.

Why a phrase beside every check: a wrong value must be reported with what *would* have been accepted
(:class:`~runbook_lib.errors.ParamsError` ``allowed``), so the phrase and the check that enforces it are
written once, side by side, in one :class:`Allowed` marker. The regexes are over operator input, not
over tool output.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError, core_schema


def format_error(allowed: str) -> PydanticCustomError:
    """A failed format check; its context carries ``allowed``, the phrase ParamsError reports."""
    return PydanticCustomError("params_format", "must be {allowed}", {"allowed": allowed})


def rule_error(key: str, value: Any, allowed: str) -> PydanticCustomError:
    """A cross-field rule failure; ``key`` rides in the context because pydantic places it at the root."""
    return PydanticCustomError("params_rule", "{allowed}", {"key": key, "value": value, "allowed": allowed})


def refuse_repeats(key: str, entries: Iterable[tuple[Hashable, Any]], allowed: str) -> None:
    """Refuse the first entry ``(identity, value)`` whose identity an earlier entry already has.

    For lists whose entries may not name one thing twice (two mappings writing one target, an approver listed
    twice): ``key`` is the refused entry's dotted key with ``{index}`` for its place; ``allowed`` may name the
    earlier entry's place as ``{first}``.
    """
    seen: dict[Hashable, int] = {}
    for index, (identity, value) in enumerate(entries):
        if identity in seen:
            raise rule_error(key.format(index=index), value, allowed.format(first=seen[identity]))
        seen[identity] = index


class Allowed:
    """Annotated metadata: what a field accepts, in words, and (optionally) the check that enforces it.

    ParamsError reports ``text`` as ``allowed``. Pydantic runs the check after its own type validation
    (``str``, ``Path``): ``pattern`` must match the whole value; ``check`` is for what a regex cannot
    say and returns False to reject the value with ``text`` (or raises :func:`format_error` itself
    with a more precise phrase).
    """

    def __init__(self, text: str, *, pattern: str | None = None, check: Callable[[Any], bool] | None = None) -> None:
        self.text = text
        self.pattern = re.compile(pattern) if pattern is not None else None
        self.check = check

    def __repr__(self) -> str:
        return f"Allowed({self.text!r})"

    def __get_pydantic_core_schema__(self, source_type: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source_type)
        if self.pattern is None and self.check is None:
            return schema
        return core_schema.no_info_after_validator_function(self._validate, schema)

    def _validate(self, value: Any) -> Any:
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise format_error(self.text)
        if self.check is not None and not self.check(value):
            raise format_error(self.text)
        return value


class StrictModel(BaseModel):
    """Base for every params model: unknown keys are errors, values are immutable after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------------------------
# What each format accepts, in the words ParamsError reports.
# --------------------------------------------------------------------------------------------
REGION_ALLOWED = "an AWS region name such as eu-west-1 or us-gov-west-1"
ACCOUNT_ALLOWED = "a 12-digit AWS account ID as a quoted string, e.g. '111111111111'"
ENDPOINT_ALLOWED = "null (real AWS), 'sandbox', or an http(s)://host[:port] URL without credentials"
BUCKET_ALLOWED = (
    "an S3 bucket name: 3-63 characters, lowercase letters, digits, '.' and '-', starting and ending "
    "with a letter or digit, no '..', not an IP address, "
    "no 'xn--'/'sthree-' prefix or '-s3alias'/'--ol-s3' suffix"
)
TF_ADDRESS_ALLOWED = 'a Terraform resource address such as module.db.aws_db_instance.this or aws_s3_bucket.raw["x"]'
CIDR_ALLOWED = "an IPv4 or IPv6 network in CIDR notation with no host bits set, e.g. 10.20.0.0/16"
ENV_NAME_ALLOWED = "lowercase letters, digits and '-', e.g. staging"
ROLE_ARN_ALLOWED = "an IAM role ARN, e.g. arn:aws:iam::111111111111:role/runbook"
DYNAMO_ALLOWED = "a DynamoDB table name: 3-255 of A-Z a-z 0-9 _ . -"
STATE_PREFIX_ALLOWED = "an S3 key prefix without leading/trailing '/'"
S3_PREFIX_ALLOWED = "an S3 key prefix without a leading '/', or empty for all"
PG_NAME_ALLOWED = "a PostgreSQL identifier (max 63 characters)"
MONGO_NAME_ALLOWED = 'a MongoDB database name without /\\. "$*<>:|?'
TOPIC_ALLOWED = "a Kafka topic name: 1-249 of A-Z a-z 0-9 . _ -"
ENV_VAR_ALLOWED = "an environment variable name, e.g. PG_SOURCE_DSN"
SM_ARN_ALLOWED = "a Secrets Manager secret ARN, e.g. arn:aws:secretsmanager:eu-west-1:111111111111:secret:pg-AbCdEf"
SSM_ALLOWED = "an SSM parameter name, e.g. /runbook/prod/pg-dsn"
SANDBOX_SERVICE_ALLOWED = "a sandbox service name, e.g. postgres-source"
REGEX_ALLOWED = "a valid Python regular expression"
PATH_ALLOWED = "a non-empty path"
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
KMS_KEY_ALLOWED = (
    "a KMS key ID, key ARN, alias name or alias ARN, e.g. alias/runbook-evidence-prod or "
    "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)


# --------------------------------------------------------------------------------------------
# The checks: regexes where a regex says it, functions where it does not.
# --------------------------------------------------------------------------------------------
def _arn(service: str, resource: str, *, regional: bool = True) -> str:
    """The regex of an ARN of ``service`` (any partition) whose resource part matches ``resource``."""
    return rf"arn:aws[a-z-]*:{service}:{'[a-z0-9-]+' if regional else ''}:\d{{12}}:{resource}"


_REGION_RE = (
    r"[a-z]{2}(-gov|-iso[a-z]?)?"
    r"-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}"
)
_TF_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_TF_INDEX = r"(\[(\d+|\"[^\"]*\")\])?"
_TF_ADDRESS_RE = rf"(module\.{_TF_NAME}{_TF_INDEX}\.)*(data\.)?{_TF_NAME}\.{_TF_NAME}{_TF_INDEX}"
_HOST_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME_RE = rf"(?=.{{1,253}}$){_HOST_LABEL}(\.{_HOST_LABEL})*"
_STATE_PREFIX_RE = r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*"
_ROLE_ARN_RE = _arn("iam", r"role/[A-Za-z0-9+=,.@_/-]{1,512}", regional=False)
_SM_ARN_RE = _arn("secretsmanager", r"secret:[A-Za-z0-9/_+=.@-]+")
_DATASYNC_AGENT_RE = _arn("datasync", r"agent/agent-[0-9a-z]{17}")
_DMS_CERTIFICATE_RE = _arn("dms", r"cert:[A-Za-z0-9-]{1,255}")
_KMS_KEY_ID = r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_KMS_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
_KMS_KEY_RE = rf"{_KMS_KEY_ID}|{_KMS_ALIAS}|{_arn('kms', rf'(key/{_KMS_KEY_ID}|{_KMS_ALIAS})')}"


def _is_bucket_name(value: str) -> bool:
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
    return ok


def _is_endpoint(value: str) -> bool:
    if value == "sandbox":
        return True
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return False
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return True


def _is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return "/" in value


def _is_regex(value: str) -> bool:
    try:
        re.compile(value)
    except re.error as error:
        raise format_error(f"{REGEX_ALLOWED} ({error})") from None
    return True


def _is_non_empty_path(value: Path) -> bool:
    return str(value).strip() != ""


# Written out as Annotated[...] (not built by a helper) so type checkers see them as type aliases.
Region = Annotated[str, Allowed(REGION_ALLOWED, pattern=_REGION_RE)]
AccountId = Annotated[str, Allowed(ACCOUNT_ALLOWED, pattern=r"\d{12}")]
EndpointUrl = Annotated[str, Allowed(ENDPOINT_ALLOWED, check=_is_endpoint)]
BucketName = Annotated[str, Allowed(BUCKET_ALLOWED, check=_is_bucket_name)]
TfAddress = Annotated[str, Allowed(TF_ADDRESS_ALLOWED, pattern=_TF_ADDRESS_RE)]
Cidr = Annotated[str, Allowed(CIDR_ALLOWED, check=_is_cidr)]
RegexPattern = Annotated[str, Allowed(REGEX_ALLOWED, check=_is_regex)]
EnvName = Annotated[str, Allowed(ENV_NAME_ALLOWED, pattern=r"[a-z][a-z0-9-]{0,31}")]
RoleArn = Annotated[str, Allowed(ROLE_ARN_ALLOWED, pattern=_ROLE_ARN_RE)]
DynamoTableName = Annotated[str, Allowed(DYNAMO_ALLOWED, pattern=r"[A-Za-z0-9_.-]{3,255}")]
StateKeyPrefix = Annotated[str, Allowed(STATE_PREFIX_ALLOWED, pattern=_STATE_PREFIX_RE)]
S3Prefix = Annotated[str, Allowed(S3_PREFIX_ALLOWED, pattern=r"([^/\s][^\s]*)?")]
PgName = Annotated[str, Allowed(PG_NAME_ALLOWED, pattern=r"[A-Za-z_][A-Za-z0-9_$]{0,62}")]
MongoDbName = Annotated[str, Allowed(MONGO_NAME_ALLOWED, pattern=r"[^/\\. \"$*<>:|?]{1,63}")]
TopicName = Annotated[str, Allowed(TOPIC_ALLOWED, pattern=r"[A-Za-z0-9._-]{1,249}")]
EnvVarName = Annotated[str, Allowed(ENV_VAR_ALLOWED, pattern=r"[A-Za-z_][A-Za-z0-9_]*")]
SecretsManagerArn = Annotated[str, Allowed(SM_ARN_ALLOWED, pattern=_SM_ARN_RE)]
SsmParameterName = Annotated[str, Allowed(SSM_ALLOWED, pattern=r"/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")]
SandboxService = Annotated[str, Allowed(SANDBOX_SERVICE_ALLOWED, pattern=r"[a-z0-9][a-z0-9-]*")]
PositivePath = Annotated[Path, Allowed(PATH_ALLOWED, check=_is_non_empty_path)]
DataSyncAgentArn = Annotated[str, Allowed(DATASYNC_AGENT_ALLOWED, pattern=_DATASYNC_AGENT_RE)]
HostName = Annotated[str, Allowed(HOSTNAME_ALLOWED, pattern=_HOSTNAME_RE)]
DmsInstanceClass = Annotated[str, Allowed(DMS_INSTANCE_CLASS_ALLOWED, pattern=r"dms\.[a-z][a-z0-9]*\.[0-9]*x?[a-z]+")]
DmsSubnetGroup = Annotated[str, Allowed(DMS_SUBNET_GROUP_ALLOWED, pattern=r"(?!default$)[A-Za-z0-9._-]{1,255}")]
SecurityGroupId = Annotated[str, Allowed(SECURITY_GROUP_ALLOWED, pattern=r"sg-([0-9a-f]{8}|[0-9a-f]{17})")]
DmsCertificateArn = Annotated[str, Allowed(DMS_CERTIFICATE_ALLOWED, pattern=_DMS_CERTIFICATE_RE)]
KmsKeyId = Annotated[str, Allowed(KMS_KEY_ALLOWED, pattern=_KMS_KEY_RE)]
