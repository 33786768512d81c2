# Stack 06_cicd (prod): GitHub OIDC deploy role and ECR.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "prod"
  ManagedBy   = "terraform"
  Stack       = "06_cicd"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "prod"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-prod-tfstate"
  region = "eu-west-1"
}

github_repository    = "example-org/data-migration"
allowed_environments = ["prod", "prod-plan"] # the apply and plan jobs of the generated workflow
create_oidc_provider = true
state_bucket_name    = "dmig-prod-tfstate"
lock_table_name      = "dmig-prod-tflock"
# Least privilege: the pipeline identity pushes images and reads/writes state; everything else it
# does through a Terraform execution role it assumes (created per account outside this stack).
assume_role_arns = ["arn:aws:iam::111111111111:role/dmig-prod-terraform-execution"]
