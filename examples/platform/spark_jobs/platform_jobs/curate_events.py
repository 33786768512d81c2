"""Raw zone JSON-lines events -> curated Parquet: typed, deduplicated by event_id, partitioned by event_date.

Why a window and not ``dropDuplicates``: the ingestor retries, so one event can land twice, sometimes
with a late correction; ``dropDuplicates`` keeps an arbitrary copy, which makes two runs of the same job
disagree. The window keeps the newest copy (latest ``ts``, then highest ``value``), so reruns - and the
Glue run - produce the same rows.
"""

from __future__ import annotations

import sys
from typing import Any

ARGUMENTS = ("source_path", "target_path")


def run(spark: Any, args: dict[str, str]) -> None:
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    schema = T.StructType([
        T.StructField("event_id", T.StringType()),
        T.StructField("customer_id", T.IntegerType()),
        T.StructField("type", T.StringType()),
        T.StructField("value", T.LongType()),
        T.StructField("ts", T.StringType()),
    ])
    # Every object under the prefix, as S3 lists them; no partition columns from date=/hour= folder names.
    raw = spark.read.schema(schema).option("recursiveFileLookup", "true").json(args["source_path"])
    typed = (
        raw.where(F.col("event_id").isNotNull() & F.col("ts").isNotNull())
        .withColumn("event_ts", F.to_timestamp("ts"))
        .withColumnRenamed("type", "event_type")
        .drop("ts")
    )
    newest_first = Window.partitionBy("event_id").orderBy(F.col("event_ts").desc(), F.col("value").desc())
    curated = (
        typed.withColumn("_copy", F.row_number().over(newest_first))
        .where(F.col("_copy") == 1)
        .drop("_copy")
        .withColumn("event_date", F.to_date("event_ts").cast("string"))
    )
    (
        curated.select("event_id", "customer_id", "event_type", "value", "event_ts", "event_date")
        .write.mode("overwrite")
        .partitionBy("event_date")
        .parquet(args["target_path"])
    )


if __name__ == "__main__":
    from platform_jobs._args import submit

    submit("curate_events", ARGUMENTS, run, sys.argv[1:])
