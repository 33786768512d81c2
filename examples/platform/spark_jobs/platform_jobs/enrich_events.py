"""Curated events joined with the PostgreSQL ``sales.customers`` dimension -> enriched Parquet by event_date.

The self-hosted platform reads the dimension over JDBC; here the job reads a staged extract of the
table (CSV with a header: id, email, name, country, created_at), which is what both the parity
harness and the Glue job get (the runbook exports it; a Glue connection to RDS is the production
alternative). A left join: an event whose customer is unknown keeps null customer columns rather
than vanishing, so counts downstream stay whole. The small dimension is broadcast.
"""

from __future__ import annotations

import sys
from typing import Any

ARGUMENTS = ("source_path", "dimension_path", "target_path")


def run(spark: Any, args: dict[str, str]) -> None:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    customer_schema = T.StructType([
        T.StructField("id", T.IntegerType()),
        T.StructField("email", T.StringType()),
        T.StructField("name", T.StringType()),
        T.StructField("country", T.StringType()),
        T.StructField("created_at", T.StringType()),
    ])
    events = spark.read.parquet(args["source_path"])
    customers = (
        spark.read.schema(customer_schema).option("header", True).option("recursiveFileLookup", "true")
        .csv(args["dimension_path"])
        .select(
            F.col("id").alias("customer_id"),
            F.trim(F.col("country")).alias("country"),
            F.to_date(F.substring("created_at", 1, 10)).alias("customer_since"),
        )
    )
    enriched = events.join(F.broadcast(customers), on="customer_id", how="left")
    (
        enriched.select("event_id", "customer_id", "country", "customer_since", "event_type", "value", "event_ts",
                        "event_date")
        .write.mode("overwrite")
        .partitionBy("event_date")
        .parquet(args["target_path"])
    )


if __name__ == "__main__":
    from platform_jobs._args import submit

    submit("enrich_events", ARGUMENTS, run, sys.argv[1:])
