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
