"""The golden signals of each migrated service, as typed CloudWatch queries.

Why a catalogue: the same four questions - traffic, errors, latency, saturation - are asked of every service, and
each service answers them with its own namespace, metric names, statistics and dimensions. The catalogue states
them once per service kind (:data:`CATALOGUE`); :func:`targets_from_state` finds the migrated resources in a stack's
Terraform state, and :func:`specs_for` turns them into :class:`MetricSpec` rows, one per chartable series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Signal = Literal["traffic", "errors", "latency", "saturation"]
SIGNALS: tuple[str, ...] = ("traffic", "errors", "latency", "saturation")


@dataclass(frozen=True)
class MetricDef:
    """One metric of a service kind; ``dims`` maps dimension names to a target field (``{name}``) or a constant."""

    signal: str
    namespace: str
    metric: str
    stat: str
    dims: tuple[tuple[str, str], ...]
    unit: str | None = None


@dataclass(frozen=True)
class ServiceTarget:
    """One migrated resource to watch: its kind (a :data:`CATALOGUE` key), the phase that made it, its name."""

    kind: str
    phase: str
    name: str
    extra: tuple[tuple[str, str], ...] = ()  # more fields for dimension templates (consumer group, topic …)


@dataclass(frozen=True)
class MetricSpec:
    """One series to fetch and chart."""

    phase: str
    service: str
    resource: str
    dimensions: tuple[tuple[str, str], ...]
    signal: str
    namespace: str
    metric: str
    stat: str
    source: str = "aws"  # "aws" (a service metric) or "runbook" (published by the runbook: canary, migrators)
    unit: str | None = None

    @property
    def label(self) -> str:
        return f"{self.resource} {self.metric} ({self.stat})"

    def metric_dict(self) -> dict[str, Any]:
        return {"Namespace": self.namespace, "MetricName": self.metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions]}


def _m(signal: str, namespace: str, metric: str, stat: str, *dims: tuple[str, str], unit: str | None = None
       ) -> MetricDef:
    return MetricDef(signal, namespace, metric, stat, tuple(dims), unit)


def _database(namespace: str, dimension: str) -> tuple[MetricDef, ...]:
    """RDS and DocumentDB answer the same four questions with the same metric names."""
    return tuple(_m(signal, namespace, metric, "Average", (dimension, "{name}")) for signal, metric in (
        ("traffic", "DatabaseConnections"), ("saturation", "CPUUtilization"), ("latency", "ReadLatency"),
        ("latency", "WriteLatency")))


#: Per service kind, its golden signals. ``{name}`` is the target's name; other ``{x}`` come from its ``extra``.
CATALOGUE: dict[str, tuple[MetricDef, ...]] = {
    "apigateway": (  # HTTP APIs (apigatewayv2) name their error metrics 4xx/5xx
        _m("traffic", "AWS/ApiGateway", "Count", "Sum", ("ApiId", "{name}")),
        _m("errors", "AWS/ApiGateway", "4xx", "Sum", ("ApiId", "{name}")),
        _m("errors", "AWS/ApiGateway", "5xx", "Sum", ("ApiId", "{name}")),
        _m("latency", "AWS/ApiGateway", "Latency", "p99", ("ApiId", "{name}")),
    ),
    "lambda": (
        _m("traffic", "AWS/Lambda", "Invocations", "Sum", ("FunctionName", "{name}")),
        _m("errors", "AWS/Lambda", "Errors", "Sum", ("FunctionName", "{name}")),
        _m("saturation", "AWS/Lambda", "Throttles", "Sum", ("FunctionName", "{name}")),
        _m("latency", "AWS/Lambda", "Duration", "p99", ("FunctionName", "{name}")),
    ),
    "msk": (
        _m("errors", "AWS/Kafka", "OfflinePartitionsCount", "Maximum", ("Cluster Name", "{name}")),
        _m("saturation", "AWS/Kafka", "MaxOffsetLag", "Maximum", ("Cluster Name", "{name}"),
           ("Consumer Group", "{consumer_group}"), ("Topic", "{topic}")),
        _m("latency", "AWS/Kafka", "EstimatedMaxTimeLag", "Maximum", ("Cluster Name", "{name}"),
           ("Consumer Group", "{consumer_group}"), ("Topic", "{topic}")),
    ),
    "rds": _database("AWS/RDS", "DBInstanceIdentifier"),
    "docdb": _database("AWS/DocDB", "DBClusterIdentifier"),
    "glue": (
        _m("traffic", "Glue", "glue.driver.aggregate.numCompletedTasks", "Sum", ("JobName", "{name}"),
           ("JobRunId", "ALL"), ("Type", "count")),
        _m("errors", "Glue", "glue.driver.aggregate.numFailedTasks", "Sum", ("JobName", "{name}"),
           ("JobRunId", "ALL"), ("Type", "count")),
        _m("latency", "Glue", "glue.driver.aggregate.elapsedTime", "Maximum", ("JobName", "{name}"),
           ("JobRunId", "ALL"), ("Type", "count")),
        _m("saturation", "Glue", "glue.ALL.jvm.heap.usage", "Average", ("JobName", "{name}"),
           ("JobRunId", "ALL"), ("Type", "gauge")),
    ),
    "mwaa": (
        _m("traffic", "AmazonMWAA", "SchedulerHeartbeat", "Sum", ("Environment", "{name}"), ("Function", "Scheduler")),
        _m("errors", "AmazonMWAA", "TaskInstanceFailures", "Sum", ("Environment", "{name}"),
           ("Function", "Scheduler")),
        _m("saturation", "AmazonMWAA", "QueuedTasks", "Maximum", ("Environment", "{name}"), ("Function", "Executor")),
        _m("latency", "AmazonMWAA", "TotalParseTime", "Average", ("Environment", "{name}"),
           ("Function", "DAG Processing")),
    ),
    "s3": (  # request metrics need a bucket metrics configuration named EntireBucket
        _m("traffic", "AWS/S3", "AllRequests", "Sum", ("BucketName", "{name}"), ("FilterId", "EntireBucket")),
        _m("errors", "AWS/S3", "5xxErrors", "Sum", ("BucketName", "{name}"), ("FilterId", "EntireBucket")),
        _m("errors", "AWS/S3", "4xxErrors", "Sum", ("BucketName", "{name}"), ("FilterId", "EntireBucket")),
        _m("latency", "AWS/S3", "FirstByteLatency", "p99", ("BucketName", "{name}"), ("FilterId", "EntireBucket")),
    ),
}

#: Terraform resource type -> (service kind, the state attribute that names it).
STATE_TYPES: dict[str, tuple[str, str]] = {
    "aws_apigatewayv2_api": ("apigateway", "id"),
    "aws_lambda_function": ("lambda", "function_name"),
    "aws_msk_cluster": ("msk", "cluster_name"),
    "aws_db_instance": ("rds", "identifier"),
    "aws_docdb_cluster": ("docdb", "cluster_identifier"),
    "aws_glue_job": ("glue", "name"),
    "aws_mwaa_environment": ("mwaa", "name"),
    "aws_s3_bucket": ("s3", "bucket"),
}


def targets_from_state(resources: Iterable[Any], phase: str, *,
                       extra: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> list[ServiceTarget]:
    """The watched resources among a stack's state resources (``StateResource``: ``type``, ``values``).

    Args:
        extra: per kind, more template fields (``msk``: ``consumer_group``, ``topic``).
    """
    out = []
    for res in resources:
        if getattr(res, "mode", "managed") != "managed" or res.type not in STATE_TYPES:
            continue
        kind, attr = STATE_TYPES[res.type]
        name = (res.values or {}).get(attr)
        if isinstance(name, str) and name:
            out.append(ServiceTarget(kind, phase, name, tuple((extra or {}).get(kind, ()))))
    return out


def specs_for(targets: Iterable[ServiceTarget]) -> list[MetricSpec]:
    """Every catalogue series of every target; a template field the target lacks is left as ``{field}``.

    Why not dropped: a lag metric without its consumer group is still a question the operator asked; it comes
    back as "no data" in the table, which is the honest answer.
    """
    specs = []
    for target in targets:
        fields = {"name": target.name, **dict(target.extra)}
        for d in CATALOGUE[target.kind]:
            dims = tuple((k, _fill(v, fields)) for k, v in d.dims)
            specs.append(MetricSpec(phase=target.phase, service=target.kind, resource=target.name, dimensions=dims,
                                    signal=d.signal, namespace=d.namespace, metric=d.metric, stat=d.stat,
                                    unit=d.unit))
    return specs


def _fill(template: str, fields: Mapping[str, str]) -> str:
    if template.startswith("{") and template.endswith("}"):
        return fields.get(template[1:-1], template)
    return template


def runbook_specs(namespace: str, metrics: Sequence[tuple[str, str, str]], dimension_sets: Sequence[
        Sequence[tuple[str, str]]], *, phase: str, service: str) -> list[MetricSpec]:
    """Series the runbook publishes itself (canary, migrators): (signal, metric, stat) x dimension sets."""
    return [
        MetricSpec(phase=phase, service=service, resource=",".join(v for _, v in dims), dimensions=tuple(dims),
                   signal=signal, namespace=namespace, metric=metric, stat=stat, source="runbook")
        for dims in dimension_sets
        for signal, metric, stat in metrics
    ]


__all__ = ["CATALOGUE", "SIGNALS", "STATE_TYPES", "MetricDef", "MetricSpec", "ServiceTarget", "runbook_specs",
           "specs_for", "targets_from_state"]
