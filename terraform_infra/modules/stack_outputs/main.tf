# Reads the outputs of earlier stacks of the same environment from their remote state, so every stack
# says only which stacks it reads (module "upstream" of shared/stack/upstream.tf).

locals {
  # s3: the backend settings plus the stack's key. local (offline trials): remote_state_config.path is a
  # folder holding <state_key_prefix>/<stack>.tfstate, because the local backend rejects a key argument.
  state_config = {
    for s in var.stacks : s => (
      var.remote_state_backend == "local"
      ? tomap({ path = "${try(var.remote_state_config["path"], ".")}/${var.state_key_prefix}/${s}.tfstate" })
      : merge(var.remote_state_config, { key = "${var.state_key_prefix}/${s}.tfstate" })
    )
  }

  network     = try(data.terraform_remote_state.this["01_network_iam"].outputs, {})
  stores      = try(data.terraform_remote_state.this["02_data_stores"].outputs, {})
  bucket_arns = try(local.stores.data_lake_bucket_arns, {})
}

data "terraform_remote_state" "this" {
  for_each = local.state_config

  backend = var.remote_state_backend
  config  = each.value
}
