# PostgreSQL 16 on Cloud SQL for Conveyor's job queue: a private address only (private services
# access), storage and backups encrypted with a customer-managed Cloud KMS key, automated backups
# with point-in-time recovery, REGIONAL (HA) and deletion-protected in prod, flags tuned as the
# AWS module's parameter group. Cloud SQL has no managed master password, so the module makes
# one and keeps it in Secret Manager (CMEK) for External Secrets to read. The same outputs as
# modules/postgres.

# Every resource that takes labels carries the caller's cost labels and this module's component
# (docs/platform.md; GCP label keys cannot hold ':', so conveyor-component).
locals {
  labels = merge(var.labels, { "conveyor-component" = "gcp-postgres" })
}

locals {
  protected = contains(["prod", "prod-dr"], var.environment)
  edition   = startswith(var.tier, "db-perf-optimized-") ? "ENTERPRISE_PLUS" : "ENTERPRISE"
  # Point-in-time recovery reaches back as far as the backups, within the edition's limit.
  pitr_days = min(var.backup_retention_days, local.edition == "ENTERPRISE_PLUS" ? 35 : 7)

  sql_agent            = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-cloud-sql.iam.gserviceaccount.com"
  secret_manager_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-secretmanager.iam.gserviceaccount.com"
}

data "google_project" "this" {
  project_id = var.project_id
}

# Key rings cannot be deleted: a destroy leaves the ring and schedules the key's versions for
# destruction (docs/terraform.md).
resource "google_kms_key_ring" "this" {
  project  = var.project_id
  name     = "${var.name}-sql"
  location = var.region
}

resource "google_kms_crypto_key" "this" {
  #checkov:skip=CKV_GCP_82:no prevent_destroy, so dev and stage stay destroyable; destroying a key only schedules its versions' destruction (24 h), and prod's data refuses a destroy first (deletion protection)
  name            = "${var.name}-sql"
  key_ring        = google_kms_key_ring.this.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = "7776000s" # 90 days
  labels          = local.labels
}

# Cloud SQL's and Secret Manager's service agents encrypt with the key; nobody else is granted it.
resource "google_kms_crypto_key_iam_member" "agents" {
  for_each      = { sql = local.sql_agent, secret_manager = local.secret_manager_agent }
  crypto_key_id = google_kms_crypto_key.this.id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value
}

# trivy:ignore:AVD-GCP-0021 log_min_duration_statement is 500 ms on purpose (checkov CKV_GCP_57 below)
resource "google_sql_database_instance" "primary" {
  #checkov:skip=CKV_GCP_57:log_min_duration_statement is 500 ms on purpose (slow claim queries are what the operators look for), as on AWS
  #checkov:skip=CKV2_GCP_13:log_duration of every statement would flood the logs of a job queue; log_min_duration_statement logs the slow ones with their duration
  #checkov:skip=CKV_GCP_108:log_hostname costs a reverse DNS lookup per connection; log_connections already logs the client address
  #checkov:skip=CKV_GCP_79:PostgreSQL 16, the engine modules/postgres runs on AWS: one major version on both clouds (an upgrade moves both)
  #checkov:skip=CKV_GCP_6:TLS is required by ssl_mode = ENCRYPTED_ONLY; client certificates are not used (the password is in Secret Manager)
  project             = var.project_id
  name                = var.name
  region              = var.region
  database_version    = "POSTGRES_16"
  encryption_key_name = google_kms_crypto_key.this.id
  deletion_protection = local.protected # Terraform's guard; the API's own is below

  settings {
    tier                        = var.tier
    edition                     = local.edition
    availability_type           = var.high_availability ? "REGIONAL" : "ZONAL"
    disk_type                   = "PD_SSD"
    disk_size                   = var.disk_size_gb
    disk_autoresize             = true
    disk_autoresize_limit       = var.disk_size_gb * 4
    deletion_protection_enabled = local.protected
    retain_backups_on_delete    = local.protected
    user_labels                 = local.labels

    ip_configuration {
      ipv4_enabled       = false # no public address at all
      private_network    = var.network_id
      allocated_ip_range = var.allocated_ip_range
      ssl_mode           = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "02:00"
      transaction_log_retention_days = local.pitr_days
      backup_retention_settings {
        retained_backups = var.backup_retention_days
        retention_unit   = "COUNT"
      }
    }

    maintenance_window {
      day          = 7 # Sunday
      hour         = 3
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = true
      record_client_address   = false
    }

    # Tuned for a job queue: many short transactions that update and delete rows of one hot
    # table (jobs). Autovacuum runs often and fast so dead tuples never pile up under the claim
    # query. The same values as modules/postgres's parameter group, plus the logging Cloud SQL
    # leaves off. Written out (not a dynamic block) so the config scanners read them; the
    # replica copies them from here.
    database_flags {
      name  = "max_connections"
      value = tostring(var.max_connections)
    }
    database_flags {
      name  = "autovacuum_vacuum_scale_factor"
      value = "0.02"
    }
    database_flags {
      name  = "autovacuum_analyze_scale_factor"
      value = "0.01"
    }
    database_flags {
      name  = "autovacuum_vacuum_cost_limit"
      value = "2000"
    }
    database_flags {
      name  = "autovacuum_naptime"
      value = "15"
    }
    database_flags {
      name  = "idle_in_transaction_session_timeout"
      value = "60000"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "500"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
    database_flags {
      name  = "pgaudit.log"
      value = "ddl,role"
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.agents]
}

# The replica copies the primary's flags (a dynamic block over them), which Trivy cannot follow:
# trivy:ignore:AVD-GCP-0014 log_temp_files = 0, copied from the primary
# trivy:ignore:AVD-GCP-0016 log_connections = on, copied from the primary
# trivy:ignore:AVD-GCP-0020 log_lock_waits = on, copied from the primary
# trivy:ignore:AVD-GCP-0022 log_disconnections = on, copied from the primary
# trivy:ignore:AVD-GCP-0025 log_checkpoints = on, copied from the primary
# trivy:ignore:AVD-GCP-0021 log_min_duration_statement = 500 ms, copied from the primary
resource "google_sql_database_instance" "replica" {
  #checkov:skip=CKV_GCP_57:log_min_duration_statement is 500 ms on purpose, as on the primary
  #checkov:skip=CKV2_GCP_13:log_duration of every statement would flood the logs; slow ones are logged, as on the primary
  #checkov:skip=CKV_GCP_108:log_hostname costs a reverse DNS lookup per connection, as on the primary
  #checkov:skip=CKV_GCP_79:PostgreSQL 16, as on the primary
  #checkov:skip=CKV_GCP_6:TLS is required by ssl_mode = ENCRYPTED_ONLY, as on the primary
  #checkov:skip=CKV_GCP_14:a read replica takes no backups of its own; the primary's cover it
  count                = var.read_replica ? 1 : 0
  project              = var.project_id
  name                 = "${var.name}-replica"
  region               = var.region
  database_version     = "POSTGRES_16"
  master_instance_name = google_sql_database_instance.primary.name
  encryption_key_name  = google_kms_crypto_key.this.id
  deletion_protection  = local.protected

  replica_configuration {
    failover_target = false
  }

  settings {
    tier                        = var.tier
    edition                     = local.edition
    availability_type           = "ZONAL"
    disk_type                   = "PD_SSD"
    disk_autoresize             = true
    disk_autoresize_limit       = var.disk_size_gb * 4
    deletion_protection_enabled = local.protected
    user_labels                 = local.labels

    ip_configuration {
      ipv4_enabled       = false
      private_network    = var.network_id
      allocated_ip_range = var.allocated_ip_range
      ssl_mode           = "ENCRYPTED_ONLY"
    }

    dynamic "database_flags" {
      for_each = { for flag in google_sql_database_instance.primary.settings[0].database_flags : flag.name => flag.value }
      content {
        name  = database_flags.key
        value = database_flags.value
      }
    }
  }
}

resource "google_sql_database" "conveyor" {
  project  = var.project_id
  name     = "conveyor"
  instance = google_sql_database_instance.primary.name
}

# The password is in the state, which is why state is KMS-encrypted and readable only by the
# apply role. The cdktf-derived schemas carry no write-only flag (ADR 0901), so password_wo is
# not used. Rotation: taint random_password.database and apply (docs/terraform.md).
resource "random_password" "database" {
  length  = 40
  special = false
}

resource "google_sql_user" "conveyor" {
  project  = var.project_id
  name     = "conveyor"
  instance = google_sql_database_instance.primary.name
  password = random_password.database.result
}

resource "google_secret_manager_secret" "database" {
  project   = var.project_id
  secret_id = "${var.name}-database"
  labels    = local.labels

  replication {
    user_managed {
      replicas {
        location = var.region
        customer_managed_encryption {
          kms_key_name = google_kms_crypto_key.this.id
        }
      }
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.agents]
}

# The same JSON shape as the RDS-managed secret ({"username", "password"}), so External Secrets
# templates read either.
resource "google_secret_manager_secret_version" "database" {
  secret      = google_secret_manager_secret.database.id
  secret_data = jsonencode({ username = google_sql_user.conveyor.name, password = random_password.database.result })
}
