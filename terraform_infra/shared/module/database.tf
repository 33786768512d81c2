# Module inputs of the managed databases (rds_postgres, documentdb; symlinked into each): where and on
# what they run, when and how long backups are kept, and how they may be deleted.

variable "identifier" {
  description = "Identifier of the instance or cluster, also the base name of its subnet and parameter groups, e.g. \"dmig-prod-postgres\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.identifier)) && !strcontains(var.identifier, "--")
    error_message = "identifier must start with a letter, hold lower-case letters, digits and single hyphens, and be at most 63 characters."
  }
}

variable "subnet_ids" {
  description = "Private subnets in at least two AZs for the subnet group."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least two subnets in different AZs."
  }
}

variable "vpc_security_group_ids" {
  description = "Security groups of the database (the network module's \"postgres\" or \"docdb\" group)."
  type        = list(string)
}

variable "backup_window" {
  description = "Daily backup window (UTC), hh24:mi-hh24:mi; must not overlap maintenance_window."
  type        = string
  default     = "02:00-03:00"
}

variable "maintenance_window" {
  description = "Weekly maintenance window (UTC), ddd:hh24:mi-ddd:hh24:mi."
  type        = string
  default     = "sun:04:00-sun:05:00"
}

variable "backup_retention_period" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35
    error_message = "backup_retention_period must be 1-35 days; 0 would switch backups off."
  }
}

variable "deletion_protection" {
  description = "Refuse deletes of the database. Off only in sandbox/dev so destroy runs unattended."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot. True only in sandbox/dev."
  type        = bool
  default     = false
}
