output "web_acl_arn" {
  description = "The ingress WAF (alb.ingress.kubernetes.io/wafv2-acl-arn annotation)."
  value       = aws_wafv2_web_acl.this.arn
}

output "assets_bucket" {
  description = "Bucket the release pipeline uploads the console's static assets to."
  value       = aws_s3_bucket.assets.bucket
}

output "assets_domain_name" {
  description = "The CloudFront domain serving the assets."
  value       = aws_cloudfront_distribution.assets.domain_name
}
