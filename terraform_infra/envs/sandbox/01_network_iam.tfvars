# Stack 01 (sandbox): network, KMS keys, IAM roles.
region      = "eu-west-1"
name_prefix = "dmig-sandbox"
tags = {
  Project     = "data-migration"
  Environment = "sandbox"
  ManagedBy   = "terraform"
  Stack       = "01_network_iam"
}

# Earlier stacks' state: the same bucket as backend.hcl. The runner adds the moto endpoint
# (AWS_ENDPOINT_URL_S3, or an "endpoint" entry in this map).
state_key_prefix     = "sandbox"
remote_state_backend = "s3"
remote_state_config = {
  bucket                      = "dmig-sandbox-tfstate"
  region                      = "eu-west-1"
  use_path_style              = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

# Same shape as prod (three AZs, one NAT gateway per AZ, flow logs): moto creates all of it.
azs                         = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr                    = "10.40.0.0/16"
enable_nat_gateway          = true
single_nat_gateway          = false
enable_flow_logs            = true
log_retention_days          = 365
kms_deletion_window_in_days = 7 # sandbox teardown: keys leave pending-deletion sooner
