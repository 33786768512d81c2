"""What a verifier sees and what verification reports: statuses, outcomes, the report types, the context.

Why one module: these are the contract between the runner (:mod:`.runner`) and the service modules
(``s3``, ``iam`` …). Service modules import only this module and :mod:`.policy`, so the runner can
import the registry (and through it every service module) without a cycle.

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

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import pandas as pd

from runbook_lib.clients import aws_client
from runbook_lib.endpoints import is_sandbox
from runbook_lib.terraform.state import StateResource, TfState

OK = "ok"
FAILED = "failed"
WAIVED = "waived"
NOT_VERIFIED = "not verified"


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What a verifier found for one check of one resource (the runner adds address and type)."""

    check: str
    expected: Any
    actual: Any
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ResourceCheck:
    """One row of the verification table: one check of one resource, with its status."""

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
    results: tuple[ResourceCheck, ...] = ()
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

    def failures(self) -> list[ResourceCheck]:
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
# Context: clients, the whole state
# ----------------------------------------------------------------------------------------------
class VerifyContext:
    """What verifiers share: boto3 clients (made once, thread-safely), the stack's state.

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
        return [r for r in self.state.by_type(resource_type) if all(r.values.get(k) == v for k, v in attrs.items())]

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


class Verifier(Protocol):
    """Reads one applied resource back and yields its checks; what :mod:`.registry` maps a type to.

    A plain function ``(resource, ctx) -> Iterator[Outcome]`` is one; so is a table row with a
    ``__call__`` (:class:`MatchesState`). Raising is allowed: the runner turns a missing resource
    into a failed ``exists`` and an unimplemented sandbox call into ``not verified``.
    """

    def __call__(self, resource: StateResource, ctx: VerifyContext, /) -> Iterable[Outcome]: ...


# ----------------------------------------------------------------------------------------------
# Small helpers for verifiers
# ----------------------------------------------------------------------------------------------
CUSTOMER_KEY = "a customer KMS key"


def equal(check: str, expected: Any, actual: Any, detail: str = "") -> Outcome:
    return Outcome(check, expected, actual, expected == actual, detail)


def present(check: str, found: bool, what: str) -> Outcome:
    return Outcome(check, "present", what if found else "missing", found)


def configured(check: str, expected: str, value: Any, missing: str = "none") -> Outcome:
    """Passes when AWS reports a value for a setting (a key id, a log destination); ``missing`` names the default."""
    return Outcome(check, expected, value or missing, bool(value))


def dig(data: Mapping[str, Any], first: str, *keys: str) -> Any:
    """``data[first][k2]…`` where a missing or null block reads as None: AWS omits blocks that are not set."""
    value = data.get(first)
    for key in keys:
        value = (value or {}).get(key)
    return value


def _client_error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def or_none(call: Callable[[], Any], *codes: str) -> Any:
    """``call()``, or None when it raises a ClientError with one of ``codes`` (e.g. "no policy")."""
    # botocore is imported when a verifier runs, not when the package is imported (it is heavy).
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as error:
        if _client_error_code(error) in codes:
            return None
        raise


# ----------------------------------------------------------------------------------------------
# Table rows: verifiers that differ only in names
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lookup:
    """How to read one resource back: a call whose request is built from state attributes.

    ``request`` maps an API parameter to a state attribute; a one-item list sends the attribute
    as a one-item list (``{"VpcIds": ["id"]}``). ``path`` leads from the response to the item.
    """

    service: str
    operation: str
    request: Mapping[str, str | list[str]]
    path: tuple[str | int, ...] = ()

    def read(self, r: StateResource, ctx: VerifyContext) -> Any:
        args = {
            param: [r.get(a) for a in attr] if isinstance(attr, list) else r.get(attr)
            for param, attr in self.request.items()
        }
        item = getattr(ctx.client(self.service), self.operation)(**args)
        for key in self.path:
            item = item[key]
        return item


@dataclass(frozen=True)
class MatchesState:
    """A verifier that reads one resource and checks that one of its fields equals a state attribute."""

    check: str
    lookup: Lookup
    field: str
    attribute: str

    def __call__(self, r: StateResource, ctx: VerifyContext) -> Iterable[Outcome]:
        yield equal(self.check, r.get(self.attribute), self.lookup.read(r, ctx).get(self.field))


@dataclass(frozen=True)
class ListedIn:
    """A verifier that lists a parent's children and checks that this resource is among them."""

    lookup: Lookup
    items: str
    field: str
    attribute: str

    def __call__(self, r: StateResource, ctx: VerifyContext) -> Iterable[Outcome]:
        listed = self.lookup.read(r, ctx).get(self.items, [])
        want = r.get(self.attribute)
        yield present("exists", any(x.get(self.field) == want for x in listed), want)
