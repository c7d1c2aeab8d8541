# PostgreSQL 16 on RDS for Conveyor's job queue: encrypted, private, backed up, Multi-AZ and
# deletion-protected in prod. The master password is RDS-managed in Secrets Manager, which
# rotates it (every 7 days by default) without Terraform ever seeing it.

# Every resource here carries the caller's cost tags and this module's component (docs/platform.md).
locals {
  tags = merge(var.tags, { "conveyor:component" = "postgres" })
}

locals {
  is_primary = var.replicate_source_db == null
  protected  = contains(["prod", "prod-dr"], var.environment)
}

resource "aws_kms_key" "database" {
  #checkov:skip=CKV2_AWS_64:the default key policy: the account administers the key and IAM policies of the roles that use it grant access (ADR 0906)
  description         = "${var.name} PostgreSQL storage, snapshots and secret"
  enable_key_rotation = true
  tags                = local.tags
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = local.tags
}

module "clients" {
  source                 = "../client-security-group"
  name                   = "${var.name}-postgres"
  description            = "PostgreSQL from the cluster's nodes only"
  service                = "PostgreSQL"
  vpc_id                 = var.vpc_id
  port                   = 5432
  client_security_groups = var.client_security_groups
  tags                   = local.tags
}

# The security group moved into modules/client-security-group: kept, not replaced.
moved {
  from = aws_security_group.database
  to   = module.clients.aws_security_group.this
}

moved {
  from = aws_vpc_security_group_ingress_rule.clients
  to   = module.clients.aws_vpc_security_group_ingress_rule.clients
}

# Tuned for a job queue: many short transactions that update and delete rows of one hot table
# (jobs). Autovacuum runs often and fast so dead tuples never pile up under the claim query.
resource "aws_db_parameter_group" "this" {
  name   = "${var.name}-postgres16"
  family = "postgres16"
  tags   = local.tags

  dynamic "parameter" {
    for_each = {
      max_connections                     = { value = tostring(var.max_connections), apply = "pending-reboot" }
      autovacuum_vacuum_scale_factor      = { value = "0.02", apply = "immediate" }
      autovacuum_analyze_scale_factor     = { value = "0.01", apply = "immediate" }
      autovacuum_vacuum_cost_limit        = { value = "2000", apply = "immediate" }
      autovacuum_naptime                  = { value = "15", apply = "immediate" }
      idle_in_transaction_session_timeout = { value = "60000", apply = "immediate" }
      log_min_duration_statement          = { value = "500", apply = "immediate" }
      log_lock_waits                      = { value = "1", apply = "immediate" }
      "rds.force_ssl"                     = { value = "1", apply = "immediate" }
    }
    content {
      name         = parameter.key
      value        = parameter.value.value
      apply_method = parameter.value.apply
    }
  }
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# trivy:ignore:AVD-AWS-0177 deletion protection is on in prod and prod-dr (checkov CKV_AWS_293 below)
resource "aws_db_instance" "primary" {
  #checkov:skip=CKV2_AWS_69:TLS is forced by the parameter group (rds.force_ssl = 1), which checkov does not follow
  #checkov:skip=CKV_AWS_157:Multi-AZ is per environment; var.multi_az's validation requires it in prod
  #checkov:skip=CKV_AWS_293:deletion protection is on in prod and prod-dr; dev and stage are meant to be destroyable
  identifier     = var.name
  engine         = local.is_primary ? "postgres" : null
  engine_version = local.is_primary ? "16" : null
  instance_class = var.instance_class
  db_name        = local.is_primary ? "conveyor" : null
  username       = local.is_primary ? "conveyor" : null

  replicate_source_db = var.replicate_source_db

  manage_master_user_password   = local.is_primary ? true : null
  master_user_secret_kms_key_id = local.is_primary ? aws_kms_key.database.arn : null

  allocated_storage     = local.is_primary ? var.allocated_storage_gb : null
  max_allocated_storage = var.allocated_storage_gb * 4
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.database.arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [module.clients.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = local.protected
  skip_final_snapshot       = !local.protected
  final_snapshot_identifier = local.protected ? "${var.name}-final" : null

  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]
  monitoring_interval                 = 30
  monitoring_role_arn                 = aws_iam_role.monitoring.arn
  performance_insights_enabled        = true
  performance_insights_kms_key_id     = aws_kms_key.database.arn

  tags = local.tags
}

# trivy:ignore:AVD-AWS-0177 deletion protection is on in prod and prod-dr (checkov CKV_AWS_293 below)
resource "aws_db_instance" "replica" {
  #checkov:skip=CKV2_AWS_69:TLS is forced by the parameter group (rds.force_ssl = 1), which checkov does not follow
  #checkov:skip=CKV_AWS_157:Multi-AZ is per environment; var.multi_az's validation requires it in prod
  #checkov:skip=CKV_AWS_293:deletion protection is on in prod and prod-dr; dev and stage are meant to be destroyable
  count                               = var.read_replica ? 1 : 0
  identifier                          = "${var.name}-replica"
  replicate_source_db                 = aws_db_instance.primary.identifier
  instance_class                      = var.instance_class
  storage_encrypted                   = true
  kms_key_id                          = aws_kms_key.database.arn
  publicly_accessible                 = false
  vpc_security_group_ids              = [module.clients.id]
  parameter_group_name                = aws_db_parameter_group.this.name
  backup_retention_period             = var.backup_retention_days
  copy_tags_to_snapshot               = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]
  deletion_protection                 = local.protected
  skip_final_snapshot                 = true
  auto_minor_version_upgrade          = true
  iam_database_authentication_enabled = true
  monitoring_interval                 = 30
  monitoring_role_arn                 = aws_iam_role.monitoring.arn
  performance_insights_enabled        = true
  performance_insights_kms_key_id     = aws_kms_key.database.arn
  tags                                = local.tags
}
