"""Every kind's checkpoint through the one reader (runbook_lib.migrate.checkpoint_file): saved, loaded back equal;
no file or a file in another format reads as no checkpoint (and the log says why)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from runbook_lib.migrate.checkpoint_file import CheckpointFile
from runbook_lib.migrate.kafka.checkpoint import MirrorCheckpoint, PartitionState
from runbook_lib.migrate.mongo.checkpoint import CollectionState, MongoCheckpoint
from runbook_lib.migrate.postgres.checkpoint import DataEntry, PgCheckpoint, SchemaCheckpoint

pytestmark = pytest.mark.unit

CHECKPOINTS = [
    pytest.param(
        MirrorCheckpoint("orders", "orders-msk", {0: PartitionState(0, 10, 4, 4, copied=4, bytes=400)}), id="kafka"
    ),
    pytest.param(MongoCheckpoint(collections={"app.users": CollectionState('{"_id": 7}', 3)}), id="mongo"),
    pytest.param(
        PgCheckpoint("src", "tgt", dump_done=True, tables=[DataEntry(5, "TABLE DATA", "public", "t", 9)]), id="postgres"
    ),
    pytest.param(SchemaCheckpoint("src", "tgt", loaded=True, sequences_set=2), id="postgres-schema"),
]


@pytest.mark.parametrize("checkpoint", CHECKPOINTS)
def test_a_checkpoint_loads_back_as_it_was_saved(checkpoint: CheckpointFile, tmp_path: Path) -> None:
    path = tmp_path / "ckpt" / "state.json"
    checkpoint.save(path)
    assert type(checkpoint).load(path) == checkpoint
    assert json.loads(path.read_text())["version"] == checkpoint.version
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # the temporary file was renamed


@pytest.mark.parametrize("checkpoint", CHECKPOINTS)
def test_no_file_or_another_format_is_no_checkpoint(
    checkpoint: CheckpointFile, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.json"
    assert type(checkpoint).load(path) is None
    checkpoint.save(path)
    path.write_text(json.dumps({**json.loads(path.read_text()), "version": checkpoint.version + 1}))
    with caplog.at_level(logging.WARNING, logger="runbook_lib.migrate.checkpoint"):
        assert type(checkpoint).load(path) is None
    assert "starting over" in caplog.text and str(path) in caplog.text
