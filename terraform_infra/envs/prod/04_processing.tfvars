# Stack 04_processing (prod): Glue and EMR.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "prod"
  ManagedBy   = "terraform"
  Stack       = "04_processing"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "prod"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-prod-tfstate"
  region = "eu-west-1"
}

enable_glue                        = true
enable_glue_crawler                = true
enable_glue_security_configuration = true
enable_glue_catalog_encryption     = true
glue_crawler_schedule              = "cron(30 2 * * ? *)"
# Glue jobs: spark_jobs.auto.tfvars.json in the stack (generated from the jobs' metadata); sizing on top:
glue_job_overrides = {
  curate-events = {
    execution_class   = "STANDARD"
    worker_type       = "G.2X"
    number_of_workers = 10
    max_retries       = 2
    timeout_minutes   = 240
  }
}
enable_emr_steps = true # the EMR alternative, planned as an output

enable_emr                 = true
enable_emr_cluster         = true
emr_release_label          = "emr-7.5.0"
emr_master_instance_group  = { instance_type = "m5.2xlarge", instance_count = 3 }
emr_core_instance_group    = { instance_type = "r5.2xlarge", instance_count = 4, ebs_size_gb = 512 }
emr_task_instance_group    = { instance_type = "r5.2xlarge", instance_count = 2, bid_price = "0.60" }
emr_idle_timeout_seconds   = 7200
emr_termination_protection = true
log_retention_days         = 365
