output "primary_endpoint" {
  description = "Hostname of the primary (rediss:// on port 6379)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "auth_secret_arn" {
  description = "Secrets Manager secret with the AUTH token."
  value       = aws_secretsmanager_secret.auth.arn
}

output "security_group_id" {
  description = "The cache's security group."
  value       = module.clients.id
}
