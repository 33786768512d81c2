variable "create" {
  description = "Master switch: false creates nothing of this module."
  type        = bool
  default     = true
}

variable "enable_cluster" {
  description = "Create the cluster and its instances. False keeps only the subnet and parameter groups (useful where the engine is unavailable, e.g. the moto sandbox, which has no docdb engine)."
  type        = bool
  default     = true
}

variable "identifier" {
  description = "Cluster identifier, also the base name of the subnet and parameter groups, e.g. \"dmig-prod-docdb\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.identifier)) && !strcontains(var.identifier, "--")
    error_message = "identifier must start with a letter, hold lower-case letters, digits and single hyphens, and be at most 63 characters."
  }
}

variable "engine_version" {
  description = "DocumentDB engine version, e.g. \"5.0.0\". Must match parameter_group_family."
  type        = string
  default     = "5.0.0"
}

variable "parameter_group_family" {
  description = "Cluster parameter group family, e.g. \"docdb5.0\"."
  type        = string
  default     = "docdb5.0"

  validation {
    condition     = can(regex("^docdb[0-9]+\\.[0-9]+$", var.parameter_group_family))
    error_message = "parameter_group_family must look like docdb5.0."
  }
}

variable "instance_class" {
  description = "Instance class of every cluster instance, e.g. \"db.r6g.large\"."
  type        = string
  default     = "db.r6g.large"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.<family>.<size>."
  }
}

variable "instance_count" {
  description = "Number of instances (1 writer + readers). Three spreads over three AZs."
  type        = number
  default     = 3

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 16
    error_message = "instance_count must be between 1 and 16."
  }
}

variable "master_username" {
  description = "Master user name; the password is generated and kept in Secrets Manager (manage_master_user_password)."
  type        = string
  default     = "docdb_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.master_username))
    error_message = "master_username must start with a letter and hold letters, digits and underscores."
  }
}

variable "subnet_ids" {
  description = "Private subnets in at least two AZs."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least two subnets in different AZs."
  }
}

variable "vpc_security_group_ids" {
  description = "Security groups of the cluster (the network module's \"docdb\" group)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key for storage encryption."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "backup_retention_period" {
  description = "Days of automated backups."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35
    error_message = "backup_retention_period must be 1-35 days."
  }
}

variable "preferred_backup_window" {
  description = "Daily backup window (UTC)."
  type        = string
  default     = "02:00-03:00"
}

variable "preferred_maintenance_window" {
  description = "Weekly maintenance window (UTC)."
  type        = string
  default     = "sun:04:00-sun:05:00"
}

variable "deletion_protection" {
  description = "Refuse deletes of the cluster. Off only in sandbox/dev."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot. True only in sandbox/dev."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource (provider default_tags are added on top)."
  type        = map(string)
  default     = {}
}
