mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  name                 = "conveyor-test"
  cidr_block           = "10.20.0.0/16"
  availability_zones   = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  nat_gateway_per_zone = true
}

run "prod_has_a_nat_gateway_per_zone" {
  command = plan

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "A NAT gateway per zone keeps egress through a zone outage."
  }
}

run "dev_shares_one_nat_gateway" {
  command = plan

  variables {
    nat_gateway_per_zone = false
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route.private_egress) == 3
    error_message = "dev: one NAT gateway, still a default route from every private subnet."
  }
}

run "subnets_do_not_overlap_and_databases_have_no_internet_route" {
  # apply against the mock provider: route table ids are only known after apply; distinct
  # ids for the database table and the private ones make the check below meaningful.
  command = apply

  override_resource {
    target = aws_route_table.database
    values = { id = "rtb-database" }
  }

  override_resource {
    target = aws_route_table.private
    values = { id = "rtb-private" }
  }

  assert {
    condition     = length(distinct(concat([for s in aws_subnet.public : s.cidr_block], [for s in aws_subnet.private : s.cidr_block], [for s in aws_subnet.database : s.cidr_block]))) == 9
    error_message = "Nine distinct subnets, three tiers over three zones."
  }

  assert {
    condition     = aws_subnet.database["eu-west-1a"].cidr_block == "10.20.96.0/20"
    error_message = "Database subnets follow public (0-2) and private (3-5)."
  }

  assert {
    condition     = length(aws_route_table_association.database) == 3 && !contains([for r in aws_route.private_egress : r.route_table_id], aws_route_table.database.id)
    error_message = "The database route table must have no default route."
  }
}

run "flow_logs_capture_all_traffic_encrypted" {
  command = plan

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL"
    error_message = "Flow logs must capture accepted and rejected traffic."
  }

  assert {
    condition     = aws_kms_key.flow_logs.enable_key_rotation && aws_cloudwatch_log_group.flow_logs.retention_in_days == 30
    error_message = "Flow logs are encrypted with a rotated key and expire."
  }
}

run "endpoints_for_cluster_services" {
  command = plan

  assert {
    condition     = alltrue([for service in ["ecr.api", "ecr.dkr", "sts", "secretsmanager"] : contains(keys(aws_vpc_endpoint.interface), service)])
    error_message = "The cluster pulls images and reads secrets through interface endpoints."
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "S3 is reached through the free gateway endpoint."
  }
}

run "rejects_a_public_range" {
  command = plan

  variables {
    cidr_block = "8.8.0.0/16"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_two_zones" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a", "eu-west-1b"]
  }

  expect_failures = [var.availability_zones]
}

run "rejects_an_unknown_retention" {
  command = plan

  variables {
    flow_log_retention_days = 10
  }

  expect_failures = [var.flow_log_retention_days]
}
