"""Resolve where things are: the AWS API endpoint, and the addresses behind RDS, MSK and DocumentDB.

Why one module: against a real account an RDS endpoint is a DNS name to
connect to; in the sandbox moto reports the same kind of name, but the database
behind it is a local PostgreSQL. Library code asks this module, and only this
module, for the address to connect to, so phase code is the same in both
worlds. The sandbox's ``bindings.json`` is the single source of those mappings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlparse

from runbook_lib.bindings import load_bindings
from runbook_lib.errors import EndpointError, ParamsError, SandboxDownError

log = logging.getLogger("runbook_lib.endpoints")

SANDBOX = "sandbox"
FAMILIES = ("rds", "msk", "docdb")


class AwsLike(Protocol):
    region: str
    endpoint_url: str | None


def aws_endpoint_url(aws: AwsLike | None) -> str | None:
    """The AWS API endpoint: None for real AWS, the sandbox's moto for ``"sandbox"``, else the URL given."""
    url = getattr(aws, "endpoint_url", None) if aws is not None else None
    if url is None:
        return None
    if url == SANDBOX:
        resolved = load_bindings().get("aws_endpoint_url")
        if not resolved:
            raise SandboxDownError("the AWS stand-in")
        return str(resolved)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ParamsError("aws.endpoint_url", url, "null (real AWS), 'sandbox', or an http(s):// URL")
    return url


def is_sandbox(aws: AwsLike | None) -> bool:
    return getattr(aws, "endpoint_url", None) is not None


@dataclass(frozen=True)
class ResolvedEndpoint:
    """Where to connect for an endpoint an AWS API reported."""

    family: str
    reported: str
    connect_to: str
    bound_by_sandbox: bool


def resolve_endpoint(family: str, reported: str, *, sandbox: bool) -> ResolvedEndpoint:
    """Map an endpoint AWS reported (RDS address, MSK bootstrap brokers, DocumentDB address) to where to connect.

    Args:
        family: ``rds``, ``msk`` or ``docdb``.
        reported: what the AWS API returned.
        sandbox: whether the run targets the sandbox (then the bindings file decides).
    """
    if family not in FAMILIES:
        raise ParamsError("family", family, FAMILIES)
    if not sandbox:
        return ResolvedEndpoint(family, reported, reported, False)
    bindings = load_bindings().get(family, {})
    host = reported.split(",")[0].split(":")[0]
    target = bindings.get(host) or bindings.get("*")
    if not target:
        raise EndpointError(
            f"no sandbox binding for {family} endpoint {reported!r}",
            hint="restart the sandbox (`runbook sandbox up`) so bindings.json is written",
        )
    return ResolvedEndpoint(family, reported, str(target), True)


def kafka_bootstrap(url: str) -> str:
    """``kafka://host:port[,host:port]`` (or a bare list) -> a bootstrap.servers string."""
    return url.split("://", 1)[1] if "://" in url else url
