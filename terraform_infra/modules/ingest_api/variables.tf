variable "name" {
  description = "Base name of the repository, function, API and log groups, e.g. \"dmig-prod-ingest\". The iam module's ingest role is scoped to \"<name_prefix>-ingest*\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}[a-z0-9]$", var.name))
    error_message = "name must be 3-52 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "image_uri" {
  description = "Container image of the function. Null uses \"<repository url>:<image_tag>\"; that tag must be pushed before the function is created (ECR tags are immutable)."
  type        = string
  default     = null
}

variable "image_tag" {
  description = "Tag of the image in the module's repository, used when image_uri is null. Immutable tags: publish a new tag per release."
  type        = string
  default     = "v1"
}

variable "encrypt_environment" {
  description = "Encrypt the function's environment variables with kms_key_arn. Only a stand-in that does not return KMSKeyArn from GetFunction (moto) needs false."
  type        = bool
  default     = true
}

variable "enable_dead_letter_config" {
  description = "Send failed asynchronous invocations to the dead-letter queue. Only a stand-in that does not return DeadLetterConfig (moto) needs false; the queue is created either way."
  type        = bool
  default     = true
}

variable "enable_json_logging" {
  description = "JSON log format into the module's log group (logging_config). False keeps Lambda's text format in the same /aws/lambda/<name> group; only for a stand-in that does not return LoggingConfig (moto)."
  type        = bool
  default     = true
}

variable "role_arn" {
  description = "Execution role of the function: the iam module's ingest_lambda role (its policy is scoped to \"<name_prefix>-ingest*\", the raw zone's ingest/ prefix and the MSK cluster)."
  type        = string
}

variable "kafka_bootstrap_brokers" {
  description = "Bootstrap brokers the function produces to (MSK SASL/IAM with kafka_auth = \"msk_iam\"); empty leaves the ingestor unconfigured (it answers 503)."
  type        = string
  default     = ""
}

variable "kafka_topic" {
  description = "Topic the function produces to when kafka_bootstrap_brokers is set."
  type        = string
  default     = "ingest.events"
}

variable "kafka_auth" {
  description = "How the ingestor authenticates to the brokers: \"msk_iam\" (SASL/OAUTHBEARER with the function's role) or \"none\" (plaintext, e.g. the self-hosted Kafka over a private link)."
  type        = string
  default     = "msk_iam"

  validation {
    condition     = contains(["msk_iam", "none"], var.kafka_auth)
    error_message = "kafka_auth must be msk_iam or none."
  }
}

variable "max_event_bytes" {
  description = "Largest event body the ingestor accepts; bigger ones get 413."
  type        = number
  default     = 262144

  validation {
    condition     = var.max_event_bytes >= 1 && var.max_event_bytes <= 1000000
    error_message = "max_event_bytes must be 1-1000000 (below Kafka's default message.max.bytes)."
  }
}

variable "path_label" {
  description = "Label of this deployment in the ingestor's answers and canary metrics (\"new\": the AWS path)."
  type        = string
  default     = "new"
}

variable "alias_name" {
  description = "Alias API Gateway invokes; the staged cutover moves its weights."
  type        = string
  default     = "live"
}

variable "alias_function_version" {
  description = "Version the alias points to when created; null uses the version this apply published. Later moves belong to the cutover (ignored by Terraform)."
  type        = string
  default     = null
}

variable "alias_additional_version_weights" {
  description = "Initial weighted routing of the alias: {version = weight 0-1} sent to another version. Later moves belong to the cutover (ignored by Terraform)."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for w in values(var.alias_additional_version_weights) : w >= 0 && w <= 1])
    error_message = "alias_additional_version_weights values must be between 0 and 1."
  }
}

variable "memory_size" {
  description = "Function memory in MB."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be 128-10240 MB."
  }
}

variable "timeout" {
  description = "Function timeout in seconds; API Gateway HTTP APIs give up after 30."
  type        = number
  default     = 15

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 30
    error_message = "timeout must be 1-30 seconds (the HTTP API integration limit)."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) the function, so a burst cannot starve the account."
  type        = number
  default     = 50

  validation {
    condition     = var.reserved_concurrent_executions >= 1
    error_message = "reserved_concurrent_executions must be at least 1 (0 would block every call)."
  }
}

variable "subnet_ids" {
  description = "Private subnets the function runs in."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the function (the network module's \"lambda\" group)."
  type        = list(string)
}

variable "log_kms_key_arn" {
  description = "KMS key of the log groups (needs the logs service principal in its key policy). Null uses no CMK."
  type        = string
  default     = null
}

variable "route_key" {
  description = "Route of the ingest endpoint, \"METHOD /path\"."
  type        = string
  default     = "POST /events"

  validation {
    condition     = can(regex("^(GET|POST|PUT|PATCH|DELETE|ANY) /", var.route_key))
    error_message = "route_key must look like \"POST /events\"."
  }
}

variable "authorization_type" {
  description = "Authorization of the route: AWS_IAM (SigV4-signed producers) or JWT (with jwt_* settings). NONE is refused: the endpoint writes into the data lake."
  type        = string
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "JWT"], var.authorization_type)
    error_message = "authorization_type must be AWS_IAM or JWT."
  }
}

variable "jwt_issuer" {
  description = "Issuer URL of the JWT authorizer when authorization_type = JWT."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "Audiences the JWT authorizer accepts when authorization_type = JWT."
  type        = list(string)
  default     = []
}

variable "throttling_burst_limit" {
  description = "Stage burst limit (requests)."
  type        = number
  default     = 200
}

variable "throttling_rate_limit" {
  description = "Stage steady-state rate limit (requests per second)."
  type        = number
  default     = 100
}

variable "image_retention_count" {
  description = "Images kept in the repository; older ones expire."
  type        = number
  default     = 20
}

variable "qualify_invoke_permission" {
  description = "Grant API Gateway's invoke permission on the alias (qualifier), which is what invoking the alias needs on AWS. Only a stand-in whose GetPolicy drops the qualifier (moto) needs false: a replace on every plan otherwise."
  type        = bool
  default     = true
}
