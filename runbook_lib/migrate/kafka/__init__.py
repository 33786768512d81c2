"""Kafka -> Amazon MSK: inventory, topic diff, bounded mirror, consumer-group offset translation, verification.

:class:`KafkaMigrator` (``migrator``) coordinates ``inventory``, ``topics``, ``mirror`` (with its
``checkpoint``), ``offset_map``, ``groups`` and ``verify``; ``reading`` reads partitions by records (the
broker's watermarks are not trusted), ``client`` keeps the source read-only, ``lag`` draws the mirror's
lag. Imported by the registry, the at-scale path, ``phases`` and tests; re-exports only.
"""

from runbook_lib.migrate.kafka.client import SourceCluster, TargetCluster
from runbook_lib.migrate.kafka.groups import STATUSES, GroupTranslation, commit_translations, plan_translations
from runbook_lib.migrate.kafka.inventory import ClusterInventory, GroupInfo, TopicInfo, read_inventory, split_configs
from runbook_lib.migrate.kafka.lag import LagRecorder, lag_figure
from runbook_lib.migrate.kafka.migrator import KafkaMigrator
from runbook_lib.migrate.kafka.mirror import LagSample, PairStats, mirror_pair, prepare
from runbook_lib.migrate.kafka.offset_map import PartitionMap, Segment, build_map
from runbook_lib.migrate.kafka.reading import (
    SOURCE_HEADER,
    Record,
    decode_source,
    encode_source,
    end_offset,
    last_record,
    read_range,
)
from runbook_lib.migrate.kafka.topics import TopicDiff, TopicPair, create_topics, diff_topic, refuse_conflicts
from runbook_lib.migrate.kafka.verify import compare_partition, record_digest

__all__ = [
    "SOURCE_HEADER",
    "STATUSES",
    "ClusterInventory",
    "GroupInfo",
    "GroupTranslation",
    "KafkaMigrator",
    "LagRecorder",
    "LagSample",
    "PairStats",
    "PartitionMap",
    "Record",
    "Segment",
    "SourceCluster",
    "TargetCluster",
    "TopicDiff",
    "TopicInfo",
    "TopicPair",
    "build_map",
    "commit_translations",
    "compare_partition",
    "create_topics",
    "decode_source",
    "diff_topic",
    "encode_source",
    "end_offset",
    "last_record",
    "lag_figure",
    "mirror_pair",
    "plan_translations",
    "prepare",
    "read_inventory",
    "read_range",
    "record_digest",
    "refuse_conflicts",
    "split_configs",
]
