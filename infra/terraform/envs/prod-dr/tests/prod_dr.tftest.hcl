mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-central-1a", "eu-central-1b", "eu-central-1c"] }
  }
  mock_data "aws_region" {
    defaults = { region = "eu-central-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_resource "aws_eks_cluster" {
    defaults = {
      identity              = [{ oidc = [{ issuer = "https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE" }] }]
      certificate_authority = [{ data = "Y2VydGlmaWNhdGU=" }]
    }
  }
}

run "database_is_a_protected_replica_of_prod" {
  command = plan

  assert {
    condition     = module.postgres.protections.deletion_protection && module.postgres.protections.storage_encrypted
    error_message = "The standby's data is protected like prod's."
  }
}

run "rejects_a_replica_source_that_is_not_an_rds_arn" {
  command = plan

  variables {
    primary_database_arn = "conveyor-prod"
  }

  expect_failures = [var.primary_database_arn]
}
