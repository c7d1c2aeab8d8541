mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_resource "aws_eks_cluster" {
    defaults = {
      identity              = [{ oidc = [{ issuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE" }] }]
      certificate_authority = [{ data = "Y2VydGlmaWNhdGU=" }]
    }
  }
}

variables {
  name                   = "conveyor-test"
  subnet_ids             = ["subnet-a", "subnet-b", "subnet-c"]
  endpoint_public_access = false
  node_instance_types    = ["m7g.large", "m6g.large"]
  node_min_size          = 3
  node_max_size          = 9
}

run "prod_api_is_private_and_secrets_are_encrypted" {
  command = plan

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access && !aws_eks_cluster.this.vpc_config[0].endpoint_public_access
    error_message = "prod: the API endpoint is private only."
  }

  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].resources == toset(["secrets"])
    error_message = "Kubernetes Secrets must be envelope-encrypted with KMS."
  }

  assert {
    condition     = contains(aws_eks_cluster.this.enabled_cluster_log_types, "audit")
    error_message = "The audit log is on."
  }
}

run "nodes_require_imdsv2_and_encrypted_disks" {
  command = plan

  assert {
    condition     = aws_launch_template.node.metadata_options[0].http_tokens == "required" && aws_launch_template.node.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "Nodes must require IMDSv2 with a hop limit of 1 (pods cannot steal node credentials)."
  }

  assert {
    condition     = aws_launch_template.node.block_device_mappings[0].ebs[0].encrypted == "true"
    error_message = "Node volumes must be encrypted."
  }

  assert {
    condition     = aws_eks_node_group.default.ami_type == "AL2023_ARM_64_STANDARD"
    error_message = "Graviton instance types get the arm64 AMI."
  }
}

run "autoscaler_may_scale_only_its_own_groups" {
  command = apply

  assert {
    condition     = aws_eks_node_group.default.tags["k8s.io/cluster-autoscaler/conveyor-test"] == "owned"
    error_message = "The node group carries the auto-discovery tag the autoscaler's policy is scoped to."
  }

  assert {
    condition     = output.oidc_issuer == "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"
    error_message = "IRSA trust conditions use the issuer without its scheme."
  }

  assert {
    condition     = length(aws_eks_addon.core) == 5 && contains(keys(aws_eks_addon.core), "eks-pod-identity-agent")
    error_message = "The core add-ons are managed."
  }
}

run "dev_may_open_the_api_to_listed_ranges" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["203.0.113.0/24"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.0/24"])
    error_message = "A public endpoint is limited to the listed ranges."
  }
}

run "rejects_an_open_api" {
  command = plan

  variables {
    endpoint_public_access = true
    public_access_cidrs    = ["0.0.0.0/0"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_max_below_min" {
  command = plan

  variables {
    node_max_size = 2
  }

  expect_failures = [var.node_max_size]
}
