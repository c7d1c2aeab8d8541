# prod-dr: the standby of prod in a second region. No secrets here.
region                  = "eu-central-1"
vpc_cidr                = "10.40.0.0/16"
primary_database_arn    = "arn:aws:rds:eu-west-1:123456789012:db:conveyor-prod"
database_instance_class = "db.r7g.xlarge"

cluster = {
  node_instance_types = ["m7g.large"]
  node_min_size       = 1
  node_max_size       = 12
}

cost_allocation = {
  team        = "conveyor-maintainers"
  cost_center = "CC-1001"
}
