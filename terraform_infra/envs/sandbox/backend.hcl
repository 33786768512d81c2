# Backend of stacks 01-06 in the sandbox environment (stack 00 creates the bucket and table, with local state).
# The runner adds the key per stack: -backend-config=key=sandbox/<NN_name>.tfstate
bucket         = "dmig-sandbox-tfstate"
region         = "eu-west-1"
dynamodb_table = "dmig-sandbox-tflock"
# No "encrypt = true": the bucket's default encryption is SSE-KMS with the state key of stack 00;
# encrypt = true without kms_key_id would ask for SSE-S3 instead.
# moto stand-in: path-style addressing, no real credentials or account to look up. The endpoint
# (http://127.0.0.1:<port>) comes from the runner: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB, or
# -backend-config=endpoints={s3="...",dynamodb="..."}.
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
