# Conveyor on the cluster: its namespace (restricted Pod Security), an IRSA role that lets the
# External Secrets Operator read exactly this environment's two secrets, the ExternalSecrets
# that turn them into the Kubernetes Secrets the chart expects (ADR 0905), and the chart.

# Every resource here carries the caller's cost tags and this module's component (docs/platform.md).
locals {
  tags = merge(var.tags, { "conveyor:component" = "conveyor" })
}

locals {
  namespace   = "conveyor-${var.environment}"
  values_file = contains(["prod", "prod-dr"], var.environment) ? "values-prod.yaml" : "values-dev.yaml"
}

resource "kubernetes_namespace_v1" "conveyor" {
  metadata {
    name = local.namespace
    labels = {
      "pod-security.kubernetes.io/enforce" = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
      "pod-security.kubernetes.io/warn"    = "restricted"
      "app.kubernetes.io/part-of"          = "conveyor"
      "app.kubernetes.io/managed-by"       = "terraform"
    }
  }
}

data "aws_iam_policy_document" "secrets_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${local.namespace}:conveyor-secrets"]
    }
    condition {
      test     = "StringEquals"
      variable = "${var.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "secrets_read" {
  statement {
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.database_secret_arn, var.redis_secret_arn]
  }
}

resource "aws_iam_role" "secrets" {
  name               = "conveyor-${var.environment}-secrets"
  assume_role_policy = data.aws_iam_policy_document.secrets_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "secrets" {
  name   = "read-conveyor-secrets"
  role   = aws_iam_role.secrets.id
  policy = data.aws_iam_policy_document.secrets_read.json
}

resource "kubernetes_service_account_v1" "secrets" {
  metadata {
    name      = "conveyor-secrets"
    namespace = kubernetes_namespace_v1.conveyor.metadata[0].name
    annotations = {
      "eks.amazonaws.com/role-arn" = aws_iam_role.secrets.arn
    }
  }
  automount_service_account_token = false
}

# The External Secrets objects, as a chart of their own: kubernetes_manifest would need the
# API server at plan time, a helm release of plain templates does not.
resource "helm_release" "secrets" {
  name      = "conveyor-secrets"
  namespace = kubernetes_namespace_v1.conveyor.metadata[0].name
  chart     = "${path.module}/secrets-chart"
  values = [yamlencode({
    serviceAccount = kubernetes_service_account_v1.secrets.metadata[0].name
    region         = split(":", var.database_secret_arn)[3]
    database       = { secretArn = var.database_secret_arn, address = var.database_address }
    redis          = { secretArn = var.redis_secret_arn, address = var.redis_address }
  })]
}

resource "helm_release" "conveyor" {
  name      = "conveyor"
  namespace = kubernetes_namespace_v1.conveyor.metadata[0].name
  chart     = var.chart_path
  atomic    = true
  wait      = true
  timeout   = 600
  values = [
    file("${var.chart_path}/${local.values_file}"),
    yamlencode({
      environment = var.environment
      image       = { repository = var.image_repository, digest = var.image_digest }
      database    = { existingSecret = "conveyor-database", key = "url" }
      redis       = { existingSecret = "conveyor-redis", key = "url" }
    }),
  ]
  depends_on = [helm_release.secrets]
}
