# prod: three zones, private API, Multi-AZ, 14 days of point-in-time recovery. No secrets here.
environment  = "prod"
region       = "eu-west-1"
vpc_cidr     = "10.30.0.0/16"
zone_name    = "conveyor.example.com"
image_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

cluster = {
  node_instance_types    = ["m7g.xlarge", "m6g.xlarge"]
  node_min_size          = 3
  node_max_size          = 12
  endpoint_public_access = false
}

database = {
  instance_class        = "db.r7g.xlarge"
  allocated_storage_gb  = 200
  multi_az              = true
  backup_retention_days = 14
  max_connections       = 400
  read_replica          = true
}

redis = {
  node_type = "cache.r7g.large"
  replicas  = 2
}

cost_allocation = {
  team        = "conveyor-maintainers"
  cost_center = "CC-1001"
}
