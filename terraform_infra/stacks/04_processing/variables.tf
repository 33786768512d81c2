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

variable "spark_jobs" {
  description = "The platform's Spark jobs as Glue jobs (see modules/glue), generated from the jobs' metadata into spark_jobs.auto.tfvars.json by runbook_lib.workloads.glue_definitions: do not set by hand (sizing per environment: glue_job_overrides)."
  type = map(object({
    script_key        = string
    extra_py_files    = optional(list(string), [])
    glue_version      = optional(string, "5.0")
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
}

variable "glue_job_overrides" {
  description = "Per-environment sizing of jobs by key, over what the job's metadata says (null fields keep it)."
  type = map(object({
    execution_class   = optional(string)
    worker_type       = optional(string)
    number_of_workers = optional(number)
    max_retries       = optional(number)
    timeout_minutes   = optional(number)
  }))
  default = {}
}

variable "emr_spark_steps" {
  description = "The platform's Spark jobs as EMR steps (spark-submit through command-runner.jar), generated with spark_jobs; shown as the emr_spark_steps output when enable_emr_steps is set."
  type = list(object({
    name              = string
    action_on_failure = optional(string, "CONTINUE")
    jar               = optional(string, "command-runner.jar")
    args              = list(string)
  }))
  default = []
}

variable "enable_emr_steps" {
  description = "Plan the EMR alternative: resolve emr_spark_steps against this environment's buckets into the emr_spark_steps output. Nothing is submitted to a cluster."
  type        = bool
  default     = false
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
