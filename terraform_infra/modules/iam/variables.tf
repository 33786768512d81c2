variable "data_lake_bucket_arns" {
  description = "Data lake bucket ARN per zone. Keys raw, curated and analytics are required; artifacts (scripts, DAGs, logs, temp) is optional. The buckets may not exist yet: stack 01 computes the ARNs from the naming contract."
  type        = map(string)

  validation {
    condition     = alltrue([for z in ["raw", "curated", "analytics"] : contains(keys(var.data_lake_bucket_arns), z)])
    error_message = "data_lake_bucket_arns needs the keys raw, curated and analytics."
  }

  validation {
    condition     = alltrue([for a in values(var.data_lake_bucket_arns) : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "data_lake_bucket_arns values must be bucket ARNs (arn:aws:s3:::name), without a key path."
  }
}

variable "kms_key_arns" {
  description = "KMS keys the workloads encrypt and decrypt data with (data lake, secrets, streaming). The key policies pin further which services may use them."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:", a))])
    error_message = "kms_key_arns must be KMS key ARNs."
  }
}

variable "msk_cluster_name" {
  description = "Name of the MSK cluster the ingest Lambda and ECS tasks may connect to with IAM auth. Null derives \"<name_prefix>-msk\"."
  type        = string
  default     = null
}

variable "mwaa_environment_name" {
  description = "Name of the MWAA environment whose execution role this module creates. Null derives \"<name_prefix>-airflow\"."
  type        = string
  default     = null
}

variable "glue_database_prefix" {
  description = "Glue Data Catalog databases the Glue and EMR roles may read and write start with this. Null derives it from name_prefix with hyphens as underscores."
  type        = string
  default     = null
}

variable "create_ingest_lambda_role" {
  description = "Create the execution role of the ingest Lambda (writes the raw zone and MSK topics)."
  type        = bool
  default     = true
}

variable "create_glue_role" {
  description = "Create the role Glue jobs and crawlers run as."
  type        = bool
  default     = true
}

variable "create_emr_roles" {
  description = "Create the EMR service role and the EC2 instance profile of the cluster nodes."
  type        = bool
  default     = true
}

variable "create_mwaa_role" {
  description = "Create the MWAA execution role (Airflow workers orchestrating Glue and EMR)."
  type        = bool
  default     = true
}

variable "create_grafana_role" {
  description = "Create the Managed Grafana workspace role (read-only CloudWatch metrics and logs)."
  type        = bool
  default     = true
}

variable "create_ecs_roles" {
  description = "Create the ECS task role and task execution role of the migration worker tasks."
  type        = bool
  default     = true
}
