"""The platform's Spark jobs as the runbook knows them: one typed :class:`SparkJob` per ``<job>.yaml``.

Why metadata beside each job: the Glue job definition (version, workers, bookmarks, arguments), the EMR
step and the parity check (keys, partitions, tolerances) are all derived from it, so a job that changes
its sizing or its outputs changes one file and nothing is copied by hand into Terraform.

Layout (``examples/platform/spark_jobs/``)::

    glue_entrypoint.py            the only file that imports awsglue (lazily)
    platform_jobs/<module>.py     plain PySpark: ARGUMENTS, run(spark, args)
    platform_jobs/<module>.yaml   this module's metadata
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import SparkJobError
from runbook_lib.paths import project_root

PACKAGE = "platform_jobs"
ENTRYPOINT = "glue_entrypoint.py"
GLUE_VERSIONS = ("3.0", "4.0", "5.0")
#: Spark line of each Glue version: the harness runs on PyPI pyspark of the same line.
GLUE_SPARK = {"3.0": "3.1", "4.0": "3.3", "5.0": "3.5"}
WORKER_TYPES = ("G.1X", "G.2X", "G.4X", "G.8X", "G.025X")
#: DPUs per worker of each worker type.
WORKER_DPUS = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0}
EXECUTION_CLASSES = ("STANDARD", "FLEX")
FORMATS = ("json", "csv", "parquet")
#: ``s3://{zone}/prefix/``: the data lake bucket of that zone (stack 02's data_lake_bucket_names).
ZONES = ("raw", "curated", "analytics")
# Placeholders an argument may name: a data lake zone (stack 02's migrated buckets) or {scripts}, the
# Glue scripts bucket the runbook owns - where it stages extracts, so no migrated zone gains objects
# the source does not have (the cutover verifies the zones against the source again).
PLACEHOLDERS = (*ZONES, "scripts")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_TOP_KEYS = ("name", "module", "description", "glue", "arguments", "inputs", "outputs")


def default_jobs_dir() -> Path:
    """The reference platform's jobs in this repository."""
    return project_root() / "examples" / "platform" / "spark_jobs"


@dataclass(frozen=True)
class GlueSpec:
    """How the job runs on Glue: version, workers, retries, bookmarks."""

    version: str = "5.0"
    worker_type: str = "G.1X"
    number_of_workers: int = 2
    execution_class: str = "STANDARD"
    timeout_minutes: int = 60
    max_retries: int = 0
    bookmarks: bool = False

    @property
    def dpus(self) -> float:
        """Maximum capacity in DPUs (workers x DPUs per worker)."""
        return self.number_of_workers * WORKER_DPUS[self.worker_type]


@dataclass(frozen=True)
class JobInput:
    """One dataset a job reads: the argument that carries its path, its format, and (for an extract) its table."""

    argument: str
    format: str
    extract: dict[str, str] | None = None  # {database, table}: a PostgreSQL table the runbook exports as CSV


@dataclass(frozen=True)
class JobOutput:
    """One dataset a job writes, and how parity compares it."""

    argument: str
    format: str
    keys: tuple[str, ...]
    partition_by: tuple[str, ...] = ()
    tolerance: dict[str, float] = field(default_factory=dict)  # column -> absolute tolerance
    min_match_rate: float = 1.0


@dataclass(frozen=True)
class SparkJob:
    """One platform job: where its code is and everything derived from its metadata."""

    name: str
    module: str
    description: str
    glue: GlueSpec
    arguments: dict[str, str]
    inputs: tuple[JobInput, ...]
    outputs: tuple[JobOutput, ...]
    metadata_path: Path
    script_path: Path

    def argument_zone(self, argument: str) -> str | None:
        """The data lake zone an argument's path lives in (``{raw}`` -> ``raw``), if it names one."""
        match = _PLACEHOLDER.search(self.arguments.get(argument, ""))
        return match.group(1) if match and match.group(1) in ZONES else None


@dataclass(frozen=True)
class SparkCatalog:
    """Every job of a jobs folder, in dependency order (a job after the jobs whose outputs it reads)."""

    root: Path
    jobs: tuple[SparkJob, ...]

    @property
    def entrypoint(self) -> Path:
        return self.root / ENTRYPOINT

    @property
    def package_dir(self) -> Path:
        return self.root / PACKAGE

    def job(self, name: str) -> SparkJob:
        for job in self.jobs:
            if job.name == name:
                return job
        raise SparkJobError(name, "no such job", hint=f"known jobs: {', '.join(j.name for j in self.jobs)}")


def load_catalog(root: str | Path | None = None) -> SparkCatalog:
    """Read every ``platform_jobs/*.yaml`` under ``root`` (default: the reference platform).

    Raises:
        SparkJobError: a missing folder, entrypoint or job script, or metadata outside what is allowed
            (one line naming the file, the key and the allowed values).
    """
    base = Path(root) if root is not None else default_jobs_dir()
    package = base / PACKAGE
    if not package.is_dir():
        raise SparkJobError(str(base), f"no {PACKAGE}/ folder", hint="point spark_jobs_dir at a jobs folder")
    if not (base / ENTRYPOINT).is_file():
        raise SparkJobError(str(base), f"the Glue entrypoint {ENTRYPOINT} is missing",
                            hint=f"restore {base / ENTRYPOINT}")
    jobs = [_load_job(path) for path in sorted(package.glob("*.yaml"))]
    if not jobs:
        raise SparkJobError(str(package), "no job metadata (*.yaml)", hint="add <job>.yaml beside each job module")
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        raise SparkJobError(str(package), f"duplicate job names {sorted(names)}", key="name")
    return SparkCatalog(root=base, jobs=tuple(_dependency_order(jobs)))


def _load_job(path: Path) -> SparkJob:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise SparkJobError(path.name, f"not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise SparkJobError(path.name, "metadata must be a mapping", hint=f"keys: {', '.join(_TOP_KEYS)}")
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise SparkJobError(path.name, f"unknown key {unknown[0]}", key=unknown[0],
                            hint=f"allowed: {', '.join(_TOP_KEYS)}")
    name = _required(data, "name", path)
    module = _required(data, "module", path)
    script = path.parent / f"{module}.py"
    if not script.is_file():
        raise SparkJobError(name, f"job script {script} is missing (module: {module} in {path.name})", key="module",
                            hint=f"add {script.name} or fix module: in {path.name}")
    arguments = {str(k): str(v) for k, v in (data.get("arguments") or {}).items()}
    for key, value in arguments.items():
        zones = _PLACEHOLDER.findall(value)
        if len(zones) > 1 or any(z not in PLACEHOLDERS for z in zones):
            raise SparkJobError(name, f"argument {key}={value!r} names {zones}", key=f"arguments.{key}",
                                hint=f"at most one placeholder, one of: {', '.join(PLACEHOLDERS)}")
    inputs = tuple(_input(name, item, arguments) for item in data.get("inputs") or ())
    outputs = tuple(_output(name, item, arguments) for item in data.get("outputs") or ())
    if not outputs:
        raise SparkJobError(name, "no outputs: parity has nothing to compare", key="outputs")
    return SparkJob(name=name, module=module, description=str(data.get("description") or ""),
                    glue=_glue(name, data.get("glue") or {}), arguments=arguments, inputs=inputs, outputs=outputs,
                    metadata_path=path, script_path=script)


def _required(data: dict[str, Any], key: str, path: Path) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_-]{1,40}", value):
        raise SparkJobError(path.name, f"{key}={value!r}", key=key, hint="lower-case letters, digits, - and _")
    return value


def _choice(job: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if str(value) not in allowed:
        raise SparkJobError(job, f"{key}={value!r}", key=key, hint=f"allowed: {', '.join(allowed)}")
    return str(value)


def _glue(job: str, data: dict[str, Any]) -> GlueSpec:
    allowed = set(GlueSpec.__dataclass_fields__)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SparkJobError(job, f"unknown key glue.{unknown[0]}", key=f"glue.{unknown[0]}",
                            hint=f"allowed: {', '.join(sorted(allowed))}")
    spec = GlueSpec(**data)
    _choice(job, "glue.version", spec.version, GLUE_VERSIONS)
    _choice(job, "glue.worker_type", spec.worker_type, WORKER_TYPES)
    _choice(job, "glue.execution_class", spec.execution_class, EXECUTION_CLASSES)
    if spec.execution_class == "FLEX" and spec.worker_type not in ("G.1X", "G.2X"):
        raise SparkJobError(job, f"FLEX on {spec.worker_type}", key="glue.worker_type",
                            hint="FLEX runs on G.1X or G.2X")
    if not isinstance(spec.number_of_workers, int) or spec.number_of_workers < 2:
        raise SparkJobError(job, f"glue.number_of_workers={spec.number_of_workers!r}", key="glue.number_of_workers",
                            hint="an integer >= 2")
    if not 1 <= int(spec.timeout_minutes) <= 2880:
        raise SparkJobError(job, f"glue.timeout_minutes={spec.timeout_minutes!r}", key="glue.timeout_minutes",
                            hint="1 to 2880")
    return spec


def _input(job: str, item: dict[str, Any], arguments: dict[str, str]) -> JobInput:
    argument = _argument(job, "inputs", item, arguments)
    extract = item.get("extract")
    if extract is not None and not (isinstance(extract, dict) and {"database", "table"} <= set(extract)):
        raise SparkJobError(job, f"inputs.extract={extract!r}", key="inputs.extract", hint="{database: D, table: S.T}")
    if extract is not None and _PLACEHOLDER.findall(arguments[argument]) != ["scripts"]:
        raise SparkJobError(job, f"inputs.extract writes to {arguments[argument]!r}, a migrated zone or no bucket",
                            key=f"arguments.{argument}",
                            hint="stage extracts under s3://{scripts}/extracts/...: a zone must hold only what "
                                 "the source holds, or the cutover's verification finds extra objects")
    return JobInput(argument=argument, format=_choice(job, "inputs.format", item.get("format"), FORMATS),
                    extract={k: str(v) for k, v in extract.items()} if extract else None)


def _output(job: str, item: dict[str, Any], arguments: dict[str, str]) -> JobOutput:
    argument = _argument(job, "outputs", item, arguments)
    keys = tuple(item.get("keys") or ())
    if not keys:
        raise SparkJobError(job, f"output {argument} has no keys", key="outputs.keys",
                            hint="the columns that identify a row, for the parity join")
    rate = float(item.get("min_match_rate", 1.0))
    if not 0.0 < rate <= 1.0:
        raise SparkJobError(job, f"outputs.min_match_rate={rate}", key="outputs.min_match_rate", hint="in (0, 1]")
    return JobOutput(argument=argument, format=_choice(job, "outputs.format", item.get("format"), ("parquet",)),
                     keys=keys, partition_by=tuple(item.get("partition_by") or ()),
                     tolerance={str(k): float(v) for k, v in (item.get("tolerance") or {}).items()},
                     min_match_rate=rate)


def _argument(job: str, section: str, item: Any, arguments: dict[str, str]) -> str:
    argument = item.get("argument") if isinstance(item, dict) else None
    if argument not in arguments:
        raise SparkJobError(job, f"{section}.argument={argument!r}", key=f"{section}.argument",
                            hint=f"one of the job's arguments: {', '.join(arguments) or '(none)'}")
    return str(argument)


def _dependency_order(jobs: list[SparkJob]) -> list[SparkJob]:
    """Producers before consumers: a job reading a path another job writes runs after it (stable otherwise)."""
    writers = {job.arguments[o.argument]: job.name for job in jobs for o in job.outputs}
    ordered: list[SparkJob] = []
    pending = list(jobs)
    while pending:
        done = {j.name for j in ordered}
        ready = [j for j in pending
                 if all(writers.get(j.arguments[i.argument]) in (None, j.name, *done) for i in j.inputs)]
        if not ready:
            raise SparkJobError(", ".join(j.name for j in pending), "jobs read each other's outputs in a cycle",
                                key="inputs")
        ordered.extend(ready)
        pending = [j for j in pending if j not in ready]
    return ordered
