# GitHub Actions assume AWS roles through OIDC, no stored keys. Two roles:
#   plan  — any workflow of the repository (pull requests too): read-only, plus the state lock.
#   apply — only jobs of the protected deployment environments: may change infrastructure.

# Every resource here carries the caller's cost tags and this module's component (docs/platform.md).
locals {
  tags = merge(var.tags, { "conveyor:component" = "ci-identity" })
}

locals {
  issuer = "token.actions.githubusercontent.com"
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]
  tags           = local.tags
}

data "aws_caller_identity" "current" {}

locals {
  provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.issuer}"
}

data "aws_iam_policy_document" "plan_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "${local.issuer}:sub"
      values   = ["repo:${var.github_repository}:*"]
    }
  }
}

data "aws_iam_policy_document" "apply_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = [for environment in var.apply_environments : "repo:${var.github_repository}:environment:${environment}"]
    }
  }
}

# State: plan reads state and may only create/remove the S3 lock file (*.tflock); apply also
# writes state. Neither may delete old state versions (the undo window).
data "aws_iam_policy_document" "state_plan" {
  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [var.state_bucket_arn]
  }
  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${var.state_bucket_arn}/*"]
  }
  statement {
    sid       = "TakeTheLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.state_bucket_arn}/*.tflock"]
  }
  statement {
    sid       = "StateKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.state_kms_key_arn]
  }
}

data "aws_iam_policy_document" "state_apply" {
  source_policy_documents = [data.aws_iam_policy_document.state_plan.json]
  statement {
    sid       = "WriteState"
    actions   = ["s3:PutObject"]
    resources = ["${var.state_bucket_arn}/*"]
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${var.name}-terraform-plan"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy_attachment" "plan_read_only" {
  role       = aws_iam_role.plan.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

# ReadOnlyAccess includes reading secret values and objects; plan needs neither.
data "aws_iam_policy_document" "plan_deny_data" {
  statement {
    sid           = "NoSecretValues"
    effect        = "Deny"
    actions       = ["secretsmanager:GetSecretValue", "ssm:GetParameter*", "kms:Decrypt"]
    not_resources = [var.state_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "plan_deny_data" {
  name   = "deny-secret-values"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan_deny_data.json
}

resource "aws_iam_role_policy" "plan_state" {
  name   = "terraform-state"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.state_plan.json
}

resource "aws_iam_role" "apply" {
  name                 = "${var.name}-terraform-apply"
  assume_role_policy   = data.aws_iam_policy_document.apply_trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

# Apply manages the whole stack (VPC, EKS, RDS, IAM roles for them): administrator access,
# bounded by who can assume it (protected environments with required reviewers).
resource "aws_iam_role_policy_attachment" "apply_admin" {
  #checkov:skip=CKV_AWS_274:the apply role manages IAM, VPC, EKS and RDS; it is bounded by its trust (protected environments with reviewers) (ADR 0906)
  role       = aws_iam_role.apply.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_role_policy" "apply_state" {
  name   = "terraform-state"
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.state_apply.json
}
