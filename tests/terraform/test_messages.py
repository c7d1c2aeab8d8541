"""A bad value fails `tofu plan` with the validation's own message (the `expect_failures` runs
prove that a validation fails; these prove what the person who typed the value reads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.terraform.support import TERRAFORM, environment, tofu

CASES = {
    "postgres: prod without Multi-AZ": (
        "postgres",
        {
            "name": "conveyor-prod",
            "environment": "prod",
            "vpc_id": "vpc-1",
            "subnet_ids": '["subnet-a", "subnet-b"]',
            "client_security_groups": "{}",
            "instance_class": "db.r7g.large",
            "multi_az": "false",
            "backup_retention_days": "3",
        },
        [
            "multi_az must be true in prod: a zone outage must not take the job queue",
            "backup_retention_days must be at least 14 in prod.",
        ],
    ),
    "gcp-network: overlapping ranges": (
        "gcp-network",
        {
            "name": "conveyor-dev",
            "project_id": "conveyor-dev-1",
            "subnets": '{ europe-west1 = { cidr_block = "10.20.0.0/20", pods_cidr_block = "10.20.0.0/16", '
            'services_cidr_block = "10.20.16.0/20" } }',
            "private_services_cidr_block": "10.20.32.0/20",
        },
        [
            "subnets: the ranges overlap; the nodes', pods' and Services' ranges of every region "
            "must be disjoint."
        ],
    ),
    "gcp-postgres: prod without high availability": (
        "gcp-postgres",
        {
            "name": "conveyor-prod",
            "project_id": "conveyor-prod-1",
            "region": "europe-west1",
            "environment": "prod",
            "network_id": "projects/conveyor-prod-1/global/networks/conveyor-prod",
            "allocated_ip_range": "conveyor-prod-private-services",
            "tier": "db-custom-4-16384",
            "high_availability": "false",
            "backup_retention_days": "14",
        },
        ["high_availability must be true in prod: a zone outage must not take the job queue down."],
    ),
    "network: a public range": (
        "network",
        {
            "name": "conveyor-dev",
            "cidr_block": "8.8.0.0/16",
            "availability_zones": '["a", "b", "c"]',
            "nat_gateway_per_zone": "false",
        },
        ["cidr_block must lie inside a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)."],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_value_is_refused_with_its_message(case: str, tmp_path: Path) -> None:
    module, variables, messages = CASES[case]
    root = TERRAFORM / "modules" / module
    env = environment(tmp_path)
    init = tofu(root, env, "init", "-backend=false", "-input=false", "-upgrade")
    assert init.returncode == 0, init.describe()
    plan = tofu(root, env, "plan", "-input=false", *[f"-var={k}={v}" for k, v in variables.items()])
    assert plan.returncode != 0, plan.describe()
    text = " ".join(plan.output.split())  # the CLI wraps long messages
    for message in messages:
        assert "Invalid value for variable" in text and message in text, plan.describe()
