"""One local SparkSession for a harness run: started once, reused by every job (JVM start-up is the slow part).

Why these settings: ``local[2]`` matches the machine's two cores; two shuffle partitions keep a tiny
parity input from fanning out into 200 tasks; UTC session time so ``to_date``/timestamps read the same on
every machine (Glue runs in UTC too); no UI, no Hive. pyspark is an optional extra (``spark``).
"""

from __future__ import annotations

import shutil
from typing import Any

from runbook_lib.errors import ToolMissingError

SPARK_LINE = "3.5"  # Glue 5.0's Spark line; the extra pins pyspark>=3.5,<3.6


def local_spark(app_name: str = "runbook-parity", *, cores: int = 2, shuffle_partitions: int = 2) -> Any:
    """The running session, or a new ``local[cores]`` one.

    Raises:
        ToolMissingError: pyspark is not installed (``pip install -e '.[spark]'``), it is not the Glue 5.0 line,
            or no ``java`` is on PATH (a JDK 17).
    """
    try:
        import pyspark
        from pyspark.sql import SparkSession
    except ImportError:
        raise ToolMissingError("pyspark", "pyspark is not installed",
                               hint="pip install -e '.[spark]' (pyspark 3.5, the Spark line of Glue 5.0)") from None
    if not pyspark.__version__.startswith(SPARK_LINE + "."):
        raise ToolMissingError("pyspark", f"pyspark {pyspark.__version__} is not Glue 5.0's Spark {SPARK_LINE} line",
                               hint="pip install 'pyspark>=3.5,<3.6'")
    if shutil.which("java") is None:
        raise ToolMissingError("java", "no java on PATH: Spark needs a JDK", hint="install a JDK 17 (openjdk-17-jdk)")
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(cores))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.sources.partitionOverwriteMode", "static")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.catalogImplementation", "in-memory")
        .getOrCreate()
    )
