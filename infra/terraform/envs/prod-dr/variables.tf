variable "region" {
  description = "The recovery region (not prod's)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "vpc_cidr" {
  description = "The recovery VPC's private /16 (distinct from prod's)."
  type        = string
}

variable "primary_database_arn" {
  description = "prod's database ARN (`tofu -chdir=../prod output -raw database_arn`)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws:rds:[a-z0-9-]+:[0-9]{12}:db:", var.primary_database_arn))
    error_message = "primary_database_arn must be prod's RDS instance ARN (arn:aws:rds:<region>:<account>:db:<name>)."
  }
}

variable "cluster" {
  description = "Standby cluster sizing: small until a failover scales it up."
  type = object({
    node_instance_types = list(string)
    node_min_size       = number
    node_max_size       = number
  })
}

variable "database_instance_class" {
  description = "Instance class of the cross-region replica (prod's, so a promotion carries the load)."
  type        = string
}

variable "cost_allocation" {
  description = "Who pays: the conveyor:team and conveyor:cost-center tags of every AWS resource, the same values as the chart's conveyor.io/team and conveyor.io/cost-center labels."
  type = object({
    team        = string
    cost_center = string
  })

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.cost_allocation.team))
    error_message = "cost_allocation.team must be a lowercase DNS label (a-z, 0-9, '-'; at most 63), as the chart's conveyor.io/team label."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", var.cost_allocation.cost_center))
    error_message = "cost_allocation.cost_center must be non-empty, letters, digits, '-', '_' or '.' (at most 63), as the chart's conveyor.io/cost-center label."
  }
}
