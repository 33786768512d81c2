"""The compose inventory: every service listed, unknown ones as "not mapped", bad files as one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbook_lib.cli import main
from runbook_lib.errors import ComposeFileError
from runbook_lib.workloads.inventory import inventory, inventory_table

pytestmark = pytest.mark.unit


def test_reference_platform_maps_every_service_to_its_twin() -> None:
    rows = {r.service: r for r in inventory()}
    assert rows["kafka"].aws == "Amazon MSK" and rows["kafka"].phase == "03_streaming_ingestion"
    assert rows["spark-master"].kind == "spark" and rows["spark-master"].phase == "04_processing"
    assert rows["postgres"].aws == "Amazon RDS for PostgreSQL"
    assert rows["ingestor"].image == "build: ./ingestor" and rows["ingestor"].kind == "ingestor"
    kinds = {r.kind for r in rows.values()}
    for kind in ("ingestor", "kafka", "minio", "spark", "postgres", "mongodb", "airflow", "grafana", "otel-collector",
                 "openmetadata"):
        assert kind in kinds, kind
    assert all(r.mapped for r in rows.values())


def test_unknown_service_is_listed_as_not_mapped_never_dropped(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n"
                       "  logs:\n    image: grafana/loki:2.9.0\n")
    rows = {r.service: r for r in inventory(compose)}
    assert set(rows) == {"db", "cache", "logs"}
    assert rows["cache"].kind == "not mapped" and rows["cache"].aws == "not mapped" and not rows["cache"].mapped
    assert rows["logs"].kind == "loki"  # not grafana, though its image says grafana/
    assert list(inventory_table(compose)["service"]) == ["db", "cache", "logs"]


@pytest.mark.parametrize(("text", "problem"), [
    ("services: [\n", "not valid YAML"),
    ("version: '3'\n", "no top-level 'services' mapping"),
    ("services:\n  x: just-a-string\n", "service 'x' is not a mapping"),
])
def test_bad_compose_file_is_a_one_line_error(tmp_path: Path, text: str, problem: str) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(text)
    with pytest.raises(ComposeFileError) as caught:
        inventory(compose)
    assert problem in caught.value.one_line() and "\n" not in caught.value.one_line()


def test_cli_inventory_table_json_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  broker:\n    image: bitnami/kafka:3.6\n  thing:\n    image: acme/thing:1\n")
    assert main(["inventory", "--compose", str(compose)]) == 0
    out = capsys.readouterr().out
    assert "Amazon MSK" in out and "1 service(s) not mapped: thing" in out
    assert main(["inventory", "--compose", str(compose), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["service"], r["mapped"]) for r in rows] == [("broker", True), ("thing", False)]
    assert main(["inventory", "--compose", str(tmp_path / "missing.yml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("runbook: error: compose file") and "no such file" in err and "\n" not in err
