variable "name_prefix" {
  description = "Prefix of every name in the environment, \"<project>-<env>\", e.g. \"dmig-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "azs" {
  description = "Availability zones (two or three)."
  type        = list(string)
}

variable "public_subnet_cidrs" {
  description = "Public subnet CIDRs, one per AZ."
  type        = list(string)
  default     = ["10.40.0.0/24", "10.40.1.0/24", "10.40.2.0/24"]
}

variable "private_subnet_cidrs" {
  description = "Private subnet CIDRs, one per AZ."
  type        = list(string)
  default     = ["10.40.16.0/20", "10.40.32.0/20", "10.40.48.0/20"]
}

variable "enable_nat_gateway" {
  description = "Create NAT gateways for the private subnets."
  type        = bool
  default     = true
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all AZs (cheaper, not zone-resilient)."
  type        = bool
  default     = false
}

variable "enable_flow_logs" {
  description = "VPC flow logs to CloudWatch."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the log groups this stack creates (flow logs)."
  type        = number
  default     = 365
}

variable "database_client_cidrs" {
  description = "Extra CIDRs (e.g. the on-premises range over VPN) allowed to reach PostgreSQL and DocumentDB during the migration."
  type        = list(string)
  default     = []
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before a deleted key is gone (7-30)."
  type        = number
  default     = 30
}
