"""Enriched events -> one row per day, country and event type: events, customers, total and mean value.

The mean is a double, so the parity check compares it with a tolerance (see daily_event_counts.yaml);
the counts and the total must match exactly. Unknown customers count under country ``??``.
"""

from __future__ import annotations

import sys
from typing import Any

ARGUMENTS = ("source_path", "target_path")


def run(spark: Any, args: dict[str, str]) -> None:
    from pyspark.sql import functions as F

    enriched = spark.read.parquet(args["source_path"])
    daily = (
        enriched.withColumn("country", F.coalesce(F.col("country"), F.lit("??")))
        .groupBy("event_date", "country", "event_type")
        .agg(
            F.count("*").alias("events"),
            F.countDistinct("customer_id").alias("customers"),
            F.sum("value").alias("total_value"),
            F.avg("value").alias("mean_value"),
        )
    )
    daily.write.mode("overwrite").partitionBy("event_date").parquet(args["target_path"])


if __name__ == "__main__":
    from platform_jobs._args import submit

    submit("daily_event_counts", ARGUMENTS, run, sys.argv[1:])
