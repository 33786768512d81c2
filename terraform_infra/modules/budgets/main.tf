data "aws_caller_identity" "current" {}

locals {
  # Explicit account id: the provider's own is empty when skip_requesting_account_id is set
  # (sandbox), and the budget's id "<account>:<name>" is then malformed.
  account_id    = data.aws_caller_identity.current.account_id
  create        = var.create
  notifications = var.enable_notifications ? var.notifications : []
  cost_filters  = length(var.cost_filter_tags) == 0 ? {} : { TagKeyValue = [for k, v in var.cost_filter_tags : format("user:%s$%s", k, v)] }
}

resource "aws_budgets_budget" "this" {
  count = local.create ? 1 : 0

  account_id   = local.account_id
  name         = "${var.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.monthly_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  tags = merge(var.tags, { Name = "${var.name_prefix}-monthly" })

  dynamic "cost_filter" {
    for_each = local.cost_filters

    content {
      name   = cost_filter.key
      values = cost_filter.value
    }
  }

  dynamic "notification" {
    for_each = local.notifications

    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold_percent
      threshold_type             = "PERCENTAGE"
      notification_type          = notification.value.type
      subscriber_email_addresses = var.subscriber_emails
      subscriber_sns_topic_arns  = var.subscriber_sns_topic_arns
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.notifications) == 0 || length(var.subscriber_emails) + length(var.subscriber_sns_topic_arns) > 0
      error_message = "Notifications need at least one subscriber (subscriber_emails or subscriber_sns_topic_arns)."
    }
  }
}

resource "aws_budgets_budget" "service" {
  for_each = local.create ? var.service_budgets : {}

  account_id   = local.account_id
  name         = "${var.name_prefix}-${lower(replace(each.key, "/[^A-Za-z0-9]+/", "-"))}"
  budget_type  = "COST"
  limit_amount = format("%.2f", each.value)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  tags = merge(var.tags, { Name = "${var.name_prefix}-${lower(replace(each.key, "/[^A-Za-z0-9]+/", "-"))}" })

  cost_filter {
    name   = "Service"
    values = [each.key]
  }

  dynamic "cost_filter" {
    for_each = local.cost_filters

    content {
      name   = cost_filter.key
      values = cost_filter.value
    }
  }

  dynamic "notification" {
    for_each = local.notifications

    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold_percent
      threshold_type             = "PERCENTAGE"
      notification_type          = notification.value.type
      subscriber_email_addresses = var.subscriber_emails
      subscriber_sns_topic_arns  = var.subscriber_sns_topic_arns
    }
  }
}
