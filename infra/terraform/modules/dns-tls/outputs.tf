output "zone_id" {
  description = "The hosted zone's id (the edge module adds alias records to it)."
  value       = data.aws_route53_zone.this.zone_id
}

output "certificate_arn" {
  description = "ARN of the validated certificate (load balancer listeners use it)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}
