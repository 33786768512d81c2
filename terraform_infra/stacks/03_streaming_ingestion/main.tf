# Stack 03: the MSK cluster and the ingest API (ECR + Lambda + HTTP API) that lands events in the raw zone.

locals {
  upstream_stacks = ["01_network_iam", "02_data_stores"] # read through module "upstream" (upstream.tf)

  net         = module.upstream.outputs["01_network_iam"]
  stores      = module.upstream.outputs["02_data_stores"]
  name_prefix = local.net.name_prefix
}

module "msk" {
  source = "../../modules/msk"

  create         = var.enable_msk
  enable_cluster = var.enable_msk_cluster

  cluster_name           = local.net.msk_cluster_name
  kafka_version          = var.kafka_version
  broker_instance_type   = var.msk_broker_instance_type
  broker_volume_size     = var.msk_broker_volume_size
  number_of_broker_nodes = length(local.net.private_subnet_ids)
  client_subnet_ids      = local.net.private_subnet_ids
  security_group_ids     = [local.net.security_group_ids["msk"]]
  kms_key_arn            = local.net.kms_key_arns["streaming"]
  log_kms_key_arn        = local.net.kms_key_arns["logs"]
  log_retention_days     = var.log_retention_days
}

module "ingest_api" {
  source = "../../modules/ingest_api"

  name      = "${local.name_prefix}-ingest"
  image_uri = var.ingest_image_uri
  image_tag = var.ingest_image_tag

  role_arn = local.net.iam_role_arns["ingest_lambda"]

  kafka_bootstrap_brokers        = var.enable_ingest_kafka ? coalesce(module.msk.bootstrap_brokers_sasl_iam, "") : ""
  reserved_concurrent_executions = var.ingest_reserved_concurrency
  encrypt_environment            = var.ingest_encrypt_environment
  enable_dead_letter_config      = var.ingest_enable_dead_letter_config
  enable_json_logging            = var.ingest_json_logging
  qualify_invoke_permission      = var.ingest_qualify_invoke_permission

  subnet_ids         = local.net.private_subnet_ids
  security_group_ids = [local.net.security_group_ids["lambda"]]
  kms_key_arn        = local.net.kms_key_arns["streaming"]
  log_kms_key_arn    = local.net.kms_key_arns["logs"]
  log_retention_days = var.log_retention_days
}
