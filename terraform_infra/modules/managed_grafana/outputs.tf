output "workspace_endpoint" {
  description = "Grafana workspace URL host (null when not created)."
  value       = try(aws_grafana_workspace.this[0].endpoint, null)
}

output "role_arn" {
  description = "IAM role the workspace reads data sources with."
  value       = local.role_arn
}
