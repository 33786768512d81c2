output "outputs" {
  description = "Root outputs of each stack read, by stack name."
  value       = { for s, state in data.terraform_remote_state.this : s => state.outputs }
}

output "platform" {
  description = "What the workload stacks (04-06) take from 01_network_iam and 02_data_stores, null or empty where a stack is not read or lacks the output: name_prefix, vpc_id, vpc_cidr, private_subnet_ids, security_group_ids, kms_key_arns, iam_role_arns, iam_role_names, emr_instance_profile_name, data_lake_bucket_names, data_lake_bucket_arns, data_bucket_arns (raw, curated, analytics) and access_log_bucket."
  value = {
    name_prefix               = try(local.network.name_prefix, null)
    vpc_id                    = try(local.network.vpc_id, null)
    vpc_cidr                  = try(local.network.vpc_cidr_block, null)
    private_subnet_ids        = try(local.network.private_subnet_ids, [])
    security_group_ids        = try(local.network.security_group_ids, {})
    kms_key_arns              = try(local.network.kms_key_arns, {})
    iam_role_arns             = try(local.network.iam_role_arns, {})
    iam_role_names            = try(local.network.iam_role_names, {})
    emr_instance_profile_name = try(local.network.emr_instance_profile_name, null)
    data_lake_bucket_names    = try(local.stores.data_lake_bucket_names, {})
    data_lake_bucket_arns     = local.bucket_arns
    data_bucket_arns          = [for z in ["raw", "curated", "analytics"] : local.bucket_arns[z] if contains(keys(local.bucket_arns), z)]
    access_log_bucket         = try(local.stores.access_log_bucket_name, null)
  }
}
