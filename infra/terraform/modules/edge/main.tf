# The edge: AWS WAF in front of the ingress load balancer (AWS managed rule groups and a
# per-IP rate limit) and CloudFront serving the console's static assets from a private bucket.

# Every resource here carries the caller's cost tags and this module's component (docs/platform.md).
locals {
  tags = merge(var.tags, { "conveyor:component" = "edge" })
}

locals {
  managed_rule_groups = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesSQLiRuleSet"]
}

resource "aws_wafv2_web_acl" "this" {
  #checkov:skip=CKV_AWS_175:the rules are in rule_json, which checkov does not read: four AWS managed groups and a rate rule
  #checkov:skip=CKV_AWS_192:rule_json includes AWSManagedRulesKnownBadInputsRuleSet (the Log4j rules); checkov does not read rule_json
  name  = "${var.name}-ingress"
  scope = "REGIONAL"
  tags  = local.tags

  default_action {
    allow {}
  }

  # Rules in the WAF API's JSON (rule_json): the same document `aws wafv2 get-web-acl` shows,
  # and a form the schema can check (ADR 0901: the nested `rule` statements are untyped there).
  rule_json = jsonencode(concat(
    [for index, group in local.managed_rule_groups : {
      Name           = group
      Priority       = index
      OverrideAction = { None = {} }
      Statement      = { ManagedRuleGroupStatement = { VendorName = "AWS", Name = group } }
      VisibilityConfig = {
        CloudWatchMetricsEnabled = true
        MetricName               = group
        SampledRequestsEnabled   = true
      }
    }],
    [{
      Name      = "rate-limit-per-ip"
      Priority  = 100
      Action    = { Block = {} }
      Statement = { RateBasedStatement = { Limit = var.rate_limit_per_5_minutes, AggregateKeyType = "IP" } }
      VisibilityConfig = {
        CloudWatchMetricsEnabled = true
        MetricName               = "rate-limit-per-ip"
        SampledRequestsEnabled   = true
      }
    }],
  ))

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-ingress"
    sampled_requests_enabled   = true
  }
}

# WAF logs (blocked and counted requests) in CloudWatch; the name prefix is AWS's requirement.
# trivy:ignore:AVD-AWS-0017 CloudWatch Logs' own encryption (checkov CKV_AWS_158 below)
resource "aws_cloudwatch_log_group" "waf" {
  #checkov:skip=CKV_AWS_338:90 days of request samples is enough to investigate an attack; longer is cost without use
  #checkov:skip=CKV_AWS_158:AWS WAF logs are encrypted by CloudWatch Logs' own key; a CMK adds a key policy per environment for request metadata only
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = 90
  tags              = local.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]
}

resource "aws_wafv2_web_acl_association" "load_balancer" {
  count        = var.load_balancer_arn == null ? 0 : 1
  resource_arn = var.load_balancer_arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

# trivy:ignore:AVD-AWS-0089 no access logs for static assets (checkov CKV_AWS_18 below)
# trivy:ignore:AVD-AWS-0132 SSE-S3 for CloudFront's origin access control (checkov CKV_AWS_145 below)
resource "aws_s3_bucket" "assets" {
  #checkov:skip=CKV_AWS_18:public, versioned build output; CloudFront logs are the access record
  #checkov:skip=CKV_AWS_144:the release pipeline re-uploads the assets; replication adds nothing
  #checkov:skip=CKV_AWS_145:SSE-S3: CloudFront's origin access control reads it without a KMS grant
  #checkov:skip=CKV2_AWS_62:nothing consumes events of the assets bucket
  bucket_prefix = "${var.name}-assets-"
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "assets" {
  bucket                  = aws_s3_bucket.assets.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "assets" {
  bucket = aws_s3_bucket.assets.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "assets" {
  bucket = aws_s3_bucket.assets.id
  rule {
    id     = "expire-replaced-assets"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# trivy:ignore:AVD-AWS-0132 SSE-S3: CloudFront's origin access control reads it without a KMS grant
resource "aws_s3_bucket_server_side_encryption_configuration" "assets" {
  bucket = aws_s3_bucket.assets.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256" # CloudFront's origin access control reads SSE-S3 without a key grant
    }
  }
}

resource "aws_cloudfront_origin_access_control" "assets" {
  name                              = "${var.name}-assets"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "assets" {
  name = "${var.name}-assets"
  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
  }
}

# trivy:ignore:AVD-AWS-0010 no access logs for static assets (checkov CKV_AWS_86 below)
# trivy:ignore:AVD-AWS-0011 no WAF on the static asset CDN (checkov CKV_AWS_68 below)
resource "aws_cloudfront_distribution" "assets" {
  #checkov:skip=CKV_AWS_68:static assets only (GET/HEAD from a private bucket); a CloudFront WAF must live in us-east-1, the API's WAF is the regional one
  #checkov:skip=CKV2_AWS_47:no WAF on the static asset CDN (see CKV_AWS_68)
  #checkov:skip=CKV_AWS_86:access logs of static assets are not kept (no personal data, no decisions made on them)
  #checkov:skip=CKV_AWS_310:one origin: the bucket is regional and versioned, a failover origin would be a second copy of a build output
  #checkov:skip=CKV_AWS_374:Conveyor's console is not restricted by country
  enabled             = true
  comment             = "${var.name} console static assets"
  aliases             = var.assets_domain == null ? [] : [var.assets_domain]
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = "PriceClass_100"
  default_root_object = "index.html"
  tags                = local.tags

  origin {
    origin_id                = "assets"
    domain_name              = aws_s3_bucket.assets.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.assets.id
  }

  default_cache_behavior {
    target_origin_id           = "assets"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = "658327ea-f89d-4fab-a63d-7e88639e58f6" # AWS managed CachingOptimized
    response_headers_policy_id = aws_cloudfront_response_headers_policy.assets.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.assets_certificate_arn == null
    acm_certificate_arn            = var.assets_certificate_arn
    ssl_support_method             = var.assets_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = "TLSv1.2_2021"
  }
}

# Only this distribution may read the bucket.
data "aws_iam_policy_document" "assets" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.assets.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.assets.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "assets" {
  bucket = aws_s3_bucket.assets.id
  policy = data.aws_iam_policy_document.assets.json
}
