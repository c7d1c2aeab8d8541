output "cluster_name" {
  description = "The EKS cluster (aws eks update-kubeconfig --name …)."
  value       = module.cluster.name
}

output "database_endpoint" {
  description = "The primary database endpoint."
  value       = module.postgres.endpoint
}

output "database_arn" {
  description = "The primary database ARN (prod-dr replicates it)."
  value       = module.postgres.arn
}

output "database_protections" {
  description = "Multi-AZ, deletion protection, backup days and encryption of the database."
  value       = module.postgres.protections
}

output "nat_gateway_count" {
  description = "NAT gateways of the VPC."
  value       = module.network.nat_gateway_count
}

output "cluster_endpoint_public" {
  description = "Whether the Kubernetes API is reachable from the internet."
  value       = module.cluster.endpoint_public_access
}

output "web_acl_arn" {
  description = "The ingress WAF, for the ingress controller's annotation."
  value       = module.edge.web_acl_arn
}
