output "endpoint" {
  description = "Writer endpoint; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].endpoint, null)
}

output "port" {
  description = "Port of the cluster; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].port, null)
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret with the master credentials; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].master_user_secret[0].secret_arn, null)
}
