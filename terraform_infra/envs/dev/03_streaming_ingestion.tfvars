# Stack 03 (dev): MSK and the ingest API.
region = "eu-west-1"
tags = {
  Project     = "data-migration"
  Environment = "dev"
  ManagedBy   = "terraform"
  Stack       = "03_streaming_ingestion"
}

# Earlier stacks' state: the same bucket as backend.hcl.
state_key_prefix     = "dev"
remote_state_backend = "s3"
remote_state_config = {
  bucket = "dmig-dev-tfstate"
  region = "eu-west-1"
}

enable_msk                       = true
enable_msk_cluster               = true
kafka_version                    = "3.6.0"
msk_broker_instance_type         = "kafka.t3.small"
msk_broker_volume_size           = 50
log_retention_days               = 90
ingest_image_tag                 = "v1"
ingest_reserved_concurrency      = 5
enable_ingest_kafka              = true
ingest_encrypt_environment       = true
ingest_enable_dead_letter_config = true
ingest_json_logging              = true
