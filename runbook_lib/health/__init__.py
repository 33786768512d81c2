"""Health of the migrated services: golden signals from CloudWatch GetMetricData, alarm states, the canary's own
metrics (PutMetricData), one chart per phase.

Imported by cutover/, phases/ and cli/; imports the layers below it only.
"""
