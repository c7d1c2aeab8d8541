output "id" {
  description = "The security group's id (the service's vpc_security_group_ids)."
  value       = aws_security_group.this.id
}

output "client_security_group_ids" {
  description = "The security groups admitted, by name: the only ingress there is."
  value       = { for name, rule in aws_vpc_security_group_ingress_rule.clients : name => rule.referenced_security_group_id }
}
