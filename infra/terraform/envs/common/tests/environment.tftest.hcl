# dev, stage and prod: each environment's own terraform.tfvars composed with every module (mock
# providers: nothing is created). One file for the three, linked from each tests/ as their *.tf are
# linked from envs/common: what each environment must be is the table in each assertion, keyed by
# var.environment, so a change to one environment's tfvars is checked against the same policy.
mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
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
      identity              = [{ oidc = [{ issuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" }] }]
      certificate_authority = [{ data = "Y2VydGlmaWNhdGU=" }]
    }
  }
  mock_resource "aws_db_instance" {
    defaults = { master_user_secret = [{ secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-db-abc", kms_key_id = "arn:aws:kms:eu-west-1:123456789012:key/db", secret_status = "active" }] }
  }
}
mock_provider "random" {}
mock_provider "helm" {}
mock_provider "kubernetes" {}

# Certificate validation records come from ACM at apply time; modules/dns-tls tests them.
override_module {
  target = module.dns_tls
  outputs = {
    zone_id         = "Z0123456789"
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/example"
  }
}

run "sizes_and_protections_follow_the_environment" {
  command = apply

  assert {
    condition     = output.nat_gateway_count == { dev = 1, stage = 1, prod = 3 }[var.environment]
    error_message = "NAT gateways: one shared in dev and stage (cost), one per zone in prod."
  }

  assert {
    condition     = output.database_protections.multi_az == (var.environment != "dev") && output.database_protections.storage_encrypted
    error_message = "An encrypted database, Multi-AZ in stage and prod (stage rehearses prod), a single instance in dev."
  }

  assert {
    condition     = output.database_protections.deletion_protection == (var.environment == "prod")
    error_message = "Deletion protection in prod; dev and stage may be destroyed."
  }

  assert {
    condition     = output.database_protections.backup_retention_days >= { dev = 1, stage = 7, prod = 14 }[var.environment]
    error_message = "Point-in-time recovery: at least 14 days in prod, 7 in stage."
  }

  assert {
    condition     = output.cluster_endpoint_public == (var.environment == "dev")
    error_message = "The Kubernetes API is private in stage and prod (dev: limited to the office range)."
  }
}

run "environment_name_is_checked" {
  command = plan

  variables {
    environment = "production"
  }

  expect_failures = [var.environment]
}

run "cost_center_must_not_be_empty" {
  command = plan

  variables {
    cost_allocation = { team = "conveyor-maintainers", cost_center = "" }
  }

  expect_failures = [var.cost_allocation]
}

run "team_must_be_a_label_value" {
  command = plan

  variables {
    cost_allocation = { team = "Conveyor Maintainers", cost_center = "CC-1001" }
  }

  expect_failures = [var.cost_allocation]
}
