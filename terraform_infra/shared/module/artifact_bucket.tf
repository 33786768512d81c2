# The modules that keep their artefacts in a bucket of their own (glue: scripts, emr: logs, mwaa: DAGs;
# symlinked into each): that bucket, built by modules/secure_bucket, and the inputs these modules share.
# Each module sets local.artifact_bucket_name and local.create_artifact_bucket.

variable "force_destroy" {
  description = "Let terraform delete the module's bucket with objects in it. True only in sandbox/dev."
  type        = bool
  default     = false
}

variable "access_log_bucket" {
  description = "Central access-log bucket for the module's bucket; null disables S3 access logging."
  type        = string
  default     = null
}

variable "enable_tls_only_policy" {
  description = "Bucket policy denying non-TLS requests on the module's bucket. Only the sandbox turns it off (moto ignores the aws:SecureTransport condition and would deny everything)."
  type        = bool
  default     = true
}

variable "data_bucket_arns" {
  description = "ARNs of the data lake buckets (raw, curated, analytics) the module's role may use."
  type        = list(string)
  default     = []
}

module "artifact_bucket" {
  source = "../secure_bucket"

  create            = local.create_artifact_bucket
  bucket_name       = local.artifact_bucket_name
  kms_key_arn       = var.kms_key_arn
  force_destroy     = var.force_destroy
  access_log_bucket = var.access_log_bucket
  tags              = var.tags

  enable_tls_only_policy = var.enable_tls_only_policy
}
