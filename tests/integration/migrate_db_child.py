"""Child process for the SIGKILL tests of the PostgreSQL and MongoDB migrators.

``python migrate_db_child.py CONFIG.json`` builds the migrator the config describes and runs
``copy(resume=True)``; the test kills it with SIGKILL part-way and then resumes in-process.
Secrets arrive in the config file (0600, in the test's tmp dir), not on the command line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared fakes
from fakes import quiet_progress  # noqa: E402


def main(config_path: str) -> int:
    config = json.loads(Path(config_path).read_text())
    if config["kind"] == "postgres":
        from runbook_lib.migrate.postgres import PostgresMigrator

        migrator = PostgresMigrator(
            config["source_dsn"],
            config["target_dsn"],
            config["database"],
            config["jobs"],
            target_database=config["target_database"],
            checkpoint_dir=Path(config["checkpoints"]),
            progress=quiet_progress,
        )
    else:
        from runbook_lib.clients import mongo_client
        from runbook_lib.migrate.mongo import DatabaseSpec, MongoMigrator

        migrator = MongoMigrator(
            mongo_client(config["source_url"]),
            mongo_client(config["target_url"]),
            [DatabaseSpec(config["database"], config["target_database"])],
            config["batch_size"],
            checkpoint_dir=Path(config["checkpoints"]),
            progress=quiet_progress,
        )
    migrator.copy(resume=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
