# Phase 4 - processing: Glue (catalog, jobs, crawler over the curated zone) and
# EMR (optional Spark cluster with encryption at rest and in transit).
#
# Reads 01_network_iam (VPC, subnets, KMS keys) and 02_data_stores (data lake
# buckets) through remote state. Every read is wrapped in try() so that a
# missing output shows up as a null input (and a precondition message) rather
# than a crash of the whole plan.

locals {

  # The local backend rejects a "key" argument, so for offline trials
  # remote_state_config.path names a directory holding <prefix>/<stack>.tfstate.
  remote_state = {
    for s in ["01_network_iam", "02_data_stores"] : s => (
      var.remote_state_backend == "local"
      ? tomap({ path = "${try(var.remote_state_config["path"], ".")}/${var.state_key_prefix}/${s}.tfstate" })
      : merge(var.remote_state_config, { key = "${var.state_key_prefix}/${s}.tfstate" })
    )
  }

  network = data.terraform_remote_state.network_iam.outputs
  stores  = data.terraform_remote_state.data_stores.outputs

  name_prefix        = coalesce(var.name_prefix, try(local.network.name_prefix, null), "dmig-${var.state_key_prefix}")
  vpc_id             = try(local.network.vpc_id, null)
  vpc_cidr           = try(local.network.vpc_cidr_block, null)
  private_subnet_ids = try(local.network.private_subnet_ids, [])
  kms_key_arn        = try(local.network.kms_key_arns[var.kms_key_purpose], null)
  logs_kms_key_arn   = try(local.network.kms_key_arns[var.logs_kms_key_purpose], local.kms_key_arn)

  bucket_names      = try(local.stores.data_lake_bucket_names, {})
  bucket_arns       = try(local.stores.data_lake_bucket_arns, {})
  access_log_bucket = try(local.stores.access_log_bucket_name, null)
  data_bucket_arns  = [for z in ["raw", "curated", "analytics"] : local.bucket_arns[z] if contains(keys(local.bucket_arns), z)]
  raw_bucket        = try(local.bucket_names["raw"], null)
  artifacts_bucket  = try(local.bucket_names["artifacts"], null)

  # Shared roles of 01_network_iam (null where it has none, or use_shared_roles = false).
  shared_roles              = var.use_shared_roles ? try(local.network.iam_role_arns, {}) : {}
  shared_role_names         = var.use_shared_roles ? try(local.network.iam_role_names, {}) : {}
  glue_role_arn             = lookup(local.shared_roles, "glue", null)
  emr_service_role_arn      = lookup(local.shared_roles, "emr_service", null)
  emr_instance_profile_name = var.use_shared_roles ? try(local.network.emr_instance_profile_name, null) : null
  emr_shared_roles          = local.emr_service_role_arn != null && local.emr_instance_profile_name != null
  curated_bucket            = try(local.bucket_names["curated"], null)

  # Module defaults for the sample job: read the raw zone, write the curated zone.
  glue_jobs = {
    for k, j in var.glue_jobs : k => merge(j, {
      default_arguments = merge(
        local.raw_bucket == null ? {} : { "--source_path" = "s3://${local.raw_bucket}/events/" },
        local.curated_bucket == null ? {} : { "--target_path" = "s3://${local.curated_bucket}/events/" },
        j.default_arguments,
      )
    })
  }
}

data "terraform_remote_state" "network_iam" {
  backend = var.remote_state_backend
  config  = local.remote_state["01_network_iam"]
}

data "terraform_remote_state" "data_stores" {
  backend = var.remote_state_backend
  config  = local.remote_state["02_data_stores"]
}

module "glue" {
  source = "../../modules/glue"

  enable_tls_only_policy = var.enable_tls_only_policy
  count                  = var.enable_glue ? 1 : 0

  name_prefix                   = local.name_prefix
  kms_key_arn                   = local.kms_key_arn
  force_destroy                 = var.force_destroy
  access_log_bucket             = local.access_log_bucket
  create_role                   = local.glue_role_arn == null
  role_arn                      = local.glue_role_arn
  data_bucket_arns              = local.data_bucket_arns
  jobs                          = local.glue_jobs
  create_crawler                = var.enable_glue_crawler
  crawler_s3_targets            = local.curated_bucket == null ? [] : ["s3://${local.curated_bucket}/"]
  crawler_schedule              = var.glue_crawler_schedule
  create_security_configuration = var.enable_glue_security_configuration
  enable_catalog_encryption     = var.enable_glue_catalog_encryption
  log_retention_days            = var.log_retention_days
  logs_kms_key_arn              = local.logs_kms_key_arn
  tags                          = var.tags
}

module "emr" {
  source = "../../modules/emr"

  enable_tls_only_policy = var.enable_tls_only_policy

  create                        = var.enable_emr
  create_cluster                = var.enable_emr_cluster
  create_roles                  = !local.emr_shared_roles
  service_role_arn              = local.emr_service_role_arn
  instance_profile_name         = local.emr_instance_profile_name
  instance_role_name            = local.emr_shared_roles ? lookup(local.shared_role_names, "emr_ec2", null) : null
  service_policy_arns           = var.emr_service_policy_arns
  name_prefix                   = local.name_prefix
  vpc_id                        = local.vpc_id
  vpc_cidr                      = local.vpc_cidr
  subnet_id                     = try(local.private_subnet_ids[0], null)
  kms_key_arn                   = local.kms_key_arn
  release_label                 = var.emr_release_label
  master_instance_group         = var.emr_master_instance_group
  core_instance_group           = var.emr_core_instance_group
  task_instance_group           = var.emr_task_instance_group
  idle_timeout_seconds          = var.emr_idle_timeout_seconds
  termination_protection        = var.emr_termination_protection
  in_transit_certificate_s3_uri = coalesce(var.emr_in_transit_certificate_s3_uri, "s3://${local.name_prefix}-glue-scripts-${data.aws_caller_identity.current.account_id}/emr/in-transit-certs.zip")
  data_bucket_arns              = local.data_bucket_arns
  force_destroy                 = var.force_destroy
  access_log_bucket             = local.access_log_bucket
  tags                          = var.tags
}

data "aws_caller_identity" "current" {}

check "inputs_from_earlier_stacks" {
  assert {
    condition     = local.kms_key_arn != null && local.vpc_id != null && length(local.data_bucket_arns) > 0
    error_message = "Missing inputs from 01_network_iam/02_data_stores (kms_key_arns[\"${var.kms_key_purpose}\"], vpc_id, data_lake_bucket_arns): apply those stacks first."
  }
}
