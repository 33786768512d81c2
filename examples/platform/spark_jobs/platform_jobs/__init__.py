"""The platform's Spark jobs, written once as plain PySpark.

Each job module exposes ``ARGUMENTS`` (the names of the ``--key value`` arguments it reads) and
``run(spark, args)``; nothing here imports ``awsglue``. The self-hosted platform runs them with
``spark-submit --py-files platform_jobs.zip platform_jobs/<job>.py --key value ...``; on AWS Glue the
thin ``glue_entrypoint.py`` beside this package runs the same ``run`` with the Glue job's arguments.
Each job's metadata (Glue version, workers, bookmarks, arguments, inputs/outputs, parity keys) is the
``<job>.yaml`` beside its module.
"""
