"""What each priced resource type is charged for, read from the planned resource's attributes.

A rule turns one planned resource into :class:`Charge` lines: a price dimension (and variant, e.g. the instance
class) with a quantity per month that is either fixed by the plan (hours, provisioned GB, broker count) or taken
from the params' usage profile (``usage``). The rule never looks up a price: the estimate does, so a missing row
is reported in one place. One visible list of registrations (:data:`RULES`) ends the module; a type missing from it
and from ``no_charge.json`` is "not priced".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runbook_lib.cost.prices import HOURS_PER_MONTH


@dataclass(frozen=True)
class Charge:
    """One thing a resource is billed for, per month.

    Attributes:
        dimension / variant: the price row to use (``variant`` "" matches a row without variant).
        quantity: the quantity fixed by the plan (``None`` with ``usage``; ``None`` without it = unknown).
        usage: take the quantity from the usage profile: the product of these keys' values, times ``factor``.
        unit_note: how the quantity was derived, shown in the table.
        free: a line that is known to cost nothing (a gateway endpoint, a standard-tier parameter).
    """

    dimension: str
    variant: str = ""
    quantity: float | None = None
    usage: tuple[str, ...] = ()
    factor: float = 1.0
    unit_note: str = ""
    free: bool = False
    unknown: str | None = None  # the attribute whose value is only known after apply


@dataclass(frozen=True)
class PlannedResource:
    """A resource as the plan will leave it: address, module, type and its ``after`` attributes (values only
    known after apply are the plan model's placeholder string, which :func:`number` reads as unknown)."""

    address: str
    module: str
    type: str
    after: Mapping[str, Any]


#: A rule: the resource and every planned resource of its module (for siblings such as a task definition).
Rule = Callable[[PlannedResource, list[PlannedResource]], list[Charge]]


def number(value: Any) -> float | None:
    """A plan value as a number; ``None`` when unknown until apply, absent or not numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _first(value: Any) -> Mapping[str, Any]:
    """A nested block (``[{...}]`` in plan JSON) as its first mapping, or empty."""
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return value[0]
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _hours(count: float | None, what: str = "") -> float | None:
    return None if count is None else count * HOURS_PER_MONTH


# ---------------------------------------------------------------------------------------------------------------
def kms_key(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("key", quantity=1, unit_note="1 key"), Charge("requests", usage=("kms_requests",))]


def dynamodb_table(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    mode = _text(r.after.get("billing_mode")) or "PROVISIONED"
    charges = [Charge("storage", usage=("dynamodb_gb_stored",))]
    if mode == "PAY_PER_REQUEST":
        charges += [
            Charge("write-request-units", mode, usage=("dynamodb_write_requests",)),
            Charge("read-request-units", mode, usage=("dynamodb_read_requests",)),
        ]
    else:
        for dim, key in (("write-capacity", "write_capacity"), ("read-capacity", "read_capacity")):
            units = number(r.after.get(key))
            charges.append(Charge(dim, mode, quantity=_hours(units, key), unit_note=f"{units} x 730 h",
                                  unknown=None if units is not None else key))
    return charges


def s3_bucket(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [
        Charge("storage", "STANDARD", usage=("s3_gb_stored",)),
        Charge("put-requests", usage=("s3_put_requests",)),
        Charge("get-requests", usage=("s3_get_requests",)),
    ]


def log_group(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("ingestion", usage=("logs_gb_ingested",)), Charge("archive", usage=("logs_gb_stored",))]


def flow_log(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    destination = _text(r.after.get("log_destination_type")) or "cloud-watch-logs"
    return [Charge("vended-logs-delivery", destination, usage=("flow_logs_gb",))]


def eip(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("public-ipv4", quantity=HOURS_PER_MONTH, unit_note="730 h")]


def nat_gateway(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("hours", quantity=HOURS_PER_MONTH, unit_note="730 h"),
            Charge("data-processed", usage=("nat_gb_processed",))]


def vpc_endpoint(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    kind = _text(r.after.get("vpc_endpoint_type")) or "Gateway"
    if kind == "Gateway":
        return [Charge("gateway-endpoint", kind, quantity=0, free=True, unit_note="gateway endpoints are free")]
    subnets = r.after.get("subnet_ids")
    count = float(len(subnets)) if isinstance(subnets, list) and subnets else None
    return [Charge("interface-endpoint-az", kind, quantity=_hours(count, "subnet_ids"),
                   unit_note=f"{count} AZ x 730 h", unknown=None if count else "subnet_ids")]


def docdb_cluster(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("storage", usage=("docdb_gb_stored",)), Charge("io-requests", usage=("docdb_io_requests",))]


def docdb_instance(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    cls = _text(r.after.get("instance_class"))
    return [Charge("instance", cls, quantity=HOURS_PER_MONTH, unit_note="730 h",
                   unknown=None if cls else "instance_class")]


def db_instance(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    engine = _text(r.after.get("engine")) or "postgres"
    cls = _text(r.after.get("instance_class"))
    copies = 2.0 if r.after.get("multi_az") is True else 1.0
    storage = number(r.after.get("allocated_storage"))
    stype = _text(r.after.get("storage_type")) or "gp2"
    note = " x 2 (Multi-AZ)" if copies == 2 else ""
    return [
        Charge("instance", f"{engine}:{cls}", quantity=HOURS_PER_MONTH * copies, unit_note=f"730 h{note}",
               unknown=None if cls else "instance_class"),
        Charge("storage", stype, quantity=None if storage is None else storage * copies,
               unit_note=f"{storage} GB{note}", unknown=None if storage is not None else "allocated_storage"),
    ]


def http_api(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("requests", _text(r.after.get("protocol_type")) or "HTTP", usage=("api_requests",))]


def lambda_function(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    memory_gb = (number(r.after.get("memory_size")) or 128.0) / 1024.0
    archs = r.after.get("architectures")
    arch = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else "x86_64"
    return [
        Charge("requests", usage=("lambda_requests",)),
        Charge("duration", arch, usage=("lambda_requests", "lambda_avg_duration_ms"), factor=memory_gb / 1000.0,
               unit_note=f"invocations x lambda_avg_duration_ms/1000 x {memory_gb:g} GB"),
    ]


def sqs_queue(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("requests", "fifo" if r.after.get("fifo_queue") is True else "standard", usage=("sqs_requests",))]


def sns_topic(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("requests", usage=("sns_requests",)),
            Charge("email-notifications", usage=("sns_email_notifications",))]


def ecr_repository(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("storage", usage=("ecr_gb_stored",))]


def msk_cluster(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    brokers = number(r.after.get("number_of_broker_nodes"))
    group = _first(r.after.get("broker_node_group_info"))
    itype = _text(group.get("instance_type"))
    volume = number(_first(_first(group.get("storage_info")).get("ebs_storage_info")).get("volume_size"))
    return [
        Charge("broker", itype, quantity=_hours(brokers, "brokers"), unit_note=f"{brokers} brokers x 730 h",
               unknown=None if brokers and itype else "broker_node_group_info"),
        Charge("storage", quantity=None if brokers is None or volume is None else brokers * volume,
               unit_note=f"{brokers} x {volume} GB", unknown=None if volume is not None else "volume_size"),
    ]


def _emr_group(group: Mapping[str, Any], label: str) -> list[Charge]:
    itype = _text(group.get("instance_type"))
    count = number(group.get("instance_count"))
    ebs = _first(group.get("ebs_config"))
    size, per = number(ebs.get("size")), number(ebs.get("volumes_per_instance")) or 1.0
    unknown = None if itype and count is not None else f"{label} instance_type/instance_count"
    # Instances run emr_cluster_hours (profile); EBS volumes are billed for the same hours (a share of a month).
    charges = [
        Charge("emr-fee", itype, usage=("emr_cluster_hours",), factor=count or 0.0,
               unit_note=f"{label}: {count} x emr_cluster_hours", unknown=unknown),
        Charge("ec2-instance", itype, usage=("emr_cluster_hours",), factor=count or 0.0,
               unit_note=f"{label}: {count} x emr_cluster_hours", unknown=unknown),
    ]
    if size is not None and count is not None:
        gb = size * per * count
        charges.append(Charge("ebs-volume", _text(ebs.get("type")) or "gp2", usage=("emr_cluster_hours",),
                              factor=gb / HOURS_PER_MONTH, unit_note=f"{label}: {gb:g} GB x emr_cluster_hours/730"))
    return charges


def emr_cluster(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [*_emr_group(_first(r.after.get("master_instance_group")), "master"),
            *_emr_group(_first(r.after.get("core_instance_group")), "core")]


def emr_instance_group(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return _emr_group(r.after, "task")


#: DPUs per Glue worker type (https://docs.aws.amazon.com/glue/latest/dg/add-job.html).
GLUE_WORKER_DPU = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0, "Z.2X": 2.0, "Standard": 1.0}


def glue_job(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    workers = number(r.after.get("number_of_workers"))
    wtype = _text(r.after.get("worker_type"))
    dpu = workers * GLUE_WORKER_DPU[wtype] if workers is not None and wtype in GLUE_WORKER_DPU else number(
        r.after.get("max_capacity"))
    return [Charge("dpu", usage=("glue_job_hours",), factor=dpu or 0.0,
                   unit_note=f"{dpu:g} DPU x glue_job_hours" if dpu else "",
                   unknown=None if dpu else "number_of_workers/worker_type/max_capacity")]


def glue_crawler(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("dpu", usage=("glue_crawler_dpu_hours",))]


def mwaa_environment(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    cls = _text(r.after.get("environment_class")) or "mw1.small"
    schedulers = number(r.after.get("schedulers")) or 2.0
    charges = [Charge("environment", cls, quantity=HOURS_PER_MONTH, unit_note="730 h"),
               Charge("additional-worker", cls, usage=("mwaa_additional_workers",), factor=HOURS_PER_MONTH,
                      unit_note="mwaa_additional_workers x 730 h")]
    if schedulers > 2:  # two schedulers are part of the environment price
        charges.append(Charge("additional-scheduler", cls, quantity=(schedulers - 2) * HOURS_PER_MONTH,
                              unit_note=f"{schedulers - 2:g} x 730 h"))
    return charges


def grafana_workspace(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("editor", usage=("grafana_editors",)), Charge("viewer", usage=("grafana_viewers",))]


def dashboard(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("dashboard", quantity=1, unit_note="1 dashboard (the first 3 per account are free)")]


def metric_alarm(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    period = number(r.after.get("period"))
    return [Charge("alarm", "high-resolution" if period is not None and period < 60 else "standard", quantity=1,
                   unit_note="1 alarm")]


def ssm_parameter(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    tier = _text(r.after.get("tier")) or "Standard"
    if tier == "Standard":
        return [Charge("standard-parameter", tier, quantity=0, free=True, unit_note="standard tier is free")]
    return [Charge("advanced-parameter", "Advanced", quantity=1, unit_note="1 parameter")]


def ecs_service(r: PlannedResource, module: list[PlannedResource]) -> list[Charge]:
    launch = _text(r.after.get("launch_type")) or "FARGATE"
    desired = number(r.after.get("desired_count"))
    tasks = [m for m in module if m.type == "aws_ecs_task_definition"]
    cpu = number(tasks[0].after.get("cpu")) if len(tasks) == 1 else None
    mem = number(tasks[0].after.get("memory")) if len(tasks) == 1 else None
    if launch != "FARGATE" or desired is None or cpu is None or mem is None:
        why = "launch_type" if launch != "FARGATE" else "desired_count/task definition cpu+memory in the module"
        return [Charge("vcpu", launch, unknown=why)]
    vcpu, gb = cpu / 1024.0, mem / 1024.0
    return [
        Charge("vcpu", launch, quantity=desired * vcpu * HOURS_PER_MONTH,
               unit_note=f"{desired:g} x {vcpu:g} vCPU x 730 h"),
        Charge("memory", launch, quantity=desired * gb * HOURS_PER_MONTH,
               unit_note=f"{desired:g} x {gb:g} GB x 730 h"),
    ]


def opensearch_domain(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    cluster = _first(r.after.get("cluster_config"))
    count = number(cluster.get("instance_count")) or 1.0
    itype = _text(cluster.get("instance_type"))
    charges = [Charge("instance", itype, quantity=count * HOURS_PER_MONTH, unit_note=f"{count:g} data nodes x 730 h",
                      unknown=None if itype else "instance_type")]
    if cluster.get("dedicated_master_enabled") is True:
        masters = number(cluster.get("dedicated_master_count")) or 0.0
        mtype = _text(cluster.get("dedicated_master_type"))
        charges.append(Charge("instance", mtype, quantity=masters * HOURS_PER_MONTH,
                              unit_note=f"{masters:g} dedicated masters x 730 h"))
    ebs = _first(r.after.get("ebs_options"))
    size = number(ebs.get("volume_size"))
    if ebs.get("ebs_enabled") is True and size is not None:
        charges.append(Charge("storage", _text(ebs.get("volume_type")) or "gp2", quantity=size * count,
                              unit_note=f"{size:g} GB x {count:g} nodes"))
    return charges


def secret(r: PlannedResource, _: list[PlannedResource]) -> list[Charge]:
    return [Charge("secret", quantity=1, unit_note="1 secret"), Charge("api-calls", usage=("sm_api_calls",))]


#: Every priced resource type and its rule (a type here needs rows in ``prices/*.json``).
RULES: dict[str, Rule] = {}


def register_rule(resource_type: str, rule: Rule) -> None:
    RULES[resource_type] = rule


register_rule("aws_kms_key", kms_key)
register_rule("aws_dynamodb_table", dynamodb_table)
register_rule("aws_s3_bucket", s3_bucket)
register_rule("aws_cloudwatch_log_group", log_group)
register_rule("aws_flow_log", flow_log)
register_rule("aws_eip", eip)
register_rule("aws_nat_gateway", nat_gateway)
register_rule("aws_vpc_endpoint", vpc_endpoint)
register_rule("aws_docdb_cluster", docdb_cluster)
register_rule("aws_docdb_cluster_instance", docdb_instance)
register_rule("aws_db_instance", db_instance)
register_rule("aws_apigatewayv2_api", http_api)
register_rule("aws_lambda_function", lambda_function)
register_rule("aws_sqs_queue", sqs_queue)
register_rule("aws_sns_topic", sns_topic)
register_rule("aws_ecr_repository", ecr_repository)
register_rule("aws_msk_cluster", msk_cluster)
register_rule("aws_emr_cluster", emr_cluster)
register_rule("aws_emr_instance_group", emr_instance_group)
register_rule("aws_glue_job", glue_job)
register_rule("aws_glue_crawler", glue_crawler)
register_rule("aws_mwaa_environment", mwaa_environment)
register_rule("aws_grafana_workspace", grafana_workspace)
register_rule("aws_cloudwatch_dashboard", dashboard)
register_rule("aws_cloudwatch_metric_alarm", metric_alarm)
register_rule("aws_ssm_parameter", ssm_parameter)
register_rule("aws_ecs_service", ecs_service)
register_rule("aws_opensearch_domain", opensearch_domain)
register_rule("aws_secretsmanager_secret", secret)
