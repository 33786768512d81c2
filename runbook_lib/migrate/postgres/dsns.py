"""Where a params mapping's source and target DSNs come from: secrets, and in the sandbox the RDS binding.

Against real AWS the target DSN secret names the RDS endpoint itself. In the sandbox the RDS instance
moto reports is resolved through :func:`runbook_lib.endpoints.resolve_endpoint` to the local PostgreSQL
that plays it, so the same params move data in both places.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runbook_lib.clients import aws_client
from runbook_lib.endpoints import aws_endpoint_url, resolve_endpoint
from runbook_lib.migrate.postgres.libpq import with_host_port
from runbook_lib.params import resolve_secret

log = logging.getLogger(__name__)


def resolve_dsns(params: Any, sandbox_state: Any | None, mapping: Any, rds_endpoint: str | None) -> tuple[str, str]:
    """Source and target DSNs for one mapping; in the sandbox the target follows the RDS endpoint binding."""
    resolver: Callable[[str], str] | None = None
    if sandbox_state is not None:

        def resolver(name: str) -> str:
            return sandbox_state.url(name, with_secret=True)

    endpoint_url = aws_endpoint_url(params.aws)
    session = None
    if params.aws.profile and not params.is_sandbox:
        import boto3  # heavy (~0.5 s); only a run against real AWS with a named profile needs a session

        session = boto3.Session(profile_name=params.aws.profile)
    source_dsn = resolve_secret(
        mapping.source_dsn_ref, sandbox_resolver=resolver, session=session, endpoint_url=endpoint_url
    )
    target_dsn = resolve_secret(
        mapping.target_dsn_ref, sandbox_resolver=resolver, session=session, endpoint_url=endpoint_url
    )
    if params.is_sandbox:
        reported = rds_endpoint or _discover_rds_endpoint(params, mapping.name)
        if reported:
            resolved = resolve_endpoint("rds", reported, sandbox=True)
            log.info("RDS endpoint %s binds to %s in the sandbox", reported, resolved.connect_to)
            target_dsn = with_host_port(target_dsn, resolved.connect_to)
        else:
            log.info("no RDS instance known yet; using the sandbox's postgres-target directly")
    return source_dsn, target_dsn


def _discover_rds_endpoint(params: Any, database: str) -> str | None:
    """The address moto reports for the PostgreSQL RDS instance holding ``database`` (or the only one)."""
    try:
        rds = aws_client("rds", params.aws, max_attempts=1, connect_timeout=2)
        instances = [
            i
            for i in rds.describe_db_instances().get("DBInstances", [])
            if str(i.get("Engine", "")).startswith("postgres") and i.get("Endpoint")
        ]
    except Exception as error:  # noqa: BLE001 - no moto/RDS yet is normal before phase 2
        log.info("cannot list RDS instances: %s", type(error).__name__)
        return None
    named = [i for i in instances if i.get("DBName") == database]
    chosen = named[0] if named else (instances[0] if len(instances) == 1 else None)
    if chosen is None:
        return None
    endpoint = chosen["Endpoint"]
    return f"{endpoint['Address']}:{endpoint.get('Port', 5432)}"
