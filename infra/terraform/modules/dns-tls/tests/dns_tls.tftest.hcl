mock_provider "aws" {
  mock_data "aws_route53_zone" {
    defaults = { zone_id = "Z0123456789" }
  }
  # What ACM answers: one CNAME to create per name on the certificate.
  mock_resource "aws_acm_certificate" {
    defaults = {
      domain_validation_options = [
        { domain_name = "api.conveyor.example.com", resource_record_name = "_a.api.conveyor.example.com.", resource_record_type = "CNAME", resource_record_value = "_b.acm-validations.aws." },
        { domain_name = "console.conveyor.example.com", resource_record_name = "_c.console.conveyor.example.com.", resource_record_type = "CNAME", resource_record_value = "_d.acm-validations.aws." },
      ]
    }
  }
}

variables {
  zone_name = "conveyor.example.com"
  hostnames = ["api.conveyor.example.com", "console.conveyor.example.com"]
}

run "one_certificate_for_all_names_validated_by_dns" {
  command = plan

  assert {
    condition     = aws_acm_certificate.this.domain_name == "api.conveyor.example.com" && aws_acm_certificate.this.subject_alternative_names == toset(["console.conveyor.example.com"])
    error_message = "The first hostname is the subject, the others alternative names."
  }

  assert {
    condition     = aws_acm_certificate.this.validation_method == "DNS" && length(aws_route53_record.validation) == 2
    error_message = "DNS validation (a record per name) renews without anyone clicking an email."
  }
}

run "rejects_a_name_outside_the_zone" {
  command = plan

  variables {
    hostnames = ["api.other.example.org"]
  }

  expect_failures = [aws_acm_certificate.this]
}

run "rejects_an_invalid_zone" {
  command = plan

  variables {
    zone_name = "Conveyor.Example.com."
  }

  expect_failures = [var.zone_name]
}
