# Stack 05_orchestration_observability (prod): MWAA, Grafana, OpenMetadata, observability, budgets.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "prod"
  ManagedBy   = "terraform"
  Stack       = "05_orchestration_observability"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "prod"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-prod-tfstate"
  region = "eu-west-1"
}

log_retention_days = 365

enable_mwaa                = true
enable_mwaa_environment    = true
mwaa_environment_class     = "mw1.large"
mwaa_max_workers           = 10
mwaa_webserver_access_mode = "PRIVATE_ONLY"

enable_grafana           = true
enable_grafana_workspace = true

enable_openmetadata                   = true
enable_openmetadata_service           = true
enable_openmetadata_database          = true
enable_openmetadata_database_instance = true
enable_openmetadata_search            = true
openmetadata = {
  cpu                           = 2048
  memory                        = 8192
  desired_count                 = 2
  db_instance_class             = "db.m7g.large"
  db_multi_az                   = true
  db_deletion_protection        = true
  search_instance_type          = "m6g.large.search"
  search_instance_count         = 2
  search_dedicated_master_count = 3
}

alert_subscriptions = [
  { protocol = "email", endpoint = "platform-oncall@example.com" },
]
ingest_latency_p95_ms = 800
rds_cpu_percent       = 75
enable_adot_config    = true

enable_budgets              = true
enable_budget_notifications = true
monthly_budget_usd          = 15000
service_budgets_usd = {
  "AWS Glue"                                    = 2000
  "Amazon Elastic MapReduce"                    = 3000
  "Amazon Managed Streaming for Apache Kafka"   = 2500
  "Amazon Relational Database Service"          = 2000
  "Amazon Managed Workflows for Apache Airflow" = 1500
}
budget_subscriber_emails = ["finops@example.com", "platform-leads@example.com"]
