output "replica_arn" {
  description = "The cross-region replica (promote it to fail over)."
  value       = module.postgres.arn
}

output "replica_protections" {
  description = "Deletion protection, backups and encryption of the replica."
  value       = module.postgres.protections
}

output "cluster_name" {
  description = "The standby cluster."
  value       = module.cluster.name
}
