data "aws_caller_identity" "current" {}

locals {
  account_id             = data.aws_caller_identity.current.account_id
  access_log_bucket_name = coalesce(var.access_log_bucket_name, "${var.name_prefix}-s3-access-logs-${local.account_id}")
  replicated_zones       = var.enable_replication ? var.zones : {}
}

# --- Zone buckets -----------------------------------------------------------------------------------

module "zone" {
  source   = "../secure_bucket"
  for_each = var.zones

  bucket_name   = each.value.bucket_name
  kms_key_arn   = var.kms_key_arn
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Zone = each.key })

  lifecycle_rule_id = "${each.key}-tiering"
  transitions = concat(
    each.value.transition_to_ia_days == null ? [] : [{ days = each.value.transition_to_ia_days, storage_class = "STANDARD_IA" }],
    each.value.transition_to_glacier_days == null ? [] : [{ days = each.value.transition_to_glacier_days, storage_class = "GLACIER_IR" }],
  )
  expiration_days                    = each.value.expiration_days
  noncurrent_version_expiration_days = each.value.noncurrent_version_expiration_days

  # Only the transport is policed here; access goes through the IAM roles of 01_network_iam.
  deny_acl_writes                  = false
  enable_tls_only_policy           = var.enable_tls_only_policy
  minimum_tls_version              = var.enable_tls_only_policy ? "1.2" : null
  enable_eventbridge_notifications = var.enable_eventbridge_notifications
}

# Logging is set here, not through the module's access_log_bucket: the module's count would then hang
# on the log bucket created in the same apply, and the logging has to wait for that bucket's policy.
resource "aws_s3_bucket_logging" "this" {
  for_each = var.enable_access_logging ? var.zones : {}

  bucket        = module.zone[each.key].bucket_name
  target_bucket = module.access_logs.bucket_name
  target_prefix = "s3/${each.value.bucket_name}/"

  depends_on = [module.access_logs]
}

# --- Central access-log bucket ------------------------------------------------------------------

data "aws_iam_policy_document" "access_log_delivery" {
  count = var.enable_access_logging ? 1 : 0

  statement {
    sid       = "S3ServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${module.access_logs.bucket_arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# S3 server access logging can only deliver to SSE-S3 buckets, hence no KMS key; logs are audit
# evidence of this region only, hence no replication.
module "access_logs" {
  source = "../secure_bucket"

  create        = var.enable_access_logging
  bucket_name   = local.access_log_bucket_name
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Zone = "access-logs" })

  lifecycle_rule_id                  = "expire-access-logs"
  expiration_days                    = var.access_log_retention_days
  noncurrent_version_expiration_days = 30

  policy_documents       = data.aws_iam_policy_document.access_log_delivery[*].json
  deny_acl_writes        = false
  enable_tls_only_policy = var.enable_tls_only_policy
}

# --- Cross-region replication (optional) ------------------------------------------------------------

module "replication_trust" {
  source = "../trust_policy"

  services = ["s3.amazonaws.com"]
}

resource "aws_iam_role" "replication" {
  count = var.enable_replication ? 1 : 0

  name               = "${var.name_prefix}-s3-replication"
  assume_role_policy = module.replication_trust.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-s3-replication" })

  lifecycle {
    precondition {
      condition     = alltrue([for z in keys(var.zones) : contains(keys(var.replication_destination_bucket_arns), z)]) && var.replication_destination_kms_key_arn != null
      error_message = "enable_replication needs a replication_destination_bucket_arns entry for every zone and replication_destination_kms_key_arn."
    }
  }
}

data "aws_iam_policy_document" "replication" {
  count = var.enable_replication ? 1 : 0

  statement {
    sid       = "ReadSourceConfiguration"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [for z in keys(var.zones) : module.zone[z].bucket_arn]
  }

  statement {
    sid       = "ReadSourceVersions"
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = [for z in keys(var.zones) : "${module.zone[z].bucket_arn}/*"]
  }

  statement {
    sid       = "WriteReplicas"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = [for z in keys(var.zones) : "${var.replication_destination_bucket_arns[z]}/*"]
  }

  statement {
    sid       = "DecryptSource"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "EncryptReplicas"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.replication_destination_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "replication" {
  count = var.enable_replication ? 1 : 0

  name   = "replicate-data-lake"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

resource "aws_s3_bucket_replication_configuration" "this" {
  for_each = local.replicated_zones

  bucket = module.zone[each.key].bucket_name
  role   = aws_iam_role.replication[0].arn

  rule {
    id       = "${each.key}-to-dr"
    status   = "Enabled"
    priority = 1

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = var.replication_destination_bucket_arns[each.key]
      storage_class = var.replication_storage_class

      encryption_configuration {
        replica_kms_key_id = var.replication_destination_kms_key_arn
      }
    }
  }

  depends_on = [module.zone, aws_iam_role_policy.replication]
}
