output "plan_role_arn" {
  description = "Role for `tofu plan` in any workflow of the repository."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "Role for `tofu apply`, only from the protected deployment environments."
  value       = aws_iam_role.apply.arn
}
