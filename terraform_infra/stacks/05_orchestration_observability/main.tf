# Phase 5 - orchestration and observability: MWAA (Airflow), Managed Grafana,
# OpenMetadata (ECS Fargate + its own PostgreSQL and OpenSearch), CloudWatch
# logs/dashboard/alarms with an SNS alert topic and the ADOT collector config,
# and cost budgets.
#
# Reads 01_network_iam, 02_data_stores, 03_streaming_ingestion and
# 04_processing through module "upstream". Its platform output and the try()
# reads below (several candidate output names where the producing stack was
# written in parallel) turn a missing output into a null input instead of a
# failed plan.

locals {
  upstream_stacks = ["01_network_iam", "02_data_stores", "03_streaming_ingestion", "04_processing"] # read through module "upstream" (upstream.tf)

  platform   = module.upstream.platform
  stores     = module.upstream.outputs["02_data_stores"]
  ingestion  = module.upstream.outputs["03_streaming_ingestion"]
  processing = module.upstream.outputs["04_processing"]

  private_subnet_ids = local.platform.private_subnet_ids
  kms_key_arn        = lookup(local.platform.kms_key_arns, var.kms_key_purpose, null)
  logs_kms_key_arn   = lookup(local.platform.kms_key_arns, var.logs_kms_key_purpose, local.kms_key_arn)
  db_kms_key_arn     = lookup(local.platform.kms_key_arns, var.database_kms_key_purpose, local.kms_key_arn)
  ops_kms_key_arn    = lookup(local.platform.kms_key_arns, var.ops_kms_key_purpose, local.kms_key_arn)

  shared_roles     = var.use_shared_roles ? local.platform.iam_role_arns : {}
  mwaa_role_arn    = lookup(local.shared_roles, "mwaa", null)
  grafana_role_arn = lookup(local.shared_roles, "grafana", null)

  rds_identifier = try(local.stores.postgres_identifier, local.stores.rds_identifier, null)

  api_id           = try(local.ingestion.ingest_api_id, local.ingestion.api_id, null)
  api_stage        = try(local.ingestion.ingest_api_stage_name, "$default") # the ingest_api module serves the $default stage
  lambda_functions = compact([try(local.ingestion.ingest_function_name, local.ingestion.function_name, null)])
  msk_cluster_name = try(local.ingestion.msk_cluster_name, module.upstream.outputs["01_network_iam"].msk_cluster_name, null)

  glue_job_arns = values(try(local.processing.glue_job_arns, {}))
  own_om_db     = var.enable_openmetadata_database && var.enable_openmetadata_database_instance

  log_groups = merge(
    { "/${local.name_prefix}/runbook" = { retention_days = var.log_retention_days } },
    var.extra_log_groups,
  )
}

# ---------------------------------------------------------------- observability first: others notify its topic

module "observability" {
  source = "../../modules/observability"

  name_prefix           = local.name_prefix
  kms_key_arn           = local.ops_kms_key_arn
  logs_kms_key_arn      = local.logs_kms_key_arn
  log_groups            = local.log_groups
  alert_subscriptions   = var.alert_subscriptions
  api_gateway           = local.api_id == null ? null : { type = "HTTP", id = local.api_id, stage = local.api_stage }
  lambda_function_names = local.lambda_functions
  rds_instance_ids      = compact([local.rds_identifier])
  msk_cluster_name      = local.msk_cluster_name
  ingest_latency_p95_ms = var.ingest_latency_p95_ms
  rds_cpu_percent       = var.rds_cpu_percent
  create_adot_config    = var.enable_adot_config
  tags                  = var.tags
}

module "mwaa" {
  source = "../../modules/mwaa"

  enable_tls_only_policy = var.enable_tls_only_policy

  create                = var.enable_mwaa
  create_environment    = var.enable_mwaa_environment
  execution_role_arn    = local.mwaa_role_arn
  security_group_id     = lookup(local.platform.security_group_ids, "mwaa", null)
  name_prefix           = local.name_prefix
  vpc_id                = local.platform.vpc_id
  private_subnet_ids    = slice(local.private_subnet_ids, 0, min(2, length(local.private_subnet_ids)))
  kms_key_arn           = local.kms_key_arn
  environment_class     = var.mwaa_environment_class
  max_workers           = var.mwaa_max_workers
  webserver_access_mode = var.mwaa_webserver_access_mode
  glue_job_arns         = local.glue_job_arns
  data_bucket_arns      = local.platform.data_bucket_arns
  force_destroy         = var.force_destroy
  access_log_bucket     = local.platform.access_log_bucket
  tags                  = var.tags
}

module "managed_grafana" {
  source = "../../modules/managed_grafana"

  create                   = var.enable_grafana
  create_workspace         = var.enable_grafana_workspace
  role_arn                 = local.grafana_role_arn
  name_prefix              = local.name_prefix
  authentication_providers = var.grafana_authentication_providers
  alert_topic_arns         = [module.observability.alert_topic_arn]
  tags                     = var.tags
}

module "openmetadata" {
  source = "../../modules/openmetadata"

  create                   = var.enable_openmetadata
  create_service           = var.enable_openmetadata_service
  create_database          = var.enable_openmetadata_database
  create_database_instance = var.enable_openmetadata_database_instance
  create_search            = var.enable_openmetadata_search
  # Without its own database, OpenMetadata uses the platform PostgreSQL of 02_data_stores.
  database_host                 = local.own_om_db ? null : try(local.stores.postgres_address, null)
  database_secret_arn           = local.own_om_db ? null : try(local.stores.postgres_master_user_secret_arn, null)
  name_prefix                   = local.name_prefix
  vpc_id                        = local.platform.vpc_id
  vpc_cidr                      = local.platform.vpc_cidr
  private_subnet_ids            = local.private_subnet_ids
  kms_key_arn                   = local.db_kms_key_arn
  search_kms_key_arn            = local.ops_kms_key_arn
  logs_kms_key_arn              = local.logs_kms_key_arn
  image                         = var.openmetadata.image
  cpu                           = var.openmetadata.cpu
  memory                        = var.openmetadata.memory
  desired_count                 = var.openmetadata.desired_count
  db_instance_class             = var.openmetadata.db_instance_class
  db_multi_az                   = var.openmetadata.db_multi_az
  db_deletion_protection        = var.openmetadata.db_deletion_protection
  db_skip_final_snapshot        = var.force_destroy
  search_instance_type          = var.openmetadata.search_instance_type
  search_instance_count         = var.openmetadata.search_instance_count
  search_dedicated_master_count = var.openmetadata.search_dedicated_master_count
  search_wait_timeout           = var.openmetadata.search_wait_timeout
  secret_recovery_window_days   = var.force_destroy ? 0 : 7
  log_retention_days            = var.log_retention_days
  tags                          = var.tags
}

module "budgets" {
  source = "../../modules/budgets"

  create                    = var.enable_budgets
  name_prefix               = local.name_prefix
  monthly_limit_usd         = var.monthly_budget_usd
  service_budgets           = var.service_budgets_usd
  cost_filter_tags          = var.budget_cost_filter_tags
  enable_notifications      = var.enable_budget_notifications
  subscriber_emails         = var.budget_subscriber_emails
  subscriber_sns_topic_arns = [module.observability.alert_topic_arn]
  tags                      = var.tags
}

check "inputs_from_earlier_stacks" {
  assert {
    condition     = local.kms_key_arn != null && local.platform.vpc_id != null && length(local.private_subnet_ids) >= 2
    error_message = "Missing inputs from 01_network_iam (kms_key_arns[\"${var.kms_key_purpose}\"], vpc_id, two private_subnet_ids): apply it first."
  }
}
