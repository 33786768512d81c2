locals {
  root_arn = "arn:${local.partition}:iam::${local.account_id}:root"

  admin_arns = length(var.key_administrator_arns) > 0 ? var.key_administrator_arns : [local.root_arn]

  # Administration without use: the admins can change, rotate and schedule deletion of a key but
  # cannot decrypt data with it. Listed explicitly instead of kms:* so the policy says what it allows.
  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
  ]

  use_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
  ]
}

data "aws_iam_policy_document" "this" {
  for_each = var.keys

  #checkov:skip=CKV_AWS_109:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.
  #checkov:skip=CKV_AWS_111:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.
  #checkov:skip=CKV_AWS_356:In a key policy Resource "*" means "this key"; it is the only value KMS accepts.

  statement {
    sid       = "KeyAdministration"
    effect    = "Allow"
    actions   = local.admin_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.admin_arns
    }
  }

  dynamic "statement" {
    for_each = length(each.value.via_services) > 0 ? [1] : []

    content {
      sid       = "UseThroughServices"
      effect    = "Allow"
      actions   = local.use_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [for s in each.value.via_services : "${s}.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
    }
  }

  # RDS, DocumentDB, MSK, Lambda and EBS hand the key to their own infrastructure through grants.
  dynamic "statement" {
    for_each = length(each.value.via_services) > 0 ? [1] : []

    content {
      sid       = "GrantsForAwsResources"
      effect    = "Allow"
      actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }

      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [for s in each.value.via_services : "${s}.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = toset(each.value.service_principals)

    content {
      sid       = "ServicePrincipal${replace(title(replace(replace(split(".", statement.value)[0], "-", " "), "_", " ")), " ", "")}"
      effect    = "Allow"
      actions   = local.use_actions
      resources = ["*"]

      # A short name ("logs") is a regional principal; a full one ("budgets.amazonaws.com") is used as is.
      principals {
        type        = "Service"
        identifiers = [strcontains(statement.value, ".") ? statement.value : "${statement.value}.${local.region}.amazonaws.com"]
      }

      # CloudWatch Logs documents an encryption-context condition; every other service is pinned to
      # calls made on behalf of this account.
      condition {
        test     = statement.value == "logs" ? "ArnLike" : "StringEquals"
        variable = statement.value == "logs" ? "kms:EncryptionContext:aws:logs:arn" : "aws:SourceAccount"
        values   = statement.value == "logs" ? ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"] : [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.key_user_arns) > 0 ? [1] : []

    content {
      sid       = "DirectUse"
      effect    = "Allow"
      actions   = local.use_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.key_user_arns
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = var.keys

  description             = each.value.description
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = each.value.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this[each.key].json

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}", Purpose = each.key })
}

resource "aws_kms_alias" "this" {
  for_each = var.keys

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
