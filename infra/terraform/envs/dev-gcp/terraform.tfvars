# dev on Google Cloud: the smallest that runs everything; a destroy removes it all. No secrets here.
environment = "dev"
project_id  = "conveyor-dev-1"
region      = "europe-west1"

network = {
  subnet = {
    cidr_block          = "10.110.0.0/20"
    pods_cidr_block     = "10.111.0.0/16"
    services_cidr_block = "10.110.16.0/20"
  }
  private_services_cidr_block = "10.110.32.0/20"
}

cluster = {
  node_machine_type      = "e2-standard-4"
  node_min_size          = 1
  node_max_size          = 3
  master_ipv4_cidr_block = "10.110.48.0/28"
  endpoint_public_access = true
  public_access_cidrs    = ["203.0.113.0/24"] # the office/VPN range
}

database = {
  tier                  = "db-g1-small"
  disk_size_gb          = 20
  high_availability     = false
  backup_retention_days = 3
  max_connections       = 100
  read_replica          = false
}

cost_allocation = {
  team        = "conveyor-maintainers"
  cost_center = "CC-1001"
}
