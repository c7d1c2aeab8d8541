mock_provider "google" {}

variables {
  name       = "conveyor-test"
  project_id = "conveyor-test-1"
  subnets = {
    europe-west1 = {
      cidr_block          = "10.20.0.0/20"
      pods_cidr_block     = "10.21.0.0/16"
      services_cidr_block = "10.20.16.0/20"
    }
  }
  private_services_cidr_block = "10.20.32.0/20"
}

run "nodes_subnet_carries_pod_and_service_ranges_and_flow_logs" {
  command = plan

  assert {
    condition     = google_compute_subnetwork.nodes["europe-west1"].ip_cidr_range == "10.20.0.0/20" && google_compute_subnetwork.nodes["europe-west1"].private_ip_google_access
    error_message = "The nodes' subnet has its range and reaches Google APIs privately."
  }

  assert {
    condition     = { for r in google_compute_subnetwork.nodes["europe-west1"].secondary_ip_range : r.range_name => r.ip_cidr_range } == { pods = "10.21.0.0/16", services = "10.20.16.0/20" }
    error_message = "GKE's pods and Services get their secondary ranges."
  }

  assert {
    condition     = google_compute_subnetwork.nodes["europe-west1"].log_config[0].metadata == "INCLUDE_ALL_METADATA" && google_compute_subnetwork.nodes["europe-west1"].log_config[0].flow_sampling == 0.5
    error_message = "Flow logs are on for every subnet."
  }

  assert {
    condition     = !google_compute_network.this.auto_create_subnetworks
    error_message = "A custom-mode network: no default subnets in every region."
  }
}

run "egress_through_cloud_nat_per_region" {
  command = plan

  variables {
    subnets = {
      europe-west1 = { cidr_block = "10.20.0.0/20", pods_cidr_block = "10.21.0.0/16", services_cidr_block = "10.20.16.0/20" }
      europe-west4 = { cidr_block = "10.22.0.0/20", pods_cidr_block = "10.23.0.0/16", services_cidr_block = "10.22.16.0/20" }
    }
  }

  assert {
    condition     = length(google_compute_router_nat.this) == 2 && output.nat_gateway_count == 2 && length(output.private_subnet_ids) == 2
    error_message = "A subnet, router and Cloud NAT in each region."
  }

  assert {
    condition     = alltrue([for nat in google_compute_router_nat.this : nat.log_config[0].enable && nat.source_subnetwork_ip_ranges_to_nat == "LIST_OF_SUBNETWORKS"])
    error_message = "Cloud NAT translates only the listed subnets and logs its errors."
  }
}

run "private_services_access_for_cloud_sql" {
  command = apply

  assert {
    condition     = google_compute_global_address.private_services.purpose == "VPC_PEERING" && google_compute_global_address.private_services.address == "10.20.32.0" && google_compute_global_address.private_services.prefix_length == 20
    error_message = "The reserved range is the one given, for VPC peering."
  }

  assert {
    condition     = google_service_networking_connection.private_services.service == "servicenetworking.googleapis.com" && output.private_services_range_name == google_compute_global_address.private_services.name
    error_message = "The range is peered to Google's service producers, and the database is given its name."
  }

  assert {
    condition     = output.public_subnet_ids == [] && output.vpc_cidr_block == null && length(output.database_subnet_ids) == 1
    error_message = "The AWS module's outputs exist, empty where GCP has no equivalent."
  }

  assert {
    condition     = google_compute_global_address.private_services.labels["conveyor-component"] == "gcp-network"
    error_message = "Resources carry the module's cost label."
  }
}

run "rejects_a_public_range" {
  command = plan

  variables {
    subnets = {
      europe-west1 = { cidr_block = "8.8.0.0/20", pods_cidr_block = "10.21.0.0/16", services_cidr_block = "10.20.16.0/20" }
    }
  }

  expect_failures = [var.subnets]
}

run "rejects_overlapping_ranges" {
  command = plan

  variables {
    subnets = {
      europe-west1 = { cidr_block = "10.20.0.0/20", pods_cidr_block = "10.20.0.0/16", services_cidr_block = "10.20.16.0/20" }
    }
  }

  expect_failures = [var.subnets]
}

run "rejects_overlapping_regions" {
  command = plan

  variables {
    subnets = {
      europe-west1 = { cidr_block = "10.20.0.0/20", pods_cidr_block = "10.21.0.0/16", services_cidr_block = "10.20.16.0/20" }
      europe-west4 = { cidr_block = "10.20.8.0/21", pods_cidr_block = "10.23.0.0/16", services_cidr_block = "10.22.16.0/20" }
    }
  }

  expect_failures = [var.subnets]
}

run "rejects_a_private_services_range_inside_a_subnet" {
  command = plan

  variables {
    private_services_cidr_block = "10.21.128.0/20"
  }

  expect_failures = [var.private_services_cidr_block]
}

run "rejects_a_pod_range_too_small_for_nodes" {
  command = plan

  variables {
    subnets = {
      europe-west1 = { cidr_block = "10.20.0.0/20", pods_cidr_block = "10.21.0.0/24", services_cidr_block = "10.20.16.0/20" }
    }
  }

  expect_failures = [var.subnets]
}

run "rejects_a_bad_sampling_rate" {
  command = plan

  variables {
    flow_log_sampling = 0
  }

  expect_failures = [var.flow_log_sampling]
}
