# Stack 00 (staging): bucket and table names must equal backend.hcl.
region            = "eu-west-1"
state_bucket_name = "dmig-staging-tfstate"
lock_table_name   = "dmig-staging-tflock"
tags = {
  Project     = "data-migration"
  Environment = "staging"
  ManagedBy   = "terraform"
  Stack       = "00_state_backend"
}

force_destroy       = false
deletion_protection = true

enable_tls_only_policy = true

# The evidence signing key: its alias is params evidence.signing.kms_key_id of this environment.
evidence_signing_key_alias = "alias/runbook-evidence-staging"
