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

locals {
  # Cost allocation: the account-wide state and CI identity belong to no one environment.
  tags = {
    "app.kubernetes.io/part-of" = "conveyor"
    "managed-by"                = "terraform"
    "conveyor:team"             = var.cost_allocation.team
    "conveyor:cost-center"      = var.cost_allocation.cost_center
    "conveyor:environment"      = "shared"
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

module "state_backend" {
  source      = "../../modules/state-backend"
  bucket_name = var.state_bucket_name
  tags        = local.tags
}

module "ci_identity" {
  source             = "../../modules/ci-identity"
  name               = "conveyor"
  github_repository  = var.github_repository
  apply_environments = ["dev", "stage", "prod"]
  state_bucket_arn   = module.state_backend.bucket_arn
  state_kms_key_arn  = module.state_backend.kms_key_arn
  tags               = local.tags
}
