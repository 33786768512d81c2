"""Post-apply verification: read every applied resource back from AWS and check what matters.

Why not trust ``terraform apply``'s exit code: Terraform reports what the provider *asked for*;
what the account *has* can differ (a bucket policy another tool replaced, an emulator that
accepted a setting and ignores it, a managed policy attached by hand). So after a stack is
applied its state (``terraform show -json``) is walked, and each managed resource is read back
with boto3 by the verifier registered for its type. A verifier yields checks: the security
baseline (encryption, TLS-only access, no public access, least privilege, key rotation, log
retention …) and that the resource exists with the configuration the state records.

Every check ends as one of:

* ``ok`` / ``failed`` - the check ran;
* ``waived`` - it failed, but the environment's tfvars deliberately switch the control off
  (``enable_tls_only_policy = false`` in the sandbox) and the comment there is the reason;
  a waiver only ever comes from a flag the environment sets, never from this code;
* ``not verified`` - nothing could be read: no verifier is registered for the type, or the AWS
  stand-in does not implement the call. Never counted as a pass.

A resource is ``ok`` when at least one of its checks ran and none failed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pandas as pd

from runbook_lib.errors import ParamsError
from runbook_lib.terraform.state import StateResource, TfState

if TYPE_CHECKING:
    from runbook_lib.terraform.runner import TerraformRunner
    from runbook_lib.terraform.tfvars import TfVars

log = logging.getLogger("runbook_lib.infra.verify")

OK = "ok"
FAILED = "failed"
WAIVED = "waived"
NOT_VERIFIED = "not verified"

#: Error codes that mean "the thing is not there" (the resource is missing: a failed check).
_NOT_FOUND_CODES = frozenset(
    {
        "404",
        "NoSuchBucket",
        "NoSuchEntity",
        "NotFoundException",
        "ResourceNotFoundException",
        "DBInstanceNotFound",
        "DBInstanceNotFoundFault",
        "DBParameterGroupNotFound",
        "DBSubnetGroupNotFoundFault",
        "DBClusterNotFoundFault",
        "NotFound",
        "NoSuchKey",
        "InvalidVpcID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidGroup.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidAllocationID.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidVpcEndpointId.NotFound",
        "NatGatewayNotFound",
        "ParameterNotFound",
        "EntityNotFoundException",
        "RepositoryNotFoundException",
        "ClusterNotFoundException",
        "ResourceNotFoundFault",
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
    }
)
#: Error codes an emulator answers for an API it does not implement.
_NOT_IMPLEMENTED_CODES = frozenset(
    {"NotImplemented", "NotImplementedError", "InternalFailure", "InternalError"}
)


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What a verifier found for one check of one resource (the engine adds address and type)."""

    check: str
    expected: Any
    actual: Any
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class CheckResult:
    """One row of the verification table."""

    stack: str
    address: str
    type: str
    check: str
    expected: str
    actual: str
    status: str  # ok | failed | waived | not verified
    detail: str = ""

    @property
    def ok(self) -> bool | None:
        """True/False for a check that ran; None for a waived or unverifiable one."""
        if self.status == OK:
            return True
        if self.status == FAILED:
            return False
        return None

    @property
    def ran(self) -> bool:
        return self.status in (OK, FAILED)


@dataclass(frozen=True)
class ResourceVerdict:
    """The verdict on one resource: ``ok``, ``failed`` or ``not verified``, with its check counts."""

    stack: str
    address: str
    type: str
    status: str
    checks_ok: int
    checks_failed: int
    checks_waived: int
    checks_not_verified: int


@dataclass(frozen=True)
class StackVerification:
    """The verification of one stack's applied resources."""

    stack: str
    results: tuple[CheckResult, ...] = ()
    verdicts: tuple[ResourceVerdict, ...] = ()
    data_sources: int = 0

    @property
    def resources_in_state(self) -> int:
        return len(self.verdicts)

    def _count(self, status: str) -> int:
        return sum(1 for v in self.verdicts if v.status == status)

    @property
    def verified_ok(self) -> int:
        return self._count(OK)

    @property
    def failed(self) -> int:
        return self._count(FAILED)

    @property
    def not_verified(self) -> int:
        return self._count(NOT_VERIFIED)

    @property
    def ok(self) -> bool:
        """No check that ran failed."""
        return self.failed == 0

    @property
    def ok_addresses(self) -> set[str]:
        return {v.address for v in self.verdicts if v.status == OK}

    def counts(self) -> dict[str, int]:
        return {
            "resources_in_state": self.resources_in_state,
            "verified_ok": self.verified_ok,
            "failed": self.failed,
            "not_verified": self.not_verified,
            "checks_ran": sum(1 for r in self.results if r.ran),
            "checks_failed": sum(1 for r in self.results if r.status == FAILED),
            "checks_waived": sum(1 for r in self.results if r.status == WAIVED),
        }

    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == FAILED]

    def to_frame(self) -> pd.DataFrame:
        """The table: address, type, check, expected, actual, ok (None: waived/unverified), status, detail."""
        columns = ["address", "type", "check", "expected", "actual", "ok", "status", "detail"]
        return pd.DataFrame(
            [{**{c: getattr(r, c) for c in columns if c != "ok"}, "ok": r.ok} for r in self.results],
            columns=columns,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "counts": self.counts(),
            "results": [{**asdict(r), "ok": r.ok} for r in self.results],
            "verdicts": [asdict(v) for v in self.verdicts],
        }


# ----------------------------------------------------------------------------------------------
# Context: clients, the whole state, waivers
# ----------------------------------------------------------------------------------------------
class VerifyContext:
    """What verifiers share: boto3 clients (made once, thread-safely), the stack's state, waivers.

    Args:
        state: the stack's state; verifiers look up sibling resources in it (the SSE
            configuration of a bucket, the parameter group of an instance).
        client_factory: ``service -> boto3 client``; defaults to
            :func:`runbook_lib.clients.aws_client` with ``aws``.
        aws: the params' ``aws`` section (region, endpoint, profile).
        sandbox: whether the target is an AWS stand-in (then an unimplemented call is
            ``not verified`` rather than a failure); defaults to "``aws`` has an endpoint".
        open_ingress_allowed: security group ids/addresses where 0.0.0.0/0 ingress is intended.
    """

    def __init__(
        self,
        state: TfState,
        *,
        client_factory: Callable[[str], Any] | None = None,
        aws: Any = None,
        sandbox: bool | None = None,
        open_ingress_allowed: Iterable[str] = (),
    ) -> None:
        from runbook_lib.clients import aws_client
        from runbook_lib.endpoints import is_sandbox

        self.state = state
        self._factory = client_factory or (lambda service: aws_client(service, aws))
        self.sandbox = is_sandbox(aws) if sandbox is None else sandbox
        self.open_ingress_allowed = frozenset(open_ingress_allowed)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._memo: dict[tuple[Any, ...], Any] = {}

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._factory(service)
            return self._clients[service]

    def find(self, resource_type: str, **attrs: Any) -> list[StateResource]:
        """Managed resources of ``resource_type`` in this state whose attributes equal ``attrs``."""
        return [
            r
            for r in self.state.by_type(resource_type)
            if all(r.values.get(k) == v for k, v in attrs.items())
        ]

    def memo(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """Cache an account-wide read (caller identity, all flow logs) for the run."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = compute()
        with self._lock:
            self._memo[key] = value
        return value

    def account_id(self) -> str:
        return str(self.memo(("account",), lambda: self.client("sts").get_caller_identity()["Account"]))


# ----------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------
Verifier = Callable[[StateResource, VerifyContext], Iterable[Outcome]]
VERIFIERS: dict[str, Verifier] = {}


def register_verifier(*resource_types: str) -> Callable[[Verifier], Verifier]:
    """Register a verifier for one or more Terraform resource types (a later registration wins)."""

    def decorate(func: Verifier) -> Verifier:
        for resource_type in resource_types:
            VERIFIERS[resource_type] = func
        return func

    return decorate


def verifier_for(resource_type: str) -> Verifier:
    """The verifier for a type.

    Raises:
        ParamsError: none is registered; the error lists the known types.
    """
    try:
        return VERIFIERS[resource_type]
    except KeyError:
        raise ParamsError("resource type", resource_type, sorted(VERIFIERS)) from None


# ----------------------------------------------------------------------------------------------
# Waivers: controls an environment switches off on purpose
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WaiverRule:
    """When tfvars variable ``variable`` (dotted) equals ``value``, a failure of ``checks`` is waived."""

    variable: str
    value: Any
    checks: tuple[str, ...]


#: Which tfvars settings switch off which checks. Only these settings can waive anything.
WAIVER_RULES: tuple[WaiverRule, ...] = (
    WaiverRule("enable_tls_only_policy", False, ("s3.tls_only_policy",)),
    WaiverRule(
        "deletion_protection",
        False,
        ("rds.deletion_protection", "dynamodb.deletion_protection", "docdb.deletion_protection"),
    ),
    WaiverRule("openmetadata.db_deletion_protection", False, ("rds.deletion_protection",)),
    WaiverRule("enable_rds_parameter_group", False, ("rds.force_ssl",)),
    WaiverRule("rds_multi_az", False, ("rds.multi_az",)),
    WaiverRule("openmetadata.db_multi_az", False, ("rds.multi_az",)),
    WaiverRule("rds_backup_retention_period", 0, ("rds.backup_retention",)),
    WaiverRule("enable_flow_logs", False, ("ec2.vpc_flow_logs",)),
    WaiverRule("ingest_encrypt_environment", False, ("lambda.environment_kms",)),
)


def waivers_from_tfvars(tfvars: TfVars | None, rules: Sequence[WaiverRule] = WAIVER_RULES) -> dict[str, str]:
    """Checks the environment switches off (check -> reason), from its tfvars and their comments."""
    waived: dict[str, str] = {}
    if tfvars is None:
        return waived
    for rule in rules:
        value = tfvars.get(rule.variable)
        if value is not None and value == rule.value:
            reason = tfvars.comment(rule.variable) or "no reason given in the tfvars"
            for check in rule.checks:
                waived.setdefault(
                    check, f"{tfvars.path.name}: {rule.variable} = {json.dumps(value)} ({reason})"
                )
    return waived


# ----------------------------------------------------------------------------------------------
# Engine
# ----------------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    return json.dumps(value, sort_keys=True, default=str)


def _error_outcome(error: Exception, ctx: VerifyContext) -> tuple[Outcome, bool]:
    """(outcome, unverifiable) for an exception a verifier raised."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(error, ClientError):
        err = error.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        operation = error.operation_name
        if ctx.sandbox and (status >= 500 or code in _NOT_IMPLEMENTED_CODES):
            return Outcome(
                "read back",
                "readable",
                f"{operation}: HTTP {status} {code}",
                False,
                f"the AWS stand-in does not implement {operation}",
            ), True
        if code in _NOT_FOUND_CODES or status == 404:
            return Outcome(
                "exists",
                "present",
                f"missing ({operation}: {code})",
                False,
                str(err.get("Message", ""))[:200],
            ), False
        return Outcome(
            "read back", "readable", f"{operation}: {code}", False, str(err.get("Message", ""))[:200]
        ), False
    if isinstance(error, BotoCoreError):
        return Outcome("read back", "readable", type(error).__name__, False, str(error)[:200]), ctx.sandbox
    return Outcome(
        "read back", "readable", f"{type(error).__name__}: {error}"[:200], False, "verifier error"
    ), False


def verify_resource(
    resource: StateResource,
    ctx: VerifyContext,
    *,
    stack: str = "",
    waivers: Mapping[str, str] | None = None,
    registry: Mapping[str, Verifier] | None = None,
) -> tuple[list[CheckResult], ResourceVerdict]:
    """Run the registered verifier of one resource; classify each outcome."""
    waivers = waivers or {}
    verifier = (registry if registry is not None else VERIFIERS).get(resource.type)
    rows: list[CheckResult] = []

    def row(outcome: Outcome, status: str) -> None:
        rows.append(
            CheckResult(
                stack,
                resource.address,
                resource.type,
                outcome.check,
                _text(outcome.expected),
                _text(outcome.actual),
                status,
                outcome.detail,
            )
        )

    if verifier is None:
        row(
            Outcome(
                "verifier",
                "a verifier for this type",
                "none registered",
                False,
                "no verifier is registered for this resource type",
            ),
            NOT_VERIFIED,
        )
    else:
        try:
            for outcome in verifier(resource, ctx):
                if outcome.ok:
                    row(outcome, OK)
                elif outcome.check in waivers:
                    row(
                        Outcome(
                            outcome.check,
                            outcome.expected,
                            outcome.actual,
                            False,
                            f"waived: {waivers[outcome.check]}",
                        ),
                        WAIVED,
                    )
                else:
                    row(outcome, FAILED)
        except Exception as error:  # noqa: BLE001 - any failure to read back is a result, not a crash
            outcome, unverifiable = _error_outcome(error, ctx)
            row(outcome, NOT_VERIFIED if unverifiable else FAILED)
        if not rows:
            row(
                Outcome(
                    "verifier",
                    "something to check",
                    "nothing",
                    False,
                    "the verifier found nothing to check for this resource",
                ),
                NOT_VERIFIED,
            )
    n = {s: sum(1 for r in rows if r.status == s) for s in (OK, FAILED, WAIVED, NOT_VERIFIED)}
    status = FAILED if n[FAILED] else OK if n[OK] else NOT_VERIFIED
    verdict = ResourceVerdict(
        stack, resource.address, resource.type, status, n[OK], n[FAILED], n[WAIVED], n[NOT_VERIFIED]
    )
    return rows, verdict


def verify_state(
    state: TfState,
    *,
    stack: str = "",
    ctx: VerifyContext | None = None,
    aws: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    waivers: Mapping[str, str] | None = None,
    registry: Mapping[str, Verifier] | None = None,
    workers: int = 4,
) -> StackVerification:
    """Verify every managed resource of a state (data sources are counted, not verified).

    Args:
        state: from :meth:`TerraformRunner.state` or :func:`runbook_lib.terraform.state.parse_state`.
        stack: the stack's name, for the table.
        ctx: a ready context; otherwise one is made from ``aws``/``client_factory``.
        waivers: check -> reason, usually :func:`waivers_from_tfvars` of the environment.
        workers: resources read back concurrently (boto3 clients are thread-safe; calls are I/O).
    """
    ctx = ctx or VerifyContext(state, client_factory=client_factory, aws=aws)
    managed = state.managed
    from concurrent.futures import ThreadPoolExecutor

    def one(resource: StateResource) -> tuple[list[CheckResult], ResourceVerdict]:
        return verify_resource(resource, ctx, stack=stack, waivers=waivers, registry=registry)

    if workers > 1 and len(managed) > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify") as pool:
            done = list(pool.map(one, managed))
    else:
        done = [one(r) for r in managed]
    results = tuple(row for rows, _ in done for row in rows)
    verdicts = tuple(v for _, v in done)
    report = StackVerification(stack, results, verdicts, data_sources=len(state.resources) - len(managed))
    log.info("verified %s: %s", stack or "state", report.counts())
    return report


def verify_stack(
    runner: TerraformRunner,
    aws: Any,
    *,
    waivers: Mapping[str, str] | None = None,
    stack: str | None = None,
) -> StackVerification:
    """Read the stack's state through its runner (``init`` done) and verify it against ``aws``."""
    state = runner.state()
    return verify_state(state, stack=stack or runner.stack_dir.name, aws=aws, waivers=waivers)


# ----------------------------------------------------------------------------------------------
# Policy documents
# ----------------------------------------------------------------------------------------------
def policy_document(value: Any) -> dict[str, Any]:
    """A policy document as a dict, from a dict, JSON text, or URL-encoded JSON (IAM's wire form)."""
    if isinstance(value, Mapping):
        return dict(value)
    if not value:
        return {}
    text = str(value)
    if not text.lstrip().startswith("{"):
        text = unquote(text)
    return dict(json.loads(text))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements(document: Any) -> list[dict[str, Any]]:
    return [dict(s) for s in _as_list(policy_document(document).get("Statement"))]


def _is_broad_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def broad_statements(document: Any) -> list[str]:
    """Allow statements granting ``*``/``service:*`` (or ``NotAction``) on Resource ``*``."""
    found: list[str] = []
    for index, st in enumerate(statements(document)):
        if st.get("Effect") != "Allow":
            continue
        resources = _as_list(st.get("Resource"))
        if "*" not in resources and not (st.get("NotResource") is not None):
            continue
        actions = [str(a) for a in _as_list(st.get("Action"))]
        label = st.get("Sid") or f"#{index}"
        if "NotAction" in st:
            found.append(f"{label}: Allow NotAction {_as_list(st['NotAction'])} on *")
        broad = [a for a in actions if _is_broad_action(a)]
        if broad:
            found.append(f"{label}: Allow {broad} on *")
    return found


def _principal_is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in _as_list(v) for v in principal.values())
    return False


def public_statements(document: Any) -> list[str]:
    """Allow statements open to any principal without a condition (a public resource policy)."""
    return [
        str(st.get("Sid") or f"#{i}")
        for i, st in enumerate(statements(document))
        if st.get("Effect") == "Allow"
        and _principal_is_public(st.get("Principal"))
        and not st.get("Condition")
    ]


def is_tls_only_deny(statement: Mapping[str, Any], action_prefix: str = "s3") -> bool:
    """A Deny of every action to everyone when ``aws:SecureTransport`` is false."""
    if statement.get("Effect") != "Deny" or not _principal_is_public(statement.get("Principal")):
        return False
    actions = [str(a) for a in _as_list(statement.get("Action"))]
    if not any(a in ("*", f"{action_prefix}:*") for a in actions):
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        if operator.lower() != "bool":
            continue
        for key, value in conditions.items():
            if key.lower() == "aws:securetransport" and [str(v).lower() for v in _as_list(value)] == [
                "false"
            ]:
                return True
    return False


def _same_document(a: Any, b: Any) -> bool:
    """Two policies equal as statements (order of statements and list members ignored)."""

    def norm(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: norm(v) for k, v in sorted(value.items()) if k != "Sid" or v}
        if isinstance(value, list):
            items = [norm(v) for v in value]
            return (
                sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
                if len(items) > 1
                else (items[0] if items else [])
            )
        return value

    try:
        da, db = policy_document(a), policy_document(b)
    except (ValueError, TypeError):
        return False
    return norm(da.get("Statement")) == norm(db.get("Statement"))


# ----------------------------------------------------------------------------------------------
# Small helpers for verifiers
# ----------------------------------------------------------------------------------------------
def equal(check: str, expected: Any, actual: Any, detail: str = "") -> Outcome:
    return Outcome(check, expected, actual, expected == actual, detail)


def present(check: str, found: bool, what: str) -> Outcome:
    return Outcome(check, "present", what if found else "missing", found)


def _client_error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _or_none(call: Callable[[], Any], *codes: str) -> Any:
    """``call()``, or None when it raises a ClientError with one of ``codes`` (e.g. "no policy")."""
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as error:
        if _client_error_code(error) in codes:
            return None
        raise


# ================================================================================================
# Verifiers: S3
# ================================================================================================
def _bucket_encryption(ctx: VerifyContext, bucket: str) -> dict[str, Any] | None:
    response = _or_none(
        lambda: ctx.client("s3").get_bucket_encryption(Bucket=bucket),
        "ServerSideEncryptionConfigurationNotFoundError",
    )
    if response is None:
        return None
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    return rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else None


def _bucket_policy(ctx: VerifyContext, bucket: str) -> dict[str, Any] | None:
    response = _or_none(lambda: ctx.client("s3").get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy")
    return None if response is None else policy_document(response.get("Policy"))


def _public_access_block(ctx: VerifyContext, bucket: str) -> dict[str, bool] | None:
    response = _or_none(
        lambda: ctx.client("s3").get_public_access_block(Bucket=bucket),
        "NoSuchPublicAccessBlockConfiguration",
    )
    return None if response is None else dict(response.get("PublicAccessBlockConfiguration", {}))


_PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@register_verifier("aws_s3_bucket")
def verify_s3_bucket(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """Versioning, default encryption (SSE-KMS unless the module chose SSE-S3), no public access, TLS only."""
    s3 = ctx.client("s3")
    bucket = r.get("bucket") or r.get("id")
    s3.head_bucket(Bucket=bucket)
    yield present("exists", True, bucket)
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status", "not enabled")
    yield equal("s3.versioning", "Enabled", status)

    # The module's intent for the algorithm: its SSE configuration in the state (SSE-S3 for log buckets).
    configured = ctx.find("aws_s3_bucket_server_side_encryption_configuration", bucket=bucket)
    want_algorithm = "aws:kms"
    if configured:
        default = _sse_default(configured[0])
        want_algorithm = default.get("sse_algorithm") or want_algorithm
    sse = _bucket_encryption(ctx, bucket)
    actual = (sse or {}).get("SSEAlgorithm", "none")
    detail = "" if want_algorithm == "aws:kms" else "the module chose SSE-S3 for this bucket"
    if want_algorithm == "aws:kms" and actual == "aws:kms" and not (sse or {}).get("KMSMasterKeyID"):
        yield Outcome("s3.encryption", "aws:kms with a customer key", "aws:kms without a key id", False)
    else:
        yield Outcome(
            "s3.encryption", want_algorithm, actual, actual == want_algorithm and actual != "none", detail
        )

    pab = _public_access_block(ctx, bucket)
    values = {k: (pab or {}).get(k, False) for k in _PAB_KEYS}
    yield Outcome("s3.public_access_block", "all four true", values if pab else "none", all(values.values()))

    policy = _bucket_policy(ctx, bucket)
    tls = policy is not None and any(is_tls_only_deny(st) for st in statements(policy))
    yield Outcome(
        "s3.tls_only_policy",
        "Deny s3:* when aws:SecureTransport=false",
        "present" if tls else ("no bucket policy" if policy is None else "policy without the TLS deny"),
        tls,
    )
    if policy is not None:
        public = public_statements(policy)
        yield Outcome("s3.no_public_policy", "no unconditional Allow to *", public or "none", not public)


def _sse_default(r: StateResource) -> Mapping[str, Any]:
    rule = r.block("rule")
    defaults = rule.get("apply_server_side_encryption_by_default") or []
    return defaults[0] if defaults else {}


@register_verifier("aws_s3_bucket_versioning")
def verify_s3_versioning(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    want = r.block("versioning_configuration").get("status", "Enabled")
    yield equal(
        "matches state", want, ctx.client("s3").get_bucket_versioning(Bucket=r.get("bucket")).get("Status")
    )


@register_verifier("aws_s3_bucket_server_side_encryption_configuration")
def verify_s3_sse(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    default = _sse_default(r)
    sse = _bucket_encryption(ctx, r.get("bucket")) or {}
    yield equal("matches state: algorithm", default.get("sse_algorithm"), sse.get("SSEAlgorithm"))
    if default.get("kms_master_key_id"):
        yield equal("matches state: kms key", default.get("kms_master_key_id"), sse.get("KMSMasterKeyID"))


@register_verifier("aws_s3_bucket_public_access_block")
def verify_s3_pab(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    pab = _public_access_block(ctx, r.get("bucket")) or {}
    names = {
        "block_public_acls": "BlockPublicAcls",
        "ignore_public_acls": "IgnorePublicAcls",
        "block_public_policy": "BlockPublicPolicy",
        "restrict_public_buckets": "RestrictPublicBuckets",
    }
    want = {aws: bool(r.get(tf, False)) for tf, aws in names.items()}
    have = {aws: bool(pab.get(aws, False)) for aws in names.values()}
    yield equal("matches state", want, have)
    yield Outcome("s3.public_access_block", "all four true", have, all(have.values()))


@register_verifier("aws_s3_bucket_policy")
def verify_s3_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policy = _bucket_policy(ctx, r.get("bucket"))
    yield Outcome(
        "matches state",
        "the policy in state",
        "same"
        if policy and _same_document(policy, r.get("policy"))
        else ("no policy" if policy is None else "different"),
        bool(policy) and _same_document(policy, r.get("policy")),
    )
    public = public_statements(policy or {})
    yield Outcome("s3.no_public_policy", "no unconditional Allow to *", public or "none", not public)


@register_verifier("aws_s3_bucket_ownership_controls")
def verify_s3_ownership(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    rules = ctx.client("s3").get_bucket_ownership_controls(Bucket=r.get("bucket"))["OwnershipControls"][
        "Rules"
    ]
    yield equal(
        "matches state",
        r.block("rule").get("object_ownership"),
        rules[0].get("ObjectOwnership") if rules else None,
    )


@register_verifier("aws_s3_bucket_lifecycle_configuration")
def verify_s3_lifecycle(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    rules = ctx.client("s3").get_bucket_lifecycle_configuration(Bucket=r.get("bucket")).get("Rules", [])
    want = sorted((x.get("id"), x.get("status")) for x in r.get("rule", []))
    yield equal("matches state: rules", want, sorted((x.get("ID"), x.get("Status")) for x in rules))


@register_verifier("aws_s3_bucket_logging")
def verify_s3_logging(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    enabled = ctx.client("s3").get_bucket_logging(Bucket=r.get("bucket")).get("LoggingEnabled") or {}
    yield equal(
        "matches state: target",
        [r.get("target_bucket"), r.get("target_prefix", "")],
        [enabled.get("TargetBucket"), enabled.get("TargetPrefix", "")],
    )


@register_verifier("aws_s3_bucket_replication_configuration")
def verify_s3_replication(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("s3").get_bucket_replication(Bucket=r.get("bucket"))["ReplicationConfiguration"]
    want = sorted(str(x.get("id")) for x in r.get("rule", []))
    yield equal("matches state: rules", want, sorted(str(x.get("ID")) for x in config.get("Rules", [])))
    yield equal("matches state: role", r.get("role"), config.get("Role"))


@register_verifier("aws_s3_bucket_notification")
def verify_s3_notification(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("s3").get_bucket_notification_configuration(Bucket=r.get("bucket"))
    if r.get("eventbridge"):
        yield present(
            "matches state: eventbridge", "EventBridgeConfiguration" in config, "EventBridgeConfiguration"
        )
    for tf_key, aws_key in (
        ("queue", "QueueConfigurations"),
        ("topic", "TopicConfigurations"),
        ("lambda_function", "LambdaFunctionConfigurations"),
    ):
        yield equal(f"matches state: {tf_key} targets", len(r.get(tf_key, [])), len(config.get(aws_key, [])))


@register_verifier("aws_s3_object")
def verify_s3_object(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    head = ctx.client("s3").head_object(Bucket=r.get("bucket"), Key=r.get("key"))
    yield present("exists", True, f"s3://{r.get('bucket')}/{r.get('key')}")
    yield equal(
        "s3.object_encryption", r.get("server_side_encryption") or "aws:kms", head.get("ServerSideEncryption")
    )


# ================================================================================================
# KMS
# ================================================================================================
@register_verifier("aws_kms_key")
def verify_kms_key(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    kms = ctx.client("kms")
    meta = kms.describe_key(KeyId=r.get("key_id") or r.get("id"))["KeyMetadata"]
    yield equal("kms.enabled", "Enabled", meta.get("KeyState"))
    if meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":
        rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"]).get("KeyRotationEnabled")
        yield equal("kms.rotation", True, rotation)


@register_verifier("aws_kms_alias")
def verify_kms_alias(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    meta = ctx.client("kms").describe_key(KeyId=r.get("name"))["KeyMetadata"]
    yield equal("matches state: target key", r.get("target_key_id"), meta.get("KeyId"))


# ================================================================================================
# IAM
# ================================================================================================
def _managed_policy_document(ctx: VerifyContext, arn: str) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        iam = ctx.client("iam")
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        return policy_document(
            iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        )

    return ctx.memo(("policy", arn), load)


@register_verifier("aws_iam_role")
def verify_iam_role(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """The trust policy is not public, and every policy on the role (inline or managed) is least-privilege."""
    iam = ctx.client("iam")
    name = r.get("name") or r.get("id")
    role = iam.get_role(RoleName=name)["Role"]
    yield present("exists", True, role["Arn"])
    trust = policy_document(role.get("AssumeRolePolicyDocument"))
    public = public_statements(trust)
    yield Outcome("iam.trust_not_public", "no unconditional trust of *", public or "none", not public)
    broad: list[str] = []
    inline = iam.list_role_policies(RoleName=name).get("PolicyNames", [])
    for policy_name in inline:
        doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        broad += [f"inline {policy_name}: {s}" for s in broad_statements(doc)]
    attached = iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", [])
    for item in attached:
        broad += [
            f"managed {item['PolicyName']}: {s}"
            for s in broad_statements(_managed_policy_document(ctx, item["PolicyArn"]))
        ]
    yield Outcome(
        "iam.least_privilege",
        "no Allow of * or service:* on Resource *",
        broad or f"{len(inline)} inline, {len(attached)} managed: none",
        not broad,
    )


@register_verifier("aws_iam_role_policy")
def verify_iam_role_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    doc = ctx.client("iam").get_role_policy(RoleName=r.get("role"), PolicyName=r.get("name"))[
        "PolicyDocument"
    ]
    yield Outcome(
        "matches state",
        "the policy in state",
        "same" if _same_document(doc, r.get("policy")) else "different",
        _same_document(doc, r.get("policy")),
    )
    broad = broad_statements(doc)
    yield Outcome(
        "iam.least_privilege", "no Allow of * or service:* on Resource *", broad or "none", not broad
    )


@register_verifier("aws_iam_policy")
def verify_iam_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    doc = _managed_policy_document(ctx, r.get("arn"))
    broad = broad_statements(doc)
    yield Outcome(
        "iam.least_privilege", "no Allow of * or service:* on Resource *", broad or "none", not broad
    )


@register_verifier("aws_iam_role_policy_attachment")
def verify_iam_attachment(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    attached = (
        ctx.client("iam").list_attached_role_policies(RoleName=r.get("role")).get("AttachedPolicies", [])
    )
    arn = r.get("policy_arn")
    yield present("attached", any(p["PolicyArn"] == arn for p in attached), arn)
    broad = broad_statements(_managed_policy_document(ctx, arn))
    yield Outcome(
        "iam.least_privilege", "no Allow of * or service:* on Resource *", broad or "none", not broad
    )


@register_verifier("aws_iam_instance_profile")
def verify_instance_profile(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    profile = ctx.client("iam").get_instance_profile(InstanceProfileName=r.get("name"))["InstanceProfile"]
    yield equal("matches state: role", [r.get("role")], [x["RoleName"] for x in profile.get("Roles", [])])


@register_verifier("aws_iam_openid_connect_provider")
def verify_oidc_provider(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    provider = ctx.client("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=r.get("arn"))
    yield equal(
        "matches state: client ids",
        sorted(r.get("client_id_list", [])),
        sorted(provider.get("ClientIDList", [])),
    )


# ================================================================================================
# EC2 / VPC
# ================================================================================================
_OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def _open_ingress(permissions: Iterable[Mapping[str, Any]]) -> list[str]:
    found = []
    for perm in permissions:
        ports = f"{perm.get('IpProtocol')}:{perm.get('FromPort', 'all')}-{perm.get('ToPort', 'all')}"
        for rng in perm.get("IpRanges", []):
            if rng.get("CidrIp") in _OPEN_CIDRS:
                found.append(f"{rng['CidrIp']} {ports}")
        for rng in perm.get("Ipv6Ranges", []):
            if rng.get("CidrIpv6") in _OPEN_CIDRS:
                found.append(f"{rng['CidrIpv6']} {ports}")
    return found


def _security_group(ctx: VerifyContext, group_id: str) -> dict[str, Any]:
    return ctx.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


@register_verifier("aws_security_group")
def verify_security_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    group = _security_group(ctx, r.get("id"))
    yield equal("matches state: vpc", r.get("vpc_id"), group.get("VpcId"))
    open_rules = _open_ingress(group.get("IpPermissions", []))
    intended = r.get("id") in ctx.open_ingress_allowed or r.address in ctx.open_ingress_allowed
    yield Outcome(
        "sg.no_open_ingress",
        "no ingress from 0.0.0.0/0 or ::/0",
        open_rules or "none",
        not open_rules or intended,
        "0.0.0.0/0 ingress is intended here" if open_rules and intended else "",
    )


@register_verifier("aws_default_security_group")
def verify_default_security_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    group = _security_group(ctx, r.get("id"))
    rules = len(group.get("IpPermissions", [])) + len(group.get("IpPermissionsEgress", []))
    yield equal("sg.default_denies_all", 0, rules, "the default security group must have no rules")


def _sg_rule(ctx: VerifyContext, rule_id: str) -> dict[str, Any]:
    rules = ctx.client("ec2").describe_security_group_rules(SecurityGroupRuleIds=[rule_id])[
        "SecurityGroupRules"
    ]
    if not rules:
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {"Code": "InvalidSecurityGroupRuleId.NotFound", "Message": rule_id},
                "ResponseMetadata": {"HTTPStatusCode": 404},
            },
            "DescribeSecurityGroupRules",
        )
    return rules[0]


@register_verifier("aws_security_group_rule")
def verify_security_group_rule(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """The rule is on its group; an ingress rule is not open to the internet."""
    group = _security_group(ctx, r.get("security_group_id"))
    ingress = r.get("type") == "ingress"
    perms = group.get("IpPermissions" if ingress else "IpPermissionsEgress", [])
    want_from, want_to = r.get("from_port"), r.get("to_port")

    def matches(perm: Mapping[str, Any]) -> bool:
        if perm.get("IpProtocol") not in (
            r.get("protocol"),
            "-1" if r.get("protocol") in ("-1", "all") else None,
        ):
            return False
        if r.get("protocol") not in ("-1", "all") and (perm.get("FromPort"), perm.get("ToPort")) != (
            want_from,
            want_to,
        ):
            return False
        if r.get("source_security_group_id"):
            return any(
                p.get("GroupId") == r.get("source_security_group_id")
                for p in perm.get("UserIdGroupPairs", [])
            )
        if r.get("self"):
            return any(
                p.get("GroupId") == r.get("security_group_id") for p in perm.get("UserIdGroupPairs", [])
            )
        cidrs = set(r.get("cidr_blocks", []))
        return cidrs <= {x.get("CidrIp") for x in perm.get("IpRanges", [])}

    yield present(
        "exists", any(matches(p) for p in perms), f"{r.get('type')} {r.get('protocol')} {want_from}-{want_to}"
    )
    if ingress:
        open_cidrs = [
            c for c in [*r.get("cidr_blocks", []), *r.get("ipv6_cidr_blocks", [])] if c in _OPEN_CIDRS
        ]
        intended = (
            r.get("security_group_id") in ctx.open_ingress_allowed or r.address in ctx.open_ingress_allowed
        )
        yield Outcome(
            "sg.no_open_ingress",
            "no ingress from 0.0.0.0/0 or ::/0",
            open_cidrs or "none",
            not open_cidrs or intended,
        )


@register_verifier("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
def verify_vpc_sg_rule(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    rule = _sg_rule(ctx, r.get("security_group_rule_id") or r.get("id"))
    yield equal("matches state: group", r.get("security_group_id"), rule.get("GroupId"))
    egress = r.type.endswith("egress_rule")
    yield equal(
        "matches state: direction",
        "egress" if egress else "ingress",
        "egress" if rule.get("IsEgress") else "ingress",
    )
    if not egress:
        cidr = rule.get("CidrIpv4") or rule.get("CidrIpv6")
        intended = (
            r.get("security_group_id") in ctx.open_ingress_allowed or r.address in ctx.open_ingress_allowed
        )
        yield Outcome(
            "sg.no_open_ingress",
            "no ingress from 0.0.0.0/0 or ::/0",
            cidr or "none",
            cidr not in _OPEN_CIDRS or intended,
        )


def _flow_logs_by_resource(ctx: VerifyContext) -> dict[str, list[dict[str, Any]]]:
    def load() -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for page in ctx.client("ec2").get_paginator("describe_flow_logs").paginate():
            for item in page.get("FlowLogs", []):
                out.setdefault(item.get("ResourceId", ""), []).append(item)
        return out

    return ctx.memo(("flow_logs",), load)


@register_verifier("aws_vpc")
def verify_vpc(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    vpc = ctx.client("ec2").describe_vpcs(VpcIds=[r.get("id")])["Vpcs"][0]
    yield equal("matches state: cidr", r.get("cidr_block"), vpc.get("CidrBlock"))
    logs = _flow_logs_by_resource(ctx).get(r.get("id"), [])
    yield Outcome("ec2.vpc_flow_logs", "a flow log on the VPC", f"{len(logs)} flow logs", bool(logs))


@register_verifier("aws_subnet")
def verify_subnet(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    subnet = ctx.client("ec2").describe_subnets(SubnetIds=[r.get("id")])["Subnets"][0]
    yield equal(
        "matches state",
        [r.get("vpc_id"), r.get("cidr_block"), r.get("availability_zone")],
        [subnet.get("VpcId"), subnet.get("CidrBlock"), subnet.get("AvailabilityZone")],
    )
    yield equal(
        "matches state: public ip on launch",
        bool(r.get("map_public_ip_on_launch")),
        bool(subnet.get("MapPublicIpOnLaunch")),
    )


@register_verifier("aws_internet_gateway")
def verify_igw(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    igw = ctx.client("ec2").describe_internet_gateways(InternetGatewayIds=[r.get("id")])["InternetGateways"][
        0
    ]
    yield equal(
        "matches state: attached vpc", [r.get("vpc_id")], [a.get("VpcId") for a in igw.get("Attachments", [])]
    )


@register_verifier("aws_nat_gateway")
def verify_nat(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    nat = ctx.client("ec2").describe_nat_gateways(NatGatewayIds=[r.get("id")])["NatGateways"][0]
    yield equal("available", "available", nat.get("State"))
    yield equal("matches state: subnet", r.get("subnet_id"), nat.get("SubnetId"))


@register_verifier("aws_eip")
def verify_eip(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    address = ctx.client("ec2").describe_addresses(AllocationIds=[r.get("id")])["Addresses"][0]
    yield equal("matches state: public ip", r.get("public_ip"), address.get("PublicIp"))


def _route_table(ctx: VerifyContext, table_id: str) -> dict[str, Any]:
    return ctx.client("ec2").describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]


@register_verifier("aws_route_table")
def verify_route_table(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    yield equal("matches state: vpc", r.get("vpc_id"), _route_table(ctx, r.get("id")).get("VpcId"))


@register_verifier("aws_route")
def verify_route(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    table = _route_table(ctx, r.get("route_table_id"))
    dest = r.get("destination_cidr_block") or r.get("destination_ipv6_cidr_block")
    targets = (
        "gateway_id",
        "nat_gateway_id",
        "transit_gateway_id",
        "vpc_peering_connection_id",
        "network_interface_id",
        "vpc_endpoint_id",
    )
    aws_names = {
        "gateway_id": "GatewayId",
        "nat_gateway_id": "NatGatewayId",
        "transit_gateway_id": "TransitGatewayId",
        "vpc_peering_connection_id": "VpcPeeringConnectionId",
        "network_interface_id": "NetworkInterfaceId",
        "vpc_endpoint_id": "GatewayId",
    }
    target = next((t for t in targets if r.get(t)), None)
    found = [
        x
        for x in table.get("Routes", [])
        if (x.get("DestinationCidrBlock") or x.get("DestinationIpv6CidrBlock")) == dest
    ]
    ok = bool(found) and (target is None or found[0].get(aws_names[target]) == r.get(target))
    yield present("exists", ok, f"{dest} -> {r.get(target) if target else '?'}")


@register_verifier("aws_route_table_association")
def verify_route_table_association(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    table = _route_table(ctx, r.get("route_table_id"))
    found = any(
        a.get("RouteTableAssociationId") == r.get("id") and a.get("SubnetId") == r.get("subnet_id")
        for a in table.get("Associations", [])
    )
    yield present("exists", found, f"{r.get('subnet_id')} in {r.get('route_table_id')}")


@register_verifier("aws_vpc_endpoint")
def verify_vpc_endpoint(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    endpoint = ctx.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[r.get("id")])["VpcEndpoints"][0]
    yield equal("matches state: service", r.get("service_name"), endpoint.get("ServiceName"))
    yield equal("available", "available", str(endpoint.get("State", "")).lower())


@register_verifier("aws_flow_log")
def verify_flow_log(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    logs = ctx.client("ec2").describe_flow_logs(FlowLogIds=[r.get("id")])["FlowLogs"]
    yield present("exists", bool(logs), r.get("id"))
    if logs:
        yield equal("matches state: traffic type", r.get("traffic_type"), logs[0].get("TrafficType"))


# ================================================================================================
# RDS and DocumentDB
# ================================================================================================
def _db_parameter(
    ctx: VerifyContext, service: str, group: str, name: str, *, cluster: bool = False
) -> str | None:
    """A parameter's value in a (cluster) parameter group, read through the paginator."""
    client = ctx.client(service)
    op = "describe_db_cluster_parameters" if cluster else "describe_db_parameters"
    key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
    for page in client.get_paginator(op).paginate(**{key: group}):
        for param in page.get("Parameters", []):
            if param.get("ParameterName") == name:
                return param.get("ParameterValue")
    return None


@register_verifier("aws_db_instance")
def verify_db_instance(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    """Encryption, Multi-AZ, deletion protection, backups, not public, TLS forced by the parameter group."""
    db = ctx.client("rds").describe_db_instances(DBInstanceIdentifier=r.get("identifier"))["DBInstances"][0]
    yield equal("rds.storage_encrypted", True, db.get("StorageEncrypted"))
    yield equal("rds.multi_az", True, db.get("MultiAZ"))
    yield equal("rds.deletion_protection", True, db.get("DeletionProtection"))
    retention = int(db.get("BackupRetentionPeriod") or 0)
    yield Outcome("rds.backup_retention", "> 0 days", retention, retention > 0)
    yield equal("rds.not_public", False, bool(db.get("PubliclyAccessible")))
    if str(db.get("Engine", "")).startswith("postgres"):
        groups = [g["DBParameterGroupName"] for g in db.get("DBParameterGroups", [])]
        value = _db_parameter(ctx, "rds", groups[0], "rds.force_ssl") if groups else None
        yield Outcome(
            "rds.force_ssl",
            "1",
            value if value is not None else f"unset in {groups or 'no group'}",
            str(value) == "1",
        )


@register_verifier("aws_db_parameter_group")
def verify_db_parameter_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    group = ctx.client("rds").describe_db_parameter_groups(DBParameterGroupName=r.get("name"))[
        "DBParameterGroups"
    ][0]
    yield equal("matches state: family", r.get("family"), group.get("DBParameterGroupFamily"))
    if str(r.get("family", "")).startswith("postgres"):
        value = _db_parameter(ctx, "rds", r.get("name"), "rds.force_ssl")
        yield Outcome("rds.force_ssl", "1", value if value is not None else "unset", str(value) == "1")


@register_verifier("aws_db_subnet_group")
def verify_db_subnet_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    group = ctx.client("rds").describe_db_subnet_groups(DBSubnetGroupName=r.get("name"))["DBSubnetGroups"][0]
    yield equal(
        "matches state: subnets",
        sorted(r.get("subnet_ids", [])),
        sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
    )


@register_verifier("aws_docdb_subnet_group")
def verify_docdb_subnet_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    group = ctx.client("docdb").describe_db_subnet_groups(DBSubnetGroupName=r.get("name"))["DBSubnetGroups"][
        0
    ]
    yield equal(
        "matches state: subnets",
        sorted(r.get("subnet_ids", [])),
        sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
    )


@register_verifier("aws_docdb_cluster_parameter_group")
def verify_docdb_parameter_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    value = _db_parameter(ctx, "docdb", r.get("name"), "tls", cluster=True)
    yield Outcome("docdb.tls", "enabled", value if value is not None else "unset", str(value) == "enabled")


@register_verifier("aws_docdb_cluster")
def verify_docdb_cluster(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    cluster = ctx.client("docdb").describe_db_clusters(DBClusterIdentifier=r.get("cluster_identifier"))[
        "DBClusters"
    ][0]
    yield equal("docdb.storage_encrypted", True, cluster.get("StorageEncrypted"))
    yield equal("docdb.deletion_protection", True, cluster.get("DeletionProtection"))
    retention = int(cluster.get("BackupRetentionPeriod") or 0)
    yield Outcome("docdb.backup_retention", "> 0 days", retention, retention > 0)
    group = cluster.get("DBClusterParameterGroup")
    value = _db_parameter(ctx, "docdb", group, "tls", cluster=True) if group else None
    yield Outcome(
        "docdb.tls", "enabled", value if value is not None else f"unset in {group}", str(value) == "enabled"
    )


@register_verifier("aws_docdb_cluster_instance")
def verify_docdb_instance(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    db = ctx.client("docdb").describe_db_instances(DBInstanceIdentifier=r.get("identifier"))["DBInstances"][0]
    yield equal("matches state: cluster", r.get("cluster_identifier"), db.get("DBClusterIdentifier"))
    yield equal("docdb.not_public", False, bool(db.get("PubliclyAccessible")))


# ================================================================================================
# DynamoDB, logs, SNS, SQS, SSM, Secrets Manager
# ================================================================================================
@register_verifier("aws_dynamodb_table")
def verify_dynamodb_table(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    ddb = ctx.client("dynamodb")
    table = ddb.describe_table(TableName=r.get("name"))["Table"]
    sse = table.get("SSEDescription") or {}
    yield Outcome(
        "dynamodb.encryption",
        "ENABLED (KMS)",
        f"{sse.get('Status', 'default (AWS owned key)')} ({sse.get('SSEType', '-')})",
        sse.get("Status") == "ENABLED" and sse.get("SSEType") == "KMS",
    )
    backups = ddb.describe_continuous_backups(TableName=r.get("name"))["ContinuousBackupsDescription"]
    pitr = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
    yield equal("dynamodb.pitr", "ENABLED", pitr)
    yield equal("dynamodb.deletion_protection", True, bool(table.get("DeletionProtectionEnabled")))


@register_verifier("aws_cloudwatch_log_group")
def verify_log_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    name = r.get("name")
    groups = ctx.client("logs").describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    group = next((g for g in groups if g.get("logGroupName") == name), None)
    yield present("exists", group is not None, name)
    if group is None:
        return
    want = r.get("retention_in_days") or None
    have = group.get("retentionInDays")
    yield Outcome(
        "logs.retention",
        f"{want} days" if want else "a retention period",
        f"{have} days" if have else "never expires",
        have is not None and (want is None or have == want),
    )
    yield Outcome("logs.kms", "a KMS key", group.get("kmsKeyId") or "none", bool(group.get("kmsKeyId")))


@register_verifier("aws_cloudwatch_log_resource_policy")
def verify_log_resource_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policies = ctx.client("logs").describe_resource_policies().get("resourcePolicies", [])
    found = next((p for p in policies if p.get("policyName") == r.get("policy_name")), None)
    yield present("exists", found is not None, r.get("policy_name"))


@register_verifier("aws_cloudwatch_metric_alarm")
def verify_metric_alarm(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    alarms = (
        ctx.client("cloudwatch").describe_alarms(AlarmNames=[r.get("alarm_name")]).get("MetricAlarms", [])
    )
    yield present("exists", bool(alarms), r.get("alarm_name"))
    if alarms:
        yield equal(
            "matches state: actions",
            sorted(r.get("alarm_actions", [])),
            sorted(alarms[0].get("AlarmActions", [])),
        )


@register_verifier("aws_cloudwatch_dashboard")
def verify_dashboard(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    body = ctx.client("cloudwatch").get_dashboard(DashboardName=r.get("dashboard_name") or r.get("id"))[
        "DashboardBody"
    ]
    yield Outcome(
        "matches state: body",
        "same widgets",
        "same" if json.loads(body) == json.loads(r.get("dashboard_body")) else "different",
        json.loads(body) == json.loads(r.get("dashboard_body")),
    )


@register_verifier("aws_sns_topic")
def verify_sns_topic(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    attributes = ctx.client("sns").get_topic_attributes(TopicArn=r.get("arn"))["Attributes"]
    yield Outcome(
        "sns.kms",
        "a KMS key",
        attributes.get("KmsMasterKeyId") or "none",
        bool(attributes.get("KmsMasterKeyId")),
    )


@register_verifier("aws_sns_topic_policy")
def verify_sns_topic_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policy = ctx.client("sns").get_topic_attributes(TopicArn=r.get("arn"))["Attributes"].get("Policy")
    same = bool(policy) and _same_document(policy, r.get("policy"))
    yield Outcome("matches state", "the policy in state", "same" if same else "different", same)
    public = public_statements(policy or "{}")
    yield Outcome("sns.no_public_policy", "no unconditional Allow to *", public or "none", not public)


@register_verifier("aws_sns_topic_subscription")
def verify_sns_subscription(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    subs = ctx.client("sns").list_subscriptions_by_topic(TopicArn=r.get("topic_arn")).get("Subscriptions", [])
    found = any(
        s.get("Endpoint") == r.get("endpoint") and s.get("Protocol") == r.get("protocol") for s in subs
    )
    yield present("exists", found, f"{r.get('protocol')}:{r.get('endpoint')}")


@register_verifier("aws_sqs_queue")
def verify_sqs_queue(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    sqs = ctx.client("sqs")
    url = sqs.get_queue_url(QueueName=r.get("name"))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    key = attributes.get("KmsMasterKeyId")
    managed = str(attributes.get("SqsManagedSseEnabled", "false")).lower() == "true"
    yield Outcome(
        "sqs.encryption",
        "SSE-KMS (or SQS-managed SSE)",
        key or ("SQS-managed" if managed else "none"),
        bool(key) or managed,
    )


@register_verifier("aws_ssm_parameter")
def verify_ssm_parameter(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    params = (
        ctx.client("ssm")
        .describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [r.get("name")]}])
        .get("Parameters", [])
    )
    yield present("exists", bool(params), r.get("name"))
    if params:
        yield equal("matches state: type", r.get("type"), params[0].get("Type"))
        if r.get("type") == "SecureString":
            yield Outcome(
                "ssm.kms",
                "a customer KMS key",
                params[0].get("KeyId") or "none",
                bool(params[0].get("KeyId")) and params[0].get("KeyId") != "alias/aws/ssm",
            )


@register_verifier("aws_secretsmanager_secret")
def verify_secret(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    secret = ctx.client("secretsmanager").describe_secret(SecretId=r.get("arn"))
    yield present("exists", not secret.get("DeletedDate"), r.get("name"))
    yield Outcome(
        "secrets.kms",
        "a customer KMS key",
        secret.get("KmsKeyId") or "aws/secretsmanager",
        bool(secret.get("KmsKeyId")),
    )


@register_verifier("aws_secretsmanager_secret_version")
def verify_secret_version(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    versions = (
        ctx.client("secretsmanager").list_secret_version_ids(SecretId=r.get("secret_id")).get("Versions", [])
    )
    found = next((v for v in versions if v.get("VersionId") == r.get("version_id")), None)
    yield present("exists", found is not None, r.get("version_id"))


# ================================================================================================
# Lambda, API Gateway v2, ECR
# ================================================================================================
@register_verifier("aws_lambda_function")
def verify_lambda(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("lambda").get_function_configuration(FunctionName=r.get("function_name"))
    yield present("exists", True, config.get("FunctionArn"))
    vpc = r.block("vpc_config")
    if vpc.get("subnet_ids"):
        yield equal(
            "lambda.in_vpc",
            sorted(vpc.get("subnet_ids", [])),
            sorted((config.get("VpcConfig") or {}).get("SubnetIds", [])),
        )
    if r.get("environment"):
        yield Outcome(
            "lambda.environment_kms",
            "a customer KMS key",
            config.get("KMSKeyArn") or "none",
            bool(config.get("KMSKeyArn")),
        )


@register_verifier("aws_lambda_permission")
def verify_lambda_permission(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policy = policy_document(ctx.client("lambda").get_policy(FunctionName=r.get("function_name"))["Policy"])
    found = [s for s in statements(policy) if s.get("Sid") == r.get("statement_id")]
    yield present("exists", bool(found), r.get("statement_id"))


@register_verifier("aws_apigatewayv2_api")
def verify_apigw_api(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    api = ctx.client("apigatewayv2").get_api(ApiId=r.get("id"))
    yield equal("matches state: protocol", r.get("protocol_type"), api.get("ProtocolType"))


@register_verifier("aws_apigatewayv2_integration")
def verify_apigw_integration(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    item = ctx.client("apigatewayv2").get_integration(ApiId=r.get("api_id"), IntegrationId=r.get("id"))
    yield equal("matches state: type", r.get("integration_type"), item.get("IntegrationType"))


@register_verifier("aws_apigatewayv2_route")
def verify_apigw_route(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    route = ctx.client("apigatewayv2").get_route(ApiId=r.get("api_id"), RouteId=r.get("id"))
    yield equal("matches state: route", r.get("route_key"), route.get("RouteKey"))
    auth = route.get("AuthorizationType", "NONE")
    yield Outcome(
        "apigw.route_authorized",
        f"{r.get('authorization_type')} (not NONE)",
        auth,
        auth == r.get("authorization_type") and auth != "NONE",
    )


@register_verifier("aws_apigatewayv2_authorizer")
def verify_apigw_authorizer(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    item = ctx.client("apigatewayv2").get_authorizer(ApiId=r.get("api_id"), AuthorizerId=r.get("id"))
    yield equal("matches state: type", r.get("authorizer_type"), item.get("AuthorizerType"))


@register_verifier("aws_apigatewayv2_stage")
def verify_apigw_stage(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    stage = ctx.client("apigatewayv2").get_stage(ApiId=r.get("api_id"), StageName=r.get("name"))
    dest = (stage.get("AccessLogSettings") or {}).get("DestinationArn")
    yield Outcome("apigw.access_logs", "an access log destination", dest or "none", bool(dest))


@register_verifier("aws_ecr_repository")
def verify_ecr_repository(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    repo = ctx.client("ecr").describe_repositories(repositoryNames=[r.get("name")])["repositories"][0]
    enc = repo.get("encryptionConfiguration") or {}
    yield Outcome(
        "ecr.kms",
        "KMS",
        f"{enc.get('encryptionType', 'AES256')} {enc.get('kmsKey', '')}".strip(),
        enc.get("encryptionType") == "KMS",
    )
    yield equal(
        "ecr.scan_on_push", True, bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush"))
    )
    yield equal(
        "ecr.immutable_tags", r.get("image_tag_mutability") or "IMMUTABLE", repo.get("imageTagMutability")
    )


@register_verifier("aws_ecr_lifecycle_policy")
def verify_ecr_lifecycle(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    policy = ctx.client("ecr").get_lifecycle_policy(repositoryName=r.get("repository"))["lifecyclePolicyText"]
    yield equal("matches state", json.loads(r.get("policy")), json.loads(policy))


# ================================================================================================
# Glue, EMR
# ================================================================================================
@register_verifier("aws_glue_catalog_database")
def verify_glue_database(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    db = ctx.client("glue").get_database(Name=r.get("name"))["Database"]
    yield equal("exists", r.get("name"), db.get("Name"))


@register_verifier("aws_glue_security_configuration")
def verify_glue_security_configuration(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("glue").get_security_configuration(Name=r.get("name"))["SecurityConfiguration"]
    enc = config.get("EncryptionConfiguration", {})
    s3_modes = [x.get("S3EncryptionMode") for x in enc.get("S3Encryption", [])]
    yield Outcome("glue.s3_encryption", "SSE-KMS", s3_modes or "none", s3_modes == ["SSE-KMS"])
    yield equal(
        "glue.cloudwatch_encryption",
        "SSE-KMS",
        (enc.get("CloudWatchEncryption") or {}).get("CloudWatchEncryptionMode"),
    )
    yield equal(
        "glue.bookmark_encryption",
        "CSE-KMS",
        (enc.get("JobBookmarksEncryption") or {}).get("JobBookmarksEncryptionMode"),
    )


@register_verifier("aws_glue_data_catalog_encryption_settings")
def verify_glue_catalog_encryption(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    settings = ctx.client("glue").get_data_catalog_encryption_settings(CatalogId=r.get("catalog_id"))[
        "DataCatalogEncryptionSettings"
    ]
    yield equal(
        "glue.catalog_encryption",
        "SSE-KMS",
        (settings.get("EncryptionAtRest") or {}).get("CatalogEncryptionMode"),
    )
    yield equal(
        "glue.connection_password_encryption",
        True,
        bool((settings.get("ConnectionPasswordEncryption") or {}).get("ReturnConnectionPasswordEncrypted")),
    )


@register_verifier("aws_glue_job")
def verify_glue_job(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    job = ctx.client("glue").get_job(JobName=r.get("name"))["Job"]
    yield Outcome(
        "glue.security_configuration",
        r.get("security_configuration") or "a security configuration",
        job.get("SecurityConfiguration") or "none",
        bool(job.get("SecurityConfiguration"))
        and job.get("SecurityConfiguration") == r.get("security_configuration"),
    )


@register_verifier("aws_glue_crawler")
def verify_glue_crawler(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    crawler = ctx.client("glue").get_crawler(Name=r.get("name"))["Crawler"]
    yield Outcome(
        "glue.security_configuration",
        r.get("security_configuration") or "a security configuration",
        crawler.get("CrawlerSecurityConfiguration") or "none",
        bool(crawler.get("CrawlerSecurityConfiguration"))
        and crawler.get("CrawlerSecurityConfiguration") == r.get("security_configuration"),
    )


@register_verifier("aws_emr_security_configuration")
def verify_emr_security_configuration(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    raw = ctx.client("emr").describe_security_configuration(Name=r.get("name"))["SecurityConfiguration"]
    enc = json.loads(raw).get("EncryptionConfiguration", {})
    yield equal("emr.encryption_at_rest", True, bool(enc.get("EnableAtRestEncryption")))
    yield equal("emr.encryption_in_transit", True, bool(enc.get("EnableInTransitEncryption")))


@register_verifier("aws_emr_cluster")
def verify_emr_cluster(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    cluster = ctx.client("emr").describe_cluster(ClusterId=r.get("id"))["Cluster"]
    yield Outcome(
        "emr.security_configuration",
        r.get("security_configuration") or "a security configuration",
        cluster.get("SecurityConfiguration") or "none",
        bool(cluster.get("SecurityConfiguration")),
    )
    state = cluster.get("Status", {}).get("State")
    yield Outcome("running", "not terminated", state, state not in ("TERMINATED", "TERMINATED_WITH_ERRORS"))


@register_verifier("aws_emr_instance_group")
def verify_emr_instance_group(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    groups = ctx.client("emr").list_instance_groups(ClusterId=r.get("cluster_id")).get("InstanceGroups", [])
    yield present("exists", any(g.get("Id") == r.get("id") for g in groups), r.get("id"))


# ================================================================================================
# ECS, OpenSearch, MSK, MWAA, Grafana, budgets
# ================================================================================================
@register_verifier("aws_ecs_cluster")
def verify_ecs_cluster(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    clusters = ctx.client("ecs").describe_clusters(clusters=[r.get("arn")], include=["SETTINGS"])["clusters"]
    yield present("exists", bool(clusters) and clusters[0].get("status") == "ACTIVE", r.get("name"))
    settings = {s.get("name"): s.get("value") for s in (clusters[0].get("settings", []) if clusters else [])}
    want = {s.get("name"): s.get("value") for s in r.get("setting", [])}
    if "containerInsights" in want:
        yield equal(
            "matches state: container insights", want["containerInsights"], settings.get("containerInsights")
        )


@register_verifier("aws_ecs_service")
def verify_ecs_service(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    services = ctx.client("ecs").describe_services(cluster=r.get("cluster"), services=[r.get("name")])[
        "services"
    ]
    yield present("exists", bool(services) and services[0].get("status") == "ACTIVE", r.get("name"))
    if services:
        network = (services[0].get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        yield equal("ecs.no_public_ip", "DISABLED", network.get("assignPublicIp", "DISABLED"))


@register_verifier("aws_ecs_task_definition")
def verify_ecs_task_definition(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    task = ctx.client("ecs").describe_task_definition(taskDefinition=r.get("arn"))["taskDefinition"]
    yield equal("matches state: family", r.get("family"), task.get("family"))


@register_verifier("aws_opensearch_domain")
def verify_opensearch_domain(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    domain = ctx.client("opensearch").describe_domain(DomainName=r.get("domain_name"))["DomainStatus"]
    yield equal(
        "opensearch.encryption_at_rest",
        True,
        bool((domain.get("EncryptionAtRestOptions") or {}).get("Enabled")),
    )
    yield equal(
        "opensearch.node_to_node_encryption",
        True,
        bool((domain.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
    )
    yield equal(
        "opensearch.enforce_https",
        True,
        bool((domain.get("DomainEndpointOptions") or {}).get("EnforceHTTPS")),
    )
    yield Outcome(
        "opensearch.in_vpc",
        "VPC endpoint",
        "VPC" if domain.get("VPCOptions") else "public endpoint",
        bool((domain.get("VPCOptions") or {}).get("SubnetIds")),
    )


@register_verifier("aws_opensearch_domain_policy")
def verify_opensearch_policy(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    domain = ctx.client("opensearch").describe_domain(DomainName=r.get("domain_name"))["DomainStatus"]
    same = _same_document(domain.get("AccessPolicies") or "{}", r.get("access_policies"))
    yield Outcome("matches state", "the policy in state", "same" if same else "different", same)


@register_verifier("aws_msk_cluster")
def verify_msk_cluster(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    info = ctx.client("kafka").describe_cluster(ClusterArn=r.get("arn"))["ClusterInfo"]
    enc = info.get("EncryptionInfo") or {}
    transit = enc.get("EncryptionInTransit") or {}
    yield equal("msk.tls_client_broker", "TLS", transit.get("ClientBroker"))
    yield equal("msk.tls_in_cluster", True, bool(transit.get("InCluster")))
    key = (enc.get("EncryptionAtRest") or {}).get("DataVolumeKMSKeyId")
    yield Outcome("msk.encryption_at_rest", "a customer KMS key", key or "AWS managed", bool(key))


@register_verifier("aws_msk_configuration")
def verify_msk_configuration(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    config = ctx.client("kafka").describe_configuration(Arn=r.get("arn"))
    yield equal("exists", r.get("name"), config.get("Name"))


@register_verifier("aws_mwaa_environment")
def verify_mwaa(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    env = ctx.client("mwaa").get_environment(Name=r.get("name"))["Environment"]
    yield equal("mwaa.private_webserver", "PRIVATE_ONLY", env.get("WebserverAccessMode"))
    yield Outcome("mwaa.kms", "a customer KMS key", env.get("KmsKey") or "AWS owned", bool(env.get("KmsKey")))


@register_verifier("aws_grafana_workspace")
def verify_grafana(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    ws = ctx.client("grafana").describe_workspace(workspaceId=r.get("id"))["workspace"]
    yield Outcome("active", "ACTIVE", ws.get("status"), ws.get("status") in ("ACTIVE", "UPDATING"))


@register_verifier("aws_budgets_budget")
def verify_budget(r: StateResource, ctx: VerifyContext) -> Iterator[Outcome]:
    account = r.get("account_id") or str(r.get("id", ":")).split(":", 1)[0] or ctx.account_id()
    budget = ctx.client("budgets").describe_budget(AccountId=account, BudgetName=r.get("name"))["Budget"]
    limit = budget.get("BudgetLimit") or {}
    yield equal("matches state: limit", float(r.get("limit_amount") or 0), float(limit.get("Amount") or 0))
