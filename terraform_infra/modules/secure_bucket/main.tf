# A private bucket with the controls every bucket of this platform needs: versioning, encryption at
# rest, TLS-only access, no public access, no ACLs, and a lifecycle that bounds the cost of old
# versions. The data lake zones, its access-log bucket, the state bucket and the artefact buckets
# (Glue scripts, EMR logs, MWAA DAGs) are all built here, so that these controls are written,
# reviewed and checkov-suppressed in one place.

data "aws_partition" "current" {}

locals {
  create = var.create
  # Known at plan time (unlike the bucket's arn attribute), so the policy is too.
  bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"

  # Deny statements on the transport, by Sid (for_each keeps this order: InsecureTransport, OutdatedTls).
  transport_denials = merge(
    var.enable_tls_only_policy ? { DenyInsecureTransport = { test = "Bool", variable = "aws:SecureTransport", value = "false" } } : {},
    var.minimum_tls_version == null ? {} : { DenyOutdatedTls = { test = "NumericLessThan", variable = "s3:TlsVersion", value = var.minimum_tls_version } },
  )
  has_policy = local.create && (var.deny_acl_writes || length(local.transport_denials) > 0 || length(var.policy_documents) > 0)
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is the caller's decision (s3_data_lake configures it for the zones where enabled); artefact, log and state buckets are rebuilt from git or short-lived.
  #checkov:skip=CKV2_AWS_62:Event notifications follow var.enable_eventbridge_notifications (the data lake zones turn them on); checkov cannot follow the count.
  #checkov:skip=CKV_AWS_18:Access logging is switched on through var.access_log_bucket (aws_s3_bucket_logging below); the access-log bucket itself cannot log into itself.
  #checkov:skip=CKV_AWS_145:SSE-KMS whenever kms_key_arn is set; only the access-log bucket omits it, because S3 server access logging cannot deliver to SSE-KMS buckets.
  count = local.create ? 1 : 0

  bucket        = var.bucket_name
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = var.bucket_name })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = var.object_ownership
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = local.create ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn == null ? null : true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = var.lifecycle_rule_id
    status = "Enabled"

    filter {}

    dynamic "transition" {
      for_each = var.transitions

      content {
        days          = transition.value.days
        storage_class = transition.value.storage_class
      }
    }

    dynamic "expiration" {
      for_each = var.expiration_days == null ? [] : [var.expiration_days]

      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # The versioning resource must exist first: S3 rejects noncurrent rules racing it.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = local.create && var.access_log_bucket != null ? 1 : 0

  bucket        = aws_s3_bucket.this[0].id
  target_bucket = var.access_log_bucket
  target_prefix = coalesce(var.access_log_prefix, "s3/${var.bucket_name}/")
}

resource "aws_s3_bucket_notification" "this" {
  count = local.create && var.enable_eventbridge_notifications ? 1 : 0

  bucket      = aws_s3_bucket.this[0].id
  eventbridge = true
}

# The bucket policy: the statements of var.policy_documents first, then this module's Deny statements.
data "aws_iam_policy_document" "this" {
  count = local.has_policy ? 1 : 0

  source_policy_documents = var.policy_documents

  # ACLs are disabled by BucketOwnerEnforced; denying ACL writes as well keeps a later change of
  # object_ownership from silently re-opening object ACLs.
  dynamic "statement" {
    for_each = var.deny_acl_writes ? [1] : []

    content {
      sid       = "DenyAclWrites"
      effect    = "Deny"
      actions   = ["s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"]
      resources = [local.bucket_arn, "${local.bucket_arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }
    }
  }

  # Requests without TLS, and (with minimum_tls_version) with an older TLS, are denied.
  dynamic "statement" {
    for_each = local.transport_denials

    content {
      sid       = statement.key
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [local.bucket_arn, "${local.bucket_arn}/*"]

      principals {
        type        = "*"
        identifiers = ["*"]
      }

      condition {
        test     = statement.value.test
        variable = statement.value.variable
        values   = [statement.value.value]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = local.has_policy ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.this[0].json

  # A policy put before the public access block can be judged public and rejected.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
