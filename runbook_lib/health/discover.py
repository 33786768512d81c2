"""Finding the migrated resources to watch by asking the AWS APIs, one list call per service.

Why the APIs and not the Terraform state: reading seven stacks' states means seven ``terraform init`` runs; the
list calls are cheap, work the same against AWS and the sandbox, and see what actually exists. Each kind belongs
to the phase whose stack creates it (:data:`PHASE_OF_KIND`); ``name_filter`` keeps only the project's resources
(the account may hold others). A service the endpoint does not implement is reported, not fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.health.catalogue import ServiceTarget

#: Which phase's stack creates each kind of watched resource.
PHASE_OF_KIND = {
    "s3": "02_data_stores", "rds": "02_data_stores", "docdb": "02_data_stores",
    "apigateway": "03_streaming_ingestion", "lambda": "03_streaming_ingestion", "msk": "03_streaming_ingestion",
    "glue": "04_processing", "mwaa": "05_orchestration_observability",
}


def _apis(c: Any) -> list[str]:
    return [a["ApiId"] for a in c.get_apis().get("Items", [])]


def _functions(c: Any) -> list[str]:
    return [f["FunctionName"] for page in c.get_paginator("list_functions").paginate() for f in page["Functions"]]


def _msk(c: Any) -> list[str]:
    return [x["ClusterName"] for x in c.list_clusters_v2().get("ClusterInfoList", [])]


def _rds(c: Any) -> list[str]:
    return [d["DBInstanceIdentifier"] for d in c.describe_db_instances().get("DBInstances", [])
            if d.get("Engine", "").startswith("postgres")]


def _docdb(c: Any) -> list[str]:
    return [d["DBClusterIdentifier"] for d in c.describe_db_clusters(
        Filters=[{"Name": "engine", "Values": ["docdb"]}]).get("DBClusters", [])]


def _glue(c: Any) -> list[str]:
    return [j["Name"] for j in c.get_jobs().get("Jobs", [])]


def _mwaa(c: Any) -> list[str]:
    return list(c.list_environments().get("Environments", []))


def _s3(c: Any) -> list[str]:
    return [b["Name"] for b in c.list_buckets().get("Buckets", [])]


#: kind -> (boto3 service, list call).
LISTERS: dict[str, tuple[str, Callable[[Any], list[str]]]] = {
    "apigateway": ("apigatewayv2", _apis), "lambda": ("lambda", _functions), "msk": ("kafka", _msk),
    "rds": ("rds", _rds), "docdb": ("docdb", _docdb), "glue": ("glue", _glue), "mwaa": ("mwaa", _mwaa),
    "s3": ("s3", _s3),
}


@dataclass
class Discovery:
    """The targets found, and the services that could not be listed (with the error)."""

    targets: list[ServiceTarget] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)


def discover_targets(client_for: Callable[[str], Any], *, name_filter: str | None = None,
                     kinds: Sequence[str] | None = None,
                     extra: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> Discovery:
    """List every kind's resources; keep names containing ``name_filter`` (when given).

    Args:
        client_for: builds a boto3 client for a service name (``runbook_lib.clients.aws_client`` bound to params).
        extra: per kind, more dimension-template fields (``msk``: consumer_group, topic).
    """
    found = Discovery()
    for kind in kinds or list(LISTERS):
        service, lister = LISTERS[kind]
        try:
            names = lister(client_for(service))
        except Exception as error:  # an emulator without the service, no permission: say so, go on
            found.unavailable[kind] = f"{type(error).__name__}: {str(error)[:160]}"
            continue
        for name in names:
            if name_filter and name_filter not in name:
                continue
            found.targets.append(ServiceTarget(kind, PHASE_OF_KIND[kind], name, tuple((extra or {}).get(kind, ()))))
    return found


__all__ = ["LISTERS", "PHASE_OF_KIND", "Discovery", "discover_targets"]
