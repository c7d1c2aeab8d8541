# The outputs of modules/postgres, so an environment switches clouds by module source. Where GCP
# has no equivalent the output is null and says why (docs/terraform.md, "How GCP differs").

output "endpoint" {
  description = "host:port of the primary's private address."
  value       = "${google_sql_database_instance.primary.private_ip_address}:5432"
}

output "address" {
  description = "The primary's private address (Cloud SQL gives no private DNS name)."
  value       = google_sql_database_instance.primary.private_ip_address
}

output "arn" {
  description = "The instance's self link: the GCP identifier a cross-region replica names as its master."
  value       = google_sql_database_instance.primary.self_link
}

output "master_secret_arn" {
  description = "The Secret Manager secret holding {\"username\", \"password\"} (projects/<project>/secrets/<id>)."
  value       = google_secret_manager_secret.database.id
}

output "security_group_id" {
  description = "Always null: Cloud SQL on private services access has no firewall of its own; only the peered VPC reaches it, and TLS plus the password guard it."
  value       = null
}

output "replica_endpoint" {
  description = "host:port of the read replica, when there is one."
  value       = var.read_replica ? "${google_sql_database_instance.replica[0].private_ip_address}:5432" : null
}

output "protections" {
  description = "What protects the data, for environment-level checks: high availability (multi_az, as on AWS), deletion protection, backup days, customer-managed encryption."
  value = {
    multi_az              = google_sql_database_instance.primary.settings[0].availability_type == "REGIONAL"
    deletion_protection   = google_sql_database_instance.primary.deletion_protection && google_sql_database_instance.primary.settings[0].deletion_protection_enabled
    backup_retention_days = google_sql_database_instance.primary.settings[0].backup_configuration[0].backup_retention_settings[0].retained_backups
    storage_encrypted     = google_sql_database_instance.primary.encryption_key_name != null
  }
}

output "point_in_time_recovery_days" {
  description = "How far back point-in-time recovery reaches (transaction logs kept)."
  value       = google_sql_database_instance.primary.settings[0].backup_configuration[0].transaction_log_retention_days
}

output "connection_name" {
  description = "project:region:instance, for the Cloud SQL Auth Proxy."
  value       = google_sql_database_instance.primary.connection_name
}
