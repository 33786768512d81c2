"""Walk an applied stack's state and run the registered verifier of each managed resource.

Why not trust ``terraform apply``'s exit code: Terraform reports what the provider *asked for*;
what the account *has* can differ (a bucket policy another tool replaced, an emulator that
accepted a setting and ignores it, a managed policy attached by hand). So after a stack is
applied its state (``terraform show -json``) is walked, and each managed resource is read back
with boto3 by the verifier :mod:`.registry` lists for its type. This module classifies what the
verifiers yield (ok, failed, waived, not verified - see :mod:`.core`) and applies the waivers an
environment's tfvars declare.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
)
from runbook_lib.infra.verify.registry import VERIFIERS
from runbook_lib.terraform.state import StateResource, TfState

if TYPE_CHECKING:
    from runbook_lib.terraform.runner import TerraformRunner
    from runbook_lib.terraform.tfvars import TfVars

log = logging.getLogger("runbook_lib.infra.verify")

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
_NOT_IMPLEMENTED_CODES = frozenset({"NotImplemented", "NotImplementedError", "InternalFailure", "InternalError"})


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
                waived.setdefault(check, f"{tfvars.path.name}: {rule.variable} = {json.dumps(value)} ({reason})")
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
    # botocore is imported when a verifier fails, not when the package is imported (it is heavy).
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
        return Outcome("read back", "readable", f"{operation}: {code}", False, str(err.get("Message", ""))[:200]), False
    if isinstance(error, BotoCoreError):
        return Outcome("read back", "readable", type(error).__name__, False, str(error)[:200]), ctx.sandbox
    return Outcome("read back", "readable", f"{type(error).__name__}: {error}"[:200], False, "verifier error"), False


def verify_resource(
    resource: StateResource,
    ctx: VerifyContext,
    *,
    stack: str = "",
    waivers: Mapping[str, str] | None = None,
    registry: Mapping[str, Verifier] | None = None,
) -> tuple[list[ResourceCheck], ResourceVerdict]:
    """Run the registered verifier of one resource; classify each outcome.

    A type the registry does not list gives one ``not verified`` row, never a pass.
    """
    waivers = waivers or {}
    verifier = (registry if registry is not None else VERIFIERS).get(resource.type)
    rows: list[ResourceCheck] = []

    def row(outcome: Outcome, status: str) -> None:
        rows.append(
            ResourceCheck(
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
        registry: type -> verifier; defaults to :data:`.registry.VERIFIERS`.
        workers: resources read back concurrently (boto3 clients are thread-safe; calls are I/O).
    """
    ctx = ctx or VerifyContext(state, client_factory=client_factory, aws=aws)
    managed = state.managed

    def one(resource: StateResource) -> tuple[list[ResourceCheck], ResourceVerdict]:
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
