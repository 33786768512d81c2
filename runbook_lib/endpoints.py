"""Resolve where things are: AWS API endpoints, and the addresses behind RDS, MSK and DocumentDB.

Why one module: against a real account an RDS endpoint is a DNS name to
connect to; in the sandbox moto reports the same kind of name, but the database
behind it is a local PostgreSQL. Library code asks this module, and only this
module, for the address to connect to, so phase code is the same in both
worlds. The sandbox's ``bindings.json`` is the single source of those mappings.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from runbook_lib.errors import EndpointError, ParamsError, SandboxDownError

log = logging.getLogger("runbook_lib.endpoints")

SANDBOX = "sandbox"
FAMILIES = ("rds", "msk", "docdb")
MONGO_ENTRY_POINT_GROUP = "runbook_lib.mongo_clients"


class _AwsLike(Protocol):
    region: str
    endpoint_url: str | None


def load_bindings(root: Path | None = None) -> dict[str, Any]:
    """The running sandbox's bindings; ``SandboxDownError`` when there is none."""
    from runbook_lib.sandbox import sandbox_dir

    path = Path(root or sandbox_dir()) / "bindings.json"
    if not path.exists():
        raise SandboxDownError("resolving a sandbox endpoint")
    return json.loads(path.read_text())


def aws_endpoint_url(aws: _AwsLike | None) -> str | None:
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


def is_sandbox(aws: _AwsLike | None) -> bool:
    return getattr(aws, "endpoint_url", None) is not None


def aws_client(service: str, aws: _AwsLike | None = None, *, region: str | None = None, endpoint_url: str | None = None,
               connect_timeout: float | None = None, max_attempts: int | None = None) -> Any:
    """A boto3 client for ``service``, pointed at the sandbox when the parameters say so.

    Against an emulator an unimplemented call answers HTTP 500 and the SDK
    retries; short timeouts and few attempts make it fail fast and visibly.
    """
    import boto3
    from botocore.config import Config

    endpoint = endpoint_url or aws_endpoint_url(aws)
    region = region or getattr(aws, "region", None) or "us-east-1"
    sandboxed = endpoint is not None
    config = Config(
        connect_timeout=connect_timeout or getattr(aws, "connect_timeout", None) or (3 if sandboxed else 10),
        read_timeout=60,
        retries={"max_attempts": max_attempts or getattr(aws, "max_attempts", None) or (2 if sandboxed else 5),
                 "mode": "standard"},
        s3={"addressing_style": "path"} if sandboxed else None,
    )
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if sandboxed:
        kwargs.update(endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test")
        return boto3.client(service, **kwargs)
    profile = getattr(aws, "profile", None)
    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    return session.client(service, **kwargs)


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
        raise EndpointError(f"no sandbox binding for {family} endpoint {reported!r}",
                            hint="restart the sandbox (`runbook sandbox up`) so bindings.json is written")
    return ResolvedEndpoint(family, reported, str(target), True)


def mongo_client(url: str, **kwargs: Any) -> Any:
    """A pymongo-compatible client for ``url``.

    ``mongodb://`` and ``mongodb+srv://`` go to pymongo (MongoDB, DocumentDB).
    Other schemes are looked up in the ``runbook_lib.mongo_clients`` entry
    points; the sandbox registers ``mongomock://`` there (its one mock), so
    that the library never imports the shim itself.
    """
    scheme = urlparse(url).scheme
    if scheme in ("mongodb", "mongodb+srv"):
        try:
            import pymongo
        except ImportError:  # pragma: no cover - depends on the install
            from runbook_lib.errors import ToolMissingError

            raise ToolMissingError(
                "pymongo", "pymongo is not installed", hint="pip install 'runbook_lib[mongo]'"
            ) from None
        return pymongo.MongoClient(url, **kwargs)
    factories = {ep.name: ep for ep in metadata.entry_points(group=MONGO_ENTRY_POINT_GROUP)}
    if scheme not in factories:
        raise ParamsError("mongo url scheme", scheme, ["mongodb", "mongodb+srv", *sorted(factories)])
    return factories[scheme].load()(url, **kwargs)


def kafka_bootstrap(url: str) -> str:
    """``kafka://host:port[,host:port]`` (or a bare list) -> a bootstrap.servers string."""
    return url.split("://", 1)[1] if "://" in url else url
