mock_provider "aws" {}

variables {
  name                   = "conveyor-test-postgres"
  description            = "PostgreSQL from the cluster's nodes only"
  service                = "PostgreSQL"
  vpc_id                 = "vpc-0123456789abcdef0"
  port                   = 5432
  client_security_groups = { nodes = "sg-nodes", bastion = "sg-bastion" }
  tags                   = { "conveyor:component" = "postgres" }
}

run "admits_only_the_named_groups_on_the_one_port" {
  command = plan

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.clients) == 2 && alltrue([for rule in aws_vpc_security_group_ingress_rule.clients : rule.ip_protocol == "tcp" && rule.from_port == 5432 && rule.to_port == 5432 && rule.cidr_ipv4 == null])
    error_message = "One TCP port, from security groups only (no address range)."
  }

  assert {
    condition     = output.client_security_group_ids == { nodes = "sg-nodes", bastion = "sg-bastion" } && aws_vpc_security_group_ingress_rule.clients["nodes"].description == "PostgreSQL from nodes"
    error_message = "Each client group gets its named rule."
  }

  assert {
    condition     = aws_security_group.this.tags["conveyor:component"] == "postgres"
    error_message = "The group is costed to the calling module's component."
  }
}

run "rejects_tags_without_the_callers_component" {
  command = plan

  variables {
    tags = { environment = "dev" }
  }

  expect_failures = [var.tags]
}

run "rejects_a_bad_port" {
  command = plan

  variables {
    port = 70000
  }

  expect_failures = [var.port]
}
