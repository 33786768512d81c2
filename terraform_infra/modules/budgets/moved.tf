# The monthly and the per-service budgets used to be two resources.
moved {
  from = aws_budgets_budget.this[0]
  to   = aws_budgets_budget.budget["monthly"]
}

moved {
  from = aws_budgets_budget.service
  to   = aws_budgets_budget.budget
}
