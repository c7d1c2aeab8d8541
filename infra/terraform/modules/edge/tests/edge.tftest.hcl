mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  name = "conveyor-test"
}

run "waf_has_managed_rules_and_a_rate_limit" {
  command = plan

  assert {
    condition     = contains([for r in jsondecode(aws_wafv2_web_acl.this.rule_json) : r.Name], "AWSManagedRulesCommonRuleSet") && contains([for r in jsondecode(aws_wafv2_web_acl.this.rule_json) : r.Name], "AWSManagedRulesSQLiRuleSet")
    error_message = "The AWS managed common and SQL injection rule groups are on."
  }

  assert {
    condition     = length(distinct([for r in jsondecode(aws_wafv2_web_acl.this.rule_json) : r.Priority])) == 5
    error_message = "Every rule has its own priority (WAF rejects duplicates)."
  }

  assert {
    condition     = one([for r in jsondecode(aws_wafv2_web_acl.this.rule_json) : r if r.Name == "rate-limit-per-ip"]).Statement.RateBasedStatement.Limit == 2000
    error_message = "One client IP is limited per 5 minutes."
  }

  assert {
    condition     = length(aws_wafv2_web_acl_association.load_balancer) == 0
    error_message = "No association until the load balancer exists."
  }
}

run "assets_are_private_and_served_over_https" {
  command = plan

  assert {
    condition     = aws_cloudfront_distribution.assets.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https" && aws_cloudfront_distribution.assets.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021"
    error_message = "HTTPS only, TLS 1.2 or newer."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.assets.restrict_public_buckets && aws_s3_bucket_public_access_block.assets.block_public_policy
    error_message = "The bucket is reachable only through CloudFront."
  }
}

run "protects_the_load_balancer_once_known" {
  command = plan

  variables {
    load_balancer_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/conveyor/abc"
  }

  assert {
    condition     = length(aws_wafv2_web_acl_association.load_balancer) == 1
    error_message = "The WAF is associated with the given load balancer."
  }
}

run "rejects_a_certificate_outside_us_east_1" {
  command = plan

  variables {
    assets_certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
  }

  expect_failures = [var.assets_certificate_arn]
}
