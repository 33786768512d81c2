# Stack 05_orchestration_observability (staging): MWAA, Grafana, OpenMetadata, observability, budgets.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "staging"
  ManagedBy   = "terraform"
  Stack       = "05_orchestration_observability"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "staging"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-staging-tfstate"
  region = "eu-west-1"
}

log_retention_days = 365

enable_mwaa                = true
enable_mwaa_environment    = true
mwaa_environment_class     = "mw1.medium"
mwaa_max_workers           = 5
mwaa_webserver_access_mode = "PRIVATE_ONLY"

enable_grafana           = true
enable_grafana_workspace = true

enable_openmetadata                   = true
enable_openmetadata_service           = true
enable_openmetadata_database          = true
enable_openmetadata_database_instance = true
enable_openmetadata_search            = true
openmetadata = {
  db_instance_class             = "db.t4g.medium"
  db_multi_az                   = true
  db_deletion_protection        = true
  search_instance_type          = "t3.medium.search"
  search_instance_count         = 2
  search_dedicated_master_count = 3
}

alert_subscriptions   = [{ protocol = "email", endpoint = "platform-staging-alerts@example.com" }]
ingest_latency_p95_ms = 1000
enable_adot_config    = true

enable_budgets              = true
enable_budget_notifications = true
monthly_budget_usd          = 4000
service_budgets_usd = {
  "AWS Glue"                                  = 500
  "Amazon Managed Streaming for Apache Kafka" = 800
  "Amazon Relational Database Service"        = 600
}
budget_subscriber_emails = ["finops@example.com"]
