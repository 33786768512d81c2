# The buckets moved into modules/secure_bucket (module "zone" per zone, module "access_logs"): these
# blocks carry existing state over, so an apply moves the addresses instead of replacing the buckets.
# Moved blocks take no for_each, hence one per zone of 01_network_iam's naming contract.

moved {
  from = aws_s3_bucket.this["raw"]
  to   = module.zone["raw"].aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.this["raw"]
  to   = module.zone["raw"].aws_s3_bucket_ownership_controls.this[0]
}

moved {
  from = aws_s3_bucket_public_access_block.this["raw"]
  to   = module.zone["raw"].aws_s3_bucket_public_access_block.this[0]
}

moved {
  from = aws_s3_bucket_versioning.this["raw"]
  to   = module.zone["raw"].aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this["raw"]
  to   = module.zone["raw"].aws_s3_bucket_server_side_encryption_configuration.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this["raw"]
  to   = module.zone["raw"].aws_s3_bucket_lifecycle_configuration.this[0]
}

moved {
  from = aws_s3_bucket_policy.this["raw"]
  to   = module.zone["raw"].aws_s3_bucket_policy.this[0]
}

moved {
  from = aws_s3_bucket_notification.this["raw"]
  to   = module.zone["raw"].aws_s3_bucket_notification.this[0]
}

moved {
  from = aws_s3_bucket.this["curated"]
  to   = module.zone["curated"].aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.this["curated"]
  to   = module.zone["curated"].aws_s3_bucket_ownership_controls.this[0]
}

moved {
  from = aws_s3_bucket_public_access_block.this["curated"]
  to   = module.zone["curated"].aws_s3_bucket_public_access_block.this[0]
}

moved {
  from = aws_s3_bucket_versioning.this["curated"]
  to   = module.zone["curated"].aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this["curated"]
  to   = module.zone["curated"].aws_s3_bucket_server_side_encryption_configuration.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this["curated"]
  to   = module.zone["curated"].aws_s3_bucket_lifecycle_configuration.this[0]
}

moved {
  from = aws_s3_bucket_policy.this["curated"]
  to   = module.zone["curated"].aws_s3_bucket_policy.this[0]
}

moved {
  from = aws_s3_bucket_notification.this["curated"]
  to   = module.zone["curated"].aws_s3_bucket_notification.this[0]
}

moved {
  from = aws_s3_bucket.this["analytics"]
  to   = module.zone["analytics"].aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.this["analytics"]
  to   = module.zone["analytics"].aws_s3_bucket_ownership_controls.this[0]
}

moved {
  from = aws_s3_bucket_public_access_block.this["analytics"]
  to   = module.zone["analytics"].aws_s3_bucket_public_access_block.this[0]
}

moved {
  from = aws_s3_bucket_versioning.this["analytics"]
  to   = module.zone["analytics"].aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this["analytics"]
  to   = module.zone["analytics"].aws_s3_bucket_server_side_encryption_configuration.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this["analytics"]
  to   = module.zone["analytics"].aws_s3_bucket_lifecycle_configuration.this[0]
}

moved {
  from = aws_s3_bucket_policy.this["analytics"]
  to   = module.zone["analytics"].aws_s3_bucket_policy.this[0]
}

moved {
  from = aws_s3_bucket_notification.this["analytics"]
  to   = module.zone["analytics"].aws_s3_bucket_notification.this[0]
}

moved {
  from = aws_s3_bucket.this["artifacts"]
  to   = module.zone["artifacts"].aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.this["artifacts"]
  to   = module.zone["artifacts"].aws_s3_bucket_ownership_controls.this[0]
}

moved {
  from = aws_s3_bucket_public_access_block.this["artifacts"]
  to   = module.zone["artifacts"].aws_s3_bucket_public_access_block.this[0]
}

moved {
  from = aws_s3_bucket_versioning.this["artifacts"]
  to   = module.zone["artifacts"].aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this["artifacts"]
  to   = module.zone["artifacts"].aws_s3_bucket_server_side_encryption_configuration.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this["artifacts"]
  to   = module.zone["artifacts"].aws_s3_bucket_lifecycle_configuration.this[0]
}

moved {
  from = aws_s3_bucket_policy.this["artifacts"]
  to   = module.zone["artifacts"].aws_s3_bucket_policy.this[0]
}

moved {
  from = aws_s3_bucket_notification.this["artifacts"]
  to   = module.zone["artifacts"].aws_s3_bucket_notification.this[0]
}

moved {
  from = aws_s3_bucket.access_logs[0]
  to   = module.access_logs.aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs[0]
  to   = module.access_logs.aws_s3_bucket_ownership_controls.this[0]
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs[0]
  to   = module.access_logs.aws_s3_bucket_public_access_block.this[0]
}

moved {
  from = aws_s3_bucket_versioning.access_logs[0]
  to   = module.access_logs.aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs[0]
  to   = module.access_logs.aws_s3_bucket_server_side_encryption_configuration.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs[0]
  to   = module.access_logs.aws_s3_bucket_lifecycle_configuration.this[0]
}

moved {
  from = aws_s3_bucket_policy.access_logs[0]
  to   = module.access_logs.aws_s3_bucket_policy.this[0]
}
