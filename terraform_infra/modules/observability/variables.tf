variable "kms_key_arn" {
  description = "KMS key for log groups, the SNS topic and the ADOT parameter. Its key policy must let logs.<region>.amazonaws.com, cloudwatch.amazonaws.com and budgets.amazonaws.com use it."
  type        = string
}

variable "log_groups" {
  description = "Log groups to create, by full name, each with its retention in days. Services that create their own group on first write (Lambda, API Gateway) are listed here so retention and encryption are set before they do."
  type = map(object({
    retention_days = optional(number, 365)
  }))
  default = {}

  validation {
    condition = alltrue([for g in values(var.log_groups) : contains(
      [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653],
    g.retention_days)])
    error_message = "log_groups[*].retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

variable "alert_subscriptions" {
  description = "Subscribers of the alert topic. Email endpoints must confirm by mail before they receive anything."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.alert_subscriptions : contains(["email", "email-json", "https", "sqs", "lambda", "sms"], s.protocol)])
    error_message = "alert_subscriptions[*].protocol must be email, email-json, https, sqs, lambda or sms."
  }
}

variable "api_gateway" {
  description = "The ingest API to watch. type REST uses the ApiName dimension, HTTP the ApiId dimension. Null leaves API widgets and alarms out."
  type = object({
    type  = string
    id    = string
    stage = optional(string)
  })
  default = null

  validation {
    condition     = var.api_gateway == null || contains(["REST", "HTTP"], try(var.api_gateway.type, ""))
    error_message = "api_gateway.type must be REST or HTTP."
  }
}

variable "lambda_function_names" {
  description = "Lambda functions whose errors are graphed and alarmed."
  type        = list(string)
  default     = []
}

variable "rds_instance_ids" {
  description = "RDS instance identifiers whose CPU is graphed and alarmed."
  type        = list(string)
  default     = []
}

variable "msk_cluster_name" {
  description = "MSK cluster whose bytes in/out are graphed and whose offline partitions are alarmed. Null leaves MSK out."
  type        = string
  default     = null
}

variable "ingest_latency_p95_ms" {
  description = "Alarm when the ingest API's p95 latency stays above this many milliseconds for 3 periods."
  type        = number
  default     = 1000
}

variable "rds_cpu_percent" {
  description = "Alarm when an RDS instance's average CPU stays above this percentage for 3 periods."
  type        = number
  default     = 80

  validation {
    condition     = var.rds_cpu_percent > 0 && var.rds_cpu_percent <= 100
    error_message = "rds_cpu_percent must be between 1 and 100."
  }
}

variable "extra_alarms" {
  description = "Further metric alarms by name suffix; they notify the alert topic like the built-in ones."
  type = map(object({
    namespace           = string
    metric_name         = string
    dimensions          = map(string)
    statistic           = optional(string, "Average")
    comparison_operator = string
    threshold           = number
    period              = optional(number, 300)
    evaluation_periods  = optional(number, 3)
    treat_missing_data  = optional(string, "notBreaching")
    description         = optional(string)
  }))
  default = {}
}

variable "create_adot_config" {
  description = "Store the AWS Distro for OpenTelemetry collector configuration in SSM, for ECS sidecars to read as AOT_CONFIG_CONTENT."
  type        = bool
  default     = true
}

variable "prometheus_remote_write_url" {
  description = "Amazon Managed Prometheus remote-write URL; null leaves the Prometheus exporter out of the ADOT pipeline."
  type        = string
  default     = null
}
