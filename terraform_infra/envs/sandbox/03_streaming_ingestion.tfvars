# Stack 03 (sandbox): MSK and the ingest API.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "sandbox"
  ManagedBy   = "terraform"
  Stack       = "03_streaming_ingestion"
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

enable_msk         = true
enable_msk_cluster = false # moto: no CreateConfiguration API (404) and clusters never leave CREATING (broker log group still applies)
kafka_version      = "3.6.0"
log_retention_days = 365

# moto stubs ECR images (MOTO_LAMBDA_STUB_ECR, on by default), so the real Image path applies here.
ingest_image_tag            = "v1"
ingest_reserved_concurrency = 5
enable_ingest_kafka         = false # no brokers without the cluster

# moto's GetFunction returns no KMSKeyArn, DeadLetterConfig or LoggingConfig, so these settings would
# show as changes on every plan. The DLQ and the log group are still created.
ingest_encrypt_environment       = false
ingest_enable_dead_letter_config = false
ingest_json_logging              = false

# moto's GetPolicy does not return the permission's qualifier (the alias), which would replace it on every plan.
ingest_qualify_invoke_permission = false
