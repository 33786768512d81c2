variable "kms_key_arn" {
  description = "KMS key ARN used by the Glue security configuration (S3, CloudWatch logs, job bookmarks), the scripts bucket and the job log group. Null only in throw-away sandboxes."
  type        = string
}

variable "database_name" {
  description = "Glue Data Catalog database for the curated zone. Null derives it from name_prefix (hyphens become underscores, since Athena rejects hyphens)."
  type        = string
  default     = null

  validation {
    condition     = var.database_name == null || can(regex("^[a-z0-9_]{1,255}$", coalesce(var.database_name, "x")))
    error_message = "database_name must be lower-case letters, digits and underscores (Athena and Hive reject other characters)."
  }
}

variable "create_scripts_bucket" {
  description = "Create the versioned, encrypted bucket that holds job scripts. False requires scripts_bucket_name of an existing bucket."
  type        = bool
  default     = true
}

variable "scripts_bucket_name" {
  description = "Name of the scripts bucket. Null derives \"<name_prefix>-glue-scripts-<account id>\" when the module creates the bucket."
  type        = string
  default     = null
}

variable "create_security_configuration" {
  description = "Create the Glue security configuration (SSE-KMS for S3 output, KMS for CloudWatch logs, CSE-KMS for job bookmarks) and attach it to every job and the crawler."
  type        = bool
  default     = true
}

variable "create_role" {
  description = "Create the least-privilege IAM role that jobs and the crawler run as. False requires role_arn."
  type        = bool
  default     = true
}

variable "role_arn" {
  description = "Existing IAM role ARN for jobs and crawler, used when create_role = false (e.g. a role from the iam module)."
  type        = string
  default     = null
}

variable "jobs" {
  description = <<-EOT
    Glue ETL jobs by name suffix. execution_class is always sent explicitly because the provider
    otherwise reads back a value it did not send and plans a change on every run.
    script_key and extra_py_files are keys in the scripts bucket (the runbook uploads the scripts);
    default_arguments are merged over the module's (metrics, continuous logging, bookmarks, TempDir),
    with "{scripts}" in a value replaced by the scripts bucket's name.
  EOT
  type = map(object({
    script_key        = string
    extra_py_files    = optional(list(string), [])
    glue_version      = optional(string, "4.0")
    execution_class   = optional(string, "STANDARD")
    worker_type       = optional(string, "G.1X")
    number_of_workers = optional(number, 2)
    max_retries       = optional(number, 0)
    timeout_minutes   = optional(number, 60)
    max_concurrent    = optional(number, 1)
    default_arguments = optional(map(string), {})
    description       = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for j in values(var.jobs) : contains(["STANDARD", "FLEX"], j.execution_class)])
    error_message = "jobs[*].execution_class must be STANDARD or FLEX."
  }

  validation {
    condition     = alltrue([for j in values(var.jobs) : contains(["3.0", "4.0", "5.0"], j.glue_version)])
    error_message = "jobs[*].glue_version must be 3.0, 4.0 or 5.0 (older versions are end of support)."
  }

  validation {
    condition     = alltrue([for j in values(var.jobs) : j.execution_class == "STANDARD" || contains(["G.1X", "G.2X"], j.worker_type)])
    error_message = "FLEX execution only runs on G.1X or G.2X workers."
  }

  validation {
    condition     = alltrue([for j in values(var.jobs) : j.number_of_workers >= 2 && j.timeout_minutes >= 1 && j.timeout_minutes <= 2880])
    error_message = "jobs[*].number_of_workers must be >= 2 and timeout_minutes between 1 and 2880."
  }
}

variable "create_crawler" {
  description = "Create the crawler that catalogs the curated zone into the database."
  type        = bool
  default     = true
}

variable "crawler_s3_targets" {
  description = "S3 URIs the crawler scans, e.g. [\"s3://<curated bucket>/\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for t in var.crawler_s3_targets : startswith(t, "s3://")])
    error_message = "crawler_s3_targets must be s3:// URIs."
  }
}

variable "crawler_schedule" {
  description = "Crawler schedule as a Glue cron expression, e.g. \"cron(15 2 * * ? *)\". Null runs it on demand only."
  type        = string
  default     = null
}

variable "enable_catalog_encryption" {
  description = "Encrypt the account's Data Catalog (metadata and connection passwords) with kms_key_arn. Account-wide setting: enable it in one stack only."
  type        = bool
  default     = false
}
