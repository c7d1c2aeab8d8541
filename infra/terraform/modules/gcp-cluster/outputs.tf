# The outputs of modules/cluster, so an environment switches clouds by module source. Where GCP
# has no equivalent the output is null and says why (docs/terraform.md, "How GCP differs").

output "name" {
  description = "The cluster's name (gcloud container clusters get-credentials …)."
  value       = google_container_cluster.this.name
}

output "endpoint" {
  description = "The Kubernetes API endpoint (https URL, as EKS gives it): the private one when the public endpoint is off."
  value       = "https://${google_container_cluster.this.endpoint}"
}

output "certificate_authority_data" {
  description = "Base64 CA bundle of the API endpoint."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
}

output "oidc_provider_arn" {
  description = "What workload identities trust: the cluster's Workload Identity pool (<project>.svc.id.goog; GCP has no OIDC provider resource). A Kubernetes service account is bound to a Google one with roles/iam.workloadIdentityUser for serviceAccount:<pool>[<namespace>/<name>]."
  value       = google_container_cluster.this.workload_identity_config[0].workload_pool
}

output "oidc_issuer" {
  description = "The cluster's OIDC issuer (for federation outside Google Cloud)."
  value       = "container.googleapis.com/v1/projects/${var.project_id}/locations/${var.region}/clusters/${google_container_cluster.this.name}"
}

output "node_security_group_id" {
  description = "The nodes' network tag: GCP firewall rules admit nodes by tag (source_tags), where AWS admits a security group."
  value       = local.node_tag
}

output "cluster_autoscaler_role_arn" {
  description = "Always null: GKE's cluster autoscaler is built in (the node pool's autoscaling) and needs no role."
  value       = null
}

output "endpoint_public_access" {
  description = "Whether the API endpoint is public as well as private."
  value       = !google_container_cluster.this.private_cluster_config[0].enable_private_endpoint
}

output "node_service_account" {
  description = "The nodes' Google service account (logs, metrics, image pulls only)."
  value       = google_service_account.nodes.email
}

output "kms_key_id" {
  description = "The Cloud KMS key of Secrets in etcd and the nodes' boot disks."
  value       = google_kms_crypto_key.this.id
}
