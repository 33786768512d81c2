# Stacks 01-06 (symlinked into each): the outputs of the earlier stacks this stack reads. Each stack
# names them in local.upstream_stacks (01 reads none); the runbook derives the destroy order of the
# stacks from these lists.

module "upstream" {
  source = "../../modules/stack_outputs"

  stacks               = local.upstream_stacks
  remote_state_backend = var.remote_state_backend
  remote_state_config  = var.remote_state_config
  state_key_prefix     = var.state_key_prefix
}
