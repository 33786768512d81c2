output "cluster_identifier" {
  description = "Cluster identifier; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].cluster_identifier, null)
}

output "cluster_arn" {
  description = "Cluster ARN; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].arn, null)
}

output "endpoint" {
  description = "Writer endpoint; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].endpoint, null)
}

output "reader_endpoint" {
  description = "Reader endpoint; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].reader_endpoint, null)
}

output "port" {
  description = "Port of the cluster; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].port, null)
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret with the master credentials; null when the cluster is not created."
  value       = try(aws_docdb_cluster.this[0].master_user_secret[0].secret_arn, null)
}

output "subnet_group_name" {
  description = "Subnet group name; null when create = false."
  value       = try(aws_docdb_subnet_group.this[0].name, null)
}

output "parameter_group_name" {
  description = "Cluster parameter group (tls = enabled); null when create = false."
  value       = try(aws_docdb_cluster_parameter_group.this[0].name, null)
}
