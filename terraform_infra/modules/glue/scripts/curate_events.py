"""Sample Glue ETL job: raw zone JSON events -> curated zone Parquet.

Uploaded by the glue module as the default script of every job that names no
script of its own, so a fresh environment has one job that runs end to end and
proves the role, the security configuration and both buckets are wired right.

Job arguments (set by the module's default_arguments):
    --source_path  s3://<raw bucket>/<prefix>/
    --target_path  s3://<curated bucket>/<prefix>/
    --partition_key  column to partition the Parquet output by (default: event_date)
"""

import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_path", "target_path"])
partition_key = "event_date"
if "--partition_key" in sys.argv:
    partition_key = getResolvedOptions(sys.argv, ["partition_key"])["partition_key"]

glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

# Bookmarks (transformation_ctx) make reruns pick up only new raw objects.
raw = glue_context.create_dynamic_frame.from_options(
    connection_type="s3",
    connection_options={"paths": [args["source_path"]], "recurse": True},
    format="json",
    transformation_ctx="raw_events",
)

frame = raw.toDF()
if frame.head(1):
    if partition_key not in frame.columns:
        frame = frame.withColumn(partition_key, F.current_date().cast("string"))
    (
        frame.dropDuplicates()
        .write.mode("append")
        .partitionBy(partition_key)
        .parquet(args["target_path"])
    )

job.commit()
