output "budget_name" {
  description = "Name of the platform's monthly budget (null when not created)."
  value       = try(aws_budgets_budget.budget["monthly"].name, null)
}

output "service_budget_names" {
  description = "Per-service budget names by service."
  value       = { for k, b in aws_budgets_budget.budget : k => b.name if k != "monthly" }
}
