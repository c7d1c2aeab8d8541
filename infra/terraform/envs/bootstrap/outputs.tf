output "state_bucket" {
  description = "bucket = … in each environment's backend.hcl."
  value       = module.state_backend.bucket
}

output "state_kms_key_arn" {
  description = "kms_key_id = … in each environment's backend.hcl."
  value       = module.state_backend.kms_key_arn
}

output "plan_role_arn" {
  description = "AWS_PLAN_ROLE_ARN for the workflows."
  value       = module.ci_identity.plan_role_arn
}

output "apply_role_arn" {
  description = "AWS_APPLY_ROLE_ARN for the workflows' protected environments."
  value       = module.ci_identity.apply_role_arn
}
