# Backend of stacks 01-06 in the dev environment (stack 00 creates the bucket and table, with local state).
# The runner adds the key per stack: -backend-config=key=dev/<NN_name>.tfstate
bucket         = "dmig-dev-tfstate"
region         = "eu-west-1"
dynamodb_table = "dmig-dev-tflock"
# No "encrypt = true": the bucket's default encryption is SSE-KMS with the state key of stack 00;
# encrypt = true without kms_key_id would ask for SSE-S3 instead.
