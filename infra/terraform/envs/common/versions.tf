terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
    # Used by modules/redis, pinned here so the lock file holds it.
    # tflint-ignore: terraform_unused_required_providers
    random = {
      source  = "hashicorp/random"
      version = "3.7.2"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "2.17.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "2.38.0"
    }
  }

  # Partial configuration: bucket, key, region and kms_key_id come from backend.hcl
  # (`tofu init -backend-config=backend.hcl`); locking is S3's lock file (ADR 0903).
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
