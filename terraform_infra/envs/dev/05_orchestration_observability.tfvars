# Stack 05_orchestration_observability (dev): MWAA, Grafana, OpenMetadata, observability, budgets.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "dev"
  ManagedBy   = "terraform"
  Stack       = "05_orchestration_observability"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "dev"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-dev-tfstate"
  region = "eu-west-1"
}

force_destroy      = true # dev is rebuilt freely
log_retention_days = 90

enable_mwaa                = true
enable_mwaa_environment    = true
mwaa_environment_class     = "mw1.small"
mwaa_max_workers           = 2
mwaa_webserver_access_mode = "PRIVATE_ONLY"

enable_grafana           = true
enable_grafana_workspace = true

enable_openmetadata                   = true
enable_openmetadata_service           = true
enable_openmetadata_database          = true
enable_openmetadata_database_instance = true
enable_openmetadata_search            = true
openmetadata = {
  db_instance_class             = "db.t4g.small"
  db_multi_az                   = false # dev: a restore from snapshot is good enough
  db_deletion_protection        = false
  search_instance_type          = "t3.small.search"
  search_instance_count         = 1
  search_dedicated_master_count = 0
}

alert_subscriptions   = [{ protocol = "email", endpoint = "platform-dev-alerts@example.com" }]
ingest_latency_p95_ms = 2000
enable_adot_config    = true

enable_budgets              = true
enable_budget_notifications = true
monthly_budget_usd          = 1500
service_budgets_usd = {
  "AWS Glue"                                    = 200
  "Amazon Managed Workflows for Apache Airflow" = 400
}
budget_subscriber_emails = ["finops@example.com"]
