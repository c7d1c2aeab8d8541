output "vpc_id" {
  description = "The VPC's id."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "The VPC's IPv4 range."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, one per zone (load balancers)."
  value       = [for zone in var.availability_zones : aws_subnet.public[zone].id]
}

output "private_subnet_ids" {
  description = "Private subnets, one per zone (cluster nodes)."
  value       = [for zone in var.availability_zones : aws_subnet.private[zone].id]
}

output "database_subnet_ids" {
  description = "Database subnets, one per zone, with no route to the internet."
  value       = [for zone in var.availability_zones : aws_subnet.database[zone].id]
}

output "nat_gateway_count" {
  description = "How many NAT gateways the VPC has (three in prod, one in dev)."
  value       = length(aws_nat_gateway.this)
}
