# The outputs of modules/network, so an environment switches clouds by module source. Where GCP
# has no equivalent the output is null or empty and says why (docs/terraform.md, "How GCP differs").

output "vpc_id" {
  description = "The VPC network's id (projects/<project>/global/networks/<name>)."
  value       = google_compute_network.this.id
}

output "vpc_cidr_block" {
  description = "Always null: a GCP network has no range of its own, only its subnets do (subnet_ranges)."
  value       = null
}

output "public_subnet_ids" {
  description = "Always empty: GCP load balancers need no public subnets (the external ones are global front ends)."
  value       = []
}

output "private_subnet_ids" {
  description = "The nodes' subnets, one per region (a GCP subnet spans every zone of its region)."
  value       = [for region in sort(keys(var.subnets)) : google_compute_subnetwork.nodes[region].id]
}

output "database_subnet_ids" {
  description = "The private services access range Cloud SQL takes its addresses from (GCP databases sit in no subnet of the VPC)."
  value       = [google_compute_global_address.private_services.id]
}

output "nat_gateway_count" {
  description = "Cloud NAT gateways: one per region (each is zone-redundant)."
  value       = length(google_compute_router_nat.this)
}

output "subnet_ranges" {
  description = "Per region: the nodes', pods' and Services' ranges."
  value       = var.subnets
}

output "pods_range_name" {
  description = "The secondary range name of pods in every subnet (GKE's cluster_secondary_range_name)."
  value       = "pods"
}

output "services_range_name" {
  description = "The secondary range name of Services in every subnet (GKE's services_secondary_range_name)."
  value       = "services"
}

output "private_services_range_name" {
  description = "The reserved range's name for Cloud SQL's allocated_ip_range; known once the peering exists, so a database waits for it."
  value       = google_service_networking_connection.private_services.reserved_peering_ranges[0]
}
