variable "enable_cluster" {
  description = "Create the cluster configuration and the cluster. False keeps only the broker log group (useful where MSK is unavailable, e.g. the moto sandbox, whose clusters never leave CREATING and which has no configuration API)."
  type        = bool
  default     = true
}

variable "cluster_name" {
  description = "Cluster name, e.g. \"dmig-prod-msk\"; the IAM policies of the iam module are scoped to it."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$", var.cluster_name))
    error_message = "cluster_name must be 1-64 letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "kafka_version" {
  description = "Apache Kafka version, e.g. \"3.6.0\"."
  type        = string
  default     = "3.6.0"
}

variable "broker_instance_type" {
  description = "Broker instance type, e.g. \"kafka.m7g.large\"."
  type        = string
  default     = "kafka.m7g.large"

  validation {
    condition     = can(regex("^kafka\\.[a-z0-9]+\\.[a-z0-9]+$", var.broker_instance_type))
    error_message = "broker_instance_type must look like kafka.<family>.<size>."
  }
}

variable "number_of_broker_nodes" {
  description = "Number of brokers; a multiple of the number of client subnets."
  type        = number
  default     = 3
}

variable "broker_volume_size" {
  description = "EBS volume per broker in GiB."
  type        = number
  default     = 500

  validation {
    condition     = var.broker_volume_size >= 1 && var.broker_volume_size <= 16384
    error_message = "broker_volume_size must be 1-16384 GiB."
  }
}

variable "client_subnet_ids" {
  description = "Private subnets, one per AZ, for the brokers."
  type        = list(string)

  validation {
    condition     = length(var.client_subnet_ids) >= 2
    error_message = "client_subnet_ids needs at least two subnets in different AZs."
  }
}

variable "security_group_ids" {
  description = "Security groups of the brokers (the network module's \"msk\" group)."
  type        = list(string)
}

variable "log_kms_key_arn" {
  description = "KMS key of the broker log group (needs the logs service principal in its policy). Null uses no CMK."
  type        = string
  default     = null
}

variable "server_properties" {
  description = "Broker properties of the cluster configuration (key => value)."
  type        = map(string)
  default = {
    "auto.create.topics.enable"  = "false"
    "default.replication.factor" = "3"
    "min.insync.replicas"        = "2"
    "num.partitions"             = "6"
    "log.retention.hours"        = "168"
  }
}

variable "enhanced_monitoring" {
  description = "MSK enhanced monitoring level."
  type        = string
  default     = "PER_TOPIC_PER_BROKER"

  validation {
    condition     = contains(["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"], var.enhanced_monitoring)
    error_message = "enhanced_monitoring must be DEFAULT, PER_BROKER, PER_TOPIC_PER_BROKER or PER_TOPIC_PER_PARTITION."
  }
}
