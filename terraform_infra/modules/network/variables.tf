variable "cidr_block" {
  description = "IPv4 CIDR of the VPC, /16 to /24. Must not overlap the on-premises ranges the migration connects to."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block must be a valid IPv4 CIDR between /16 and /24 (the sizes a VPC accepts, minus tiny ones)."
  }
}

variable "azs" {
  description = "Availability zones to spread the subnets over; at least two, because RDS Multi-AZ, DocumentDB and MSK need subnets in two or more zones."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2 && length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must list at least two distinct availability zones."
  }
}

variable "subnet_cidrs" {
  description = "One CIDR per AZ, in the order of azs, for the public subnets (NAT gateways only) and the private ones (where every workload runs)."
  type = object({
    public  = list(string)
    private = list(string)
  })

  validation {
    condition     = alltrue([for c in concat(var.subnet_cidrs.public, var.subnet_cidrs.private) : can(cidrhost(c, 0))])
    error_message = "subnet_cidrs.public and subnet_cidrs.private must all be valid IPv4 CIDRs."
  }
}

variable "enable_nat_gateway" {
  description = "Create NAT gateways so private subnets reach the internet (AWS APIs without endpoints, package mirrors)."
  type        = bool
  default     = true
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway instead of one per AZ. Cheaper, but an AZ outage cuts egress for all zones: false in prod."
  type        = bool
  default     = false
}

variable "enable_s3_endpoint" {
  description = "Create an S3 gateway endpoint on the private route tables (free; keeps data-lake traffic off the NAT)."
  type        = bool
  default     = true
}

variable "enable_dynamodb_endpoint" {
  description = "Create a DynamoDB gateway endpoint on the private route tables (free; keeps state-lock traffic off the NAT)."
  type        = bool
  default     = true
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs to a CloudWatch log group, through a role this module creates."
  type        = bool
  default     = true
}

variable "flow_logs_traffic_type" {
  description = "Which traffic flow logs record: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_logs_traffic_type)
    error_message = "flow_logs_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "flow_logs_kms_key_arn" {
  description = "KMS key for the flow-log group. Its key policy must let logs.<region>.amazonaws.com use it (the kms module's \"logs\" key does)."
  type        = string
  default     = null
}

variable "security_groups" {
  description = <<-EOT
    Security groups for the platform tiers, keyed by a short name (e.g. "lambda", "postgres").
    Each ingress rule admits one port range from another group of this map (source_security_group = its key),
    from the group itself (self = true) or from CIDRs. Egress is all traffic inside the VPC plus HTTPS anywhere
    (AWS APIs through the NAT) unless egress_https_anywhere = false.
  EOT
  type = map(object({
    description           = string
    egress_https_anywhere = optional(bool, true)
    ingress = optional(list(object({
      description           = string
      from_port             = number
      to_port               = number
      protocol              = optional(string, "tcp")
      source_security_group = optional(string)
      self                  = optional(bool, false)
      cidr_blocks           = optional(list(string), [])
    })), [])
  }))
  default = {}

  validation {
    condition = alltrue(flatten([
      for k, g in var.security_groups : [
        for r in g.ingress : r.source_security_group == null || contains(keys(var.security_groups), coalesce(r.source_security_group, "-"))
      ]
    ]))
    error_message = "Every ingress source_security_group must be the key of another entry of security_groups."
  }

  validation {
    condition = alltrue(flatten([
      for k, g in var.security_groups : [for r in g.ingress : !contains(r.cidr_blocks, "0.0.0.0/0")]
    ]))
    error_message = "Ingress from 0.0.0.0/0 is not allowed: every workload in this VPC is private."
  }
}
