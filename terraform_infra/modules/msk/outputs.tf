output "cluster_arn" {
  description = "Cluster ARN; null when the cluster is not created."
  value       = try(aws_msk_cluster.this[0].arn, null)
}

output "cluster_name" {
  description = "Cluster name (also when the cluster is not created, so IAM scoping stays stable)."
  value       = var.cluster_name
}

output "bootstrap_brokers_sasl_iam" {
  description = "Bootstrap brokers for SASL/IAM over TLS (port 9098); null when the cluster is not created."
  value       = try(aws_msk_cluster.this[0].bootstrap_brokers_sasl_iam, null)
}

output "bootstrap_brokers_tls" {
  description = "Bootstrap brokers for TLS; null when the cluster is not created."
  value       = try(aws_msk_cluster.this[0].bootstrap_brokers_tls, null)
}

output "configuration_arn" {
  description = "Cluster configuration ARN; null when the cluster is not created."
  value       = try(aws_msk_configuration.this[0].arn, null)
}

output "broker_log_group_name" {
  description = "CloudWatch log group of the broker logs; null when create = false."
  value       = try(aws_cloudwatch_log_group.broker[0].name, null)
}
