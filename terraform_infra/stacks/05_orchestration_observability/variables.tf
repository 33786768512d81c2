variable "kms_key_purpose" {
  description = "Which key of 01_network_iam's kms_key_arns encrypts the MWAA environment and DAG bucket (needs s3, sqs and airflow among its via_services)."
  type        = string
  default     = "data"
}

variable "database_kms_key_purpose" {
  description = "Which key encrypts OpenMetadata's database and secrets (needs rds and secretsmanager)."
  type        = string
  default     = "database"
}

variable "ops_kms_key_purpose" {
  description = "Which key encrypts the alert topic, the ADOT parameter and the OpenSearch domain (needs sns, ssm and es, and the cloudwatch and budgets service principals). Falls back to kms_key_purpose while 01_network_iam has no such key."
  type        = string
  default     = "ops"
}

# ---------------------------------------------------------------- MWAA

variable "enable_mwaa" {
  description = "Create the MWAA DAG bucket, execution role and security group."
  type        = bool
  default     = true
}

variable "enable_mwaa_environment" {
  description = "Create the MWAA environment itself (needs enable_mwaa)."
  type        = bool
  default     = true
}

variable "mwaa_environment_class" {
  description = "MWAA environment class."
  type        = string
  default     = "mw1.small"
}

variable "mwaa_max_workers" {
  description = "MWAA worker autoscaling ceiling."
  type        = number
  default     = 5
}

variable "mwaa_webserver_access_mode" {
  description = "PRIVATE_ONLY or PUBLIC_ONLY."
  type        = string
  default     = "PRIVATE_ONLY"
}

# ---------------------------------------------------------------- Grafana

variable "enable_grafana" {
  description = "Create the Managed Grafana role."
  type        = bool
  default     = true
}

variable "enable_grafana_workspace" {
  description = "Create the Managed Grafana workspace (needs enable_grafana)."
  type        = bool
  default     = true
}

variable "grafana_authentication_providers" {
  description = "AWS_SSO and/or SAML."
  type        = list(string)
  default     = ["AWS_SSO"]
}

# ---------------------------------------------------------------- OpenMetadata

variable "enable_openmetadata" {
  description = "Create OpenMetadata's ECS cluster, task definition, roles, secrets, log group and security groups."
  type        = bool
  default     = true
}

variable "enable_openmetadata_service" {
  description = "Run the OpenMetadata ECS service."
  type        = bool
  default     = true
}

variable "enable_openmetadata_database" {
  description = "Create OpenMetadata's own RDS PostgreSQL. False points OpenMetadata at the platform PostgreSQL of 02_data_stores (its own database inside it must then be created by the runbook)."
  type        = bool
  default     = true
}

variable "enable_openmetadata_database_instance" {
  description = "Create the RDS instance of OpenMetadata's database (needs enable_openmetadata_database). False keeps its subnet group, parameter group and security group and uses 02's PostgreSQL."
  type        = bool
  default     = true
}

variable "enable_openmetadata_search" {
  description = "Create OpenMetadata's own OpenSearch domain."
  type        = bool
  default     = true
}

variable "openmetadata" {
  description = "OpenMetadata sizing (see modules/openmetadata)."
  type = object({
    image                         = optional(string, "docker.getcollate.io/openmetadata/server:1.6.1")
    cpu                           = optional(number, 1024)
    memory                        = optional(number, 4096)
    desired_count                 = optional(number, 1)
    db_instance_class             = optional(string, "db.t4g.small")
    db_multi_az                   = optional(bool, true)
    db_deletion_protection        = optional(bool, true)
    search_instance_type          = optional(string, "t3.medium.search")
    search_instance_count         = optional(number, 2)
    search_dedicated_master_count = optional(number, 3)
    search_wait_timeout           = optional(string)
  })
  default = {}
}

# ---------------------------------------------------------------- observability

variable "alert_subscriptions" {
  description = "Subscribers of the alert topic ({protocol, endpoint})."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []
}

variable "ingest_latency_p95_ms" {
  description = "Ingest API p95 latency alarm threshold in ms."
  type        = number
  default     = 1000
}

variable "rds_cpu_percent" {
  description = "RDS CPU alarm threshold in percent."
  type        = number
  default     = 80
}

variable "enable_adot_config" {
  description = "Store the ADOT collector configuration in SSM."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------- budgets

variable "enable_budgets" {
  description = "Create the monthly cost budget and per-service budgets."
  type        = bool
  default     = true
}

variable "enable_budget_notifications" {
  description = "Attach notifications (email and the alert topic) to the budgets."
  type        = bool
  default     = true
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of the environment in USD."
  type        = number
  default     = 1000
}

variable "service_budgets_usd" {
  description = "Per-service monthly budgets in USD, keyed by Cost Explorer service name."
  type        = map(number)
  default     = {}
}

variable "budget_subscriber_emails" {
  description = "Emails notified by the budgets."
  type        = list(string)
  default     = []
}

variable "budget_cost_filter_tags" {
  description = "Only count costs with these (activated) cost allocation tags; empty counts the whole account."
  type        = map(string)
  default     = {}
}

variable "extra_log_groups" {
  description = "Further log groups by name, with retention in days (the runbook's own audit log group is always created)."
  type = map(object({
    retention_days = optional(number, 365)
  }))
  default = {}
}
