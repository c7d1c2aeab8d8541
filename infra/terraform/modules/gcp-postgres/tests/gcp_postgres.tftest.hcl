mock_provider "google" {
  mock_data "google_project" {
    defaults = { number = "123456789012" }
  }
}
mock_provider "random" {}

variables {
  name                  = "conveyor-test"
  project_id            = "conveyor-test-1"
  region                = "europe-west1"
  environment           = "prod"
  network_id            = "projects/conveyor-test-1/global/networks/conveyor-test"
  allocated_ip_range    = "conveyor-test-private-services"
  tier                  = "db-custom-4-16384"
  high_availability     = true
  backup_retention_days = 14
  read_replica          = true
}

run "prod_is_regional_protected_and_private" {
  command = plan

  assert {
    condition     = google_sql_database_instance.primary.settings[0].availability_type == "REGIONAL" && google_sql_database_instance.primary.database_version == "POSTGRES_16"
    error_message = "prod: PostgreSQL 16 with a standby in another zone (REGIONAL)."
  }

  assert {
    condition     = google_sql_database_instance.primary.deletion_protection && google_sql_database_instance.primary.settings[0].deletion_protection_enabled && google_sql_database_instance.primary.settings[0].retain_backups_on_delete
    error_message = "prod: deletion protection in Terraform and in the API, backups kept after a delete."
  }

  assert {
    condition     = !google_sql_database_instance.primary.settings[0].ip_configuration[0].ipv4_enabled && google_sql_database_instance.primary.settings[0].ip_configuration[0].private_network == var.network_id && length(google_sql_database_instance.primary.settings[0].ip_configuration[0].authorized_networks) == 0
    error_message = "The database has a private address only, never a public one."
  }

  assert {
    condition     = !google_sql_database_instance.replica[0].settings[0].ip_configuration[0].ipv4_enabled && google_sql_database_instance.replica[0].master_instance_name == google_sql_database_instance.primary.name
    error_message = "The read replica follows the primary and is private too."
  }

  assert {
    condition     = google_sql_database_instance.primary.settings[0].ip_configuration[0].ssl_mode == "ENCRYPTED_ONLY"
    error_message = "Connections must use TLS."
  }
}

run "backups_and_point_in_time_recovery" {
  command = plan

  assert {
    condition     = google_sql_database_instance.primary.settings[0].backup_configuration[0].enabled && google_sql_database_instance.primary.settings[0].backup_configuration[0].point_in_time_recovery_enabled
    error_message = "Automated backups and point-in-time recovery are on."
  }

  assert {
    condition     = google_sql_database_instance.primary.settings[0].backup_configuration[0].backup_retention_settings[0].retained_backups == 14 && google_sql_database_instance.primary.settings[0].backup_configuration[0].transaction_log_retention_days == 7
    error_message = "prod keeps 14 daily backups and 7 days of PITR (the Enterprise edition's most)."
  }
}

run "enterprise_plus_keeps_longer_pitr" {
  command = plan

  variables {
    tier = "db-perf-optimized-N-4"
  }

  assert {
    condition     = google_sql_database_instance.primary.settings[0].edition == "ENTERPRISE_PLUS" && google_sql_database_instance.primary.settings[0].backup_configuration[0].transaction_log_retention_days == 14
    error_message = "Enterprise Plus: point-in-time recovery as far back as the backups."
  }
}

run "cmek_everywhere" {
  command = plan

  assert {
    condition     = google_sql_database_instance.primary.encryption_key_name == google_kms_crypto_key.this.id && google_sql_database_instance.replica[0].encryption_key_name == google_kms_crypto_key.this.id
    error_message = "The instance and its replica are encrypted with the module's Cloud KMS key."
  }

  assert {
    condition     = google_secret_manager_secret.database.replication[0].user_managed[0].replicas[0].customer_managed_encryption[0].kms_key_name == google_kms_crypto_key.this.id
    error_message = "The credentials' secret is encrypted with the same key."
  }

  assert {
    condition     = google_kms_crypto_key_iam_member.agents["sql"].member == "serviceAccount:service-123456789012@gcp-sa-cloud-sql.iam.gserviceaccount.com" && google_kms_crypto_key.this.rotation_period == "7776000s"
    error_message = "Only the service agents may use the key, which rotates every 90 days."
  }
}

run "flags_are_tuned_like_the_aws_parameter_group" {
  command = plan

  assert {
    condition     = { for f in google_sql_database_instance.primary.settings[0].database_flags : f.name => f.value }["autovacuum_vacuum_scale_factor"] == "0.02" && { for f in google_sql_database_instance.primary.settings[0].database_flags : f.name => f.value }["autovacuum_naptime"] == "15"
    error_message = "Autovacuum must run long before the default 20 % of the jobs table is dead."
  }

  assert {
    condition     = { for f in google_sql_database_instance.primary.settings[0].database_flags : f.name => f.value }["max_connections"] == "400" && { for f in google_sql_database_instance.primary.settings[0].database_flags : f.name => f.value }["idle_in_transaction_session_timeout"] == "60000"
    error_message = "Connections and idle transactions are bounded as on AWS."
  }
}

run "credentials_go_to_secret_manager" {
  command = apply

  assert {
    condition     = jsondecode(google_secret_manager_secret_version.database.secret_data).password == random_password.database.result && google_sql_user.conveyor.password == random_password.database.result
    error_message = "The database user's password is the one stored in Secret Manager."
  }

  assert {
    condition     = output.master_secret_arn == google_secret_manager_secret.database.id && output.security_group_id == null
    error_message = "The AWS module's outputs exist: the secret, and null where GCP has no equivalent."
  }

  assert {
    condition     = output.protections.multi_az && output.protections.deletion_protection && output.protections.backup_retention_days == 14 && output.protections.storage_encrypted
    error_message = "protections reads as on AWS."
  }
}

run "dev_is_zonal_and_destroyable" {
  command = plan

  variables {
    environment           = "dev"
    tier                  = "db-g1-small"
    high_availability     = false
    backup_retention_days = 3
    read_replica          = false
  }

  assert {
    condition     = google_sql_database_instance.primary.settings[0].availability_type == "ZONAL" && !google_sql_database_instance.primary.deletion_protection && !google_sql_database_instance.primary.settings[0].deletion_protection_enabled
    error_message = "dev: one zone, and a destroy may remove it."
  }

  assert {
    condition     = google_sql_database_instance.primary.settings[0].backup_configuration[0].transaction_log_retention_days == 3 && length(google_sql_database_instance.replica) == 0
    error_message = "dev: 3 days of backups and PITR, no replica."
  }
}

run "rejects_prod_without_high_availability" {
  command = plan

  variables {
    high_availability = false
  }

  expect_failures = [var.high_availability]
}

run "rejects_short_backups_in_prod" {
  command = plan

  variables {
    backup_retention_days = 7
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_retention_out_of_range" {
  command = plan

  variables {
    environment           = "dev"
    high_availability     = false
    backup_retention_days = 400
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_a_bad_tier" {
  command = plan

  variables {
    tier = "db.r7g.large"
  }

  expect_failures = [var.tier]
}

run "rejects_a_shared_core_tier_in_prod" {
  command = plan

  variables {
    tier = "db-f1-micro"
  }

  expect_failures = [var.tier]
}

run "rejects_a_bad_environment" {
  command = plan

  variables {
    environment = "production"
  }

  expect_failures = [var.environment]
}
