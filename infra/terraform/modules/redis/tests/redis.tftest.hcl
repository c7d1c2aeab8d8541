mock_provider "aws" {}
mock_provider "random" {}

variables {
  name                   = "conveyor-test"
  vpc_id                 = "vpc-0123456789abcdef0"
  subnet_ids             = ["subnet-a", "subnet-b", "subnet-c"]
  client_security_groups = { nodes = "sg-nodes" }
  node_type              = "cache.r7g.large"
  replicas               = 2
}

run "prod_is_multi_az_with_failover_tls_and_encryption" {
  command = apply # the generated token is known after apply

  assert {
    condition     = aws_elasticache_replication_group.this.multi_az_enabled && aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.num_cache_clusters == 3
    error_message = "With replicas: Multi-AZ and automatic failover."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.transit_encryption_enabled && aws_elasticache_replication_group.this.transit_encryption_mode == "required" && aws_elasticache_replication_group.this.at_rest_encryption_enabled
    error_message = "TLS required in transit, encrypted at rest."
  }

  assert {
    condition     = aws_secretsmanager_secret_version.auth.secret_string == random_password.auth.result && aws_elasticache_replication_group.this.auth_token == random_password.auth.result
    error_message = "Redis requires the AUTH token that the secret holds."
  }
}

run "dev_is_a_single_node" {
  command = plan

  variables {
    replicas  = 0
    node_type = "cache.t4g.micro"
  }

  assert {
    condition     = !aws_elasticache_replication_group.this.multi_az_enabled && aws_elasticache_replication_group.this.num_cache_clusters == 1
    error_message = "No replica: no failover to turn on (ElastiCache would refuse it)."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.transit_encryption_enabled
    error_message = "dev keeps TLS too."
  }
}

run "only_the_nodes_reach_it" {
  command = plan

  assert {
    condition     = values(module.clients.client_security_group_ids) == ["sg-nodes"]
    error_message = "The only ingress is from the client security groups."
  }
}

run "rejects_an_unknown_node_type" {
  command = plan

  variables {
    node_type = "r7g.large"
  }

  expect_failures = [var.node_type]
}
