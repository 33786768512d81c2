# Where the module is applied: account, partition and region, for the ARNs it builds (symlinked into
# the modules that need them). Explicit account ids also keep ids well-formed in the sandbox, where
# the provider skips its own account lookup.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
}
