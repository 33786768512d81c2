# Stack 04_processing (sandbox): Glue and EMR.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "sandbox"
  ManagedBy   = "terraform"
  Stack       = "04_processing"
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

# Sandbox teardown (not moto gaps): destroy must run unattended and leave nothing behind.
force_destroy = true
# moto ignores the aws:SecureTransport condition, so a TLS-only Deny would refuse every request.
enable_tls_only_policy = false

enable_glue                        = true
enable_glue_crawler                = true
enable_glue_security_configuration = true
enable_glue_catalog_encryption     = true
glue_crawler_schedule              = "cron(30 2 * * ? *)"
# Glue jobs: spark_jobs.auto.tfvars.json in the stack, generated from examples/platform/spark_jobs metadata.
enable_emr_steps = true # plan the EMR alternative as an output (nothing is submitted)

enable_emr         = true  # log bucket, security configuration, security groups, role policies: moto creates them
enable_emr_cluster = false # moto: aws_emr_cluster reads back through ListInstanceFleets, which moto does not implement
log_retention_days = 365
