variable "create_environment" {
  description = "Create the MWAA environment. The DAG bucket, execution role and security group are created whenever create = true, so DAGs can be staged before the (slow, ~30 min) environment exists."
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "VPC of the environment's security group."
  type        = string
}

variable "private_subnet_ids" {
  description = "Exactly two private subnets in different AZs (an MWAA requirement)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.private_subnet_ids) == 0 || length(var.private_subnet_ids) == 2
    error_message = "MWAA needs exactly two private subnets (or none while create_environment = false)."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the environment and the DAG bucket."
  type        = string
}

variable "airflow_version" {
  description = "Apache Airflow version offered by MWAA."
  type        = string
  default     = "2.10.3"

  validation {
    condition     = can(regex("^2\\.(9|10)\\.[0-9]+$", var.airflow_version))
    error_message = "airflow_version must be a 2.9.x or 2.10.x version (the DAGs target Airflow 2.9+)."
  }
}

variable "environment_class" {
  description = "MWAA environment class."
  type        = string
  default     = "mw1.small"

  validation {
    condition     = contains(["mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge"], var.environment_class)
    error_message = "environment_class must be one of mw1.micro, mw1.small, mw1.medium, mw1.large, mw1.xlarge, mw1.2xlarge."
  }
}

variable "min_workers" {
  description = "Minimum Celery workers."
  type        = number
  default     = 1
}

variable "max_workers" {
  description = "Maximum Celery workers (autoscaling ceiling)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_workers >= 1 && var.max_workers <= 25
    error_message = "max_workers must be between 1 and 25."
  }
}

variable "schedulers" {
  description = "Number of schedulers (2+ for high availability)."
  type        = number
  default     = 2

  validation {
    condition     = var.schedulers >= 2 && var.schedulers <= 5
    error_message = "schedulers must be between 2 and 5 (MWAA v2 minimum is 2)."
  }
}

variable "webserver_access_mode" {
  description = "PRIVATE_ONLY keeps the Airflow UI inside the VPC; PUBLIC_ONLY exposes it behind IAM auth."
  type        = string
  default     = "PRIVATE_ONLY"

  validation {
    condition     = contains(["PRIVATE_ONLY", "PUBLIC_ONLY"], var.webserver_access_mode)
    error_message = "webserver_access_mode must be PRIVATE_ONLY or PUBLIC_ONLY."
  }
}

variable "log_level" {
  description = "Log level for the scheduler, worker, webserver, task and DAG-processing logs."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"], var.log_level)
    error_message = "log_level must be CRITICAL, ERROR, WARNING, INFO or DEBUG."
  }
}

variable "airflow_configuration_options" {
  description = "Airflow configuration overrides, e.g. {\"core.default_task_retries\" = \"2\"}."
  type        = map(string)
  default     = {}
}

variable "connections_prefix" {
  description = "Secrets Manager prefix of Airflow connections (MWAA's secrets backend)."
  type        = string
  default     = "airflow/connections"
}

variable "variables_prefix" {
  description = "Secrets Manager prefix of Airflow variables (MWAA's secrets backend)."
  type        = string
  default     = "airflow/variables"
}

variable "glue_job_arns" {
  description = "Glue jobs the DAGs may start and watch."
  type        = list(string)
  default     = []
}

variable "execution_role_arn" {
  description = "Existing execution role (e.g. from the iam module). Null creates one; otherwise the module adds its DAG-bucket/queue/log policy to the given role."
  type        = string
  default     = null
}

variable "security_group_id" {
  description = "Existing security group for the environment (e.g. the network module's \"mwaa\" group, which already allows traffic among its members). Null creates one."
  type        = string
  default     = null
}
