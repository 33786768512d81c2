# Phase 4 - processing: Glue (catalog, jobs, crawler over the curated zone) and
# EMR (optional Spark cluster with encryption at rest and in transit).
#
# Reads 01_network_iam (VPC, subnets, KMS keys) and 02_data_stores (data lake
# buckets) through module "upstream", whose platform output is null or empty
# where an output is missing, so that it shows up as a null input (and a check
# warning) rather than a crash of the whole plan.

locals {
  upstream_stacks = ["01_network_iam", "02_data_stores"] # read through module "upstream" (upstream.tf)

  platform         = module.upstream.platform
  kms_key_arn      = lookup(local.platform.kms_key_arns, var.kms_key_purpose, null)
  logs_kms_key_arn = lookup(local.platform.kms_key_arns, var.logs_kms_key_purpose, local.kms_key_arn)
  raw_bucket       = lookup(local.platform.data_lake_bucket_names, "raw", null)
  curated_bucket   = lookup(local.platform.data_lake_bucket_names, "curated", null)

  # Shared roles of 01_network_iam (null where it has none, or use_shared_roles = false).
  shared_roles              = var.use_shared_roles ? local.platform.iam_role_arns : {}
  glue_role_arn             = lookup(local.shared_roles, "glue", null)
  emr_service_role_arn      = lookup(local.shared_roles, "emr_service", null)
  emr_instance_profile_name = var.use_shared_roles ? local.platform.emr_instance_profile_name : null
  emr_shared_roles          = local.emr_service_role_arn != null && local.emr_instance_profile_name != null

  # Glue jobs: the platform's Spark jobs (spark_jobs, generated from their metadata into
  # spark_jobs.auto.tfvars.json; a new job is a new <job>.yaml, never a hand-written entry here),
  # each with the environment's glue_job_overrides (sizing) on top. "{raw}", "{curated}", "{analytics}" in an argument become
  # stack 02's data lake buckets; "{scripts}" is left to the glue module (its scripts bucket).
  zone_buckets       = local.platform.data_lake_bucket_names
  glue_job_overrides = { for k, o in var.glue_job_overrides : k => { for field, value in o : field => value if value != null } }
  zone_pattern       = "\\{(raw|curated|analytics)\\}"
  glue_jobs = {
    for k, j in var.spark_jobs : k => merge(
      j,
      try(local.glue_job_overrides[k], {}),
      {
        default_arguments = {
          for name, value in j.default_arguments : name => (
            can(regex(local.zone_pattern, value))
            ? replace(value, "{${regex(local.zone_pattern, value)[0]}}", lookup(local.zone_buckets, regex(local.zone_pattern, value)[0], "MISSING-${regex(local.zone_pattern, value)[0]}-BUCKET"))
            : value
          )
        }
      },
    )
  }

  # The same jobs as EMR steps (the alternative to Glue): planned as an output behind enable_emr_steps,
  # submitted with add-job-flow-steps by whoever runs the cluster; never applied by this stack.
  scripts_bucket = try(module.glue[0].scripts_bucket_name, null)
  emr_spark_steps = [
    for step in var.emr_spark_steps : merge(step, {
      args = [
        for a in step.args : replace(
          can(regex(local.zone_pattern, a)) ? replace(a, "{${regex(local.zone_pattern, a)[0]}}", lookup(local.zone_buckets, regex(local.zone_pattern, a)[0], "MISSING-${regex(local.zone_pattern, a)[0]}-BUCKET")) : a,
          "{scripts}", coalesce(local.scripts_bucket, "MISSING-SCRIPTS-BUCKET"),
        )
      ]
    })
  ]
}

module "glue" {
  source = "../../modules/glue"

  enable_tls_only_policy = var.enable_tls_only_policy
  count                  = var.enable_glue ? 1 : 0

  name_prefix                   = local.name_prefix
  kms_key_arn                   = local.kms_key_arn
  force_destroy                 = var.force_destroy
  access_log_bucket             = local.platform.access_log_bucket
  create_role                   = local.glue_role_arn == null
  role_arn                      = local.glue_role_arn
  data_bucket_arns              = local.platform.data_bucket_arns
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
  instance_role_name            = local.emr_shared_roles ? lookup(local.platform.iam_role_names, "emr_ec2", null) : null
  service_policy_arns           = var.emr_service_policy_arns
  name_prefix                   = local.name_prefix
  vpc_id                        = local.platform.vpc_id
  vpc_cidr                      = local.platform.vpc_cidr
  subnet_id                     = try(local.platform.private_subnet_ids[0], null)
  kms_key_arn                   = local.kms_key_arn
  release_label                 = var.emr_release_label
  master_instance_group         = var.emr_master_instance_group
  core_instance_group           = var.emr_core_instance_group
  task_instance_group           = var.emr_task_instance_group
  idle_timeout_seconds          = var.emr_idle_timeout_seconds
  termination_protection        = var.emr_termination_protection
  in_transit_certificate_s3_uri = coalesce(var.emr_in_transit_certificate_s3_uri, "s3://${local.name_prefix}-glue-scripts-${data.aws_caller_identity.current.account_id}/emr/in-transit-certs.zip")
  data_bucket_arns              = local.platform.data_bucket_arns
  force_destroy                 = var.force_destroy
  access_log_bucket             = local.platform.access_log_bucket
  tags                          = var.tags
}

data "aws_caller_identity" "current" {}

check "spark_job_buckets" {
  assert {
    condition     = !anytrue([for j in local.glue_jobs : anytrue([for v in values(j.default_arguments) : strcontains(v, "MISSING-")])])
    error_message = "A Glue job argument names a data lake zone that 02_data_stores has no bucket for (data_lake_bucket_names): apply 02 first or fix the job's metadata."
  }
}

check "inputs_from_earlier_stacks" {
  assert {
    condition     = local.kms_key_arn != null && local.platform.vpc_id != null && length(local.platform.data_bucket_arns) > 0
    error_message = "Missing inputs from 01_network_iam/02_data_stores (kms_key_arns[\"${var.kms_key_purpose}\"], vpc_id, data_lake_bucket_arns): apply those stacks first."
  }
}
