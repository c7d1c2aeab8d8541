output "name" {
  description = "The cluster's name."
  value       = aws_eks_cluster.this.name
}

output "endpoint" {
  description = "The Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "certificate_authority_data" {
  description = "Base64 CA bundle of the API endpoint."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "oidc_provider_arn" {
  description = "The IRSA OIDC provider (workload roles trust it)."
  value       = aws_iam_openid_connect_provider.cluster.arn
}

output "oidc_issuer" {
  description = "The issuer host and path, for IRSA trust conditions."
  value       = local.oidc_issuer
}

output "node_security_group_id" {
  description = "The security group of the cluster's nodes and pods (databases admit it)."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "cluster_autoscaler_role_arn" {
  description = "IRSA role for the Cluster Autoscaler's service account (kube-system/cluster-autoscaler)."
  value       = aws_iam_role.autoscaler.arn
}

output "endpoint_public_access" {
  description = "Whether the API endpoint is public as well as private."
  value       = aws_eks_cluster.this.vpc_config[0].endpoint_public_access
}
