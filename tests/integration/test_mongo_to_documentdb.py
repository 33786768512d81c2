"""MongoDB -> DocumentDB stand-in, against the sandbox's file-backed stores (the sandbox's one mock).

The seeded ``events`` database is only read; each test writes to a target database name of its own
(``events_it_<random>``) in the sandbox's ``mongo-target`` store and drops it afterwards.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from fakes import quiet_progress, sigkill_mid_copy

from runbook_lib.clients import mongo_client
from runbook_lib.migrate.mongo import DatabaseSpec, MongoMigrator
from runbook_lib.sandbox.seed import MONGO_DATABASE

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("migrate_db_child.py")
SEED = 20261126




@pytest.fixture()
def urls(sandbox) -> tuple[str, str]:
    return sandbox.url("mongo-source"), sandbox.url("mongo-target")


@pytest.fixture()
def target_db(urls):
    name = f"{MONGO_DATABASE}_it_{uuid.uuid4().hex[:6]}"
    yield name
    mongo_client(urls[1]).drop_database(name)


def _migrator(urls, target_db: str, tmp_path: Path, batch_size: int = 500) -> MongoMigrator:
    return MongoMigrator(
        mongo_client(urls[0]),
        mongo_client(urls[1]),
        [DatabaseSpec(MONGO_DATABASE, target_db)],
        batch_size,
        checkpoint_dir=tmp_path / "checkpoints",
        progress=quiet_progress,
    )


def test_seeded_events_move_verify_and_keep_their_indexes(urls, target_db, tmp_path: Path, sandbox) -> None:
    result = _migrator(urls, target_db, tmp_path).run()
    assert result.ok, (result.verify.problems, result.check.blockers)
    rows = {r.unit.split("->")[0]: r for r in result.verify.rows}
    assert rows["events.devices"].matched == rows["events.devices"].source_count == 1000
    assert rows["events.sessions"].matched == rows["events.sessions"].source_count == 2000
    assert rows["events.devices"].source_checksum == rows["events.devices"].target_checksum
    assert result.copy.items_copied == sandbox.seeded["mongo-source"]
    sessions = mongo_client(urls[1])[target_db]["sessions"].index_information()
    assert sessions["session_id_unique"]["unique"] is True
    assert sessions["device_started"]["key"] == [("device_id", 1), ("started_at", -1)]
    assert sessions["expires_ttl"]["expireAfterSeconds"] == 0
    devices = mongo_client(urls[1])[target_db]["devices"].index_information()
    assert devices["country_model"]["key"] == [("location.country", 1), ("model", 1)]


def test_a_corrupted_document_is_found(urls, target_db, tmp_path: Path) -> None:
    _migrator(urls, target_db, tmp_path).copy()
    mongo_client(urls[1])[target_db]["devices"].update_one({"_id": "dev-000123"}, {"$set": {"firmware.minor": 99}})
    report = _migrator(urls, target_db, tmp_path).verify()
    rows = {r.unit.split("->")[0]: r for r in report.rows}
    assert rows["events.devices"].mismatched == 1 and rows["events.devices"].missing == 0
    assert rows["events.sessions"].ok
    assert any('"dev-000123"' in problem for problem in report.problems)
    assert not report.ok


def test_sigkill_mid_copy_then_resume_leaves_nothing_missing_or_doubled(urls, target_db, tmp_path: Path) -> None:
    checkpoints = tmp_path / "checkpoints"
    config = tmp_path / "child.json"
    config.write_text(
        json.dumps(
            {
                "kind": "mongo",
                "source_url": urls[0],
                "target_url": urls[1],
                "database": MONGO_DATABASE,
                "target_database": target_db,
                "batch_size": 40,
                "checkpoints": str(checkpoints),
            }
        )
    )
    migrator = _migrator(urls, target_db, tmp_path, batch_size=40)

    def first_batch_checkpointed() -> bool:
        if not migrator.checkpoint_path.exists():
            return False
        return any(s["copied"] for s in json.loads(migrator.checkpoint_path.read_text())["collections"].values())

    sigkill_mid_copy(CHILD, config, first_batch_checkpointed, poll=0.02, delay=(0.1, 0.6), seed=SEED)
    states = json.loads(migrator.checkpoint_path.read_text())["collections"]
    copied_before = sum(s["copied"] for s in states.values())
    assert 0 < copied_before < 3000 and not all(s["done"] for s in states.values())

    migrator = _migrator(urls, target_db, tmp_path, batch_size=40)  # a fresh client sees what the child flushed
    report = migrator.copy(resume=True)
    assert report.items_skipped == copied_before and report.items_skipped + report.items_copied == 3000
    verify = migrator.verify()
    assert verify.ok, verify.problems
    assert all(r.missing == 0 and r.extra == 0 and r.source_count == r.target_count for r in verify.rows)
    target = mongo_client(urls[1])[target_db]
    for name, expected in (("devices", 1000), ("sessions", 2000)):
        ids = [d["_id"] for d in target[name].find({}, {"_id": 1})]
        assert len(ids) == len(set(ids)) == expected
