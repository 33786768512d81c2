data "aws_caller_identity" "current" {}

locals {
  # Explicit account id: the provider's own is empty when skip_requesting_account_id is set
  # (sandbox), and the budget's id "<account>:<name>" is then malformed.
  account_id    = data.aws_caller_identity.current.account_id
  create        = var.create
  notifications = var.enable_notifications ? var.notifications : []
  cost_filters  = length(var.cost_filter_tags) == 0 ? {} : { TagKeyValue = [for k, v in var.cost_filter_tags : format("user:%s$%s", k, v)] }
}

locals {
  # The platform's monthly budget (key "monthly") and one per service (keyed by service name), built by one resource.
  budgets = local.create ? merge(
    { for service, usd in var.service_budgets : service => {
      name    = "${var.name_prefix}-${lower(replace(service, "/[^A-Za-z0-9]+/", "-"))}"
      limit   = usd
      filters = { Service = [service] }
    } },
    { monthly = { name = "${var.name_prefix}-monthly", limit = var.monthly_limit_usd, filters = {} } },
  ) : {}
}

resource "aws_budgets_budget" "budget" {
  for_each = local.budgets

  account_id   = local.account_id
  name         = each.value.name
  budget_type  = "COST"
  limit_amount = format("%.2f", each.value.limit)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  tags = merge(var.tags, { Name = each.value.name })

  dynamic "cost_filter" {
    for_each = merge(each.value.filters, local.cost_filters)

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
