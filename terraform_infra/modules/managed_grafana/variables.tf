variable "create_workspace" {
  description = "Create the Grafana workspace. The IAM role it reads data with is created whenever create = true."
  type        = bool
  default     = true
}

variable "authentication_providers" {
  description = "How users sign in: AWS_SSO (IAM Identity Center) and/or SAML."
  type        = list(string)
  default     = ["AWS_SSO"]

  validation {
    condition     = length(var.authentication_providers) > 0 && alltrue([for p in var.authentication_providers : contains(["AWS_SSO", "SAML"], p)])
    error_message = "authentication_providers must be a non-empty list of AWS_SSO and/or SAML."
  }
}

variable "data_sources" {
  description = "Data sources the workspace role is allowed to read."
  type        = list(string)
  default     = ["CLOUDWATCH", "PROMETHEUS", "XRAY"]

  validation {
    condition     = alltrue([for d in var.data_sources : contains(["AMAZON_OPENSEARCH_SERVICE", "ATHENA", "CLOUDWATCH", "PROMETHEUS", "REDSHIFT", "SITEWISE", "TIMESTREAM", "XRAY"], d)])
    error_message = "data_sources contains a value Managed Grafana does not know."
  }
}

variable "grafana_version" {
  description = "Grafana major version of the workspace."
  type        = string
  default     = "10.4"
}

variable "alert_topic_arns" {
  description = "SNS topics Grafana alerts may publish to (usually the observability alert topic)."
  type        = list(string)
  default     = []
}

variable "vpc_configuration" {
  description = "Optional VPC attachment so the workspace reaches private data sources. Null keeps it on the AWS network."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "role_arn" {
  description = "Existing workspace role (e.g. from the iam module). Null creates one; otherwise the module adds its data-source and SNS policy to the given role."
  type        = string
  default     = null
}
