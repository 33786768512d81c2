"""Airflow connections and variables -> Secrets Manager under MWAA's secrets backend prefixes.

Why no values anywhere: the table shows the secret's name and what was done (created, updated, unchanged),
never a value, a digest of one, or a length; every value is registered with the redactor as it is resolved.
Every connection id and variable the DAGs reference must be mapped; ``aws_default`` is MWAA's execution role.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from runbook_lib import redact
from runbook_lib.endpoints import kafka_bootstrap
from runbook_lib.errors import OrchestrationError
from runbook_lib.params import resolve_secret

#: Connections MWAA provides itself: ``aws_default`` signs with the environment's execution role.
PROVIDED_BY_MWAA = frozenset({"aws_default"})


@dataclass(frozen=True)
class SecretWrite:
    """One connection or variable written to Secrets Manager (no value)."""

    kind: str  # connection | variable
    key: str
    secret_name: str
    action: str  # created | updated | unchanged


def check_mapped(connections: set[str], variables: set[str], airflow: Any) -> None:
    """Every referenced connection id and variable has a mapping in the params, else one error naming them."""
    mapped_conns = {c.conn_id for c in airflow.connections} | PROVIDED_BY_MWAA
    missing = sorted(f"connection {c}" for c in connections - mapped_conns)
    missing += sorted(f"variable {v}" for v in variables - set(airflow.variables))
    if missing:
        raise OrchestrationError("orchestration.airflow", f"the DAGs use unmapped {', '.join(missing)}",
                                 hint="add them to orchestration.airflow.connections / variables")


def connection_document(conn: Any, resolve: Callable[[Any], str]) -> str:
    """The JSON form of a connection the amazon provider's SecretsManagerBackend reads."""
    doc: dict[str, Any] = {"conn_type": conn.conn_type}
    if conn.uri_ref is not None:
        parts = urlsplit(resolve(conn.uri_ref))
        doc.update({"host": parts.hostname, "port": parts.port, "login": unquote(parts.username or ""),
                    "password": unquote(parts.password or ""), "schema": parts.path.lstrip("/")})
    if conn.host:
        doc["host"] = conn.host
    extra = dict(conn.extra)
    for key, ref in conn.extra_refs.items():
        value = resolve(ref)
        extra[key] = kafka_bootstrap(value) if key == "bootstrap.servers" and "://" in value else value
    if extra:
        doc["extra"] = extra
    return json.dumps({k: v for k, v in doc.items() if v not in (None, "")}, sort_keys=True)


def write_secrets(airflow: Any, secrets_client: Any, *, sandbox_resolver: Callable[[str], str] | None = None,
                  endpoint_url: str | None = None) -> list[SecretWrite]:
    """Create or update one secret per connection and variable; an equal value is left alone (``unchanged``)."""

    def resolve(ref: Any) -> str:
        return resolve_secret(ref, sandbox_resolver=sandbox_resolver, endpoint_url=endpoint_url)

    wanted: list[tuple[str, str, str, str]] = []
    for conn in airflow.connections:
        value = connection_document(conn, resolve)
        wanted.append(("connection", conn.conn_id, f"{airflow.connections_prefix}/{conn.conn_id}", value))
    for key, value in sorted(airflow.variables.items()):
        wanted.append(("variable", key, f"{airflow.variables_prefix}/{key}", value))
    writes = []
    for kind, key, name, value in wanted:
        redact.register_secret(value)
        writes.append(SecretWrite(kind, key, name, _put(secrets_client, name, value)))
    return writes


def _put(client: Any, name: str, value: str) -> str:
    from botocore.exceptions import ClientError

    try:
        current = client.get_secret_value(SecretId=name).get("SecretString")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise OrchestrationError(name, f"cannot read the secret: {error.response['Error']['Code']}",
                                     hint="check the role's secretsmanager permissions") from None
        client.create_secret(Name=name, SecretString=value,
                             Description="Airflow secrets backend entry written by the runbook (phase 5)")
        return "created"
    if current == value:
        return "unchanged"
    client.put_secret_value(SecretId=name, SecretString=value)
    return "updated"


def writes_frame(writes: list[SecretWrite]) -> Any:
    import pandas as pd

    return pd.DataFrame([{"kind": w.kind, "key": w.key, "secret_name": w.secret_name, "action": w.action,
                          "value": "(not shown)"} for w in writes])
