# tofu init -backend-config=backend.hcl (names from the bootstrap root's outputs; no secrets).
bucket     = "conveyor-tfstate-123456789012"
key        = "dev/terraform.tfstate"
region     = "eu-west-1"
kms_key_id = "alias/conveyor-tfstate-123456789012"
