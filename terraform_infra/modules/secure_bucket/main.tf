# A private bucket with the controls every bucket of this platform needs:
# versioning, encryption at rest, TLS-only access, no public access, no ACLs,
# and a lifecycle that bounds the cost of old versions. Modules that need a
# bucket for their own artefacts (Glue scripts, EMR logs, MWAA DAGs) use it so
# that these controls are written, reviewed and checkov-suppressed in one place.

locals {
  create = var.create
  tls_only_statement = {
    Sid       = "DenyInsecureTransport"
    Effect    = "Deny"
    Principal = "*"
    Action    = "s3:*"
    Resource = [
      "arn:aws:s3:::${var.bucket_name}",
      "arn:aws:s3:::${var.bucket_name}/*",
    ]
    Condition = { Bool = { "aws:SecureTransport" = "false" } }
  }
  # ACLs are disabled by BucketOwnerEnforced; denying ACL writes as well keeps a later change of
  # object_ownership from silently re-opening object ACLs.
  acl_write_statement = {
    Sid       = "DenyAclWrites"
    Effect    = "Deny"
    Principal = "*"
    Action    = ["s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"]
    Resource = [
      "arn:aws:s3:::${var.bucket_name}",
      "arn:aws:s3:::${var.bucket_name}/*",
    ]
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a data-lake concern; buckets of this module hold artefacts rebuilt from git or short-lived logs.
  #checkov:skip=CKV2_AWS_62:No consumer needs event notifications on artefact/log buckets.
  #checkov:skip=CKV_AWS_18:Access logging is switched on through var.access_log_bucket (aws_s3_bucket_logging below); checkov cannot follow the count.
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
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "expire-noncurrent-and-abort-uploads"
    status = "Enabled"

    filter {}

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

resource "aws_s3_bucket_policy" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [local.acl_write_statement],
      var.enable_tls_only_policy ? [local.tls_only_statement] : [],
      var.extra_policy_statements,
    )
  })

  # A policy put before the public access block can be judged public and rejected.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
