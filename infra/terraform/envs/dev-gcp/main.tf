# dev on Google Cloud: envs/common's network, cluster and database with the GCP modules in
# their place. The switch is the module sources (modules/gcp-*) and the inputs GCP names
# differently (project, region, ranges); the outputs are the AWS environment's, read from the
# same module outputs. Redis, DNS/TLS, the edge and the chart install have no GCP modules yet
# (docs/terraform.md, "How GCP differs").

locals {
  name = "conveyor-${var.environment}"
  # Cost allocation as labels (GCP keys cannot hold ':'; values are lowercase): the provider's
  # default_labels on every resource that takes labels, plus conveyor-component from each module.
  labels = {
    "part-of"              = "conveyor"
    "managed-by"           = "terraform"
    "conveyor-team"        = var.cost_allocation.team
    "conveyor-cost-center" = lower(var.cost_allocation.cost_center)
    "conveyor-environment" = var.environment
  }
}

provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = local.labels
}

data "google_compute_zones" "available" {
  region = var.region
  status = "UP"
}

module "network" {
  source                      = "../../modules/gcp-network"
  name                        = local.name
  project_id                  = var.project_id
  subnets                     = { (var.region) = var.network.subnet }
  private_services_cidr_block = var.network.private_services_cidr_block
  labels                      = local.labels
}

module "cluster" {
  source                 = "../../modules/gcp-cluster"
  name                   = local.name
  project_id             = var.project_id
  region                 = var.region
  node_zones             = slice(sort(data.google_compute_zones.available.names), 0, 3)
  network_id             = module.network.vpc_id
  subnetwork_id          = module.network.private_subnet_ids[0]
  pods_range_name        = module.network.pods_range_name
  services_range_name    = module.network.services_range_name
  master_ipv4_cidr_block = var.cluster.master_ipv4_cidr_block
  endpoint_public_access = var.cluster.endpoint_public_access
  public_access_cidrs    = var.cluster.public_access_cidrs
  node_machine_type      = var.cluster.node_machine_type
  node_min_size          = var.cluster.node_min_size
  node_max_size          = var.cluster.node_max_size
  deletion_protection    = var.environment == "prod"
  labels                 = local.labels
}

module "postgres" {
  source                = "../../modules/gcp-postgres"
  name                  = local.name
  project_id            = var.project_id
  region                = var.region
  environment           = var.environment
  network_id            = module.network.vpc_id
  allocated_ip_range    = module.network.private_services_range_name
  tier                  = var.database.tier
  disk_size_gb          = var.database.disk_size_gb
  high_availability     = var.database.high_availability
  backup_retention_days = var.database.backup_retention_days
  max_connections       = var.database.max_connections
  read_replica          = var.database.read_replica
  labels                = local.labels
}
