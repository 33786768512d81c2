output "cluster_arn" {
  description = "Cluster ARN; null when the cluster is not created."
  value       = try(aws_msk_cluster.this[0].arn, null)
}

output "bootstrap_brokers_sasl_iam" {
  description = "Bootstrap brokers for SASL/IAM over TLS (port 9098); null when the cluster is not created."
  value       = try(aws_msk_cluster.this[0].bootstrap_brokers_sasl_iam, null)
}

output "broker_log_group_name" {
  description = "CloudWatch log group of the broker logs; null when create = false."
  value       = try(aws_cloudwatch_log_group.broker[0].name, null)
}
