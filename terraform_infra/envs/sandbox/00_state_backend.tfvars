# Stack 00 (sandbox): bucket and table names must equal backend.hcl.
region            = "eu-west-1"
state_bucket_name = "dmig-sandbox-tfstate"
lock_table_name   = "dmig-sandbox-tflock"
tags = {
  Project     = "data-migration"
  Environment = "sandbox"
  ManagedBy   = "terraform"
  Stack       = "00_state_backend"
}

# Sandbox teardown (not a moto gap): destroy must leave moto empty without manual steps.
force_destroy       = true
deletion_protection = false

# moto evaluates bucket-policy conditions only for StringEquals and ignores the rest, so the
# "Deny unless aws:SecureTransport" statement denies every object request, the backend's own included.
enable_tls_only_policy = false

# The evidence signing key: its alias is params evidence.signing.kms_key_id of this environment.
evidence_signing_key_alias = "alias/runbook-evidence-sandbox"
