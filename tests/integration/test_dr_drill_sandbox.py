"""The DR drill against the sandbox: RDS snapshot/restore through moto's API with a real PostgreSQL restore,
documents copied in mongomock (the one mock), S3 point-in-time restore from versions on moto; RPO and RTO
measured from the heartbeats; missed targets fail the drill; and the drill leaves nothing behind.

Everything lives in scratch resources of the test (database, RDS instance, versioned bucket, Mongo database),
removed at the end.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from pg_scratch import create_filled_database, drop_database

from runbook_lib.clients import aws_client, mongo_client
from runbook_lib.dr.documents import DocumentsDrill
from runbook_lib.dr.drill import Drill
from runbook_lib.dr.objects import S3Drill
from runbook_lib.dr.rds import PgTarget, RdsDrill
from runbook_lib.errors import RecoveryTargetMissedError
from runbook_lib.migrate.postgres import PgEndpoint
from runbook_lib.params.resilience import DrParams

pytestmark = pytest.mark.integration


@pytest.fixture()
def world(sandbox):
    """A scratch database with data on the target PostgreSQL, an RDS instance in moto, a versioned bucket, Mongo."""
    tag = uuid.uuid4().hex[:8]
    aws = SimpleNamespace(region="eu-west-1", endpoint_url=sandbox.url("aws"))
    rds, s3 = aws_client("rds", aws), aws_client("s3", aws)
    endpoint = PgEndpoint.from_dsn(sandbox.url("postgres-target", with_secret=True))
    database = f"it_dr_{tag}"
    create_filled_database(endpoint, database, "CREATE TABLE orders (id int PRIMARY KEY, item text, qty int)",
                           "INSERT INTO orders SELECT g, 'item-' || g, g % 7 FROM generate_series(1, 200) g")
    instance = f"it-dr-{tag}"
    rds.create_db_instance(DBInstanceIdentifier=instance, Engine="postgres", DBInstanceClass="db.t4g.micro",
                           MasterUsername="drill", MasterUserPassword="not-a-secret-1", AllocatedStorage=20,
                           DBName=database)
    bucket = f"it-dr-{tag}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    mongo = mongo_client(sandbox.url("mongo-target"))
    mongo[database]["events"].insert_many([{"_id": i, "kind": "click", "n": i} for i in range(30)])
    yield SimpleNamespace(rds=rds, s3=s3, endpoint=endpoint, database=database, instance=instance, bucket=bucket,
                          mongo=mongo)
    mongo.drop_database(database)
    rds.delete_db_instance(DBInstanceIdentifier=instance, SkipFinalSnapshot=True)
    for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=bucket)
    drop_database(endpoint, database)


def _drill(world, dr: DrParams) -> tuple[Drill, str]:
    drill_id = uuid.uuid4().hex[:6]
    rds = RdsDrill(world.rds, PgTarget(world.endpoint, world.database, world.instance), drill_id, sandbox=True)
    s3 = S3Drill(world.s3, world.bucket, drill_id, objects=3)
    documents = DocumentsDrill(world.mongo, world.database, drill_id, docdb=None)
    return Drill(rds, dr, s3=s3, documents=documents), drill_id


def _nothing_left(world, drill_id: str) -> None:
    """Looked up afresh, not from the drill's own bookkeeping."""
    with world.endpoint.connect("postgres") as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()]
    assert not [n for n in names if drill_id in n]
    with world.endpoint.connect(world.database) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
    assert tables == ["orders"]
    assert not [s for s in world.rds.describe_db_snapshots()["DBSnapshots"] if drill_id in s["DBSnapshotIdentifier"]]
    assert not [i for i in world.rds.describe_db_instances()["DBInstances"] if drill_id in i["DBInstanceIdentifier"]]
    listing = world.s3.list_object_versions(Bucket=world.bucket)
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    assert not [n for n in world.mongo.list_database_names() if drill_id in n]


def test_drill_measures_rpo_and_rto_from_heartbeats_and_leaves_nothing(world) -> None:
    dr = DrParams(rpo_target_s=10, rto_target_s=120, heartbeat_interval_s=0.5, backup_after_s=1.5,
                  disaster_after_s=2.0)
    drill, drill_id = _drill(world, dr)
    result = drill.run()
    assert result.error is None, result.error
    assert result.verified, result.verification
    stores = {r["store"] for r in result.verification}
    assert stores == {"rds", "documents", "s3"}
    points = {p["store"]: p for p in result.recovery_points}
    # The snapshot was taken ~2 s before the disaster: the restore lacks those beats; S3 versions lose < 1 beat.
    assert 1.0 <= points["rds"]["rpo_s"] <= 4.0, points
    assert 0 <= points["s3"]["rpo_s"] <= 1.5, points
    assert points["rds"]["last_heartbeat_seq"] < result.beats_written
    assert result.rpo_s == max(points["rds"]["rpo_s"], points["s3"]["rpo_s"])
    assert 0 < result.rto_s < 120
    events = [e["event"] for e in result.timeline]
    assert events.index("backup taken") < events.index("DISASTER") < events.index("restored and verified")
    assert result.leftovers == [] and result.cleanup
    result.require_ok()
    _nothing_left(world, drill_id)


def test_drill_fails_when_targets_are_missed_and_still_cleans_up(world) -> None:
    dr = DrParams(rpo_target_s=0.3, rto_target_s=0.01, heartbeat_interval_s=0.5, backup_after_s=0.5,
                  disaster_after_s=1.0)
    drill, drill_id = _drill(world, dr)
    result = drill.run()
    assert result.verified and result.leftovers == []
    assert set(result.missed) == {"RPO", "RTO"}
    with pytest.raises(RecoveryTargetMissedError, match="RPO .* > target 0.3 s; RTO .* > target 0.01 s"):
        result.require_ok()
    _nothing_left(world, drill_id)
