variable "create_cluster" {
  description = "Create the EMR cluster itself. The supporting parts (log bucket, security configuration, roles, security groups) are created whenever create = true, so a cluster can be started later, or by a pipeline, without another apply of this stack."
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "VPC for the cluster's security groups."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; egress inside the VPC is allowed so nodes reach interface endpoints and the metastore."
  type        = string
  default     = null
}

variable "subnet_id" {
  description = "Private subnet the cluster runs in (EMR instance groups use one subnet)."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "KMS key for at-rest encryption: S3 (EMRFS SSE-KMS), local disks and EBS volumes, and the log bucket."
  type        = string
}

variable "release_label" {
  description = "EMR release, e.g. \"emr-7.5.0\"."
  type        = string
  default     = "emr-7.5.0"

  validation {
    condition     = can(regex("^emr-[67]\\.[0-9]+\\.[0-9]+$", var.release_label))
    error_message = "release_label must be an EMR 6.x or 7.x release such as emr-7.5.0 (5.x lacks the security configuration options used here)."
  }
}

variable "applications" {
  description = "EMR applications to install."
  type        = list(string)
  default     = ["Hadoop", "Spark", "Hive"]
}

variable "master_instance_group" {
  description = "Primary node group. instance_count 3 gives a highly-available primary (needs EMR 5.23+)."
  type = object({
    instance_type  = optional(string, "m5.xlarge")
    instance_count = optional(number, 1)
    ebs_size_gb    = optional(number, 64)
  })
  default = {}

  validation {
    condition     = contains([1, 3], var.master_instance_group.instance_count)
    error_message = "master_instance_group.instance_count must be 1 or 3."
  }
}

variable "core_instance_group" {
  description = "Core node group (HDFS + compute)."
  type = object({
    instance_type        = optional(string, "m5.xlarge")
    instance_count       = optional(number, 2)
    ebs_size_gb          = optional(number, 128)
    ebs_volumes_per_node = optional(number, 1)
    bid_price            = optional(string)
  })
  default = {}

  validation {
    condition     = var.core_instance_group.instance_count >= 1
    error_message = "core_instance_group.instance_count must be at least 1."
  }
}

variable "task_instance_group" {
  description = "Optional task node group (compute only, good for Spot). Null creates none."
  type = object({
    instance_type  = optional(string, "m5.xlarge")
    instance_count = optional(number, 2)
    ebs_size_gb    = optional(number, 64)
    bid_price      = optional(string)
  })
  default = null
}

variable "idle_timeout_seconds" {
  description = "Auto-termination after this many idle seconds; bounds the cost of a forgotten cluster."
  type        = number
  default     = 3600

  validation {
    condition     = var.idle_timeout_seconds >= 60 && var.idle_timeout_seconds <= 604800
    error_message = "idle_timeout_seconds must be between 60 and 604800 (7 days)."
  }
}

variable "termination_protection" {
  description = "Protect the cluster from termination (turn on in prod; terraform destroy then needs it switched off first)."
  type        = bool
  default     = false
}

variable "in_transit_certificate_s3_uri" {
  description = "s3:// URI of a zip with the PEM certificates EMR uses for in-transit TLS (privateKey.pem, certificateChain.pem, trustedCertificates.pem)."
  type        = string

  validation {
    condition     = startswith(var.in_transit_certificate_s3_uri, "s3://") && endswith(var.in_transit_certificate_s3_uri, ".zip")
    error_message = "in_transit_certificate_s3_uri must be an s3:// URI of a .zip file."
  }
}

variable "service_policy_arns" {
  description = "Managed policies for the EMR service role. Null attaches the AWS-managed AmazonEMRServicePolicy_v2 (of the partition in use), which is scoped by the for-use-with-amazon-emr-managed-policies tag this module sets on its security groups."
  type        = list(string)
  default     = null
}

variable "create_roles" {
  description = "Create the EMR service role, node role and instance profile. False uses service_role_arn and instance_profile_name (e.g. from the iam module); the node role then gets this module's log-bucket policy added."
  type        = bool
  default     = true
}

variable "service_role_arn" {
  description = "Existing EMR service role, used when create_roles = false."
  type        = string
  default     = null
}

variable "instance_profile_name" {
  description = "Existing instance profile of the cluster nodes, used when create_roles = false."
  type        = string
  default     = null
}

variable "instance_role_name" {
  description = "Role inside instance_profile_name; the module adds an inline policy for its log bucket and certificates to it. Null adds nothing."
  type        = string
  default     = null
}
