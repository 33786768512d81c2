# Stack 01 (prod): network, KMS keys, IAM roles.
region      = "eu-west-1"
name_prefix = "dmig-prod"
tags = {
  Project     = "data-migration"
  Environment = "prod"
  ManagedBy   = "terraform"
  Stack       = "01_network_iam"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "prod"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-prod-tfstate"
  region = "eu-west-1"
}

azs                         = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr                    = "10.40.0.0/16"
enable_nat_gateway          = true
single_nat_gateway          = false
enable_flow_logs            = true
log_retention_days          = 365
kms_deletion_window_in_days = 30
database_client_cidrs       = ["172.20.0.0/16"] # on-premises data centre over the site-to-site VPN
