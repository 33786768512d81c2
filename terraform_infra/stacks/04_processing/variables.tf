# ---------------------------------------------------------------- inputs from earlier stacks

variable "kms_key_purpose" {
  description = "Which key of 01_network_iam's kms_key_arns encrypts this stack's data and scripts (the \"data\" key admits s3, glue and ec2)."
  type        = string
  default     = "data"
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

variable "emr_service_policy_arns" {
  description = "Managed policies attached to the EMR service role when this stack creates it (use_shared_roles = false or no shared EMR roles). Null: the AWS-managed AmazonEMRServicePolicy_v2."
  type        = list(string)
  default     = null
}
