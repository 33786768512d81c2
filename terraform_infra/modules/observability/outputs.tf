output "alert_topic_arn" {
  description = "SNS topic every alarm (and the budgets) notify."
  value       = aws_sns_topic.alerts.arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the platform."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Metric alarm names by key."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.alarm_name }
}

output "adot_config_parameter_name" {
  description = "SSM parameter holding the ADOT collector configuration (null when not created)."
  value       = try(aws_ssm_parameter.adot_config[0].name, null)
}
