terraform {
  required_version = ">= 1.10"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.50.0"
    }
    # Used by modules/gcp-postgres, pinned here so the lock file holds it.
    # tflint-ignore: terraform_unused_required_providers
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
  }

  # Partial configuration: bucket, prefix and kms_encryption_key come from backend.hcl
  # (`tofu init -backend-config=backend.hcl`); GCS locks state natively.
  backend "gcs" {}
}
