variable "engine_version" {
  description = "PostgreSQL engine version, e.g. \"16.4\". Must match parameter_group_family."
  type        = string
  default     = "16.4"
}

variable "parameter_group_family" {
  description = "Parameter group family matching engine_version's major version, e.g. \"postgres16\"."
  type        = string
  default     = "postgres16"

  validation {
    condition     = can(regex("^postgres[0-9]{2}$", var.parameter_group_family))
    error_message = "parameter_group_family must look like postgres16."
  }
}

variable "instance_class" {
  description = "Instance class, e.g. \"db.r6g.large\"."
  type        = string
  default     = "db.r6g.large"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.<family>.<size>, e.g. db.r6g.large."
  }
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 100

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536
    error_message = "allocated_storage must be between 20 and 65536 GiB."
  }
}

variable "max_allocated_storage" {
  description = "Upper bound for storage autoscaling in GiB; 0 disables autoscaling."
  type        = number
  default     = 500
}

variable "db_name" {
  description = "Name of the database created on the instance."
  type        = string
  default     = "platform"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must start with a letter and hold only letters, digits and underscores (max 63)."
  }
}

variable "master_username" {
  description = "Master user name. Its password is generated and rotated by RDS in Secrets Manager (manage_master_user_password), never passed through Terraform."
  type        = string
  default     = "platform_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin"], lower(var.master_username))
    error_message = "master_username must start with a letter, hold letters, digits and underscores, and not be a reserved name (postgres, admin, rdsadmin)."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in another AZ."
  type        = bool
  default     = true
}

variable "delete_automated_backups" {
  description = "Delete the automated backups together with the instance. False (keep them for their retention period) everywhere but sandbox/dev."
  type        = bool
  default     = false
}

variable "performance_insights_enabled" {
  description = "Enable Performance Insights (encrypted with kms_key_arn)."
  type        = bool
  default     = true
}

variable "performance_insights_retention_period" {
  description = "Performance Insights retention in days: 7 (free tier) or a multiple of 31 up to 731."
  type        = number
  default     = 7

  validation {
    condition     = var.performance_insights_retention_period == 7 || (var.performance_insights_retention_period % 31 == 0 && var.performance_insights_retention_period <= 731) || var.performance_insights_retention_period == 731
    error_message = "performance_insights_retention_period must be 7, a multiple of 31, or 731."
  }
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds; 0 switches it off."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

variable "create_parameter_group" {
  description = "Create the instance's own parameter group (rds.force_ssl = 1, query logging). False leaves the engine default group, which accepts plain-text connections: only for a stand-in (moto) that cannot read parameter groups back."
  type        = bool
  default     = true
}

variable "log_min_duration_statement_ms" {
  description = "Log statements slower than this many milliseconds (-1 disables); the slow-query evidence for the cut-over."
  type        = number
  default     = 1000
}

variable "extra_parameters" {
  description = "More parameters for the parameter group (name => value), applied at the next reboot."
  type        = map(string)
  default     = {}
}

variable "apply_immediately" {
  description = "Apply modifications now instead of in the maintenance window."
  type        = bool
  default     = false
}
