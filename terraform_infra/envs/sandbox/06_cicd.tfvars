# Stack 06_cicd (sandbox): GitHub OIDC deploy role and ECR.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "sandbox"
  ManagedBy   = "terraform"
  Stack       = "06_cicd"
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

github_repository    = "example-org/data-migration"
allowed_environments = ["sandbox", "sandbox-plan"] # the apply and plan jobs of the generated workflow
create_oidc_provider = true
state_bucket_name    = "dmig-sandbox-tfstate"
lock_table_name      = "dmig-sandbox-tflock"
ecr_force_delete     = true # sandbox teardown
# Least privilege: the pipeline identity pushes images and reads/writes state; everything else it
# does through a Terraform execution role it assumes (created per account outside this stack).
assume_role_arns = ["arn:aws:iam::123456789012:role/dmig-sandbox-terraform-execution"]
