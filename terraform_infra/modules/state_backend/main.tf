locals {
  kms_key_arn = var.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn
  root_arn    = "arn:${local.partition}:iam::${local.account_id}:root"
}

data "aws_iam_policy_document" "kms" {
  count = var.create_kms_key ? 1 : 0

  #checkov:skip=CKV_AWS_109:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.
  #checkov:skip=CKV_AWS_111:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.
  #checkov:skip=CKV_AWS_356:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.

  # The account root delegates to IAM policies: whoever may run terraform (and only they) may read state.
  statement {
    sid       = "AccountAdministersAndUsesThroughIam"
    effect    = "Allow"
    resources = ["*"]
    actions = [
      "kms:CancelKeyDeletion", "kms:Create*", "kms:Decrypt", "kms:Delete*", "kms:Describe*", "kms:Disable*",
      "kms:Enable*", "kms:Encrypt", "kms:GenerateDataKey*", "kms:Get*", "kms:List*", "kms:Put*",
      "kms:ReEncrypt*", "kms:Revoke*", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion",
      "kms:TagResource", "kms:UntagResource", "kms:Update*",
    ]

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }
}

resource "aws_kms_key" "this" {
  count = var.create_kms_key ? 1 : 0

  description             = "Terraform state bucket ${var.bucket_name} and lock table ${var.lock_table_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = merge(var.tags, { Name = "${var.bucket_name}-state" })
}

resource "aws_kms_alias" "this" {
  count = var.create_kms_key ? 1 : 0

  name          = "alias/${var.bucket_name}-state"
  target_key_id = aws_kms_key.this[0].key_id
}

# State is small, versioned and rebuilt by re-importing: a cross-region copy is an operator decision;
# access logs go to the central log bucket only once stack 02 created it (access_log_bucket).
module "bucket" {
  source = "../secure_bucket"

  bucket_name       = var.bucket_name
  kms_key_arn       = local.kms_key_arn
  force_destroy     = var.force_destroy
  access_log_bucket = var.access_log_bucket
  tags              = var.tags

  lifecycle_rule_id                  = "expire-superseded-state"
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days

  deny_acl_writes        = false
  enable_tls_only_policy = var.enable_tls_only_policy
}

resource "aws_dynamodb_table" "lock" {
  name                        = var.lock_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "LockID"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = merge(var.tags, { Name = var.lock_table_name })

  lifecycle {
    precondition {
      condition     = var.create_kms_key || var.kms_key_arn != null
      error_message = "Set kms_key_arn when create_kms_key = false: state holds secrets and must be encrypted with a customer-managed key."
    }
  }
}
