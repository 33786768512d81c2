variable "monthly_limit_usd" {
  description = "Monthly cost budget for the whole platform in USD."
  type        = number

  validation {
    condition     = var.monthly_limit_usd > 0
    error_message = "monthly_limit_usd must be greater than 0."
  }
}

variable "service_budgets" {
  description = "Per-service monthly budgets in USD, keyed by the Cost Explorer service name (e.g. \"Amazon Relational Database Service\", \"Amazon Managed Streaming for Apache Kafka\", \"AWS Glue\")."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for v in values(var.service_budgets) : v > 0])
    error_message = "service_budgets values must be greater than 0."
  }

  validation {
    condition     = !contains(keys(var.service_budgets), "monthly")
    error_message = "service_budgets must not have the key \"monthly\" (the platform's budget is kept under it)."
  }
}

variable "cost_filter_tags" {
  description = "Only count costs carrying these tags (cost allocation tags must be activated in Billing), e.g. {Project = \"dmig\"}. Empty counts the whole account."
  type        = map(string)
  default     = {}
}

variable "enable_notifications" {
  description = "Attach the notifications below to every budget."
  type        = bool
  default     = true
}

variable "notifications" {
  description = "When to notify: percent of the limit, on ACTUAL or FORECASTED spend."
  type = list(object({
    threshold_percent = number
    type              = string
  }))
  default = [
    { threshold_percent = 80, type = "ACTUAL" },
    { threshold_percent = 100, type = "ACTUAL" },
    { threshold_percent = 100, type = "FORECASTED" },
  ]

  validation {
    condition     = alltrue([for n in var.notifications : contains(["ACTUAL", "FORECASTED"], n.type) && n.threshold_percent > 0])
    error_message = "notifications[*].type must be ACTUAL or FORECASTED and threshold_percent > 0."
  }
}

variable "subscriber_emails" {
  description = "Email addresses notified (at most 10 subscribers per notification in total)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.subscriber_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "subscriber_emails must be email addresses."
  }
}

variable "subscriber_sns_topic_arns" {
  description = "SNS topics notified (the topic policy must allow budgets.amazonaws.com to publish)."
  type        = list(string)
  default     = []
}
