locals {
  create             = var.create
  create_environment = var.create && var.create_environment
  env_name           = "${var.name_prefix}-airflow"
  # MWAA only accepts source buckets whose name starts with "airflow-".
  dag_bucket = "airflow-${var.name_prefix}-dags-${local.account_id}"

  # The DAG bucket (artifact_bucket.tf).
  artifact_bucket_name   = local.dag_bucket
  create_artifact_bucket = local.create
  env_arn                = "arn:${local.partition}:airflow:${local.region}:${local.account_id}:environment/${local.env_name}"
  create_role            = local.create && var.execution_role_arn == null
  create_sg              = local.create && var.security_group_id == null
  sg_id                  = local.create_sg ? try(aws_security_group.this[0].id, null) : var.security_group_id
  role_arn               = local.create_role ? try(aws_iam_role.execution[0].arn, null) : var.execution_role_arn
  policy_role            = local.create_role ? try(aws_iam_role.execution[0].id, null) : (var.execution_role_arn == null ? null : element(split("/", var.execution_role_arn), length(split("/", var.execution_role_arn)) - 1))


  # MWAA's secrets backend: connections and variables live in Secrets Manager under these prefixes (the
  # runbook writes them there in phase 5); new DAGs arrive paused so the handover decides when each runs.
  secrets_backend_options = {
    "secrets.backend"                  = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    "secrets.backend_kwargs"           = jsonencode({ connections_prefix = var.connections_prefix, variables_prefix = var.variables_prefix })
    "core.dags_are_paused_at_creation" = "True"
  }
}

# ---------------------------------------------------------------- execution role
# Follows the MWAA execution-role template, narrowed to this environment's name,
# bucket, log groups and Celery queues, plus the Glue jobs the DAGs drive.

module "trust" {
  source = "../trust_policy"

  services = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "PublishMetrics"
    actions   = ["airflow:PublishMetrics"]
    resources = [local.env_arn]
  }

  statement {
    sid       = "NoBucketListing"
    effect    = "Deny"
    actions   = ["s3:ListAllMyBuckets"]
    resources = ["arn:${local.partition}:s3:::${local.dag_bucket}", "arn:${local.partition}:s3:::${local.dag_bucket}/*"]
  }

  statement {
    sid       = "ReadDags"
    actions   = ["s3:GetObject*", "s3:GetBucket*", "s3:List*"]
    resources = ["arn:${local.partition}:s3:::${local.dag_bucket}", "arn:${local.partition}:s3:::${local.dag_bucket}/*"]
  }

  statement {
    sid = "Logs"
    actions = [
      "logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents", "logs:GetLogEvents",
      "logs:GetLogRecord", "logs:GetLogGroupFields", "logs:GetQueryResults",
    ]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:airflow-${local.env_name}-*"]
  }

  statement {
    sid       = "AccountLevelReads"
    actions   = ["logs:DescribeLogGroups", "s3:GetAccountPublicAccessBlock", "cloudwatch:PutMetricData"]
    resources = ["*"] # these actions have no resource type
  }

  statement {
    sid = "CeleryQueues"
    actions = [
      "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.region}:*:airflow-celery-*"]
  }

  statement {
    sid       = "SecretsBackend"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [for prefix in [var.connections_prefix, var.variables_prefix] : "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${prefix}/*"]
  }

  statement {
    sid       = "KmsViaServices"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com", "s3.${local.region}.amazonaws.com", "logs.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = length(var.glue_job_arns) > 0 ? [1] : []

    content {
      sid       = "DriveGlueJobs"
      actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun", "glue:GetJob"]
      resources = var.glue_job_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.data_bucket_arns) > 0 ? [1] : []

    content {
      sid       = "ReadDataLake"
      actions   = ["s3:GetObject", "s3:ListBucket"]
      resources = concat(var.data_bucket_arns, [for b in var.data_bucket_arns : "${b}/*"])
    }
  }
}

resource "aws_iam_role" "execution" {
  count = local.create_role ? 1 : 0

  name               = "${var.name_prefix}-mwaa-execution"
  assume_role_policy = module.trust.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-mwaa-execution" })
}

resource "aws_iam_role_policy" "execution" {
  count = local.create ? 1 : 0

  name   = "${var.name_prefix}-mwaa-module"
  role   = local.policy_role
  policy = data.aws_iam_policy_document.execution.json
}

# ---------------------------------------------------------------- network

resource "aws_security_group" "this" {
  count = local.create_sg ? 1 : 0

  name        = "${var.name_prefix}-mwaa-env"
  description = "MWAA environment: components talk to each other; HTTPS out to AWS APIs."
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-mwaa-env" })
}

# aws_security_group_rule, not aws_vpc_security_group_*_rule: the latter reads a referenced group back
# as "<account>/<sg>" when the provider does not know its account id (sandbox), and plans a change forever.
resource "aws_security_group_rule" "self" {
  for_each = local.create_sg ? {
    ingress = "MWAA requires all traffic between members of its own security group."
    egress  = "Traffic between MWAA components."
  } : {}

  type              = each.key
  security_group_id = aws_security_group.this[0].id
  description       = each.value
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  self              = true
}

resource "aws_vpc_security_group_egress_rule" "https" {
  count = local.create_sg ? 1 : 0

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS to AWS service endpoints (S3, SQS, CloudWatch, Glue)."
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# ---------------------------------------------------------------- environment

resource "aws_mwaa_environment" "this" {
  count = local.create_environment ? 1 : 0

  name                            = local.env_name
  airflow_version                 = var.airflow_version
  environment_class               = var.environment_class
  execution_role_arn              = local.role_arn
  kms_key                         = var.kms_key_arn
  source_bucket_arn               = module.artifact_bucket.bucket_arn
  dag_s3_path                     = "dags/"
  webserver_access_mode           = var.webserver_access_mode
  min_workers                     = var.min_workers
  max_workers                     = var.max_workers
  schedulers                      = var.schedulers
  airflow_configuration_options   = merge(local.secrets_backend_options, var.airflow_configuration_options)
  weekly_maintenance_window_start = "SUN:03:00"

  network_configuration {
    security_group_ids = [local.sg_id]
    subnet_ids         = var.private_subnet_ids
  }

  logging_configuration {
    dag_processing_logs {
      enabled   = true
      log_level = var.log_level
    }

    scheduler_logs {
      enabled   = true
      log_level = var.log_level
    }

    task_logs {
      enabled   = true
      log_level = var.log_level
    }

    webserver_logs {
      enabled   = true
      log_level = var.log_level
    }

    worker_logs {
      enabled   = true
      log_level = var.log_level
    }
  }

  tags = merge(var.tags, { Name = local.env_name })

  lifecycle {
    precondition {
      condition     = length(var.private_subnet_ids) == 2
      error_message = "create_environment = true needs exactly two private_subnet_ids."
    }
  }

  depends_on = [aws_iam_role_policy.execution]
}

# The DAG bucket moved to the shared artifact_bucket.tf: the same bucket, a new address.
moved {
  from = module.dag_bucket
  to   = module.artifact_bucket
}
