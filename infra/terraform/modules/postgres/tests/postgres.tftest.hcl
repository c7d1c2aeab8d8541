mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  name                   = "conveyor-test"
  environment            = "prod"
  vpc_id                 = "vpc-0123456789abcdef0"
  subnet_ids             = ["subnet-a", "subnet-b", "subnet-c"]
  client_security_groups = { nodes = "sg-nodes" }
  instance_class         = "db.r7g.large"
  multi_az               = true
  backup_retention_days  = 14
}

run "prod_is_multi_az_protected_and_encrypted" {
  command = plan

  assert {
    condition     = aws_db_instance.primary.multi_az && aws_db_instance.primary.deletion_protection && !aws_db_instance.primary.skip_final_snapshot
    error_message = "prod: Multi-AZ, deletion protection and a final snapshot."
  }

  assert {
    condition     = aws_db_instance.primary.storage_encrypted && aws_db_instance.primary.engine == "postgres" && aws_db_instance.primary.engine_version == "16"
    error_message = "PostgreSQL 16 with encrypted storage."
  }

  assert {
    condition     = !aws_db_instance.primary.publicly_accessible
    error_message = "The database must never be reachable from the internet."
  }

  assert {
    condition     = aws_db_instance.primary.backup_retention_period == 14 && aws_db_instance.primary.monitoring_interval > 0
    error_message = "Point-in-time recovery over 14 days and enhanced monitoring in prod."
  }

  assert {
    condition     = aws_db_instance.primary.manage_master_user_password
    error_message = "The master password lives (and rotates) in Secrets Manager, never in Terraform."
  }
}

run "parameter_group_is_tuned_for_the_job_queue" {
  command = plan

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres16"
    error_message = "The parameter group's family must match the engine."
  }

  assert {
    condition     = { for p in aws_db_parameter_group.this.parameter : p.name => p.value }["autovacuum_vacuum_scale_factor"] == "0.02"
    error_message = "Autovacuum must run long before the default 20 % of the jobs table is dead."
  }

  assert {
    condition     = { for p in aws_db_parameter_group.this.parameter : p.name => p.value }["rds.force_ssl"] == "1"
    error_message = "Connections must use TLS."
  }

  assert {
    condition     = { for p in aws_db_parameter_group.this.parameter : p.name => p.value }["max_connections"] == "400"
    error_message = "max_connections comes from the variable."
  }
}

run "dev_can_be_destroyed" {
  command = plan

  variables {
    environment           = "dev"
    multi_az              = false
    backup_retention_days = 3
    instance_class        = "db.t4g.micro"
  }

  assert {
    condition     = !aws_db_instance.primary.multi_az && !aws_db_instance.primary.deletion_protection && aws_db_instance.primary.skip_final_snapshot
    error_message = "dev: a single instance that a destroy removes."
  }

  assert {
    condition     = aws_db_instance.primary.backup_retention_period == 3
    error_message = "Backup retention follows the environment."
  }
}

run "read_replica_on_request" {
  command = plan

  variables {
    read_replica = true
  }

  assert {
    condition     = length(aws_db_instance.replica) == 1 && aws_db_instance.replica[0].storage_encrypted && !aws_db_instance.replica[0].publicly_accessible
    error_message = "The replica is encrypted and private too."
  }
}

run "prod_rejects_a_single_zone" {
  command = plan

  variables {
    multi_az = false
  }

  expect_failures = [var.multi_az]
}

run "prod_rejects_short_backups" {
  command = plan

  variables {
    backup_retention_days = 7
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_an_unknown_instance_class" {
  command = plan

  variables {
    instance_class = "m5.large"
  }

  expect_failures = [var.instance_class]
}

run "rejects_an_unknown_environment" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [var.environment]
}
