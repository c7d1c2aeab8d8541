# dev-gcp's terraform.tfvars composed with the GCP modules (mock providers: nothing is created).
# The assertions read the same outputs as envs/common's tests: the switch keeps them meaningful.
mock_provider "google" {
  mock_data "google_compute_zones" {
    defaults = { names = ["europe-west1-b", "europe-west1-c", "europe-west1-d"] }
  }
  mock_data "google_project" {
    defaults = { number = "123456789012" }
  }
  mock_resource "google_container_cluster" {
    defaults = {
      endpoint    = "203.0.113.10"
      master_auth = { cluster_ca_certificate = "Y2VydGlmaWNhdGU=" }
    }
  }
}
mock_provider "random" {}

run "dev_on_gcp_is_small_and_disposable" {
  command = apply

  assert {
    condition     = output.nat_gateway_count == 1 && output.cluster_endpoint_public
    error_message = "dev: one Cloud NAT, the API open to the office range."
  }

  assert {
    condition     = !output.database_protections.multi_az && !output.database_protections.deletion_protection && output.database_protections.storage_encrypted && output.database_protections.backup_retention_days == 3
    error_message = "dev: a single zonal, CMEK-encrypted database a destroy may remove, 3 days of backups."
  }

  assert {
    condition     = module.cluster.oidc_provider_arn == "conveyor-dev-1.svc.id.goog" && length(data.google_compute_zones.available.names) == 3
    error_message = "Workload Identity is the project's pool; nodes spread over three zones."
  }
}

run "environment_name_is_checked" {
  command = plan

  variables {
    environment = "production"
  }

  expect_failures = [var.environment]
}

run "cost_center_must_fit_a_label" {
  command = plan

  variables {
    cost_allocation = { team = "conveyor-maintainers", cost_center = "CC.1001" }
  }

  expect_failures = [var.cost_allocation]
}
