"""Kafka at scale: MirrorMaker 2 on MSK Connect — the connector configurations, and the driver that checks them.

Why MirrorMaker 2 on MSK Connect: above ``migration.at_scale_threshold_bytes`` one Python process is the
bottleneck and the mirror must run for days while producers move; MM2's three connectors do the same
jobs as the direct path — ``MirrorSourceConnector`` copies records and topic configs,
``MirrorCheckpointConnector`` translates committed group offsets (``sync.group.offsets.enabled``: written
on the target only while the group has no active member there), ``MirrorHeartbeatConnector`` proves the
flow end to end. One replication policy on all three (``IdentityReplicationPolicy`` by default: topic names
stay the same, so consumers move without renaming). The configurations are generated here, written as
the ``mm2_connectors`` tfvars of stack 03 (``terraform_infra/stacks/03_streaming_ingestion/msk_connect.tf``),
and applied by that stack with ``enable_msk_connect = true``; :func:`run_msk_connect` then reads the
connectors' state back (it creates nothing itself, so the reviewed plan stays the only way they appear).

MSK Replicator (``aws_msk_replicator`` in the same file) is the alternative only between two MSK
clusters; its limits are in ``docs/kafka_at_scale.md``. The sandbox has no MSK Connect API (moto), so
there the connectors are planned, never applied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from runbook_lib.errors import AtScalePathUnavailableError
from runbook_lib.migrate.at_scale.path_choice import service_client
from runbook_lib.migrate.at_scale.runs import AtScaleRun

IDENTITY_POLICY = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
DEFAULT_POLICY = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
CONNECTORS = ("source", "checkpoint", "heartbeat")
CLASSES = {
    "source": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
    "checkpoint": "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
    "heartbeat": "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector",
}
#: MSK's IAM authentication for the target side (the connectors' workers run in the target's VPC).
MSK_IAM_CLIENT = {
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "AWS_MSK_IAM",
    "sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
    "sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
}
SANDBOX_NOTE = ("the sandbox has no MSK Connect API (moto): the connectors are planned with terraform, "
                "never applied; the direct mirror is what moves records here")


def connector_names(prefix: str) -> dict[str, str]:
    """The three connectors' names (``<prefix>-mm2-<role>``), by role."""
    return {role: f"{prefix}-mm2-{role}" for role in CONNECTORS}


def mm2_connector_configs(
    *,
    prefix: str,
    source_bootstrap: str,
    target_bootstrap: str,
    topics: Sequence[str],
    groups: Sequence[str] = (),
    source_alias: str = "source",
    target_alias: str = "target",
    replication_policy: str = IDENTITY_POLICY,
    replication_factor: int = 3,
    tasks_max: int = 4,
) -> dict[str, dict[str, str]]:
    """The MirrorSource, MirrorCheckpoint and MirrorHeartbeat configurations, by connector name.

    Args:
        prefix: names the connectors (``<prefix>-mm2-source`` …).
        source_bootstrap, target_bootstrap: as the MSK Connect workers reach them (no credentials in them).
        topics: exact topic names (joined into an anchored regular expression).
        groups: consumer group ids whose offsets are synchronised (all groups when empty).
        replication_policy: one policy on all three connectors (they must agree on topic names).
    """
    if not topics:
        raise ValueError("at least one topic")
    common = {
        "source.cluster.alias": source_alias,
        "target.cluster.alias": target_alias,
        "source.cluster.bootstrap.servers": source_bootstrap,
        "target.cluster.bootstrap.servers": target_bootstrap,
        "replication.policy.class": replication_policy,
        "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "header.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
        "replication.factor": str(replication_factor),
        "checkpoints.topic.replication.factor": str(replication_factor),
        "heartbeats.topic.replication.factor": str(replication_factor),
        "offset-syncs.topic.replication.factor": str(replication_factor),
        "offset-syncs.topic.location": "target",
        **{f"target.cluster.{k}": v for k, v in MSK_IAM_CLIENT.items()},
    }
    topic_regex = "|".join(re.escape(t) for t in topics)
    names = connector_names(prefix)
    return {
        names["source"]: {
            **common,
            "connector.class": CLASSES["source"],
            "tasks.max": str(tasks_max),
            "topics": topic_regex,
            "sync.topic.configs.enabled": "true",
            "sync.topic.acls.enabled": "false",
            "refresh.topics.interval.seconds": "60",
            "emit.offset-syncs.enabled": "true",
            "producer.override.enable.idempotence": "true",
            "producer.override.acks": "all",
        },
        names["checkpoint"]: {
            **common,
            "connector.class": CLASSES["checkpoint"],
            "tasks.max": "1",
            "groups": "|".join(re.escape(g) for g in groups) if groups else ".*",
            "emit.checkpoints.enabled": "true",
            "emit.checkpoints.interval.seconds": "20",
            "sync.group.offsets.enabled": "true",
            "sync.group.offsets.interval.seconds": "20",
            "refresh.groups.interval.seconds": "60",
        },
        names["heartbeat"]: {
            **common,
            "connector.class": CLASSES["heartbeat"],
            "tasks.max": "1",
            "emit.heartbeats.enabled": "true",
            "emit.heartbeats.interval.seconds": "5",
        },
    }


def write_tfvars(path: Path, connectors: dict[str, dict[str, str]]) -> Path:
    """Write ``mm2_connectors`` (and the flag) as a ``.tfvars.json`` for stack 03; returns the path."""
    payload = {"enable_msk_connect": True, "mm2_connectors": connectors}
    path.write_text(json.dumps(payload, indent=2, sort_keys=True))
    return path


def configs_for(migrator: Any, prefix: str) -> dict[str, dict[str, str]]:
    """The connector configurations for a :class:`~runbook_lib.migrate.kafka.KafkaMigrator`'s clusters and topics.

    Topics keep their names (IdentityReplicationPolicy), so a mapping that renames a topic cannot use MM2.
    """
    renamed = [p.source for p in migrator.pairs if p.target != p.source]
    if renamed:
        raise AtScalePathUnavailableError(
            "kafka", "msk-connect", [f"renaming {', '.join(renamed)} (MM2's identity policy keeps topic names)"],
            hint="drop target_topic from those migration.kafka entries",
        )
    return mm2_connector_configs(
        prefix=prefix, source_bootstrap=migrator.source.bootstrap, target_bootstrap=migrator.target.bootstrap,
        topics=[p.source for p in migrator.pairs], groups=sorted({g for p in migrator.pairs for g in p.groups}),
    )


def run_msk_connect(
    connectors: dict[str, dict[str, str]],
    params: Any,
    runs: list[AtScaleRun],
    *,
    clients: Callable[[str], Any] | None = None,
) -> list[AtScaleRun]:
    """Read back the MM2 connectors stack 03 created; one runs-table row each.

    Raises:
        AtScalePathUnavailableError: a connector does not exist (stack 03 was not applied with
            ``enable_msk_connect``) or the MSK Connect API cannot be reached (the sandbox).
    """
    try:
        kafkaconnect = service_client("kafkaconnect", params, clients)
        listed = {c["connectorName"]: c for c in kafkaconnect.list_connectors().get("connectors", [])}
    except Exception as error:  # noqa: BLE001 - moto answers 404/500 for the whole service
        raise AtScalePathUnavailableError(
            "kafka", "msk-connect", [f"the MSK Connect API ({type(error).__name__})"],
            hint=SANDBOX_NOTE if getattr(params, "is_sandbox", False) else "check kafkaconnect:ListConnectors access",
        ) from None
    missing = [name for name in connectors if name not in listed]
    if missing:
        raise AtScalePathUnavailableError(
            "kafka", "msk-connect", [f"connector {name}" for name in missing],
            hint="write the generated configurations with write_tfvars() and apply stack 03 with "
                 "enable_msk_connect = true",
        )
    for name in connectors:
        state = listed[name].get("connectorState", "")
        runs.append(AtScaleRun(name, "msk-connect", task_arn=listed[name].get("connectorArn", ""), status=state,
                               statuses=[state], notes=["MirrorMaker 2 keeps running until it is deleted"]))
    return runs
