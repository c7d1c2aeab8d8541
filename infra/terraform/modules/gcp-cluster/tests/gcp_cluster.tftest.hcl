mock_provider "google" {
  mock_data "google_project" {
    defaults = { number = "123456789012" }
  }
  mock_resource "google_container_cluster" {
    defaults = {
      endpoint    = "10.20.48.2"
      master_auth = { cluster_ca_certificate = "Y2VydGlmaWNhdGU=" }
    }
  }
}

variables {
  name                   = "conveyor-test"
  project_id             = "conveyor-test-1"
  region                 = "europe-west1"
  node_zones             = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
  network_id             = "projects/conveyor-test-1/global/networks/conveyor-test"
  subnetwork_id          = "projects/conveyor-test-1/regions/europe-west1/subnetworks/conveyor-test-europe-west1"
  pods_range_name        = "pods"
  services_range_name    = "services"
  master_ipv4_cidr_block = "10.20.48.0/28"
  endpoint_public_access = false
  node_machine_type      = "n2d-standard-4"
  node_min_size          = 3
  node_max_size          = 9
}

run "prod_nodes_and_api_are_private_and_secrets_encrypted" {
  command = plan

  assert {
    condition     = google_container_cluster.this.private_cluster_config[0].enable_private_nodes && google_container_cluster.this.private_cluster_config[0].enable_private_endpoint
    error_message = "prod: nodes without public addresses, the API on its private endpoint only."
  }

  assert {
    condition     = google_container_cluster.this.database_encryption[0].state == "ENCRYPTED" && google_container_cluster.this.database_encryption[0].key_name == google_kms_crypto_key.this.id
    error_message = "Kubernetes Secrets are encrypted in etcd with the module's Cloud KMS key."
  }

  assert {
    condition     = google_kms_crypto_key.this.rotation_period == "7776000s" && length(google_kms_crypto_key_iam_member.agents) == 2
    error_message = "The key rotates every 90 days and only GKE's and Compute Engine's service agents use it."
  }

  assert {
    condition     = google_kms_crypto_key_iam_member.agents["gke"].member == "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"
    error_message = "The key is granted to the project's GKE service agent."
  }
}

run "workload_identity_and_shielded_nodes" {
  command = plan

  assert {
    condition     = google_container_cluster.this.workload_identity_config[0].workload_pool == "conveyor-test-1.svc.id.goog"
    error_message = "Workload Identity: pods get Google identities through the project's pool."
  }

  assert {
    condition     = google_container_node_pool.default.node_config[0].workload_metadata_config[0].mode == "GKE_METADATA"
    error_message = "Pods reach the Workload Identity metadata server, never the node's credentials."
  }

  assert {
    condition     = google_container_cluster.this.enable_shielded_nodes && google_container_node_pool.default.node_config[0].shielded_instance_config[0].enable_secure_boot && google_container_node_pool.default.node_config[0].shielded_instance_config[0].enable_integrity_monitoring
    error_message = "Shielded nodes with Secure Boot and integrity monitoring."
  }

  assert {
    condition     = google_container_node_pool.default.node_config[0].boot_disk_kms_key == google_kms_crypto_key.this.id && google_container_node_pool.default.node_config[0].service_account == google_service_account.nodes.email
    error_message = "Nodes' disks use the customer-managed key; nodes run as their own least-privilege account."
  }

  assert {
    condition     = !contains(keys(google_project_iam_member.nodes), "roles/editor") && length(google_project_iam_member.nodes) == 5
    error_message = "The nodes' account holds only logging, monitoring and image-pull roles."
  }
}

run "autoscaled_pool_on_a_release_channel" {
  command = plan

  assert {
    condition     = google_container_node_pool.default.autoscaling[0].total_min_node_count == 3 && google_container_node_pool.default.autoscaling[0].total_max_node_count == 9
    error_message = "The autoscaler sizes the pool between node_min_size and node_max_size in total."
  }

  assert {
    condition     = google_container_cluster.this.release_channel[0].channel == "REGULAR" && google_container_node_pool.default.management[0].auto_upgrade
    error_message = "The cluster follows a release channel and nodes upgrade with it."
  }

  assert {
    condition     = google_container_cluster.this.remove_default_node_pool && google_container_cluster.this.deletion_protection
    error_message = "The default pool is replaced by the managed one; the cluster refuses a destroy."
  }
}

run "outputs_match_the_aws_module" {
  command = apply

  assert {
    condition     = output.endpoint == "https://10.20.48.2" && output.certificate_authority_data == "Y2VydGlmaWNhdGU=" && !output.endpoint_public_access
    error_message = "The endpoint and CA come out in the shape the kubernetes and helm providers take."
  }

  assert {
    condition     = output.oidc_provider_arn == "conveyor-test-1.svc.id.goog" && output.cluster_autoscaler_role_arn == null && output.node_security_group_id == "conveyor-test-node"
    error_message = "The AWS module's outputs exist, mapped to their GCP equivalents or null."
  }
}

run "dev_may_open_the_api_to_listed_ranges" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["203.0.113.0/24"]
  }

  assert {
    condition     = !google_container_cluster.this.private_cluster_config[0].enable_private_endpoint && google_container_cluster.this.private_cluster_config[0].enable_private_nodes
    error_message = "A public API endpoint still keeps the nodes private."
  }

  assert {
    condition     = [for block in google_container_cluster.this.master_authorized_networks_config[0].cidr_blocks : block.cidr_block] == ["203.0.113.0/24"]
    error_message = "Only the listed ranges reach the API."
  }
}

run "rejects_an_open_api" {
  command = plan

  variables {
    public_access_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_a_public_control_plane_range" {
  command = plan

  variables {
    master_ipv4_cidr_block = "34.1.2.0/28"
  }

  expect_failures = [var.master_ipv4_cidr_block]
}

run "rejects_an_unknown_release_channel" {
  command = plan

  variables {
    release_channel = "NIGHTLY"
  }

  expect_failures = [var.release_channel]
}

run "rejects_max_below_min" {
  command = plan

  variables {
    node_max_size = 2
  }

  expect_failures = [var.node_max_size]
}
