"""A local stand-in of the AWS Glue job context, so the deployed entrypoint runs here unchanged.

Why: ``awsglue`` exists only inside Glue. The parity harness runs the script Glue would run (downloaded
back from the scripts bucket) with the Glue job's default arguments, so it needs the three calls the
entrypoint makes: ``awsglue.utils.getResolvedOptions``, ``awsglue.context.GlueContext`` and
``awsglue.job.Job``. They are put into ``sys.modules`` only while that script runs.

What differs from real Glue (the README's list):
- ``getResolvedOptions`` parses ``--name value`` pairs like Glue's (argparse, known args only, every
  asked-for name required); Glue's own reserved arguments (``--TempDir``, metrics, logging) do nothing.
- ``GlueContext`` offers ``spark_session`` and ``get_logger`` only: no DynamicFrames, no catalog, no
  connections. The platform's jobs use plain PySpark, so they need no more.
- ``Job.init``/``Job.commit`` only record that they were called: bookmarks are not kept.
- Spark is the harness's one local session (``local[2]``, pyspark 3.5 from PyPI, the Spark line of Glue
  5.0), not Glue's workers: no DPUs, no Glue-built Spark, no Glue 5.0 Python (3.11) or its extra jars;
  IAM role, security configuration and SSE-KMS are not exercised.
- ``s3://`` paths in the arguments are swapped for local staged folders by the harness (no S3A connector in
  the pyspark wheel).
- ``--extra-py-files`` entries are downloaded and put first on ``sys.path`` as Glue does; the jobs use no
  Python UDFs, so Spark's Python workers never need them.
"""

from __future__ import annotations

import argparse
import logging
import runpy
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_lib.errors import SparkJobError

log = logging.getLogger("runbook_lib.workloads.glue_local")


@dataclass
class GlueRunRecord:
    """What the stand-in saw: the job name and arguments ``Job.init`` got, and whether ``commit`` ran."""

    argv: list[str]
    job_name: str | None = None
    init_args: dict[str, str] = field(default_factory=dict)
    committed: bool = False


def get_resolved_options(argv: Sequence[str], options: Sequence[str]) -> dict[str, str]:
    """Glue's ``getResolvedOptions``: each ``--option value`` asked for, required; other arguments ignored."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    for option in options:
        parser.add_argument(f"--{option}", required=True)
    try:
        known, _ = parser.parse_known_args(list(argv[1:]))
    except (argparse.ArgumentError, SystemExit) as error:
        raise SparkJobError(str(argv[0]) if argv else "glue", f"Glue arguments: {error}", key="default_arguments",
                            hint=f"the Glue job needs --{' --'.join(options)}") from None
    return {option: getattr(known, option) for option in options}


def _modules(spark: Any, record: GlueRunRecord) -> dict[str, types.ModuleType]:
    """The fake ``awsglue`` package: ``utils``, ``context`` and ``job`` with the calls the entrypoint makes."""

    class GlueContext:
        def __init__(self, spark_context: Any) -> None:
            self.spark_context = spark_context
            self.spark_session = spark

        def get_logger(self) -> logging.Logger:
            return log

    class Job:
        def __init__(self, glue_context: GlueContext) -> None:
            self.glue_context = glue_context

        def init(self, job_name: str, args: Mapping[str, str]) -> None:
            record.job_name = job_name
            record.init_args = dict(args)

        def commit(self) -> None:
            record.committed = True

    package = types.ModuleType("awsglue")
    package.__path__ = []  # a package, so "from awsglue.x import y" resolves through sys.modules
    utils = types.ModuleType("awsglue.utils")
    utils.getResolvedOptions = get_resolved_options  # type: ignore[attr-defined]
    context = types.ModuleType("awsglue.context")
    context.GlueContext = GlueContext  # type: ignore[attr-defined]
    job = types.ModuleType("awsglue.job")
    job.Job = Job  # type: ignore[attr-defined]
    return {"awsglue": package, "awsglue.utils": utils, "awsglue.context": context, "awsglue.job": job}


@contextmanager
def isolated_imports(paths: Sequence[Path], purge: str) -> Iterator[None]:
    """``paths`` first on ``sys.path``, no cached ``purge`` package before or after: each run imports its own copy."""

    def drop() -> None:
        for name in [m for m in sys.modules if m == purge or m.startswith(f"{purge}.")]:
            del sys.modules[name]

    saved = list(sys.path)
    drop()
    sys.path[:0] = [str(p) for p in paths]
    try:
        yield
    finally:
        sys.path[:] = saved
        drop()


def run_glue_script(spark: Any, script: Path, arguments: Mapping[str, str], *, job_name: str,
                    extra_py_files: Sequence[Path] = (), package: str = "platform_jobs") -> GlueRunRecord:
    """Run a Glue entrypoint as Glue would: ``sys.argv`` from the job's arguments, ``awsglue`` stood in.

    Args:
        spark: the harness's session (GlueContext.spark_session).
        script: the downloaded ``script_location``.
        arguments: the Glue default arguments (``--name`` -> value), paths already local.
        extra_py_files: the downloaded ``--extra-py-files``, first on ``sys.path``.
        package: the job package to re-import from ``extra_py_files``, never from a cached copy.
    """
    argv = [str(script), "--JOB_NAME", job_name, "--JOB_ID", "j_local", "--JOB_RUN_ID", "jr_local"]
    for name, value in arguments.items():
        argv += [name, value]
    record = GlueRunRecord(argv=argv)
    fakes = _modules(spark, record)
    saved_modules = {name: sys.modules.get(name) for name in fakes}
    saved_argv = sys.argv
    sys.modules.update(fakes)
    sys.argv = argv
    try:
        with isolated_imports(extra_py_files, package):
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = saved_argv
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    if not record.committed:
        raise SparkJobError(job_name, "the Glue entrypoint returned without Job.commit()",
                            hint="the entrypoint must call job.commit() at the end, as Glue requires for bookmarks")
    return record
