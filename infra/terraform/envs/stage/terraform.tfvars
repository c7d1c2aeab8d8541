# stage: prod's shape at a smaller size (Multi-AZ database, a cache replica). No secrets here.
environment  = "stage"
region       = "eu-west-1"
vpc_cidr     = "10.20.0.0/16"
zone_name    = "stage.conveyor.example.com"
image_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

cluster = {
  node_instance_types    = ["m7g.large", "m6g.large"]
  node_min_size          = 2
  node_max_size          = 6
  endpoint_public_access = false
}

database = {
  instance_class        = "db.m7g.large"
  allocated_storage_gb  = 50
  multi_az              = true
  backup_retention_days = 7
  max_connections       = 200
  read_replica          = false
}

redis = {
  node_type = "cache.m7g.large"
  replicas  = 1
}

cost_allocation = {
  team        = "conveyor-maintainers"
  cost_center = "CC-1001"
}
