# tofu init -backend-config=backend.hcl (a versioned bucket with a CMEK key; no secrets).
bucket             = "conveyor-tfstate-conveyor-dev-1"
prefix             = "dev-gcp"
kms_encryption_key = "projects/conveyor-dev-1/locations/europe-west1/keyRings/conveyor-tfstate/cryptoKeys/state"
