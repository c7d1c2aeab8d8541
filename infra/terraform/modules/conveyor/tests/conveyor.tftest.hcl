mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}
mock_provider "helm" {}
mock_provider "kubernetes" {}

variables {
  environment         = "prod"
  chart_path          = "../../../../deploy/helm/conveyor"
  image_digest        = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
  database_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-db-abc"
  database_address    = "conveyor-prod.abc.eu-west-1.rds.amazonaws.com"
  redis_secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-abc"
  redis_address       = "master.conveyor-prod.abc.euw1.cache.amazonaws.com"
  oidc_provider_arn   = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
  oidc_issuer         = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
}

run "namespace_enforces_restricted_pod_security" {
  command = plan

  assert {
    condition     = kubernetes_namespace_v1.conveyor.metadata[0].name == "conveyor-prod" && kubernetes_namespace_v1.conveyor.metadata[0].labels["pod-security.kubernetes.io/enforce"] == "restricted"
    error_message = "Namespace conveyor-<env>, restricted Pod Security enforced."
  }
}

run "chart_gets_prod_values_the_digest_and_secret_names" {
  command = plan

  assert {
    condition     = yamldecode(helm_release.conveyor.values[1]).image.digest == var.image_digest && yamldecode(helm_release.conveyor.values[1]).database.existingSecret == "conveyor-database"
    error_message = "The chart deploys the digest and reads the database URL from the External Secrets' Secret."
  }

  assert {
    condition     = yamldecode(helm_release.conveyor.values[0]).environment == "prod"
    error_message = "prod installs with the chart's values-prod.yaml first."
  }

  assert {
    condition     = helm_release.conveyor.atomic && helm_release.conveyor.wait
    error_message = "A failed upgrade rolls back by itself."
  }
}

run "secrets_role_reads_only_this_environments_secrets" {
  command = plan

  assert {
    condition     = toset(data.aws_iam_policy_document.secrets_read.statement[0].resources) == toset([var.database_secret_arn, var.redis_secret_arn])
    error_message = "The role reads the two secrets and nothing else."
  }

  assert {
    condition     = one([for c in data.aws_iam_policy_document.secrets_assume.statement[0].condition : c if endswith(c.variable, ":sub")]).values == tolist(["system:serviceaccount:conveyor-prod:conveyor-secrets"])
    error_message = "Only the conveyor-secrets service account of this namespace may assume it."
  }
}

run "rejects_a_tag_instead_of_a_digest" {
  command = plan

  variables {
    image_digest = "latest"
  }

  expect_failures = [var.image_digest]
}
