# envs/common/outputs.tf's outputs for the modules this environment has, from the same module
# outputs: the AWS and GCP modules name them alike.

output "cluster_name" {
  description = "The GKE cluster (gcloud container clusters get-credentials …)."
  value       = module.cluster.name
}

output "database_endpoint" {
  description = "The primary database endpoint."
  value       = module.postgres.endpoint
}

output "database_arn" {
  description = "The primary database's identifier (its self link on GCP)."
  value       = module.postgres.arn
}

output "database_protections" {
  description = "High availability, deletion protection, backup days and encryption of the database."
  value       = module.postgres.protections
}

output "nat_gateway_count" {
  description = "Cloud NAT gateways of the network."
  value       = module.network.nat_gateway_count
}

output "cluster_endpoint_public" {
  description = "Whether the Kubernetes API is reachable from the internet."
  value       = module.cluster.endpoint_public_access
}
