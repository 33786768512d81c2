"""The spark-submit side of every job: ``--key value`` arguments and a session, as the platform runs them."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any


def parse_job_arguments(names: Sequence[str], argv: Sequence[str]) -> dict[str, str]:
    """``--name value`` pairs for every name in ``names`` (all required); others are ignored, as Glue does."""
    parser = argparse.ArgumentParser(add_help=False)
    for name in names:
        parser.add_argument(f"--{name}", required=True)
    known, _ = parser.parse_known_args(list(argv))
    return {name: getattr(known, name) for name in names}


def submit(app_name: str, names: Sequence[str], run: Callable[[Any, dict[str, str]], None],
           argv: Sequence[str]) -> None:
    """What ``spark-submit platform_jobs/<job>.py --key value ...`` does: one session, the job, stop."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName(app_name).getOrCreate()
    try:
        run(spark, parse_job_arguments(names, argv))
    finally:
        spark.stop()
