"""The platform's workloads on AWS (phases 4 and 5): Spark jobs -> Glue with a parity harness, Airflow DAGs -> MWAA,
Grafana dashboards -> Managed Grafana, OpenMetadata services, and the compose-file inventory.

Imported by phases/ and cli/; imports migrate/terraform/evidence and below, never infra/health/cost/cicd.
"""
