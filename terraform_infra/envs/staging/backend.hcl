# Backend of stacks 01-06 in the staging environment (stack 00 creates the bucket and table, with local state).
# The runner adds the key per stack: -backend-config=key=staging/<NN_name>.tfstate
bucket         = "dmig-staging-tfstate"
region         = "eu-west-1"
dynamodb_table = "dmig-staging-tflock"
# No "encrypt = true": the bucket's default encryption is SSE-KMS with the state key of stack 00;
# encrypt = true without kms_key_id would ask for SSE-S3 instead.
