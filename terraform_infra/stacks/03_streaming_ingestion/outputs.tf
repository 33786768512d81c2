output "msk_cluster_arn" {
  description = "MSK cluster ARN; null when the cluster is switched off."
  value       = module.msk.cluster_arn
}

output "msk_bootstrap_brokers_sasl_iam" {
  description = "Bootstrap brokers for SASL/IAM over TLS; null when the cluster is switched off."
  value       = module.msk.bootstrap_brokers_sasl_iam
}

output "msk_broker_log_group_name" {
  description = "Broker log group."
  value       = module.msk.broker_log_group_name
}

output "ingest_repository_url" {
  description = "ECR repository to push the ingest image to."
  value       = module.ingest_api.repository_url
}

output "ingest_function_name" {
  description = "Ingest Lambda function."
  value       = module.ingest_api.function_name
}

output "ingest_api_id" {
  description = "HTTP API ID."
  value       = module.ingest_api.api_id
}

output "ingest_url" {
  description = "URL producers POST events to (SigV4-signed)."
  value       = module.ingest_api.ingest_url
}

output "ingest_alias_name" {
  description = "Lambda alias behind the HTTP API; the staged producer cutover moves its weights."
  value       = module.ingest_api.alias_name
}

output "ingest_function_version" {
  description = "Ingest Lambda version published by the last apply."
  value       = module.ingest_api.function_version
}
