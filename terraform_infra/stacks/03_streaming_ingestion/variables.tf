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

variable "ingest_image_uri" {
  description = "Full image URI of the ingest Lambda (examples/platform/ingestor/Dockerfile); null uses the module's repository with ingest_image_tag."
  type        = string
  default     = null
}

variable "ingest_image_tag" {
  description = "Image tag in the ingest repository (pushed before apply; tags are immutable)."
  type        = string
  default     = "v1"
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

variable "ingest_qualify_invoke_permission" {
  description = "API Gateway's invoke permission on the ingest alias (needed on AWS); false only where GetPolicy drops the qualifier (moto)."
  type        = bool
  default     = true
}
