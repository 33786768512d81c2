# Stack 01 (dev): network, KMS keys, IAM roles.
region      = "eu-west-1"
name_prefix = "dmig-dev"
tags = {
  Project     = "data-migration"
  Environment = "dev"
  ManagedBy   = "terraform"
  Stack       = "01_network_iam"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "dev"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-dev-tfstate"
  region = "eu-west-1"
}

azs                         = ["eu-west-1a", "eu-west-1b"]
vpc_cidr                    = "10.41.0.0/16"
public_subnet_cidrs         = ["10.41.0.0/24", "10.41.1.0/24"]
private_subnet_cidrs        = ["10.41.16.0/20", "10.41.32.0/20"]
enable_nat_gateway          = true
single_nat_gateway          = true # dev: one NAT is enough, an AZ outage only pauses dev
enable_flow_logs            = true
log_retention_days          = 90
kms_deletion_window_in_days = 7
