variable "enable_cluster" {
  description = "Create the cluster and its instances. False keeps only the subnet and parameter groups (useful where the engine is unavailable, e.g. the moto sandbox, which has no docdb engine)."
  type        = bool
  default     = true
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
