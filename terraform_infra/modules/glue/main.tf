locals {
  database_name = coalesce(var.database_name, "${replace(var.name_prefix, "-", "_")}_curated")

  scripts_bucket = coalesce(var.scripts_bucket_name, "${var.name_prefix}-glue-scripts-${local.account_id}")

  # The scripts bucket (artifact_bucket.tf).
  artifact_bucket_name   = local.scripts_bucket
  create_artifact_bucket = var.create_scripts_bucket
  role_arn               = var.create_role ? aws_iam_role.glue[0].arn : var.role_arn
  role_name              = "${var.name_prefix}-glue-jobs"
  # An external role (e.g. from the iam module) gets this module's policy as an extra inline policy,
  # so it can read the scripts bucket and write the log group that only this module knows about.
  policy_role    = var.create_role ? try(aws_iam_role.glue[0].id, null) : (var.role_arn == null ? null : element(split("/", var.role_arn), length(split("/", var.role_arn)) - 1))
  security_conf  = var.create_security_configuration ? aws_glue_security_configuration.this[0].name : null
  log_group_name = "/aws-glue/${var.name_prefix}/jobs"
  logs_kms_key   = var.logs_kms_key_arn != null ? var.logs_kms_key_arn : var.kms_key_arn

  catalog_arn  = "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"
  database_arn = "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.database_name}"
  tables_arn   = "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.database_name}/*"

  module_arguments = {
    "--job-language"                     = "python"
    "--enable-metrics"                   = "true"
    "--enable-observability-metrics"     = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--continuous-log-logGroup"          = local.log_group_name
    "--job-bookmark-option"              = "job-bookmark-enable"
    "--TempDir"                          = "s3://${local.scripts_bucket}/tmp/"
  }
}

# ---------------------------------------------------------------- catalog

resource "aws_glue_catalog_database" "this" {
  name        = local.database_name
  description = "Curated zone of the migrated data platform (${var.name_prefix})."

  tags = merge(var.tags, { Name = local.database_name })
}

resource "aws_glue_data_catalog_encryption_settings" "this" {
  count = var.enable_catalog_encryption ? 1 : 0

  # Explicit: the provider's default is the account id it looked up, which is empty when
  # skip_requesting_account_id is set (sandbox) and then yields a resource with no id.
  catalog_id = local.account_id

  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.kms_key_arn
    }

    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.kms_key_arn
    }
  }
}

# ---------------------------------------------------------------- scripts
# Job scripts are not Terraform objects: the runbook uploads them after apply (notebook 04,
# runbook_lib.workloads.scripts) and reads them back, so a changed job never needs a plan.

# ---------------------------------------------------------------- security

resource "aws_glue_security_configuration" "this" {
  count = var.create_security_configuration ? 1 : 0

  name = "${var.name_prefix}-glue"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = local.logs_kms_key
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

resource "aws_cloudwatch_log_group" "jobs" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = local.logs_kms_key

  tags = merge(var.tags, { Name = local.log_group_name })
}

# ---------------------------------------------------------------- role

module "trust" {
  source = "../trust_policy"

  services = ["glue.amazonaws.com"]
}

data "aws_iam_policy_document" "glue" {
  statement {
    sid       = "ReadScripts"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${local.scripts_bucket}", "arn:${local.partition}:s3:::${local.scripts_bucket}/*"]
  }

  statement {
    sid       = "TempDir"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:${local.partition}:s3:::${local.scripts_bucket}/tmp/*"]
  }

  dynamic "statement" {
    for_each = length(var.data_bucket_arns) > 0 ? [1] : []

    content {
      sid       = "DataLake"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation"]
      resources = concat(var.data_bucket_arns, [for b in var.data_bucket_arns : "${b}/*"])
    }
  }

  statement {
    sid = "Catalog"
    actions = [
      "glue:GetDatabase", "glue:GetDatabases",
      "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
      "glue:GetPartition", "glue:GetPartitions", "glue:BatchCreatePartition", "glue:BatchGetPartition",
      "glue:CreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition",
    ]
    resources = [local.catalog_arn, local.database_arn, local.tables_arn]
  }

  statement {
    sid       = "Bookmarks"
    actions   = ["glue:GetJobBookmark", "glue:ResetJobBookmark", "glue:GetSecurityConfiguration"]
    resources = ["arn:${local.partition}:glue:${local.region}:${local.account_id}:job/${var.name_prefix}-*"]
  }

  statement {
    sid     = "Logs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}:*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws-glue/*",
    ]
  }

  statement {
    sid       = "Metrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource type; the condition pins the namespace.

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [1]

    content {
      sid       = "Kms"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      resources = distinct([var.kms_key_arn, local.logs_kms_key])
    }
  }
}

resource "aws_iam_role" "glue" {
  count = var.create_role ? 1 : 0

  name               = local.role_name
  assume_role_policy = module.trust.json

  tags = merge(var.tags, { Name = local.role_name })
}

resource "aws_iam_role_policy" "glue" {
  count = var.create_role || var.role_arn != null ? 1 : 0

  name   = "${var.name_prefix}-glue-module"
  role   = local.policy_role
  policy = data.aws_iam_policy_document.glue.json
}

# ---------------------------------------------------------------- jobs

resource "aws_glue_job" "jobs" {
  for_each = var.jobs

  name              = "${var.name_prefix}-${each.key}"
  description       = coalesce(each.value.description, "ETL job ${each.key} (${var.name_prefix}).")
  role_arn          = local.role_arn
  glue_version      = each.value.glue_version
  execution_class   = each.value.execution_class
  worker_type       = each.value.worker_type
  number_of_workers = each.value.number_of_workers
  max_retries       = each.value.max_retries
  timeout           = each.value.timeout_minutes

  security_configuration = local.security_conf
  # "{scripts}" in a job's argument is this module's scripts bucket; extra_py_files are keys in it.
  default_arguments = merge(
    local.module_arguments,
    length(each.value.extra_py_files) == 0 ? {} : {
      "--extra-py-files" = join(",", [for key in each.value.extra_py_files : "s3://${local.scripts_bucket}/${key}"])
    },
    { for name, value in each.value.default_arguments : name => replace(value, "{scripts}", local.scripts_bucket) },
  )

  command {
    name            = "glueetl"
    script_location = "s3://${local.scripts_bucket}/${each.value.script_key}"
    python_version  = "3"
  }

  execution_property {
    max_concurrent_runs = each.value.max_concurrent
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })

  lifecycle {
    precondition {
      condition     = local.role_arn != null
      error_message = "create_role = false needs role_arn."
    }
  }
}

# ---------------------------------------------------------------- crawler

resource "aws_glue_crawler" "curated" {
  count = var.create_crawler && length(var.crawler_s3_targets) > 0 ? 1 : 0

  name                   = "${var.name_prefix}-curated"
  database_name          = aws_glue_catalog_database.this.name
  role                   = local.role_arn
  schedule               = var.crawler_schedule
  security_configuration = local.security_conf

  dynamic "s3_target" {
    for_each = var.crawler_s3_targets

    content {
      path = s3_target.value
    }
  }

  schema_change_policy {
    delete_behavior = "LOG"
    update_behavior = "UPDATE_IN_DATABASE"
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-curated" })
}

# The scripts bucket moved to the shared artifact_bucket.tf: the same bucket, a new address.
moved {
  from = module.scripts_bucket
  to   = module.artifact_bucket
}
