# The trust and permission documents are rendered by the real aws_iam_policy_document data
# source only in a real plan; here the mock returns its inputs unchanged, so the tests read the
# documents' arguments (who may assume, which actions) from the data sources themselves.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  name               = "conveyor"
  github_repository  = "conveyor/conveyor"
  apply_environments = ["stage", "prod"]
  state_bucket_arn   = "arn:aws:s3:::conveyor-tfstate-123456789012"
  state_kms_key_arn  = "arn:aws:kms:eu-west-1:123456789012:key/state"
}

run "apply_is_limited_to_protected_environments" {
  command = plan

  assert {
    condition = one([for c in data.aws_iam_policy_document.apply_trust.statement[0].condition : c if c.variable == "token.actions.githubusercontent.com:sub"]).values == tolist([
      "repo:conveyor/conveyor:environment:stage",
      "repo:conveyor/conveyor:environment:prod",
    ])
    error_message = "Only jobs of the stage and prod environments may assume the apply role."
  }

  assert {
    condition     = one([for c in data.aws_iam_policy_document.apply_trust.statement[0].condition : c if c.variable == "token.actions.githubusercontent.com:sub"]).test == "StringEquals"
    error_message = "The apply trust matches subjects exactly (no wildcard)."
  }
}

run "plan_role_cannot_write" {
  command = plan

  assert {
    condition     = aws_iam_role_policy_attachment.plan_read_only.policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    error_message = "The plan role's only managed policy is ReadOnlyAccess."
  }

  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.state_plan.statement : [
        for a in s.actions : contains(["s3:ListBucket", "s3:GetObject", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], a) || alltrue([for r in s.resources : endswith(r, ".tflock")])
      ]
    ]))
    error_message = "Beyond read-only, the plan role may only write the lock file (*.tflock), never state itself."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.state_plan.statement : alltrue([for r in s.resources : startswith(r, var.state_bucket_arn) || r == var.state_kms_key_arn])])
    error_message = "State permissions are scoped to the state bucket and key."
  }

  assert {
    condition     = contains(data.aws_iam_policy_document.plan_deny_data.statement[0].actions, "secretsmanager:GetSecretValue") && data.aws_iam_policy_document.plan_deny_data.statement[0].effect == "Deny"
    error_message = "The plan role must not read secret values."
  }
}

run "trust_requires_the_sts_audience" {
  command = plan

  assert {
    condition     = one([for c in data.aws_iam_policy_document.plan_trust.statement[0].condition : c if c.variable == "token.actions.githubusercontent.com:aud"]).values == tolist(["sts.amazonaws.com"])
    error_message = "Tokens minted for another audience are refused."
  }
}

run "rejects_a_repository_without_owner" {
  command = plan

  variables {
    github_repository = "conveyor"
  }

  expect_failures = [var.github_repository]
}
