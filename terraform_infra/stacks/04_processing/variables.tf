variable "region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name, e.g. \"dmig-prod\". Null takes 01_network_iam's name_prefix output, so all stacks share one."
  type        = string
  default     = null

  validation {
    condition     = var.name_prefix == null || can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", coalesce(var.name_prefix, "x")))
    error_message = "name_prefix must be 3-22 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Common tags, applied to every resource through the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "remote_state_backend" {
  description = "Backend type of the earlier stacks' state: \"s3\" (normal) or \"local\" (offline trials, remote_state_config.path is then a directory)."
  type        = string
  default     = "s3"

  validation {
    condition     = contains(["s3", "local"], var.remote_state_backend)
    error_message = "remote_state_backend must be s3 or local."
  }
}

variable "remote_state_config" {
  description = "Backend configuration to read earlier stacks' state (bucket, region, endpoints ... for s3; {path = <directory>} for local). The key is added per stack."
  type        = map(any)
  default     = {}
}

variable "state_key_prefix" {
  description = "Prefix of the state keys (usually the environment name); stack NN_name's state is <prefix>/NN_name.tfstate."
  type        = string
  default     = "sandbox"
}

# ---------------------------------------------------------------- inputs from earlier stacks

variable "kms_key_purpose" {
  description = "Which key of 01_network_iam's kms_key_arns encrypts this stack's data and scripts (the \"data\" key admits s3, glue and ec2)."
  type        = string
  default     = "data"
}

variable "logs_kms_key_purpose" {
  description = "Which key of 01_network_iam's kms_key_arns encrypts CloudWatch log groups (its policy must admit logs.<region>.amazonaws.com)."
  type        = string
  default     = "logs"
}

variable "force_destroy" {
  description = "Let terraform delete non-empty buckets of this stack (sandbox/dev only)."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- glue

variable "enable_glue" {
  description = "Create the Glue catalog database, scripts bucket, security configuration, jobs and crawler."
  type        = bool
  default     = true
}

variable "glue_jobs" {
  description = "Glue jobs (see modules/glue). The default curates raw events into the curated zone with the sample script."
  type = map(object({
    script_key        = optional(string)
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
  default = {
    curate-events = {
      execution_class = "FLEX"
      description     = "Raw zone JSON events to curated zone Parquet."
    }
  }
}

variable "glue_crawler_schedule" {
  description = "Schedule of the curated-zone crawler (Glue cron); null runs it on demand."
  type        = string
  default     = "cron(30 2 * * ? *)"
}

variable "enable_glue_crawler" {
  description = "Create the curated-zone crawler."
  type        = bool
  default     = true
}

variable "enable_glue_security_configuration" {
  description = "Create and attach the Glue security configuration (KMS for S3 output, logs and bookmarks)."
  type        = bool
  default     = true
}

variable "enable_glue_catalog_encryption" {
  description = "Encrypt the account's Glue Data Catalog with KMS (account-wide setting)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of this stack's log groups."
  type        = number
  default     = 365
}

# ---------------------------------------------------------------- emr

variable "enable_emr" {
  description = "Create the EMR supporting parts: log bucket, security configuration, roles and security groups."
  type        = bool
  default     = true
}

variable "enable_emr_cluster" {
  description = "Create the long-running EMR cluster (needs enable_emr)."
  type        = bool
  default     = true
}

variable "emr_release_label" {
  description = "EMR release of the cluster."
  type        = string
  default     = "emr-7.5.0"
}

variable "emr_master_instance_group" {
  description = "Primary node group of the cluster."
  type = object({
    instance_type  = optional(string, "m5.xlarge")
    instance_count = optional(number, 1)
    ebs_size_gb    = optional(number, 64)
  })
  default = {}
}

variable "emr_core_instance_group" {
  description = "Core node group of the cluster."
  type = object({
    instance_type        = optional(string, "m5.xlarge")
    instance_count       = optional(number, 2)
    ebs_size_gb          = optional(number, 128)
    ebs_volumes_per_node = optional(number, 1)
    bid_price            = optional(string)
  })
  default = {}
}

variable "emr_task_instance_group" {
  description = "Optional task node group (null creates none)."
  type = object({
    instance_type  = optional(string, "m5.xlarge")
    instance_count = optional(number, 2)
    ebs_size_gb    = optional(number, 64)
    bid_price      = optional(string)
  })
  default = null
}

variable "emr_idle_timeout_seconds" {
  description = "Auto-terminate the cluster after this many idle seconds."
  type        = number
  default     = 3600
}

variable "emr_termination_protection" {
  description = "Protect the cluster from termination."
  type        = bool
  default     = false
}

variable "emr_in_transit_certificate_s3_uri" {
  description = "s3:// URI of the PEM zip for EMR in-transit TLS. Null uses s3://<glue scripts bucket>/emr/in-transit-certs.zip, which the operator uploads before the first cluster starts."
  type        = string
  default     = null
}

variable "use_shared_roles" {
  description = "Use the IAM roles of 01_network_iam (iam_role_arns) where it has one for a service; this stack's modules then only add an inline policy for the buckets and log groups they own. False makes the modules create their own roles."
  type        = bool
  default     = true
}

variable "emr_service_policy_arns" {
  description = "Managed policies attached to the EMR service role when this stack creates it (use_shared_roles = false or no shared EMR roles)."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"]
}

variable "enable_tls_only_policy" {
  description = "TLS-only bucket policies on this stack's buckets. Sandbox only turns it off: moto ignores the aws:SecureTransport condition and would deny every request."
  type        = bool
  default     = true
}
