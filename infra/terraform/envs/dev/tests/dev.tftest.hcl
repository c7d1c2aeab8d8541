# dev's terraform.tfvars composed with every module (mock providers: nothing is created).
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

run "dev_is_small_and_disposable" {
  command = apply

  assert {
    condition     = output.nat_gateway_count == 1
    error_message = "dev: one shared NAT gateway."
  }

  assert {
    condition     = !output.database_protections.multi_az && !output.database_protections.deletion_protection && output.database_protections.storage_encrypted
    error_message = "dev: a single encrypted instance a destroy may remove."
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
