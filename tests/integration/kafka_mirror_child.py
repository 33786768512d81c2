"""Run one Kafka mirror in a process of its own, so an integration test can SIGKILL it mid-copy.

Usage: ``python kafka_mirror_child.py CONFIG.json`` with keys source, target (bootstrap addresses),
source_topic, target_topic, checkpoint_dir, checkpoint_every. Prints the copy report as JSON when it is
not killed first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from runbook_lib.migrate.kafka import KafkaMigrator, SourceCluster, TargetCluster, TopicPair


def main(path: str) -> int:
    config: dict[str, Any] = json.loads(Path(path).read_text())
    migrator = KafkaMigrator(
        SourceCluster(config["source"], "source"),
        TargetCluster(config["target"], "target"),
        [TopicPair(config["source_topic"], config["target_topic"])],
        checkpoint_dir=config["checkpoint_dir"],
        checkpoint_every=config["checkpoint_every"],
        progress=lambda **kw: tqdm(disable=True, **kw),
    )
    report = migrator.copy(resume=True)
    print(json.dumps({"copied": report.items_copied, "skipped": report.items_skipped}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
