# One environment of Conveyor on AWS: the modules composed with the sizes and protections of
# terraform.tfvars. dev, stage and prod share this file (symlinks); only their tfvars,
# backend.hcl and lock file differ.

locals {
  name = "conveyor-${var.environment}"
  # Cost allocation: the same keys on every AWS resource (provider default_tags and each
  # module's tags), plus conveyor:component from each module. docs/platform.md.
  tags = {
    "app.kubernetes.io/part-of" = "conveyor"
    environment                 = var.environment
    "managed-by"                = "terraform"
    "conveyor:team"             = var.cost_allocation.team
    "conveyor:cost-center"      = var.cost_allocation.cost_center
    "conveyor:environment"      = var.environment
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
  nat_gateway_per_zone = var.environment == "prod"
  tags                 = local.tags
}

module "cluster" {
  source                 = "../../modules/cluster"
  name                   = local.name
  subnet_ids             = module.network.private_subnet_ids
  endpoint_public_access = var.cluster.endpoint_public_access
  public_access_cidrs    = var.cluster.public_access_cidrs
  node_instance_types    = var.cluster.node_instance_types
  node_min_size          = var.cluster.node_min_size
  node_max_size          = var.cluster.node_max_size
  tags                   = local.tags
}

module "postgres" {
  source                 = "../../modules/postgres"
  name                   = local.name
  environment            = var.environment
  vpc_id                 = module.network.vpc_id
  subnet_ids             = module.network.database_subnet_ids
  client_security_groups = { nodes = module.cluster.node_security_group_id }
  instance_class         = var.database.instance_class
  allocated_storage_gb   = var.database.allocated_storage_gb
  multi_az               = var.database.multi_az
  backup_retention_days  = var.database.backup_retention_days
  max_connections        = var.database.max_connections
  read_replica           = var.database.read_replica
  tags                   = local.tags
}

module "redis" {
  source                 = "../../modules/redis"
  name                   = local.name
  vpc_id                 = module.network.vpc_id
  subnet_ids             = module.network.database_subnet_ids
  client_security_groups = { nodes = module.cluster.node_security_group_id }
  node_type              = var.redis.node_type
  replicas               = var.redis.replicas
  tags                   = local.tags
}

module "dns_tls" {
  source    = "../../modules/dns-tls"
  zone_name = var.zone_name
  hostnames = ["api.${var.zone_name}", "console.${var.zone_name}"]
  tags      = local.tags
}

module "edge" {
  source = "../../modules/edge"
  name   = local.name
  tags   = local.tags
}

module "conveyor" {
  source              = "../../modules/conveyor"
  environment         = var.environment
  chart_path          = "${path.root}/../../../../deploy/helm/conveyor"
  image_digest        = var.image_digest
  database_secret_arn = module.postgres.master_secret_arn
  database_address    = module.postgres.address
  redis_secret_arn    = module.redis.auth_secret_arn
  redis_address       = module.redis.primary_endpoint
  oidc_provider_arn   = module.cluster.oidc_provider_arn
  oidc_issuer         = module.cluster.oidc_issuer
  tags                = local.tags
}
