# tofu init -backend-config=backend.hcl. The state bucket lives in prod's region: a DR plan
# must not depend on the region it replaces being able to serve state, so copy it (S3
# replication, docs/terraform.md) before relying on it in a regional outage.
bucket     = "conveyor-tfstate-123456789012"
key        = "prod-dr/terraform.tfstate"
region     = "eu-west-1"
kms_key_id = "alias/conveyor-tfstate-123456789012"
