# An ACM certificate for the console and API names, validated through Route 53 records.

# Every resource here carries the caller's cost tags and this module's component (docs/platform.md).
locals {
  tags = merge(var.tags, { "conveyor:component" = "dns-tls" })
}

data "aws_route53_zone" "this" {
  name         = var.zone_name
  private_zone = false
}

resource "aws_acm_certificate" "this" {
  domain_name               = var.hostnames[0]
  subject_alternative_names = slice(var.hostnames, 1, length(var.hostnames))
  validation_method         = "DNS"
  key_algorithm             = "EC_prime256v1"
  tags                      = local.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = alltrue([for h in var.hostnames : endswith(h, ".${var.zone_name}") || h == var.zone_name])
      error_message = "Every hostname must be inside ${var.zone_name}."
    }
  }
}

locals {
  validation = { for o in aws_acm_certificate.this.domain_validation_options : o.domain_name => o }
}

# Keyed by the hostnames (known at plan time), valued from the certificate's options.
resource "aws_route53_record" "validation" {
  for_each = toset(var.hostnames)

  zone_id         = data.aws_route53_zone.this.zone_id
  name            = local.validation[each.key].resource_record_name
  type            = local.validation[each.key].resource_record_type
  records         = [local.validation[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}
