variable "create_service" {
  description = "Run the ECS service (the cluster, task definition, roles, log group and secrets exist whenever create = true)."
  type        = bool
  default     = true
}

variable "create_database" {
  description = "Create the module's own RDS PostgreSQL for the OpenMetadata catalog. False requires database_host and database_secret_arn."
  type        = bool
  default     = true
}

variable "create_database_instance" {
  description = "Create the RDS instance itself (with create_database). False keeps the subnet group, parameter group and security group and uses database_host/database_secret_arn, e.g. while a shared PostgreSQL hosts the catalog."
  type        = bool
  default     = true
}

variable "create_search" {
  description = "Create the module's own OpenSearch domain. False requires search_host."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix for every name this module creates, e.g. \"dmig-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-22 characters of lower-case letters, digits and hyphens (OpenSearch domain names are limited to 28 characters)."
  }
}

variable "vpc_id" {
  description = "VPC of the service, database and search domain."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR allowed to reach the OpenMetadata API/UI on port 8585 (e.g. the VPC or a VPN range)."
  type        = string

  validation {
    condition     = var.vpc_cidr == null || can(cidrhost(coalesce(var.vpc_cidr, "x"), 0))
    error_message = "vpc_cidr must be a valid CIDR block."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two, in different AZs) for tasks, database and search domain."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) != 1
    error_message = "private_subnet_ids needs at least two subnets in different AZs (RDS subnet groups and zone-aware OpenSearch require it)."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the database, search domain, secrets and log groups."
  type        = string
}

variable "image" {
  description = "OpenMetadata server container image."
  type        = string
  default     = "docker.getcollate.io/openmetadata/server:1.6.1"
}

variable "cpu" {
  description = "Fargate task CPU units."
  type        = number
  default     = 1024

  validation {
    condition     = contains([512, 1024, 2048, 4096, 8192], var.cpu)
    error_message = "cpu must be 512, 1024, 2048, 4096 or 8192 (OpenMetadata needs at least 512)."
  }
}

variable "memory" {
  description = "Fargate task memory in MiB (OpenMetadata wants 2 GiB or more)."
  type        = number
  default     = 4096

  validation {
    condition     = var.memory >= 2048
    error_message = "memory must be at least 2048 MiB; OpenMetadata's JVM does not start in less."
  }
}

variable "desired_count" {
  description = "Number of server tasks."
  type        = number
  default     = 1
}

variable "db_instance_class" {
  description = "RDS instance class for the catalog database."
  type        = string
  default     = "db.t4g.small"

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS class such as db.t4g.small."
  }
}

variable "db_engine_version" {
  description = "PostgreSQL major version (minor versions follow auto_minor_version_upgrade)."
  type        = string
  default     = "16"
}

variable "db_allocated_storage" {
  description = "Initial storage in GiB; storage autoscaling may grow it to 5x."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage >= 20
    error_message = "db_allocated_storage must be at least 20 GiB (gp3 minimum)."
  }
}

variable "db_multi_az" {
  description = "Standby replica in a second AZ."
  type        = bool
  default     = true
}

variable "db_deletion_protection" {
  description = "Protect the catalog database from deletion (false only in sandbox/dev)."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot on destroy (true only in sandbox/dev)."
  type        = bool
  default     = false
}

variable "database_host" {
  description = "Existing PostgreSQL host, used when create_database = false."
  type        = string
  default     = null
}

variable "database_secret_arn" {
  description = "Secrets Manager secret (JSON with username/password) of the existing database, used when create_database = false."
  type        = string
  default     = null
}

variable "search_engine_version" {
  description = "OpenSearch engine version."
  type        = string
  default     = "OpenSearch_2.17"

  validation {
    condition     = startswith(var.search_engine_version, "OpenSearch_")
    error_message = "search_engine_version must look like OpenSearch_2.17."
  }
}

variable "search_instance_type" {
  description = "OpenSearch data node type."
  type        = string
  default     = "t3.medium.search"
}

variable "search_instance_count" {
  description = "OpenSearch data nodes; 2+ spreads them over two AZs."
  type        = number
  default     = 2
}

variable "search_dedicated_master_count" {
  description = "Dedicated master nodes (0 disables them; otherwise 3 or 5)."
  type        = number
  default     = 3

  validation {
    condition     = contains([0, 3, 5], var.search_dedicated_master_count)
    error_message = "search_dedicated_master_count must be 0, 3 or 5."
  }
}

variable "search_wait_timeout" {
  description = "How long terraform waits for the OpenSearch domain to become active or deleted (e.g. \"60m\"); null keeps the provider's defaults. Only the sandbox sets it short."
  type        = string
  default     = null
}

variable "search_volume_size_gb" {
  description = "EBS volume per data node in GiB."
  type        = number
  default     = 20
}

variable "search_host" {
  description = "Existing OpenSearch endpoint (https, port 443), used when create_search = false."
  type        = string
  default     = null
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored (0 deletes at once: sandbox only, so names can be reused)."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "secret_version" {
  description = "Bump to generate and store a new application secret (fernet key); the value never enters terraform state."
  type        = number
  default     = 1
}

variable "search_kms_key_arn" {
  description = "KMS key for the OpenSearch domain at rest, if it differs (its policy must admit es.<region>.amazonaws.com). Null uses kms_key_arn."
  type        = string
  default     = null
}
