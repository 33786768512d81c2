# Stack 00: the S3 bucket and DynamoDB table that hold every other stack's state and locks.
# Bootstrapped once per environment with local state (see README.md, "Bootstrap").

module "state_backend" {
  source = "../../modules/state_backend"

  bucket_name         = var.state_bucket_name
  lock_table_name     = var.lock_table_name
  force_destroy       = var.force_destroy
  deletion_protection = var.deletion_protection
  access_log_bucket   = var.access_log_bucket

  enable_tls_only_policy = var.enable_tls_only_policy
}
