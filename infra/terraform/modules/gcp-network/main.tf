# A custom-mode VPC on Google Cloud: one subnet per region for the nodes, with the secondary
# ranges GKE gives pods and Services, Cloud NAT per region for egress (nodes have no public
# address), flow logs on every subnet, and private services access so Cloud SQL gets a private
# address in a reserved range and none on the internet. The same outputs as modules/network.

# Every resource that takes labels carries the caller's cost labels and this module's component
# (docs/platform.md; GCP label keys cannot hold ':', so conveyor-component).
locals {
  labels = merge(var.labels, { "conveyor-component" = "gcp-network" })
}

resource "google_compute_network" "this" {
  project                 = var.project_id
  name                    = var.name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

# GCP denies unmatched ingress implicitly; this rule does the same one step earlier so what it
# drops is logged. GKE adds its own allow rules (priority 1000) for nodes, pods and health checks.
# trivy:ignore:AVD-GCP-0074 a deny rule: every port is what it denies
resource "google_compute_firewall" "deny_ingress" {
  project   = var.project_id
  name      = "${var.name}-deny-ingress"
  network   = google_compute_network.this.id
  direction = "INGRESS"
  priority  = 65534

  deny {
    protocol = "all"
  }

  source_ranges = ["0.0.0.0/0"]

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

resource "google_compute_subnetwork" "nodes" {
  for_each                 = var.subnets
  project                  = var.project_id
  name                     = "${var.name}-${each.key}"
  region                   = each.key
  network                  = google_compute_network.this.id
  ip_cidr_range            = each.value.cidr_block
  private_ip_google_access = true # Google APIs (Artifact Registry, KMS, Secret Manager) without NAT

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = each.value.pods_cidr_block
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = each.value.services_cidr_block
  }

  log_config {
    aggregation_interval = var.flow_log_interval
    flow_sampling        = var.flow_log_sampling
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# Cloud NAT is a regional managed service, not an instance per zone: one per region keeps egress
# through a zone outage (unlike AWS, where prod needs a NAT gateway in every zone).
resource "google_compute_router" "this" {
  for_each = var.subnets
  project  = var.project_id
  name     = "${var.name}-${each.key}"
  region   = each.key
  network  = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  for_each                           = var.subnets
  project                            = var.project_id
  name                               = "${var.name}-${each.key}"
  region                             = each.key
  router                             = google_compute_router.this[each.key].name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.nodes[each.key].id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# Private services access: a range of this VPC peered to Google's service producers, from which
# Cloud SQL takes its private addresses.
resource "google_compute_global_address" "private_services" {
  project       = var.project_id
  name          = "${var.name}-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  address       = cidrhost(var.private_services_cidr_block, 0)
  prefix_length = tonumber(split("/", var.private_services_cidr_block)[1])
  network       = google_compute_network.this.id
  labels        = local.labels
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.this.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}
