output "namespace" {
  description = "The namespace Conveyor runs in."
  value       = kubernetes_namespace_v1.conveyor.metadata[0].name
}

output "secrets_role_arn" {
  description = "The IRSA role External Secrets uses to read this environment's secrets."
  value       = aws_iam_role.secrets.arn
}
