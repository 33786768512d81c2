"""OpenMetadata ingestion workflow configurations for the AWS side (Glue catalog, S3, MSK), from stack outputs,
validated against the ``openmetadata-ingestion`` package's own models.

Why the package's models and not our own schema: the configs are run by OpenMetadata's ingestion framework;
what it accepts is what its generated pydantic models accept. The package pins conflict with the runbook's
environment, so it lives in ``.venv-openmetadata`` (``make openmetadata``) and ``_openmetadata_probe.py``
validates there. No secret is written: the server's JWT is ``${OPENMETADATA_JWT_TOKEN}``, which the framework
expands from the environment when it loads the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from runbook_lib.errors import OrchestrationError
from runbook_lib.process import run_command

PROBE = Path(__file__).with_name("_openmetadata_probe.py")
TARGETS = ("glue", "s3", "msk")


@dataclass(frozen=True)
class IngestionConfig:
    """One generated workflow file and the outputs it was built from."""

    service: str
    target: str
    path: Path
    built_from: str


def _aws(region: str, endpoint_url: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {"awsRegion": region}
    if endpoint_url:
        config["endPointURL"] = endpoint_url
    return config


def _workflow(source: dict[str, Any], server: str) -> dict[str, Any]:
    return {
        "source": source,
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "loggerLevel": "INFO",
            "openMetadataServerConfig": {"hostPort": server, "authProvider": "openmetadata",
                                         "securityConfig": {"jwtToken": "${OPENMETADATA_JWT_TOKEN}"}},
        },
    }


def build_configs(services_file: Path, outputs: Mapping[str, Any], *, region: str, endpoint_url: str | None,
                  server: str, out_dir: Path, sandbox_kafka: str | None = None) -> list[IngestionConfig]:
    """One workflow JSON per service of ``services_file``; a missing output is an error naming it.

    ``sandbox_kafka`` is the sandbox's MSK stand-in (the kafka-target broker, plaintext): the sandbox switches the
    MSK cluster off, so stack 03 has no bootstrap brokers there; the config then names the stand-in and says so.
    """
    if not services_file.is_file():
        raise OrchestrationError(str(services_file), "services file does not exist",
                                 hint="set orchestration.openmetadata.services_file")
    services = (yaml.safe_load(services_file.read_text()) or {}).get("services", [])

    def output(name: str) -> Any:
        value = outputs.get(name)
        if value in (None, "", [], {}):
            raise OrchestrationError(name, "stack output needed for the OpenMetadata configs is missing",
                                     hint="apply that stack first")
        return value

    out_dir.mkdir(parents=True, exist_ok=True)
    configs = []
    for service in services:
        target = service.get("target")
        name = f"{service['name']}-aws"
        if target == "glue":
            database = output("04_processing.glue_database_name")
            source = {"type": "glue", "serviceName": name,
                      "serviceConnection": {"config": {"type": "Glue", "awsConfig": _aws(region, endpoint_url)}},
                      "sourceConfig": {"config": {"type": "DatabaseMetadata",
                                                  "databaseFilterPattern": {"includes": [f"^{database}$"]}}}}
            built = f"glue_database_name={database}"
        elif target == "s3":
            buckets = sorted(output("02_data_stores.data_lake_bucket_names").values())
            source = {"type": "s3", "serviceName": name,
                      "serviceConnection": {"config": {"type": "S3", "awsConfig": _aws(region, endpoint_url),
                                                       "bucketNames": buckets}},
                      "sourceConfig": {"config": {"type": "StorageMetadata"}}}
            built = f"data_lake_bucket_names={', '.join(buckets)}"
        elif target == "msk":
            key = "03_streaming_ingestion.msk_bootstrap_brokers_sasl_iam"
            if outputs.get(key) in (None, "") and sandbox_kafka:
                connection = {"type": "Kafka", "bootstrapServers": sandbox_kafka, "securityProtocol": "PLAINTEXT"}
                built = f"sandbox: kafka-target {sandbox_kafka} stands in for MSK (the cluster is off in the sandbox)"
            else:
                connection = {"type": "Kafka", "bootstrapServers": output(key), "securityProtocol": "SASL_SSL",
                              "consumerConfig": {"sasl.mechanism": "OAUTHBEARER"}}
                built = "msk_bootstrap_brokers_sasl_iam"
            source = {"type": "kafka", "serviceName": name, "serviceConnection": {"config": connection},
                      "sourceConfig": {"config": {"type": "MessagingMetadata"}}}
        else:
            raise OrchestrationError(f"{services_file}: {service.get('name')}", f"unknown target {target!r}",
                                     hint=f"allowed: {', '.join(TARGETS)}")
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(_workflow(source, server), indent=2, sort_keys=True) + "\n")
        configs.append(IngestionConfig(service["name"], target, path, built))
    return configs


@dataclass(frozen=True)
class ConfigCheck:
    file: str
    ok: bool
    errors: tuple[str, ...]
    validated_with: str


def validate_configs(paths: list[Path], venv: Path) -> list[ConfigCheck]:
    """Validate each file with ``OpenMetadataWorkflowConfig`` in the OpenMetadata venv (one subprocess)."""
    python = venv / "bin" / "python"
    if not python.is_file():
        raise OrchestrationError(str(venv), "the OpenMetadata venv does not exist", hint="run `make openmetadata`")
    result = run_command([str(python), str(PROBE), *map(str, paths)], check=False, timeout=300, logger_name=__name__)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not result.ok or not lines:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise OrchestrationError(str(venv), f"the OpenMetadata probe failed: {tail[0]}", hint="run `make openmetadata`")
    report = json.loads(lines[-1])
    version = f"openmetadata-ingestion {report['version']}"
    return [ConfigCheck(Path(r["file"]).name, r["ok"], tuple(r["errors"]), version) for r in report["results"]]


def checks_frame(configs: list[IngestionConfig], checks: list[ConfigCheck]) -> Any:
    import pandas as pd

    by_file = {c.file: c for c in checks}
    rows = []
    for config in configs:
        check = by_file.get(config.path.name)
        rows.append({"service": config.service, "target": config.target, "file": config.path.name,
                     "built_from": config.built_from, "valid": bool(check and check.ok),
                     "errors": "; ".join(check.errors) if check else "not validated",
                     "validated_with": check.validated_with if check else ""})
    return pd.DataFrame(rows)
