"""The account guard: refuse to touch an AWS account that ``aws.allowed_account_ids`` does not list.

Why one function: every entry point that talks to AWS (``runbook run`` and ``--resume``, ``runbook tf``,
``runbook migrate``, ``runbook iac check``, a phase opened by hand with ``open_phase``) calls
:func:`require_allowed_account` first, and preflight applies the same rule (:func:`account_verdict`),
so there is one rule and it cannot be skipped by choosing which phases to run.

The rule: the account STS GetCallerIdentity names (through :func:`runbook_lib.clients.aws_client`, so
with ``aws.profile`` and ``aws.assume_role_arn``) must be in ``aws.allowed_account_ids``. An empty list
allows nothing against AWS; against an emulator (``aws.endpoint_url`` set) an empty list passes, and
the entry points do not call STS at all (the clients sign with the emulator's test keys: no AWS account
is reachable; preflight still checks the emulator's identity). The identity is read once per process
and AWS settings, so a run does not call STS per cell.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from runbook_lib.clients import aws_client
from runbook_lib.errors import AccountNotAllowedError, RunbookError

log = logging.getLogger("runbook_lib.phases.account_guard")

PARAMS_KEY = "aws.allowed_account_ids"


@dataclass(frozen=True)
class CallerIdentity:
    """Who the credentials are (STS GetCallerIdentity)."""

    account: str
    arn: str


@dataclass(frozen=True)
class AccountVerdict:
    """What the rule says about one account: allowed or not, why, and whether a refusal blocks."""

    allowed: bool
    detail: str
    blocking: bool = True


_CACHE: dict[tuple[Any, ...], CallerIdentity] = {}


def _cache_key(aws: Any) -> tuple[Any, ...]:
    return (
        os.getpid(),
        getattr(aws, "region", None),
        getattr(aws, "profile", None),
        getattr(aws, "assume_role_arn", None),
        getattr(aws, "external_id", None),
        getattr(aws, "endpoint_url", None),
    )


def caller_identity(aws: Any) -> CallerIdentity:
    """STS GetCallerIdentity through the shared client factory, read once per process and AWS settings.

    Raises whatever the client raises (a :class:`RunbookError` for a down sandbox, botocore errors).
    """
    key = _cache_key(aws)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    answer = aws_client("sts", aws).get_caller_identity()
    identity = CallerIdentity(account=str(answer["Account"]), arn=str(answer["Arn"]))
    _CACHE[key] = identity
    return identity


def clear_cache() -> None:
    """Forget the identities read so far (tests; or after the credentials changed)."""
    _CACHE.clear()


def account_verdict(account: str, aws: Any) -> AccountVerdict:
    """The one rule: is ``account`` allowed by ``aws.allowed_account_ids``?"""
    allowed = list(getattr(aws, "allowed_account_ids", None) or [])
    if account in allowed:
        return AccountVerdict(True, f"{account} is in {PARAMS_KEY}")
    if getattr(aws, "endpoint_url", None) is not None and not allowed:
        return AccountVerdict(True, "sandbox: no allow-list set", blocking=False)
    return AccountVerdict(False, f"account {account} is not in {PARAMS_KEY} {allowed}; refusing to go on")


def require_allowed_account(aws: Any, *, where: str) -> CallerIdentity | None:
    """Refuse (:class:`AccountNotAllowedError`, exit 4) unless the credentials reach an allowed account.

    Args:
        aws: the params' ``aws`` section.
        where: the entry point, named in the refusal (e.g. ``runbook tf apply``).

    Returns:
        The caller identity; None against an emulator (``aws.endpoint_url`` set): every client then signs
        with the emulator's fixed test keys, so no AWS account can be reached and STS is not called
        (preflight still reads the emulator's identity and applies :func:`account_verdict`).
    """
    allowed = list(getattr(aws, "allowed_account_ids", None) or [])
    if getattr(aws, "endpoint_url", None) is not None:
        return None
    try:
        identity = caller_identity(aws)
    except RunbookError:
        raise
    except Exception as error:  # noqa: BLE001 - botocore raises many kinds; all mean "no identity"
        raise AccountNotAllowedError(None, allowed, where=where, reason=f"{type(error).__name__}: {error}") from None
    verdict = account_verdict(identity.account, aws)
    if not verdict.allowed:
        raise AccountNotAllowedError(identity.account, allowed, where=where)
    log.info("%s: AWS account %s allowed (%s)", where, identity.account, identity.arn)
    return identity


__all__ = [
    "AccountVerdict",
    "CallerIdentity",
    "account_verdict",
    "caller_identity",
    "clear_cache",
    "require_allowed_account",
]
