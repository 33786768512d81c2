# Stack 05_orchestration_observability (sandbox): MWAA, Grafana, OpenMetadata, observability, budgets.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "sandbox"
  ManagedBy   = "terraform"
  Stack       = "05_orchestration_observability"
}

# Earlier stacks' state: the same bucket as backend.hcl. The runner adds the moto endpoint
# (AWS_ENDPOINT_URL_S3, or an "endpoint" entry in this map).
state_key_prefix     = "sandbox"
remote_state_backend = "s3"
remote_state_config = {
  bucket                      = "dmig-sandbox-tfstate"
  region                      = "eu-west-1"
  use_path_style              = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

# Sandbox teardown (not moto gaps): buckets and secrets go at once on destroy.
force_destroy          = true
enable_tls_only_policy = false # moto ignores aws:SecureTransport; the Deny would refuse everything
log_retention_days     = 365

enable_mwaa             = true  # DAG bucket, role policy, security group: moto creates them
enable_mwaa_environment = false # moto has no MWAA (airflow) backend

enable_grafana           = true  # role policy: IAM, moto creates it
enable_grafana_workspace = false # moto has no Managed Grafana backend

enable_openmetadata          = true
enable_openmetadata_service  = true
enable_openmetadata_database = true # subnet group, parameter group, security group: moto creates them
# moto gives every RDS instance the same DbiResourceId; the provider reads instances back by it and
# then finds two (this one and 02's PostgreSQL). OpenMetadata uses 02's PostgreSQL instead.
enable_openmetadata_database_instance = false
enable_openmetadata_search            = true
openmetadata = {
  cpu                           = 1024
  memory                        = 4096
  db_instance_class             = "db.t4g.small"
  db_multi_az                   = true
  db_deletion_protection        = false # sandbox teardown
  search_instance_type          = "t3.medium.search"
  search_instance_count         = 2
  search_dedicated_master_count = 3
  # The provider waits ~10 min before its first poll of a new or deleted domain; on timeout it
  # reads the domain once more and accepts it (moto's is active at once): 20 min -> 2 min per cycle.
  search_wait_timeout = "1m"
}

alert_subscriptions = [
  { protocol = "email", endpoint = "platform-alerts@example.com" },
]
ingest_latency_p95_ms = 1000
rds_cpu_percent       = 80
enable_adot_config    = true

# moto Budgets has no ListTagsForResource (the provider lists tags on every read; default_tags always
# sets some) and no DescribeSubscribersForNotification: no budget can be read back.
enable_budgets              = false
enable_budget_notifications = true
monthly_budget_usd          = 200
service_budgets_usd = {
  "AWS Glue"                           = 50
  "Amazon Relational Database Service" = 50
}
budget_subscriber_emails = ["finops@example.com"]
