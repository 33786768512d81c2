# Stack 04_processing (staging): Glue and EMR.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "staging"
  ManagedBy   = "terraform"
  Stack       = "04_processing"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "staging"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-staging-tfstate"
  region = "eu-west-1"
}

enable_glue                        = true
enable_glue_crawler                = true
enable_glue_security_configuration = true
enable_glue_catalog_encryption     = true
# Glue jobs: spark_jobs.auto.tfvars.json in the stack (generated from the jobs' metadata); sizing on top:
glue_job_overrides = {
  curate-events = { number_of_workers = 4 }
}

enable_emr               = true
enable_emr_cluster       = true
emr_release_label        = "emr-7.5.0"
emr_core_instance_group  = { instance_type = "m5.xlarge", instance_count = 2 }
emr_idle_timeout_seconds = 3600
log_retention_days       = 365
