# Stack 04_processing (dev): Glue and EMR.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "dev"
  ManagedBy   = "terraform"
  Stack       = "04_processing"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "dev"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-dev-tfstate"
  region = "eu-west-1"
}

force_destroy = true # dev is rebuilt freely

enable_glue                        = true
enable_glue_crawler                = true
enable_glue_security_configuration = true
enable_glue_catalog_encryption     = true
glue_crawler_schedule              = "cron(30 2 * * ? *)"
# Glue jobs: spark_jobs.auto.tfvars.json in the stack, generated from the jobs' metadata; sizing as there.

enable_emr               = true
enable_emr_cluster       = false # dev runs Spark on Glue; start a cluster from the security configuration when needed
emr_idle_timeout_seconds = 1800
log_retention_days       = 90
