output "bucket" {
  description = "The state bucket's name, for each environment's backend.hcl."
  value       = aws_s3_bucket.state.bucket
}

output "bucket_arn" {
  description = "The state bucket's ARN (CI roles are granted access to it)."
  value       = aws_s3_bucket.state.arn
}

output "kms_key_arn" {
  description = "The key that encrypts state objects (backend kms_key_id)."
  value       = aws_kms_key.state.arn
}
