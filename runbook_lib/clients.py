"""Client factories: boto3 clients pointed at AWS or the sandbox, and pymongo-compatible clients by URL scheme.

Why apart from ``endpoints``: endpoints answer *where*; this module builds *what talks there*, with the
timeouts and retries each world needs. A foundation module: imports ``endpoints`` and the leaves only.
Bulk S3 copies use their own tuned client (``runbook_lib.migrate.objects``).
"""

from __future__ import annotations

import os
from importlib import metadata
from typing import Any
from urllib.parse import urlparse

from runbook_lib.endpoints import AwsLike, aws_endpoint_url
from runbook_lib.errors import ParamsError, ToolMissingError

MONGO_ENTRY_POINT_GROUP = "runbook_lib.mongo_clients"


def aws_client(
    service: str,
    aws: AwsLike | None = None,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    connect_timeout: float | None = None,
    max_attempts: int | None = None,
) -> Any:
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
        retries={
            "max_attempts": max_attempts or getattr(aws, "max_attempts", None) or (2 if sandboxed else 5),
            "mode": "standard",
        },
        s3={"addressing_style": "path"} if sandboxed else None,
    )
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if sandboxed:
        kwargs.update(endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test")
        return boto3.client(service, **kwargs)
    return aws_session(aws, region=region).client(service, **kwargs)


#: Assumed-role credentials, one per process and (profile, role, external id, session name, region): they
#: refresh themselves before they expire, so every client built from them shares one AssumeRole call.
_ROLE_CREDENTIALS: dict[tuple[Any, ...], Any] = {}
DEFAULT_ROLE_SESSION_NAME = "runbook"


def aws_session(aws: AwsLike | None = None, *, region: str | None = None) -> Any:
    """A boto3 session for real AWS: ``aws.profile``, then ``aws.assume_role_arn`` (STS AssumeRole) if set.

    With a role, the session's credentials are the role's (with ``aws.external_id`` and
    ``aws.role_session_name`` when the params have them), refreshed before they expire; every client
    built by :func:`aws_client` (and the object migrator's target client) goes through here.
    """
    import boto3

    profile = getattr(aws, "profile", None)
    region = region or getattr(aws, "region", None) or "us-east-1"
    role_arn = getattr(aws, "assume_role_arn", None)
    if not role_arn:
        return boto3.Session(profile_name=profile) if profile else boto3.Session()
    external_id = getattr(aws, "external_id", None)
    session_name = getattr(aws, "role_session_name", None) or DEFAULT_ROLE_SESSION_NAME
    key = (os.getpid(), profile, role_arn, external_id, session_name, region)
    credentials = _ROLE_CREDENTIALS.get(key)
    if credentials is None:
        from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials

        base = boto3.Session(profile_name=profile, region_name=region) if profile else boto3.Session(region_name=region)
        extra: dict[str, Any] = {"RoleSessionName": session_name}
        if external_id:
            extra["ExternalId"] = external_id
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=base._session.create_client,  # noqa: SLF001 - botocore's own assume-role path
            source_credentials=base.get_credentials(),
            role_arn=role_arn,
            extra_args=extra,
        )
        credentials = DeferredRefreshableCredentials(method="assume-role", refresh_using=fetcher.fetch_credentials)
        _ROLE_CREDENTIALS[key] = credentials
    import botocore.session

    core = botocore.session.Session()
    core._credentials = credentials  # noqa: SLF001 - the documented way to give a session refreshable credentials
    return boto3.Session(botocore_session=core, region_name=region)


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
            raise ToolMissingError(
                "pymongo", "pymongo is not installed", hint="pip install 'runbook_lib[mongo]'"
            ) from None
        return pymongo.MongoClient(url, **kwargs)
    factories = {ep.name: ep for ep in metadata.entry_points(group=MONGO_ENTRY_POINT_GROUP)}
    if scheme not in factories:
        raise ParamsError("mongo url scheme", scheme, ["mongodb", "mongodb+srv", *sorted(factories)])
    return factories[scheme].load()(url, **kwargs)
