# The function's and the API's log groups used to be two resources.
moved {
  from = aws_cloudwatch_log_group.function
  to   = aws_cloudwatch_log_group.this["function"]
}

moved {
  from = aws_cloudwatch_log_group.access
  to   = aws_cloudwatch_log_group.this["access"]
}
