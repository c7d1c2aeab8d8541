# dev: the smallest that runs everything; a destroy removes it all. No secrets here.
environment  = "dev"
region       = "eu-west-1"
vpc_cidr     = "10.10.0.0/16"
zone_name    = "dev.conveyor.example.com"
image_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

cluster = {
  node_instance_types    = ["t4g.large"]
  node_min_size          = 1
  node_max_size          = 3
  endpoint_public_access = true
  public_access_cidrs    = ["203.0.113.0/24"] # the office/VPN range
}

database = {
  instance_class        = "db.t4g.micro"
  allocated_storage_gb  = 20
  multi_az              = false
  backup_retention_days = 3
  max_connections       = 100
  read_replica          = false
}

redis = {
  node_type = "cache.t4g.micro"
  replicas  = 0
}

cost_allocation = {
  team        = "conveyor-maintainers"
  cost_center = "CC-1001"
}
