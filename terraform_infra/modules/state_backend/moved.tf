# The state bucket moved into modules/secure_bucket (module "bucket"): these blocks carry the existing
# state over, so an apply moves the addresses instead of replacing the bucket that holds every state.

moved {
  from = aws_s3_bucket.this
  to   = module.bucket.aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.this
  to   = module.bucket.aws_s3_bucket_ownership_controls.this[0]
}

moved {
  from = aws_s3_bucket_public_access_block.this
  to   = module.bucket.aws_s3_bucket_public_access_block.this[0]
}

moved {
  from = aws_s3_bucket_versioning.this
  to   = module.bucket.aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this
  to   = module.bucket.aws_s3_bucket_server_side_encryption_configuration.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this
  to   = module.bucket.aws_s3_bucket_lifecycle_configuration.this[0]
}

moved {
  from = aws_s3_bucket_logging.this[0]
  to   = module.bucket.aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_policy.this[0]
  to   = module.bucket.aws_s3_bucket_policy.this[0]
}
