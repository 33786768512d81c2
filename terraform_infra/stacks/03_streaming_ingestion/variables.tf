variable "region" {
  description = "AWS region of the stack."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "tags" {
  description = "Tags every resource gets through the provider's default_tags (project, environment, owner, cost centre)."
  type        = map(string)
  default     = {}
}

variable "remote_state_backend" {
  description = "Backend type of the earlier stacks' state (\"s3\"; \"local\" for offline trials, with remote_state_config.path a folder)."
  type        = string
  default     = "s3"

  validation {
    condition     = contains(["s3", "local"], var.remote_state_backend)
    error_message = "remote_state_backend must be s3 or local."
  }
}

variable "remote_state_config" {
  description = "Backend settings of the earlier stacks' state without key (bucket, region, ...), normally the same as backend.hcl. The runner supplies it."
  type        = map(any)
  default     = {}
}

variable "state_key_prefix" {
  description = "Prefix of every stack's state key, \"<prefix>/<NN_name>.tfstate\" (usually the environment name)."
  type        = string
  default     = "sandbox"
}

variable "enable_msk" {
  description = "Create the MSK parts (broker log group, and the cluster unless enable_msk_cluster = false)."
  type        = bool
  default     = true
}

variable "enable_msk_cluster" {
  description = "Create the MSK cluster configuration and cluster."
  type        = bool
  default     = true
}

variable "kafka_version" {
  description = "Apache Kafka version of the cluster."
  type        = string
  default     = "3.6.0"
}

variable "msk_broker_instance_type" {
  description = "Broker instance type."
  type        = string
  default     = "kafka.m7g.large"
}

variable "msk_broker_volume_size" {
  description = "EBS volume per broker in GiB."
  type        = number
  default     = 500
}

variable "log_retention_days" {
  description = "Retention of the log groups this stack creates."
  type        = number
  default     = 365
}

variable "ingest_package_type" {
  description = "Package of the ingest Lambda: \"Image\" (ECR image, the AWS path) or \"Zip\" (ingest_zip_filename)."
  type        = string
  default     = "Image"
}

variable "ingest_image_uri" {
  description = "Full image URI of the ingest Lambda; null uses the module's repository with ingest_image_tag."
  type        = string
  default     = null
}

variable "ingest_image_tag" {
  description = "Image tag in the ingest repository (pushed before apply; tags are immutable)."
  type        = string
  default     = "v1"
}

variable "ingest_zip_filename" {
  description = "Zip of modules/ingest_api/src/handler.py when ingest_package_type = \"Zip\"."
  type        = string
  default     = null
}

variable "ingest_reserved_concurrency" {
  description = "Reserved concurrency of the ingest Lambda."
  type        = number
  default     = 50
}

variable "enable_ingest_kafka" {
  description = "Let the ingest Lambda also produce to MSK (needs the cluster)."
  type        = bool
  default     = true
}

variable "ingest_encrypt_environment" {
  description = "Encrypt the ingest Lambda's environment with the streaming key."
  type        = bool
  default     = true
}

variable "ingest_enable_dead_letter_config" {
  description = "Dead-letter queue for failed asynchronous invocations of the ingest Lambda."
  type        = bool
  default     = true
}

variable "ingest_json_logging" {
  description = "JSON log format for the ingest Lambda."
  type        = bool
  default     = true
}
