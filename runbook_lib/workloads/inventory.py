"""What the platform runs today, read from its Docker Compose file, and where each service goes on AWS.

Why from the compose file: it is the one place a self-hosted platform lists everything it runs, and an
operator can point the runbook at their own. Each service is recognised by its image (then its name)
against :data:`TWINS`; a service nothing matches is listed as "not mapped" - never dropped - so the
table always accounts for every service in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_lib.errors import ComposeFileError
from runbook_lib.paths import project_root


@dataclass(frozen=True)
class Twin:
    """A kind of service and its AWS twin: the phase that builds it and what the runbook moves for it."""

    kind: str
    matches: tuple[str, ...]  # substrings of the image (or, failing that, the service name)
    aws: str
    phase: str
    moves: str


#: One visible list: the first twin whose match is in the image (then the name) wins (so loki and
#: prometheus come before grafana, whose name is in their images).
TWINS: tuple[Twin, ...] = (
    Twin("ingestor", ("ingestor", "fastapi", "uvicorn"), "Lambda + API Gateway", "03_streaming_ingestion",
         "the FastAPI app, packaged for Lambda (Mangum) behind API Gateway"),
    Twin("kafka", ("kafka", "redpanda", "tansu"), "Amazon MSK", "03_streaming_ingestion",
         "topics, partitions and keyed messages (kafka migration kind)"),
    Twin("zookeeper", ("zookeeper",), "Amazon MSK (managed, no ZooKeeper to run)", "03_streaming_ingestion",
         "nothing: MSK manages cluster metadata"),
    Twin("minio", ("minio",), "Amazon S3 (data lake buckets)", "02_data_stores",
         "every object with metadata and checksums (s3 migration kind; DataSync at scale)"),
    Twin("spark", ("spark",), "AWS Glue 5.0 (EMR as the alternative)", "04_processing",
         "the Spark jobs: scripts uploaded, Glue jobs from their metadata, parity proven by key"),
    Twin("postgres", ("postgres", "postgis", "timescale"), "Amazon RDS for PostgreSQL", "02_data_stores",
         "schemas, rows, sequences, checked by checksums (postgres migration kind; DMS at scale)"),
    Twin("mongodb", ("mongo",), "Amazon DocumentDB", "02_data_stores",
         "collections, documents and indexes, checked by counts and samples (mongo migration kind)"),
    Twin("airflow", ("airflow",), "Amazon MWAA", "05_orchestration_observability",
         "DAGs, requirements.txt, plugins.zip; connections and variables to Secrets Manager"),
    Twin("otel-collector", ("otel", "opentelemetry"), "ADOT collector + CloudWatch", "05_orchestration_observability",
         "the collector pipeline: traces/metrics/logs exported to CloudWatch and X-Ray"),
    Twin("prometheus", ("prometheus",), "Amazon Managed Service for Prometheus", "05_orchestration_observability",
         "scrape targets and rules; dashboards point at AMP"),
    Twin("loki", ("loki",), "CloudWatch Logs", "05_orchestration_observability",
         "log streams; dashboards' Loki queries point at CloudWatch Logs"),
    Twin("grafana", ("grafana",), "Amazon Managed Grafana", "05_orchestration_observability",
         "dashboards with datasources rewritten by UID, folders, alert rules (paused until cutover)"),
    Twin("openmetadata", ("openmetadata",), "OpenMetadata on ECS", "05_orchestration_observability",
         "ingestion workflows for the Glue catalog, S3 and MSK connectors"),
    Twin("elasticsearch", ("elasticsearch", "opensearch"), "Amazon OpenSearch Service (OpenMetadata's search)",
         "05_orchestration_observability", "nothing to copy: OpenMetadata re-indexes its catalog"),
)


UNMAPPED_MOVES = "nothing yet: map it by hand, or add a twin to runbook_lib.workloads.inventory.TWINS"


@dataclass(frozen=True)
class InventoryRow:
    """One compose service and where it goes."""

    service: str
    image: str
    kind: str
    aws: str
    phase: str
    moves: str
    ports: tuple[str, ...]
    volumes: tuple[str, ...]

    @property
    def mapped(self) -> bool:
        return self.kind != "not mapped"


def default_compose_file() -> Path:
    return project_root() / "examples" / "platform" / "docker-compose.yml"


def read_compose(path: str | Path) -> dict[str, Any]:
    """The compose file's ``services`` mapping.

    Raises:
        ComposeFileError: the file is missing, not YAML, or has no ``services`` mapping.
    """
    import yaml

    file = Path(path)
    if not file.is_file():
        raise ComposeFileError(str(file), "no such file")
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ComposeFileError(str(file), f"not valid YAML ({first})") from None
    services = document.get("services") if isinstance(document, dict) else None
    if not isinstance(services, dict) or not services:
        raise ComposeFileError(str(file), "no top-level 'services' mapping")
    for name, spec in services.items():
        if spec is not None and not isinstance(spec, dict):
            raise ComposeFileError(str(file), f"service {name!r} is not a mapping")
    return services


def _twin(name: str, image: str) -> Twin | None:
    for text in (image.lower(), name.lower()):
        if not text:
            continue
        for twin in TWINS:
            if any(match in text for match in twin.matches):
                return twin
    return None


def _image(spec: dict[str, Any]) -> str:
    if spec.get("image"):
        return str(spec["image"])
    build = spec.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    return f"build: {context}" if context else ""


def inventory(path: str | Path | None = None) -> list[InventoryRow]:
    """Every service of the compose file (default: the reference platform's), mapped or "not mapped"."""
    rows = []
    for name, spec in read_compose(path or default_compose_file()).items():
        spec = spec or {}
        image = _image(spec)
        twin = _twin(str(name), image)
        rows.append(InventoryRow(
            service=str(name), image=image, kind=twin.kind if twin else "not mapped",
            aws=twin.aws if twin else "not mapped", phase=twin.phase if twin else "-",
            moves=twin.moves if twin else UNMAPPED_MOVES,
            ports=tuple(str(p) for p in spec.get("ports") or ()),
            volumes=tuple(str(v.get("source", v) if isinstance(v, dict) else v) for v in spec.get("volumes") or ()),
        ))
    return rows


def inventory_table(path: str | Path | None = None) -> Any:
    """:func:`inventory` as a pandas table (notebook 00)."""
    import pandas as pd

    return pd.DataFrame([{"service": r.service, "image": r.image, "kind": r.kind, "aws": r.aws, "phase": r.phase,
                          "moves": r.moves} for r in inventory(path)])
