output "endpoint" {
  description = "host:port of the primary (or of this region's replica in prod-dr)."
  value       = aws_db_instance.primary.endpoint
}

output "address" {
  description = "Hostname of the primary."
  value       = aws_db_instance.primary.address
}

output "arn" {
  description = "ARN of the instance: prod-dr's cross-region replica points at prod's."
  value       = aws_db_instance.primary.arn
}

output "master_secret_arn" {
  description = "Secrets Manager secret holding the rotated master credentials (null on a replica)."
  value       = try(aws_db_instance.primary.master_user_secret[0].secret_arn, null)
}

output "security_group_id" {
  description = "The database's security group."
  value       = module.clients.id
}

output "replica_endpoint" {
  description = "host:port of the read replica, when there is one."
  value       = var.read_replica ? aws_db_instance.replica[0].endpoint : null
}

output "protections" {
  description = "What protects the data, for environment-level checks: Multi-AZ, deletion protection, backup days."
  value = {
    multi_az              = aws_db_instance.primary.multi_az
    deletion_protection   = aws_db_instance.primary.deletion_protection
    backup_retention_days = aws_db_instance.primary.backup_retention_period
    storage_encrypted     = aws_db_instance.primary.storage_encrypted
  }
}
