# prod's disaster-recovery standby in a second region: network, a small cluster and a
# cross-region read replica of prod's database. Failing over (docs/terraform.md) promotes the
# replica, scales the cluster and installs the chart here (modules/conveyor).

locals {
  name = "conveyor-prod-dr"
  # Cost allocation: the same keys on every AWS resource (provider default_tags and each
  # module's tags), plus conveyor:component from each module. docs/platform.md.
  tags = {
    "app.kubernetes.io/part-of" = "conveyor"
    environment                 = "prod-dr"
    "managed-by"                = "terraform"
    "conveyor:team"             = var.cost_allocation.team
    "conveyor:cost-center"      = var.cost_allocation.cost_center
    "conveyor:environment"      = "prod-dr"
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:the first three zones by name are used; a zone AWS adds sorts after them
  state = "available"
}

module "network" {
  source               = "../../modules/network"
  name                 = local.name
  cidr_block           = var.vpc_cidr
  availability_zones   = slice(sort(data.aws_availability_zones.available.names), 0, 3)
  nat_gateway_per_zone = true
  tags                 = local.tags
}

module "cluster" {
  source                 = "../../modules/cluster"
  name                   = local.name
  subnet_ids             = module.network.private_subnet_ids
  endpoint_public_access = false
  node_instance_types    = var.cluster.node_instance_types
  node_min_size          = var.cluster.node_min_size
  node_max_size          = var.cluster.node_max_size
  tags                   = local.tags
}

module "postgres" {
  source                 = "../../modules/postgres"
  name                   = local.name
  environment            = "prod-dr"
  vpc_id                 = module.network.vpc_id
  subnet_ids             = module.network.database_subnet_ids
  client_security_groups = { nodes = module.cluster.node_security_group_id }
  instance_class         = var.database_instance_class
  multi_az               = false # a replica; Multi-AZ is turned on when it is promoted
  backup_retention_days  = 14
  replicate_source_db    = var.primary_database_arn
  tags                   = local.tags
}
