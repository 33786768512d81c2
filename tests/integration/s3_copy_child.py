"""Run one S3 copy in a process of its own, so an integration test can SIGKILL it mid-copy.

Usage: ``python s3_copy_child.py '<json config>'`` with keys source, target (endpoint URLs), mapping
([source_bucket, target_bucket, prefix]), checkpoint_dir, workers, journal_batch. Prints the copy
report as JSON when it is not killed first.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from runbook_lib.migrate.objects import S3Migrator, s3_client


class _NoBar:
    def update(self, _n: int) -> None:
        pass

    def close(self) -> None:
        pass


def main(raw: str) -> int:
    config: dict[str, Any] = json.loads(raw)
    source = s3_client(config["source"], access_key="test", secret_key="test", pool=16)
    target = s3_client(config["target"], access_key="test", secret_key="test", pool=16)
    migrator = S3Migrator(
        source,
        target,
        [tuple(config["mapping"])],
        checkpoint_dir=config["checkpoint_dir"],
        workers=config["workers"],
        journal_batch=config["journal_batch"],
        progress=lambda **_kw: _NoBar(),
    )
    report = migrator.copy(resume=True)
    print(json.dumps({"copied": report.items_copied, "skipped": report.items_skipped}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
