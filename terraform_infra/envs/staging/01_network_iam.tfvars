# Stack 01 (staging): network, KMS keys, IAM roles.
region      = "eu-west-1"
name_prefix = "dmig-staging"
tags = {
  Project     = "data-migration"
  Environment = "staging"
  ManagedBy   = "terraform"
  Stack       = "01_network_iam"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "staging"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-staging-tfstate"
  region = "eu-west-1"
}

azs                         = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr                    = "10.42.0.0/16"
public_subnet_cidrs         = ["10.42.0.0/24", "10.42.1.0/24", "10.42.2.0/24"]
private_subnet_cidrs        = ["10.42.16.0/20", "10.42.32.0/20", "10.42.48.0/20"]
enable_nat_gateway          = true
single_nat_gateway          = false
enable_flow_logs            = true
log_retention_days          = 365
kms_deletion_window_in_days = 30
