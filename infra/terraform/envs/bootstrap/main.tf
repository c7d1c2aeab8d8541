# The first root applied in an account, with local state: the state bucket every environment
# uses, and the CI identity that plans and applies them. After the first apply, move this
# root's own state into the bucket (docs/terraform.md, "Bootstrap").

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
  }
}

variable "region" {
  description = "Region of the state bucket."
  type        = string
}

variable "state_bucket_name" {
  description = "Globally unique name of the state bucket."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows plan and apply."
  type        = string
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { "app.kubernetes.io/part-of" = "conveyor", "managed-by" = "terraform" }
  }
}

module "state_backend" {
  source      = "../../modules/state-backend"
  bucket_name = var.state_bucket_name
}

module "ci_identity" {
  source             = "../../modules/ci-identity"
  name               = "conveyor"
  github_repository  = var.github_repository
  apply_environments = ["dev", "stage", "prod"]
  state_bucket_arn   = module.state_backend.bucket_arn
  state_kms_key_arn  = module.state_backend.kms_key_arn
}

output "state_bucket" {
  description = "bucket = … in each environment's backend.hcl."
  value       = module.state_backend.bucket
}

output "state_kms_key_arn" {
  description = "kms_key_id = … in each environment's backend.hcl."
  value       = module.state_backend.kms_key_arn
}

output "plan_role_arn" {
  description = "AWS_PLAN_ROLE_ARN for the workflows."
  value       = module.ci_identity.plan_role_arn
}

output "apply_role_arn" {
  description = "AWS_APPLY_ROLE_ARN for the workflows' protected environments."
  value       = module.ci_identity.apply_role_arn
}
