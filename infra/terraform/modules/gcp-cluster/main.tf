# GKE, regional: private nodes (no public addresses), a private API endpoint where asked,
# Kubernetes Secrets encrypted in etcd with a Cloud KMS key (application-layer encryption),
# Workload Identity, Shielded nodes with Secure Boot, a release channel, and a node pool the
# cluster autoscaler sizes. The same outputs as modules/cluster.

# Every resource that takes labels carries the caller's cost labels and this module's component
# (docs/platform.md; GCP label keys cannot hold ':', so conveyor-component).
locals {
  labels   = merge(var.labels, { "conveyor-component" = "gcp-cluster" })
  node_tag = "${var.name}-node"
}

data "google_project" "this" {
  project_id = var.project_id
}

# One key for Secrets in etcd and the nodes' boot disks. Key rings cannot be deleted: a destroy
# leaves the ring and schedules the key's versions for destruction (docs/terraform.md).
resource "google_kms_key_ring" "this" {
  project  = var.project_id
  name     = "${var.name}-gke"
  location = var.region
}

resource "google_kms_crypto_key" "this" {
  #checkov:skip=CKV_GCP_82:no prevent_destroy, so dev and stage stay destroyable; destroying a key only schedules its versions' destruction (24 h), and prod's data refuses a destroy first (deletion protection)
  name            = "${var.name}-gke"
  key_ring        = google_kms_key_ring.this.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = "7776000s" # 90 days
  labels          = local.labels
}

# GKE's service agent encrypts Secrets; Compute Engine's encrypts the nodes' disks.
resource "google_kms_crypto_key_iam_member" "agents" {
  for_each = {
    gke     = "serviceAccount:service-${data.google_project.this.number}@container-engine-robot.iam.gserviceaccount.com"
    compute = "serviceAccount:service-${data.google_project.this.number}@compute-system.iam.gserviceaccount.com"
  }
  crypto_key_id = google_kms_crypto_key.this.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value
}

# The nodes' own identity: only what a node needs (logs, metrics, pulling images), not the
# project's default Compute Engine account with Editor. Pods get theirs by Workload Identity.
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${substr(var.name, 0, 24)}-nodes"
  display_name = "${var.name} GKE nodes"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
  ])
  project = var.project_id
  role    = each.key
  member  = google_service_account.nodes.member
}

resource "google_container_cluster" "this" {
  #checkov:skip=CKV_GCP_69:GKE_METADATA (the Workload Identity metadata server) is set on the node pool; this cluster's default pool is removed at creation
  #checkov:skip=CKV_GCP_68:Secure Boot is on in the node pool's shielded_instance_config; the default pool is removed at creation
  #checkov:skip=CKV_GCP_72:integrity monitoring is on in the node pool; the default pool is removed at creation
  #checkov:skip=CKV_GCP_22:Container-Optimized OS is set on the node pool; the default pool is removed at creation
  #checkov:skip=CKV_GCP_65:RBAC through Google Groups needs a Workspace or Cloud Identity domain, outside this module
  #checkov:skip=CKV_GCP_12:NetworkPolicy is enforced by Dataplane V2 (datapath_provider = ADVANCED_DATAPATH), which takes no network_policy block
  #checkov:skip=CKV_GCP_18:a public endpoint is a per-environment choice limited to public_access_cidrs (master authorized networks), and false in stage and prod
  project  = var.project_id
  name     = var.name
  location = var.region

  node_locations = var.node_zones

  # Node pools are managed below: the default one only exists while the cluster is created.
  remove_default_node_pool = true
  initial_node_count       = 1

  network         = var.network_id
  subnetwork      = var.subnetwork_id
  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = !var.endpoint_public_access
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block
    master_global_access_config {
      enabled = true # reachable from the VPC's other regions (prod-dr, a bastion)
    }
  }

  master_authorized_networks_config {
    dynamic "cidr_blocks" {
      for_each = var.public_access_cidrs
      content {
        cidr_block   = cidr_blocks.value
        display_name = "allowed-${cidr_blocks.key}"
      }
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  database_encryption {
    state    = "ENCRYPTED"
    key_name = google_kms_crypto_key.this.id
  }

  release_channel {
    channel = var.release_channel
  }

  enable_shielded_nodes       = true
  enable_legacy_abac          = false
  enable_intranode_visibility = true
  datapath_provider           = "ADVANCED_DATAPATH" # Dataplane V2: NetworkPolicy enforced

  binary_authorization {
    evaluation_mode = "PROJECT_SINGLETON_POLICY_ENFORCE"
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]
    managed_prometheus {
      enabled = true
    }
  }

  security_posture_config {
    mode               = "BASIC"
    vulnerability_mode = "VULNERABILITY_BASIC"
  }

  resource_labels     = local.labels
  deletion_protection = var.deletion_protection

  depends_on = [google_kms_crypto_key_iam_member.agents]
}

resource "google_container_node_pool" "default" {
  project        = var.project_id
  name           = "default"
  cluster        = google_container_cluster.this.id
  location       = var.region
  node_locations = var.node_zones

  # Totals over all zones, as node_min_size/node_max_size say (not per zone).
  autoscaling {
    total_min_node_count = var.node_min_size
    total_max_node_count = var.node_max_size
    location_policy      = "BALANCED"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type      = var.node_machine_type
    image_type        = "COS_CONTAINERD"
    disk_type         = "pd-balanced"
    disk_size_gb      = var.node_disk_gb
    boot_disk_kms_key = google_kms_crypto_key.this.id
    service_account   = google_service_account.nodes.email
    oauth_scopes      = ["https://www.googleapis.com/auth/cloud-platform"] # IAM decides, not scopes
    tags              = [local.node_tag]
    resource_labels   = local.labels
    metadata = {
      disable-legacy-endpoints = "true"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    # Pods see the Workload Identity metadata server, never the node's credentials.
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  lifecycle {
    ignore_changes = [node_count] # the autoscaler owns it
  }
}
