"""The DMS path through the sandbox's moto server (HTTP, short timeouts); the size chooser on the source.

moto moves no data and its tasks never finish a full load (see ``runbook_lib.migrate.dms``); this
checks the control flow end to end over the wire, with the sandbox's real DSNs as endpoints.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from runbook_lib.endpoints import aws_client
from runbook_lib.migrate.dms import DmsEndpoint, DmsMigration, choose_path
from runbook_lib.migrate.postgres import PostgresMigrator
from runbook_lib.sandbox.seed import SOURCE_DATABASE

pytestmark = pytest.mark.integration


def _quiet(**kwargs):
    from tqdm import tqdm

    return tqdm(disable=True, **kwargs)


def test_dms_full_load_and_cdc_against_the_sandbox_moto(sandbox) -> None:
    client = aws_client("dms", endpoint_url=sandbox.url("aws"), region="eu-west-1", max_attempts=1)
    name = f"it-{uuid.uuid4().hex[:6]}"
    source = DmsEndpoint.from_dsn(
        f"{name}-src",
        "source",
        sandbox.url("postgres-source", with_secret=True),
        SOURCE_DATABASE,
        ssl_mode="none",
    )
    target = DmsEndpoint.from_dsn(
        f"{name}-tgt",
        "target",
        sandbox.url("postgres-target", with_secret=True),
        SOURCE_DATABASE,
        ssl_mode="none",
    )
    migration = DmsMigration(
        client,
        name=name,
        source=source,
        target=target,
        migration_type="full-load-and-cdc",
        schemas=["sales", "ingest", "ref"],
        progress=_quiet,
        poll_s=0.2,
        timeout_s=30,
    )
    try:
        state = migration.run()
        assert state.status == "running" and state.percent == 100
        assert migration.table_statistics() is None
        assert migration.stop().status == "stopped"
    finally:
        deleted = migration.teardown()
    assert deleted == [f"{name}-task", f"{name}-src", f"{name}-tgt", f"{name}-ri"]


def test_the_seeded_platform_database_takes_the_native_path(sandbox, tmp_path: Path) -> None:
    from runbook_lib.params import load_params

    threshold = load_params("sandbox").migration.at_scale_threshold_bytes
    migrator = PostgresMigrator(
        sandbox.url("postgres-source", with_secret=True),
        sandbox.url("postgres-target", with_secret=True),
        SOURCE_DATABASE,
        checkpoint_dir=tmp_path,
        progress=_quiet,
    )
    size = migrator.source_size_bytes()
    choice = choose_path(size, threshold)
    assert 0 < size < threshold and choice.path == "native"
    assert choose_path(size, threshold, cdc_required=True).path == "dms"
